"""Deadline jobs on applications (SPEC §5): drafts and returned cases that expire, reviews
that run over their time limit. Re-exported by deadlines.jobs."""

import logging
from datetime import date, datetime

from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from applications.workflow import TRANSITIONS, State
from common.timeutil import local_date
from policies.models import Round

from ..notify import Message, district_reviewer_ids, enterprise_user_ids, notify_once
from ..sql import in_ids
from ..workdays import add_working_days
from .base import _chunks, _extra, _guarded_update, _History, _iso, _sweep, deadline_text

logger = logging.getLogger(__name__)


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
            supplement = r["supplement_deadline"]
            assert supplement is not None  # chosen by supplement_deadline <= now
            deadline = supplement
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
