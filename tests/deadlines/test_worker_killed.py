"""RELIABILITY R11: a worker killed in the middle of the sweep (`kill -9`), and one stopped with
SIGTERM, still leave every due award forfeited exactly once.

Each test starts its own Celery worker (production settings, as CI's: `acks_late`,
`task_reject_on_worker_lost`) through realdb.Rig: a queue of its own on a Redis database of its
own (`DEADLINES_KILL_BROKER_URL`, else CELERY_BROKER_URL with database 15), so the visibility
timeout of 30 s used here (R11) can never redeliver anybody else's messages. The data (N due
awards) is written straight into DATABASE_URL, the database the worker uses, and removed after.

- pool child killed: `task_reject_on_worker_lost` puts the message back at once and the worker's
  new child runs the task again;
- whole worker killed: the message stays unacknowledged in Redis; a worker started after the
  visibility timeout restores it and runs it;
- SIGTERM: warm shutdown lets the running task finish.
In each case: forfeited == N, one history row and one audit UPDATE per award (0 duplicates), every
audit row names the task (`task:<name>:<id>`), done within visibility timeout + 60 s of the kill,
and the killed run's JobRun row is left unfinished. Each test prints its figures.

Run (make test does, in a step of its own): pytest -m "realworker and faults"
tests/deadlines/test_worker_killed.py, with DATABASE_URL (migrated) and CELERY_BROKER_URL set.
"""

import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from accounts.models import District
from awards.models import Award
from enterprises.models import Enterprise
from policies.models import PolicyDocument, PolicyItem

from . import realdb
from .conftest import AMOUNT_RULE

pytestmark = [pytest.mark.realworker, pytest.mark.faults]

TASK = "deadlines.tasks.run_deadline_jobs"
N = 20_000  # several batches (≤ 5 000 each): time to kill the worker between the first and the last
VISIBILITY_TIMEOUT = 30  # seconds (R11: "visibility timeout 30 s in tests")
LIMIT = VISIBILITY_TIMEOUT + 60  # R11: done within visibility timeout + 60 s


