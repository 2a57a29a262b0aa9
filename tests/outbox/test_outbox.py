"""The task outbox (RELIABILITY R10, R12) against a real Redis of our own that the tests stop and
start, on real PostgreSQL with committed transactions: a rollback sends nothing, a commit sends
once, Redis down never breaks a request and loses no task, the relay sends each row once.

What reached Redis is read back through kombu (tests/outbox/broker.py); `run_queued` takes the
messages off the queue and runs them as a worker would (signals included), since no worker runs
in the gating pytest step (the real-worker test is test_realworker.py)."""

import io
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from awards.models import Award
from notifications.models import Notification
from notifications.services import notification_create
from outbox.models import OutboxMessage
from outbox.selectors import outbox_backlog
from outbox.services import outbox_purge, outbox_relay
from policies.models import PolicyItem

from .broker import queued, run_queued

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
EMAIL_TASK = "notifications.tasks.send_notification_emails"


def make_user(name: str = "outbox_user", email: str = "") -> User:
    return User.objects.create(username=name, role=Role.ENTERPRISE, email=email)


def notify(user: User, n: int = 1) -> list[int]:
    created = notification_create(users=[user], kind="test", title=f"第{n}条测试通知", dedupe_key=f"outbox-test:{n}")
    return [x.pk for x in created]


def make_awards(demo, n: int) -> list[int]:
    ent = demo.enterprises["ent_a"]
    items = list(PolicyItem.objects.order_by("pk").values_list("pk", flat=True))
    Award.objects.bulk_create(
        Award(
            enterprise=ent,
            item_id=items[i % len(items)],
            district_id=ent.district_id,
            source=Award.Source.AUTO,
            year=2025 + i // len(items),
            amount=Decimal("100.00"),
            city_share=Decimal("50.00"),
            district_share=Decimal("50.00"),
            claim_deadline=timezone.now() + timedelta(days=1),
        )
        for i in range(n)
    )
    return list(Award.objects.filter(enterprise=ent, year__gte=2025).order_by("pk").values_list("pk", flat=True))


def test_rollback_leaves_no_row_and_sends_no_task(broker):
    user = make_user(email="a@example.com")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert notify(user)
        assert OutboxMessage.objects.count() == 1  # inside the transaction the row is there
        raise RuntimeError("业务出错，整体回滚")
    assert OutboxMessage.objects.count() == 0
    assert Notification.objects.count() == 0
    assert queued(broker.url) == []
    assert mail.outbox == []


def test_commit_sends_the_task_once_right_after_commit_and_the_worker_completes_it(broker, settings):
    user = make_user(email="b@example.com")
    with transaction.atomic():
        ids = notify(user)
        assert queued(broker.url) == []  # nothing leaves before the commit
    row = OutboxMessage.objects.get()
    assert (row.task, row.args, row.kwargs) == (EMAIL_TASK, [ids], {})
    assert row.dispatched_at is not None and row.attempts == 1 and row.completed_at is None
    assert [(m.id, m.task, m.args) for m in queued(broker.url)] == [(f"outbox-{row.pk}", EMAIL_TASK, [ids])]
    assert outbox_relay().sent == 0  # dispatched just now: not due

    ran = run_queued(broker.url)
    assert [m.id for m in ran] == [f"outbox-{row.pk}"]
    row.refresh_from_db()
    assert row.completed_at is not None
    assert Notification.objects.get(pk=ids[0]).emailed_at is not None
    assert len(mail.outbox) == 1
    settings.OUTBOX_REDELIVER_AFTER_SECONDS = 0
    assert outbox_relay().sent == 0  # completed rows are never sent again
    assert queued(broker.url) == []


def test_eager_celery_runs_the_task_at_commit_as_delay_did():
    """config.settings.test: CELERY_TASK_ALWAYS_EAGER. The row is written, the task runs inline
    after the commit, and the row ends completed (no broker involved)."""
    user = make_user(email="c@example.com")
    with transaction.atomic():
        ids = notify(user)
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=ids[0]).emailed_at is not None
    row = OutboxMessage.objects.get()
    assert row.dispatched_at is not None and row.completed_at is not None and row.attempts == 1


