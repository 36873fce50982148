"""Cut the documents' font from the machine's Noto Sans CJK SC (applications/document_fonts.py)."""

from django.core.management.base import BaseCommand, CommandError

from applications import document_fonts


class Command(BaseCommand):
    help = "Make the documents' font under DOCUMENT_FONTS_DIR (once; --replace for anew)."

    def add_arguments(self, parser):
        parser.add_argument("--replace", action="store_true", help="Cut the faces again.")

    def handle(self, *args, replace: bool = False, **options):
        before = document_fonts.made()
        try:
            files = document_fonts.make(replace=replace)
        except (FileNotFoundError, OSError) as error:
            raise CommandError(f"The documents' font could not be made: {error}") from error
        for path in files:
            state = "kept" if path in before and not replace else "made"
            self.stdout.write(f"{state}: {path}")
