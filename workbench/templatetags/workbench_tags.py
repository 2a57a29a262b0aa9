"""Display helpers for the workbench templates: money, state badges, workflow labels."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html

from applications.workflow import TRANSITIONS, State
from awards.workflow import AWARD_TRANSITIONS, AwardState
from common.money import format_wan, format_yuan
from common.timeutil import SHANGHAI

register = template.Library()

APPLICATION_ACTIONS = {t.action: t.label for t in TRANSITIONS.values()} | {
    "create": "创建草稿",
    "opinion": "会审意见",
    "override": "不采纳会审意见",
}
AWARD_ACTIONS = {t.action: t.label for t in AWARD_TRANSITIONS.values()} | {"publish": "政策上线"}


@register.filter
def yuan(value: Decimal | None) -> str:
    return format_yuan(value)


@register.filter
def wan(value: Decimal | None) -> str:
    return format_wan(value)


@register.filter
def state_label(code: str) -> str:
    if code in State.values:
        return State(code).label
    if code in AwardState.values:
        return AwardState(code).label
    return code or "—"


@register.simple_tag
def state_badge(code: str, label: str = "") -> str:
    return format_html('<span class="state state-{}">{}</span>', code, label or state_label(code))


@register.filter
def action_label(code: str) -> str:
    return APPLICATION_ACTIONS.get(code, code)


@register.filter
def award_action_label(code: str) -> str:
    return AWARD_ACTIONS.get(code, code)


@register.filter
def end_day(deadline: datetime | None) -> date | None:
    """The last day an end-of-day deadline covers: 2026-12-10 00:00 (+08:00) → 2026-12-09."""
    if deadline is None:
        return None
    return (deadline - timedelta(seconds=1)).astimezone(SHANGHAI).date()


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def figure(value: Any) -> str:
    """A declared figure as officials read it: thousands separators, 是/否 for booleans."""
    if value is None or value == "":
        return "（未填写）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        return f"{value:,}"
    try:
        number = Decimal(str(value))
    except Exception:
        return str(value)
    if number.is_finite() and str(value).replace(".", "", 1).lstrip("-").isdigit():
        return f"{number:,}"
    return str(value)
