from django.core.management.base import BaseCommand

from windows.demo import DEMO_PASSWORD
from windows.models import AuthorizationLetter, Staff
from windows.roles import Role


class Command(BaseCommand):
    help = "Prints one demo login for each role."

    def handle(self, *args, **options):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for role in Role:
            people = Staff.objects.filter(groups__name=role.value, is_active=True)
            if role == Role.WINDOW_HEAD:
                # A head who signs under a letter makes the more telling login.
                signing = people.filter(
                    letters__in=AuthorizationLetter.objects.filter(revoked_at=None)
                )
                people = signing if signing.exists() else people
            person = people.select_related("window", "department").order_by("username").first()
            if person is None:
                continue
            where = person.window or person.department or ""
            self.stdout.write(f"  {role.value:<18} {person.username:<16} {person}  {where}")
