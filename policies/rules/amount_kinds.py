"""One function per amount-rule kind; amounts.py chains them with the modifiers.

Each handler takes a Context and returns (suggested, maximum), both Decimal yuan or None, and
appends its Chinese working lines to the context. The rule shapes are documented at the top of
amounts.py. Handlers never raise on a missing figure: they record it in `ctx.missing` and
return None for the amount.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from common.errors import BadInput

from .formatting import money_words, percent_words, plain, to_cents, to_decimal, yuan_text

FLOOR_WORDS = ("下限", "不低于", "不少于")


@dataclass
class Context:
    rule: dict[str, Any]
    declared: dict[str, Any]
    already_received: Decimal
    other_support: Decimal
    working: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.working.append(line)

    def figure(self, key: str, label: str, unit: str | None = "元") -> Decimal | None:
        """A declared figure, or None after noting that it is missing."""
        value = to_decimal(self.declared.get(key), label=label)
        if value is None:
            if key not in self.missing:
                self.missing.append(key)
            self.say(f"缺少“{label}”，请填写后计算（单位：{unit or '元'}）。")
            return None
        if value < 0:
            raise BadInput(f"“{label}”不能为负数。")
        return value


def number(value: Any) -> Decimal | None:
    """A configured number from the rule itself (never missing-as-error)."""
    return to_decimal(value, label="奖补标准")


def bound_of(spec: dict[str, Any], rule: dict[str, Any]) -> str:
    """ "max" (不超过/不高于, the default), "exact" (按…给予) or "floor" (不低于/不少于).

    Catalogue rules carry no `bound`; a note saying 下限/不低于/不少于 marks a floor.
    """
    for source in (spec, rule):
        if source.get("bound"):
            return str(source["bound"])
    note = f"{rule.get('note') or ''}{spec.get('note') or ''}"
    return "floor" if any(word in note for word in FLOOR_WORDS) else "max"


def base_label(spec: dict[str, Any], rule: dict[str, Any]) -> str:
    return str(spec.get("base_label") or rule.get("base_label") or rule.get("base") or "计算基数")


def base_figure(ctx: Context, spec: dict[str, Any]) -> Decimal | None:
    """The declared base (`base_field`, or "base" for catalogue rules), limited by max_base_yuan."""
    rule = ctx.rule
    key = str(spec.get("base_field") or rule.get("base_field") or "base")
    unit = spec.get("base_unit") or rule.get("base_unit") or "元"
    value = ctx.figure(key, base_label(spec, rule), unit)
    limit = number(rule.get("max_base_yuan", rule.get("max_loan_yuan")))
    if value is not None and limit is not None and value > limit:
        ctx.say(f"计算基数超过 {money_words(limit)} 的部分不计，按 {yuan_text(limit)} 计算。")
        value = limit
    return value


def percent_of(ctx: Context, spec: dict[str, Any], cap: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """base × percent, limited by `cap`; floors suggest the minimum and leave the maximum open."""
    rule = ctx.rule
    bound = bound_of(spec, rule)
    percent = number(spec.get("percent"))
    if percent is None:
        ctx.say("原文未规定比例，金额由审核部门按规定核定。")
        return None, (cap if bound != "floor" else None)
    base = base_figure(ctx, spec)
    if base is None:
        return None, (cap if bound != "floor" else None)
    raw = to_cents(base * percent / 100)
    unit = spec.get("base_unit") or rule.get("base_unit") or "元"
    shown = yuan_text(base) if unit == "元" else f"{plain(base)} {unit}"
    ctx.say(f"{base_label(spec, rule)} {shown} × {percent_words(percent)} = {yuan_text(raw)}")
    if bound == "floor":
        ctx.say(f"比例 {percent_words(percent)} 为下限（不低于），属地可按规定提高。")
    return limit_by_cap(ctx, raw, cap, floor=bound == "floor")


def limit_by_cap(
    ctx: Context, value: Decimal, cap: Decimal | None, *, floor: bool = False
) -> tuple[Decimal | None, Decimal | None]:
    """Apply 不超过 `cap` and say so; a floor rule keeps its maximum at the cap (or open)."""
    if cap is None:
        ctx.say("不设金额上限。")
        return value, (None if floor else value)
    if value > cap:
        ctx.say(f"超过上限 {yuan_text(cap)}，按上限计 {yuan_text(cap)}。")
        return cap, cap
    ctx.say(f"不超过上限 {yuan_text(cap)}。")
    return value, (cap if floor else value)


def kind_fixed(ctx: Context) -> tuple[Decimal | None, Decimal | None]:
    """A set amount (定额), or a rate when the catalogue gives 元/瓦."""
    rule = ctx.rule
    if rule.get("rate_yuan_per_unit") is not None or rule.get("rate_yuan_per_watt") is not None:
        return kind_rate(ctx)
    value = number(rule.get("amount_yuan", rule.get("cap_yuan")))
    if value is None:
        ctx.say("原文未规定金额，由审核部门按规定核定。")
        return None, None
    ctx.say(f"定额 {yuan_text(value)}。")
    return value, value


def kind_cap(ctx: Context) -> tuple[Decimal | None, Decimal | None]:
    """不超过 cap_yuan: suggest the cap; the approver may lower it."""
    cap = number(ctx.rule.get("cap_yuan"))
    if cap is None:
        ctx.say("原文未规定金额上限，由审核部门按规定核定。")
        return None, None
    ctx.say(f"不超过 {yuan_text(cap)}，建议按上限 {yuan_text(cap)} 计，审定时可以下调。")
    return cap, cap


def kind_percent(ctx: Context) -> tuple[Decimal | None, Decimal | None]:
    """Percent of the declared base, capped, with an optional floor in yuan."""
    rule = ctx.rule
    amount, maximum = percent_of(ctx, rule, number(rule.get("cap_yuan")))
    return floor_by_min(ctx, amount, maximum)


def floor_by_min(
    ctx: Context, amount: Decimal | None, maximum: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """Raise the amount to `min_yuan` (保底) where the rule sets one."""
    minimum = number(ctx.rule.get("min_yuan"))
    if minimum is not None and amount is not None and amount < minimum:
        ctx.say(f"低于保底金额 {yuan_text(minimum)}，按 {yuan_text(minimum)} 计。")
        amount = minimum
        maximum = None if maximum is None else max(maximum, minimum)
    return amount, maximum


def kind_rate(ctx: Context) -> tuple[Decimal | None, Decimal | None]:
    """amount = base × rate: 0.2元/瓦 of installed capacity, 1个月 of monthly rent."""
    rule = ctx.rule
    rate = number(rule.get("rate", rule.get("rate_yuan_per_unit", rule.get("rate_yuan_per_watt"))))
    unit = rule.get("rate_unit") or ("元/瓦" if rule.get("rate_yuan_per_watt") is not None else "")
    spec = dict(rule)
    if rule.get("rate_yuan_per_watt") is not None and not rule.get("base_unit"):
        spec["base_unit"] = "瓦"
    base = base_figure(ctx, spec)
    if rate is None or base is None:
        return None, None
    value = to_cents(base * rate)
    base_unit = spec.get("base_unit") or "元"
    shown = yuan_text(base) if base_unit == "元" else f"{plain(base)} {base_unit}"
    ctx.say(f"{base_label(spec, rule)} {shown} × {plain(rate)}{unit} = {yuan_text(value)}")
    if bound_of(rule, rule) == "floor":
        ctx.say("该标准为下限（不少于），属地可按规定提高。")
        return value, None
    return limit_by_cap(ctx, value, number(rule.get("cap_yuan")))


def pick_tier(ctx: Context, tiers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The tier named by the declared choice, or the highest reached by the base (`min_base`)."""
    rule = ctx.rule
    key = str(rule.get("choose_by") or "tier")
    if any("min_base" in tier for tier in tiers) and not rule.get("choose_by"):
        base = base_figure(ctx, rule)
        if base is None:
            return None
        reached = [(floor, t) for t in tiers if (floor := number(t.get("min_base"))) is not None and base >= floor]
        if not reached:
            ctx.say(f"{base_label(rule, rule)} {yuan_text(base)} 未达到最低档次。")
            return {"label": "未达到档次", "amount_yuan": 0}
        return max(reached, key=lambda pair: pair[0])[1]
    choice = ctx.declared.get(key)
    if choice in (None, ""):
        options = "、".join(str(t.get("label") or t.get("condition") or t.get("key")) for t in tiers)
        if key not in ctx.missing:
            ctx.missing.append(key)
        ctx.say(f"请选择适用档次（{options}）。")
        return None
    text = str(choice).strip()
    for tier in tiers:
        if text in (str(tier.get("key")), str(tier.get("label")), str(tier.get("condition"))):
            return tier
    if text.isdigit() and 1 <= int(text) <= len(tiers):
        return tiers[int(text) - 1]
    raise BadInput(f"所选档次“{choice}”不在本事项的档次中。")


