"""No input gives a 500 (DESIGN.md section 11: bad input gets a clear message and changes nothing).

Every URL pattern of the resolver (the rows and samples of docs/access.md, as tests/test_access.py
reads them) is requested anonymously and as the person of each role, GET and POST, with hostile
values in every query and form parameter a view reads: the names of every field of the project's
forms and a fixed list of common names, all at once, one hostile value per request. Every value
and hostile path is sent as the first role the URL lets in; the other roles get the NUL (about
4,300 requests, one test per row of the table so that pytest-xdist spreads them). Path
parameters get the hostile values their converter lets through (a huge number for `<int:>`, a NUL
and a very long text for `<str:>` and `<slug:>`). No answer may be a 500 (the client raises the
view's exception, so an unhandled error fails the test with its traceback).

The people, the samples and the transaction of each request are test_access.py's, so one
center is built for all the rows a process walks (tests/shared.py).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django import forms
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from .shared import shared_data
from .test_access import (
    PATTERNS,
    ROWS,
    admin_target,
    admin_url,
    build_samples,
    people,
    row_for,
    sample_kwargs,
)
from .test_access import private_media as private_media
from .test_access import samples as samples

HOSTILE = [
    "a\x00b",
    "x" * 10_000,
    "-1",
    "99999999999999999999",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "x",
    "",
    "2026-13",
]
# The names views read from request.GET / request.POST besides their forms' fields.
COMMON = [
    *("page", "day", "start", "days", "period", "department", "window", "q", "number", "code"),
    *("year", "month", "date", "state", "line", "next", "kind", "key", "figure", "o", "p"),
    *("e", "action", "outcome", "receipt_number", "access_code", "level", "comment", "reason"),
    *("m-TOTAL_FORMS", "m-INITIAL_FORMS", "m-MIN_NUM_FORMS", "m-MAX_NUM_FORMS", "m-0-id"),
    *("m-0-status", "m-0-copies", "m-0-note", "language"),
]
FORM_MODULES = [
    "applications.forms",
    "supervision.forms",
    "windows.views",
    "windows.guide_views",
    "windows.admin",
    "audit.views",
    "twofactor.forms",
    "loading.forms",
]


def form_fields() -> dict[str, str]:
    """Each parameter name, with its kind: `date`, `datetime`, `number` or `text`."""
    kinds = dict.fromkeys(COMMON, "text")
    kinds |= dict.fromkeys(("day", "start", "date"), "date")
    kinds |= dict.fromkeys(("page", "days", "year", "month", "line", "level"), "number")
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                for name, field in cls.base_fields.items():
                    if isinstance(field, forms.DateTimeField):
                        kinds[name] = "datetime"
                    elif isinstance(field, forms.DateField):
                        kinds[name] = "date"
                    elif isinstance(field, forms.IntegerField | forms.ModelChoiceField):
                        kinds[name] = "number"
                    else:
                        kinds.setdefault(name, "text")
    return kinds


KINDS = form_fields()
NAMES = sorted(KINDS)
# Values of the right shape but out of range, each kind at once (a form with an invalid number
# never reaches its date): the dates and numbers of each profile, the rest a plain text.
PROFILES = [
    {"date": "9999-12-31", "datetime": "9999-12-31 23:59", "number": "400"},
    {"date": "9999-12-01", "datetime": "9999-12-31T23:59", "number": "99999999999999999999"},
    {"date": "0001-01-01", "datetime": "0001-01-01 00:00", "number": "1"},
    {"date": "0001-01-01", "datetime": "0001-01-01T00:00", "number": "-1"},
]


def profile_data(profile: dict[str, str]) -> dict[str, str]:
    return {name: profile.get(kind, "协调") for name, kind in KINDS.items()}


DENIED = {"login", "403", "404", "405"}


def hostile_paths(url: str, route: str, values: list[str]) -> list[str]:
    """The sample URL with each path parameter in turn replaced by the values its converter
    accepts (the route's converters say which)."""
    found = []
    converters = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    if not converters:
        return found
    # The sample URL's segments line up with the route's: replace one parameter at a time.
    route_parts = re.split(r"(<[^>]+>)", route)
    pattern = "".join(
        "([^/]+?)" if part.startswith("<") else re.escape(part) for part in route_parts
    )
    match = re.search(pattern + "$", url.lstrip("/"))
    if match is None:
        return found
    for index, (converter, _name) in enumerate(converters, start=1):
        if converter in ("int",):
            candidates = ["99999999999999999999", "0"]
        elif converter in ("str", "slug", ""):
            candidates = [v for v in values if v and "/" not in v]
            if converter == "slug":
                candidates = [v for v in candidates if re.fullmatch(r"[-a-zA-Z0-9_]+", v)]
        else:
            continue
        start, end = match.span(index)
        base = url.lstrip("/")
        for value in candidates:
            found.append("/" + base[:start] + quote(value, safe="") + base[end:])
    return found


def send(client, method: str, url: str, value: str | dict | None):
    """One request in a transaction rolled back afterwards: a POST leaves nothing behind."""
    cookies = copy.deepcopy(client.cookies)  # signing out or switching language is undone too
    with transaction.atomic():
        if isinstance(value, dict):
            data = profile_data(value)
        else:
            data = {name: value for name in NAMES} if value is not None else {}
        if method == "GET":
            response = client.get(url + ("?" + urlencode(data) if data else ""))
        else:
            response = client.post(url, data)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


class TestNoInputGivesA500:
    """The walk, one test per row of the table (the URLs it covers): every request is rolled
    back (send), so the center and the samples are built and the people signed in once for all
    of them, as for test_access.py's table (tests/shared.py), and pytest-xdist spreads the rows
    over its workers."""

    @pytest.fixture(scope="class")
    @classmethod
    def built(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with shared_data(django_db_blocker, tmp_path_factory.mktemp("media")) as run:
            yield run(build_samples)

    @pytest.fixture
    def own_cache(self):
        """The rows share the cache of the data built once (tests/shared.py), as the walk did
        when it was one test: what one request kept (the calendar, the past days of the
        dashboard, a rate limit) is there for the next, not built again for each row."""

    @pytest.fixture(scope="class")
    @classmethod
    def walked(cls):
        """The requests and failures of each row, written to test-artifacts/ at the end (one
        file per process: each worker of pytest-xdist walks some of the rows)."""
        found: dict[str, tuple[int, list[str]]] = {}
        yield found
        if found:
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            requests = sum(count for count, _failures in found.values())
            failures = [f for _count, row_failures in found.values() for f in row_failures]
            Path("test-artifacts").mkdir(exist_ok=True)
            Path(f"test-artifacts/hostile-input-{connection.vendor}-{worker}.txt").write_text(
                f"{requests} hostile requests ({len(found)} rows)\n" + "\n".join(failures) + "\n",
                encoding="utf-8",
            )

    @pytest.mark.parametrize("row", ROWS, ids=[row.key for row in ROWS])
    def test_no_input_gives_a_500(self, db, row, built, walked, pdf_once, time_machine):
        # The clock stands still during the row's walk: a PDF that prints its time (the
        # statistics, the assessment) is then the same page for the same person and values,
        # laid out once (pdf_once) rather than once a second.
        time_machine.move_to(timezone.now(), tick=False)
        center, samples, sessions = built
        requests, failures = walk(row, center, samples, sessions)
        walked[row.key] = (requests, failures)
        print(f"\n{requests} hostile requests")
        assert requests > 0
        assert failures == [], "\n".join(failures[:80]) + f"\n({len(failures)} in all)"


def walk(row, center, samples, sessions) -> tuple[int, list[str]]:
    """Every hostile request of the URLs of `row`: how many, and those answered with a 500."""
    requests = 0
    failures = []
    clients = {}
    for column in people(center):
        clients[column] = Client(raise_request_exception=True)
        clients[column].cookies = copy.deepcopy(sessions[column])
    for pattern in PATTERNS:
        if row_for(pattern, ROWS) != row:
            continue
        if row.key.startswith("admin") or pattern.route.startswith("admin"):
            model_admin = admin_target(pattern)
            url = admin_url(pattern, model_admin, row, samples)
            # Only the staff of the admin get past its sign-in page.
            columns = ["administrator"]
            methods = ["GET"]
            full = pattern.name is None or pattern.name.endswith("_changelist")
        else:
            from django.urls import reverse

            url = reverse(row.key, kwargs=sample_kwargs(row, samples))
            columns = list(clients)
            methods = ["GET", "POST"]
            full = True
        walked = False  # every hostile value, once per URL; NUL and long text for the rest
        for column in columns:
            # Those turned away before the view reads anything get the NUL only; of those let
            # in, the first gets every value and hostile paths, the others the NUL (the view
            # parses the same parameters whoever asks: this keeps the walk short).
            allowed = row.expected.get(column) not in DENIED
            every = allowed and full and not walked
            walked = walked or every
            values = HOSTILE if every else HOSTILE[:1]
            targets = [(url, value) for value in values]
            if every:
                targets += [(url, profile) for profile in PROFILES]
                targets += [(path, None) for path in hostile_paths(url, pattern.route, values)]
            for method in methods:
                if method == "POST" and not allowed:
                    continue
                for target, value in targets:
                    requests += 1
                    try:
                        status = send(clients[column], method, target, value).status_code
                    except Exception as error:
                        status = f"{type(error).__name__}: {str(error)[:120]}"
                    if status == 500 or isinstance(status, str):
                        shown = repr(value)[:30] if value is not None else "(path)"
                        failures.append(
                            f"{method} {target[:100]} as {column} with {shown}: {status}"
                        )
    return requests, failures


@pytest.mark.parametrize(
    "path",
    ["/catalog/?q=a%00b", "/windows/A%0005/", "/calendar/?start=%00&days=3"],
)
def test_a_nul_byte_is_a_bad_request(client, center, path):
    client.force_login(center.alice)
    response = client.get(path)
    assert response.status_code == 400


def test_the_calendar_refuses_a_start_beyond_the_years_of_work(client, center, calendar):
    client.force_login(center.alice)
    response = client.get("/calendar/", {"start": "9999-12-01", "days": "400"})
    assert response.status_code == 200
    assert "2000年1月1日" in response.content.decode()  # the field's message gives the range
    response = client.get("/calendar/", {"start": "0001-01-01", "days": "400"})
    assert response.status_code == 200


def test_a_meeting_held_in_year_one_is_refused_and_nothing_is_convened(client, center, accepted):
    from supervision.models import Meeting

    client.force_login(center.erin)
    response = client.post(
        f"/supervision/applications/{accepted.pk}/meetings/new/",
        {
            "held_at": "0001-01-01T00:00",
            "place": "会议室",
            "departments": [center.construction.pk],
            "agenda": "协调",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "请输入2000年1月1日至2100年12月31日之间的日期" in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_bare_word_to_go_back_to_is_not_followed(client, center, samples):
    client.force_login(center.erin)
    extension = samples["extension"]
    response = client.post(f"/extensions/{extension.pk}/refuse/", {"next": "x", "note": "否"})
    assert response.status_code == 302
    assert response["Location"] == "/extensions/"
