"""Pages in English say everything in English: Chinese appears only as data marked lang="zh"
(names of applicants, items, departments, people; what they wrote), so that it is read in a
Chinese voice (WCAG 3.1.2); and dates are written one way per language (approval_center/formats).

Each role's main pages are read as the test client gets them, in English and in Chinese.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from .applicant_helpers import rating_key
from .conftest import build_working_center
from .shared import shared_data

CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Text of these is not read as the page's words.
UNREAD = {"script", "style", "template", "svg"}
SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")


class Reading(HTMLParser):
    """The words of a page, each with the language it is marked in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []  # (tag, language)
        self.words: list[tuple[str, str, str]] = []  # (language, where, text)
        self.page_language = ""

    @property
    def language(self) -> str:
        return self.stack[-1][1] if self.stack else ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        language = attributes.get("lang", self.language) or ""
        if tag == "html":
            self.page_language = language
            self.stack.append((tag, language))
            return
        for name in SHOWN_ATTRIBUTES:
            if attributes.get(name):
                self.words.append((language, f"<{tag} {name}>", attributes[name]))
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.words.append((language, f"<{tag} value>", attributes.get("value") or ""))
        if tag not in VOID:
            self.stack.append((tag, language))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if data.strip() and not any(tag in UNREAD for tag, _ in self.stack):
            where = self.stack[-1][0] if self.stack else ""
            self.words.append((self.language, f"<{where}>", data.strip()))


def read(html: str) -> Reading:
    reading = Reading()
    reading.feed(html)
    return reading


def chinese_outside_zh(html: str) -> list[str]:
    """Chinese words not marked as Chinese. The title cannot mark a part: there, Chinese may only
    be a name that the page shows marked (a proper name, WCAG 3.1.2's exception)."""
    words = read(html).words
    marked = [text for language, _, text in words if language.lower().startswith("zh")]
    found = []
    for language, where, text in words:
        if not CHINESE.search(text) or language.lower().startswith("zh"):
            continue
        if where == "<title>" and all(
            any(run in name for name in marked) for run in re.findall(f"{CHINESE.pattern}+", text)
        ):
            continue
        found.append(f"{where} {text[:60]!r}")
    return found


def visible_text(html: str) -> str:
    """The page's words in its own language: on an English page, not the Chinese data marked
    lang="zh" (a message sent to the applicant in Chinese dates the Chinese way)."""
    reading = read(html)
    page = reading.page_language.lower()
    return " ".join(
        text
        for language, _, text in reading.words
        if page.startswith("zh") or not language.lower().startswith("zh")
    )


def pages_of(role: str, data: dict, center) -> list[str]:
    a, r, u = data["application"], data["review"], data["urge"]
    application = [f"/applications/{a.pk}/", f"/applications/{a.pk}/timeline/"]
    return {
        "dave": [
            "/intake/",
            *application,
            f"/reviews/{r.pk}/",
            f"/intake/applicants/{a.applicant_id}/",
            f"/intake/applicants/{a.applicant_id}/apply/",
            f"/search/?q={a.receipt_number}",
            "/catalog/",
            "/calendar/",
        ],
        "alice": [
            "/reviews/",
            f"/reviews/{r.pk}/",
            "/window/",
            "/supervision/windows/A05/",
            "/supervision/urges/",
            f"/supervision/urges/{u.pk}/",
            "/supervision/assessment/people/",
            *application,
        ],
        "bob": ["/reviews/", "/reviews/signature/", "/extensions/", "/supervision/assessment/"],
        "carol": ["/reviews/", "/department/", *application],
        "frank": ["/department/", "/reviews/countersign/", "/supervision/departments/fgj/"],
        "erin": [
            "/supervision/",
            "/supervision/urges/",
            "/supervision/meetings/",
            "/followups/",
            "/supervision/notices/",
            f"/supervision/reviews/{r.pk}/urge/",
            *application,
        ],
        "gwen": ["/extensions/", *application],
        "root": ["/administration/", "/audit/", "/second-factor/staff/", *application],
    }[role]


ROLES = ["dave", "alice", "bob", "carol", "frank", "erin", "gwen", "root"]
# A date as English pages write it (28 Sep 2026), as Chinese pages do (2026年9月28日), and as
# neither should: ISO in the text, Django's American defaults (Sept. 28, 2026; Sep 28, 2026).
EN_DATE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")
ZH_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
OTHER_DATES = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b(?!-)|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)[a-z]*\.? "
    r"\d{1,2}, \d{4}\b|\b\d{1,2}/\d{1,2}/\d{4}\b"
)


def get(client, path, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path, follow=True)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


class TestThePagesOfEveryRole:
    """Every test here only reads the pages (each test's writes, a session, are rolled back):
    the center and its work are built once for all of them (tests/shared.py)."""

    @pytest.fixture(scope="class")
    @classmethod
    def built(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with shared_data(django_db_blocker, tmp_path_factory.mktemp("media")) as run:
            yield run(build_working_center)

    @pytest.fixture
    def center(self, db, built):
        return built[0]

    @pytest.fixture
    def working_center(self, db, built):
        return built[1]

    @pytest.mark.parametrize("username", ROLES)
    def test_english_pages_show_chinese_only_as_marked_data(
        self, client, center, working_center, username
    ):
        client.force_login(getattr(center, username if username != "root" else "admin"))
        for path in pages_of(username, working_center, center):
            html = get(client, path, "en")
            assert '<html lang="en">' in html, path
            assert chinese_outside_zh(html) == [], path

    def test_the_applicant_s_pages_in_english_too(self, client, center, working_center):
        a = working_center["application"]
        paths = [
            "/accounts/login/",
            "/track/",
            f"/track/?number={a.receipt_number}&code={a.access_code}",
            f"/track/rate/{rating_key(working_center['delivered'])}/",
        ]
        for path in paths:
            html = get(client, path, "en")
            assert chinese_outside_zh(html) == [], path

    @pytest.mark.parametrize("username", ["dave", "alice", "erin"])
    def test_dates_are_written_one_way_per_language(self, client, center, working_center, username):
        client.force_login(getattr(center, username))
        english, chinese = [], []
        for path in pages_of(username, working_center, center):
            en = visible_text(get(client, path, "en"))
            zh = visible_text(get(client, path, "zh-hans"))
            assert not OTHER_DATES.search(en), (path, OTHER_DATES.search(en).group(0))
            assert not OTHER_DATES.search(zh), (path, OTHER_DATES.search(zh).group(0))
            assert not ZH_DATE.search(en), path
            assert not EN_DATE.search(zh), path
            english += EN_DATE.findall(en)
            chinese += ZH_DATE.findall(zh)
        # The pages do show dates, in each language its way.
        assert english and chinese


def test_the_reading_finds_chinese_outside_lang_zh():
    page = (
        '<html lang="en"><body><p>Applicant: <span lang="zh">青山公司</span></p>'
        '<p title="申请人">Name</p><p>受理</p><input type="submit" value="提交">'
        '<button lang="zh-hans">简体中文</button></body></html>'
    )
    assert chinese_outside_zh(page) == [
        "<p title> '申请人'",
        "<p> '受理'",
        "<input value> '提交'",
    ]
