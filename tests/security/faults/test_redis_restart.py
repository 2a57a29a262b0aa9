"""R12 Redis restarted under load: N transitions at about 20 per second while the broker is stopped
and started again (no persistence, so whatever waited in its queue is gone). With the task
outbox (outbox/) every request still succeeds, and every task reaches a real worker: 0 lost.

Our own parts, never the shared servers: a throwaway redis-server (tests/outbox/broker.py) and
a real `celery worker` subprocess on that Redis and on this test's PostgreSQL database
(committed data: transactional test), started and stopped by this test. The relay runs as beat
would, here every second, with short waits (pending 2 s, redelivery 5 s) so the test is quick.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import close_old_connections, connection, connections
from django.test import Client
from django.utils import timezone

from awards.models import Award, AwardEvent
from notifications.models import Notification
from outbox.models import OutboxMessage
from outbox.services import outbox_relay
from policies.models import PolicyItem
from tests.outbox.broker import throwaway_redis, use_broker

from ..conftest import require_postgres

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]
N = int(os.environ.get("FAULTS_REDIS_CLAIMS", "300"))
RATE = 20.0  # requests per second (R12), spread over THREADS clients
THREADS = 4
LOST_AFTER = 60.0  # R12: 0 lost tasks 60 s after the restart
EMAIL_TASK = "notifications.tasks.send_notification_emails"
WORKER_FLAGS = ["--without-mingle", "--without-gossip", "--without-heartbeat", "-n", f"faults-{os.getpid()}@%h"]


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def start_worker(broker_url: str, log: Path) -> subprocess.Popen:
    """A real Celery worker on the throwaway Redis and this test's database; ready when its log
    says so (its own process group, so stopping it ends its pool too)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url()}
    env["CELERY_BROKER_URL"] = broker_url
    env.pop("CELERY_RESULT_BACKEND", None)
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency=1", *WORKER_FLAGS],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    give_up = time.monotonic() + 90
    while time.monotonic() < give_up:
        if " ready." in log.read_text(errors="replace"):
            return worker
        if worker.poll() is not None:
            break
        time.sleep(0.2)
    stop_worker(worker)
    pytest.fail(f"Celery worker 没有就绪：\n{log.read_text(errors='replace')[-3000:]}")


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGCONT)  # in case the test stopped it
        os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown of our own worker and its pool
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


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


