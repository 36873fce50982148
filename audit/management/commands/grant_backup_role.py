"""manage.py grant_backup_role [ROLE]: make the database role the backup dumps with a reader of
everything that can change nothing (audit/privileges.py, grant_reader). Run as the owner of the
schema (compose's `migrate` service does, after grant_app_role).

Without ROLE, the role is the user of BACKUP_DATABASE_URL, created if missing and given its
password.
"""

from __future__ import annotations

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.privileges import PrivilegeError, grant_reader


class Command(BaseCommand):
    help = "Let the backup's database role read every table and sequence, and change nothing."

    def add_arguments(self, parser):
        parser.add_argument("role", nargs="?", help="default: the user of BACKUP_DATABASE_URL")

    def handle(self, *args, role: str | None = None, **options):
        password = None
        if role is None:
            if not settings.BACKUP_DATABASE_URL:
                raise CommandError("Name the role, or set BACKUP_DATABASE_URL.")
            reader = dj_database_url.parse(settings.BACKUP_DATABASE_URL)
            role, password = reader["USER"], reader["PASSWORD"] or None
        try:
            with transaction.atomic():
                grant_reader(connection, role, password=password)
        except PrivilegeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(f"{role}: reads every table and sequence (pg_read_all_data).")
        )
