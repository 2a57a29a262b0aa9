"""Who is acting, told to PostgreSQL so the audit triggers can record it.

The triggers of security/migrations/0001_initial.py write `current_setting('app.actor', true)`
into security_auditlog.actor (`db:<role>` when it is empty). This module keeps that setting
equal to the acting thread's label for every statement the thread runs:
- the label is set per request: security.middleware.AuditActorMiddleware (session users) and
  security.authentication.AuditTokenAuthentication (API tokens); per Celery task:
  security.signals (task_prerun / task_postrun), `task:<name>:<id>`; around any other code
  (commands, jobs): `with audit_actor("system:deadlines"): ...`;
- setting, changing or resetting a label only notes it in this thread (`_local`). The database
  is told just before the thread's next statement that may write (not a SELECT nor transaction
  control) on a connection (`_sync`, an execute wrapper every PostgreSQL connection
  gets when it opens: `install`, a `connection_created` receiver connected in
  security/signals.py), and only when what is in effect there differs:
  - inside a transaction as `set_config(…, true)`: it ends with the transaction, so nothing is
    left to reset (a savepoint rolled back since makes it unknown: written again);
  - outside one (autocommit) as `set_config(…, false)`: the session keeps it, so a later
    statement with the same label sends nothing.
  So a request that writes nothing sends nothing, a service's transaction sends one
  `set_config` (none when the session already holds its label), and every write runs under the
  label of the code that runs it, whatever the connection did before (a pooled connection
  cannot carry one user's name into the next request's writes). A SELECT that writes (a
  function with side effects on audited tables) would be recorded under an older label: the
  portal has none. Connections opened later, e.g.
  after Celery's Django fixup or CONN_MAX_AGE closed the old one in the middle of a task, get the
  same wrapper. Statements sent around Django's cursors (raw psycopg) are not covered: do not
  write audited tables that way. On other databases this is a no-op (the label is still kept
  per thread).

Needs the counters of common.pgbackend's DatabaseWrapper (transactions ended, savepoints rolled
back); on a PostgreSQL connection without them every statement is preceded by a set_config.
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

SETTING = "app.actor"
MAX_LENGTH = 200
_SQL = "SELECT set_config(%s, %s, %s)"

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
    """The label of this thread's statements from now on; "" if none."""
    return getattr(_local, "label", "")


def set_actor(label: str) -> None:
    """Name `label` as the actor of this thread's writes from its next statement on, on whatever
    connection. No database round trip here; never raises."""
    _local.label = label[:MAX_LENGTH]


def reset_actor() -> None:
    """Forget the actor: the thread's next statements are recorded as `db:<role>`."""
    _local.label = ""


def current_actor() -> str:
    """The actor the database records for a statement of this thread now (opens the connection
    if needed)."""
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        _ensure(connection, cursor)  # what a write now would run under
        cursor.execute("SELECT coalesce(current_setting(%s, true), '')", [SETTING])
        return cursor.fetchone()[0]


# --- keeping the database in step -----------------------------------------------------------


def _in_effect(conn: Any, raw: Any, in_transaction: bool) -> str | None:
    """The label statements on `conn` run under now, or None when it is not known."""
    session = getattr(conn, "_audit_session", None)
    held = session[1] if session is not None and session[0] is raw else None
    if not in_transaction:
        return held
    ended = getattr(conn, "transactions_ended", None)
    if ended is None:  # a backend without the counters: never trust what was written
        return None
    local = getattr(conn, "_audit_local", None)
    if local is not None and local[0] is raw and local[2] == ended:  # set in this transaction
        return local[1] if local[3] == conn.savepoints_rolled_back else None
    return held


# Statements that cannot fire the audit triggers: the label need not be in effect for them. The
# transaction-control ones must not be preceded by anything: in a failed transaction only
# ROLLBACK (TO SAVEPOINT) may run.
_READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN", "START TRANSACTION", "SET ", "SHOW")


def _ensure(conn: Any, cursor: Any) -> None:
    """Make the thread's label the one in effect on `conn`, with one set_config on `cursor` when
    it is not already."""
    raw = conn.connection
    label = thread_actor()
    in_transaction = not conn.autocommit
    if _in_effect(conn, raw, in_transaction) == label:
        return
    # `cursor` is Django's wrapper of the statement's cursor: logged (query counts see this round
    # trip), database errors wrapped, and this wrapper run again, which lets a SELECT through.
    cursor.execute(_SQL, [SETTING, label, in_transaction])
    if in_transaction:
        conn._audit_local = (raw, label, conn.transactions_ended, conn.savepoints_rolled_back)
    else:
        conn._audit_session = (raw, label)


def _sync(execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Execute wrapper: before a statement that may write, tell the database this thread's label
    if it is not the one in effect. Reads and transaction control (SELECT, SAVEPOINT, RELEASE,
    ROLLBACK, …: `_READS`) need no label: the triggers fire on INSERT, UPDATE and DELETE only."""
    text = sql.decode() if isinstance(sql, bytes | bytearray) else str(sql)
    if not text.lstrip()[:17].upper().startswith(_READS):
        _ensure(context["connection"], context["cursor"])
    return execute(sql, params, many, context)


def install(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """`connection_created` receiver: a new PostgreSQL connection (its session holds no label)
    gets `_sync` as its first execute wrapper, once per Django connection object."""
    if connection is None or connection.vendor != "postgresql":
        return
    connection._audit_session = (connection.connection, "")
    if _sync not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _sync)


@contextmanager
def audit_actor(label: str) -> Iterator[None]:
    """Record `label` as the actor of every audited change made inside the block; the previous
    label of this thread is restored afterwards."""
    previous = thread_actor()
    set_actor(label)
    try:
        yield
    finally:
        set_actor(previous)
