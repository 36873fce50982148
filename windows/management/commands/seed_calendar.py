from django.core.management.base import BaseCommand

from windows.calendar_seed import seed_calendar


class Command(BaseCommand):
    help = "Loads holidays and adjusted working days from the chinese-calendar package."

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="*", type=int, help="years to load (default: all known)")

    def handle(self, *args, years: list[int], **options):
        loaded, unknown = seed_calendar(years or None)
        self.stdout.write(f"loaded: {', '.join(map(str, loaded)) or '-'}")
        if unknown:
            self.stdout.write(
                self.style.WARNING(
                    f"no data in chinese-calendar for {', '.join(map(str, unknown))}: "
                    "deadlines there are provisional until an administrator enters the year"
                )
            )
