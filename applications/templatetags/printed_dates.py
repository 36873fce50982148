"""Dates as the center's documents print them (年月日), from a date, a datetime or the ISO text
a document's content at issue holds (documents.snapshot)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


def _parse(value) -> dt.date | dt.datetime | None:
    if isinstance(value, str):
        if not value:
            return None
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value


@register.filter
def cn_date(value) -> str:
    """2026年10月9日"""
    day = _parse(value)
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


@register.filter
def cn_datetime(value) -> str:
    """2026年10月9日 14:05"""
    moment = _parse(value)
    if not isinstance(moment, dt.datetime):
        return cn_date(moment)
    return f"{cn_date(moment)} {moment:%H:%M}"


@register.filter
def w3c_date(value) -> str:
    """2026-10-09, for the PDF's metadata (dcterms.created)."""
    day = _parse(value)
    return day.isoformat()[:10] if day else ""