def test_redis_down_claims_succeed_rows_stay_pending_then_the_relay_sends_every_task_once(demo_tx, broker, settings):
    n = 40
    awards = make_awards(demo_tx, n)
    client = Client(raise_request_exception=False)
    client.force_login(demo_tx.users["ent_a"])
    broker.stop()
    took = []
    for pk in awards:
        t0 = time.monotonic()
        response = client.post(
            f"/api/v1/awards/{pk}/claim/", {"commitment_signed": True}, content_type="application/json"
        )
        took.append(time.monotonic() - t0)
        assert response.status_code == 200, response.content
    assert Counter(Award.objects.filter(pk__in=awards).values_list("state", flat=True)) == {"claimed": n}
    rows = list(OutboxMessage.objects.order_by("pk"))
    assert len(rows) == n and {r.task for r in rows} == {EMAIL_TASK}
    assert all(r.dispatched_at is None and r.attempts == 0 and r.last_error for r in rows)
    assert outbox_backlog()["pending"] == n

    settings.OUTBOX_PENDING_AFTER_SECONDS = 0
    down = outbox_relay()
    assert (down.sent, down.failed, down.broker_down) == (0, 1, True)  # stops at the first failure
    assert OutboxMessage.objects.filter(dispatched_at__isnull=True).count() == n

    broker.start()
    t0 = time.monotonic()
    result = outbox_relay()
    relay_seconds = time.monotonic() - t0
    assert (result.sent, result.failed, result.broker_down) == (n, 0, False)
    sent = queued(broker.url)
    assert Counter(m.id for m in sent) == Counter({f"outbox-{r.pk}": 1 for r in rows})
    assert outbox_relay().sent == 0  # idempotent: nothing is due any more

    ran = run_queued(broker.url)
    assert len(ran) == n
    assert OutboxMessage.objects.filter(completed_at__isnull=True).count() == 0
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    notes = Notification.objects.filter(kind="claimed", user=demo_tx.users["ent_a"])
    assert notes.count() == n and not notes.filter(emailed_at__isnull=True).exists()
    print(
        f"R12 Redis down: {n} claims all 200 (slowest {max(took) * 1000:.0f} ms, median "
        f"{sorted(took)[n // 2] * 1000:.0f} ms); {n} rows pending; Redis back: relay sent {n} in "
        f"{relay_seconds * 1000:.0f} ms, each once; 0 lost"
    )


def test_the_relay_sends_again_a_task_lost_with_the_redis_queue(broker, settings):
    """Redis without persistence restarts: the queued message is gone. The row is dispatched
    but not completed, so after the redelivery wait the relay sends it again."""
    user = make_user()
    with transaction.atomic():
        ids = notify(user)
    row = OutboxMessage.objects.get()
    assert len(queued(broker.url)) == 1
    broker.restart(down_for=0.2)
    assert queued(broker.url) == []
    assert outbox_relay().sent == 0  # dispatched a moment ago: within the redelivery wait
    settings.OUTBOX_REDELIVER_AFTER_SECONDS = 0
    assert outbox_relay().sent == 1
    assert [m.id for m in queued(broker.url)] == [f"outbox-{row.pk}"]
    run_queued(broker.url)
    row.refresh_from_db()
    assert row.attempts == 2 and row.completed_at is not None
    assert Notification.objects.get(pk=ids[0]).emailed_at is not None
    assert outbox_relay().sent == 0


def test_a_message_still_queued_is_not_sent_again_however_long_the_worker_lags(broker, settings):
    """Sent after Redis last started (INFO uptime), so still in its queue: only the 2 h safety
    net (OUTBOX_STALE_AFTER_SECONDS) sends it again, never the short redelivery wait."""
    user = make_user()
    time.sleep(3.0)  # a send within 2 s of the server's start counts as before it (uptime is in whole seconds)
    with transaction.atomic():
        notify(user)
    row = OutboxMessage.objects.get()
    settings.OUTBOX_REDELIVER_AFTER_SECONDS = 0
    assert outbox_relay(now=timezone.now() + timedelta(minutes=10)).sent == 0
    assert [m.id for m in queued(broker.url)] == [f"outbox-{row.pk}"]
    settings.OUTBOX_STALE_AFTER_SECONDS = 60
    assert outbox_relay(now=timezone.now() + timedelta(minutes=10)).sent == 1
    assert [m.id for m in queued(broker.url)] == [f"outbox-{row.pk}"] * 2


