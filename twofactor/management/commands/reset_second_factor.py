"""The server operator's way back in when no other administrator can reset a second factor (the
only administrator lost both the phone and the recovery codes). Recorded as the system's reset."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from twofactor import services
from windows.models import Staff


class Command(BaseCommand):
    help = "Take away a person's authenticator and recovery codes; they enrol again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why: kept in the audit trail.")

    def handle(self, *args, username: str, reason: str, **options) -> None:
        person = Staff.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"there is no staff member {username}")
        try:
            services.second_factor_reset(staff=person, by=None, reason=reason, now=timezone.now())
        except services.SecondFactorError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"second factor of {username} reset: they enrol at the next sign-in")
