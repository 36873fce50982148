"""The cursor and the one shape of error answer (REST_FRAMEWORK in settings), and how the
schema names the token.

- `Cursor`: opaque cursors over a unique key (`id`), 100 a page, up to 500; a cursor the API
  did not make, or a page size out of range: 400.
- `exception_handler`: every error is `{"detail": "…"}`, with `errors` per field when the body
  or the query was wrong.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.views import exception_handler as drf_exception_handler

PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


class Cursor(CursorPagination):
    ordering = "id"
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def decode_cursor(self, request):
        refused = exceptions.ValidationError(
            {"cursor": _("This cursor is not one the API gave: start again without it.")}
        )
        if request.query_params.get(self.cursor_query_param) == "":
            raise refused  # an empty cursor, as any empty parameter: DRF would read page one
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as error:
            raise refused from error
        # Well-formed base64 of a position that is no id ("p=abc"): refused the same way.
        if cursor is not None and cursor.position is not None:
            try:
                int(cursor.position)
            except (TypeError, ValueError) as error:
                raise refused from error
        return cursor

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    "page_size": _("The page size is a number from 1 to %(max)d.")
                    % {"max": MAX_PAGE_SIZE}
                }
            )
        return size


def exception_handler(error, context):
    """DRF's answer, in one shape: `detail` a sentence, `errors` the messages per field."""
    response = drf_exception_handler(error, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        response.data = {"detail": str(data["detail"])}
    else:
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        errors = {
            str(field): [str(message) for message in _flat(messages)]
            for field, messages in errors.items()
        }
        first = next(iter(errors.values()), [""])
        response.data = {"detail": first[0] if first else "", "errors": errors}
    return response


def _flat(messages) -> list:
    if isinstance(messages, dict):
        return [item for value in messages.values() for item in _flat(value)]
    if isinstance(messages, list | tuple):
        return [item for value in messages for item in _flat(value)]
    return [messages]
