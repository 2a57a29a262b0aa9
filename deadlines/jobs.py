"""Deadlines that enforce themselves (SPEC §5): the deadline jobs as set-based services.

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
  and the notifications as one bulk INSERT (deadlines/notify.py), all in the batch's transaction;
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

import logging
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Model, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from applications.workflow import TRANSITIONS, State
from awards.models import Award, AwardEvent
from awards.workflow import AWARD_TRANSITIONS, AwardState
from common.timeutil import local_date
from enterprises.models import DishonestyEntry
from policies.models import Round

from .models import JobRun
from .notify import Message, district_reviewer_ids, enterprise_user_ids, notify_once
from .sql import in_ids
from .workdays import add_working_days

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
DEFAULT_BATCH_SECONDS = 0.5
FIRST_BATCH = 1000
MIN_BATCH = 100
LOCK_POLL = 0.2  # seconds between two tries for the advisory lock
REMINDER_DAYS = (7, 3, 1)  # SPEC §5: remind 7, 3 and 1 days before a window closes

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


def batch_size() -> int:
    """The most ids in one batch (settings DEADLINE_JOB_BATCH_SIZE, default 5 000)."""
    return int(getattr(settings, "DEADLINE_JOB_BATCH_SIZE", DEFAULT_BATCH_SIZE))


def batch_seconds() -> float:
    """How long one batch transaction should take (settings DEADLINE_JOB_BATCH_SECONDS, default
    0.5 s): batches shrink when rows are slow to change (audit triggers, a busy server), so
    locks are held briefly and no batch comes near the 1 s of RELIABILITY P4."""
    return float(getattr(settings, "DEADLINE_JOB_BATCH_SECONDS", DEFAULT_BATCH_SECONDS))


# --- building blocks ---------------------------------------------------------------------------


def _sweep(queryset: QuerySet, apply: Callable[[list[int]], int]) -> int:
    """Run `apply(ids)` on every row of `queryset`, batch by batch, each batch in its own
    transaction with its rows locked (`FOR UPDATE SKIP LOCKED`; a no-op on SQLite, which has
    a single writer). Keyset pagination on id, so the loop ends even when rows are skipped.

    The first batch has at most FIRST_BATCH ids; each full batch then sizes the next one so it
    takes about `batch_seconds()` (growing at most twofold at a time), never more than
    `batch_size()` ids nor fewer than MIN_BATCH."""
    cap, target = batch_size(), batch_seconds()
    size, last_id, total = min(cap, FIRST_BATCH), 0, 0
    while True:
        started = time.monotonic()
        with transaction.atomic():
            ids = list(
                queryset.filter(pk__gt=last_id)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:size]
            )
            if not ids:
                return total
            last_id = ids[-1]
            total += apply(ids)
        if len(ids) == size:
            elapsed = max(time.monotonic() - started, 0.001)
            size = max(min(MIN_BATCH, cap), min(cap, int(size * min(2.0, target / elapsed))))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    size = batch_size()
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _guarded_update(queryset: QuerySet, ids: list[int], **fields: Any) -> None:
    """UPDATE the locked rows `ids` with the guard of `queryset` in the WHERE.

    The rows are locked by this transaction, so the guard holds for every one of them; if it did
    not, the batch rolls back (raises) rather than writing history for rows that did not change.
    """
    changed = queryset.filter(in_ids(queryset.model, ids)).update(**fields)
    if changed != len(ids):
        raise RuntimeError(f"期限任务：锁定 {len(ids)} 行，实际更新 {changed} 行；本批次已回滚，下次运行重试。")


class _History:
    """The history rows of one batch, written set-based: rows that share their reason and extra
    (in practice: the same deadline) go in with one `INSERT … SELECT` over their ids, instead of
    one Python object per row. Actor empty (系统), one time stamp for the batch."""

    COLUMNS = ("actor", "action", "from_state", "to_state", "reason", "at", "extra")

    def __init__(self, event_model: type[Model], link: str, *, action: str, from_state: str, to_state: str) -> None:
        self.event_model, self.link = event_model, event_model._meta.get_field(link)
        self.source = self.link.related_model
        self.action, self.from_state, self.to_state = action, from_state, to_state
        self.groups: dict[tuple[str, tuple], tuple[dict[str, Any], list[int]]] = {}

    def add(self, pk: int, reason: str, extra: dict[str, Any]) -> None:
        key = (reason, tuple(sorted(extra.items())))
        self.groups.setdefault(key, (extra, []))[1].append(pk)

    def write(self, *, at: datetime) -> int:
        meta, qn = self.event_model._meta, connection.ops.quote_name
        columns = ", ".join(qn(c) for c in [self.link.column, *(meta.get_field(n).column for n in self.COLUMNS)])
        at_value = meta.get_field("at").get_db_prep_save(at, connection)
        written = 0
        with connection.cursor() as cursor:
            for (reason, _), (extra, ids) in self.groups.items():
                rows = self.source.objects.filter(in_ids(self.source, ids)).order_by().values(row_id=F("pk"))
                select, select_params = rows.query.sql_with_params()
                cursor.execute(
                    f"INSERT INTO {qn(meta.db_table)} ({columns}) "
                    f"SELECT s.row_id, NULL, %s, %s, %s, %s, %s, %s FROM ({select}) s",
                    [
                        self.action,
                        self.from_state,
                        self.to_state,
                        reason,
                        at_value,
                        meta.get_field("extra").get_db_prep_save(extra, connection),
                        *select_params,
                    ],
                )
                written += cursor.rowcount
        return written


@lru_cache(maxsize=4096)
def _iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat()  # with its +08:00 offset: unambiguous


def _extra(job: str, now: datetime, **more: Any) -> dict[str, Any]:
    return {"job": job, "as_of": _iso(now), **more}


@lru_cache(maxsize=4096)
def deadline_text(deadline: datetime) -> str:
    """A deadline (first instant not allowed) as officials write it: 2023年01月31日 24:00."""
    local = timezone.localtime(deadline)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return f"{local - timedelta(days=1):%Y年%m月%d日} 24:00"
    return f"{local:%Y年%m月%d日 %H:%M}"


def days_left(deadline: datetime, now: datetime) -> int:
    """Calendar days (Asia/Shanghai) left before `deadline`, counting today: on the last day it
    is 1, a week before the last day 8. For a deadline of 2023-02-01 00:00 (截至1月31日) it is 7
    on 1月25日, 3 on 1月29日 and 1 on 1月31日."""
    last_day = local_date(deadline - timedelta(microseconds=1))
    return (last_day - local_date(now)).days + 1


def reminder_tier(left: int) -> int | None:
    """The reminder threshold that `left` days fall under (1, 3 or 7), or None beyond 7."""
    for tier in sorted(REMINDER_DAYS):
        if 1 <= left <= tier:
            return tier
    return None


# --- applications ------------------------------------------------------------------------------


def _expire_applications(ids: list[int], *, source: str, job: str, now: datetime) -> int:
    """draft/returned → expired for the locked `ids` (action `expire`), with history and notices."""
    assert source in TRANSITIONS["expire"].sources
    target = TRANSITIONS["expire"].target
    rows = list(
        Application.objects.filter(in_ids(Application, ids)).values(
            "pk", "enterprise_id", "item__name", "round__name", "round__closes_at", "supplement_deadline"
        )
    )
    stamp = timezone.now()
    _guarded_update(Application.objects.filter(state=source), ids, state=target, updated_at=stamp)
    history = _History(ApplicationEvent, "application", action="expire", from_state=source, to_state=target)
    messages = []
    users = enterprise_user_ids(r["enterprise_id"] for r in rows)
    for r in rows:
        if source == State.DRAFT:
            deadline = r["round__closes_at"]
            reason = f"申报批次“{r['round__name']}”已于{deadline_text(deadline)}截止，草稿未在截止前提交，逾期未申报。"
            title = f"“{r['item__name']}”申报件 #{r['pk']} 逾期未申报"
        else:
            deadline = r["supplement_deadline"]
            reason = f"补正期限（{deadline_text(deadline)}）已过，未补正后重新提交，逾期未申报。"
            title = f"“{r['item__name']}”申报件 #{r['pk']} 补正逾期"
        history.add(r["pk"], reason, _extra(job, now, deadline=_iso(deadline)))
        if r["enterprise_id"] in users:
            messages.append(
                Message(
                    users[r["enterprise_id"]],
                    kind="expired",
                    title=title,
                    body=reason,
                    link=f"/applications/{r['pk']}/",
                    dedupe_key=f"expired:{r['pk']}",
                )
            )
    history.write(at=stamp)
    notify_once(messages)
    return len(ids)


def job_expire_drafts(*, now: datetime) -> int:
    """Drafts of rounds whose window has closed (`closes_at <= now`) → `expired` (逾期未申报).

    Then marks each closed round that has no draft left as processed (Round.closed_processed_at).
    Side effects: ApplicationEvent per case, a notification to the enterprise's users.
    """
    drafts = Application.objects.filter(state=State.DRAFT, round__closes_at__lte=now)
    count = _sweep(
        drafts,
        lambda ids: _expire_applications(ids, source=State.DRAFT, job="expire_drafts", now=now),
    )
    closed = Round.objects.filter(closes_at__lte=now, closed_processed_at__isnull=True).exclude(
        applications__state=State.DRAFT
    )
    marked = Round.objects.filter(
        pk__in=list(closed.values_list("pk", flat=True)), closed_processed_at__isnull=True
    ).update(closed_processed_at=timezone.now())
    if marked:
        logger.info("期限任务：%s 个申报批次已截止处理", marked)
    return count


def job_expire_returned(*, now: datetime) -> int:
    """`returned` cases whose supplement period is over (`supplement_deadline <= now`) → `expired`.

    Side effects: ApplicationEvent per case, a notification to the enterprise's users.
    """
    returned = Application.objects.filter(state=State.RETURNED, supplement_deadline__lte=now)
    return _sweep(
        returned,
        lambda ids: _expire_applications(ids, source=State.RETURNED, job="expire_returned", now=now),
    )


class _Deadlines:
    """add_working_days, remembered per (local start date, working days) within one run."""

    def __init__(self) -> None:
        self._seen: dict[tuple[date, int], datetime] = {}

    def after(self, start: datetime, days: int) -> datetime:
        key = (local_date(start), days)
        if key not in self._seen:
            self._seen[key] = add_working_days(start, days)
        return self._seen[key]


def _waiting_since(ids: list[int] | None) -> QuerySet:
    """Submitted, not yet flagged cases with the instant each entered `submitted` (the last
    submit/resubmit in its history, else submitted_at) and its round's working days."""
    qs = Application.objects.filter(state=State.SUBMITTED, review_overdue=False, submitted_at__isnull=False)
    if ids is not None:
        qs = qs.filter(in_ids(Application, ids))
    return qs.annotate(
        entered=Coalesce(Max("events__at", filter=Q(events__to_state=State.SUBMITTED)), F("submitted_at"))
    ).values_list("pk", "entered", "round__review_working_days")


