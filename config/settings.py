"""CreditDesk settings: everything comes from the environment.

Development defaults need no servers (SQLite, Celery eager). Production is
``DEBUG=0`` plus real values for ``SECRET_KEY``, ``FIELD_ENCRYPTION_KEY``,
``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``CELERY_BROKER_URL``; those are
refused if left at their development values.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import csp.constants as _csp_constants
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config import env
from config.spectacular import enum_name_overrides
from statements.engine import families as _provider_families

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.get_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-creditdesk-development-key-do-not-use-in-production"
SECRET_KEY = env.get_str("SECRET_KEY", _DEV_SECRET_KEY)
# Fernet keys (urlsafe base64, 32 bytes). Comma-separated: the first encrypts,
# every one decrypts, which is how rotate_field_key moves to a new key.
_DEV_FIELD_KEY = "Y3JlZGl0ZGVzay1kZXZlbG9wbWVudC1rZXktMzJieXQ="
FIELD_ENCRYPTION_KEYS = env.get_list("FIELD_ENCRYPTION_KEY", [_DEV_FIELD_KEY])
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])

if not DEBUG:
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters when DEBUG=0")
    if FIELD_ENCRYPTION_KEYS == [_DEV_FIELD_KEY]:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set (a Fernet key) when DEBUG=0")

_field_key_error = None
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        from cryptography.fernet import Fernet

        Fernet(_key.encode())
    except Exception:
        _field_key_error = "FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)"
if _field_key_error:
    raise ImproperlyConfigured(_field_key_error)

INSTALLED_APPS = [
    # django.contrib.admin, its admin.py modules imported with the URLconf
    # rather than at start-up (core.adminconfig.LazyAdminConfig).
    "core.adminconfig.LazyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    "simple_history",
    "axes",
    "customers",
    "details",
    "statements",
    "debts",
    "uploads",
    "calls",
    "reports",
    "workbench",
    "demo",
    # Last on purpose: its post_migrate handler builds the role groups and
    # needs every other app's permissions to exist already.
    "core",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # A lock wait, deadlock or lost database connection: 503 + Retry-After.
    "core.dbtrouble.DatabaseTroubleMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Databases -------------------------------------------------------------
_default_db = env.get_database(
    "DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=env.get_int("DB_CONN_MAX_AGE", 0, minimum=0)
)


# A request waiting on a row or table lock gives up (MySQL error 1205, a 503
# with Retry-After) well before gunicorn kills the worker (GUNICORN_TIMEOUT):
# the client gets an answer instead of a dropped connection.
GUNICORN_TIMEOUT = env.get_int("GUNICORN_TIMEOUT", 60, minimum=2)
DB_LOCK_WAIT_TIMEOUT = env.get_int("DB_LOCK_WAIT_TIMEOUT", 20, minimum=1)
# MariaDB's max_statement_time, seconds (0: off). config/gunicorn.conf.py sets
# it for web processes only (GUNICORN_TIMEOUT - 10): a Celery worker's long
# import statement must not be cut short.
DB_MAX_STATEMENT_SECONDS = env.get_int("DB_MAX_STATEMENT_SECONDS", 0, minimum=0)
if DB_LOCK_WAIT_TIMEOUT >= GUNICORN_TIMEOUT:
    raise ImproperlyConfigured(
        f"DB_LOCK_WAIT_TIMEOUT ({DB_LOCK_WAIT_TIMEOUT}) must be less than GUNICORN_TIMEOUT ({GUNICORN_TIMEOUT})"
    )
if DB_MAX_STATEMENT_SECONDS >= GUNICORN_TIMEOUT:
    raise ImproperlyConfigured(
        f"DB_MAX_STATEMENT_SECONDS ({DB_MAX_STATEMENT_SECONDS}) must be less than GUNICORN_TIMEOUT ({GUNICORN_TIMEOUT})"
    )
# Seconds a 503 for database trouble asks the client to wait.
DB_TROUBLE_RETRY_AFTER = env.get_int("DB_TROUBLE_RETRY_AFTER", 10, minimum=1)


def _mysql_init_command() -> str:
    # Strict mode: MySQL refuses truncated or invalid values instead of
    # silently mangling them (money especially). innodb_lock_wait_timeout
    # bounds row-lock waits, lock_wait_timeout metadata (LOCK TABLES) waits.
    # max_statement_time exists on MariaDB only: the /*M! */ comment runs on
    # MariaDB and is an ordinary comment to MySQL.
    command = (
        "SET sql_mode='STRICT_TRANS_TABLES', innodb_strict_mode=1, "
        f"innodb_lock_wait_timeout={DB_LOCK_WAIT_TIMEOUT}, lock_wait_timeout={DB_LOCK_WAIT_TIMEOUT}"
    )
    if DB_MAX_STATEMENT_SECONDS:
        command += f" /*M!100108 , max_statement_time={DB_MAX_STATEMENT_SECONDS} */"
    return command


def _tune(db: dict, test_name: str | None = None) -> dict:
    if db["ENGINE"] == "django.db.backends.mysql":
        db.setdefault("OPTIONS", {})
        db["OPTIONS"].setdefault("charset", "utf8mb4")
        db["OPTIONS"].setdefault("init_command", _mysql_init_command())
        db["OPTIONS"].setdefault("isolation_level", "read committed")
        db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("OPTIONS", {})
        # WAL + a busy timeout let the dev server, the eager Celery tasks and
        # a management command share the file without "database is locked".
        db["OPTIONS"].setdefault("timeout", 20)
        db["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    if test_name:
        db.setdefault("TEST", {})["NAME"] = test_name
    return db


DATABASES = {"default": _tune(_default_db, env.get_str("TEST_DB_NAME"))}

# The core lending database (seed 000's FLOW_API): read-only to us, never
# migrated. FlowApiRouter enforces both.
_flow_db = env.get_database("FLOW_API_DATABASE_URL", None)
FLOW_API_ENABLED = _flow_db is not None
FLOW_API_TIMEOUT_SECONDS = env.get_int("FLOW_API_TIMEOUT_SECONDS", 10, minimum=1)
# run_ids per IN (...) query against the core database: a batch of 10,000
# statements costs ~6 queries per 2,000 run_ids.
FLOW_API_BATCH_SIZE = env.get_int("FLOW_API_BATCH_SIZE", 2000, minimum=1)
if _flow_db:
    _flow_db = _tune(_flow_db)
    if _flow_db["ENGINE"] == "django.db.backends.mysql":
        # A core database that hangs must not hang a statement import: the
        # client gives up (and the details are retried later) instead.
        _flow_db["OPTIONS"].setdefault("connect_timeout", FLOW_API_TIMEOUT_SECONDS)
        _flow_db["OPTIONS"].setdefault("read_timeout", FLOW_API_TIMEOUT_SECONDS)
        _flow_db["OPTIONS"].setdefault("write_timeout", FLOW_API_TIMEOUT_SECONDS)
    # Never the real database's own name: the test runner drops and recreates
    # its test database. Derived from TEST_DB_NAME so parallel runs differ.
    _flow_test_name = env.get_str("FLOW_API_TEST_DB_NAME") or (
        f"{env.get_str('TEST_DB_NAME')}_flow_api" if env.get_str("TEST_DB_NAME") else f"test_{_flow_db['NAME']}"
    )
    _flow_db["TEST"] = {"MIRROR": None, "NAME": _flow_test_name}
    DATABASES["flow_api"] = _flow_db
DATABASE_ROUTERS = ["core.routers.FlowApiRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Caches ----------------------------------------------------------------
REDIS_URL = env.get_url("REDIS_URL", None, schemes={"redis", "rediss", "unix"})
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
# django-axes: AXES_FAILURE_LIMIT wrong passwords lock the username, and
# separately the client IP, for AXES_COOLOFF_MINUTES (answered with a 429).
# ``manage.py axes_reset_username USER`` / ``axes_reset_ip IP`` (or deleting
# the "access attempts" in the admin) unlock early.
AUTHENTICATION_BACKENDS = [
    "core.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.get_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.get_int("AXES_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# Reverting a debt or payment from its history would move money around the
# services; history is for reading.
SIMPLE_HISTORY_REVERT_DISABLED = True
LOGIN_REDIRECT_URL = "/dashboard/"

# --- i18n ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.get_str("TIME_ZONE", "Africa/Kampala")
# Dates and times read as 2026-12-04 14:05 (local time) in the admin and the pages: config/formats/en/formats.py.
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.get_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.get_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Largest upload accepted (statements, loan books), in bytes.
MAX_UPLOAD_SIZE = env.get_int("MAX_UPLOAD_SIZE", 50 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Uploaded originals (loan books hold national IDs in clear) are readable by
# the app's own user only, and deleted once older than UPLOAD_RETENTION_DAYS
# (0: right after processing); the rows read from them stay.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
UPLOAD_RETENTION_DAYS = env.get_int("UPLOAD_RETENTION_DAYS", 30, minimum=0)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- File limits: bounded work for any input (core/limits.py) ---------------
# Every statement and loan-book reader refuses a file past one of these, with
# a message naming the setting. Statements are read in memory; loan books are
# streamed, so they have their own (larger) byte and row limits.
FILE_LIMIT_UNCOMPRESSED_BYTES = env.get_int("FILE_LIMIT_UNCOMPRESSED_BYTES", 64 * 1024 * 1024, minimum=1024)
FILE_LIMIT_LOAN_BOOK_UNCOMPRESSED_BYTES = env.get_int("FILE_LIMIT_LOAN_BOOK_UNCOMPRESSED_BYTES", 1024 * 1024 * 1024, minimum=1024)
FILE_LIMIT_COMPRESSION_RATIO = env.get_int("FILE_LIMIT_COMPRESSION_RATIO", 100, minimum=1)
FILE_LIMIT_ZIP_MEMBERS = env.get_int("FILE_LIMIT_ZIP_MEMBERS", 1000, minimum=1)
FILE_LIMIT_SHARED_STRINGS_BYTES = env.get_int("FILE_LIMIT_SHARED_STRINGS_BYTES", 64 * 1024 * 1024, minimum=1024)
FILE_LIMIT_SHEETS = env.get_int("FILE_LIMIT_SHEETS", 50, minimum=1)
FILE_LIMIT_ROWS = env.get_int("FILE_LIMIT_ROWS", 100_000, minimum=1)
FILE_LIMIT_LOAN_BOOK_ROWS = env.get_int("FILE_LIMIT_LOAN_BOOK_ROWS", 2_000_000, minimum=1)
FILE_LIMIT_COLUMNS = env.get_int("FILE_LIMIT_COLUMNS", 200, minimum=1)
FILE_LIMIT_CELL_CHARS = env.get_int("FILE_LIMIT_CELL_CHARS", 32_767, minimum=1)
FILE_LIMIT_PDF_PAGES = env.get_int("FILE_LIMIT_PDF_PAGES", 1000, minimum=1)
# The longest file name kept on disk, in UTF-8 bytes (file systems allow 255;
# the name shown keeps up to 255 characters).
FILE_NAME_MAX_BYTES = env.get_int("FILE_NAME_MAX_BYTES", 120, minimum=16)
# Django's, but a large upload's temporary file is named within the file
# system's limit whatever the upload's extension (core/uploadhandlers.py).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler", "core.uploadhandlers.TemporaryFileUploadHandler"]
# A background job (statement import, loan-book upload) that a worker started
# this many times without finishing is marked failed, never queued again.
JOB_MAX_ATTEMPTS = env.get_int("JOB_MAX_ATTEMPTS", 5, minimum=1)

# --- Security (production) -------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp), in every mode: scripts only from our
# own static files or an inline <script nonce="{{ request.csp_nonce }}">, no
# inline event handlers, no other origin. Styles allow inline: Redoc injects
# its <style> elements and the admin writes style attributes. Redoc runs a
# blob: web worker; Swagger UI and Redoc draw data: images. The admin, the ops
# pages and the API docs are loaded under it in Chromium (tests/browser/test_csp.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", _csp_constants.NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- REST framework --------------------------------------------------------
def _rate(name: str, default: str) -> str:
    value = env.get_str(name, default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate such as 60/min (per s, min, hour or day)")
    return value


# Nesting deeper than this in a JSON body is refused with a 400.
API_JSON_MAX_DEPTH = env.get_int("API_JSON_MAX_DEPTH", 32, minimum=2)
# Largest Exotel callback body; its fields are cut to EXOTEL_CALLBACK_MAX_FIELD_LENGTH.
EXOTEL_WEBHOOK_MAX_BODY_BYTES = env.get_int("EXOTEL_WEBHOOK_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
EXOTEL_CALLBACK_MAX_FIELD_LENGTH = env.get_int("EXOTEL_CALLBACK_MAX_FIELD_LENGTH", 1000, minimum=64)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        # SearchFilter, and a phone however typed (a view's phone_search_fields).
        "core.api.filters.PhoneSearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    # Deep JSON (API_JSON_MAX_DEPTH) and malformed bodies are a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Counted in CACHES["default"]: Redis (REDIS_URL) in production, so every
    # gunicorn worker and machine shares one count; process memory otherwise.
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.AnonThrottle",
        "core.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _rate("API_THROTTLE_ANON", "60/min"),
        "user": _rate("API_THROTTLE_USER", "1200/min"),
        # Exact-match SSN / national ID / account-number lookups (per user).
        "identifier_lookup": _rate("API_THROTTLE_IDENTIFIER_LOOKUP", "30/hour"),
        # Exotel callbacks for a CallSid we do not know (all senders together).
        "webhook_unknown_sid": _rate("EXOTEL_UNKNOWN_SID_THROTTLE", "60/min"),
    },
    # Services raise Django's ValidationError; the API answers it with a 400.
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CreditDesk API",
    "DESCRIPTION": "Statements, customers, collections, loan-book uploads and calls.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": enum_name_overrides(),
    # Swagger UI and Redoc from our own static files (drf-spectacular-sidecar),
    # never a CDN: /api/docs/ and /api/redoc/ work with no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Links from collections to their records, for schemathesis' stateful tests.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.spectacular.add_links"],
}

# --- Celery ----------------------------------------------------------------
CELERY_BROKER_URL = env.get_url("CELERY_BROKER_URL", None, schemes={"redis", "rediss", "amqp", "amqps", "pyamqp", "memory"})
# Without a broker, tasks run in-process as they are called: a newcomer needs
# no Redis and no worker to see the whole product work.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.get_str("CELERY_RESULT_BACKEND", None)
CELERY_TASK_ACKS_LATE = True
# A task whose worker died is redelivered instead of lost (uploads resume).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.get_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Default beat entries; django-celery-beat copies them into the database where
# ops can edit them in the admin.
CELERY_BEAT_SCHEDULE: dict = {
    "scan-statement-inbox": {"task": "statements.tasks.scan_statement_inbox", "schedule": 300.0},
    "update-delinquency-nightly": {"task": "debts.tasks.update_delinquency", "schedule": crontab(hour=1, minute=30)},
    "dispatch-scheduled-calls": {"task": "calls.tasks.dispatch_scheduled_calls", "schedule": 60.0},
    "reconcile-stuck-calls": {"task": "calls.tasks.reconcile_stuck_calls", "schedule": 600.0},
    "requeue-stalled-statement-imports": {"task": "statements.tasks.requeue_stalled_imports", "schedule": 300.0},
    "resume-stalled-uploads": {"task": "uploads.tasks.resume_stalled_uploads", "schedule": 300.0},
    "retry-pending-customer-details": {"task": "customers.tasks.retry_pending_customer_details", "schedule": 1800.0},
    "purge-uploaded-originals": {"task": "uploads.tasks.purge_uploaded_originals", "schedule": 3600.0},
    # After the nightly delinquency run (01:30), so the day's days past due are in it.
    "snapshot-portfolio-nightly": {"task": "reports.tasks.snapshot_portfolio", "schedule": crontab(hour=2, minute=30)},
    # Every 15 minutes, 7 minutes off the quarter hours (so at 02:37, after the
    # nightly snapshot, and never in the same minute: the snapshot's partition
    # swap waits for the summary's reads of portfolio_snapshots): yesterday's
    # payments summed, and the days whose payments changed summed again.
    "summarise-collections": {"task": "reports.tasks.summarise_collections", "schedule": crontab(minute="7-59/15")},
}

# --- Domain settings -------------------------------------------------------
PHONE_DEFAULT_REGION = env.get_str("PHONE_DEFAULT_REGION", "UG").upper()
DEFAULT_CURRENCY = env.get_str("DEFAULT_CURRENCY", "UGX")
DELINQUENCY_DEFAULT_AFTER_DAYS = env.get_int("DELINQUENCY_DEFAULT_AFTER_DAYS", 90, minimum=1)
# Four eyes: a settle (the forgiven part), write-off (the balance) or refund
# (the payment) of more than this many UGX is a request another person with
# debts.approve_request must approve before anything moves. 0 = every one.
APPROVAL_THRESHOLD_UGX = env.get_int("APPROVAL_THRESHOLD_UGX", 1_000_000, minimum=0)

STATEMENT_INBOX_DIR = env.get_str("STATEMENT_INBOX_DIR", str(BASE_DIR / "var" / "inbox"))
# A file in the inbox is taken only once it has been unchanged this long, so
# a file still being copied in is never imported half-written.
STATEMENT_INBOX_MIN_AGE_SECONDS = env.get_int("STATEMENT_INBOX_MIN_AGE_SECONDS", 10, minimum=0)
MAPPER_CSV_PATH = env.get_str("MAPPER_CSV_PATH", str(BASE_DIR / "var" / "mapper.csv"))
# A provider code mapper.csv may bring, mapped to the parser family that reads
# it: "UMTN2=UMTN,UATL3=UATL" (stored as itself, read as its family; README).
PROVIDER_FAMILIES = _provider_families.parse(env.get_str("PROVIDER_FAMILIES", "") or "")
# At most uploads.services.process.MAX_CHUNK_SIZE (each chunk is one IN list
# and one INSERT): refused at start, not at every import.
UPLOAD_CHUNK_SIZE = env.get_int("UPLOAD_CHUNK_SIZE", 2500, minimum=1, maximum=20_000)

# Telephony (calls app). "simulator" needs no network.
TELEPHONY_PROVIDER = env.get_choice("TELEPHONY_PROVIDER", "simulator", {"simulator", "exotel"})
EXOTEL_SID = env.get_str("EXOTEL_SID", "")
EXOTEL_API_KEY = env.get_str("EXOTEL_API_KEY", "")
EXOTEL_API_TOKEN = env.get_str("EXOTEL_API_TOKEN", "")
EXOTEL_SUBDOMAIN = env.get_str("EXOTEL_SUBDOMAIN", "api.exotel.com")
EXOTEL_BASE_URL = env.get_url("EXOTEL_BASE_URL", f"https://{EXOTEL_SUBDOMAIN}", schemes={"http", "https"})
EXOTEL_CALLER_ID = env.get_str("EXOTEL_CALLER_ID", "")
# The numbers a call may connect the customer to (``agent_number``): these,
# and the ExoPhone EXOTEL_CALLER_ID. Any other number is refused.
EXOTEL_AGENT_NUMBERS = env.get_list("EXOTEL_AGENT_NUMBERS", [])
for _number in EXOTEL_AGENT_NUMBERS:
    if not re.fullmatch(r"\+?[0-9][0-9 ()-]{5,19}", _number):
        raise ImproperlyConfigured(f"EXOTEL_AGENT_NUMBERS: {_number!r} is not a phone number")
EXOTEL_FLOW_URL = env.get_str("EXOTEL_FLOW_URL", "")
EXOTEL_WEBHOOK_TOKEN = env.get_str("EXOTEL_WEBHOOK_TOKEN", "dev-webhook-token" if DEBUG else "")
EXOTEL_TIME_LIMIT = env.get_int("EXOTEL_TIME_LIMIT", 600, minimum=1)
EXOTEL_TIME_OUT = env.get_int("EXOTEL_TIME_OUT", 30, minimum=1)
PUBLIC_BASE_URL = env.get_url("PUBLIC_BASE_URL", "http://localhost:8000", schemes={"http", "https"})
CALLS_RATE_LIMIT_PER_MINUTE = env.get_int("CALLS_RATE_LIMIT_PER_MINUTE", 200, minimum=1)
# Tokens the shared bucket may hold at once (unset: a twentieth of the per-minute limit).
CALLS_RATE_LIMIT_BURST = env.get_int("CALLS_RATE_LIMIT_BURST", 0, minimum=0) or None
# Exotel sends DateUpdated without a zone, in the account's local time.
EXOTEL_TIMEZONE = env.get_str("EXOTEL_TIMEZONE", "Asia/Kolkata")
CALLING_HOURS = env.get_str("CALLING_HOURS", "09:00-19:00")
CALLS_MAX_ATTEMPTS_PER_DAY = env.get_int("CALLS_MAX_ATTEMPTS_PER_DAY", 3, minimum=1)
if TELEPHONY_PROVIDER == "exotel":
    _missing = [n for n in ("EXOTEL_SID", "EXOTEL_API_KEY", "EXOTEL_API_TOKEN", "EXOTEL_WEBHOOK_TOKEN") if not globals()[n]]
    if _missing:
        raise ImproperlyConfigured(f"TELEPHONY_PROVIDER=exotel needs {', '.join(_missing)}")

# --- Logging ---------------------------------------------------------------
# Query parameters whose values never reach a log line (gunicorn's access log
# and Django's own request logging), matched case-insensitively.
LOG_REDACT_QUERY_PARAMS = env.get_list(
    "LOG_REDACT_QUERY_PARAMS",
    ["token", "ssn", "national_id", "account_number", "routing_number", "password", "api_key", "secret"],
)
LOG_LEVEL = env.get_choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Query strings in log lines (django.server's request lines, django.request's
    # warnings) lose their token= and identifier values (LOG_REDACT_QUERY_PARAMS).
    "filters": {"redact": {"()": "core.logredact.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # runserver's request lines: through the redacting console handler,
        # not Django's default one.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
