"""Settings for Escalation Briefs, all read from the environment.

Every environment variable is listed in README.md and .env.example.
"""

import os
import tempfile
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

# Lets admin classes and querysets be subscripted for mypy at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def envdecimal(name: str, default: str) -> Decimal:
    value = os.environ.get(name) or default
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if not number.is_finite() or number < 0:
        raise ImproperlyConfigured(f"{name} must be a finite number >= 0, not {value!r}")
    return number


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envzone(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name} must be an IANA time zone, not {value!r}") from None
    return value


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (DEBUG=1 for development)"
        )
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
# The public address of the app, used to print executive links from the shell.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "simple_history",
    "axes",
    "briefs",
    # The task queue's table and its admin (briefs/tasks.py, `manage.py worker`).
    "django_tasks_db",
    # django-ninja (the JSON API, briefs/views/api.py): listed so its docs page is served from
    # its own vendored Swagger UI files in static/, never from a CDN.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files keep their long-lived caching), before everything that
    # may answer on its own (CSRF failures, login redirects, django-axes' lockout page).
    "briefs.middleware.CacheHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "briefs.middleware.SessionIdleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Names the user on each audit-trail record.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "briefs.middleware.TimezoneMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "escalation.urls"
WSGI_APPLICATION = "escalation.wsgi.application"

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

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    _database = dj_database_url.parse(DATABASE_URL)
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # psycopg's pool keeps connections per process; CONN_MAX_AGE must then be 0.
        _database["CONN_MAX_AGE"] = 0
        _database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": envint("DATABASE_POOL_MIN", 1, minimum=1),
            "max_size": envint("DATABASE_POOL_MAX", 10, minimum=1),
            "timeout": 10,
        }
        # Server-side binding with prepared statements: a query a connection has run a few
        # times is planned once, not on every request. Safe here because the pool is psycopg's
        # own (a transaction-pooling PgBouncer in between would need them off).
        _database["OPTIONS"]["server_side_binding"] = True
        _database["OPTIONS"]["prepare_threshold"] = (
            envint("DATABASE_PREPARE_THRESHOLD", 2) or None  # 0: never prepare
        )
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BASE_DIR / "var" / "db.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        # A file, not memory: tests/test_worker.py starts real worker processes against it.
        # One per test run (the process id), so two runs in one checkout never share one.
        "TEST": {"NAME": str(Path(tempfile.gettempdir()) / f"escalation-test-{os.getpid()}.db")},
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches and sessions live in the database (or Redis), never in a web node's memory,
# so any number of web replicas can share them.
REDIS_URL = os.environ.get("REDIS_URL", "")
_shared_cache: dict[str, object] = (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
)
CACHES = {
    "default": _shared_cache,
    # Rendered brief fragments, keyed by everything they depend on
    # (briefs.page_cache.cached_html): an entry is never stale, so each process may keep its
    # own copy in memory.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# An idle timeout: a session used within this many seconds lives on (briefs.middleware
# refreshes its expiry at most every few minutes rather than writing on every request).
SESSION_COOKIE_AGE = envint("SESSION_IDLE_TIMEOUT_SECONDS", 8 * 3600, minimum=60)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, with a cheaper load of the signed-in user on each request.
    "briefs.auth.ModelBackend",
]
# Login throttling: a client address is locked out after too many failures, for one username
# or across several. Another address is unaffected, so an attacker cannot lock a real user out.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
# An IPv4 address or an IPv6 /64 (RATE_LIMIT_IPV6_PREFIX), as the guess limit counts them.
AXES_CLIENT_IP_CALLABLE = "briefs.security.client_key"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
# How many proxies of ours append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# How many leading bits of an IPv6 address name one client for the login throttle and the guess
# limit: a subscriber commonly gets a whole /64 and may use any address in it.
RATE_LIMIT_IPV6_PREFIX = envint("RATE_LIMIT_IPV6_PREFIX", 64, minimum=1)
if RATE_LIMIT_IPV6_PREFIX > 128:
    raise ImproperlyConfigured(
        f"RATE_LIMIT_IPV6_PREFIX must be at most 128, not {RATE_LIMIT_IPV6_PREFIX}"
    )
