"""Django's PostgreSQL backend with additions for the hot paths (issue #9): see base.py.

`statement_cursor(connection)` is what application code uses: it works on any backend."""

from typing import Any


def statement_cursor(connection: Any) -> Any:
    """A cursor for one fixed, hand-written hot statement with parameters whose plan cannot
    depend on their values (equality on a primary or foreign key): on this backend psycopg
    prepares it after DB_PREPARE_THRESHOLD runs on the connection, so PostgreSQL stops planning
    it each time (planning was ≈ 0.3 ms of a 0.4 ms key lookup with a join); on any other
    backend, Django's own cursor. Who calls: the material upload's reads (applications)."""
    repeatable = getattr(connection, "repeatable_cursor", None)
    return repeatable() if repeatable is not None else connection.cursor()
