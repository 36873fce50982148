from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_SEE = {"licences.view_licence", "licences.view_licenceuse", "licences.view_verification"}


class LicencesConfig(AppConfig):
    name = "licences"
    verbose_name = _("Licences and verification")

    role_permissions = {
        "administrator": _SEE
        | {
            "licences.view_materialbylicence",
            "licences.add_materialbylicence",
            "licences.change_materialbylicence",
            "licences.delete_materialbylicence",
            "licences.view_licenseditem",
            "licences.add_licenseditem",
            "licences.change_licenseditem",
            "licences.delete_licenseditem",
        },
        "center_manager": _SEE,
    }

    def ready(self) -> None:
        from applications.services import save_in_one_statement

        from .models import Licence

        # A licence is issued and its earlier ones superseded at every grant: each with its
        # history in one statement on PostgreSQL (nothing else listens to its saves).
        save_in_one_statement(Licence)

    # Hooks (approval_center/hooks.py): what licences add to the applications app.

    def document_verification(self, document, now) -> list:
        """A document's public verification, made at its first print."""
        from . import verification

        return [verification.for_document(document, now=now)]

    def document_signed(self, pdf, reason, location) -> list:
        """The center's signature on every issued PDF."""
        from . import signing

        return [signing.sign(pdf, reason=reason, location=location)]

    def decision_final(self, review, by, now, document, application) -> list:
        """An approval decision became final (decided, or countersigned): its licence."""
        from .services import licence_issue

        licence = licence_issue(
            review=review, by=by, now=now, decision=document, application=application
        )
        return [licence] if licence else []

    def approval_conditions(self, day) -> list:
        """`applications.projects.valid_approvals`: an approval whose licence is no longer in
        force on `day` (revoked, superseded, expired) is not held (one without a licence, from
        before licences were issued, still is)."""
        from django.db.models import Exists, OuterRef

        from .models import Licence, in_force

        return [~Exists(Licence.objects.filter(review=OuterRef("pk")).exclude(in_force(day)))]

    def project_licences(self, project) -> list:
        """The project's licences with their status today, for its page."""
        from .queries import of_project

        return of_project(project)

    def checklist_lines_added(self, application, lines, by, now) -> list:
        """New checklist lines: those a valid licence provides are filled by it."""
        from .services import fill_from_licences

        return fill_from_licences(application=application, lines=lines, by=by, now=now)

    def checklist_provided(self, application, today) -> list:
        """(line id, licence) of the lines a licence filled, each licence with its status."""
        from .services import provided_lines

        return provided_lines(application, today)

    def timeline_events(self, application) -> list:
        from .services import timeline_events

        return timeline_events(application)
