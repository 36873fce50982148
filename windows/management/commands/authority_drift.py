from django.core.management.base import BaseCommand
from django.utils import timezone

from windows import authority
from windows.models import Item, Staff


class Command(BaseCommand):
    help = (
        "Reports where the signing permissions differ from the letters of authorization and "
        "the deputies' postings. With --fix, makes them match. Exits 1 when drift was found."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="grant and withdraw to match")

    def handle(self, *args, fix: bool = False, **options):
        now = timezone.now()
        drift = authority.authority_drift(now)
        if not drift:
            self.stdout.write(
                self.style.SUCCESS("No drift: permissions match letters and postings.")
            )
            return
        pairs = drift.missing | drift.extra
        staff = Staff.objects.in_bulk({s for s, _i in pairs})
        items = Item.objects.in_bulk({i for _s, i in pairs})
        for label, rows in (("missing", drift.missing), ("extra", drift.extra)):
            for staff_id, item_id in sorted(rows):
                self.stdout.write(
                    f"{label}\t{staff[staff_id].username}\t{staff[staff_id]}\t"
                    f"{items[item_id].code}\t{items[item_id].name}"
                )
        self.stdout.write(f"{len(drift.missing)} missing, {len(drift.extra)} extra")
        if fix:
            authority.sync_signing_authority(at=now)
            self.stdout.write(self.style.SUCCESS("Fixed."))
        else:
            raise SystemExit(1)
