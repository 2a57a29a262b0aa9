"""Settings of the benchmarked portal: the production settings, made runnable on 127.0.0.1.

Only what production needs from the environment and cannot have on a laptop is filled in
(a throwaway SECRET_KEY, plain HTTP instead of the TLS redirect, the helpers' Redis); the
middleware, authentication, database options and serializers are production's own. Two
differences, both named in the results: static files are not collected (plain
StaticFilesStorage, so the workbench pages render without `collectstatic`), and ROOT_URLCONF is
bench.urls (the portal's URLconf plus the benchmark-only endpoints, see bench/urls.py).
"""

import os
import secrets
import tempfile

os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(48))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:56379/8")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from config.settings.production import *  # noqa: F403
from config.settings.production import STORAGES

ROOT_URLCONF = "bench.urls"
MEDIA_ROOT = os.environ.get("BENCH_MEDIA_ROOT") or tempfile.mkdtemp(prefix="bench-media-")
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Every request would otherwise print an access line per benchmark request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
