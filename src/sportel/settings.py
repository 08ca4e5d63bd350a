"""Sportel settings, read from the environment.

Development defaults are safe and need nothing installed (SQLite under ./var, console email,
file SMS). Production mode (SPORTEL_ENV=production) refuses to start without a real secret key
and allowed hosts.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env("SPORTEL_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SPORTEL_ENV = env("SPORTEL_ENV", "development")
PRODUCTION = SPORTEL_ENV == "production"
DEVELOPMENT_SECRET_KEY = "sportel-development-secret-key-not-for-production"  # noqa: S105

SECRET_KEY = env("SPORTEL_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("SPORTEL_DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "SPORTEL_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]"
)
CSRF_TRUSTED_ORIGINS = env_list("SPORTEL_CSRF_TRUSTED_ORIGINS")

if PRODUCTION:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SPORTEL_SECRET_KEY must be set to a random value of at least 50 characters "
            "in production (generate one with: sportel generate-secret-key)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("SPORTEL_ALLOWED_HOSTS must list the site's host names.")
    if DEBUG:
        raise ImproperlyConfigured("SPORTEL_DEBUG must be off in production.")

INSTALLED_APPS = [
    "sportel.core",
    "sportel.accounts",
    "sportel.web",
    "sportel.documents",
    "sportel.services",
    "sportel.reports",
    "sportel.floor",
    "sportel.revenue",
    "sportel.opendata",
    "sportel.participation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "mozilla_django_oidc",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sportel.core.middleware.RequestMetricsMiddleware",
    "sportel.core.logging.RequestLogMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sportel.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "sportel.core.middleware.TenantMiddleware",
    "axes.middleware.AxesMiddleware",
    "sportel.accounts.middleware.KioskSessionMiddleware",
]

ROOT_URLCONF = "sportel.urls"
WSGI_APPLICATION = "sportel.wsgi.application"
ASGI_APPLICATION = "sportel.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sportel.web.context_processors.sportel",
            ],
        },
    }
]

# Every form renders GOV.UK-style from {{ form }}: labels, hints, errors next to the field.
FORM_RENDERER = "sportel.web.forms.GovukFormRenderer"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env("SPORTEL_DATABASE_URL", f"sqlite:///{DATA_DIR / 'sportel.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers queue instead of
    # failing with "database is locked" when both upgrade from a read; WAL lets readers go on.
    # The busy timeout is how long a writer waits for the lock before "database is locked";
    # no transaction holds the lock across slow work, so waits are short and this is a ceiling.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": float(env("SPORTEL_SQLITE_BUSY_TIMEOUT", "20")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(env("SPORTEL_DB_CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The hot statements sent through sportel.core.prepared are prepared once per connection;
    # off behind a pooler that cannot keep them.
    if env_bool("SPORTEL_DB_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1
    # Django's own statements too (decision 0035): parameters bound by PostgreSQL instead of
    # quoted into the text in Python, and, with prepare_threshold, a statement run a second
    # time on a connection prepared. Off behind a pooler in transaction mode.
    if env_bool("SPORTEL_DB_SERVER_SIDE_BINDING", True):
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: live-server browser tests and concurrency tests use several connections.
    DATABASES["default"]["TEST"] = {
        "NAME": env("SPORTEL_TEST_DATABASE_NAME", str(DATA_DIR / "test.sqlite3"))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (Redis when configured, local memory otherwise) ----------------------------------
REDIS_URL = env("SPORTEL_REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts, sessions, 2FA, login throttling ----------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "sportel.accounts.backends.LoginBackend",
]
OIDC_ENABLED = bool(env("SPORTEL_OIDC_CLIENT_ID"))
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("sportel.accounts.oidc.EIDBackend")
    OIDC_RP_CLIENT_ID = env("SPORTEL_OIDC_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env("SPORTEL_OIDC_CLIENT_SECRET", "")
    OIDC_RP_SIGN_ALGO = env("SPORTEL_OIDC_SIGN_ALGO", "RS256")
    OIDC_RP_SCOPES = env("SPORTEL_OIDC_SCOPES", "openid profile email")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env("SPORTEL_OIDC_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env("SPORTEL_OIDC_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env("SPORTEL_OIDC_USERINFO_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = env("SPORTEL_OIDC_JWKS_ENDPOINT")
    OIDC_NID_CLAIM = env("SPORTEL_OIDC_NID_CLAIM", "nid")
    OIDC_USE_PKCE = True
# Every call to the eID provider (token, keys, user info) is bounded: a hung provider fails the
# login instead of holding a worker (mozilla-django-oidc waits forever by default).
OIDC_TIMEOUT = float(env("SPORTEL_OIDC_TIMEOUT", "10"))
# The managed kiosk's eID sign-in (floor/kiosk_eid.py) ends the provider's session when the kiosk
# session ends (RP-initiated logout): the end_session_endpoint is read from the discovery
# document, or given outright. The ID token's auth_time may be this many seconds older than the
# sign-in request (clock skew); the discovery call at logout waits at most the logout timeout.
OIDC_OP_DISCOVERY_ENDPOINT = env("SPORTEL_OIDC_DISCOVERY_URL", "")
OIDC_OP_END_SESSION_ENDPOINT = env("SPORTEL_OIDC_END_SESSION_ENDPOINT", "")
SPORTEL_KIOSK_EID_SKEW_SECONDS = int(env("SPORTEL_KIOSK_EID_SKEW_SECONDS", "10"))
SPORTEL_KIOSK_EID_LOGOUT_TIMEOUT = float(env("SPORTEL_KIOSK_EID_LOGOUT_TIMEOUT", "3"))
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:after-login"
LOGOUT_REDIRECT_URL = "web:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_ENGINE = "sportel.accounts.sessions"
SESSION_COOKIE_AGE = int(env("SPORTEL_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "sportel.web.errors.csrf_failure"  # in the visitor's language, with the layout
AXES_FAILURE_LIMIT = int(env("SPORTEL_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("SPORTEL_LOGIN_COOLOFF_HOURS", "0.25"))
# One login from one client address; a slower cap per address; see accounts/throttle.py.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "sportel.accounts.throttle.LoginThrottle"
AXES_LOCKOUT_CALLABLE = "sportel.accounts.views.locked_out"
AXES_USERNAME_CALLABLE = "sportel.accounts.normalize.axes_username"
AXES_CLIENT_IP_CALLABLE = "sportel.accounts.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
# A refused attempt during a lock-out is answered 429 and not counted again (so the per-address
# cap, which axes' own counter does not see, answers 429 too; the lock does not grow).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # "N failed attempts since your last login, from …"
AXES_VERBOSE = False
SPORTEL_LOGIN_ADDRESS_FAILURE_LIMIT = int(env("SPORTEL_LOGIN_ADDRESS_FAILURE_LIMIT", "50"))
# Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated).
SPORTEL_TRUSTED_PROXIES = env_list("SPORTEL_TRUSTED_PROXIES", "127.0.0.1,::1")
# A kiosk session ends after this long without a request (and the screen returns to the start).
SPORTEL_KIOSK_IDLE_SECONDS = int(env("SPORTEL_KIOSK_IDLE_SECONDS", "120"))
OTP_TOTP_ISSUER = "Sportel"

# --- Security headers ------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SPORTEL_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    if not SECURE_SSL_REDIRECT and SECURE_PROXY_SSL_HEADER:
        # SPORTEL_SSL_REDIRECT=off is for a TLS-terminating proxy that redirects http→https
        # itself (the operator guide's nginx does). Django's W008 cannot see the proxy, so it
        # is silenced then, and only then; HSTS and secure cookies stay on.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SPORTEL_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = "sq"
LANGUAGES = [("sq", _("Albanian")), ("en", _("English"))]
LOCALE_PATHS: list[str] = []  # each app owns its catalogue: <app>/locale/
TIME_ZONE = "Europe/Tirane"
# Dates and numbers as each language writes them (Django's sq set is incomplete): web/formats/.
FORMAT_MODULE_PATH = ["sportel.web.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if env("SPORTEL_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("SPORTEL_S3_BUCKET"),
            "endpoint_url": env("SPORTEL_S3_ENDPOINT_URL"),
            "region_name": env("SPORTEL_S3_REGION"),
            "access_key": env("SPORTEL_S3_ACCESS_KEY_ID"),
            "secret_key": env("SPORTEL_S3_SECRET_ACCESS_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
        },
    }
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
SPORTEL_MAX_UPLOAD_BYTES = int(env("SPORTEL_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
# Width × height of an uploaded image, checked from its header before it is decoded: 50 million
# takes a 50-megapixel phone photo; a decompression bomb (13000 × 13000 in 500 KB) is refused.
SPORTEL_MAX_UPLOAD_PIXELS = int(env("SPORTEL_MAX_UPLOAD_PIXELS", "50000000"))

# --- Email and SMS ----------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "SPORTEL_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env("SPORTEL_EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "outbox" / "email"
EMAIL_HOST = env("SPORTEL_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("SPORTEL_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("SPORTEL_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env("SPORTEL_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("SPORTEL_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("SPORTEL_EMAIL_FROM", "Sportel <no-reply@sportel.localhost>")
# Seconds for each blocking step of an SMTP exchange (connect, every reply): a mail server that
# accepts and never answers costs the worker this long, never more than a few times over.
EMAIL_TIMEOUT = float(env("SPORTEL_EMAIL_TIMEOUT", "10"))
SPORTEL_SMS_PROVIDER = env("SPORTEL_SMS_PROVIDER", "file")
SPORTEL_SMS_TIMEOUT = float(env("SPORTEL_SMS_TIMEOUT", "10"))  # passed to the gateway's send()
SPORTEL_SMS_FILE_PATH = DATA_DIR / "outbox" / "sms"
# Shared secret of the SMS gateway's inbound webhook (floor: tickets by SMS); empty: refused.
SPORTEL_SMS_INBOUND_SECRET = env("SPORTEL_SMS_INBOUND_SECRET", "")
SPORTEL_PUBLIC_URL = env("SPORTEL_PUBLIC_URL", "http://127.0.0.1:8000")
# The map tiles behind Leaflet maps, e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png" (mind
# the tile server's usage policy), with its attribution. With none set, maps show no tiles and
# every map page still works through its typed address / coordinates fallback.
SPORTEL_MAP_TILE_URL = env("SPORTEL_MAP_TILE_URL", "")
SPORTEL_MAP_ATTRIBUTION = env("SPORTEL_MAP_ATTRIBUTION", "")
# Where this deployment's source code is published (AGPL); the footer links to it when set.
SPORTEL_SOURCE_URL = env("SPORTEL_SOURCE_URL", "")

# --- Background work: Django's tasks API, database backend --------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "notifications", "documents", "revenue"],
    }
}
SPORTEL_TASK_STALE_SECONDS = int(env("SPORTEL_TASK_STALE_SECONDS", "300"))
SPORTEL_TASK_MAX_ATTEMPTS = int(env("SPORTEL_TASK_MAX_ATTEMPTS", "5"))  # worker deaths per task
# Revenue: an assessment run split into this many shards, one worker task each (decision 0029).
SPORTEL_ASSESSMENT_SHARDS = int(env("SPORTEL_ASSESSMENT_SHARDS", "1"))
SPORTEL_NOTIFICATION_MAX_ATTEMPTS = int(env("SPORTEL_NOTIFICATION_MAX_ATTEMPTS", "6"))
# Open data: counts below this are suppressed in every published statistic (core/feeds.py).
SPORTEL_OPEN_DATA_MIN_COUNT = int(env("SPORTEL_OPEN_DATA_MIN_COUNT", "5"))
# CKAN's datastore_search_sql: off unless an operator turns it on; then one read-only SELECT.
SPORTEL_OPEN_DATA_SQL = env_bool("SPORTEL_OPEN_DATA_SQL", default=False)
SPORTEL_OPEN_DATA_SQL_TIMEOUT_MS = int(env("SPORTEL_OPEN_DATA_SQL_TIMEOUT_MS", "2000"))
SPORTEL_OPEN_DATA_MAX_UPLOAD_MB = int(env("SPORTEL_OPEN_DATA_MAX_UPLOAD_MB", "50"))
# Hosts a scheduled refresh may fetch even though they resolve to an internal address.
SPORTEL_OPEN_DATA_REFRESH_ALLOWED_HOSTS = env("SPORTEL_OPEN_DATA_REFRESH_ALLOWED_HOSTS", "")
SPORTEL_NOTIFICATION_BACKOFF_SECONDS = int(env("SPORTEL_NOTIFICATION_BACKOFF_SECONDS", "30"))
# How long a worker owns a notification it is sending; past it, another worker may send it again
# (the first one died or hung). Keep it well above the email and SMS timeouts.
SPORTEL_NOTIFICATION_LEASE_SECONDS = int(env("SPORTEL_NOTIFICATION_LEASE_SECONDS", "120"))
if 3 * max(EMAIL_TIMEOUT, SPORTEL_SMS_TIMEOUT) > SPORTEL_NOTIFICATION_LEASE_SECONDS:
    raise ImproperlyConfigured(
        "SPORTEL_NOTIFICATION_LEASE_SECONDS must be at least three times the longer of "
        "SPORTEL_EMAIL_TIMEOUT and SPORTEL_SMS_TIMEOUT, or a slow send is sent twice."
    )

# --- Observability -------------------------------------------------------------------------
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_personal_data": {"()": "sportel.core.logging.RedactPersonalData"}},
    "formatters": {"json": {"()": "sportel.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["no_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env("SPORTEL_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# --- Floor: paying at a kiosk (issue 10) ------------------------------------------------------
# Empty URL: the sandbox provider approves in-process (the demo; no money moves). Set: the
# provider's charge endpoint; its 200 answer is the provider's signed event.
SPORTEL_KIOSK_PAYMENT_URL = env("SPORTEL_KIOSK_PAYMENT_URL", "")
SPORTEL_KIOSK_PAYMENT_PROVIDER = env("SPORTEL_KIOSK_PAYMENT_PROVIDER", "sandbox")
SPORTEL_KIOSK_PAYMENT_TIMEOUT = float(env("SPORTEL_KIOSK_PAYMENT_TIMEOUT", "20"))

# --- Reports: Open311 writes per minute (open311._rate_limit) ---------------------------------
SPORTEL_OPEN311_POSTS_PER_IP_MINUTE = int(env("SPORTEL_OPEN311_POSTS_PER_IP_MINUTE") or 120)
SPORTEL_OPEN311_POSTS_PER_KEY_MINUTE = int(env("SPORTEL_OPEN311_POSTS_PER_KEY_MINUTE") or 6000)
