"""The Celery tasks through the eager app (config.settings.test: CELERY_TASK_ALWAYS_EAGER), the
advisory lock between two schedulers, and the run_deadlines command."""

import threading
from datetime import datetime
from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from applications.workflow import State
from awards.workflow import AwardState
from deadlines.jobs import advisory_key, single_instance
from deadlines.models import JobRun
from deadlines.tasks import run_deadline_jobs, run_reminders
from notifications.models import Notification

from .conftest import SH, frozen


def test_deadline_task_runs_the_jobs_through_celery(world, draft, make_award, django_capture_on_commit_callbacks):
    application = draft()
    award = make_award(datetime(2023, 3, 1, tzinfo=SH))

    with frozen(datetime(2023, 3, 1, 0, 1, tzinfo=SH)), django_capture_on_commit_callbacks(execute=True):
        result = run_deadline_jobs.delay()

    counts = result.get()
    assert counts == {
        "expire_drafts": 1,
        "expire_returned": 0,
        "flag_overdue_reviews": 0,
        "forfeit_awards": 1,
        "end_dishonesty": 0,
    }
    application.refresh_from_db()
    award.refresh_from_db()
    assert (application.state, award.state) == (State.EXPIRED, AwardState.FORFEITED)
    run = JobRun.objects.get()
    assert (run.job, run.changed, run.as_of) == ("deadlines", counts, datetime(2023, 3, 1, 0, 1, tzinfo=SH))
    # The e-mails of the notifications went out after commit (send_notification_emails, eager).
    assert Notification.objects.filter(kind__in=["expired", "forfeited"], emailed_at__isnull=False).count() == 2


def test_deadline_task_twice_changes_nothing_more(world, make_award):
    make_award(datetime(2023, 3, 1, tzinfo=SH))
    with frozen(datetime(2023, 3, 1, 0, 1, tzinfo=SH)):
        first = run_deadline_jobs.delay().get()
        second = run_deadline_jobs.delay().get()
    assert first["forfeit_awards"] == 1
    assert set(second.values()) == {0}


def test_reminder_task_sends_reminders_only(world, draft, make_award):
    draft()
    make_award(datetime(2023, 3, 1, tzinfo=SH))
    with frozen(datetime(2023, 2, 28, 8, 30, tzinfo=SH)):
        counts = run_reminders.delay().get()
    assert counts == {"remind_drafts": 0, "remind_claims": 1}
    assert JobRun.objects.get().job == "reminders"


def other_session() -> psycopg.Connection:
    """A second PostgreSQL session on the test database, as another beat or worker would have."""
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host=s["HOST"], port=s["PORT"], autocommit=True
    )


@pytest.mark.postgres
def test_a_second_scheduler_skips_while_the_first_runs(world, make_award, settings):
    settings.DEADLINE_LOCK_WAIT_SECONDS = 0.5
    make_award(datetime(2023, 3, 1, tzinfo=SH))
    # Another session (another beat) holds the lock: the task returns at once, changing nothing.
    other = other_session()
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [advisory_key("deadlines")])
        with frozen(datetime(2023, 3, 1, 0, 1, tzinfo=SH)):
            assert run_deadline_jobs.delay().get() == {"skipped": 1}
        assert not JobRun.objects.exists()
    finally:
        other.close()
    with frozen(datetime(2023, 3, 1, 0, 1, tzinfo=SH)):
        assert run_deadline_jobs.delay().get()["forfeit_awards"] == 1


@pytest.mark.postgres
def test_a_task_waits_for_a_lock_released_meanwhile(world, make_award, settings):
    """A redelivered task may arrive before PostgreSQL has dropped the dead worker's lock."""
    settings.DEADLINE_LOCK_WAIT_SECONDS = 5
    make_award(datetime(2023, 3, 1, tzinfo=SH))
    holder = other_session()
    holder.execute("SELECT pg_advisory_lock(%s)", [advisory_key("deadlines")])
    threading.Timer(0.5, holder.close).start()  # the holder goes away half a second later
    with frozen(datetime(2023, 3, 1, 0, 1, tzinfo=SH)):
        assert run_deadline_jobs.delay().get()["forfeit_awards"] == 1


@pytest.mark.postgres
def test_single_instance_lock_is_released(db):
    with single_instance("probe") as first:
        assert first is True
    with single_instance("probe") as again:
        assert again is True
    assert connection.vendor == "postgresql"


# --- manage.py run_deadlines ------------------------------------------------------------------------


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("run_deadlines", *args, stdout=out)
    return out.getvalue()


def test_command_runs_as_of_the_given_instant_and_prints_counts(world, draft):
    draft()
    draft()
    with frozen(datetime(2023, 3, 1, tzinfo=SH)):
        first = run_command("--at", "2023-02-01T00:00:00+08:00")
        second = run_command("--at", "2023-02-01T00:00:00+08:00")

    assert "基准时间：2023-02-01T00:00:00+08:00" in first
    assert "草稿逾期: 2" in first
    assert "奖励逾期未申领: 0" in first and "申领截止提醒: 0" in first
    assert "草稿逾期: 0" in second
    assert JobRun.objects.filter(job="manual").count() == 2


def test_command_one_second_early_changes_nothing(world, draft):
    draft()
    with frozen(datetime(2023, 3, 1, tzinfo=SH)):
        out = run_command("--at", "2023-01-31T23:59:59+08:00", "--job", "expire_drafts")
    assert "草稿逾期: 0" in out
    assert "审核超时" not in out


def test_command_reads_a_naive_instant_as_beijing_time_and_says_so(world, draft):
    draft()
    with frozen(datetime(2023, 3, 1, tzinfo=SH)):
        out = run_command("--at", "2023-02-01 00:00:00")
    assert "按北京时间（Asia/Shanghai）理解" in out
    assert "草稿逾期: 1" in out


def test_command_refuses_bad_or_future_instants(world):
    with frozen(datetime(2023, 3, 1, tzinfo=SH)):
        with pytest.raises(CommandError, match="不是有效的 ISO-8601"):
            run_command("--at", "2023年2月1日")
        with pytest.raises(CommandError, match="--allow-future"):
            run_command("--at", "2023-04-01T00:00:00+08:00")
        assert "草稿逾期: 0" in run_command("--at", "2023-04-01T00:00:00+08:00", "--allow-future")


def test_command_defaults_to_now(world, draft):
    draft()
    with frozen(datetime(2023, 2, 1, 0, 0, 1, tzinfo=SH)):
        out = run_command()
    assert "基准时间：2023-02-01T00:00:01+08:00" in out
    assert "草稿逾期: 1" in out
