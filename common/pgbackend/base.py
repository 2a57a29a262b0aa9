"""Django's PostgreSQL backend with two additions for the hot read paths (issue #9):

1. A health check that costs no round trip while the connection is plainly alive (one
   `SELECT 1` per request was a tenth of a list page).
2. `repeatable_cursor()`: a cursor whose statements psycopg prepares once the same text has run
   DB_PREPARE_THRESHOLD times on the connection (default 5), so PostgreSQL stops re-planning it.
   Django itself never prepares (its client-side-binding cursors cannot), so only code that asks
   for this cursor is affected: the case list's page query (applications.fastlist), sent as one
   literal statement (Django's own client-side binding, psycopg's quoting), so a plan is only
   ever reused for the very same statement (the same user's same page, e.g. a polled queue),
   never a generic plan for other values. A transaction-mode pooler (PgBouncer before 1.21)
   cannot keep prepared statements: set DB_PREPARE_THRESHOLD=0 behind one.

Health check

CONN_HEALTH_CHECKS makes Django check a persistent connection once per request before its first
query; stock Django sends `SELECT 1`. A connection the server has ended (restart, idle timeout,
`pg_terminate_backend`, a crash) always leaves something on the socket: the server's FATAL
message and the end of the stream. So: nothing to read on an idle connection in good standing →
usable, no query; anything else (bytes or a hang-up waiting, a transaction left open, a bad
status) → Django's own `SELECT 1` decides. A silent network partition is not seen here, and was
not seen by `SELECT 1` either until TCP gave up. Checked by tests/security/faults/test_pg_restart.py
(PostgreSQL restarted under load: every request after it answers) and tests/perf/test_health_check.py.

Who uses it: settings (ENGINE "common.pgbackend" whenever DATABASE_URL is PostgreSQL).
"""

import select
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base, operations
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg import pq

TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str | None:  # type: ignore[override]  # Django's returns None too
        if params is not None and not isinstance(cursor, psycopg.ClientCursor):
            # a server-side-binding cursor (repeatable_cursor) holds `$1` placeholders: show the
            # values, as Django's own cursors do
            try:
                return self.compose_sql(sql, params)
            except Exception:  # a value psycopg cannot quote client-side: Django's answer
                pass
        text = super().last_executed_query(cursor, sql, params)
        # A prepared statement leaves no query text on the cursor: a literal statement is its own text.
        return sql if text is None and params is None else text


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    # How many transactions have ended (commit or rollback) and how many savepoints were rolled
    # back on this wrapper: what a transaction-local setting (`SET LOCAL`, set_config(…, true))
    # made earlier may no longer be in effect after. security.audit reads them.
    transactions_ended = 0
    savepoints_rolled_back = 0

    def _commit(self) -> None:
        self.transactions_ended += 1
        super()._commit()  # type: ignore[misc]  # Django's, not in the stubs

    def _rollback(self) -> None:
        self.transactions_ended += 1
        super()._rollback()  # type: ignore[misc]

    def _savepoint_rollback(self, sid: str) -> None:
        self.savepoints_rolled_back += 1
        super()._savepoint_rollback(sid)  # type: ignore[misc]

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if params.get("prepare_threshold") is None:
            threshold = getattr(settings, "DB_PREPARE_THRESHOLD", 5)
            params["prepare_threshold"] = threshold if threshold and threshold > 0 else None
        return params

    def repeatable_cursor(self) -> Any:
        """A Django cursor (logged, wrapped, health-checked like connection.cursor()) over a
        plain psycopg cursor, whose statements are prepared after DB_PREPARE_THRESHOLD runs of
        the same text. Send it whole literal statements (ops.compose_sql), never parameters:
        a prepared statement with parameters may get a generic plan, unless its plan cannot
        depend on the values (key equality: `statement_cursor` in this package). Who calls:
        fastlist, statement_cursor."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = psycopg.Cursor(self.connection)
            # as Django's create_cursor: timestamps in the connection's time zone
            tzloader = self.connection.adapters.get_loader(TIMESTAMPTZ_OID, pq.Format.TEXT)
            if self.timezone != getattr(tzloader, "timezone", None):
                register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)  # type: ignore[attr-defined]  # Django's, not in the stubs

    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None:
            return False
        try:
            pgconn = conn.pgconn
            idle = (
                not conn.closed
                and not conn.broken
                and pgconn.status == pq.ConnStatus.OK
                and pgconn.transaction_status == pq.TransactionStatus.IDLE
            )
            if idle:
                poller = select.poll()
                poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
                if not poller.poll(0):
                    return True
        except Exception:  # any doubt about the socket: ask the server
            pass
        return super().is_usable()
