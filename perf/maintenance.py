"""Maintenance helpers for generated benchmark data (generate_load, bench/): never used by the portal.

The audit triggers (security/migrations/0001_initial.py) record every INSERT/UPDATE/DELETE of
cases and awards, and the history tables refuse UPDATE/DELETE. Loading a million synthetic rows,
or putting them back between two timed runs of a benchmark, is not an application change: it
runs with the tables' user triggers off, inside one transaction, so a failure leaves them on
(ALTER TABLE is transactional in PostgreSQL). Only the table owner can do this, which the
application's role is on a benchmark database it migrated itself.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

LOAD_TABLES = (
    "applications_application",
    "applications_applicationevent",
    "awards_award",
    "awards_awardevent",
    "enterprises_enterprisechange",
    "enterprises_dishonestyentry",
    "policies_round",
    "security_auditlog",
)


def existing(tables: tuple[str, ...]) -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)", [list(tables)])
        found = {r[0] for r in cur.fetchall()}
    return [t for t in tables if t in found]


@contextmanager
def triggers_off(tables: tuple[str, ...] = LOAD_TABLES) -> Iterator[Any]:
    """One transaction with the user triggers of `tables` disabled; yields a cursor."""
    names = existing(tables)
    with transaction.atomic(), connection.cursor() as cur:
        for table in names:
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        # foreign keys checked per statement, so no check is pending when the triggers go back on
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield cur
        for table in names:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def audit_mark() -> int:
    """The last audit-log id now (0 without the audit table): what a benchmark run adds comes after."""
    if not existing(("security_auditlog",)):
        return 0
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM security_auditlog")
        return cur.fetchone()[0]


def drop_audit_after(mark: int) -> int:
    """Remove the audit rows the benchmark's own timed runs wrote (synthetic data only)."""
    if not existing(("security_auditlog",)):
        return 0
    with triggers_off(("security_auditlog",)) as cur:
        cur.execute("DELETE FROM security_auditlog WHERE id > %s", [mark])
        return cur.rowcount