def tier_maximum(rule: dict[str, Any], tiers: list[dict[str, Any]]) -> Decimal | None:
    """The most any tier allows, or None when some tier is open-ended."""
    overall = number(rule.get("cap_yuan"))
    highs: list[Decimal] = []
    for tier in tiers:
        high = number(tier.get("amount_yuan", tier.get("cap_yuan", rule.get("cap_yuan"))))
        if high is None:
            return overall
        highs.append(high)
    top = max(highs) if highs else None
    if overall is not None and top is not None:
        return min(overall, top)
    return overall if top is None else top


def tier_amount(ctx: Context, tier: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """The amount of one chosen tier: set amount, percent of the base, or a cap."""
    rule = ctx.rule
    label = tier.get("label") or tier.get("condition") or tier.get("key")
    cite = f"（{tier['cite']}）" if tier.get("cite") else ""
    ctx.say(f"适用档次：{label}{cite}")
    overall = number(rule.get("cap_yuan"))
    if tier.get("amount_yuan") is not None:
        value = number(tier["amount_yuan"])
        assert value is not None
        ctx.say(f"该档定额 {yuan_text(value)}。")
        return value, value
    if tier.get("percent") is not None:
        cap = number(tier.get("cap_yuan")) if tier.get("cap_yuan") is not None else overall
        return percent_of(ctx, {**tier, "base_field": tier.get("base_field") or rule.get("base_field")}, cap)
    cap = number(tier.get("cap_yuan"))
    if cap is None:
        ctx.say("该档原文未规定金额。")
        return None, None
    ctx.say(f"该档不超过 {yuan_text(cap)}，建议按上限计，审定时可以下调。")
    return cap, cap


def kind_tiered(ctx: Context) -> tuple[Decimal | None, Decimal | None]:
    """Tiers by category or by the base reached; upgrades pay only the difference."""
    rule = ctx.rule
    tiers = [t for t in (rule.get("tiers") or []) if isinstance(t, dict)]
    if not tiers:
        return kind_cap(ctx)
    tier = pick_tier(ctx, tiers)
    if tier is None:
        return None, tier_maximum(rule, tiers)
    amount, maximum = tier_amount(ctx, tier)
    overall = number(rule.get("cap_yuan"))
    if overall is not None and amount is not None and amount > overall:
        ctx.say(f"超过本事项上限 {yuan_text(overall)}，按上限计。")
        amount = overall
        maximum = overall if maximum is None else min(maximum, overall)
    if pays_difference(rule):
        return pay_difference(ctx, amount, maximum)
    return amount, maximum


def pays_difference(rule: dict[str, Any]) -> bool:
    """Upgrades pay only the gap (进档的奖励差额、差额补助, 003 L1921, L1923)."""
    if rule.get("kind") == "upgrade" or rule.get("pay_difference"):
        return True
    return "差额" in f"{rule.get('note') or ''}{rule.get('per') or ''}"


def pay_difference(
    ctx: Context, amount: Decimal | None, maximum: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """The tier amount minus what the enterprise already received under the item."""
    received = ctx.already_received
    if amount is None:
        return None, (None if maximum is None else max(Decimal(0), maximum - received))
    gap = max(Decimal(0), amount - received)
    ctx.say(f"只发放进档差额：{yuan_text(amount)} − 已获得 {yuan_text(received)} = {yuan_text(gap)}")
    top = None if maximum is None else max(Decimal(0), maximum - received)
    return gap, top


def kind_brackets(ctx: Context) -> tuple[Decimal | None, Decimal | None]:
    """Marginal bands: each part of the base between from_yuan and to_yuan at its own rate."""
    rule = ctx.rule
    base = base_figure(ctx, rule)
    cap = number(rule.get("cap_yuan"))
    if base is None:
        return None, cap
    total = Decimal(0)
    for band in rule.get("brackets") or []:
        low = number(band.get("from_yuan")) or Decimal(0)
        high = number(band.get("to_yuan"))
        rate = number(band.get("percent")) or Decimal(0)
        top = base if high is None else min(base, high)
        portion = max(Decimal(0), top - low)
        part = to_cents(portion * rate / 100)
        span = f"{money_words(low)}至{money_words(high)}" if high is not None else f"超过{money_words(low)}"
        ctx.say(f"{span}的部分 {yuan_text(portion)} × {percent_words(rate)} = {yuan_text(part)}")
        total += part
    ctx.say(f"合计 {yuan_text(total)}")
    return limit_by_cap(ctx, total, cap)


def kind_other(ctx: Context) -> tuple[Decimal | None, Decimal | None]:
    """No computable number: report pools and floors, otherwise leave the amount to the reviewers."""
    rule = ctx.rule
    for key in ("pool_cap_yuan_per_year", "pool_cap_yuan"):
        if rule.get(key) is not None:
            period = "每年" if key.endswith("per_year") else ""
            ctx.say(f"资金总额{period}不超过 {money_words(number(rule[key]) or 0)}（全市资金池，不是单家上限）。")
    minimum = number(rule.get("min_yuan"))
    if minimum is not None:
        ctx.say(f"不少于 {yuan_text(minimum)}（下限），建议按下限计。")
        return minimum, None
    months = number(rule.get("min_months_rent_per_year"))
    if months is not None:
        rent = ctx.figure(str(rule.get("base_field") or "base"), "月租金")
        if rent is None:
            return None, None
        value = to_cents(rent * months)
        ctx.say(f"月租金 {yuan_text(rent)} × {plain(months)}个月 = {yuan_text(value)}（下限，不少于）")
        return value, None
    ctx.say(f"{rule.get('note') or '原文未规定金额'}；金额由审核部门按规定核定。")
    return None, None


KINDS = {
    "fixed": kind_fixed,
    "cap": kind_cap,
    "percent": kind_percent,
    "tiered": kind_tiered,
    "upgrade": kind_tiered,
    "brackets": kind_brackets,
    "rate": kind_rate,
    "other": kind_other,
}
