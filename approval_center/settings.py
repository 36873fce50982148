"""Settings for the approval center, read from the environment.

With no environment at all the project runs as the embedded default: SQLite in ./var, a Celery
broker on its own SQLite file, DEBUG on. Production sets APP_ENV=production and the variables
listed in README.md.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.getenv(name, default).split(",") if part.strip()]


APP_ENV = os.getenv("APP_ENV", "development")
IS_PRODUCTION = APP_ENV == "production"
DEBUG = envbool("DEBUG", "false" if IS_PRODUCTION else "true")

VAR_DIR = Path(os.getenv("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if IS_PRODUCTION:
        raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
    SECRET_KEY = "development-only-key-not-for-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "" if IS_PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "windows",
    "applications",
    "supervision",
    "audit",
    "operations",
    "twofactor",  # after django-otp's apps: its admin takes theirs away
    "loading",
    "hall",
    "portal",
    "licences",
    "conduct",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from the project: no CDN
    "api",
    "outbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "approval_center.middleware.ChineseTextMiddleware",  # lang="zh" on an English page
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "api.middleware.CallRecordMiddleware",  # every call of /api/v1/ recorded; NUL: JSON 400
    "approval_center.middleware.RejectNulMiddleware",  # a NUL in the address: 400
    "approval_center.middleware.NoStoreMiddleware",  # personal data: never cached
    "audit.sessions.IdleSessionMiddleware",
    "twofactor.middleware.SecondFactorMiddleware",  # privileged: nothing before the second factor
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "approval_center.urls"
WSGI_APPLICATION = "approval_center.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "windows.context_processors.staff",
                "supervision.context_processors.notices",
                "applications.context_processors.extensions",
                "hall.context_processors.hall",
                "twofactor.context_processors.second_factor",
            ],
        },
    },
]

# Database: SQLite by default (WAL so readers never wait for the writer, a busy timeout so a
# second writer waits instead of failing, IMMEDIATE so a write transaction takes its lock up front),
# PostgreSQL through DATABASE_URL.
DATABASE_URL = os.getenv("DATABASE_URL", "")
# Production's migrate step connects as the owner of the schema instead (the others run as the
# application's role of DATABASE_URL, which owns nothing; see audit/privileges.py).
MIGRATE_DATABASE_URL = os.getenv("MIGRATE_DATABASE_URL", "")
if MIGRATE_DATABASE_URL or DATABASE_URL:
    # Persistent connections, checked before each request and task reuses them, so web and
    # workers carry on after PostgreSQL restarts; a down server fails in seconds, not minutes.
    DATABASES = {
        "default": dj_database_url.parse(
            MIGRATE_DATABASE_URL or DATABASE_URL,
            conn_max_age=envint("DATABASE_CONN_MAX_AGE", "60"),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = envint(
            "DATABASE_CONNECT_TIMEOUT", "5"
        )
        # No JIT compilation: it pays off for long analytic queries, and here it cost more than
        # it saved (a year's assessment on 100k cases 8.5 s with it, 6 s without; the year's
        # statistics 2.1 s, of which 1.7 s compiling).
        DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "windows.Staff"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out username and address
    "audit.logins.AddressThrottleBackend",  # then an address that tried too many usernames
    "windows.backends.StaffBackend",  # the password; roles read with the person
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian "anonymous user" row: the public pages need no object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in and sessions (docs/access.md) ---------------------------------------------------
# A session ends after SESSION_IDLE_SECONDS without a request of the person's own: the cookie's
# age is renewed on every request, and audit.sessions.IdleSessionMiddleware signs out on the
# first request after the limit (a page refreshing itself does not count as activity).
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_SECONDS", "1800")
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
# Failed sign-ins are throttled per username and address (django-axes): after
# LOGIN_FAILURE_LIMIT failures that pair waits LOGIN_COOLOFF_MINUTES; a success clears the count.
# Every attempt is also kept in axes' tables and logged by audit.logins (never the password).
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Besides, LOGIN_ADDRESS_FAILURE_LIMIT failures from one address within the cool-off time, over any
# usernames (password spraying), stop that address (audit.logins.AddressThrottleBackend). The
# address is the client's as TRUSTED_PROXY_COUNT says (applications.track.client_address).
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", "20")
AXES_CLIENT_IP_CALLABLE = "applications.track.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "audit.logins.locked_out"  # a translated page, status 429
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False  # audit.logins writes one line per event

# The second factor (twofactor/, docs/access.md): administrators, center managers, superusers and
# anyone who may enter the Django admin sign in with a code of an authenticator app (TOTP,
# django-otp) or a one-time recovery code after the password. Required in production; off by
# default in development, the demo and the tests, and the header of those people says so.
OTP_REQUIRED = envbool("OTP_REQUIRED", "true" if IS_PRODUCTION else "false")
# Wrong codes wait 1, 2, 4, 8... seconds (django-otp's throttling, per device): ten in a row
# cost more than eight minutes, and only a right code after the wait or a reset clears it.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Django-otp's admin pages are taken away (twofactor/admin.py); should they come back, they show
# no secret.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Language and time
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One way to write a date per language (approval_center/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["approval_center.formats"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    # Private files (seal images, scans): never under a public URL, served by views that check.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": Path(os.getenv("MEDIA_ROOT", VAR_DIR / "media"))},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

# Celery: a broker that needs no server by default (kombu's SQLAlchemy transport on its own SQLite
# file), Redis through REDIS_URL.
REDIS_URL = os.getenv("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
CELERY_TASK_IGNORE_RESULT = True
# Lose nothing: a message is acknowledged when its task has finished, and one whose worker died
# (killed, out of memory) goes back to the queue. Every task is idempotent, so running one twice
# has the effect of once (README: "Celery").
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers wait for the broker as long as it takes, at start and after losing it.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Senders do not wait: a page publishes once, bounded by these timeouts (a Redis that hangs costs
# one socket timeout, one that is down a refused connection), and then stops trying for
# BROKER_DOWN_SECONDS (approval_center/celery.py). redis-py reconnects a pooled connection that
# Redis closed by itself, so kombu's own retries would only add waiting when Redis is down.
REDIS_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": envint("BROKER_SOCKET_TIMEOUT", "1"),
    "socket_keepalive": True,
}
# The SQLite broker takes none of these (they would go to SQLAlchemy's create_engine).
CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_TRANSPORT_OPTIONS if REDIS_URL else {}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
BROKER_DOWN_SECONDS = envint("BROKER_DOWN_SECONDS", "30")
# Production logs are JSON lines from Django's LOGGING below, the worker's included.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The deadline sweep: how often, and how many working days ahead a review turns yellow.
SWEEP_PERIOD_SECONDS = envint("SWEEP_PERIOD_SECONDS", "300")
SWEEP_WARNING_WORKING_DAYS = envint("SWEEP_WARNING_WORKING_DAYS", "2")
# The way back after a decision, in working days (at least 1, so the sweep sees each line
# crossed): the licence is issued within 10 working days of the decision (Art. 44), the
# comprehensive window confirms receipt of what a window returned, and hands the results over.
RETURN_WORKING_DAYS = max(envint("RETURN_WORKING_DAYS", "10"), 1)
RECEIVE_WORKING_DAYS = max(envint("RECEIVE_WORKING_DAYS", "2"), 1)
HANDOVER_WORKING_DAYS = max(envint("HANDOVER_WORKING_DAYS", "10"), 1)
# The whole-process target of a construction project, from its first filing to its last approval,
# in working days (the national reform of 2019: 120); the project page counts against it.
PROJECT_TARGET_WORKING_DAYS = max(envint("PROJECT_TARGET_WORKING_DAYS", "120"), 1)
# How far back past its last run the sweep looks for changed clocks: a change committed while
# the last sweep ran is judged by the next one.
SWEEP_LOOKBACK_SECONDS = envint("SWEEP_LOOKBACK_SECONDS", "900")
# How often beat leaves its heartbeat, and how old it may be before /healthz answers 503.
HEARTBEAT_SECONDS = envint("HEARTBEAT_SECONDS", "60")
HEALTHZ_BEAT_STALE_SECONDS = envint("HEALTHZ_BEAT_STALE_SECONDS", str(5 * HEARTBEAT_SECONDS))
# Backups (operations/backups.py, README "Backups"): on by default in production only, so the
# demo and the tests expect none. A set holds the database dump and the private files; the
# newest of each of the last BACKUP_KEEP_DAILY days is kept; /healthz turns red when backups are
# on and the last good one is older than BACKUP_MAX_AGE_HOURS. pg_dump connects with
# BACKUP_DATABASE_URL when set (a read-only role: `manage.py grant_backup_role`), otherwise with
# the connection above.
BACKUP_ENABLED = envbool("BACKUP_ENABLED", "true" if IS_PRODUCTION else "false")
BACKUP_DIR = Path(os.getenv("BACKUP_DIR", VAR_DIR / "backups"))
BACKUP_KEEP_DAILY = max(envint("BACKUP_KEEP_DAILY", "14"), 1)
BACKUP_MAX_AGE_HOURS = max(envint("BACKUP_MAX_AGE_HOURS", "26"), 1)
BACKUP_HOUR = envint("BACKUP_HOUR", "2")
BACKUP_MINUTE = envint("BACKUP_MINUTE", "15")
BACKUP_DATABASE_URL = os.getenv("BACKUP_DATABASE_URL", "")
# Reporting every case event to the provincial platform (办件数据汇聚, outbox/, docs/outbox.md):
# its address (none: events wait, never dropped; development sends them to the local test
# receiver), the shared secret of the HMAC signature (required in production when the address is
# set), the time one push may take, the back-off after a failure (doubling from
# OUTBOX_BACKOFF_SECONDS up to OUTBOX_BACKOFF_MAX_SECONDS), the attempts after which an event
# shows as failed (still retried at the cap), how often beat sweeps and how many applications a
# sweep queues.
# The local test receiver (/outbox/receiver/): on in development and the demo, off in production
# unless asked for; the age of a timestamp it accepts.
OUTBOX_RECEIVER_ENABLED = envbool("OUTBOX_RECEIVER_ENABLED", "false" if IS_PRODUCTION else "true")
OUTBOX_RECEIVER_WINDOW_SECONDS = envint("OUTBOX_RECEIVER_WINDOW_SECONDS", "300")
OUTBOX_PLATFORM_URL = os.getenv(
    "OUTBOX_PLATFORM_URL",
    ""
    if IS_PRODUCTION
    else os.getenv("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/") + "/outbox/receiver/",
)
OUTBOX_SHARED_SECRET = os.getenv("OUTBOX_SHARED_SECRET", "")
if not OUTBOX_SHARED_SECRET:
    if IS_PRODUCTION and OUTBOX_PLATFORM_URL:
        raise RuntimeError("OUTBOX_SHARED_SECRET must be set when OUTBOX_PLATFORM_URL is set")
    OUTBOX_SHARED_SECRET = "development-only-outbox-secret"  # noqa: S105
OUTBOX_TIMEOUT_SECONDS = envint("OUTBOX_TIMEOUT_SECONDS", "10")
OUTBOX_BACKOFF_SECONDS = max(envint("OUTBOX_BACKOFF_SECONDS", "30"), 1)
OUTBOX_BACKOFF_MAX_SECONDS = max(envint("OUTBOX_BACKOFF_MAX_SECONDS", "3600"), 1)
OUTBOX_MAX_ATTEMPTS = max(envint("OUTBOX_MAX_ATTEMPTS", "10"), 1)
OUTBOX_SWEEP_SECONDS = envint("OUTBOX_SWEEP_SECONDS", "60")
OUTBOX_SWEEP_BATCH = envint("OUTBOX_SWEEP_BATCH", "200")
CELERY_BEAT_SCHEDULE = {
    # Proof of life for /healthz: beat sent it and a worker ran it. A heartbeat nobody ran
    # within its period is dropped, not replayed.
    "beat-heartbeat": {
        "task": "operations.tasks.beat_heartbeat",
        "schedule": HEARTBEAT_SECONDS,
        "options": {"expires": HEARTBEAT_SECONDS},
    },
    # Yellow and red cards for open reviews and applications (supervision/sweep.py).
    "sweep-deadlines": {
        "task": "supervision.tasks.sweep_deadlines",
        "schedule": SWEEP_PERIOD_SECONDS,
    },
    # Yellow and red cards for complaints not answered by their due date (conduct/sweep.py).
    "sweep-complaints": {
        "task": "conduct.tasks.sweep_complaints",
        "schedule": SWEEP_PERIOD_SECONDS,
    },
    # Messages to applicants that could not be queued (broker down) or whose retries ran out.
    "queue-pending-notifications": {
        "task": "applications.tasks.queue_pending_notifications",
        "schedule": 300,
    },
    # Letters of authorization and deputy postings start and end on dates: grant and withdraw the
    # signing permissions they carry shortly after midnight, center time.
    "sync-signing-authority": {
        "task": "windows.tasks.sync_signing_authority",
        "schedule": crontab(hour=0, minute=5),
    },
    # Appointments (hall/appointments.py): the reminder SMS for tomorrow's appointments, tried
    # each evening hour (once per appointment: a later run finds it reminded); appointments not
    # checked in by the end of their slot plus the grace become no-shows; SMS to bookers that
    # could not be queued are queued again.
    "hall-appointment-reminders": {
        "task": "hall.tasks.remind_appointments",
        "schedule": crontab(minute=0, hour="17-20"),
    },
    "hall-appointment-no-shows": {
        "task": "hall.tasks.mark_appointment_no_shows",
        "schedule": 600,
    },
    "hall-appointment-messages": {
        "task": "hall.tasks.queue_pending_appointment_messages",
        "schedule": 300,
    },
    # Expired sessions (the status page starts one per lookup) out of the sessions table.
    "clear-expired-sessions": {
        "task": "operations.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
    },
    # The applicant's side (portal/tasks.py): sign-in codes, their SMS and sessions older than
    # PORTAL_RECORD_DAYS out of their tables.
    "portal-forget-old-sign-ins": {
        "task": "portal.tasks.forget_old_sign_ins",
        "schedule": crontab(hour=3, minute=40),
    },
    # The record of the API's calls older than API_CALL_RETENTION_DAYS (api/tasks.py).
    "api-prune-calls": {
        "task": "api.tasks.prune_calls",
        "schedule": crontab(hour=3, minute=50),
    },
    # Case events for the provincial platform not pushed yet (outbox/push.py): those the task
    # after the commit could not push (broker down, worker lost) and retries due after back-off.
    "outbox-sweep": {
        "task": "outbox.tasks.sweep_outbox",
        "schedule": OUTBOX_SWEEP_SECONDS,
    },
    # Online drafts neither submitted nor touched for PORTAL_DRAFT_KEEP_DAYS, with their files.
    "portal-forget-old-drafts": {
        "task": "portal.tasks.forget_old_drafts",
        "schedule": crontab(hour=3, minute=45),
    },
}
if BACKUP_ENABLED:
    # The nightly backup set, center time, before the day's work (operations/backups.py).
    CELERY_BEAT_SCHEDULE["back-up"] = {
        "task": "operations.tasks.back_up",
        "schedule": crontab(hour=BACKUP_HOUR, minute=BACKUP_MINUTE),
    }

# Who tells applicants (SMS and e-mail): a class with send(notification). The default sends
# e-mail through EMAIL_BACKEND and SMS through SMS_GATEWAY (a class with send_sms(phone, text,
# reference=...); the default writes to the log). applications/notifications.py explains.
NOTIFICATION_SENDER = os.getenv("NOTIFICATION_SENDER", "applications.notifications.ChannelSender")
SMS_GATEWAY = os.getenv("SMS_GATEWAY", "applications.notifications.LogSmsGateway")
# A message not sent this long after it was written is queued again, up to this many attempts.
NOTIFICATION_RETRY_AFTER_SECONDS = envint("NOTIFICATION_RETRY_AFTER_SECONDS", "300")
NOTIFICATION_MAX_ATTEMPTS = envint("NOTIFICATION_MAX_ATTEMPTS", "10")
# Largest scan a clerk may upload (PDF, JPEG or PNG, checked by content).
SCAN_MAX_BYTES = envint("SCAN_MAX_BYTES", str(10 * 1024 * 1024))
# Virus scanning of every scan (the counter's and the applicant's uploads) through clamd
# (Debian's clamav-daemon): its Unix socket, or its host and port; neither set, it is off.
# When set and clamd cannot be reached, the upload is refused (approval_center/clamd.py).
# The most files an application filed online may carry (its draft's, then its supplements).
FILING_MAX_FILES = envint("FILING_MAX_FILES", "60")
CLAMD_SOCKET = os.getenv("CLAMD_SOCKET", "")
CLAMD_HOST = os.getenv("CLAMD_HOST", "")
CLAMD_PORT = envint("CLAMD_PORT", "3310")
CLAMD_TIMEOUT_SECONDS = envint("CLAMD_TIMEOUT_SECONDS", "30")
# Largest sample or blank form an administrator may attach to a material for the public guide
# (PDF, Word, Excel, JPEG or PNG, checked by content: approval_center/uploads.py).
GUIDE_FILE_MAX_BYTES = envint("GUIDE_FILE_MAX_BYTES", str(5 * 1024 * 1024))
# Loading a center from spreadsheets (loading/): the largest file and the most rows of one.
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", str(5 * 1024 * 1024))
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", "20000")
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Where the status page is reached from outside, for the QR code on the slip.
PUBLIC_BASE_URL = os.getenv("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# The documents' own font, cut from Noto Sans CJK SC by `manage.py make_document_fonts`
# (applications/document_fonts.py): a slip prints in a third of the time with it.
DOCUMENT_FONTS_DIR = Path(os.getenv("DOCUMENT_FONTS_DIR", VAR_DIR / "fonts"))
# The center's signature on every issued document (licences/signing.py): a PKCS#12 file and its
# passphrase in production (required there); in development a key made once under VAR_DIR.
SIGNING_PKCS12_PATH = os.getenv("SIGNING_PKCS12_PATH", "")
SIGNING_PKCS12_PASSPHRASE = os.getenv("SIGNING_PKCS12_PASSPHRASE", "")
if IS_PRODUCTION and not SIGNING_PKCS12_PATH:
    raise RuntimeError("SIGNING_PKCS12_PATH must be set when APP_ENV=production")
# The public verification page (/verify/): lookups and uploads per client address per window
# (the status page's window), and the largest PDF a visitor may upload to compare.
VERIFY_RATE_LIMIT = envint("VERIFY_RATE_LIMIT", "10")
VERIFY_UPLOAD_MAX_BYTES = envint("VERIFY_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024))

# E-mail to applicants: the console by default; django.core.mail.backends.smtp.EmailBackend with
# the EMAIL_* variables in production.
EMAIL_BACKEND = os.getenv("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.getenv("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "false")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "20")  # a stuck mail server must not hold a worker
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "noreply@localhost")

# The shared cache (the status page's rate limit): Redis when REDIS_URL is set, otherwise a
# table in the database (made by the applications migrations), so every process of the
# embedded run and every web process in production counts the same attempts.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "approval_center.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "approval",
            # A Redis that does not answer must not hold a page: the rate limit then lets the
            # lookup through (applications/track.py).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }

# The public status page: lookups allowed per client address in a window of seconds; how many
# proxies in front of the app append to X-Forwarded-For (0: use the connection's address).
TRACK_RATE_LIMIT = envint("TRACK_RATE_LIMIT", "10")
TRACK_RATE_WINDOW_SECONDS = envint("TRACK_RATE_WINDOW_SECONDS", "900")

# The integration API (api/, docs/api.md). Each client's calls per minute are set when it is
# registered (this is the form's default); the record of calls is kept this many days.
API_DEFAULT_RATE_LIMIT = envint("API_DEFAULT_RATE_LIMIT", "120")
API_CALL_RETENTION_DAYS = max(envint("API_CALL_RETENTION_DAYS", "180"), 1)
# Calls without a valid token (none, unknown, revoked) per minute from one address (its /64 for
# IPv6); past it, 429 and no record of the call, until the minute ends (api/middleware.py).
API_ANONYMOUS_RATE_LIMIT = envint("API_ANONYMOUS_RATE_LIMIT", "30")
REST_FRAMEWORK = {
    # A token, and nothing else: a staff session does not open the API.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.ClientRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.rest.Cursor",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.rest.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Approval center integration API",
    "DESCRIPTION": (
        "The center's applications, reviews, decisions and licences for the provincial "
        "government-service platform and other systems, and the ratings of the provincial "
        "好差评 system. Send the client's token as `Authorization: Bearer <token>`. "
        "See docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_links",
    ],
}
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0")

# The hall (hall/): calls before a visitor may be marked a no-show; minutes after the end of a
# service during which the pad facing the visitor takes their rating; the waiting time the
# assessment counts as "called in time"; the cookie that carries a hall device's key.
HALL_NO_SHOW_CALLS = envint("HALL_NO_SHOW_CALLS", "3")
HALL_RATING_MINUTES = envint("HALL_RATING_MINUTES", "10")
HALL_CALLED_WITHIN_MINUTES = envint("HALL_CALLED_WITHIN_MINUTES", "20")
HALL_DEVICE_COOKIE = "hall_device"
# Appointments (hall/appointments.py): how many working days ahead can be booked (besides
# today's slots still to come); how long after its slot's end an appointment may still check in
# before it counts as a no-show; a mobile with HALL_NO_SHOW_LIMIT no-shows in HALL_NO_SHOW_DAYS
# days cannot book; booking attempts allowed per mobile number and per client address in a
# window of seconds.
HALL_APPOINTMENT_DAYS = envint("HALL_APPOINTMENT_DAYS", "10")
HALL_APPOINTMENT_GRACE_MINUTES = envint("HALL_APPOINTMENT_GRACE_MINUTES", "30")
HALL_NO_SHOW_LIMIT = envint("HALL_NO_SHOW_LIMIT", "3")
HALL_NO_SHOW_DAYS = envint("HALL_NO_SHOW_DAYS", "30")
HALL_BOOKING_LIMIT_PER_MOBILE = envint("HALL_BOOKING_LIMIT_PER_MOBILE", "5")
HALL_BOOKING_LIMIT_PER_ADDRESS = envint("HALL_BOOKING_LIMIT_PER_ADDRESS", "20")
HALL_BOOKING_WINDOW_SECONDS = envint("HALL_BOOKING_WINDOW_SECONDS", "3600")

# The follow page of a ticket (its QR code): unknown keys allowed per client address in a window
# of seconds (only misses count: the phones of a whole hall share one address and refresh the
# page every 15 s); seconds the kiosk shows a printed ticket before it is ready for the next.
HALL_FOLLOW_MISS_LIMIT = envint("HALL_FOLLOW_MISS_LIMIT", "20")
HALL_FOLLOW_WINDOW_SECONDS = envint("HALL_FOLLOW_WINDOW_SECONDS", "900")
HALL_TICKET_RETURN_SECONDS = envint("HALL_TICKET_RETURN_SECONDS", "8")

# The applicant's own side (/my/, portal/, docs/portal.md): a session of its own (cookie name,
# path /my/, HttpOnly, SameSite=Lax, Secure in production) ending after the idle or the absolute
# time; one-time SMS codes good for PORTAL_CODE_SECONDS and PORTAL_CODE_ATTEMPTS tries; codes
# sent per number at most one per PORTAL_RESEND_SECONDS, and PORTAL_SEND_LIMIT_PER_MOBILE /
# _PER_ADDRESS in a window of PORTAL_SEND_WINDOW_SECONDS.
PORTAL_SESSION_COOKIE = "portal_session"
PORTAL_SESSION_COOKIE_SECURE = envbool("PORTAL_SESSION_COOKIE_SECURE", str(IS_PRODUCTION))
PORTAL_SESSION_IDLE_SECONDS = envint("PORTAL_SESSION_IDLE_SECONDS", "1800")
PORTAL_SESSION_MAX_SECONDS = envint("PORTAL_SESSION_MAX_SECONDS", str(12 * 3600))
PORTAL_CODE_SECONDS = envint("PORTAL_CODE_SECONDS", "300")
PORTAL_CODE_ATTEMPTS = envint("PORTAL_CODE_ATTEMPTS", "5")
PORTAL_RESEND_SECONDS = envint("PORTAL_RESEND_SECONDS", "60")
PORTAL_SEND_LIMIT_PER_MOBILE = envint("PORTAL_SEND_LIMIT_PER_MOBILE", "5")
PORTAL_SEND_LIMIT_PER_ADDRESS = envint("PORTAL_SEND_LIMIT_PER_ADDRESS", "20")
PORTAL_SEND_WINDOW_SECONDS = envint("PORTAL_SEND_WINDOW_SECONDS", "3600")
# Codes, their SMS and sessions are kept this many days (who signed in, from where), then removed.
PORTAL_RECORD_DAYS = envint("PORTAL_RECORD_DAYS", "30")
# Drafts filed online and left this long (since started and since the last upload) are removed.
PORTAL_DRAFT_KEEP_DAYS = envint("PORTAL_DRAFT_KEEP_DAYS", "90")

# What the center prints on its documents and shows in its header.
CENTER_NAME = os.getenv("CENTER_NAME", "临安市行政审批中心")
# Its name on pages in another language than Chinese (their title and header are read in that
# language's voice; documents stay Chinese).
CENTER_NAME_EN = os.getenv("CENTER_NAME_EN", "Lin'an Administrative Approval Center")
CENTER_COMPLAINT_PHONE = os.getenv("CENTER_COMPLAINT_PHONE", "0571-63700000")
# Complaints (conduct/): answered within this many working days of receipt; the public form
# takes this many complaints per client address in its window (as the status page counts).
COMPLAINT_WORKING_DAYS = envint("COMPLAINT_WORKING_DAYS", "15")
COMPLAINT_RATE_LIMIT = envint("COMPLAINT_RATE_LIMIT", "5")
COMPLAINT_RATE_WINDOW_SECONDS = envint("COMPLAINT_RATE_WINDOW_SECONDS", "3600")
# The name an authenticator app shows above the codes of this center.
OTP_TOTP_ISSUER = CENTER_NAME
# How many approval items the city government has in all (the source: 169), for the share shown
# on the supervision dashboard.
CITY_APPROVAL_ITEMS = envint("CITY_APPROVAL_ITEMS", "169")

# Logs go to standard error: plain lines for a person at a terminal, JSON lines (one object per
# record, operations/logs.py) for the collector in production.
LOG_FORMAT = os.getenv("LOG_FORMAT", "json" if IS_PRODUCTION else "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "operations.logs.JsonLinesFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    # WeasyPrint tells every step of every document at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- Response headers ----------------------------------------------------------------------
# A Content Security Policy without inline script or style: every script and stylesheet is a
# file under static/ (behaviour wired by data- attributes in static/js/app.js). Images may be
# data: addresses (seal images and QR codes in previews). Django's own headers: nosniff,
# X-Frame-Options DENY, a same-origin referrer policy and opener policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "true")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Load balancers and container healthchecks ask over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
