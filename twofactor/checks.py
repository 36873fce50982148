"""`manage.py check --deploy` warns when production runs without the second factor."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def second_factor_required(app_configs, **kwargs) -> list[Warning]:
    if getattr(settings, "IS_PRODUCTION", False) and not settings.OTP_REQUIRED:
        return [
            Warning(
                "OTP_REQUIRED is off in production: administrators and center managers sign in "
                "with a password alone.",
                hint="Remove OTP_REQUIRED from the environment (on by default in production); "
                "privileged accounts need a second factor (等保 2.0 level 3).",
                id="twofactor.W001",
            )
        ]
    return []
