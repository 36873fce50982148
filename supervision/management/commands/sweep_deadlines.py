from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from supervision import notices, sweep


class Command(BaseCommand):
    help = "Runs the deadline sweep once and prints the cards it wrote."

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="Read every open review, not only what changed since the last sweep.",
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            result = sweep.sweep(now=timezone.now(), full=options["full"])
            notices.queue_red_cards(result.review_red)
        self.stdout.write(result.summary())
