"""Display of report figures: amounts in 元 / 万元, shares in %, days with one decimal."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from common.money import format_wan
from reports.tables import DATETIME, DAYS, INT, MONEY, RATIO

register = template.Library()


@register.filter
def cell(value: Any, kind: str) -> str:
    """A table cell as the page shows it: 1,234.00 for amounts, 52.3% for shares, 3.5 for days."""
    if value is None or value == "":
        return "—"
    if kind == MONEY:
        return f"{Decimal(value):,.2f}"
    if kind == INT:
        return f"{int(value):,}"
    if kind == RATIO:
        return f"{Decimal(value) * 100:.1f}%"
    if kind == DAYS:
        return f"{float(value):.1f}"
    if kind == DATETIME and isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    return str(value)


@register.filter
def wan(value: Any) -> str:
    """An amount in 万元, as officials write it."""
    return format_wan(Decimal(value)) if value is not None else "—"


@register.filter
def percent(value: Any) -> str:
    return "—" if value is None else f"{Decimal(value) * 100:.1f}%"


@register.filter
def is_numeric_kind(kind: str) -> bool:
    return kind in (MONEY, INT, RATIO, DAYS)
