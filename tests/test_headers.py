"""Response headers: a Content Security Policy without inline script or style, frame denial,
nosniff, a referrer policy, HSTS in production; and production settings pass check --deploy."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_carries_the_policy_and_the_headers(client, center):
    client.force_login(center.dave)
    for url in (reverse("login"), reverse("applications:intake"), reverse("windows:catalog")):
        response = client.get(url)
        policy = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert policy["default-src"] == "'self'"
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_hsts_over_https_in_production(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000; includeSubDomains")


def test_templates_have_no_inline_script_or_handlers():
    """What the policy would block: inline <script>, on...= handlers, javascript: links, and
    style attributes (allowed only in the printed documents, which WeasyPrint renders, and in
    the e-mails to applicants, whose mail programs read no stylesheet: no browser ever receives
    either as a page)."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(ROOT))
        for match in re.finditer(r"<script\b[^>]*>", text):
            if "src=" not in match.group(0):
                offenders.append(f"{name}: inline script")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{name}: event handler attribute")
        if "javascript:" in text:
            offenders.append(f"{name}: javascript: address")
        if re.search(r"\sstyle\s*=", text) and not re.search(r"/(documents|notifications)/", name):
            offenders.append(f"{name}: style attribute")
    assert offenders == []


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-8f3a9c",
        "ALLOWED_HOSTS": "approval.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://approval.example.org",
        "SIGNING_PKCS12_PATH": str(tmp_path / "signing.p12"),  # read at the first signature
        "VAR_DIR": str(tmp_path),
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests, never in production
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
