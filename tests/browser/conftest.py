"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

Screenshots go to test-artifacts/screenshots/ (README: "Screenshots"), so a person can look at
what the tests saw.
"""

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from .a11y import Guard

# Playwright's sync API runs an event loop in the test thread; the ORM calls the fixtures make
# there are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's chromium: Playwright's own browser download is not available here.
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A counter PC in the center: a Chinese browser on a 1366×768 screen.
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def shot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as error:
            # Chromium under load sometimes answers "Unable to capture screenshot" for a page
            # still laying out: the picture is for a person to read, so once more when the page
            # has settled (a second failure fails the test).
            if "Unable to capture screenshot" not in str(error):
                raise
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


# Accessibility on every page every browser test lands on (tests/browser/a11y.py): each page is
# checked when it has loaded and after each change, before the browser leaves it and before the
# test passes; a violation fails the test.
A11Y = pytest.StashKey()
A11Y_TOTAL = Guard()


@pytest.fixture(autouse=True)
def accessibility(request):
    # A11Y_OFF=1 leaves the check out, to time the tests without it.
    if "browser" not in request.fixturenames or os.environ.get("A11Y_OFF"):
        yield None
        return
    browser = request.getfixturevalue("browser")
    guard = Guard()
    new_context = browser.new_context

    def new_context_checked(*args, **kwargs):
        context = new_context(*args, **kwargs)
        guard.attach(context)
        return context

    browser.new_context = new_context_checked  # the `page` fixture's context and a test's own
    request.node.stash[A11Y] = guard
    yield guard
    guard.active = False
    del browser.new_context
    A11Y_TOTAL.loads += guard.loads
    A11Y_TOTAL.runs += guard.runs
    A11Y_TOTAL.reused += guard.reused
    A11Y_TOTAL.pages.update(guard.pages)
    A11Y_TOTAL.violations.extend(guard.violations)
    A11Y_TOTAL.errors.extend(guard.errors)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield  # a test that failed already fails for its own reason
    guard = item.stash.get(A11Y, None)
    if guard is not None and guard.active:
        for context in item.funcargs.get("browser").contexts if "browser" in item.funcargs else []:
            guard.settle(context.pages)
        guard.active = False
        if failures := guard.failures():
            pytest.fail(
                f"{len(failures)} accessibility violation(s):\n" + "\n".join(failures),
                pytrace=False,
            )
    return result


def _worker() -> str | None:
    return os.environ.get("PYTEST_XDIST_WORKER")


# The three below are called by tests/conftest.py's hooks: the run's own process of pytest-xdist
# collects nothing, so it never loads this file as a conftest.


def session_start() -> None:
    if _worker() is None:  # the run's own process: no counts of an earlier run are added in
        for stale in SCREENSHOTS.parent.glob("a11y-gw*.json"):
            stale.unlink()


def session_finish() -> None:
    # A worker of pytest-xdist hands its counts to the run's own process through a file.
    if _worker() is not None and A11Y_TOTAL.loads:
        SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS.parent / f"a11y-{_worker()}.json").write_text(
            json.dumps(
                {
                    "loads": A11Y_TOTAL.loads,
                    "runs": A11Y_TOTAL.runs,
                    "reused": A11Y_TOTAL.reused,
                    "pages": dict(A11Y_TOTAL.pages),
                    "violations": len(A11Y_TOTAL.violations),
                    "errors": len(A11Y_TOTAL.errors),
                }
            ),
            encoding="utf-8",
        )


def terminal_summary(terminalreporter) -> None:
    if _worker() is not None:
        return
    loads, runs, reused = A11Y_TOTAL.loads, A11Y_TOTAL.runs, A11Y_TOTAL.reused
    pages = Counter(A11Y_TOTAL.pages)
    violations, errors = len(A11Y_TOTAL.violations), len(A11Y_TOTAL.errors)
    for handed in SCREENSHOTS.parent.glob("a11y-gw*.json"):
        counts = json.loads(handed.read_text(encoding="utf-8"))
        loads, runs = loads + counts["loads"], runs + counts["runs"]
        reused += counts.get("reused", 0)
        pages.update(counts["pages"])
        violations, errors = violations + counts["violations"], errors + counts["errors"]
    if loads:
        terminalreporter.write_line(
            f"accessibility: {loads} page loads checked ({runs} checks, {reused} of them "
            "on a page of a shape axe-core had passed: the own checks only), "
            f"{len(pages)} distinct pages, {violations} violations, "
            f"{errors} checks that did not run"
        )
        # The pages checked, by URL name and language, with how often: for a person to read.
        listing = SCREENSHOTS.parent / "a11y-pages.txt"
        listing.parent.mkdir(parents=True, exist_ok=True)
        listing.write_text(
            "".join(f"{count:4} {name}\n" for name, count in sorted(pages.items())),
            encoding="utf-8",
        )
