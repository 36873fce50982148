"""Write a backup set now: the database and the private files (operations/backups.py).

manage.py backup               # into BACKUP_DIR; prints the set's directory; exit 1 on failure
manage.py backup --prune-only  # only apply retention (BACKUP_KEEP_DAILY)
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from operations import backups


class Command(BaseCommand):
    help = "Writes a backup set (database dump and private files) into BACKUP_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--prune-only", action="store_true", help="only apply retention")

    def handle(self, *args, prune_only: bool = False, **options):
        now = timezone.now()
        if prune_only:
            for name in backups.prune(now=now):
                self.stdout.write(f"removed {name}")
            return
        try:
            backup = backups.backup_create(trigger="command", now=now)
        except backups.BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        where = backups.backup_dir() / backup.name
        role = f", dumped as {backup.role}" if backup.role else ""
        self.stdout.write(f"{where} ({backup.size} bytes{role})")
        for name, part in backup.parts.items():
            self.stdout.write(f"  {part['sha256']}  {name}")
