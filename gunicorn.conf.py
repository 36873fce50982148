"""gunicorn's settings; it reads ./gunicorn.conf.py by itself. Sizes come from the environment
(README: "Configuration"); logs are JSON lines like the application's when LOG_FORMAT is json."""

import gc
import os

bind = os.getenv("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: every view is short and database-bound (PDFs take under a second), and a worker
# per request keeps one transaction per request simple. About two per core.
workers = int(os.getenv("WEB_CONCURRENCY", "2"))
timeout = int(os.getenv("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows into an outage.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# Paths without query strings (the slip's QR link carries the access code), rating keys masked.
logger_class = "operations.access_log.PrivateAccessLogger"


def post_worker_init(worker) -> None:
    """What the worker loaded at start (Django, the application, WeasyPrint) lives as long as
    the worker: move it out of the garbage collector's way, so that a full collection in the
    middle of a request (a slip's PDF, the dashboard) does not walk it all again. It took the
    slowest slips from about 290 ms to about 230 ms (docs/performance.md)."""
    gc.collect()
    gc.freeze()


_production = os.getenv("APP_ENV", "development") == "production"
if os.getenv("LOG_FORMAT", "json" if _production else "plain") == "json":

    def _handler(stream: str) -> dict:
        return {"class": "logging.StreamHandler", "formatter": "json", "stream": stream}

    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "operations.logs.JsonLinesFormatter"}},
        "handlers": {
            "console": _handler("ext://sys.stdout"),
            "error_console": _handler("ext://sys.stderr"),
        },
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
