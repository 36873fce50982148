"""The Content Security Policy in a real browser: every kind of page, the admin included, loads
its scripts and styles without a single violation (Chromium reports each one on the console)."""

from ..conftest import PASSWORD


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Signed in once the browser has left the sign-in page: the next goto would cancel the POST.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_no_page_breaks_the_policy(page, live_server, center, accepted, shot):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(f"{page.url}: {error}"))
    review = accepted.reviews.get(item=center.permit)
    slip = accepted.documents.first()
    visits = {
        "dave": [
            "/intake/",
            "/intake/online/",
            f"/applications/{accepted.pk}/",
            f"/applications/{accepted.pk}/timeline/",
            f"/intake/applicants/{accepted.applicant_id}/apply/",
        ],
        "bob": ["/reviews/", f"/reviews/{review.pk}/", "/window/", "/calendar/", "/catalog/"],
        "erin": ["/supervision/", "/supervision/notices/"],
        "root": [
            "/administration/",
            "/admin/",
            "/admin/windows/item/",
            f"/admin/windows/item/{center.permit.pk}/change/",
            f"/admin/windows/authorizationletter/{center.letter.pk}/change/",
            "/admin/windows/staff/add/",
            f"/admin/windows/item/{center.permit.pk}/history/",
        ],
    }
    page.goto(f"{live_server.url}/accounts/login/")
    for username, paths in visits.items():
        sign_in(page, live_server, username)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            policy = response.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    # The search-as-you-type and the filter run under the policy (they are static/js/app.js).
    sign_in(page, live_server, "dave")
    page.goto(f"{live_server.url}/intake/")
    page.locator("input[data-search]").fill("青山")
    page.locator("#search-results a, [id$=results] a").first.wait_for()
    response = page.goto(f"{live_server.url}/documents/{slip.pk}.pdf")
    assert response.headers["content-type"] == "application/pdf"
    shot("csp-intake")
    assert violations == []
