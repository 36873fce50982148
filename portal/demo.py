"""The demo's applicant (docs/portal.md): one mobile number a visitor signs in with on `/my/`.

`make run` shows SMS in its terminal (the log gateway, development only), so the visitor reads
the code there. The number is made the registered mobile of a company whose results were just
handed over and not rated (the portal offers the rating), of a company with an application
whose time is stopped for supplements, and of one person: their applications make the list.
"""

from __future__ import annotations

from applications.models import Applicant, Application, DepartmentReview

DEMO_MOBILE = "13800138000"


def seed_demo_portal() -> list[str]:
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
