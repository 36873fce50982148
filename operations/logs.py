"""Structured logs for production: one JSON object per line, for the log collector.

Keeps what a record carries beyond the standard attributes (`extra=`), so a call like
`log.info("sent", extra={"notification": pk})` becomes a field; gunicorn's access log becomes
method, path, status and duration fields.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

# gunicorn's access-log atoms worth a field of their own.
_ACCESS = {
    "m": "method",
    "U": "path",
    "s": "status",
    "M": "duration_ms",
    "h": "remote",
    "b": "bytes",
}


class JsonLinesFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry.update(
                {
                    name: record.args.get(atom)
                    for atom, name in _ACCESS.items()
                    if atom in record.args
                }
            )
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_"):
                continue
            if key == "request":  # django.request passes the request object
                value = {"method": value.method, "path": value.path}
            entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
