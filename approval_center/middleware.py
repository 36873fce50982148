"""Middleware of the whole site: hostile input turned away, personal data never cached."""

from __future__ import annotations

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
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return render(request, "400.html", status=400)
        return self.get_response(request)


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
