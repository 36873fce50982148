from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwofactorConfig(AppConfig):
    """The second factor of privileged accounts: enrolment, the verification step after the
    password, recovery codes and their reset (DESIGN.md section 11, 等保 2.0 level 3).

    It builds on `windows/` (the staff and their roles) and django-otp (the devices); no app
    imports it: the header reads it through its context processor.
    """

    name = "twofactor"
    verbose_name = _("Second factor")

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the production check)
