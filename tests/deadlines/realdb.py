"""Writing to the database a real Celery worker uses (DATABASE_URL), for the `realworker` tests,
and a rig that starts such workers of a test's own (`Rig`).

The worker works on the real database, not on pytest's test database (TOOLCHAIN §8.6), so these
helpers write over their own psycopg connection (autocommit) and never through the ORM. Django
models are used only to prepare each column's value (defaults, auto_now_add, JSON), so a row is
what the ORM would write even after other apps add columns with defaults.

The rig's workers listen on a queue of their own on a Redis database of their own
(`DEADLINES_KILL_BROKER_URL`, else CELERY_BROKER_URL with database 15), and the rig sends its
tasks over a kombu connection to exactly that URL. Not through a `Celery(broker=...)` app:
Celery's `conf.broker_url` prefers the CELERY_BROKER_URL environment variable to the URL the app
was given, so in `make test` (which exports CELERY_BROKER_URL=…/0) such a sender put the task on
database 0, where no worker listens to the rig's queue, while the rig's worker waited on database
15 — it logged "ready" and never received anything.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from celery import Celery
from django.db import connection
from django.db.models import Model
from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
STRICT = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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


# --- A rig of the test's own workers --------------------------------------------------------------


def _cannot_run(reason: str) -> None:
    """Under CI a test that cannot run fails the run (tests/conftest.py); elsewhere it is skipped."""
    if STRICT:
        pytest.fail(reason)
    pytest.skip(reason)


def private_broker() -> str:
    """The Redis URL of the rig: DEADLINES_KILL_BROKER_URL, else CELERY_BROKER_URL's server with
    database 15. No Redis broker configured: a failure under CI, a skip (with the reason) else."""
    url = os.environ.get("DEADLINES_KILL_BROKER_URL")
    if not url:
        base = os.environ.get("CELERY_BROKER_URL", "")
        if not base.startswith("redis://"):
            reason = "需要 Redis broker：设置 CELERY_BROKER_URL=redis://…（或 DEADLINES_KILL_BROKER_URL）"
            _cannot_run(reason)
        url = urlunsplit(urlsplit(base)._replace(path="/15"))
    try:
        with Connection(url, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu raises OperationalError and friends
        _cannot_run(f"无法连接 Redis {url}：{exc}")
    return url


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen
    log: Path

    def pool_children(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    found.append(int(entry.name))
        return found

    def kill_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)  # the worker leads its own process group (we started it)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@dataclass
class Rig:
    """Celery workers (production settings, as CI's) on `queue` of the Redis database `broker`,
    and a sender to exactly that queue and database."""

    broker: str
    tmp: Path
    env: dict[str, str] = dataclass_field(default_factory=dict)  # extra settings of the workers
    queue: str = dataclass_field(default_factory=lambda: f"rig-{uuid.uuid4().hex[:8]}")
    workers: list[Worker] = dataclass_field(default_factory=list)

    def send(self, task: str) -> str:
        """Publish `task` to the rig's queue on the rig's Redis database; returns its id."""
        sender = Celery("rig", set_as_current=False)
        transport_options = {}
        if "CELERY_VISIBILITY_TIMEOUT" in self.env:
            transport_options["visibility_timeout"] = int(self.env["CELERY_VISIBILITY_TIMEOUT"])
        try:
            with Connection(self.broker, transport_options=transport_options) as conn:
                assert urlsplit(conn.as_uri()).path == urlsplit(self.broker).path, conn.as_uri()
                result = sender.send_task(task, queue=self.queue, connection=conn, ignore_result=True)
        finally:
            sender.close()
        return result.id

    def start_worker(self) -> Worker:
        name = f"rig-{uuid.uuid4().hex[:6]}@%h"
        log = self.tmp / f"worker-{len(self.workers)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "rig-" + secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CELERY_BROKER_URL": self.broker,
            **self.env,
        }
        env.pop("CELERY_RESULT_BACKEND", None)
        command = [str(CELERY), "-A", "config", "worker", "-l", "info", "--concurrency=1"]
        command += ["--without-mingle", "--without-gossip", "-Q", self.queue, "-n", name]
        with log.open("w") as out:
            proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(name.replace("%h", os.uname().nodename), proc, log)
        self.workers.append(worker)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"worker 启动失败：\n{worker.tail()}")
            # Readiness from the worker's own log: the remote-control ping (pidbox fanout) went
            # unanswered under CI load although the worker was consuming (seen in make test runs).
            if f"{worker.name} ready." in log.read_text(errors="replace"):
                time.sleep(0.5)  # let the consumer finish its first poll of the queue
                return worker
            time.sleep(0.2)
        pytest.fail(f"worker 60 秒内未就绪：\n{worker.tail()}")

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.proc.poll() is None:
                worker.kill_group(signal.SIGTERM)
                try:
                    worker.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill_group(signal.SIGKILL)
                    worker.proc.wait(timeout=10)
            worker.kill_group(signal.SIGKILL)  # anything left of its pool
        with contextlib.suppress(Exception), Connection(self.broker) as conn:  # the queue's keys
            client = conn.default_channel.client
            client.delete(self.queue, f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}")
