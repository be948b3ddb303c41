"""Settings, all from the environment (and an optional `.env` file); see `.env.example`."""

import datetime
from pathlib import Path

import environ

from config.database import database_settings
from config.errors import ConfigurationError

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# Development gets a fixed key so sessions survive restarts; production must set its own.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise ConfigurationError("SECRET_KEY is not set: set it to a long random string, or set DEBUG=true")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.ClubAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clubs",
    "members",
    "facilities",
    "classes",
    "bookings",
    "desk",
    "schedule",
    "reports",
    "audit",
    "staff_auth",
    "access",
    "demo",
    "two_factor",
]

MIDDLEWARE = [
    "config.middleware.RequestLimitsMiddleware",  # 414/431 before anything reads the request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "two_factor.middleware.TwoFactorMiddleware",  # managers' admin pages wait for the one-time code
    "audit.context.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "staff_auth.middleware.StaffSessionMiddleware",  # idle sessions end, lockouts say until when
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

# Database: DATABASE_URL, or the embedded PostgreSQL in EMBEDDED_DATABASE_DIR when it is unset.
EMBEDDED_DATABASE_DIR = Path(env.str("EMBEDDED_DATABASE_DIR", default=str(BASE_DIR / ".pgdata")))
DATABASES = {"default": database_settings(env.str("DATABASE_URL", default=""), embedded_data_dir=EMBEDDED_DATABASE_DIR)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# Behind a transaction pooler (DATABASE_URL on port 6543, or DATABASE_TRANSACTION_POOLER=true) no
# statement is prepared and no server-side cursor opened (config/database.py); db_doctor reports
# settings that a pooler would break. Tested behind PgBouncer by `make test-pooler`.
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en-us")
# The zone staff see in the admin; each branch also has its own zone for opening hours.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# HTTPS hardening; on by default outside DEBUG so `check --deploy` is clean in production.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies in front of the app: the client's address (audit entries, the sign-in throttle) is the
# entry they wrote into X-Forwarded-For, this many from the right; 0 ignores the header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_TLS_PROXY else 0)
X_FRAME_OPTIONS = "DENY"
# fields.W161 warns of a fixed time default (the opening hours' 06:00 and 22:00) whenever a process
# starts within ten seconds of it: a warning before every command's output at those moments.
SILENCED_SYSTEM_CHECKS = ["fields.W161", *env.list("SILENCED_SYSTEM_CHECKS", default=[])]

LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler would print everything a second time through the root.
        "django": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO"), "propagate": False},
        "pgserver": {"level": "WARNING"},
    },
}

# The API's per-member throttle counts in this cache. The default counts in each process, so each
# gunicorn worker would give a member the whole allowance again: in production point CACHE_URL at
# a cache the workers share (redis://HOST:6379/0 with the `redis` package, or dbcache://TABLE
# after `manage.py createcachetable`).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "members.authentication.SupabaseTokenAuthentication",
        "staff_auth.authentication.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only in production; the browsable pages while developing
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "config.api.MultiPartFormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pages",
    "DEFAULT_THROTTLE_CLASSES": ["config.api.PerMemberThrottle"],
    "DEFAULT_THROTTLE_RATES": {"member": env.str("API_RATE_PER_MEMBER", default="120/min")},
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.ApiSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Club Operations API",
    "DESCRIPTION": (
        "Members authenticate with their Supabase access token (Authorization: Bearer ...); staff with "
        "their admin session or an API token (Authorization: Token ...). Every error (4xx and 5xx) has the "
        'body {"code", "message", "details"}; `code` is stable per rule. Times of slots, classes and bookings '
        "are on their branch's clock: ISO 8601 with the branch's UTC offset, next to the branch's `time_zone`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "BookingKindEnum": "bookings.services.BookingKind",
        "FacilityKindEnum": "facilities.models.FacilityKind",
    },
}

# Supabase access tokens: the project's JWT secret (HS256) and/or its signing keys (ES256/RS256)
# as a JWKS document, from a URL (cached) or a file.
SUPABASE_JWT_SECRET = env.str("SUPABASE_JWT_SECRET", default="")
SUPABASE_JWKS_URL = env.str("SUPABASE_JWKS_URL", default="")
SUPABASE_JWKS_FILE = env.str("SUPABASE_JWKS_FILE", default="")
SUPABASE_JWKS_CACHE_SECONDS = env.int("SUPABASE_JWKS_CACHE_SECONDS", default=600)
SUPABASE_JWT_AUDIENCE = env.str("SUPABASE_JWT_AUDIENCE", default="authenticated")
SUPABASE_JWT_LEEWAY_SECONDS = env.int("SUPABASE_JWT_LEEWAY_SECONDS", default=30)

# How many days ahead `manage.py ensure_slots` generates slots when not told.
SLOT_GENERATION_DAYS = env.int("SLOT_GENERATION_DAYS", default=28)

# Demo data and admin niceties.
CLUB_NAME = env.str("CLUB_NAME", default="Club Operations")

# How often the desk's live panels (Today) fetch the current state, in seconds.
DESK_REFRESH_SECONDS = env.int("DESK_REFRESH_SECONDS", default=10)

# Staff sign-in (staff_auth/). Failed sign-ins are counted per username and per address (django-axes,
# in the database); after SIGN_IN_FAILURE_LIMIT of either within SIGN_IN_COOLOFF_MINUTES, that name
# or address waits out the cool-off (a manager or `unlock_sign_in` can end it sooner). Behind a
# proxy the client's address is the TRUSTED_PROXY_COUNT-th entry from the right of X-Forwarded-For
# (the one the proxy wrote), never one the client could write itself.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ENABLED = env.bool("SIGN_IN_THROTTLE", default=True)
AXES_HANDLER = "staff_auth.throttle.SignInThrottle"
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("SIGN_IN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The cool-off ends when the lockout said it would, however often someone tries meanwhile.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail
AXES_ENABLE_ADMIN = False  # staff_auth's pages list and unlock them
AXES_VERBOSE = False
# staff_auth's middleware answers lockouts (axes' costs on every request, /api/ included)
SILENCED_SYSTEM_CHECKS += ["axes.W002"]
AXES_CLIENT_IP_CALLABLE = "audit.context.client_address"
AXES_USERNAME_CALLABLE = "staff_auth.throttle.counted_username"
# Shared desk computers: a session ends after this many minutes without activity (the page warns
# SESSION_IDLE_WARNING_SECONDS before, and shows the sign-in form when it ends), managers' after
# their own; 0 turns it off. The session cookie also ends with the browser, and after
# SESSION_COOKIE_AGE seconds at most.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=15)
SESSION_IDLE_MINUTES_MANAGERS = env.int("SESSION_IDLE_MINUTES_MANAGERS", default=30)
SESSION_IDLE_WARNING_SECONDS = env.int("SESSION_IDLE_WARNING_SECONDS", default=120)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
LOGOUT_REDIRECT_URL = "admin:login"  # the next person signs in at once
# Staff API tokens (kiosks, partner tools) last this many days unless made for fewer.
STAFF_API_TOKEN_DAYS = env.int("STAFF_API_TOKEN_DAYS", default=90)

# Superusers and staff who may override capacity or export the audit trail sign in with a one-time
# code from an authenticator app too (two_factor/). Off while developing, so that `make run`'s demo
# logins need a password only.
STAFF_TWO_FACTOR_REQUIRED = env.bool("STAFF_TWO_FACTOR_REQUIRED", default=not DEBUG)
OTP_TOTP_ISSUER = CLUB_NAME  # the account's name in the authenticator app
