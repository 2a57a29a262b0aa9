"""`describe(rule)`: an amount rule in Chinese words for the policy item page and the API.

Shapes are documented in amounts.py. Pure function; never raises on a catalogue rule.
"""

from typing import Any

from .formatting import money_words, percent_words, plain


def describe(rule: dict[str, Any] | None) -> str:
    """The rule in words, e.g. "按不超过2022年下半年零售额的1%给予一次性奖励，不设金额上限".

    Who calls: the policy item page and API (`amount_rule_text`), reviewers' case page.
    Unknown kinds are described by their note rather than raising.
    """
    if not rule:
        return "未配置奖补标准"
    kind = str(rule.get("kind"))
    words = _MAIN.get(kind, _other)(rule)
    parts = [_unit_prefix(rule) + words, *_extras(rule)]
    return "，".join(part for part in parts if part)


def _noun(rule: dict[str, Any]) -> str:
    return str(rule.get("award_word") or "奖补")


def _once(rule: dict[str, Any]) -> str:
    return "一次性" if "一次性" in str(rule.get("per") or "") else ""


def _per_words(rule: dict[str, Any]) -> tuple[str, str]:
    """(prefix, suffix) from `per`: "每年"/"单个企业" lead the sentence, the rest goes in brackets.

    "一次性" is dropped here because _once() already puts it before the noun.
    """
    per = str(rule.get("per") or "").replace("一次性", "").strip("，、 ")
    if per.startswith("（") and per.endswith("）"):
        per = per[1:-1]
    if not per:
        return "", ""
    if per.startswith(("每", "单个", "单家")) and "，" not in per:
        return per, ""
    return "", f"（{per}）"


def _give(rule: dict[str, Any], what: str) -> str:
    prefix, suffix = _per_words(rule)
    return f"{prefix}{what}{suffix}"


def _money(value: Any) -> str:
    return money_words(value) if value is not None else "（未规定）"


def _base(rule: dict[str, Any], spec: dict[str, Any] | None = None) -> str:
    spec = spec or {}
    return str(spec.get("base_label") or rule.get("base_label") or rule.get("base") or "申报基数")


def _percent_phrase(rule: dict[str, Any], spec: dict[str, Any]) -> str:
    bound = spec.get("bound") or rule.get("bound")
    note = f"{rule.get('note') or ''}{spec.get('note') or ''}"
    if not bound and any(word in note for word in ("下限", "不低于", "不少于")):
        bound = "floor"
    lead = {"floor": "不低于", "exact": ""}.get(str(bound), "不超过")
    if spec.get("percent") is None:
        return f"按{_base(rule, spec)}的一定比例"
    return f"按{lead}{_base(rule, spec)}的{percent_words(spec['percent'])}"


def _fixed(rule: dict[str, Any]) -> str:
    if rule.get("rate_yuan_per_watt") is not None or rule.get("rate_yuan_per_unit") is not None:
        return _rate(rule)
    value = rule.get("amount_yuan", rule.get("cap_yuan"))
    return _give(rule, f"给予{_money(value)}的{_once(rule)}{_noun(rule)}")


def _cap(rule: dict[str, Any]) -> str:
    return _give(rule, f"给予不超过{_money(rule.get('cap_yuan'))}的{_once(rule)}{_noun(rule)}")


def _percent(rule: dict[str, Any]) -> str:
    text = _give(rule, f"{_percent_phrase(rule, rule)}给予{_once(rule)}{_noun(rule)}")
    cap = rule.get("cap_yuan")
    return f"{text}，最高{money_words(cap)}" if cap is not None else f"{text}，不设金额上限"


def _tier_words(rule: dict[str, Any], tier: dict[str, Any]) -> str:
    label = tier.get("label") or tier.get("condition") or tier.get("key") or "该档"
    if tier.get("min_base") is not None and not tier.get("label"):
        label = f"{_base(rule)}达到{money_words(tier['min_base'])}"
    if tier.get("amount_yuan") is not None:
        return f"{label}：{money_words(tier['amount_yuan'])}"
    if tier.get("percent") is not None:
        cap = tier.get("cap_yuan", rule.get("cap_yuan"))
        tail = f"，最高{money_words(cap)}" if cap is not None else ""
        return f"{label}：{_percent_phrase(rule, tier)}{tail}"
    if tier.get("cap_yuan") is not None:
        return f"{label}：不超过{money_words(tier['cap_yuan'])}"
    return f"{label}：金额未规定"


