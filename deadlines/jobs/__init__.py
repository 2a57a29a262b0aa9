"""Deadlines that enforce themselves (SPEC §5): the deadline jobs as set-based services.

Package layout: building blocks in `base`, the application jobs in `applications`, dishonesty
and reminders in `reminders`; the award forfeiture, `JOBS`, `run_all` and `single_instance`
here. Every public name is importable from `deadlines.jobs`.

Each `job_<name>(*, now) -> int` judges every deadline against the aware instant `now` and
returns how many records it changed (for reminders: how many messages it sent). Callers: the
Celery tasks in deadlines/tasks.py (with `timezone.now()`), `manage.py run_deadlines [--at]`,
and tests. `run_all` runs them in a fixed order and records a JobRun row.

How every job works (RELIABILITY A3 rule 3):
- in batches of at most `DEADLINE_JOB_BATCH_SIZE` (default 5 000) ids, sized to take about
  `DEADLINE_JOB_BATCH_SECONDS` (0.5 s) each, each batch its own transaction:
  `SELECT id … WHERE <state and deadline> AND id > <last> ORDER BY id LIMIT n FOR UPDATE SKIP
  LOCKED`, then one `UPDATE … WHERE id = ANY(<ids>) AND state = <old>` (the state guard), the
  history rows (actor empty = 系统) as one `INSERT … SELECT` per distinct deadline in the batch,
  and the notifications as one bulk INSERT (deadlines/notify.py), all in the batch's transaction.
  The forfeiture (the largest sweep, benchmark P3) reads the rows it needs in the locking query
  and changes them and writes their history in one statement (`WITH done AS (UPDATE … RETURNING)
  INSERT … SELECT`, PostgreSQL); every batch's duration is logged at DEBUG (`batch_s`);
- idempotent: a second run finds nothing in the old state, and the notifications' dedupe keys
  stop a message from being sent twice;
- safe on several workers at once: a row locked by one worker's batch is skipped by the other's
  (`SKIP LOCKED`), and the guard in the WHERE means a row can never change twice. A case that a
  person is acting on at that moment (its row locked by `application_transition`) is skipped too
  and judged again by the next run, so a submission or claim made in time always wins.

Window edges: a deadline is the first instant NOT allowed (a round "截至1月31日" closes at
2023-02-01T00:00:00+08:00). The services refuse `now >= deadline`; these jobs act on
`deadline <= now`, the same instant, so there is neither a gap nor an overlap.

State changes here bypass `application_transition`/`award_transition` on purpose (set-based),
and apply exactly the table's edges: applications `expire` (draft/returned → expired), awards
`forfeit` (claimable → forfeited).
"""

import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from awards.models import Award, AwardEvent
from awards.workflow import AWARD_TRANSITIONS, AwardState

from ..models import JobRun
from ..notify import Message, enterprise_user_ids, notify_once
from .applications import job_expire_drafts, job_expire_returned, job_flag_overdue_reviews
from .base import (
    DEFAULT_BATCH_SECONDS,
    DEFAULT_BATCH_SIZE,
    FIRST_BATCH,
    LOCK_POLL,
    MIN_BATCH,
    REMINDER_DAYS,
    _extra,
    _guarded_update,
    _History,
    _iso,
    _sweep,
    batch_seconds,
    batch_size,
    days_left,
    deadline_text,
    reminder_tier,
)
from .reminders import job_end_dishonesty, job_remind_claims, job_remind_drafts

__all__ = [
    "DEFAULT_BATCH_SECONDS",
    "DEFAULT_BATCH_SIZE",
    "ENFORCEMENT_JOBS",
    "FIRST_BATCH",
    "JOBS",
    "JOB_LABELS",
    "MIN_BATCH",
    "REMINDER_DAYS",
    "REMINDER_JOBS",
    "advisory_key",
    "batch_seconds",
    "batch_size",
    "days_left",
    "deadline_text",
    "job_end_dishonesty",
    "job_expire_drafts",
    "job_expire_returned",
    "job_flag_overdue_reviews",
    "job_forfeit_awards",
    "job_remind_claims",
    "job_remind_drafts",
    "notify_once",
    "reminder_tier",
    "run_all",
    "single_instance",
]

logger = logging.getLogger(__name__)

# Chinese names, used by run_deadlines, the admin and the logs.
JOB_LABELS = {
    "expire_drafts": "草稿逾期",
    "expire_returned": "补正逾期",
    "flag_overdue_reviews": "审核超时",
    "forfeit_awards": "奖励逾期未申领",
    "end_dishonesty": "失信期满移出",
    "remind_drafts": "申报截止提醒",
    "remind_claims": "申领截止提醒",
}


# --- awards ------------------------------------------------------------------------------------


# One statement per batch for the state change and its history (PostgreSQL): the guarded UPDATE
# returns the rows it changed, and the history rows are inserted from them, joined to the reason
# and extra of each distinct deadline (arrays of a few elements). The notifications follow.
_FORFEIT_SQL = """
WITH done AS (
    UPDATE awards_award SET state = %(target)s, updated_at = %(stamp)s
    WHERE id = ANY(%(ids)s) AND state = %(source)s
    RETURNING id, claim_deadline
)
INSERT INTO awards_awardevent (award_id, actor_id, action, from_state, to_state, reason, at, extra)
SELECT done.id, NULL, 'forfeit', %(source)s, %(target)s, g.reason, %(stamp)s, g.extra::jsonb
FROM done
JOIN unnest(%(deadlines)s::timestamptz[], %(reasons)s::text[], %(extras)s::text[]) AS g (deadline, reason, extra)
    ON g.deadline = done.claim_deadline
ORDER BY done.id
"""


