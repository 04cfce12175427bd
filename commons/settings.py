"""Settings for Research Commons, all driven by environment variables.

DEBUG is off unless the environment turns it on (`make run` and the test suite set DEBUG=1). The
other defaults serve the embedded local mode (SQLite, Celery tasks run in-process, console e-mail).
Production sets SECRET_KEY (or SECRET_KEY_FILE), ALLOWED_HOSTS, DATABASE_URL, CELERY_BROKER_URL,
REDIS_URL and the SMTP variables (README, "Production"); with DEBUG off an empty or default secret
refuses to start.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from whitenoise.compress import Compressor
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded SQLite database and e-mail files live here


def envstr(name: str, default: str = "") -> str:
    """A string setting; NAME_FILE, when set, names a file holding the value (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc.strerror}.") from None
    return os.environ.get(name, default)


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def envbool(name: str, default: bool) -> bool:
    """A boolean setting. Anything but a recognised word refuses to start: `SECURE_COOKIES=ture` must not
    quietly mean insecure cookies."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of {', '.join(sorted(TRUE_WORDS | FALSE_WORDS))}.")


def envint(name: str, default: int) -> int:
    """An integer setting; a value that is not a whole number refuses to start, naming the variable."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


DEFAULT_SECRET = "insecure-local-development-secret-do-not-use-in-production"
DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY").strip() or DEFAULT_SECRET  # empty counts as unset, never as a key
if not DEBUG and SECRET_KEY == DEFAULT_SECRET:
    raise ImproperlyConfigured(
        "Set SECRET_KEY (or SECRET_KEY_FILE) to a long random value when DEBUG is off; it is empty or the "
        "built-in development secret. (For local use set DEBUG=1, as `make run` does.)")

ALLOWED_HOSTS = [h for h in envstr("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in envstr("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_ROOT = envstr("SITE_ROOT", "http://127.0.0.1:8000")
# E-mails name the site by these (allauth reads the Site row, which `migrate` keeps equal to SITE_NAME and
# SITE_ROOT's host: commons/sites.py), never Django's "example.com".
SITE_NAME = envstr("SITE_NAME", "Research Commons")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "commons",
    "reviews",
    "reviews.reliability",
    "reviews.explorer",
]

MIDDLEWARE = [
    "commons.health.HealthCheckMiddleware",  # first: answers /healthz and /readyz whatever the Host or scheme
    "commons.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "commons.middleware.ContentSecurityPolicyMiddleware",
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),  # static files (with the CSP header too)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "commons.request_guards.RejectNulParametersMiddleware",
    "commons.unavailable.ServiceUnavailableMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "commons.curators.CuratorSecondFactorMiddleware",  # a curator without the second factor sees what a member sees
]

ROOT_URLCONF = "commons.urls"
WSGI_APPLICATION = "commons.wsgi.application"

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
                "commons.context_processors.site",
            ],
        },
    }
]

FORM_RENDERER = "commons.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'commons.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer fails a request (and /readyz) in seconds, not after the OS's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = envint("DB_CONNECT_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent readers while the in-process importer writes.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
if envstr("DATABASE_TEST_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": envstr("DATABASE_TEST_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "commons.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail login, mandatory verification, rate limits on (they use the cache).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Research Commons] "
# Two-factor sign-in (allauth.mfa): an authenticator app (TOTP) and recovery codes, for everyone, from
# /account/. Curator pages and curator API calls need it (commons/curators.py) unless this is turned off.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
CURATOR_MFA_REQUIRED = envbool("CURATOR_MFA_REQUIRED", True)
ACCOUNT_ADAPTER = "commons.accounts.AccountAdapter"  # allauth's limits count by commons.ratelimits.client_ip

# Client addresses (commons/ratelimits.py): how many reverse proxies we run in front of the app, each
# appending to X-Forwarded-For. 0 = the app is reached directly and REMOTE_ADDR is the client; behind
# .deploy/nginx.conf it is 1. Never more than the proxies you run: each extra one lets a client choose its
# address. allauth is told the same (its own look-up is replaced by the adapter above anyway).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Rate limits (README, "Rate limits"): requests per window, counted in the cache (fail open if Redis is down).
RATE_LIMITS = {
    "anon": f"{envint('RATE_LIMIT_ANON_PER_MINUTE', 120)}/min",  # anonymous API calls, per client address
    "user": f"{envint('RATE_LIMIT_USER_PER_MINUTE', 1200)}/min",  # browser (session) API calls, per user
    "token": f"{envint('RATE_LIMIT_TOKEN_PER_MINUTE', 600)}/min",  # calls with an API token, per token
    "invalid_token": f"{envint('RATE_LIMIT_INVALID_TOKEN_PER_MINUTE', 20)}/min",  # bad tokens, per address
    "upload": f"{envint('RATE_LIMIT_UPLOADS_PER_HOUR', 120)}/hour",  # transcript uploads, per user
    "import": f"{envint('RATE_LIMIT_IMPORTS_PER_HOUR', 20)}/hour",  # bulk imports, per user
    "admin_login": f"{envint('RATE_LIMIT_ADMIN_LOGIN_PER_MINUTE', 10)}/min",  # /admin/login/ posts, per address
}

# Locally (DEBUG) mail is printed to the console; in production it goes out by SMTP unless told otherwise.
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if DEBUG
                       else "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Research Commons <noreply@localhost>")
