"""The transactional outbox (RELIABILITY R12, R10): Celery tasks that survive a Redis outage.

`enqueue_on_commit(task, *args, **kwargs)` replaces `transaction.on_commit(lambda: task.delay(...))`:

1. it INSERTs an `OutboxMessage` in the caller's transaction: a rollback leaves neither row nor task;
2. after the commit it publishes the task at once (task id `outbox-<row id>`) and marks the row
   dispatched. If the broker is down the publish fails fast (no retries), the failure is logged
   and written to `last_error`, and the user's request goes on: the row stays pending;
3. `outbox_relay` (Celery beat every 15 s, `manage.py relay_outbox`, and meant for
   deadlines.jobs.run_all) publishes the rows still pending after OUTBOX_PENDING_AFTER_SECONDS,
   and publishes again the rows a broker took but no worker finished, up to OUTBOX_MAX_ATTEMPTS
   sends, each wait twice the one before. A Redis restart without persistence loses its queue: a
   row sent before the broker's last start (Redis INFO uptime) is sent again after
   OUTBOX_REDELIVER_AFTER_SECONDS (30 s). A row sent after it is still queued, however long the
   workers lag, so it is sent again only after OUTBOX_STALE_AFTER_SECONDS (2 h, a safety net).
   When the broker cannot say when it started, every unfinished row waits the short time;
4. a worker that finishes the task marks the row completed (outbox/signals.py).

Delivery is at least once: a task may arrive twice (a send the relay repeats), so every task
sent through the outbox must be idempotent. Under eager Celery (tests) the task runs inside the
publish and its own exceptions propagate, as they did with `.delay()`.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import TASK_ID_PREFIX, OutboxMessage

logger = logging.getLogger(__name__)

PENDING_AFTER_SECONDS = 10.0  # never dispatched: the on-commit send failed (or its process died)
REDELIVER_AFTER_SECONDS = 30.0  # sent before the broker restarted, not completed: lost with its queue
STALE_AFTER_SECONDS = 7200.0  # sent since, not completed: still queued (backlog), or lost another way
RESTART_MARGIN = timedelta(seconds=2)  # a send just after the restart counts as before it
MAX_ATTEMPTS = 5
BATCH_SIZE = 500
RELAY_MAX_SECONDS = 20.0
KEEP_DAYS = 7
ERROR_MAX = 2000


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _celery():
    from config.celery import app

    return app


def _eager() -> bool:
    return bool(_celery().conf.task_always_eager)


@transaction.atomic(savepoint=False)  # joins the caller's transaction: no savepoint round trips
def enqueue_on_commit(task: Task, *args, **kwargs) -> OutboxMessage:
    """Queue `task(*args, **kwargs)` to run after the surrounding transaction commits.

    Who may call: any service, inside its transaction (or in autocommit: then the row is
    committed at once). Arguments must be JSON-serialisable. The task must be idempotent.
    Side effects: one OutboxMessage row in the caller's transaction; after the commit, the task is
    published to the broker and the row marked dispatched. Errors: none from the broker, ever
    (a failed publish is logged, kept in `last_error` and left to the relay); a non-JSON argument
    raises TypeError at once.
    """
    message = OutboxMessage.objects.create(task=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: dispatch(message=message))
    return message


_pools: dict[tuple[int, str], Any] = {}  # kombu ConnectionPool (kombu has no type hints)
_pools_lock = threading.Lock()


def _broker_connection():
    """A pooled broker connection that gives up at the first refused connect.

    Celery's own pool retries a refused connect for broker_connection_timeout (4 s) whatever
    `retry=False` says (kombu's default_channel); a request must not wait that long. One pool per
    process and broker URL (a forked web worker builds its own; tests may point at another Redis).
    """
    app = _celery()
    key = (os.getpid(), app.conf.broker_write_url)
    pool = _pools.get(key)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                conn = app.connection_for_write(transport_options={"max_retries": 0})
                pool = _pools[key] = conn.Pool(limit=app.conf.broker_pool_limit or 10)
    return pool.acquire(block=True, timeout=10)


def _publish(message: OutboxMessage) -> None:
    """Send one row's task to the broker by name: one try, no publish retries (a down broker
    fails fast). Under eager Celery the task runs here instead."""
    app = _celery()
    options = {"args": message.args, "kwargs": message.kwargs, "task_id": message.task_id, "retry": False}
    if _eager():
        if message.task not in app.tasks:
            app.loader.import_default_modules()  # the tasks modules of every installed app
        app.tasks[message.task].apply_async(**options)
        return
    with _broker_connection() as connection:
        # ignore_result: no caller waits for an outbox task's result (nothing stored, no subscription)
        app.send_task(message.task, connection=connection, ignore_result=True, **options)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


def dispatch(*, message: OutboxMessage) -> bool:
    """Publish one committed row now and mark it dispatched; True if the broker took it.

    Who may call: the on-commit hook of `enqueue_on_commit` (not meant for other callers).
    Side effects: one task message; `dispatched_at`, `attempts` set (only if no relay sent it
    meanwhile). Errors: none, except under eager Celery, where the task runs here and its own
    exceptions propagate as `.delay()`'s did. A broker or database failure is logged: the row stays
    pending for the relay, and the request that committed it is not disturbed.
    """
    message_id = message.pk
    if _eager():
        _publish(message)
        _mark_sent([message_id])
        return True
    try:
        _publish(message)
    except Exception as exc:
        logger.warning("任务发件箱：消息 %s 发送失败，留待补发：%s", message_id, _error_text(exc))
        try:
            OutboxMessage.objects.filter(pk=message_id).update(last_error=_error_text(exc))
        except Exception:  # the database is down too: the row is pending anyway
            logger.exception("任务发件箱：记录消息 %s 的发送错误失败", message_id)
        return False
    try:
        _mark_sent([message_id])
    except Exception:  # sent but not marked: the relay sends it again (tasks are idempotent)
        logger.exception("任务发件箱：消息 %s 已发送但未能标记", message_id)
    return True


def _mark_sent(ids: list[int], *, only_pending: bool = True) -> int:
    rows = OutboxMessage.objects.filter(pk__in=ids)
    if only_pending:
        rows = rows.filter(dispatched_at__isnull=True)
    return rows.update(dispatched_at=timezone.now(), attempts=F("attempts") + 1, last_error="")


def _broker_started_at() -> datetime | None:
    """When the broker (Redis) last started, from INFO's uptime; None if it cannot say."""
    if _eager():
        return None
    try:
        with _broker_connection() as connection:
            if connection.transport.driver_type != "redis":
                return None
            uptime = connection.default_channel.client.info("server")["uptime_in_seconds"]
    except Exception:  # down, or not Redis: the relay's sends will tell
        return None
    return timezone.now() - timedelta(seconds=float(uptime))


