"""Writes to rounds by policy administrators (create, change, open, close)."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from common.errors import BadInput, NotFound, PermissionDenied

from .models import PolicyItem, Round

ROUND_FIELDS = (
    "name",
    "performance_from",
    "performance_to",
    "opens_at",
    "closes_at",
    "supplement_days",
    "review_working_days",
    "city_review_working_days",
    "claim_days",
    "budget",
    "published",
)


def _require_admin(actor: User) -> None:
    if actor.role != Role.POLICY_ADMIN:
        raise PermissionDenied("只有政策管理员可以管理申报批次。")


def _check_window(opens_at: datetime, closes_at: datetime) -> None:
    if timezone.is_naive(opens_at) or timezone.is_naive(closes_at):
        raise BadInput("申报起止时间必须带时区，如 2027-01-01T00:00:00+08:00。", code="naive_datetime")
    if closes_at <= opens_at:
        raise BadInput("申报截止时间必须晚于开始时间。", code="window_invalid")


@transaction.atomic
def round_create(*, actor: User, item_id: int, opens_at: datetime, closes_at: datetime, **fields: Any) -> Round:
    """Create a round; only item and window are required, the rest default sensibly."""
    _require_admin(actor)
    item = PolicyItem.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound("未找到该政策事项。")
    _check_window(opens_at, closes_at)
    unknown = set(fields) - set(ROUND_FIELDS)
    if unknown:
        raise BadInput(f"不支持的字段：{'、'.join(sorted(unknown))}。")
    name = fields.pop("name", "") or f"{item.name}（{timezone.localtime(opens_at):%Y年%m月}批次）"
    round_ = Round(item=item, name=name, opens_at=opens_at, closes_at=closes_at, **fields)
    round_.full_clean()
    round_.save()
    if round_.published and round_.opens_at <= timezone.now():
        from outbox.services import enqueue_on_commit

        from .tasks import push_round

        enqueue_on_commit(push_round, round_.pk)  # outbox: survives a Redis outage (R12)
    return round_


@transaction.atomic
def round_update(*, actor: User, round_id: int, data: dict[str, Any]) -> Round:
    _require_admin(actor)
    round_ = Round.objects.select_for_update().filter(pk=round_id).first()
    if round_ is None:
        raise NotFound("未找到该申报批次。")
    unknown = set(data) - set(ROUND_FIELDS)
    if unknown:
        raise BadInput(f"不支持修改的字段：{'、'.join(sorted(unknown))}。")
    for name, value in data.items():
        setattr(round_, name, value)
    _check_window(round_.opens_at, round_.closes_at)
    round_.full_clean()
    round_.save(update_fields=[*data.keys(), "updated_at"])
    return round_


def round_open_now(*, actor: User, round_id: int) -> Round:
    return round_update(actor=actor, round_id=round_id, data={"opens_at": timezone.now()})


def round_close_now(*, actor: User, round_id: int) -> Round:
    now = timezone.now()
    return round_update(actor=actor, round_id=round_id, data={"closes_at": now + timedelta(seconds=1)})


@transaction.atomic
def policy_item_set_mode(*, actor: User, item_id: int, mode: str) -> PolicyItem:
    """Choose how an item pays out: 申报兑现, 即申即享 or 免申即享 (R49–R50). Policy administrators
    only; the change is recorded by the database audit log."""
    _require_admin(actor)
    if mode not in PolicyItem.Mode.values:
        raise BadInput("兑现方式只能是：申报兑现、即申即享、免申即享。")
    item = PolicyItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound("未找到该政策事项。")
    if item.mode != mode:
        item.mode = mode
        item.save(update_fields=["mode", "updated_at"])
    return item