def _submitted_overdue(ids: list[int] | None, *, now: datetime, deadlines: _Deadlines) -> dict[int, datetime]:
    overdue = {}
    for pk, entered, days in _waiting_since(ids).order_by("pk"):
        deadline = deadlines.after(entered, days)
        if deadline <= now:
            overdue[pk] = deadline
    return overdue


def _flag_overdue(ids: list[int], *, state: str, deadlines: dict[int, datetime] | None, now: datetime) -> int:
    rows = {
        r["pk"]: r
        for r in Application.objects.filter(in_ids(Application, ids)).values(
            "pk",
            "district_id",
            "review_cycle",
            "review_deadline",
            "item__name",
            "item__bureau_function",
            "enterprise__name",
            "round__review_working_days",
        )
    }
    stamp = timezone.now()
    _guarded_update(
        Application.objects.filter(state=state, review_overdue=False), ids, review_overdue=True, updated_at=stamp
    )
    reviewers = district_reviewer_ids(r["district_id"] for r in rows.values())
    history = _History(ApplicationEvent, "application", action="overdue", from_state=state, to_state=state)
    messages = []
    for pk in ids:
        r = rows[pk]
        deadline = deadlines[pk] if deadlines is not None else r["review_deadline"]
        days = r["round__review_working_days"]
        if state == State.SUBMITTED:
            reason = f"已申报超过{days}个工作日仍未受理（应于{deadline_text(deadline)}前受理）。"
        else:
            reason = f"属地审核超过时限（{days}个工作日，应于{deadline_text(deadline)}前办结）。"
        history.add(pk, reason, _extra("flag_overdue_reviews", now, review_deadline=_iso(deadline), working_days=days))
        messages.append(
            Message(
                reviewers.get((r["district_id"], r["item__bureau_function"]), []),
                kind="review_overdue",
                title=f"审核超时：{r['enterprise__name']}“{r['item__name']}”申报件 #{pk}",
                body=reason,
                link=f"/workbench/cases/{pk}/",
                dedupe_key=f"review-overdue:{pk}:{r['review_cycle']}:{state}",
            )
        )
    history.write(at=stamp)
    notify_once(messages)
    return len(ids)