def _due(now: datetime, broker_started: datetime | None) -> Q:
    """Rows the relay must (re)send as of `now` (see the module docstring)."""
    pending_after = timedelta(seconds=_setting("OUTBOX_PENDING_AFTER_SECONDS", PENDING_AFTER_SECONDS))
    redeliver_after = _setting("OUTBOX_REDELIVER_AFTER_SECONDS", REDELIVER_AFTER_SECONDS)
    stale_after = _setting("OUTBOX_STALE_AFTER_SECONDS", STALE_AFTER_SECONDS)
    due = Q(dispatched_at__isnull=True, created_at__lte=now - pending_after)
    for sent in range(1, int(_setting("OUTBOX_MAX_ATTEMPTS", MAX_ATTEMPTS))):
        factor = 2 ** (sent - 1)
        lost = Q(attempts=sent, dispatched_at__lte=now - timedelta(seconds=redeliver_after * factor))
        if broker_started is None:
            due |= lost
        else:
            due |= lost & Q(dispatched_at__lt=broker_started + RESTART_MARGIN)
            due |= Q(attempts=sent, dispatched_at__lte=now - timedelta(seconds=stale_after * factor))
    return Q(completed_at__isnull=True) & due


@dataclass
class RelayResult:
    sent: int = 0  # rows the broker took in this run
    failed: int = 0  # rows whose send failed (broker down: the run stopped at the first)
    broker_down: bool = False

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "broker_down": int(self.broker_down)}