def test_redis_restarted_under_load_every_request_succeeds_and_no_task_is_lost(demo_tx, settings):
    require_postgres()
    ids = make_awards(demo_tx, N)
    assert len(ids) == N
    settings.OUTBOX_PENDING_AFTER_SECONDS = 2
    settings.OUTBOX_REDELIVER_AFTER_SECONDS = 5
    log_dir = Path(tempfile.mkdtemp(prefix="hq-faults-redis-"))
    worker_log = log_dir / "worker.log"
    requests: list[tuple[float, float, int, int]] = []  # (start, end, award, status)
    relays: list[tuple[float, int, bool]] = []  # (when, sent, broker down)
    started, stop_relay = threading.Event(), threading.Event()

    def load(part: list[int]) -> None:
        """One claim every THREADS/RATE seconds (each claim is a transition); THREADS of these."""
        client = Client(raise_request_exception=False)
        client.force_login(demo_tx.users["ent_a"])
        try:
            t_next = time.monotonic()
            for pk in part:
                time.sleep(max(0.0, t_next - time.monotonic()))
                t_next += THREADS / RATE
                t0 = time.monotonic()
                close_old_connections()
                try:
                    status = client.post(
                        f"/api/v1/awards/{pk}/claim/", {"commitment_signed": True}, content_type="application/json"
                    ).status_code
                except Exception:
                    status = 599
                requests.append((t0, time.monotonic(), pk, status))
                started.set()
        finally:
            connection.close()

    def relay() -> None:
        """Beat's relay task, every second."""
        try:
            while not stop_relay.wait(1.0):
                result = outbox_relay()
                relays.append((time.monotonic(), result.sent, result.broker_down))
        finally:
            connection.close()

    with throwaway_redis() as redis, use_broker(redis.url):
        worker = start_worker(redis.url, worker_log)
        try:
            loaders = [threading.Thread(target=load, args=(ids[i::THREADS],)) for i in range(THREADS)]
            relayer = threading.Thread(target=relay)
            for t in [*loaders, relayer]:
                t.start()
            started.wait(30)
            time.sleep(2.0)
            # The worker falls behind (SIGSTOP, 1 s before the restart, until 3 s after it): the
            # messages waiting in Redis at the restart are lost with it, as in a real backlog.
            os.killpg(worker.pid, signal.SIGSTOP)
            time.sleep(1.0)
            down, up = redis.restart(down_for=1.0)
            time.sleep(3.0)
            os.killpg(worker.pid, signal.SIGCONT)
            for t in loaders:
                t.join(300)
            load_end = time.monotonic()
            deadline = load_end + LOST_AFTER
            while time.monotonic() < deadline:
                if not OutboxMessage.objects.filter(completed_at__isnull=True).exists():
                    break
                time.sleep(0.5)
            all_done = time.monotonic()
            stop_relay.set()
            relayer.join(60)
        finally:
            stop_worker(worker)
            connections.close_all()

    statuses = Counter(status for *_, status in requests)
    during = [r for r in requests if r[1] >= down and r[0] <= up]
    assert len(requests) == N and statuses == Counter({200: N}), statuses
    assert during, "the restart happened after the load: nothing was tested"
    states = Counter(Award.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert states == Counter({"claimed": N}), states
    events = Counter(AwardEvent.objects.filter(award_id__in=ids, action="claim").values_list("award_id", flat=True))
    assert len(events) == N and set(events.values()) == {1}, "exactly one history row per claimed award"

    rows = list(OutboxMessage.objects.filter(task=EMAIL_TASK))
    assert len(rows) == N, f"one task per claim: {len(rows)} rows for {N} claims"
    lost = [r.pk for r in rows if r.completed_at is None]
    log = worker_log.read_text(errors="replace")
    assert not lost, f"{len(lost)} tasks not run {LOST_AFTER:.0f} s after the load: {lost[:10]}\n{log[-3000:]}"
    delays = sorted((r.completed_at - r.created_at).total_seconds() for r in rows)
    assert delays[-1] <= LOST_AFTER, f"a task ran {delays[-1]:.1f} s after its transition (R12: within 60 s)"
    notes = Notification.objects.filter(kind="claimed", user=demo_tx.users["ent_a"])
    assert notes.count() == N and not notes.filter(emailed_at__isnull=True).exists()
    runs = Counter(re.findall(rf"{re.escape(EMAIL_TASK)}\[(outbox-\d+)\] succeeded", log))
    assert set(runs) == {f"outbox-{r.pk}" for r in rows}, "every row's task ran on the worker"
    attempts = Counter(r.attempts for r in rows)
    twice = Counter(runs.values())
    slowest = max(during, key=lambda r: r[1] - r[0])
    requests.sort()
    rate = N / (max(r[1] for r in requests) - requests[0][0])
    print(
        f"R12 Redis restart (stop, 1 s, start) {up - down:.2f} s under {rate:.1f} rps (target {RATE:.0f}): "
        f"{N} claims, all 200 ({len(during)} during the outage, slowest {(slowest[1] - slowest[0]) * 1000:.0f} ms); "
        f"{N} tasks, 0 lost: transition to task done p50 {delays[N // 2]:.2f} s, max {delays[-1]:.2f} s "
        f"(limit {LOST_AFTER:.0f} s); all done {all_done - load_end:.1f} s after the load; "
        f"sends per row {dict(sorted(attempts.items()))}; runs per task {dict(sorted(twice.items()))}; "
        f"relay: {len(relays)} runs, {sum(s for _, s, _ in relays)} sent, saw Redis down {sum(d for *_, d in relays)}x"
    )
