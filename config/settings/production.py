"""Production: PostgreSQL, Redis, gunicorn behind a TLS reverse proxy, one Celery beat.

Secrets have no defaults; the process refuses to start without them. `manage.py check --deploy
--fail-level WARNING` reports nothing with these settings (tests/security/test_deploy.py), and
the security app's own deploy checks (security/checks.py) hold them to SECURITY.md.
"""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, POSTGRES_ENGINE

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY.startswith("insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY 必须是至少 50 个字符的随机值（SECRET_KEY must be a real secret).")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS 未设置")
if DATABASES["default"]["ENGINE"] != POSTGRES_ENGINE:
    raise ImproperlyConfigured("生产环境必须使用 PostgreSQL（DATABASE_URL=postgres://...）")
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# Authentication cache (accounts/auth_cache.py): on, in the broker's Redis unless set apart.
AUTH_CACHE_URL = env_str("AUTH_CACHE_URL", CELERY_BROKER_URL)
# Rate limits (security/ratelimit.py): on, in the broker's Redis unless set apart.
RATE_LIMIT_REDIS_URL = env_str("RATE_LIMIT_REDIS_URL", CELERY_BROKER_URL)
# Sessions: rows in PostgreSQL, read from Redis and process memory (accounts/session_store.py).
SESSION_ENGINE = "accounts.session_store"

# HTTPS only (ASVS 3.4.1): redirect, HSTS for a year with subdomains, and the proxy's scheme
# header trusted (gunicorn accepts it only from FORWARDED_ALLOW_IPS, config/gunicorn.py).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The login lockout keys on the client address: one trusted proxy (nginx) in front by default.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

# Cookies (ASVS 3.3.1–3.3.4): Secure, HttpOnly, SameSite=Lax, and `__Host-` names, which the
# browser accepts only over HTTPS, for the whole site and without a Domain attribute.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True  # the pages send the token from the form / hx-headers, not from JS
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", ",".join(f"https://{h}" for h in ALLOWED_HOSTS))
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# No browsable API or schema UI beyond what base.py sets; errors never carry a traceback
# (DEBUG off; templates/500.html is the generic page).
LOGGING = {
    **LOGGING,
    "loggers": {
        **LOGGING.get("loggers", {}),
        "security": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "django.security": {"level": "WARNING"},
    },
}