def job_flag_overdue_reviews(*, now: datetime) -> int:
    """Flag cases past their review time limit (`review_overdue=True`; the state stays).

    - `district_review`: `review_deadline <= now` (set at 受理 by working days, deadlines/workdays.py;
      like every deadline here it is the first instant past the limit);
    - `submitted`, not yet accepted: the deadline is computed from the moment the case entered
      `submitted` (its last submit/resubmit) plus the round's `review_working_days`.
    One ApplicationEvent "overdue" per flagged case and one notification to the district bureau's
    reviewers who handle the item's policy line, once per case and review cycle.
    """
    in_review = Application.objects.filter(state=State.DISTRICT_REVIEW, review_overdue=False, review_deadline__lte=now)
    total = _sweep(in_review, lambda ids: _flag_overdue(ids, state=State.DISTRICT_REVIEW, deadlines=None, now=now))
    deadlines = _Deadlines()
    candidates = sorted(_submitted_overdue(None, now=now, deadlines=deadlines))
    for chunk in _chunks(candidates):
        with transaction.atomic():
            locked = list(
                Application.objects.filter(in_ids(Application, chunk), state=State.SUBMITTED, review_overdue=False)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            # Judged again under the lock: the case may have been accepted and returned meanwhile.
            overdue = _submitted_overdue(locked, now=now, deadlines=deadlines) if locked else {}
            if overdue:
                total += _flag_overdue(sorted(overdue), state=State.SUBMITTED, deadlines=overdue, now=now)
    return total


# --- awards ------------------------------------------------------------------------------------


def _forfeit(ids: list[int], *, now: datetime) -> int:
    transition = AWARD_TRANSITIONS["forfeit"]
    (source,) = transition.sources
    rows = list(
        Award.objects.filter(in_ids(Award, ids)).values("pk", "enterprise_id", "item__name", "amount", "claim_deadline")
    )
    stamp = timezone.now()
    _guarded_update(Award.objects.filter(state=source), ids, state=transition.target, updated_at=stamp)
    users = enterprise_user_ids(r["enterprise_id"] for r in rows)
    history = _History(AwardEvent, "award", action="forfeit", from_state=source, to_state=transition.target)
    messages = []
    for r in rows:
        reason = f"申领期限（{deadline_text(r['claim_deadline'])}）已过，未如期申领，视为自动放弃，不再享受此项政策。"
        history.add(r["pk"], reason, _extra("forfeit_awards", now, deadline=_iso(r["claim_deadline"])))
        if r["enterprise_id"] in users:
            messages.append(
                Message(
                    users[r["enterprise_id"]],
                    kind="forfeited",
                    title=f"“{r['item__name']}”奖励 {r['amount']:,.2f} 元逾期未申领",
                    body=reason,
                    link=f"/awards/{r['pk']}/",
                    dedupe_key=f"forfeited:{r['pk']}",
                )
            )
    history.write(at=stamp)
    notify_once(messages)
    return len(ids)


def job_forfeit_awards(*, now: datetime) -> int:
    """`claimable` awards whose claim deadline has come (`claim_deadline <= now`) → `forfeited`
    (未如期申领的企业视为自动放弃). Side effects: AwardEvent per award, a notification to the
    enterprise's users."""
    due = Award.objects.filter(state=AwardState.CLAIMABLE, claim_deadline__lte=now)
    return _sweep(due, lambda ids: _forfeit(ids, now=now))


# --- dishonesty list -----------------------------------------------------------------------------


def _end_listings(ids: list[int], *, now: datetime) -> int:
    rows = list(
        DishonestyEntry.objects.filter(in_ids(DishonestyEntry, ids)).values("pk", "enterprise_id", "ends_at", "reason")
    )
    _guarded_update(
        DishonestyEntry.objects.filter(ended_at__isnull=True),
        ids,
        ended_at=F("ends_at"),
        end_reason="期满自动移出",
        updated_at=timezone.now(),
    )
    users = enterprise_user_ids(r["enterprise_id"] for r in rows)
    notify_once(
        Message(
            users.get(r["enterprise_id"], []),
            kind="dishonesty_ended",
            title="失信名录期满，已自动移出",
            body=f"贵企业因“{r['reason'][:60]}”列入失信名录，期限已于{deadline_text(r['ends_at'])}届满，已自动移出。",
            link="/enterprise/",
            dedupe_key=f"dishonesty-ended:{r['pk']}",
        )
        for r in rows
    )
    return len(ids)


def job_end_dishonesty(*, now: datetime) -> int:
    """Dishonesty-list entries whose period is over (`ends_at <= now`, not ended) get
    `ended_at = ends_at` and end_reason 期满自动移出 (the listing stopped binding at ends_at
    already, see enterprises.selectors.active_listings). Notifies the enterprise's users."""
    due = DishonestyEntry.objects.filter(ended_at__isnull=True, ends_at__lte=now)
    return _sweep(due, lambda ids: _end_listings(ids, now=now))


# --- reminders -------------------------------------------------------------------------------------


def job_remind_drafts(*, now: datetime) -> int:
    """Remind enterprise users of drafts in rounds closing within 7, 3 or 1 days (calendar
    days, Asia/Shanghai, see `days_left`): one message per application per threshold (dedupe
    key `draft-remind:<application id>:<threshold>`). Returns the number of messages sent."""
    horizon = now + timedelta(days=max(REMINDER_DAYS) + 1)
    rows = list(
        Application.objects.filter(state=State.DRAFT, round__closes_at__gt=now, round__closes_at__lte=horizon)
        .order_by("pk")
        .values("pk", "enterprise_id", "item__name", "round__name", "round__closes_at")
    )
    sent = 0
    for start in range(0, len(rows), batch_size()):
        batch = rows[start : start + batch_size()]
        users = enterprise_user_ids(r["enterprise_id"] for r in batch)
        messages = []
        for r in batch:
            left = days_left(r["round__closes_at"], now)
            tier = reminder_tier(left)
            if tier is None:
                continue
            messages.append(
                Message(
                    users.get(r["enterprise_id"], []),
                    kind="draft_reminder",
                    title=f"“{r['item__name']}”申报还剩{left}天截止，申报件 #{r['pk']} 尚未提交",
                    body=(
                        f"“{r['round__name']}”申报截至{deadline_text(r['round__closes_at'])}，"
                        f"贵企业的申报件 #{r['pk']} 仍是草稿。请补齐材料、签署承诺书后提交；"
                        "逾期未提交的按逾期未申报处理。"
                    ),
                    link=f"/applications/{r['pk']}/",
                    dedupe_key=f"draft-remind:{r['pk']}:{tier}",
                )
            )
        with transaction.atomic():
            sent += notify_once(messages)
    return sent


def job_remind_claims(*, now: datetime) -> int:
    """Remind enterprise users of `claimable` awards whose claim deadline is within 7, 3 or 1
    days: one message per award per threshold (dedupe key `claim-remind:<award id>:<threshold>`),
    and Award.last_reminded_days records the last threshold (set-based, guarded). Returns the
    number of messages sent."""
    horizon = now + timedelta(days=max(REMINDER_DAYS) + 1)
    due: dict[int, list[int]] = {}
    candidates = Award.objects.filter(
        state=AwardState.CLAIMABLE, claim_deadline__gt=now, claim_deadline__lte=horizon
    ).values_list("pk", "claim_deadline", "last_reminded_days")
    for pk, deadline, last in candidates.order_by("pk"):
        tier = reminder_tier(days_left(deadline, now))
        if tier is not None and (last is None or last > tier):
            due.setdefault(tier, []).append(pk)
    sent = 0
    for tier, ids in sorted(due.items()):
        for chunk in _chunks(ids):
            with transaction.atomic():
                guard = Award.objects.filter(state=AwardState.CLAIMABLE, claim_deadline__gt=now).filter(
                    Q(last_reminded_days__isnull=True) | Q(last_reminded_days__gt=tier)
                )
                locked = list(
                    guard.filter(in_ids(Award, chunk))
                    .select_for_update(skip_locked=True, of=("self",))
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                if not locked:
                    continue
                _guarded_update(guard, locked, last_reminded_days=tier)
                sent += _claim_reminders(locked, tier=tier, now=now)
    return sent


def _claim_reminders(ids: list[int], *, tier: int, now: datetime) -> int:
    rows = list(
        Award.objects.filter(in_ids(Award, ids)).values("pk", "enterprise_id", "item__name", "amount", "claim_deadline")
    )
    users = enterprise_user_ids(r["enterprise_id"] for r in rows)
    return notify_once(
        Message(
            users.get(r["enterprise_id"], []),
            kind="claim_reminder",
            title=f"“{r['item__name']}”奖励 {r['amount']:,.2f} 元还剩{days_left(r['claim_deadline'], now)}天截止申领",
            body=(
                f"请于{deadline_text(r['claim_deadline'])}前登录平台申领并签署承诺书；"
                "未如期申领的视为自动放弃，不再享受此项政策。"
            ),
            link=f"/awards/{r['pk']}/",
            dedupe_key=f"claim-remind:{r['pk']}:{tier}",
        )
        for r in rows
    )


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
