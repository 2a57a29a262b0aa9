"""Template filters for the portal (and any page): money, Chinese dates, labels, countdowns."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import timezone

from applications.workflow import TRANSITIONS, State
from awards.workflow import AWARD_TRANSITIONS, AwardState
from common.money import format_wan, format_yuan

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def yuan(value: Any) -> str:
    """150000 → "¥150,000.00"; None → "—"."""
    return format_yuan(_decimal(value))


@register.filter
def wan(value: Any) -> str:
    """150000 → "15万元"; None → "—"."""
    return format_wan(_decimal(value))


@register.filter
def money(value: Any) -> str:
    """150000 → "¥150,000.00（15万元）": the exact figure and the way officials say it."""
    number = _decimal(value)
    if number is None:
        return "—"
    if abs(number) >= 10000:
        return f"{format_yuan(number)}（{format_wan(number)}）"
    return format_yuan(number)


@register.filter
def cn_datetime(value: datetime | None) -> str:
    """An aware datetime in Shanghai time: "2026年11月25日 14:30"."""
    if not value:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@register.filter
def cn_date(value: date | datetime | str | None) -> str:
    """ "2026年11月25日"; accepts dates, datetimes and ISO date strings."""
    if not value:
        return "—"
    day: date
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
    elif isinstance(value, datetime):
        day = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    else:
        day = value
    return f"{day.year}年{day.month}月{day.day}日"


@register.filter
def remaining(deadline: datetime | None) -> str:
    """Time left until `deadline` in words: "还剩 3 天 5 小时", "还剩 40 分钟", "已截止"."""
    if not deadline:
        return ""
    seconds = int((deadline - timezone.now()).total_seconds())
    if seconds <= 0:
        return "已截止"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"还剩 {days} 天 {hours} 小时"
    if hours:
        return f"还剩 {hours} 小时 {minutes} 分钟"
    return f"还剩 {max(minutes, 1)} 分钟"


@register.filter
def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


@register.filter
def state_label(code: str) -> str:
    """A state code in Chinese: an application's ("returned" → "退回补正") or an award's."""
    if code in State.values:
        return State(code).label
    return AwardState(code).label if code in AwardState.values else (code or "")


@register.filter
def award_state_label(code: str) -> str:
    return AwardState(code).label if code in AwardState.values else (code or "")


EVENT_LABELS = {
    "create": "创建草稿",
    "opinion": "会审部门出具意见",
    "publish": "政策上线",
    "expire": "逾期",
    "forfeit": "逾期未申领",
    "cancel": "作废",
}


@register.filter
def event_label(action: str) -> str:
    """A history row's action in Chinese, from the workflow tables."""
    if action in EVENT_LABELS:
        return EVENT_LABELS[action]
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    if action in AWARD_TRANSITIONS:
        return AWARD_TRANSITIONS[action].label
    return action


@register.filter
def actor_display(user: Any) -> str:
    """Who acted, as an enterprise should see it: a colleague by name, an official by bureau."""
    if user is None:
        return "系统"
    if getattr(user, "role", None) == "enterprise":
        return str(user)
    org = getattr(user, "organisation", None)
    return org.name if org is not None else "主管部门"


@register.filter
def declared_value(value: Any, spec: dict[str, Any]) -> str:
    """A declared figure for reading: numbers with their unit, booleans as 是/否."""
    if value is None or value == "":
        return "未填写"
    kind = spec.get("type", "text")
    unit = spec.get("unit") or ""
    if kind == "boolean":
        return "是" if value is True or str(value).lower() in ("true", "1") else "否"
    if kind == "number":
        number = _decimal(value)
        if number is None:
            return str(value)
        if unit == "元":
            return money(number)
        text = f"{number:,f}".rstrip("0").rstrip(".") if "." in f"{number:f}" else f"{number:,f}"
        return f"{text} {unit}".strip()
    if kind == "date":
        return cn_date(value)
    return str(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def criterion_label(criterion: Any) -> str:
    """An eligibility reason's criterion: a label string or the criterion dict itself."""
    if isinstance(criterion, dict):
        return str(criterion.get("label") or criterion.get("text") or criterion.get("type") or "条件")
    return str(criterion or "条件")


@register.filter
def verdict_class(passed: Any) -> str:
    return {True: "pass", False: "fail"}.get(passed, "manual")


@register.filter
def verdict_word(passed: Any) -> str:
    return {True: "符合", False: "不符合"}.get(passed, "待核实")


@register.filter
def filesize(size: int | None) -> str:
    if not size:
        return "0 KB"
    if size < 1024 * 1024:
        return f"{max(size / 1024, 0.1):.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"
