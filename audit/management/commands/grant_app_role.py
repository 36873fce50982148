"""manage.py grant_app_role [ROLE]: give the application's database role exactly its rights
(audit/privileges.py). Run as the owner of the schema, after every migrate (the `migrate`
service of docker-compose.yml does).

Without ROLE, the role is the user of DATABASE_URL, the application's connection, while this
command connects through MIGRATE_DATABASE_URL as the owner; that role is then created if missing
and given DATABASE_URL's password.
"""

from __future__ import annotations

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.privileges import PrivilegeError, grant


class Command(BaseCommand):
    help = "Grant the application's database role exactly the rights it needs (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("role", nargs="?", help="default: the user of DATABASE_URL")

    def handle(self, *args, role: str | None = None, **options):
        password = None
        if role is None:
            if not (settings.MIGRATE_DATABASE_URL and settings.DATABASE_URL):
                raise CommandError(
                    "Name the role, or set DATABASE_URL (the application's) and "
                    "MIGRATE_DATABASE_URL (the owner's, which this runs as)."
                )
            app = dj_database_url.parse(settings.DATABASE_URL)
            role, password = app["USER"], app["PASSWORD"] or None
        try:
            with transaction.atomic():
                granted = grant(connection, role, password=password)
        except PrivilegeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{role}: SELECT, INSERT on {granted.append_only} append-only tables; "
                f"SELECT on {granted.read_only}; SELECT, INSERT, UPDATE, DELETE on "
                f"{granted.read_write}; USAGE on {granted.sequences} sequences."
            )
        )
