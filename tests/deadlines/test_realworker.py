"""`deadlines.tasks.run_deadline_jobs` on a real Celery worker, over Redis, changing PostgreSQL.

Run on its own: `pytest -m realworker` with DATABASE_URL and CELERY_BROKER_URL pointing at the
servers the worker uses (scripts/ci.sh starts the worker against the migrated `app` database).

The worker works on the real database of DATABASE_URL, not on pytest's test database (TOOLCHAIN
§8.6). So this test never uses pytest-django's `db` fixture: it writes its rows (a district, an
enterprise with a user, a policy item and an award already past its claim deadline) straight
into DATABASE_URL over its own psycopg connection, committed, sends the task, waits until the
worker has forfeited the award, and deletes everything it wrote. Django models are used only to
build each row's column values (defaults, JSON adaptation), never to reach a database.

Skipped, with the reason, only when no broker is configured or no worker answers.
"""

import time
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Model
from django.utils import timezone

from accounts.models import District, Role, User
from awards.models import Award
from enterprises.models import Enterprise
from policies.models import PolicyDocument, PolicyItem

from . import realdb
from .conftest import AMOUNT_RULE, credit_code

pytestmark = [pytest.mark.realworker, pytest.mark.filterwarnings("ignore:task_always_eager has no effect")]

TASK = "deadlines.tasks.run_deadline_jobs"


@pytest.fixture(scope="module")
def celery_app():
    """The project's Celery app; skipped (with the reason) if no broker or no worker answers."""
    return realdb.celery_app_or_skip()


@pytest.fixture
def real_db():
    """A psycopg connection (autocommit) to DATABASE_URL, the database the worker uses."""
    with realdb.connect() as conn:
        yield conn


def test_worker_forfeits_an_overdue_award_in_postgresql(celery_app, real_db):
    tag = uuid.uuid4().hex[:8]
    created: list[tuple[str, list[int]]] = []

    def add(obj: Model) -> Model:
        realdb.insert(real_db, obj)
        created.append((obj._meta.db_table, [obj.pk]))
        return obj

    try:
        district = add(District(code=f"rw-{tag}", name=f"实测区{tag}", sort_order=99))
        enterprise = add(
            Enterprise(name=f"实测企业{tag}", credit_code=credit_code(int(tag, 16) % 10**9), district_id=district.pk)
        )
        user = add(User(username=f"rw_{tag}", password="!", role=Role.ENTERPRISE, enterprise_id=enterprise.pk))
        document = add(PolicyDocument(code=f"RW{tag}", title="实测政策"))
        item = add(PolicyItem(code=f"RW-{tag}", document_id=document.pk, name="实测事项", amount_rule=AMOUNT_RULE))
        award = add(
            Award(
                enterprise_id=enterprise.pk,
                item_id=item.pk,
                district_id=district.pk,
                source=Award.Source.AUTO,
                year=2023,
                amount=Decimal("100000"),
                claim_deadline=timezone.now() - timedelta(minutes=1),
            )
        )

        state, sent = None, []
        give_up = time.monotonic() + 90
        while time.monotonic() < give_up:
            sent.append(celery_app.send_task(TASK).id)  # again if a run was skipped (another scheduler held the lock)
            wait_until = time.monotonic() + 10
            while time.monotonic() < wait_until:
                (state,) = real_db.execute("SELECT state FROM awards_award WHERE id = %s", [award.pk]).fetchone()
                if state != "claimable":
                    break
                time.sleep(0.3)
            if state != "claimable":
                break

        assert state == "forfeited", "worker 在 90 秒内没有把逾期奖励改为 forfeited（见 worker 日志）"
        events = real_db.execute(
            "SELECT action, from_state, to_state, actor_id, extra->>'job' FROM awards_awardevent WHERE award_id = %s",
            [award.pk],
        ).fetchall()
        assert events == [("forfeit", "claimable", "forfeited", None, "forfeit_awards")]
        kinds = real_db.execute(
            "SELECT kind, dedupe_key FROM notifications_notification WHERE user_id = %s", [user.pk]
        ).fetchall()
        assert kinds == [("forfeited", f"forfeited:{award.pk}")]
        audited = real_db.execute("SELECT to_regclass('security_auditlog') IS NOT NULL").fetchone()
        if audited and audited[0]:  # the security app's audit triggers name the task run as the actor
            actors = real_db.execute(
                "SELECT actor FROM security_auditlog"
                " WHERE table_name = 'awards_award' AND row_id = %s AND op = 'UPDATE'",
                [award.pk],
            ).fetchall()
            assert len(actors) == 1 and actors[0][0] in {f"task:{TASK}:{task_id}" for task_id in sent}, actors
        (runs,) = real_db.execute(
            "SELECT count(*) FROM deadlines_jobrun WHERE job = 'deadlines' AND finished_at IS NOT NULL"
            " AND (changed->>'forfeit_awards')::int >= 1"
        ).fetchone()
        assert runs >= 1
    finally:
        realdb.remove(real_db, created)
