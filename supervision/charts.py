"""Charts drawn on the server as SVG geometry: no script, no outside library, prints as is."""

from __future__ import annotations

from django.utils.formats import date_format

WIDTH, HEIGHT, GAP = 600, 90, 2


def daily_bars(rows: list[dict], key: str, calendar=None) -> dict:
    """One bar per day for `key` of `last_days` rows, scaled to the largest value."""
    highest = max((row[key] for row in rows), default=0)
    top = highest or 1  # the scale: an empty chart draws flat bars
    step = WIDTH / max(len(rows), 1)
    bars = []
    for i, row in enumerate(rows):
        value = row[key]
        height = round(HEIGHT * value / top, 1)
        bars.append(
            {
                "x": round(i * step, 1),
                "y": round(HEIGHT - height, 1),
                "width": round(step - GAP, 1),
                "height": height,
                "value": value,
                "label": date_format(row["day"], "MONTH_DAY_FORMAT"),
                "weekend": (
                    not calendar.is_working_day(row["day"])
                    if calendar is not None
                    else row["day"].weekday() >= 5
                ),
            }
        )
    return {
        "bars": bars,
        "total": sum(row[key] for row in rows),
        "top": highest,
        "width": WIDTH,
        "height": HEIGHT,
        "first": bars[0]["label"] if bars else "",
        "last": bars[-1]["label"] if bars else "",
    }
