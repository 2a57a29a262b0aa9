"""Local demo (`make run`): SQLite, a filesystem Celery broker, e-mail to files. Never for production.

DATABASE_URL and CELERY_BROKER_URL still win when set (the helpers' dev PostgreSQL/Redis, CI's
worker); `make run` unsets both so the demo needs no server at all.
"""

import os
from datetime import UTC, datetime

from config.env import env_int, env_str

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_BEAT_SCHEDULE, DATABASES

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

# Without DATABASE_URL the demo's database is var/db.sqlite3 (git-ignored with the rest of var/).
# The web server, the worker and beat share that file: WAL lets readers and one writer work at
# once, IMMEDIATE transactions take the write lock up front (no upgrade deadlock), and a busy
# writer makes the others wait instead of failing with "database is locked".
if not os.environ.get("DATABASE_URL"):
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"] = {
        **DATABASES["default"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BASE_DIR / "var" / "db.sqlite3"),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# The demo's e-mails are files in var/mail/ (one per message), not a flood in the worker's log.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(BASE_DIR / "var" / "mail")

_broker_dir = BASE_DIR / "var" / "celery-broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control in the CWD
        "polling_interval": 0.2,  # seconds; with prefetch 1 the default 1 s means one task a second
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# The deadline jobs: every DEADLINES_INTERVAL_SECONDS (300 like production unless set; `make run`
# uses 60), and once as soon as beat starts with a fresh schedule file: an entry beat has never
# run starts from this long-past last_run_at, so it is due at once (beat keeps the real
# last_run_at in its schedule file after that; `make run` deletes the file at start).
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "deadlines-every-5-minutes": {
        **CELERY_BEAT_SCHEDULE["deadlines-every-5-minutes"],
        "schedule": float(env_int("DEADLINES_INTERVAL_SECONDS", 300)),
        "last_run_at": datetime(2000, 1, 1, tzinfo=UTC),
    },
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