def outbox_relay(*, now: datetime | None = None) -> RelayResult:
    """Send every row that is due (see the module docstring), in batches of OUTBOX_BATCH_SIZE.

    Who may call: the Celery beat task `outbox.tasks.relay_outbox`, `manage.py relay_outbox`, the
    deadline jobs' run_all; any number at once: each batch is locked with FOR UPDATE SKIP LOCKED,
    so two relays never send the same row in the same run. Safe to repeat (idempotent: a sent row is
    due again only if no worker completed it within the redelivery wait).
    Side effects: task messages; per batch (one transaction) one UPDATE of the sent rows
    (`dispatched_at`, `attempts + 1`) and, on a failure, one UPDATE of `last_error`. The run stops
    at the first broker failure (the broker is down: the rest would fail the same way) and after
    OUTBOX_RELAY_MAX_SECONDS. Errors: none raised for a broker failure (it is in the result and
    the log); a database error propagates (the batch rolls back; its rows stay due).
    """
    result = RelayResult()
    batch_size = int(_setting("OUTBOX_BATCH_SIZE", BATCH_SIZE))
    give_up = time.monotonic() + _setting("OUTBOX_RELAY_MAX_SECONDS", RELAY_MAX_SECONDS)
    eager = _eager()
    broker_started = _broker_started_at()
    after = 0  # rows are taken in id order; a row skipped as locked belongs to another relay
    while time.monotonic() < give_up:
        as_of = now or timezone.now()
        with transaction.atomic():
            batch = list(
                OutboxMessage.objects.filter(_due(as_of, broker_started))
                .filter(pk__gt=after)
                .order_by("pk")
                .select_for_update(skip_locked=True)[:batch_size]
            )
            if not batch:
                break
            sent: list[int] = []
            for message in batch:
                after = message.pk
                try:
                    _publish(message)
                except Exception as exc:
                    result.failed += 1
                    OutboxMessage.objects.filter(pk=message.pk).update(last_error=_error_text(exc))
                    if eager:  # the task itself failed while running inline: go on with the others
                        continue
                    result.broker_down = True
                    logger.warning("任务发件箱补发中止（broker 不可用？）：%s", _error_text(exc))
                    break
                sent.append(message.pk)
            result.sent += _mark_sent(sent, only_pending=False)
        if result.broker_down or len(batch) < batch_size:
            break
    if result.sent or result.failed:
        logger.info("任务发件箱补发：发送 %s 条，失败 %s 条", result.sent, result.failed)
    return result


@transaction.atomic
def outbox_purge(*, now: datetime | None = None) -> int:
    """Delete completed rows older than OUTBOX_KEEP_DAYS (default 7). Returns how many.

    Who may call: the relay task (after each run). Side effects: one DELETE. Errors: none.
    """
    cutoff = (now or timezone.now()) - timedelta(days=_setting("OUTBOX_KEEP_DAYS", KEEP_DAYS))
    deleted, _ = OutboxMessage.objects.filter(completed_at__lt=cutoff).delete()
    return deleted


def _row_id(task_id: str | None) -> int | None:
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return None
    suffix = task_id[len(TASK_ID_PREFIX) :]
    return int(suffix) if suffix.isdigit() else None


def outbox_mark_completed(*, task_id: str | None) -> int:
    """Record that a worker finished the task of an outbox row (no-op for other task ids).

    Who may call: the Celery task_postrun signal (outbox/signals.py). Side effects: one UPDATE
    (first completion only). Errors: database errors propagate (the signal handler logs them).
    """
    pk = _row_id(task_id)
    if pk is None:
        return 0
    return OutboxMessage.objects.filter(pk=pk, completed_at__isnull=True).update(completed_at=timezone.now())


def outbox_mark_failed(*, task_id: str | None, error: BaseException) -> int:
    """Keep the error of a failed run of an outbox row's task (the relay sends it again later).

    Who may call: the Celery task_failure signal. Side effects: one UPDATE. Errors: as above.
    """
    pk = _row_id(task_id)
    if pk is None:
        return 0
    return OutboxMessage.objects.filter(pk=pk).update(last_error=_error_text(error))
