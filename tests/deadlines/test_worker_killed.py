"""RELIABILITY R11: a worker killed in the middle of the sweep (`kill -9`), and one stopped with
SIGTERM, still leave every due award forfeited exactly once.

Each test starts its own Celery worker (production settings, as CI's), listening on a queue of
its own on a Redis database of its own (`DEADLINES_KILL_BROKER_URL`, else CELERY_BROKER_URL with
database 15), so the short visibility timeout used here (CELERY_VISIBILITY_TIMEOUT=10) can never
redeliver anybody else's messages. The data (N due awards) is written straight into DATABASE_URL,
the database the worker uses, and removed afterwards.

- pool child killed: `task_reject_on_worker_lost` puts the message back at once and the worker's
  new child runs the task again;
- whole worker killed: the message stays unacknowledged in Redis; a worker started after the
  visibility timeout restores it and runs it (done within visibility timeout + 60 s);
- SIGTERM: warm shutdown lets the running task finish.
In each case: forfeited == N, one history row per award, one audit UPDATE per award (if the
security app's triggers are installed), and the killed run's JobRun row is left unfinished.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from celery import Celery

from accounts.models import District
from awards.models import Award
from enterprises.models import Enterprise
from policies.models import PolicyDocument, PolicyItem

from . import realdb
from .conftest import AMOUNT_RULE

# Not in make test's gating realworker step: in that run (main worker up, load from the suite) the
# rig's own worker logged "ready" but never received the task, twice, while it passes when run on
# its own. Run: pytest -m "realworker and faults" tests/deadlines/test_worker_killed.py, with a
# worker up. Tracked in the closing note of issue 10 (R11), which stays open.
pytestmark = [pytest.mark.realworker, pytest.mark.faults]

TASK = "deadlines.tasks.run_deadline_jobs"
N = 20_000  # several batches (≤ 5 000 each): time to kill the worker between the first and the last
ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")


def private_broker() -> str:
    url = os.environ.get("DEADLINES_KILL_BROKER_URL")
    if url:
        return url
    base = os.environ.get("CELERY_BROKER_URL", "")
    if not base.startswith("redis://"):
        pytest.skip("需要 Redis broker（CELERY_BROKER_URL=redis://…）")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/15"))


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


@dataclass
class Rig:
    broker: str
    queue: str
    sender: Celery
    tmp: Path
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self) -> Worker:
        name = f"r11-{uuid.uuid4().hex[:6]}@%h"
        log = self.tmp / f"worker-{len(self.workers)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "r11-" + secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CELERY_BROKER_URL": self.broker,
            "CELERY_VISIBILITY_TIMEOUT": "10",
        }
        env.pop("CELERY_RESULT_BACKEND", None)
        proc = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "-l",
                "info",
                "--concurrency=1",
                "--without-mingle",
                "--without-gossip",
                "-Q",
                self.queue,
                "-n",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        worker = Worker(name.replace("%h", os.uname().nodename), proc, log)
        self.workers.append(worker)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"worker 启动失败：\n{log.read_text()[-3000:]}")
            # Readiness from the worker's own log: the remote-control ping (pidbox fanout) went
            # unanswered under CI load although the worker was consuming (seen in make test runs).
            if f"{worker.name} ready." in log.read_text(errors="replace"):
                time.sleep(0.5)  # let the consumer finish its first poll of the queue
                return worker
            time.sleep(0.2)
        pytest.fail(f"worker 60 秒内未就绪：\n{log.read_text()[-3000:]}")

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


@pytest.fixture
def rig(due, tmp_path) -> Iterator[Rig]:
    """Workers of this test, stopped before `due` removes the data (hence the dependency)."""
    broker = private_broker()
    sender = Celery("r11", broker=broker)
    sender.conf.broker_transport_options = {"visibility_timeout": 10}
    rig = Rig(broker, f"r11-{uuid.uuid4().hex[:8]}", sender, tmp_path)
    try:
        yield rig
    finally:
        rig.stop_all()
        sender.close()


@dataclass
class Due:
    conn: psycopg.Connection
    item_id: int
    created: list[tuple[str, list[int]]]
    started: float

    def forfeited(self) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM awards_award WHERE item_id = %s AND state = 'forfeited'", [self.item_id]
        ).fetchone()
        return row[0] if row else 0


@pytest.fixture
def due() -> Iterator[Due]:
    """N claimable awards past their claim deadline, one enterprise each, in DATABASE_URL."""
    realdb.celery_app_or_skip()  # the CI broker and worker are up (else: skipped with the reason)
    tag = uuid.uuid4().hex[:8]
    with realdb.connect() as conn:
        created: list[tuple[str, list[int]]] = []
        try:
            district = District(code=f"r11-{tag}", name=f"杀进程测试区{tag}", sort_order=99)
            created.append(("accounts_district", [realdb.insert(conn, district)]))
            document = PolicyDocument(code=f"R11{tag}", title="杀进程测试政策")
            created.append(("policies_policydocument", [realdb.insert(conn, document)]))
            item = PolicyItem(
                code=f"R11-{tag}", document_id=document.pk, name="杀进程测试事项", amount_rule=AMOUNT_RULE
            )
            created.append(("policies_policyitem", [realdb.insert(conn, item)]))
            enterprises = realdb.insert_many(
                conn,
                Enterprise,
                "generate_series(1, %(n)s) AS g(i)",
                {
                    "name": f"'杀进程测试企业{tag}-' || g.i",
                    "credit_code": f"'R{tag}' || lpad(g.i::text, 9, '0')",
                    "district_id": "%(district)s",
                },
                {"n": N, "district": district.pk},
            )
            created.append(("enterprises_enterprise", enterprises))
            awards = realdb.insert_many(
                conn,
                Award,
                "unnest(%(enterprises)s::bigint[]) AS g(e)",
                {
                    "enterprise_id": "g.e",
                    "item_id": "%(item)s",
                    "district_id": "%(district)s",
                    "source": f"'{Award.Source.AUTO}'",
                    "year": "2023",
                    "state": "'claimable'",
                    "amount": "100000",
                    "claim_deadline": "now() - interval '1 minute'",
                },
                {"enterprises": enterprises, "item": item.pk, "district": district.pk},
            )
            created.append(("awards_award", awards))
            yield Due(conn, item.pk, created, started=time.time())
        finally:
            realdb.remove(conn, created)


def wait_for(predicate, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def assert_each_award_forfeited_once(due: Due) -> None:
    conn = due.conn
    assert due.forfeited() == N
    (events, distinct) = conn.execute(
        "SELECT count(*), count(DISTINCT e.award_id) FROM awards_awardevent e JOIN awards_award a ON a.id = e.award_id"
        " WHERE a.item_id = %s AND e.action = 'forfeit'",
        [due.item_id],
    ).fetchone()
    assert (events, distinct) == (N, N)
    if conn.execute("SELECT to_regclass('security_auditlog') IS NOT NULL").fetchone()[0]:
        (audited,) = conn.execute(
            "SELECT count(*) FROM security_auditlog l JOIN awards_award a ON a.id = l.row_id"
            " WHERE l.table_name = 'awards_award' AND l.op = 'UPDATE' AND a.item_id = %s"
            " AND l.new ->> 'state' = 'forfeited'",
            [due.item_id],
        ).fetchone()
        assert audited == N


def unfinished_runs(due: Due) -> int:
    (count,) = due.conn.execute(
        "SELECT count(*) FROM deadlines_jobrun WHERE job = 'deadlines' AND finished_at IS NULL"
        " AND started_at >= to_timestamp(%s)",
        [due.started],
    ).fetchone()
    return count


def kill_mid_sweep(rig: Rig, due: Due, kill) -> int:
    rig.sender.send_task(TASK, queue=rig.queue)
    assert wait_for(lambda: due.forfeited() > 0, timeout=60), "60 秒内没有任何奖励被处理"
    kill()
    done_at_kill = due.forfeited()
    assert done_at_kill < N, f"杀进程时已全部处理完（{done_at_kill}），请增大 N"
    return done_at_kill


def test_pool_child_killed_mid_sweep_the_task_comes_back(due, rig):
    worker = rig.start_worker()

    def kill_child():
        (child,) = worker.pool_children()
        os.kill(child, signal.SIGKILL)

    kill_mid_sweep(rig, due, kill_child)

    assert wait_for(lambda: due.forfeited() == N, timeout=90, step=0.5), worker.log.read_text()[-3000:]
    assert_each_award_forfeited_once(due)
    assert unfinished_runs(due) == 1  # the killed run; the redelivered one finished


def test_whole_worker_killed_mid_sweep_another_worker_finishes(due, rig):
    first = rig.start_worker()
    sent = time.monotonic()
    kill_mid_sweep(rig, due, lambda: first.kill_group(signal.SIGKILL))
    first.proc.wait(timeout=10)
    # The unacknowledged message becomes visible again once it is older than the visibility
    # timeout; a worker restores visible messages when it starts (and then only every
    # unacked_restore_interval × unacked_restore_throttle = 100 s by default), so the new
    # worker is started after the timeout.
    time.sleep(max(0.0, sent + 10.5 - time.monotonic()))
    second = rig.start_worker()

    assert wait_for(lambda: due.forfeited() == N, timeout=60, step=0.5), second.log.read_text()[-3000:]
    assert_each_award_forfeited_once(due)
    assert unfinished_runs(due) == 1


def test_sigterm_mid_sweep_lets_the_task_finish(due, rig):
    worker = rig.start_worker()
    # To the main process only, as an init system or scripts/ci.sh does (its pool children get
    # their orders from it); SIGTERM to the whole group would kill the running child as well.
    kill_mid_sweep(rig, due, lambda: os.kill(worker.proc.pid, signal.SIGTERM))

    worker.proc.wait(timeout=60)  # warm shutdown: the running task completes first
    assert_each_award_forfeited_once(due)
    assert unfinished_runs(due) == 0
