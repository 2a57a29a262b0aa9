"""R11 a worker killed in the middle of a deadline job (`kill -9`): the rerun finishes the work
and nothing is done twice. A real `manage.py run_deadlines` process works on committed data in
the PostgreSQL test database (not inside pytest's transaction), in batches of at most 200; it is
killed after its first committed batches and started again."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from awards.models import Award, AwardEvent
from deadlines.models import JobRun
from notifications.models import Notification
from policies.models import PolicyItem
from security.models import AuditLog

from ..conftest import require_postgres

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]
N = int(os.environ.get("FAULTS_KILL9_AWARDS", "8000"))
BATCH = 200


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def seed(demo, n: int) -> None:
    """n claimable awards of ent_a whose claim deadline has passed (items × years keep the
    免申即享 unique key apart)."""
    ent = demo.enterprises["ent_a"]
    items = list(PolicyItem.objects.order_by("pk").values_list("pk", flat=True))
    deadline = timezone.now() - timedelta(minutes=1)
    rows = []
    for i in range(n):
        rows.append(
            Award(
                enterprise=ent,
                item_id=items[i % len(items)],
                district_id=ent.district_id,
                source=Award.Source.AUTO,
                year=1900 + i // len(items),
                amount=Decimal("100.00"),
                city_share=Decimal("50.00"),
                district_share=Decimal("50.00"),
                claim_deadline=deadline,
            )
        )
    Award.objects.bulk_create(rows, batch_size=2000)


def run_deadlines() -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.security.faults.settings_faults",
        "DATABASE_URL": database_url(),
        "DEADLINE_JOB_BATCH_SIZE": str(BATCH),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_deadlines", "--job", "forfeit_awards"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def counts() -> dict[str, int]:
    forfeited_audits = sum(
        1
        for new in AuditLog.objects.filter(table_name="awards_award", op="UPDATE").values_list("new", flat=True)
        if new.get("state") == "forfeited"
    )
    return {
        "forfeited": Award.objects.filter(state="forfeited").count(),
        "events": AwardEvent.objects.filter(action="forfeit").count(),
        "audits": forfeited_audits,
    }


def test_kill_9_mid_job_then_rerun_forfeits_each_of_8000_awards_exactly_once(demo_tx):
    require_postgres()
    seed(demo_tx, N)
    process = run_deadlines()
    started = time.monotonic()
    try:
        while time.monotonic() - started < 300:
            done = Award.objects.filter(state="forfeited").count()
            if done >= 3 * BATCH or process.poll() is not None:
                break
            time.sleep(0.01)
        assert process.poll() is None, f"the job finished before it could be killed: {process.communicate()}"
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    time.sleep(0.5)  # PostgreSQL notices the dead backend and rolls its open batch back
    after_kill = counts()
    assert 0 < after_kill["forfeited"] < N, after_kill
    assert after_kill["forfeited"] == after_kill["events"] == after_kill["audits"], after_kill
    # equal counts: every committed batch has its history and audit rows, the killed one none
    killed_run = JobRun.objects.order_by("pk").last()
    assert killed_run.finished_at is None  # the killed run is visible as unfinished

    rerun = run_deadlines()
    _out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err[-2000:]
    final = counts()
    assert final == {"forfeited": N, "events": N, "audits": N}, final
    per_award = Counter(AwardEvent.objects.filter(action="forfeit").values_list("award_id", flat=True))
    assert len(per_award) == N and set(per_award.values()) == {1}
    last = JobRun.objects.order_by("pk").last()
    assert last.finished_at is not None and last.changed["forfeit_awards"] == N - after_kill["forfeited"]
    users = demo_tx.enterprises["ent_a"].users.count()
    assert Notification.objects.filter(kind="forfeited").count() == N * users  # each message once
    print(
        f"R11 kill -9 after {after_kill['forfeited']} of {N} awards; rerun forfeited "
        f"{N - after_kill['forfeited']}; history rows {final['events']}, audit rows {final['audits']}"
    )
