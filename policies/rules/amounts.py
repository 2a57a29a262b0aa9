"""Award arithmetic: the suggested amount, the most the rule allows, and the working in Chinese.

Callers: applications (suggested amount whenever the declared figures change), the city approval
page (`maximum`: the approver may lower the amount, never raise it above the rule), the policy
page (`describe`). Pure Python and Decimal; amounts are yuan with two places.

Rule shapes
===========
A rule is a dict with a `kind`. Every rule of policy-catalogue.json is accepted as it is; the
fully encoded items (policies/data/items/*.yaml) use the richer keys. Percentages are in percent
units (1% = 1, 5‰ = 0.5); money is integer or decimal yuan.

Common keys: `kind`, `cite` ("003 L303"), `per` (一次性/每年…, words only), `note`.

Kinds:
- ``fixed``: a set amount, `amount_yuan` (catalogue: `cap_yuan`). With `rate_yuan_per_watt`
  (catalogue) it is a rate, see ``rate``.
- ``cap``: 不超过 `cap_yuan`. Suggested = the cap (the approver may lower it).
- ``percent``: `percent` of the declared base, limited by `cap_yuan` (null = no cap).
  `bound`: "max" (不超过/不高于 p%, default), "exact" (按 p% 给予) or "floor" (不低于/不少于 p%:
  the suggestion is the minimum and the maximum stays open or at the cap). Catalogue rules whose
  note says 下限/不低于/不少于 are floors. `min_yuan` is a floor in yuan. `max_base_yuan`
  (catalogue: `max_loan_yuan`) limits the base.
- ``tiered``: `tiers`, each with `key`, `label` (catalogue: `condition`), `cite` and one of
  `amount_yuan` (set amount), `percent` (+ optional `cap_yuan`, `bound`) or `cap_yuan` (不超过).
  The tier is chosen by the declared value of `choose_by` (catalogue rules: declared "tier"),
  matching a tier's key, label/condition or its 1-based position; or, when tiers carry
  `min_base` and there is no `choose_by`, the highest tier the base reaches. A rule-level
  `cap_yuan` caps every tier. Category-dependent percentages are tiers with `percent`.
- ``upgrade``: a tiered rule that pays only the difference to what the enterprise already got
  under the item (进档的奖励差额, 003 L1921). Catalogue tiered rules whose note or per says 差额
  are treated the same way.
- ``brackets``: marginal bands `[{from_yuan, to_yuan|null, percent, cite}]` over the base,
  summed (技术交易 5‰ of 500万–1亿 plus 2‰ above, 003 L394); `cap_yuan` caps the sum.
- ``rate``: base × `rate` (`rate_unit` for words, e.g. "个月" of monthly rent, "元/瓦").
  `bound: floor` marks 不少于.
- ``other``: no computable number: the note is shown; `min_yuan` (catalogue floor) or
  `min_months_rent_per_year` give a floor; `pool_cap_yuan(_per_year)` is a programme pool and is
  only reported.

The base: `base_field` names the declared figure (`base_label`, `base_unit` for words); rules
without it (the catalogue) read declared["base"].

Modifiers, applied in this order to any kind:
- `per_unit: {field, label, unit}`: the amount is per unit (每培育1家、每个场景) × declared count.
- `rank_split: {field, shares: {"1": 100, "2": 50, "3": 25}, cite}`: joint awards split by the
  declared rank of the completing unit (003 L1770).
- `annual_cap_yuan`, `total_cap_yuan` (multi-year), `lifetime_cap_yuan`: limits over a period;
  what is left is the limit minus `already_received` (the caller passes what the enterprise got
  under this item in that period).
- `stacking_limit: {field, label, cite}`: support from all levels together may not exceed the
  declared actual cost (003 L611); what is left is that cost minus `other_support`.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from common.errors import BadInput

from .amount_kinds import KINDS, Context, number
from .amount_words import describe
from .formatting import cents, plain, to_decimal, yuan_text

__all__ = ["AmountResult", "compute", "describe"]


@dataclass
class AmountResult:
    """The outcome of `compute`: suggested amount, the rule's maximum, and the working."""

    amount: Decimal | None
    maximum: Decimal | None
    working: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts as strings with two places ("32500000.00") or None."""
        return {
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "maximum": None if self.maximum is None else f"{self.maximum:.2f}",
            "working": list(self.working),
            "missing": list(self.missing),
        }


def compute(
    rule: dict[str, Any],
    declared: dict[str, Any] | None,
    *,
    already_received: Decimal | int | str = Decimal(0),
    other_support: Decimal | int | str = Decimal(0),
) -> AmountResult:
    """Compute the suggested amount and the maximum for `declared` figures under `rule`.

    Who calls: applications (on every change of the declared figures), the city approval page,
    reports. `already_received` is what the enterprise already got under this item in the period
    of the rule's period caps (and, for upgrades, for lower tiers); `other_support` is support
    for the same cost from other levels of government (stacking limit).

    A missing figure never raises: the amount is None and `missing` lists the declared keys to
    fill in. Raises BadInput for an unknown kind, a non-numeric or negative figure, or a tier
    choice that is not one of the rule's tiers.
    """
    if not isinstance(rule, dict) or not rule:
        return AmountResult(None, None, ["未配置奖补标准。"])
    handler = KINDS.get(str(rule.get("kind")))
    if handler is None:
        raise BadInput(f"未知的奖补标准类型“{rule.get('kind')}”。")
    received = to_decimal(already_received, label="已获得金额") or Decimal(0)
    support = to_decimal(other_support, label="其他各级资助") or Decimal(0)
    if received < 0 or support < 0:
        raise BadInput("已获得金额和其他各级资助不能为负数。")
    ctx = Context(rule=rule, declared=dict(declared or {}), already_received=received, other_support=support)
    amount, maximum = handler(ctx)
    amount, maximum = _per_unit(ctx, amount, maximum)
    amount, maximum = _rank_split(ctx, amount, maximum)
    amount, maximum = _period_caps(ctx, amount, maximum)
    amount, maximum = _stacking(ctx, amount, maximum)
    if amount is not None and maximum is not None and amount > maximum:
        amount = maximum
    if amount is not None:
        ctx.say(f"建议金额 {yuan_text(amount)}。")
    return AmountResult(cents(amount), cents(maximum), ctx.working, ctx.missing)


Pair = tuple[Decimal | None, Decimal | None]


def _scale(amount: Decimal | None, maximum: Decimal | None, factor: Decimal) -> Pair:
    return (None if amount is None else amount * factor, None if maximum is None else maximum * factor)


def _per_unit(ctx: Context, amount: Decimal | None, maximum: Decimal | None) -> Pair:
    spec = ctx.rule.get("per_unit")
    if not spec:
        return amount, maximum
    unit = spec.get("unit") or "个"
    count = ctx.figure(str(spec["field"]), f"{spec.get('label') or '数量'}数量", unit)
    if count is None:
        return None, None
    if amount is not None:
        ctx.say(f"每{unit} {yuan_text(amount)} × {plain(count)}{unit} = {yuan_text(amount * count)}")
    return _scale(amount, maximum, count)


def _rank_split(ctx: Context, amount: Decimal | None, maximum: Decimal | None) -> Pair:
    spec = ctx.rule.get("rank_split")
    if not spec:
        return amount, maximum
    rank = ctx.declared.get(spec["field"])
    if rank in (None, ""):
        if spec["field"] not in ctx.missing:
            ctx.missing.append(spec["field"])
        ctx.say("请填写完成单位排序（第几完成单位）。")
        return None, maximum
    shares = {str(k): v for k, v in (spec.get("shares") or {}).items()}
    share = number(shares.get(str(rank).strip(), 0)) or Decimal(0)
    cite = f"（{spec['cite']}）" if spec.get("cite") else ""
    if amount is not None:
        ctx.say(
            f"第{rank}完成单位按 {plain(share)}% 支持：{yuan_text(amount)} × {plain(share)}% = "
            f"{yuan_text(amount * share / 100)}{cite}"
        )
    return _scale(amount, maximum, share / 100)


PERIOD_CAPS = (
    ("annual_cap_yuan", "每年最高"),
    ("total_cap_yuan", "累计不超过"),
    ("lifetime_cap_yuan", "总额不超过"),
)


def _period_caps(ctx: Context, amount: Decimal | None, maximum: Decimal | None) -> Pair:
    for key, words in PERIOD_CAPS:
        cap = number(ctx.rule.get(key))
        if cap is None:
            continue
        left = max(Decimal(0), cap - ctx.already_received)
        ctx.say(f"{words} {yuan_text(cap)}，已获得 {yuan_text(ctx.already_received)}，尚可给予 {yuan_text(left)}。")
        if amount is not None and amount > left:
            ctx.say(f"按尚可给予的 {yuan_text(left)} 计。")
            amount = left
        maximum = left if maximum is None else min(maximum, left)
    return amount, maximum


def _stacking(ctx: Context, amount: Decimal | None, maximum: Decimal | None) -> Pair:
    spec = ctx.rule.get("stacking_limit")
    if not spec:
        return amount, maximum
    label = spec.get("label") or "实际投入"
    cost = ctx.figure(str(spec["field"]), label)
    if cost is None:
        return None, maximum
    left = max(Decimal(0), cost - ctx.other_support)
    cite = f"（{spec['cite']}）" if spec.get("cite") else ""
    ctx.say(
        f"各级资助合计不超过{label} {yuan_text(cost)}：其他各级已资助 {yuan_text(ctx.other_support)}，"
        f"本项最多 {yuan_text(left)}{cite}"
    )
    if amount is not None and amount > left:
        amount = left
    maximum = left if maximum is None else min(maximum, left)
    return amount, maximum
