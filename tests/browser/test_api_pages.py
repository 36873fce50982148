"""The integration API's pages in a browser: the documentation page (Swagger UI from the
project's own static files, under the project's CSP) and the administrators' client pages,
with accessibility checked on every page (tests/browser/a11y.py)."""

from __future__ import annotations

import re

from .a11y import check_page
from .test_csp import sign_in

# Swagger UI puts a button inside the summary button of each operation: its own structure, not
# changed by a stylesheet. Every other rule of axe-core holds on the page (the colours are
# darkened by static/css/api-docs.css).
SWAGGER_UI_OWN = {"nested-interactive"}


def test_the_docs_page_renders_offline_under_the_policy(page, live_server, db, shot):
    violations: list[str] = []
    outside: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(live_server.url) else None
        ),
    )
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert response.status == 200
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() == 6
    assert page.get_by_text("/api/v1/applications/").first.is_visible()
    shot("api-docs")
    assert violations == [] and outside == []
    found = check_page(page)
    assert {v.rule for v in found} == SWAGGER_UI_OWN, [str(v) for v in found]
    assert all(v.selector.endswith(".opblock-summary-control") for v in found)


def test_an_administrator_registers_a_client_and_reads_its_token_once(
    page, live_server, center, shot
):
    sign_in(page, live_server, "root")
    page.goto(f"{live_server.url}/administration/")
    # By address and field names: the labels are translated (locale/, compiled by the lead).
    page.locator("a[href='/administration/api-clients/']").click()
    page.locator("input[name=name]").fill("省政务服务平台")
    page.locator("input[value='read:applications']").check()
    page.locator("input[value='write:ratings']").check()
    page.get_by_test_id("register-form").locator("button[type=submit]").click()
    token = page.get_by_test_id("api-token").inner_text()
    assert re.fullmatch(r"ac_[\w-]{50,}", token)
    shot("api-token")
    page.locator("section a.button[href='/administration/api-clients/']").click()
    assert token not in page.content()
    shot("api-clients")
    page.locator("a[href='/administration/api-clients/calls/']").click()
    shot("api-calls")
