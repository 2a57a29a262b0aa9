"""Settings shared by every environment. Everything is wired here; the other files only adjust.

Each value that differs between machines comes from an environment variable (see README,
"Configuration"). Production (production.py) refuses to start without the secrets it needs.
"""

from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SHARED_DIR = Path(env_str("SHARED_DIR", str(BASE_DIR.parent / "shared")))

SECRET_KEY = env_str("SECRET_KEY", "insecure-local-development-key-do-not-use-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "axes",
    "common",
    "accounts",
    "enterprises",
    "policies",
    "applications",
    "reviews",
    "awards",
    "notifications",
    "deadlines",
    "reports",
    "portal",
    "workbench",
    "perf",
    "security",
    # revocation receivers of the authentication cache (accounts/auth_cache.py)
    "accounts.auth_cache_app.AuthCacheConfig",
    "idempotency",
    "outbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "security.middleware.SecurityHeadersMiddleware",  # CSP, no-store, TRACE → 405 (SECURITY.md)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "security.middleware.SingleLanguageLocaleMiddleware",  # LocaleMiddleware; one language: no negotiation
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "security.middleware.PageMessageMiddleware",  # MessageMiddleware, not for /api/
    # after the messages: a page request signed out for idleness is told why
    "security.middleware.SessionGuardMiddleware",  # idle/absolute timeouts, inactive users
    "security.middleware.AuditActorMiddleware",  # app.actor for the audit triggers
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "security.middleware.PageHtmxMiddleware",  # HtmxMiddleware, not for /api/
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the 429 answer
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "notifications.context_processors.unread_count",
            ],
        },
    },
]

