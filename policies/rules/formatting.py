"""Numbers as officials write them: working lines in yuan, rules and reasons in 万元/亿元.

Used by amounts.py and eligibility.py. Pure functions, no Django.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from common.errors import BadInput

CENT = Decimal("0.01")
WAN = Decimal(10000)
YI = Decimal(100000000)


def to_decimal(value: Any, *, label: str = "数值") -> Decimal | None:
    """Turn a declared or configured figure into a Decimal; None or "" gives None.

    Accepts int, Decimal, float (through str, so 0.2 stays 0.2) and strings with thousands
    separators ("3,250,000,000"). Raises BadInput naming `label` for anything else (booleans,
    text, NaN, infinity), so a bad figure is reported instead of silently ignored.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadInput(f"“{label}”应为数字，不能是“是/否”。")
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).replace(",", "").replace("，", "").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise BadInput(f"“{label}”应为数字，您填写的是“{value}”。") from None
    if not number.is_finite():
        raise BadInput(f"“{label}”应为有限的数字。")
    return number


def cents(value: Decimal | None) -> Decimal | None:
    """Round to 分 (two places, half up) as payments are made; None stays None."""
    if value is None:
        return None
    return to_cents(value)


def to_cents(value: Decimal) -> Decimal:
    """Round a figure to 分 (two places, half up)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def plain(value: Decimal | int | float) -> str:
    """A number without trailing zeros or exponent: 2.50 → "2.5", 1E+2 → "100"."""
    number = Decimal(str(value)).normalize()
    text = format(number, "f")
    return text


def yuan_text(value: Decimal) -> str:
    """Working-line money: 3250000000 → "3,250,000,000.00 元"."""
    return f"{to_cents(value):,.2f} 元"


def money_words(value: Decimal | int | float) -> str:
    """Money as written in policy texts: 200000 → "20万元", 3e9 → "30亿元", 1500 → "1500元".

    Exact: 2999999999 gives "29.99999999亿元", never a rounded "30亿元" that would hide why a
    threshold failed.
    """
    number = Decimal(str(value))
    magnitude = abs(number)
    if magnitude >= YI:
        return f"{plain(number / YI)}亿元"
    if magnitude >= WAN:
        return f"{plain(number / WAN)}万元"
    return f"{plain(number)}元"


def percent_words(percent: Decimal | int | float) -> str:
    """A rate given in percent units as the texts write it: 1 → "1%", 0.5 → "5‰", 2.5 → "2.5%"."""
    number = Decimal(str(percent))
    if 0 < number < 1 and (number * 10) == (number * 10).to_integral_value():
        return f"{plain(number * 10)}‰"
    return f"{plain(number)}%"


def quantity_words(value: Decimal | int | float, unit: str | None) -> str:
    """A figure with its unit; yuan figures go through money_words."""
    if unit in (None, "", "元"):
        return money_words(value)
    return f"{plain(value)}{unit}"