# Wrong executive-link tokens a client may try per minute before it gets 429.
SHARE_LINK_GUESS_LIMIT = envint("SHARE_LINK_GUESS_LIMIT", 30, minimum=1)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "briefs:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The zone times are shown and entered in until the user picks one of their own.
DEFAULT_USER_TIME_ZONE = envzone("DEFAULT_USER_TIME_ZONE", "UTC")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Rendered PDFs (briefs.pdf_documents): a private folder that no URL serves, or an
# S3-compatible bucket when PDF_STORAGE_BUCKET is set (django-storages; see the README).
_PDF_BUCKET = envstr("PDF_STORAGE_BUCKET", "")
_PDF_STORAGE: dict[str, Any] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _PDF_BUCKET,
            "endpoint_url": envstr("PDF_STORAGE_ENDPOINT_URL", "") or None,
            "region_name": envstr("PDF_STORAGE_REGION", "") or None,
            "location": envstr("PDF_STORAGE_PREFIX", "pdfs"),
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
    if _PDF_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": BASE_DIR / "var" / "pdfs", "base_url": "/no-url-serves-pdfs/"},
    }
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "pdfs": _PDF_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = envint("MAX_REQUEST_BYTES", 256 * 1024, minimum=1024)

# Security headers. HTTPS settings default to on outside DEBUG; behind a proxy that
# terminates TLS set SECURE_PROXY_SSL_HEADER_ENABLED.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
if envbool("SECURE_PROXY_SSL_HEADER_ENABLED", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # No inline script or style at all, so no nonce: a page then holds no per-request value
    # beyond its CSRF token, and the executive link's page can be cached whole (briefs.views).
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# The CEO-level test (the wizard's first step): factor thresholds.
ESCALATION_REVENUE_PER_HOUR_THRESHOLD = envdecimal("ESCALATION_REVENUE_PER_HOUR_THRESHOLD", "10000")
ESCALATION_CUSTOMERS_THRESHOLD = envint("ESCALATION_CUSTOMERS_THRESHOLD", 1000)
ESCALATION_DURATION_HOURS_THRESHOLD = envint("ESCALATION_DURATION_HOURS_THRESHOLD", 4)

# The brief and its PDF.
BRIEF_REFRESH_SECONDS = envint("BRIEF_REFRESH_SECONDS", 60, minimum=1)
PDF_PAGE_SIZE = envstr("PDF_PAGE_SIZE", "A4")
if PDF_PAGE_SIZE not in {"A4", "letter"}:
    raise ImproperlyConfigured(f"PDF_PAGE_SIZE must be A4 or letter, not {PDF_PAGE_SIZE!r}")
PDF_RENDER_TIMEOUT_SECONDS = envint("PDF_RENDER_TIMEOUT_SECONDS", 30, minimum=1)
# The memory a render may take beyond what the worker's forked child starts with (briefs.pdf);
# 0: no limit.
PDF_RENDER_MEMORY_MB = envint("PDF_RENDER_MEMORY_MB", 512)
# PDF downloads one client may make through one executive link per minute (briefs.pdf_documents).
SHARE_LINK_PDF_LIMIT = envint("SHARE_LINK_PDF_LIMIT", 30, minimum=1)

# Background work (briefs/tasks.py): Django's tasks framework, queued in the database by
# django-tasks-db and run by `manage.py worker` (README, "Workers"). Workers claim jobs with
# SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so any number may share the queue; SQLite
# serialises them (one worker). TASKS_BACKEND=django.tasks.backends.immediate.ImmediateBackend
# runs every job inside the request that enqueues it, for a box without a worker.
TASKS = {"default": {"BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# A job still running after TASK_LEASE_SECONDS is presumed lost with its worker (killed, out of
# memory, machine gone) and queued again (briefs/task_queue.py): it must be longer than any job
# takes (the PDF render's hard limit is PDF_RENDER_TIMEOUT_SECONDS).
TASK_LEASE_SECONDS = envint("TASK_LEASE_SECONDS", 300, minimum=1)
# A lost job runs at most this many times in all, the n-th retry after backoff * 2**(n-1) s.
TASK_MAX_ATTEMPTS = envint("TASK_MAX_ATTEMPTS", 3, minimum=1)
TASK_RETRY_BACKOFF_SECONDS = envint("TASK_RETRY_BACKOFF_SECONDS", 30)
# How often an idle worker looks for a job (one indexed query each time): a tenth of a second
# adds at most that to a posted update's PDF (make bench: within 2 s).
TASK_POLL_SECONDS = float(envdecimal("TASK_POLL_SECONDS", "0.1")) or 0.1  # 0 would spin

# Timeline updates one incident accepts per minute (briefs.services.update_post): a person
# posts a few; sixty is a script or a stuck key.
UPDATE_POST_LIMIT_PER_MINUTE = envint("UPDATE_POST_LIMIT_PER_MINUTE", 6, minimum=1)

# --- Chat webhooks (briefs/chat.py: Slack and Microsoft Teams incoming webhooks) -----------------
CHAT_KINDS = ("slack", "teams")


def envwebhooks(name: str) -> list[tuple[str, str]]:
    """`kind:url` pairs, comma-separated: `slack:https://hooks.slack.com/services/...,teams:...`.

    Only the form is checked here; the host rule and the address check run when briefs.chat
    sends (a name may resolve elsewhere tomorrow), and on the form that adds one."""
    pairs: list[tuple[str, str]] = []
    for item in envlist(name):
        kind, _, url = item.partition(":")
        if kind not in CHAT_KINDS or not url.startswith("https://"):
            # The URL is a secret: the message names the kind and the position, not the value.
            raise ImproperlyConfigured(
                f"{name} must be comma-separated slack:https://... or teams:https://... entries;"
                f" entry {len(pairs) + 1} is not"
            )
        pairs.append((kind, url))
    return pairs


# Deployment-wide webhooks: every incident's notices go to these, beside the incident's own.
CHAT_WEBHOOKS = envwebhooks("CHAT_WEBHOOKS")
# Hosts a webhook may post to; "*.example.com" matches any name under example.com. Slack's
# incoming webhooks, Teams' Office 365 connectors (old and new hosts) and Power Automate
# Workflows (the connectors' replacement).
CHAT_WEBHOOK_ALLOWED_HOSTS = envlist(
    "CHAT_WEBHOOK_ALLOWED_HOSTS",
    "hooks.slack.com,*.webhook.office.com,outlook.office.com,*.logic.azure.com,"
    "*.environment.api.powerplatform.com",
)
# Loopback, private, link-local and other non-public addresses are refused (no server-side
# request forgery into the network the app runs in). 1 allows them, and ports other than 443:
# for a receiver on the same machine in development and tests only.
CHAT_WEBHOOK_ALLOW_PRIVATE = envbool("CHAT_WEBHOOK_ALLOW_PRIVATE", False)
CHAT_WEBHOOK_CONNECT_TIMEOUT_SECONDS = envint("CHAT_WEBHOOK_CONNECT_TIMEOUT_SECONDS", 3, minimum=1)
CHAT_WEBHOOK_TIMEOUT_SECONDS = envint("CHAT_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Certificate authorities (a PEM file) to trust instead of the system's, for webhooks behind a
# TLS-inspecting proxy; empty: the system's. The tests' receiver uses it for its own.
CHAT_WEBHOOK_CA_FILE = envstr("CHAT_WEBHOOK_CA_FILE", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "briefs.security.RedactSecrets"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own request and server loggers, through the redacting handler only.
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # The worker's job log (`manage.py worker`), once: db_worker adds a handler of its own
        # only to loggers that have none.
        "django.tasks": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django_tasks_db": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint narrates every render step at INFO.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# --- Sign-in: single sign-on, local accounts, MFA, admins (issue 19; briefs/sso.py) ---


def envurl(name: str) -> str:
    """An http(s) address without its trailing slash, or "" when unset."""
    value = os.environ.get(name, "").strip().rstrip("/")
    if value and not value.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"{name} must be an http(s) address, not {value!r}")
    return value


# OpenID Connect: the provider's issuer (its discovery document is at
# OIDC_ISSUER/.well-known/openid-configuration), this app's client, and the scopes asked for.
# Single sign-on is on when all three of issuer, client id and secret are set.
OIDC_ISSUER = envurl("OIDC_ISSUER")
OIDC_CLIENT_ID = envstr("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = envstr("OIDC_CLIENT_SECRET", "")
OIDC_SCOPES = envlist("OIDC_SCOPES", "openid,email,profile")
_oidc_set = [bool(OIDC_ISSUER), bool(OIDC_CLIENT_ID), bool(OIDC_CLIENT_SECRET)]
if any(_oidc_set) and not all(_oidc_set):
    raise ImproperlyConfigured(
        "OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together"
    )
if OIDC_ISSUER.startswith("http://"):
    if not DEBUG:
        raise ImproperlyConfigured(f"OIDC_ISSUER must be https outside DEBUG, not {OIDC_ISSUER!r}")
    # A provider on the developer's machine (README: oidc-provider-mock); Authlib refuses plain
    # http otherwise.
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
if OIDC_ISSUER and "openid" not in OIDC_SCOPES:
    raise ImproperlyConfigured(f"OIDC_SCOPES must include openid, not {OIDC_SCOPES!r}")
# The email domains a provider's verified address must belong to (empty: any).
SSO_ALLOWED_EMAIL_DOMAINS = [
    domain.lower().lstrip("@") for domain in envlist("SSO_ALLOWED_EMAIL_DOMAINS")
]
# Members of this group (the ID token's `groups` claim) are admins here: they see every incident.
SSO_ADMIN_GROUP = envstr("SSO_ADMIN_GROUP", "")
# Local accounts (username and password). Off (LOCAL_LOGIN=0) once single sign-on works: then
# only staff may still sign in locally, the break-glass way in.
LOCAL_LOGIN = envbool("LOCAL_LOGIN", True)
if not LOCAL_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured("LOCAL_LOGIN=0 needs single sign-on (OIDC_ISSUER and its client)")
if OIDC_ISSUER:
    # Log out is a form whose answer redirects to the provider's end_session_endpoint (on the
    # issuer's host at Okta, Entra ID and Keycloak); browsers hold that redirect to every
    # page's form-action, so the provider's origin joins 'self' there.
    _issuer_origin = "/".join(OIDC_ISSUER.split("/", 3)[:3])
    SECURE_CSP["form-action"] = [CSP.SELF, _issuer_origin]
# TOTP for local accounts (django-otp's TOTP device: drift, replay and throttling handled);
# recovery codes are this app's, stored hashed (briefs.models.RecoveryCode).
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp"]
# The issuer name an authenticator app shows beside the code.
OTP_TOTP_ISSUER = "Escalation Briefs"

# Reminders to the architect (issue 16, briefs/reminders.py): the owner and collaborators get an
# email this many minutes before the promised update is due, and another once it is overdue;
# every architect page shows a banner from then on. Links in the mail start with SITE_URL.
REMINDER_LEAD_MINUTES = envint("REMINDER_LEAD_MINUTES", 10, minimum=1)
TEMPLATES[0]["OPTIONS"]["context_processors"].append(  # type: ignore[index]
    "briefs.reminders.due_updates"
)


# --- The JSON API (briefs/views/api.py, briefs/api_auth.py) -----------------------------------
# The largest request body the API reads; anything larger gets 413 before it is parsed.
API_MAX_BODY_BYTES = envint("API_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
# Wrong, expired or revoked tokens a client may send within API_TOKEN_COOLOFF_MINUTES before
# every API request of that client gets 429 until the window ends: logins' rule (AXES_*).
API_TOKEN_FAILURE_LIMIT = envint("API_TOKEN_FAILURE_LIMIT", 10, minimum=1)
API_TOKEN_COOLOFF_MINUTES = envint("API_TOKEN_COOLOFF_MINUTES", 15, minimum=1)
# Tokens expire: 90 days unless asked otherwise, a year at most.
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365
# How many incidents a page of `GET /api/v1/incidents` holds at most.
API_PAGE_SIZE_MAX = 100


# --- Notifications (issue 16: briefs/notifications.py) ----------------------------------------
# Mail goes over SMTP when EMAIL_HOST is set; otherwise into files under var/mail/ (one file per
# message; `make run` says where), so a development checkout never mails anyone by accident.
# Django 6.1's MAILERS, read from the environment variables Django users know (EMAIL_*).
_EMAIL_HOST = envstr("EMAIL_HOST", "")
EMAIL_FILE_DIR = BASE_DIR / "var" / "mail"
if _EMAIL_HOST:
    MAILERS: dict[str, dict[str, Any]] = {
        "default": {
            # Django's SMTP backend, keeping a long List-Unsubscribe header intact.
            "BACKEND": "briefs.mail_backend.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST,
                "port": envint("EMAIL_PORT", 587, minimum=1),
                "username": envstr("EMAIL_HOST_USER", ""),
                "password": envstr("EMAIL_HOST_PASSWORD", ""),
                "use_tls": envbool("EMAIL_USE_TLS", True),
                # A send that hangs must end well before the task's lease (TASK_LEASE_SECONDS).
                "timeout": envint("EMAIL_TIMEOUT_SECONDS", 20, minimum=1),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(EMAIL_FILE_DIR)},
        }
    }
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Escalation Briefs <briefs@localhost>")
# Attach the brief's PDF to the escalation mail when it is ready (waiting up to
# NOTIFY_PDF_WAIT_SECONDS for the render, then sending without it and saying so).
NOTIFY_ATTACH_PDF = envbool("NOTIFY_ATTACH_PDF", True)
NOTIFY_PDF_WAIT_SECONDS = envint("NOTIFY_PDF_WAIT_SECONDS", 60)
# A message that fails (the mail server refuses, a webhook answers 5xx) is tried this many times
# in all, the n-th retry NOTIFY_RETRY_BACKOFF_SECONDS * 2**(n-1) after the failure.
NOTIFY_MAX_ATTEMPTS = envint("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_BACKOFF_SECONDS = envint("NOTIFY_RETRY_BACKOFF_SECONDS", 30)