def _tiered(rule: dict[str, Any]) -> str:
    tiers = [t for t in rule.get("tiers") or [] if isinstance(t, dict)]
    if not tiers:
        return _cap(rule)
    body = "；".join(_tier_words(rule, tier) for tier in tiers)
    text = _give(rule, f"分档给予{_once(rule)}{_noun(rule)}：{body}")
    if rule.get("kind") == "upgrade" or rule.get("pay_difference") or "差额" in f"{rule.get('note')}{rule.get('per')}":
        text += "（进档的只发放差额）"
    return text


def _brackets(rule: dict[str, Any]) -> str:
    bands = []
    for band in rule.get("brackets") or []:
        rate = percent_words(band.get("percent") or 0)
        if band.get("to_yuan") is None:
            bands.append(f"超过{money_words(band.get('from_yuan') or 0)}的部分按{rate}")
        else:
            bands.append(f"{money_words(band.get('from_yuan') or 0)}至{money_words(band['to_yuan'])}的部分按{rate}")
    text = _give(rule, f"按{_base(rule)}分段累加给予{_noun(rule)}：{'，'.join(bands)}")
    cap = rule.get("cap_yuan")
    return f"{text}；最高{money_words(cap)}" if cap is not None else text


def _rate(rule: dict[str, Any]) -> str:
    rate = rule.get("rate", rule.get("rate_yuan_per_unit", rule.get("rate_yuan_per_watt")))
    unit = rule.get("rate_unit") or ("元/瓦" if rule.get("rate_yuan_per_watt") is not None else "")
    if rate is None:
        return _give(rule, f"按{_base(rule)}给予{_noun(rule)}（标准未规定）")
    if rule.get("bound") == "floor":
        return _give(rule, f"按不少于{plain(rate)}{unit}{_base(rule)}的标准给予{_noun(rule)}")
    return _give(rule, f"按{_base(rule)}×{plain(rate)}{unit}给予{_noun(rule)}")


def _other(rule: dict[str, Any]) -> str:
    if rule.get("min_yuan") is not None:
        return f"给予不少于{money_words(rule['min_yuan'])}的{_noun(rule)}"
    if rule.get("min_months_rent_per_year") is not None:
        return f"每年按不少于{plain(rule['min_months_rent_per_year'])}个月房租的标准给予补贴"
    return str(rule.get("note") or "原文未规定金额，按有关规定执行")


_MAIN = {
    "fixed": _fixed,
    "cap": _cap,
    "percent": _percent,
    "tiered": _tiered,
    "upgrade": _tiered,
    "brackets": _brackets,
    "rate": _rate,
    "other": _other,
}


def _unit_prefix(rule: dict[str, Any]) -> str:
    spec = rule.get("per_unit")
    if not spec:
        return ""
    return f"每{spec.get('unit') or '个'}{spec.get('label') or ''}"


def _extras(rule: dict[str, Any]) -> list[str]:
    extras = []
    max_base = rule.get("max_base_yuan", rule.get("max_loan_yuan"))
    if max_base is not None:
        extras.append(f"计算基数最高{money_words(max_base)}")
    if rule.get("kind") != "other" and rule.get("min_yuan") is not None:
        extras.append(f"不少于{money_words(rule['min_yuan'])}")
    split = rule.get("rank_split")
    if split:
        shares = "、".join(f"第{rank}完成单位{plain(share)}%" for rank, share in (split.get("shares") or {}).items())
        extras.append(f"按完成单位排序给予：{shares}")
    for key, words in (
        ("annual_cap_yuan", "每年最高"),
        ("total_cap_yuan", "累计不超过"),
        ("lifetime_cap_yuan", "总额不超过"),
    ):
        if rule.get(key) is not None:
            extras.append(f"{words}{money_words(rule[key])}")
    if rule.get("stacking_limit"):
        extras.append(f"各级资助合计不超过{rule['stacking_limit'].get('label') or '实际投入'}")
    for key, words in (("pool_cap_yuan_per_year", "全市每年总额不超过"), ("pool_cap_yuan", "资金总额不超过")):
        if rule.get(key) is not None and rule.get("kind") != "other":
            extras.append(f"{words}{money_words(rule[key])}")
    return extras