@pytest.fixture
def rig(due, tmp_path) -> Iterator[realdb.Rig]:
    """Workers of this test, stopped before `due` removes the data (hence the dependency)."""
    rig = realdb.Rig(realdb.private_broker(), tmp_path, env={"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)})
    try:
        yield rig
    finally:
        rig.stop_all()


@pytest.fixture
def figure(capsys):
    """Print a test's figures even when pytest captures output (they show in make test's log)."""

    def show(text: str) -> None:
        with capsys.disabled():
            print(f"\n  R11 {text}")

    return show


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


def assert_each_award_forfeited_once(due: Due, task_id: str) -> str:
    """forfeited == N, one history row and one audit row per award, each naming the task; returns
    the figures as text."""
    conn = due.conn
    assert due.forfeited() == N
    (events, distinct) = conn.execute(
        "SELECT count(*), count(DISTINCT e.award_id) FROM awards_awardevent e JOIN awards_award a ON a.id = e.award_id"
        " WHERE a.item_id = %s AND e.action = 'forfeit'",
        [due.item_id],
    ).fetchone()
    assert (events, distinct) == (N, N), "每个奖励应恰有一条 forfeit 历史记录"
    assert conn.execute("SELECT to_regclass('security_auditlog') IS NOT NULL").fetchone()[0], "缺少审计表"
    actors = dict(
        conn.execute(
            "SELECT l.actor, count(*) FROM security_auditlog l JOIN awards_award a ON a.id = l.row_id"
            " WHERE l.table_name = 'awards_award' AND l.op = 'UPDATE' AND a.item_id = %s"
            " AND l.new ->> 'state' = 'forfeited' GROUP BY l.actor",
            [due.item_id],
        ).fetchall()
    )
    audited = sum(actors.values())
    assert audited == N, f"审计行 {audited} 条，应为 {N}（重复 {audited - N}）"
    assert actors == {f"task:{TASK}:{task_id}": N}, actors
    return f"{N} forfeited, {events} history rows, {audited} audit rows (0 duplicates, actor task:…:{task_id[:8]})"


def unfinished_runs(due: Due) -> int:
    (count,) = due.conn.execute(
        "SELECT count(*) FROM deadlines_jobrun WHERE job = 'deadlines' AND finished_at IS NULL"
        " AND started_at >= to_timestamp(%s)",
        [due.started],
    ).fetchone()
    return count


@dataclass
class Kill:
    task_id: str
    first_seen: float  # monotonic: the first forfeited award seen (the message was delivered before)
    at: float  # monotonic: the kill
    done_at_kill: int


def kill_mid_sweep(rig: realdb.Rig, due: Due, kill) -> Kill:
    task_id = rig.send(TASK)
    assert wait_for(lambda: due.forfeited() > 0, timeout=60), "60 秒内没有任何奖励被处理（worker 没有收到任务？）"
    first_seen = time.monotonic()
    kill()
    at = time.monotonic()
    done_at_kill = due.forfeited()
    assert done_at_kill < N, f"杀进程时已全部处理完（{done_at_kill}），请增大 N"
    return Kill(task_id, first_seen, at, done_at_kill)


def test_pool_child_killed_mid_sweep_the_task_comes_back(due, rig, figure):
    worker = rig.start_worker()

    def kill_child():
        (child,) = worker.pool_children()
        os.kill(child, signal.SIGKILL)

    killed = kill_mid_sweep(rig, due, kill_child)

    assert wait_for(lambda: due.forfeited() == N, timeout=LIMIT, step=0.5), worker.tail()
    took = time.monotonic() - killed.at
    figures = assert_each_award_forfeited_once(due, killed.task_id)
    assert unfinished_runs(due) == 1  # the killed run; the redelivered one finished
    figure(f"kill -9 pool child after {killed.done_at_kill} of {N}; rerun → {figures}; done {took:.1f} s after")
    assert took <= LIMIT


def test_whole_worker_killed_mid_sweep_another_worker_finishes(due, rig, figure):
    first = rig.start_worker()
    killed = kill_mid_sweep(rig, due, lambda: first.kill_group(signal.SIGKILL))
    first.proc.wait(timeout=10)
    # The unacknowledged message becomes visible again once it is older than the visibility
    # timeout (counted from its delivery, before the first forfeited award was seen); a worker
    # restores visible messages when it starts (and then only every unacked_restore_interval ×
    # unacked_restore_throttle = 100 s by default), so the new worker is started after that.
    time.sleep(max(0.0, killed.first_seen + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    second = rig.start_worker()

    assert wait_for(lambda: due.forfeited() == N, timeout=LIMIT, step=0.5), second.tail()
    took = time.monotonic() - killed.at
    figures = assert_each_award_forfeited_once(due, killed.task_id)
    assert unfinished_runs(due) == 1
    figure(
        f"kill -9 whole worker after {killed.done_at_kill} of {N}; new worker after the visibility timeout "
        f"({VISIBILITY_TIMEOUT} s) → {figures}; done {took:.1f} s after the kill (limit {LIMIT} s)"
    )
    assert took <= LIMIT


def test_sigterm_mid_sweep_lets_the_task_finish(due, rig, figure):
    worker = rig.start_worker()
    # To the main process only, as an init system or scripts/ci.sh does (its pool children get
    # their orders from it); SIGTERM to the whole group would kill the running child as well.
    killed = kill_mid_sweep(rig, due, lambda: os.kill(worker.proc.pid, signal.SIGTERM))

    worker.proc.wait(timeout=LIMIT)  # warm shutdown: the running task completes first
    took = time.monotonic() - killed.at
    figures = assert_each_award_forfeited_once(due, killed.task_id)
    assert unfinished_runs(due) == 0
    figure(f"SIGTERM after {killed.done_at_kill} of {N}; warm shutdown → {figures}; worker exited {took:.1f} s after")
