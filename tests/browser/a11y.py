"""The accessibility check of a page in the browser tests (issue 21: GB/T 37668, WCAG 2.1 AA).

`check_page(page)` runs axe-core (the copy vendored in static/vendor/axe-core, put into the page
without the network) with the WCAG 2.0/2.1 A and AA rules, and the checks axe does not make
(a11y_checks.js): ids used twice, aria-describedby / aria-labelledby / label[for] naming ids that
are not there or say nothing, the skip link as the first Tab stop, Chinese text outside lang="zh"
on a page in another language.

`Guard` runs it on every page a browser test lands on (tests/browser/conftest.py): each page
checks itself when it has loaded and again after every change (messages, errors, search results),
the browser leaves a page only once it has been checked as it is, and the pages still open when a
test ends are checked before the test passes. The Django admin (/admin/) is Django's own and is not
checked; nor are files (PDF, CSV) and pages not of the server (about:blank, set_content).

axe-core runs once per shape of page in a test process (a11y_checks.js, `__a11yShape`): a page
whose elements, attributes, text and fields are those of a page axe-core passed, but for the digits
of its data (numbers, dates, object ids), gets the own checks only, which are exact and cheap; its
verdict would be the same. `PASSED` holds those shapes; A11Y_REUSE=0 runs axe-core on every page.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
CHECKS = Path(__file__).with_name("a11y_checks.js")
# WCAG 2.0 and 2.1, levels A and AA: what GB/T 37668-2019 asks of a web page.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass(frozen=True)
class Violation:
    url: str
    rule: str
    description: str
    selector: str
    html: str

    def __str__(self) -> str:
        return (
            f"{self.url}: {self.rule} at {self.selector}\n    {self.description}\n    {self.html}"
        )


def script() -> str:
    """axe-core and the own checks, as one script for a page."""
    return AXE.read_text(encoding="utf-8") + "\n;\n" + CHECKS.read_text(encoding="utf-8")


def check_page(page) -> list[Violation]:
    """The violations of the document now open in `page`, each with its rule and element.

    Evaluated rather than added as a <script>: the pages' Content Security Policy allows no
    inline script, and the tests must not weaken it. No network: the files are read here."""
    if not page.evaluate("typeof window.__a11yRun === 'function'"):
        page.evaluate(script() + "\n;undefined")
    url = page.url
    return [Violation(url=url, **v) for v in page.evaluate("window.__a11yRun", TAGS)]


def page_name(url: str, language: str) -> str:
    """The page as a kind, whatever its object: the URL pattern's name and the page's language."""
    from django.urls import Resolver404, resolve

    path = urlsplit(url).path
    try:
        name = resolve(path).view_name
    except Resolver404:
        name = re.sub(r"\d+", "<n>", path)
    return f"{name} [{language}]"


# Every address but the static files' (a regular expression the browser's side matches).
NOT_STATIC = re.compile(r"^(?!https?://[^/]+/static/)")
# How long a page may take to be checked before the browser may leave it.
PATIENCE = 30.0
# The shapes of the pages axe-core passed in this process (a11y_checks.js, __a11yShape): a page
# of a shape in it gets only the own checks, axe-core's verdict is the same. A11Y_REUSE=0 runs
# axe-core on every page.
PASSED: set[str] = set()
REUSE = os.environ.get("A11Y_REUSE") != "0"


@dataclass
class Guard:
    """Checks every page the browser tests land on; see the module's docstring.

    The check runs in the page (a11y_checks.js, put into every document of the context before its
    own scripts) at its load event and after each change, and reports through a binding. Playwright
    cannot evaluate in a page whose next navigation is held, so the page checks itself; a
    navigation away (seen by a route on every request) waits until the page has been checked."""

    violations: list[Violation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    loads: int = 0  # documents checked
    runs: int = 0  # checks run (a page is checked again after it changes)
    reused: int = 0  # of which axe-core's verdict on a page of the same shape was reused
    pages: Counter = field(default_factory=Counter)
    active: bool = True
    # the latest document of each page: [document, settled]
    _latest: dict = field(default_factory=dict)
    _seen: set = field(default_factory=set)
    _checked_documents: set = field(default_factory=set)

    def attach(self, context) -> None:
        context.expose_binding("__a11yReport", self._on_report)
        passed = f"new Set({json.dumps(sorted(PASSED))})" if REUSE else "null"
        context.add_init_script(
            script=script() + f"\n;window.__a11yPassed = {passed};window.__a11yWatch({TAGS!r});"
        )
        # Not the static files: each request routed waits for this process, and a page's own
        # script (app.js) arriving late would race with the test's first keystrokes.
        context.route(NOT_STATIC, self._on_request)
        close = context.close

        def close_checked(*args, **kwargs):
            # A test that closes its own context: its pages are checked before they go.
            self.settle(context.pages)
            return close(*args, **kwargs)

        context.close = close_checked

    def _on_report(self, source, kind: str, document: str, payload: dict) -> None:
        page = source["page"]
        if kind in ("begin", "dirty"):
            self._latest[page] = [document, False]
            return
        self._latest[page] = [document, payload["settled"]]
        if payload.get("skipped") or not self.active:
            return
        self.runs += 1
        if payload.get("known"):
            self.reused += 1
        elif payload.get("shape"):  # axe-core and the own checks passed it
            PASSED.add(payload["shape"])
        if document not in self._checked_documents:
            self._checked_documents.add(document)
            self.loads += 1
            self.pages[page_name(payload["url"], payload.get("lang", ""))] += 1
        if "error" in payload:
            self.errors.append(f"{payload['url']}: the check failed: {payload['error']}")
        for found in payload.get("violations", []):
            violation = Violation(url=payload["url"], **found)
            key = (urlsplit(violation.url).path, violation.rule, violation.selector)
            if key not in self._seen:
                self._seen.add(key)
                self.violations.append(violation)

    def _on_request(self, route) -> None:
        request = route.request
        try:
            frame = request.frame if request.is_navigation_request() else None
        except Exception:  # a new page's first request: it leaves no page
            frame = None
        try:
            if frame is not None and frame.parent_frame is None:
                self.wait(frame.page)
        finally:
            route.fallback()

    def wait(self, page) -> None:
        """Until the document open in `page` has been checked as it is now."""
        started = time.monotonic()
        while (
            self.active
            and not page.is_closed()
            and page in self._latest
            and not self._latest[page][1]
        ):
            if time.monotonic() - started > PATIENCE:
                self.errors.append(f"{page.url}: not checked within {PATIENCE:.0f} s")
                self._latest[page][1] = True
                return
            page.wait_for_timeout(20)

    def settle(self, pages) -> None:
        """Check the pages still open: each loaded, then checked as it is now."""
        for page in list(pages):
            if not page.is_closed():
                page.wait_for_load_state("load")
                self.wait(page)

    def failures(self) -> list[str]:
        return [str(v) for v in self.violations] + self.errors
