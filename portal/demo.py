"""The demo's applicant (docs/portal.md): one mobile number a visitor signs in with on `/my/`.

`make run` shows SMS in its terminal (the log gateway, development only), so the visitor reads
the code there. The number is made the registered mobile of a company whose results were just
handed over and not rated (the portal offers the rating), of a company with an application
whose time is stopped for supplements, and of one person: their applications make the list.
"""

from __future__ import annotations

from applications.models import Applicant, Application, DepartmentReview

DEMO_MOBILE = "13800138000"
DEMO_PDF = b"%PDF-1.4\n% demo material\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def seed_demo_portal() -> list[str]:
    lines = _seed_mobile()
    return lines + _seed_online()


def _seed_mobile() -> list[str]:
    if Applicant.objects.filter(mobile=DEMO_MOBILE).exists():
        return [f"the demo applicant's mobile {DEMO_MOBILE} already set"]
    chosen: list[Applicant] = []
    delivered = (
        Application.objects.filter(state=Application.State.DELIVERED, rating__isnull=True)
        .select_related("applicant")
        .order_by("-delivered_at")
        .first()
    )
    stopped = (
        Application.objects.filter(reviews__state=DepartmentReview.State.SUSPENDED)
        .select_related("applicant")
        .order_by("-received_at")
        .first()
    )
    someone = (
        Applicant.objects.filter(kind=Applicant.Kind.PERSON, applications__isnull=False)
        .order_by("id")
        .first()
    )
    for found in (
        delivered.applicant if delivered else None,
        stopped.applicant if stopped else None,
        someone,
    ):
        if found is not None and found not in chosen:
            chosen.append(found)
    for applicant in chosen:
        applicant.mobile = DEMO_MOBILE
        applicant.save(update_fields=["mobile"])
    count = Application.objects.filter(applicant__mobile=DEMO_MOBILE).count()
    return [
        f"the applicant's side (/my/): sign in with {DEMO_MOBILE} ({len(chosen)} applicants, "
        f"{count} applications); the code is in this terminal's log"
    ]


def _seed_online() -> list[str]:
    """Online filings of the demo person (docs/filing.md), through the applicant's and the
    clerk's own services: a draft with one file; one submitted and waiting for the window's
    pre-review; one whose one-time notice is outstanding (a line not conforming, with its
    reason). The demo clerk sees the last two on the intake desk's online list."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from applications import services as counter
    from windows.models import Item, ItemMaterial, Staff
    from windows.roles import Role

    from . import services
    from .models import Account, Filing

    if Filing.objects.filter(account__mobile=DEMO_MOBILE).exists():
        return ["the demo applicant's online filings already made"]
    person = (
        Applicant.objects.filter(kind=Applicant.Kind.PERSON, mobile=DEMO_MOBILE)
        .order_by("id")
        .first()
    )
    clerk = (
        Staff.objects.filter(groups__name=Role.INTAKE_CLERK, is_active=True)
        .order_by("username")
        .first()
    )
    # Items a person files without a project: in force, handled in the center, in no package.
    items = [
        item
        for item in Item.objects.approvals()
        .filter(handled_in_center=True, packages__isnull=True)
        .order_by("code")
        if ItemMaterial.objects.filter(item=item).exists()
    ][:3]
    if person is None or clerk is None or len(items) < 3:
        return ["no online filings: the demo has no person, clerk or items for them"]
    now = timezone.now()
    account, _ = Account.objects.get_or_create(
        mobile=DEMO_MOBILE, defaults={"created_at": now, "last_signed_in_at": now}
    )

    def draft(item, *, every: bool) -> Filing:
        filing = services.filing_start(
            account=account, applicant=person, project=None, items=[item], now=now
        )
        materials = services.filing_materials(filing)
        for n, material in enumerate(materials if every else materials[:1], 1):
            services.filing_upload(
                filing=filing,
                material=material,
                upload=ContentFile(DEMO_PDF, name=f"material-{n}.pdf"),
                now=now,
            )
        return filing

    draft(items[0], every=False)
    waiting = services.filing_submit(filing=draft(items[1], every=True), now=now)
    noticed = services.filing_submit(filing=draft(items[2], every=True), now=now)
    lines = list(noticed.materials.order_by("id"))
    counter.application_notify_missing_with_checklist(
        application=noticed,
        lines={
            line.pk: {"status": "missing", "note": "扫描件模糊不清，请重新上传清晰的彩色扫描件"}
            if n == 0
            else {"status": "received"}
            for n, line in enumerate(lines)
        },
        by=clerk,
        now=now,
    )
    return [
        f"online filings of {DEMO_MOBILE}: a draft, one waiting for pre-review "
        f"(application {waiting.pk}), one with a one-time notice outstanding "
        f"(application {noticed.pk}); the intake desk lists the waiting one online"
    ]
