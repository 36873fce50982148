"""Restore a backup set into an empty database and file store (README "Backups").

manage.py restore /var/lib/approval/backups/backup-20261205T181500Z
manage.py restore SET --database-url postgres://owner@host/new_db --media-root /srv/new-media
manage.py restore SET --verify-only     # check the parts against the manifest, restore nothing

Every part is checked against the manifest's SHA-256 first; a damaged set restores nothing. The
target is the configured database (MIGRATE_DATABASE_URL, else DATABASE_URL, else the SQLite file)
and MEDIA_ROOT unless given; it must be empty (create the database first: `createdb`) unless
--force, which replaces the objects of the dump and writes the files over what is there.
"""

from pathlib import Path

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from operations import backups


class Command(BaseCommand):
    help = "Restores a backup set into an empty database and file store, checksums first."
    # The target may be an empty database: nothing here may query it before the restore.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("backup_set", help="the set's directory (it holds manifest.json)")
        parser.add_argument(
            "--database-url", help="the target database (default: the configured one)"
        )
        parser.add_argument("--media-root", help="the target file store (default: MEDIA_ROOT)")
        parser.add_argument(
            "--force", action="store_true", help="restore over a database or files already there"
        )
        parser.add_argument("--verify-only", action="store_true", help="only check the set")

    def handle(self, *args, backup_set: str, **options):
        path = Path(backup_set)
        try:
            if options["verify_only"]:
                manifest = backups.verify(path)
                self.stdout.write(f"{path}: every part matches its SHA-256 ({manifest['engine']})")
                return
            database = (
                dj_database_url.parse(options["database_url"])
                if options["database_url"]
                else connection.settings_dict
            )
            files_root = (
                Path(options["media_root"]) if options["media_root"] else backups.media_root()
            )
            restored = backups.restore(
                path, database=database, files_root=files_root, force=options["force"]
            )
        except backups.BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        self.stdout.write(
            f"restored {path.name}: {restored.tables} tables, {restored.files} files "
            f"in {restored.seconds:.1f} s"
        )
        if restored.engine == "postgresql":
            self.stdout.write(
                "The objects belong to the role that restored them, without the grants of the "
                "source: run `manage.py grant_app_role` (as that role) before starting the center."
            )