EMAIL_FILE_PATH = VAR_DIR / "mail"

REDIS_URL = envstr("REDIS_URL")
# Every cache key starts with this, so two sites (say staging and production) sharing one Redis database
# never read each other's pages, fingerprints or rate-limit counters.
CACHE_KEY_PREFIX = envstr("CACHE_KEY_PREFIX", "commons").strip() or "commons"
if REDIS_URL:
    # Redis down means no cache, not no site (commons/cache.py); rate limits fail open meanwhile.
    CACHES = {"default": {"BACKEND": "commons.cache.ResilientRedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": CACHE_KEY_PREFIX}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": CACHE_KEY_PREFIX}}

# Celery: with no broker configured, tasks run in-process (the embedded default).
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
# In-process, a job a person waits for (an import, a release build) runs in a background thread ("thread") or
# in the request that started it ("inline"); commons/broker.py refuses anything else.
IN_PROCESS_JOBS = envstr("IN_PROCESS_JOBS", "thread")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 900)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 960)
# Surviving broker faults (README, "Faults"). A message a worker took but never acknowledged (it was
# killed) goes back on the queue after the visibility timeout: longer than any task may run plus the
# longest retry countdown (960 + 600 s), else a slow task would be delivered twice; minutes, not
# Redis's default hour, so a killed import resumes soon. The sweeper (commons/jobs.py) is quicker still.
BROKER_VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", 1800)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, BROKER_VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,  # look for expired messages every interval, not every tenth
    "socket_connect_timeout": 5,  # a web request sending a task to an unreachable Redis gives up in seconds
    "socket_timeout": 10,
    "socket_keepalive": True,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers log through LOGGING below (LOG_FORMAT=json too)
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits out a Redis outage of any length
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# Running tasks keep running through a broker blip; their unacknowledgeable message is redelivered
# after the visibility timeout and finds its job finished (every acks_late task here is idempotent).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
JOB_SWEEP_SECONDS = envint("CELERY_SWEEP_SECONDS", 60)
# `celery -A commons beat` sends these; each task is idempotent, so a beat restart or a duplicate send is harmless.
CELERY_BEAT_SCHEDULE = {
    "sweep-import-jobs": {"task": "commons.tasks.sweep_import_jobs", "schedule": JOB_SWEEP_SECONDS},
    "sweep-release-builds": {"task": "reviews.explorer.tasks.sweep_release_builds", "schedule": JOB_SWEEP_SECONDS},
    # recomputes whose enqueue was lost (broker outage, killed worker)
    "sweep-agreement-requests": {"task": "reviews.reliability.tasks.sweep_pending_recomputes",
                                 "schedule": JOB_SWEEP_SECONDS},
    "explorer-refresh": {  # a no-op when the explorer's inputs are unchanged; catches writes around the signals
        "task": "reviews.explorer.tasks.refresh_explorer",
        "schedule": float(envint("BEAT_EXPLORER_REFRESH_SECONDS", 900)),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "commons.api.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "commons.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "commons.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [  # rates: RATE_LIMITS above, read at call time
        "commons.ratelimits.AnonymousThrottle",
        "commons.ratelimits.SessionUserThrottle",
        "commons.ratelimits.TokenThrottle",
    ],
    "EXCEPTION_HANDLER": "commons.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Research Commons API",
    "DESCRIPTION": "Interviews with language models, their metadata and transcripts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get names that say whose they are.
    "ENUM_NAME_OVERRIDES": {
        "InterviewerKindEnum": "commons.models.Interviewer.Kind",
        "InterviewStatusEnum": "commons.models.Interview.Status",
        "ReviewKindEnum": "reviews.models.Review.Kind",
        "ReviewStatusEnum": "reviews.models.Review.Status",
    },
}

# Upload limits (bytes) and parser guards.
TRANSCRIPT_MAX_BYTES = envint("TRANSCRIPT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 100 * 1024 * 1024)
IMPORT_MAX_ARCHIVE_ENTRIES = envint("IMPORT_MAX_ARCHIVE_ENTRIES", 5000)
# Items saved per transaction by a bulk import; progress becomes visible a batch at a time.
IMPORT_BATCH_SIZE = envint("IMPORT_BATCH_SIZE", 100)
IMPORT_MAX_UNCOMPRESSED_BYTES = envint("IMPORT_MAX_UNCOMPRESSED_BYTES", 500 * 1024 * 1024)
TRANSCRIPT_MAX_JSON_DEPTH = envint("TRANSCRIPT_MAX_JSON_DEPTH", 100)
DATA_UPLOAD_MAX_MEMORY_SIZE = TRANSCRIPT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = VAR_DIR / "media"
# Production serves `collectstatic` output through WhiteNoise: compressed, content-hashed names, cached
# forever. Under DEBUG runserver (and the tests' live server) serve static/ directly with the plain storage,
# so no collectstatic is needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Source maps (8 MB of the API docs' bundles) are only fetched by browser developer tools: serving them
# uncompressed costs nothing a visitor notices and takes most of the time out of `collectstatic`. The unhashed
# copies are never linked (every template uses {% static %}), so only the hashed ones are kept and compressed.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (.deploy/nginx.conf does), say so, or every
# request looks like plain http and SECURE_SSL_REDIRECT loops.
if envbool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOG_FORMAT = envstr("LOG_FORMAT", "text")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use json (one object per line) or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "commons.logs.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "commons.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request"]}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "WARNING")},
}