def test_the_redelivery_wait_doubles_and_stops_after_max_attempts(broker, settings):
    settings.OUTBOX_REDELIVER_AFTER_SECONDS = 10
    now = timezone.now()
    rows = OutboxMessage.objects.bulk_create(
        OutboxMessage(task=EMAIL_TASK, args=[[]], attempts=a, dispatched_at=now - timedelta(seconds=s))
        for a, s in [(1, 11), (2, 11), (2, 21), (4, 81), (5, 10_000)]
    )
    result = outbox_relay(now=now)
    assert result.sent == 3
    assert sorted(m.id for m in queued(broker.url)) == sorted(f"outbox-{rows[i].pk}" for i in (0, 2, 3))


def test_two_relays_at_once_send_each_row_once(broker, settings):
    n = 300
    settings.OUTBOX_BATCH_SIZE = 25
    old = timezone.now() - timedelta(minutes=5)
    OutboxMessage.objects.bulk_create(OutboxMessage(task=EMAIL_TASK, args=[[]], created_at=old) for _ in range(n))
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def relay() -> None:
        try:
            barrier.wait(10)
            counts.append(outbox_relay().sent)
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == n, counts
    ids = Counter(m.id for m in queued(broker.url))
    assert len(ids) == n and set(ids.values()) == {1}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


def test_purge_deletes_only_completed_rows_older_than_a_week():
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(task=EMAIL_TASK, completed_at=now - timedelta(days=8)),
            OutboxMessage(task=EMAIL_TASK, completed_at=now - timedelta(days=1)),
            OutboxMessage(task=EMAIL_TASK, created_at=now - timedelta(days=30)),  # never completed: kept
        ]
    )
    assert outbox_purge(now=now) == 1
    assert OutboxMessage.objects.count() == 2


def test_a_failing_task_does_not_stop_the_relay_and_keeps_its_error(settings):
    """Eager Celery (the test settings): the relay runs each task inline; one that raises is
    recorded (task_failure signal and the relay) and the others still run."""
    settings.OUTBOX_PENDING_AFTER_SECONDS = 0
    user = make_user(email="d@example.com")
    ids = notify(user)
    Notification.objects.filter(pk__in=ids).update(emailed_at=None)
    bad, good = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=EMAIL_TASK, args=[]), OutboxMessage(task=EMAIL_TASK, args=[ids])]
    )
    mail.outbox.clear()
    result = outbox_relay()
    assert (result.sent, result.failed, result.broker_down) == (1, 1, False)
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.completed_at is None and "TypeError" in bad.last_error
    assert good.completed_at is not None and len(mail.outbox) == 1


def test_relay_command_and_beat_task(settings):
    from django.core.management import call_command

    from config.celery import app
    from outbox.tasks import relay_outbox

    assert app.conf.beat_schedule["outbox-relay"]["task"] == relay_outbox.name
    settings.OUTBOX_PENDING_AFTER_SECONDS = 0
    user = make_user()
    ids = notify(user)
    OutboxMessage.objects.bulk_create(OutboxMessage(task=EMAIL_TASK, args=[ids]) for _ in range(2))
    out = io.StringIO()
    call_command("relay_outbox", stdout=out)
    assert "已发送 2 条，发送失败 0 条" in out.getvalue()
    assert "待发送 0 条" in out.getvalue()
    OutboxMessage.objects.bulk_create([OutboxMessage(task=EMAIL_TASK, args=[ids])])
    assert relay_outbox.delay().get() == {"sent": 1, "failed": 0, "broker_down": 0, "purged": 0}
    assert not OutboxMessage.objects.filter(completed_at__isnull=True).exists()
