"""Writing to the database a real Celery worker uses (DATABASE_URL), for the `realworker` tests.

The worker works on the real database, not on pytest's test database (TOOLCHAIN §8.6), so these
helpers write over their own psycopg connection (autocommit) and never through the ORM. Django
models are used only to prepare each column's value (defaults, auto_now_add, JSON), so a row is
what the ORM would write even after other apps add columns with defaults.
"""

import os
import time
from collections.abc import Iterable

import psycopg
import pytest
from django.db import connection
from django.db.models import Model


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def celery_app_or_skip(wait: float = 30.0):
    """The project's Celery app if a broker is configured and some worker answers within `wait`
    seconds; otherwise the test is skipped with the reason."""
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("未设置 CELERY_BROKER_URL：没有可连接的 Celery broker（CI 的 make test 会设置并启动 worker）")
    from config.celery import app

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if app.control.ping(timeout=1.0):
                return app
        except Exception as exc:  # broker down: kombu raises OperationalError and friends
            pytest.skip(f"无法连接 Celery broker {app.conf.broker_url}：{exc}")
    pytest.skip(f"{wait:.0f} 秒内没有 Celery worker 应答（broker {app.conf.broker_url}）")


def connect() -> psycopg.Connection:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.fail("realworker 测试需要 DATABASE_URL=postgres://…（worker 使用的数据库）")
    return psycopg.connect(url, autocommit=True)


def insert(conn: psycopg.Connection, obj: Model) -> int:
    """INSERT one unsaved model instance; sets and returns its id."""
    fields = [f for f in obj._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(qn(f.column) for f in fields)
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    placeholders = ", ".join(["%s"] * len(fields))
    row = conn.execute(
        f"INSERT INTO {qn(obj._meta.db_table)} ({columns}) VALUES ({placeholders}) RETURNING id", values
    ).fetchone()
    assert row is not None
    obj.pk = row[0]
    return obj.pk


def insert_many(
    conn: psycopg.Connection, model: type[Model], source: str, exprs: dict[str, str], params: dict | None = None
) -> list[int]:
    """INSERT one row of `model` per row of `source` (SQL after FROM, e.g.
    "generate_series(1, %(n)s) AS g(i)") in one statement; returns the new ids. `exprs` gives SQL
    for some columns (may use the source's columns and %(name)s); every other column gets the
    field's Django default (or NULL)."""
    columns, values, args = [], [], dict(params or {})
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(qn(field.column))
        if field.column in exprs:
            values.append(exprs[field.column])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        else:
            key = f"default_{field.column}"
            default = field.get_default() if field.has_default() or not field.null else None
            args[key] = field.get_db_prep_save(default, connection)
            values.append(f"%({key})s")
    rows = conn.execute(
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {source} RETURNING id",
        args,
    ).fetchall()
    return sorted(r[0] for r in rows)


def user_triggers(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def remove(conn: psycopg.Connection, created: Iterable[tuple[str, list[int]]]) -> None:
    """Delete what a test wrote (table, ids), last written first, in one transaction.

    Award history is append-only (the security app's BEFORE DELETE trigger on awards_awardevent):
    that table's own triggers are disabled inside this transaction only, so no other session
    ever sees them off."""
    created = list(created)
    award_ids = [pk for table, ids in created if table == "awards_award" for pk in ids]
    user_ids = [pk for table, ids in created if table == "accounts_user" for pk in ids]
    triggers = user_triggers(conn, "awards_awardevent")
    with conn.transaction():
        for name in triggers:
            conn.execute(f"ALTER TABLE awards_awardevent DISABLE TRIGGER {qn(name)}")
        conn.execute("DELETE FROM awards_awardevent WHERE award_id = ANY(%s)", [award_ids])
        for name in triggers:
            conn.execute(f"ALTER TABLE awards_awardevent ENABLE TRIGGER {qn(name)}")
        conn.execute("DELETE FROM notifications_notification WHERE user_id = ANY(%s)", [user_ids])
        for table, ids in reversed(created):
            conn.execute(f"DELETE FROM {qn(table)} WHERE id = ANY(%s)", [ids])
