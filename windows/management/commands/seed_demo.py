from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from windows.models import Department


class Command(BaseCommand):
    help = (
        "Builds the demo center of the source (Lin'an): organisation, catalog, staff, letters, "
        "calendar, and whatever the other apps add. Idempotent; refused in production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database has a center"
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo refuses to run with APP_ENV=production.")
        if if_empty and Department.objects.exists():
            self.stdout.write("The database already holds a center; the demo was not loaded.")
            return
        today = timezone.localdate()
        # Each app contributes its part through a `seed_demo` method on its AppConfig, in the
        # order of INSTALLED_APPS: the organisation first, then what is built on it.
        for config in apps.get_app_configs():
            seed = getattr(config, "seed_demo", None)
            if seed is None:
                continue
            for line in seed(today=today):
                self.stdout.write(f"{config.label}: {line}")
        self.stdout.write(self.style.SUCCESS("The demo center is ready."))
