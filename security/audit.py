"""Who is acting, told to PostgreSQL so the audit triggers can record it.

The triggers of security/migrations/0001_initial.py write `current_setting('app.actor', true)`
into security_auditlog.actor (`db:<role>` when it is empty). This module sets that session
variable:
- per request: security.middleware.AuditActorMiddleware (session users) and
  security.authentication.AuditTokenAuthentication (API tokens);
- per Celery task: security.signals (task_prerun / task_postrun), `task:<name>:<id>`;
- around any other code (commands, jobs): `with audit_actor("system:deadlines"): ...`.

The label lives in two places: in this thread (`_local`), and in the session of the thread's
open database connection (`set_config(..., false)`, session-level, because requests run in
autocommit and each service opens its own transaction). A label the session is known to hold
(written in autocommit on this very connection) is not written again. A connection opened later, e.g. after
Celery's Django fixup or CONN_MAX_AGE closed the old one in the middle of a task, gets the
thread's label from `apply_to_new_connection` (a `connection_created` receiver, connected in
security/signals.py), so the label cannot be lost between the task's start and its writes. The
label is always reset afterwards, so a pooled connection never carries one user's name into
the next request. On other databases these are no-ops (the label is still kept per thread).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.db import connection

SETTING = "app.actor"
MAX_LENGTH = 200

_local = threading.local()


def actor_label(user: Any) -> str:
    """`user:<id>:<username>` for a signed-in user, `anonymous` otherwise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "anonymous"
    return f"user:{user.pk}:{user.get_username()}"[:MAX_LENGTH]


def task_label(name: str, task_id: str | None = None) -> str:
    """`task:<name>:<id>` for a Celery task (`task:<name>` when called directly, without an id)."""
    return (f"task:{name}:{task_id}" if task_id else f"task:{name}")[:MAX_LENGTH]


def thread_actor() -> str:
    """The label this thread has set (what new connections of this thread are given); "" if none."""
    return getattr(_local, "label", "")


def _write(conn: Any, label: str) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [SETTING, label])
    # What the session now holds, trusted only when written outside a transaction: a rollback
    # takes back a set_config made inside one, even a session-level one.
    conn._audit_label = None if conn.in_atomic_block else (conn.connection, label)


def _holds(conn: Any, label: str) -> bool:
    """The open connection's session already holds `label` (written by _write in autocommit):
    writing it again would cost a round trip and change nothing (issue #9, P5)."""
    return getattr(conn, "_audit_label", None) == (conn.connection, label) and not conn.in_atomic_block


def set_actor(label: str) -> None:
    """Name `label` as the actor of this thread's writes, on the open connection now and on any
    connection it opens later. Errors: the database's, if the open connection is broken."""
    label = label[:MAX_LENGTH]
    _local.label = label
    if connection.vendor == "postgresql" and connection.connection is not None and not _holds(connection, label):
        _write(connection, label)


def reset_actor() -> None:
    """Forget the actor; never raises (the connection may be gone after a database outage)."""
    _local.label = ""
    if connection.vendor != "postgresql" or connection.connection is None or _holds(connection, ""):
        return
    with suppress(Exception):  # a broken connection is closed by Django at the end of the request
        _write(connection, "")


def current_actor() -> str:
    """The actor the database would record now (opens the connection if needed)."""
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting(%s, true), '')", [SETTING])
        return cursor.fetchone()[0]


def apply_to_new_connection(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """`connection_created` receiver: give a connection opened by this thread the thread's label.

    Runs in Django's connect() while the connection is still in autocommit, so the session
    setting outlives the transactions that follow."""
    label = thread_actor()
    if label and connection is not None and connection.vendor == "postgresql":
        _write(connection, label)


@contextmanager
def audit_actor(label: str) -> Iterator[None]:
    """Record `label` as the actor of every audited change made inside the block; the previous
    label of this thread is restored afterwards."""
    previous = thread_actor()
    set_actor(label)
    try:
        yield
    finally:
        if previous:
            set_actor(previous)
        else:
            reset_actor()
