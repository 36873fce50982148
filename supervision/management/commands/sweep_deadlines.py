from django.core.management.base import BaseCommand
from django.utils import timezone

from supervision import sweep


class Command(BaseCommand):
    help = "Runs the deadline sweep once and prints the cards it wrote."

    def handle(self, *args, **options):
        result = sweep.sweep(now=timezone.now())
        self.stdout.write(
            f"reviews: {len(result.review_red)} red, {len(result.review_yellow)} yellow; "
            f"applications: {len(result.application_red)} red, "
            f"{len(result.application_yellow)} yellow"
        )
