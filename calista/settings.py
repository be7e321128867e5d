"""Calista settings: every knob comes from an environment variable through `calista.env.Env`.

The defaults run on one machine with nothing else installed: SQLite in `var/`,
kombu's filesystem broker, uploads on the local disk and e-mail printed to the console.
Set DATABASE_URL, CELERY_BROKER_URL, CACHE_URL and STORAGE_BACKEND=s3 for production.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from calista.env import Env

BASE_DIR = Path(__file__).resolve().parent.parent
env = Env()

VAR_DIR = Path(env.str("VAR_DIR", str(BASE_DIR / "var"), help="Folder for local state: SQLite, broker, uploads, cache."))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", False, help="Show tracebacks and serve static files from the source tree. Never in production.")
HTTPS = env.bool("HTTPS", not DEBUG, help="The portal is served over HTTPS: secure cookies, HSTS and redirects to https.")


def _secret_key() -> str:
    key = env.str("SECRET_KEY", "", help="Django secret key. When empty, one is generated once into VAR_DIR/secret-key.")
    if key:
        return key
    path = VAR_DIR / "secret-key"
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"], help="Host names the portal answers to.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [], help="Origins trusted for CSRF behind a proxy, e.g. https://portal.example.com.")
SITE_URL = env.url("SITE_URL", "http://localhost:8000", ("http", "https"), help="Public address, used in e-mails.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "shipments",
    "customs",
    "cfs",
    "dashboards",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "calista.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "calista.middleware.NulCharacterMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.OrganizationMiddleware",
    "accounts.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "calista.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "calista.urls"
WSGI_APPLICATION = "calista.wsgi.application"

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
                "accounts.context_processors.organization",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env.url(
    "DATABASE_URL", f"sqlite:///{VAR_DIR / 'calista.sqlite3'}", ("sqlite", "postgres", "postgresql"),
    help="sqlite:///path or postgres://user:password@host:port/name.",
)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the web server read while a worker writes; IMMEDIATE avoids
    # "database is locked" on upgrade from read to write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (progress of long work, login lockout counters) -----------------
CACHE_URL = env.url(
    "CACHE_URL", f"file://{VAR_DIR / 'cache'}", ("file", "redis", "locmem"),
    help="file:///folder (default), redis://host:port/db or locmem:// (one process only).",
)


def _cache(url: str) -> dict:
    if url.startswith("redis"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url.startswith("locmem"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": url[len("file://"):]}


CACHES = {"default": _cache(CACHE_URL)}

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", 5, minimum=1, help="Failed logins before an account is locked.")
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, help="How long a locked account stays locked.")

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.bool("SECURE_SSL_REDIRECT", True, help="Redirect http to https (when HTTPS is on).")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0, help="HSTS max-age (HTTPS only).")
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.time_zone("TIME_ZONE", "UTC", help="Times are shown in this zone to organizations that chose none of their own.")
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ----------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGE_BACKEND = env.choice("STORAGE_BACKEND", "local", ("local", "s3"), help="Where uploaded files live: local disk or S3 (MinIO).")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET", "calista", help="S3 bucket for uploads."),
            "endpoint_url": env.str("S3_ENDPOINT_URL", "", help="S3 endpoint (MinIO: http://minio:9000)") or None,
            "access_key": env.str("S3_ACCESS_KEY", "", help="S3 access key."),
            "secret_key": env.str("S3_SECRET_KEY", "", help="S3 secret key."),
            "region_name": env.str("S3_REGION", "us-east-1", help="S3 region."),
            "default_acl": None,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- E-mail ---------------------------------------------------------------
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}[env.choice("EMAIL_BACKEND", "console", ("console", "smtp"), help="console prints e-mail; smtp sends it.")]
EMAIL_HOST = env.str("EMAIL_HOST", "localhost", help="SMTP host.")
EMAIL_PORT = env.int("EMAIL_PORT", 25, minimum=1, maximum=65535, help="SMTP port.")
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "", help="SMTP user.")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "", help="SMTP password.")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False, help="Use STARTTLS for SMTP.")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Calista <noreply@calista.local>", help="Sender of portal e-mail.")

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = env.url(
    "CELERY_BROKER_URL", "filesystem://", ("filesystem", "redis", "memory", "amqp"),
    help="filesystem:// (default, no server), redis://host:port/db, or memory:// (tests).",
)
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # A task whose worker died is handed to another worker after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", False, help="Run tasks inline (tests only).")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "calista.tasks.worker_heartbeat", "schedule": 30.0},
    "transmissions-recover": {"task": "customs.tasks.transmissions_recover_task", "schedule": 60.0},
    "transmissions-send": {"task": "customs.tasks.transmissions_send_task", "schedule": 15.0},
    "ace-receive": {"task": "customs.tasks.ace_receive_task", "schedule": 2.0},
    "uploads-recover": {"task": "shipments.tasks.uploads_recover_task", "schedule": 120.0},
    "webhooks-dispatch": {"task": "api.tasks.webhooks_dispatch_task", "schedule": 5.0},
    "boards-tallies": {"task": "dashboards.tasks.tallies_refresh_task", "schedule": 60.0},
    "handoff-batches-recover": {"task": "cfs.tasks.handoff_batches_recover_task", "schedule": 120.0},
    "idempotency-keys-expire": {"task": "api.tasks.idempotency_keys_expire_task", "schedule": 3600.0},
}

# --- Manifests ------------------------------------------------------------
MANIFEST_MAX_BYTES = env.int("MANIFEST_MAX_BYTES", 50 * 1024 * 1024, minimum=1024, help="Largest manifest file accepted, in bytes.")
MANIFEST_MAX_RECORDS = env.int("MANIFEST_MAX_RECORDS", 200_000, minimum=1, help="Most data records in one manifest file.")
UPLOAD_STALE_SECONDS = env.int("UPLOAD_STALE_SECONDS", 600, minimum=0,
                               help="An upload queued or being read for longer than this is queued again (its worker died).")
SERVED_AIRPORTS = [code.upper() for code in env.list("SERVED_AIRPORTS", ["LAX", "SFO", "JFK", "ATL"], help="Airports the portal clears.")]
# A served airport's days (the landing day, the general-order clock, a station's today) are read on its own clock
# (calista/clocks.py); the portal does not start while one of them has no valid zone.
AIRPORT_TIME_ZONES = env.time_zones(
    "AIRPORT_TIME_ZONES",
    {"LAX": "America/Los_Angeles", "SFO": "America/Los_Angeles", "JFK": "America/New_York", "ATL": "America/New_York"},
    help="Each served airport's time zone, CODE=zone: its days are read on this clock.",
)
if _unzoned := [code for code in SERVED_AIRPORTS if code not in AIRPORT_TIME_ZONES]:
    raise ImproperlyConfigured(f"SERVED_AIRPORTS names {', '.join(_unzoned)}, but AIRPORT_TIME_ZONES gives no time zone for "
                               f"{'it' if len(_unzoned) == 1 else 'them'}: add {_unzoned[0]}=<zone>, e.g. {_unzoned[0]}=America/Chicago.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "shipments.uploadhandlers.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

BOARD_CACHE_SECONDS = env.int("BOARD_CACHE_SECONDS", 10, minimum=0,
                              help="A board's figures are rendered once per organization and airport in this many seconds; 0: always.")

# --- ACE (CBP's Automated Commercial Environment) -----------------------------
ACE_ADAPTER = env.choice("ACE_ADAPTER", "simulator", ("simulator",), help="How entries reach ACE: the built-in simulator.")
ACE_SEED = env.int("ACE_SEED", 2026, help="The simulator's seed: the same seed and HAWB always get the same outcome.")
ACE_DELAY_SECONDS = env.float("ACE_DELAY_SECONDS", 5.0, minimum=0, help="Simulator: seconds between status notices (0 in tests).")
ACE_HOLD_RATE = env.float("ACE_HOLD_RATE", 0.06, minimum=0, help="Simulator: share of entries that get a hold.")
ACE_EXAM_RATE = env.float("ACE_EXAM_RATE", 0.02, minimum=0, help="Simulator: share of entries sent to exam (1X).")
ACE_REJECT_RATE = env.float("ACE_REJECT_RATE", 0.01, minimum=0, help="Simulator: share of entries rejected for data errors.")
ACE_SEIZE_RATE = env.float("ACE_SEIZE_RATE", 0.1, minimum=0, help="Simulator: share of holds that end in seizure.")
ACE_RATE_LIMIT_PER_HOUR = env.int("ACE_RATE_LIMIT_PER_HOUR", 25_000, minimum=0,
                                  help="Entries transmitted per hour at most (CBP asks for 20-30k); 0 for no limit.")
ACE_BATCH_SIZE = env.int("ACE_BATCH_SIZE", 500, minimum=1, help="Entries per transmission batch.")
ACE_LATENCY_SECONDS = env.float("ACE_LATENCY_SECONDS", 0.0, minimum=0, help="Simulator: network latency of each transmission batch.")
ACE_STALE_SECONDS = env.int("ACE_STALE_SECONDS", 300, minimum=0,
                            help="A transmission still 'sending' after this long is checked with ACE and completed.")

# --- REST API and webhooks ------------------------------------------------------
API_RATE_LIMIT = env.str("API_RATE_LIMIT", "600/minute", help="Requests per API key (e.g. 600/minute); empty for no limit.")
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", 24, minimum=1, help="How long an Idempotency-Key is remembered.")
API_IDEMPOTENCY_CLAIM_SECONDS = env.int("API_IDEMPOTENCY_CLAIM_SECONDS", 300, minimum=1,
                                        help="How long a retried upload waits for the first one with the same key.")
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, help="Timeout of one webhook delivery.")
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", 8, minimum=1, help="Attempts of one webhook delivery before it fails.")
WEBHOOK_BACKOFF_SECONDS = env.int("WEBHOOK_BACKOFF_SECONDS", 30, minimum=0, help="First retry delay; doubles each attempt.")
WEBHOOK_BACKOFF_MAX_SECONDS = env.int("WEBHOOK_BACKOFF_MAX_SECONDS", 1800, minimum=0, help="Longest retry delay.")
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", 15, minimum=1,
                                help="Failed attempts in a row after which an endpoint is disabled and its admins told.")
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False,
                                           help="Allow webhook endpoints on private or loopback addresses (tests, intranets).")
WEBHOOK_PROXY = env.url("WEBHOOK_PROXY", "", ("http", "https"),
                        help="Send webhooks through this proxy (it must refuse private addresses itself); HTTP(S)_PROXY are ignored.")
WEBHOOK_STALE_SECONDS = env.int("WEBHOOK_STALE_SECONDS", 300, minimum=0, help="A delivery stuck this long is sent again.")
WEBHOOK_GAP_SECONDS = env.int("WEBHOOK_GAP_SECONDS", 300, minimum=0,
                              help="How long the dispatcher waits for an event id skipped by a transaction not yet committed.")

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"), help="Log level.")},
}
