"""Middleware of the whole site: hostile input turned away, personal data never cached, Chinese
words marked as Chinese on pages in another language."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


class RejectNulMiddleware:
    """A NUL character in the path or a query parameter is a 400 with a page saying so, before any
    view reads it (a database refuses NUL in text; no one types one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            return render(request, "400.html", status=400)
        return self.get_response(request)


def has_nul(request: HttpRequest) -> bool:
    """A NUL character in the path, a query parameter's name or one of its values."""
    return "\x00" in request.path or any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


class NoStoreMiddleware:
    """`Cache-Control: no-store` (with Django's other never-cache headers) on every answer to a
    signed-in person and on every file sent (documents, scans, exports): staff pages and files
    hold personal data that no browser or proxy cache may keep."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or response.has_header("Content-Disposition"):
            add_never_cache_headers(response)
        return response


# Han characters and the Chinese punctuation around them (、，。：（）〔〕, the full-width forms).
_CHINESE = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
# A run of Chinese: from a Chinese character to the last one before Latin letters, an entity or
# a tag; digits, spaces and signs between belong to it (临环委〔2026〕1号, 王芳 · 李明).
_RUN = re.compile(f"[{_CHINESE}](?:[{_CHINESE}0-9 \\t\\n·.,:;/()\\-]*[{_CHINESE}])?")
# The pieces of an HTML page: elements whose text must stay as it is (a span inside them would be
# shown as text or break them), an option with its text, any other tag; the text is between.
_KEPT = "script|style|textarea|title|svg"
_TAG = r"<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
_PIECES = re.compile(
    rf"<!--.*?-->|<({_KEPT})\b.*?</\1\s*>|(<option\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>([^<]*)|{_TAG}",
    re.S | re.I,
)
_LANG_ZH = re.compile(r"""\slang=["']?zh""", re.I)


def mark_chinese(html: str) -> str:
    """The page with every run of Chinese text in a `<span lang="zh">`, and every option whose
    label is Chinese marked `lang="zh"`, so that a screen reader reads the names of applicants,
    items, departments and people in a Chinese voice on an English page (WCAG 3.1.2, language
    of parts). Text already inside an element marked Chinese (the language switcher) is left."""
    out: list[str] = []
    position = 0
    zh_before = False  # the text follows a start tag marked lang="zh"
    for piece in _PIECES.finditer(html):
        text = html[position : piece.start()]
        out.append(text if zh_before else _RUN.sub(_span, text))
        tag, label = piece.group(2), piece.group(3)
        if tag is not None:
            chinese = _RUN.search(label) and not _LANG_ZH.search(tag)
            out.append(f'{tag} lang="zh">{label}' if chinese else piece.group(0))
        else:
            out.append(piece.group(0))
        zh_before = bool(_LANG_ZH.search(piece.group(0))) and not piece.group(0).startswith("</")
        position = piece.end()
    out.append(_RUN.sub(_span, html[position:]))
    return "".join(out)


def _span(run: re.Match) -> str:
    return f'<span lang="zh">{run.group(0)}</span>'


class ChineseTextMiddleware:
    """On a page in a language other than Chinese, Chinese words carry lang="zh" (mark_chinese):
    the catalog, the applicants, the people and what they wrote are Chinese data in every
    language of the pages, and no template has to remember it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        language = getattr(request, "LANGUAGE_CODE", "") or ""
        if (
            language.startswith("zh")
            or response.streaming
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        charset = response.charset or "utf-8"
        page = response.content.decode(charset)
        marked = mark_chinese(page)
        if marked != page:
            response.content = marked.encode(charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
