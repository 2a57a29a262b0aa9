"""Who is acting, told to PostgreSQL so the audit triggers can record it.

The triggers of security/migrations/0001_initial.py write `current_setting('app.actor', true)`
into security_auditlog.actor. This module sets that session variable:
- per request: security.middleware.AuditActorMiddleware (session users) and
  security.authentication.AuditTokenAuthentication (API tokens);
- per Celery task: security.signals (task_prerun / task_postrun);
- around any other code (commands, jobs): `with audit_actor("system:deadlines"): ...`.

The value is session-level (`set_config(..., false)`), because requests run in autocommit and
each service opens its own transaction; it is always reset afterwards so a pooled connection
never carries one user's name into the next request. On other databases these are no-ops.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

SETTING = "app.actor"
MAX_LENGTH = 200


def actor_label(user: Any) -> str:
    """`user:<id>:<username>` for a signed-in user, `anonymous` otherwise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return f"user:{user.pk}:{user.get_username()}"[:MAX_LENGTH]


def set_actor(label: str) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [SETTING, label[:MAX_LENGTH]])


def reset_actor() -> None:
    """Forget the actor; never raises (the connection may be gone after a database outage)."""
    if connection.vendor != "postgresql" or connection.connection is None:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', false)", [SETTING])
    except Exception:  # a broken connection is closed by Django at the end of the request
        pass


def current_actor() -> str:
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting(%s, true), '')", [SETTING])
        return cursor.fetchone()[0]


@contextmanager
def audit_actor(label: str) -> Iterator[None]:
    """Record `label` as the actor of every audited change made inside the block."""
    previous = current_actor()
    set_actor(label)
    try:
        yield
    finally:
        if previous:
            set_actor(previous)
        else:
            reset_actor()
