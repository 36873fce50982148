"""The first load of a center from its spreadsheets, on the command line.

    manage.py import_center departments.xlsx --kind departments            # the dry run
    manage.py import_center departments.xlsx --kind departments --commit   # write it

The same check and the same writing as the pages (loading/services.py), recorded the same way
(the file kept with its SHA-256); `--by` names the administrator it is recorded under.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from loading import services
from loading.files import UnreadableFile
from loading.kinds import KINDS
from loading.models import ImportRecord
from windows.models import Staff


class Command(BaseCommand):
    help = "Checks a spreadsheet of one kind and, with --commit, writes it (one transaction)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=list(KINDS))
        parser.add_argument("--commit", action="store_true", help="write it if every row is clean")
        parser.add_argument("--by", default="", help="user name the import is recorded under")
        parser.add_argument("--language", default="zh-hans", help="language of the messages")

    def handle(self, *args, file: Path, kind: str, commit: bool, by: str, language: str, **options):
        translation.activate(language)
        person = None
        if by:
            person = Staff.objects.filter(username=by).first()
            if person is None:
                raise CommandError(f"no such user: {by}")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(str(error)) from error
        now = timezone.now()
        try:
            record, plan = services.import_check(
                kind_name=kind, data=data, name=file.name, by=person, now=now
            )
        except (UnreadableFile, services.ImportRefused) as error:
            raise CommandError(str(error)) from error
        for problem in plan.problems:
            self.stdout.write(
                f"{problem.sheet}:{problem.row} [{problem.column_text()}] {problem.reason}"
            )
        self.stdout.write(
            f"import #{record.pk} sha256={record.sha256}: {record.rows} rows, "
            f"{record.created} to create, {record.updated} to update, "
            f"{record.unchanged} unchanged, {record.problem_count} errors"
        )
        if record.state == ImportRecord.State.REFUSED:
            raise CommandError("nothing written: correct the rows above and run again")
        if not commit:
            self.stdout.write("dry run: nothing written (add --commit to write)")
            return
        record = services.import_commit(record=record, by=person, now=timezone.now())
        if record.state != ImportRecord.State.COMMITTED:
            raise CommandError("nothing written: the stored data changed during the check")
        self.stdout.write(
            self.style.SUCCESS(
                f"written: {record.created} created, {record.updated} updated, "
                f"{record.unchanged} unchanged"
            )
        )