# DATABASE_URL, e.g. postgres://app:app@127.0.0.1:5432/app ; SQLite when unset (local demo).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
POSTGRES_ENGINE = "common.pgbackend"  # Django's backend + a health check without a round trip
# psycopg prepares a statement of common.pgbackend's repeatable_cursor (the case list's page)
# after this many runs of the same text on a connection; 0 turns it off (transaction poolers).
DB_PREPARE_THRESHOLD = env_int("DB_PREPARE_THRESHOLD", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = POSTGRES_ENGINE
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "security.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "security.validators.LettersAndDigitsValidator"},
]
# django-axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.auth_cache.CachedModelBackend",  # ModelBackend; get_user through accounts/auth_cache.py
]
# Authentication cache (accounts/auth_cache.py): the token/session user of a request is taken
# from process memory while the user's epoch in this Redis is unchanged; "" = off (every request
# reads the database). AUTH_CACHE_TTL bounds how long a change made without the ORM goes unseen.
AUTH_CACHE_URL = env_str("AUTH_CACHE_URL", "")
AUTH_CACHE_TTL = env_int("AUTH_CACHE_TTL", 60)
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Uploaded materials are private: never served under a public URL, only through the
# access-checked download view (applications/views.py).
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": env_str("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage":
    STORAGES["default"]["OPTIONS"] = {
        "bucket_name": env_str("S3_BUCKET"),
        "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }

# Uploads: limits checked by applications/uploads.py; Django's own limits guard the request.
MATERIAL_MAX_BYTES = env_int("MATERIAL_MAX_BYTES", 20 * 1024 * 1024)
ENTERPRISE_UPLOAD_QUOTA_BYTES = env_int("ENTERPRISE_UPLOAD_QUOTA_BYTES", 500 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# Antivirus (R14, applications/scanning.py): ClamAV's clamd over a unix socket or TCP. With neither,
# only the built-in test signatures (EICAR) are checked: development and tests only; production
# must configure clamd or say ANTIVIRUS_BUILTIN_ONLY=true on purpose (security/checks.py W008).
CLAMD_SOCKET = env_str("CLAMD_SOCKET", "")
CLAMD_HOST = env_str("CLAMD_HOST", "")
CLAMD_PORT = env_int("CLAMD_PORT", 3310)
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 30)
ANTIVIRUS_BUILTIN_ONLY = env_bool("ANTIVIRUS_BUILTIN_ONLY", False)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "惠企政策兑现平台 <noreply@example.gov.cn>")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Sessions (security/middleware.py SessionGuardMiddleware): signed out after 30 minutes without a
# request and 8 hours after sign-in whatever happens (ASVS 7.3.1/7.3.2).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy of every response (security/middleware.py); no inline script or style.
SECURITY_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# Path prefixes with their own policy: the Redoc page of the API schema loads Redoc from its CDN.
SECURITY_CSP_OVERRIDES = {
    "/api/docs/": (
        "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' "
        "https://fonts.googleapis.com; font-src https://fonts.gstatic.com; img-src 'self' data: https:; "
        "worker-src blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
}
# Behind N reverse proxies the client is the N-th address from the right of X-Forwarded-For
# (security/ip.py); 0 = use REMOTE_ADDR. Used by the login lockout.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Login lockout (django-axes): 5 failures of one username from one IP lock that pair for 15
# minutes. Locking the pair, never the username alone, so nobody can lock another user out
# from elsewhere; the lock ends by itself (ASVS 6.3.1, RELIABILITY R16).
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock ends 15 minutes after it began
AXES_CLIENT_IP_CALLABLE = "security.ip.client_ip"
AXES_LOCKOUT_CALLABLE = "security.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["password", "password_again", "new_password1", "new_password2", "old_password"]

# Rate limits (security/ratelimit.py, RELIABILITY R16): Redis INCR+EXPIRE per fixed window.
# RATE_LIMIT_REDIS_URL "" = off (local demo, test suite); production sets it. Counts per window:
# login attempts per username+IP (cleared by a successful sign-in), registrations per IP,
# material uploads per enterprise.
RATE_LIMIT_REDIS_URL = env_str("RATE_LIMIT_REDIS_URL", "")
RATE_LIMIT_KEY_PREFIX = env_str("RATE_LIMIT_KEY_PREFIX", "ratelimit")
RATE_LIMIT_LOGIN = env_int("RATE_LIMIT_LOGIN", 5)
RATE_LIMIT_LOGIN_WINDOW = env_int("RATE_LIMIT_LOGIN_WINDOW", 15 * 60)
RATE_LIMIT_REGISTER = env_int("RATE_LIMIT_REGISTER", 10)
RATE_LIMIT_REGISTER_WINDOW = env_int("RATE_LIMIT_REGISTER_WINDOW", 60 * 60)
RATE_LIMIT_UPLOAD = env_int("RATE_LIMIT_UPLOAD", 100)
RATE_LIMIT_UPLOAD_WINDOW = env_int("RATE_LIMIT_UPLOAD_WINDOW", 60 * 60)
# end of rate limits

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "security.authentication.AuditTokenAuthentication",  # TokenAuthentication + audit actor
        "security.authentication.SessionWriteCsrfAuthentication",  # SessionAuthentication; CSRF checked on writes
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "common.exception_handler.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's negotiation, with no Accept / */* / application/json answered without parsing
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "common.negotiation.QuickContentNegotiation",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "惠企政策兑现平台 API",
    "DESCRIPTION": "企业申报、属地审核、市级审定、政策上线、企业申领的接口（SPEC §9）。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStateEnum": "applications.workflow.State",
        "AwardStateEnum": "awards.workflow.AwardState",
    },
}

# Celery: Redis in production and CI; a filesystem broker for the local demo (no server).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery 6's default: a task running when the broker connection drops is cancelled and redelivered
# (every task here is idempotent), instead of finishing unacknowledged and running twice.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_throttle": 1,  # kombu 5.7 default 10: a dead worker's message came back up to 100 s late
}
CELERY_BEAT_SCHEDULE = {
    "deadlines-every-5-minutes": {"task": "deadlines.tasks.run_deadline_jobs", "schedule": 300.0},
    "policy-push-hourly": {"task": "policies.tasks.push_open_rounds", "schedule": 3600.0},
    "reminders-daily": {"task": "deadlines.tasks.run_reminders", "schedule": crontab(hour=8, minute=30)},
    "outbox-relay": {"task": "outbox.tasks.relay_outbox", "schedule": 15.0},  # R12: tasks lost to a Redis outage
    "idempotency-keys-purge": {"task": "idempotency.tasks.purge_idempotency_keys", "schedule": 3600.0},  # R8: 24 h
    # R14: files left pending by a scanner or broker outage are scanned again (submission waits for them).
    "scan-pending-materials": {"task": "applications.tasks.scan_pending_materials", "schedule": crontab(minute="*/5")},
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# 承诺书 texts signed at submission and at claim; the signed text is stored with the signature.
SITE_NAME = "杭州市惠企政策兑现平台"
