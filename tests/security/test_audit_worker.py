"""R17 audit actor across reconnections and on a real Celery worker.

The audit triggers record `current_setting('app.actor')`, a setting of the database session. On a
worker, Celery's Django fixup closes the connection at the start and end of every task (always
with DB_CONN_MAX_AGE=0, after CONN_MAX_AGE seconds otherwise), so a label set on the old session
in task_prerun was lost and the task's rows were recorded as `db:<role>`. security.audit keeps the
label per thread and a `connection_created` receiver gives it to every connection the thread
opens; the task's rows name `task:<name>:<id>`.

- a connection opened inside `audit_actor(...)` (the old one closed) carries the label, and
  none after the block;
- a real Celery task (eager) whose connection is closed at its start, as the fixup does, records
  `task:<name>:<id>`, and the label is gone after the task;
- `realworker`: a worker of the test's own (production settings, DB_CONN_MAX_AGE=0) runs the
  deadline job twice; each forfeited award's audit row names the run that forfeited it.
"""

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from celery import shared_task
from django.db import connection
from django.utils import timezone

from accounts.models import District
from awards.models import Award
from enterprises.models import Enterprise
from policies.models import PolicyDocument, PolicyItem
from security.audit import audit_actor, current_actor, thread_actor
from security.models import AuditLog
from tests.deadlines import realdb
from tests.deadlines.conftest import AMOUNT_RULE, credit_code

from .conftest import require_postgres

TASK = "deadlines.tasks.run_deadline_jobs"


def _item(code: str) -> PolicyItem:
    document = PolicyDocument.objects.create(code=f"D{code}", title="审计测试政策")
    return PolicyItem.objects.create(code=code, document=document, name="审计测试事项", amount_rule=AMOUNT_RULE)


def _last_actor(item: PolicyItem) -> str:
    row = AuditLog.objects.filter(table_name="policies_policyitem", row_id=item.pk, op="UPDATE").order_by("id").last()
    assert row is not None, "没有审计行"
    return row.actor


@shared_task(name="tests.security.audit_worker.rename_item")
def rename_item(item_id: int, name: str) -> str:
    """A real task that starts as a worker's task does: its connection closed first (Celery's
    Django fixup on task_prerun); then it writes an audited row."""
    connection.close()
    PolicyItem.objects.filter(pk=item_id).update(name=name)
    return current_actor()


@pytest.mark.django_db(transaction=True)
def test_a_connection_opened_inside_audit_actor_carries_the_label():
    require_postgres("审计触发器只在 PostgreSQL 上：设置 DATABASE_URL=postgres://...")
    item = _item("AW-1")
    with audit_actor("system:test-reconnect"):
        connection.close()  # what CONN_MAX_AGE or the Celery fixup does between two statements
        PolicyItem.objects.filter(pk=item.pk).update(name="重连后改名")
        assert current_actor() == "system:test-reconnect"
    assert _last_actor(item) == "system:test-reconnect"

    connection.close()  # a connection opened after the block carries nobody's name
    PolicyItem.objects.filter(pk=item.pk).update(name="块外改名")
    assert current_actor() == "" and thread_actor() == ""
    assert _last_actor(item).startswith("db:")


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_connection_is_closed_at_its_start_is_recorded_as_the_task():
    require_postgres("审计触发器只在 PostgreSQL 上：设置 DATABASE_URL=postgres://...")
    item = _item("AW-2")
    result = rename_item.apply(args=[item.pk, "任务改名"])
    label = f"task:tests.security.audit_worker.rename_item:{result.id}"
    assert result.get() == label  # inside the task, on its new connection
    assert _last_actor(item) == label
    assert current_actor() == "" and thread_actor() == ""  # reset by task_postrun


# --- a real worker ---------------------------------------------------------------------------------


@pytest.fixture
def real_db() -> Iterator:
    with realdb.connect() as conn:
        yield conn


@pytest.fixture
def rig(real_db, tmp_path) -> Iterator[realdb.Rig]:
    """A worker of this test: DB_CONN_MAX_AGE=0, so the fixup closes its connection around every task."""
    rig = realdb.Rig(realdb.private_broker(), tmp_path, env={"DB_CONN_MAX_AGE": "0"})
    try:
        yield rig
    finally:
        rig.stop_all()


@pytest.mark.realworker
def test_real_worker_deadline_runs_name_themselves_in_the_audit_log(real_db, rig):
    tag = uuid.uuid4().hex[:8]
    created: list[tuple[str, list[int]]] = []

    def add(obj):
        realdb.insert(real_db, obj)
        created.append((obj._meta.db_table, [obj.pk]))
        return obj

    def award(n: int, deadline_in: timedelta) -> Award:
        enterprise = add(
            Enterprise(
                name=f"审计实测企业{tag}-{n}",
                credit_code=credit_code(int(tag, 16) % 10**8 * 10 + n),
                district_id=district.pk,
            )
        )
        return add(
            Award(
                enterprise_id=enterprise.pk,
                item_id=item.pk,
                district_id=district.pk,
                source=Award.Source.AUTO,
                year=2023,
                amount=Decimal("100000"),
                claim_deadline=timezone.now() + deadline_in,
            )
        )

    def forfeit(award: Award) -> str:
        task_id = rig.send(TASK)
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            (state,) = real_db.execute("SELECT state FROM awards_award WHERE id = %s", [award.pk]).fetchone()
            if state == "forfeited":
                return task_id
            time.sleep(0.2)
        pytest.fail(f"worker 在 60 秒内没有把奖励 {award.pk} 改为 forfeited：\n{worker.tail()}")

    try:
        district = add(District(code=f"aw-{tag}", name=f"审计实测区{tag}", sort_order=99))
        document = add(PolicyDocument(code=f"AW{tag}", title="审计实测政策"))
        item = add(PolicyItem(code=f"AW-{tag}", document_id=document.pk, name="审计实测事项", amount_rule=AMOUNT_RULE))
        worker = rig.start_worker()
        first, second = award(1, timedelta(minutes=-1)), award(2, timedelta(days=1))
        first_run = forfeit(first)  # the second is not due yet
        real_db.execute(
            "UPDATE awards_award SET claim_deadline = now() - interval '1 minute' WHERE id = %s", [second.pk]
        )
        second_run = forfeit(second)

        rows = real_db.execute(
            "SELECT row_id, actor FROM security_auditlog WHERE table_name = 'awards_award' AND op = 'UPDATE'"
            " AND row_id = ANY(%s) AND new ->> 'state' = 'forfeited' ORDER BY id",
            [[first.pk, second.pk]],
        ).fetchall()
        assert rows == [(first.pk, f"task:{TASK}:{first_run}"), (second.pk, f"task:{TASK}:{second_run}")]
    finally:
        rig.stop_all()  # before the rows go: the worker may still be running a sweep
        realdb.remove(real_db, created)
