"""Amounts are Decimal yuan with 2 places. Display in ¥ and 万元 as officials write them."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def yuan(value: Decimal | int | float | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def format_yuan(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"¥{value:,.2f}"


def format_wan(value: Decimal | None) -> str:
    if value is None:
        return "—"
    wan = (Decimal(value) / Decimal(10000)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{wan:,.2f}".rstrip("0").rstrip(".")
    return f"{text}万元"
