"""Deadline jobs that end a listing or send reminders (SPEC §5): dishonesty listings whose
period is over, and the 7/3/1-day reminders of drafts and unclaimed awards. Re-exported by
deadlines.jobs."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from applications.models import Application
from applications.workflow import State
from awards.models import Award
from awards.workflow import AwardState
from enterprises.models import DishonestyEntry

from ..notify import Message, enterprise_user_ids, notify_once
from ..sql import in_ids
from .base import REMINDER_DAYS, _chunks, _guarded_update, _sweep, batch_size, days_left, deadline_text, reminder_tier


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
