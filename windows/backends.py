"""Signing in and reading the signed-in person back on each request."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import F

from .models import Staff
from .roles import Role


class StaffBackend(ModelBackend):
    """Django's password backend; each request reads the person with their roles in one
    query (the role checks every page makes then cost none)."""

    def get_user(self, user_id):
        rows = list(Staff._default_manager.filter(pk=user_id).annotate(role=F("groups__name")))
        if not rows:
            return None
        user = rows[0]
        held = {row.role for row in rows}
        user.__dict__["roles"] = [role for role in Role if role.value in held]
        return user if self.user_can_authenticate(user) else None