def _forfeit_reason(deadline: datetime) -> str:
    return f"申领期限（{deadline_text(deadline)}）已过，未如期申领，视为自动放弃，不再享受此项政策。"


def _forfeit(rows: list[tuple[int, int, str, Decimal, datetime]], *, now: datetime) -> int:
    """claimable → forfeited for the locked `rows` (pk, enterprise, item name, amount, deadline):
    guarded UPDATE, one AwardEvent per award, the enterprise users' notices; one transaction."""
    transition = AWARD_TRANSITIONS["forfeit"]
    (source,) = transition.sources
    ids = [r[0] for r in rows]
    stamp = timezone.now()
    reasons = {deadline: _forfeit_reason(deadline) for deadline in {r[4] for r in rows}}
    if connection.vendor == "postgresql":
        extras = [json.dumps(_extra("forfeit_awards", now, deadline=_iso(d)), ensure_ascii=False) for d in reasons]
        with connection.cursor() as cursor:
            cursor.execute(
                _FORFEIT_SQL,
                {
                    "ids": ids,
                    "source": source,
                    "target": transition.target,
                    "stamp": stamp,
                    "deadlines": list(reasons),
                    "reasons": list(reasons.values()),
                    "extras": extras,
                },
            )
            if cursor.rowcount != len(ids):
                raise RuntimeError(
                    f"期限任务：锁定 {len(ids)} 行，实际更新 {cursor.rowcount} 行；本批次已回滚，下次运行重试。"
                )
    else:
        _guarded_update(Award.objects.filter(state=source), ids, state=transition.target, updated_at=stamp)
        history = _History(AwardEvent, "award", action="forfeit", from_state=source, to_state=transition.target)
        for pk, _enterprise, _item, _amount, deadline in rows:
            history.add(pk, reasons[deadline], _extra("forfeit_awards", now, deadline=_iso(deadline)))
        history.write(at=stamp)
    users = enterprise_user_ids(r[1] for r in rows)
    notify_once(
        Message(
            users[enterprise_id],
            kind="forfeited",
            title=f"“{item}”奖励 {amount:,.2f} 元逾期未申领",
            body=reasons[deadline],
            link=f"/awards/{pk}/",
            dedupe_key=f"forfeited:{pk}",
        )
        for pk, enterprise_id, item, amount, deadline in rows
        if enterprise_id in users
    )
    return len(ids)


def job_forfeit_awards(*, now: datetime) -> int:
    """`claimable` awards whose claim deadline has come (`claim_deadline <= now`) → `forfeited`
    (未如期申领的企业视为自动放弃). Side effects: AwardEvent per award, a notification to the
    enterprise's users."""
    due = Award.objects.filter(state=AwardState.CLAIMABLE, claim_deadline__lte=now)
    fields = ("enterprise_id", "item__name", "amount", "claim_deadline")
    return _sweep(due, lambda rows: _forfeit(rows, now=now), fields=fields)


# --- running them ----------------------------------------------------------------------------------

JOBS: dict[str, Callable[..., int]] = {
    "expire_drafts": job_expire_drafts,
    "expire_returned": job_expire_returned,
    "flag_overdue_reviews": job_flag_overdue_reviews,
    "forfeit_awards": job_forfeit_awards,
    "end_dishonesty": job_end_dishonesty,
    "remind_drafts": job_remind_drafts,
    "remind_claims": job_remind_claims,
}
ENFORCEMENT_JOBS = ("expire_drafts", "expire_returned", "flag_overdue_reviews", "forfeit_awards", "end_dishonesty")
REMINDER_JOBS = ("remind_drafts", "remind_claims")


def run_all(*, now: datetime, jobs: Iterable[str] | None = None, label: str = "all") -> dict[str, int]:
    """Run the jobs (all of them by default) in the fixed order of JOBS, as of `now`.

    Writes one JobRun row (job=`label`, as_of, the counts per job, finished_at; on failure the
    counts so far and the error, then re-raises). Callers: deadlines.tasks, run_deadlines.
    """
    if timezone.is_naive(now):
        raise ValueError("run_all 需要带时区的时间（aware datetime）。")
    chosen = set(JOBS if jobs is None else jobs)
    unknown = chosen - set(JOBS)
    if unknown:
        raise ValueError(f"未知的期限任务：{', '.join(sorted(unknown))}")
    run = JobRun.objects.create(job=label, as_of=now)
    counts: dict[str, int] = {}
    try:
        for name, job in JOBS.items():
            if name in chosen:
                counts[name] = job(now=now)
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(changed=counts, finished_at=timezone.now(), error=repr(exc)[:2000])
        raise
    JobRun.objects.filter(pk=run.pk).update(changed=counts, finished_at=timezone.now())
    if any(counts.values()):
        logger.info("期限任务（截至 %s）：%s", now.isoformat(), counts)
    return counts


def advisory_key(name: str) -> int:
    """The PostgreSQL advisory-lock key of the job set `name` (a stable 32-bit number)."""
    return zlib.crc32(f"deadlines.{name}".encode())


@contextmanager
def single_instance(name: str, *, wait: float = 0.0) -> Iterator[bool]:
    """Yield True if this process may run `name` now: a PostgreSQL session advisory lock
    (pg_try_advisory_lock), released at the end, or by PostgreSQL when the holder's connection
    ends (a killed worker). Keeps two beat schedulers from running the same jobs at once; the
    SKIP LOCKED batches stay the real guard. With `wait`, tries again for that many seconds
    (a task redelivered after its worker died may arrive before PostgreSQL has noticed the
    death). Always True on other databases."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = advisory_key(name)
    for attempt in range(int(wait / LOCK_POLL) + 1):
        if attempt:
            time.sleep(LOCK_POLL)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            (got,) = cursor.fetchone()
        if got:
            break
    try:
        yield bool(got)
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
