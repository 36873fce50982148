"""The health report on the command line, for container healthchecks and operators.

manage.py healthcheck                  # all four checks; exit 1 unless all pass
manage.py healthcheck --only beat      # the beat container: is the heartbeat fresh?
manage.py healthcheck --http URL       # the web container: does the server answer /healthz?
"""

import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from operations import health


class Command(BaseCommand):
    help = "Prints the health report (database, broker, beat, backup); exits 1 when a check fails."

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=["database", "broker", "beat", "backup"])
        parser.add_argument(
            "--http",
            metavar="URL",
            help="ask a running web server instead; it is alive if it answers with the report, "
            "even a 503 (restarting the web server does not repair the database)",
        )

    def handle(self, *args, only: str | None = None, http: str | None = None, **options):
        if http:
            return self._http(http)
        ok, body = health.report(now=timezone.now())
        self.stdout.write(json.dumps(body, ensure_ascii=False))
        if not (body[only]["ok"] if only else ok):
            raise CommandError(f"unhealthy: {only or body['status']}", returncode=1)

    def _http(self, url: str) -> None:
        # The Host header must be one the server accepts.
        host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
        request = urllib.request.Request(url, headers={"Host": host})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as error:
            if error.code != 503:
                raise CommandError(f"{url} answered {error.code}", returncode=1) from error
            body = error.read()
        except OSError as error:
            raise CommandError(f"{url}: {error}", returncode=1) from error
        self.stdout.write(json.loads(body)["status"])
