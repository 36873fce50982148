from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    role_permissions = {
        "administrator": {
            "supervision.view_card",
            "supervision.view_urgenotice",
            "supervision.view_meeting",
            "supervision.view_helpnote",
            # The efficiency assessment's weights and grade marks (supervision/assessment.py).
            "supervision.view_assessmentweights",
            "supervision.change_assessmentweights",
        },
        "center_manager": {
            "supervision.view_card",
            "supervision.view_urgenotice",
            "supervision.view_meeting",
            "supervision.view_helpnote",
        },
    }

    def seed_demo(self, *, today) -> list[str]:
        from applications.notifications import demo_past

        from .assessment_demo import seed_assessment_demo
        from .demo import seed_demo_supervision
        from .live import forget_past_days

        # The assessment's past month first, so the cards of the past cover it too.
        with demo_past():
            assessment = seed_assessment_demo(today=today)
            lines = assessment + seed_demo_supervision(today=today)
        forget_past_days()  # the demo wrote past days: the dashboard reads them afresh
        return lines

    # Hooks (approval_center/hooks.py): what supervision adds to the applications app's pages.

    def timeline_events(self, application) -> list:
        from .acting import timeline_events

        return timeline_events(application)

    def project_meetings(self, project, user) -> list:
        from .acting import project_meetings

        return project_meetings(project, user)

    def project_actions(self, project, user) -> list:
        from .acting import project_actions

        return project_actions(project, user)

    def application_actions(self, application, user) -> list:
        from .acting import application_actions

        return application_actions(application, user)

    def queue_notices(self, user) -> list:
        from .acting import queue_notices

        return queue_notices(user)
