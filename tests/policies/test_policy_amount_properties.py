"""Properties of the arithmetic over random figures: caps hold, bases are monotone, brackets continuous."""

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from policies.rules.amounts import compute
from tests.policies import seedtext

D = Decimal
CATALOGUE = json.loads((seedtext.DATA / "catalogue.json").read_text(encoding="utf-8"))
RULES = [entry["amount_rule"] for entry in CATALOGUE]
PERCENT_RULES = [r for r in RULES if r["kind"] == "percent" and r.get("percent") is not None]
figures = st.decimals(min_value=0, max_value=D("1e12"), places=2, allow_nan=False, allow_infinity=False)
received = st.decimals(min_value=0, max_value=D("1e9"), places=2, allow_nan=False, allow_infinity=False)

TECH_TRADE = {  # 003 L394
    "kind": "brackets",
    "base_field": "trade_amount",
    "brackets": [
        {"from_yuan": 5000000, "to_yuan": 100000000, "percent": 0.5},
        {"from_yuan": 100000000, "to_yuan": None, "percent": 0.2},
    ],
    "annual_cap_yuan": 2000000,
}


@settings(max_examples=60, deadline=None)
@given(base=figures, already=received, index=st.integers(min_value=0, max_value=len(RULES) - 1))
def test_never_above_a_cap(base, already, index):
    rule = RULES[index]
    tiers = rule.get("tiers") or []
    declared = {"base": str(base), "tier": str((index % len(tiers)) + 1) if tiers else "1"}
    result = compute(rule, declared, already_received=already)
    if result.amount is None:
        return
    assert result.amount >= 0
    if result.maximum is not None:
        assert result.amount <= result.maximum
    cap = rule.get("cap_yuan")
    if cap is not None and rule["kind"] != "other":
        assert result.amount <= D(str(cap))
    for key in ("annual_cap_yuan", "total_cap_yuan"):
        if rule.get(key) is not None:
            assert result.amount <= max(D(0), D(str(rule[key])) - already)


@settings(max_examples=80, deadline=None)
@given(low=figures, high=figures, index=st.integers(min_value=0, max_value=len(PERCENT_RULES) - 1))
def test_monotone_in_the_base(low, high, index):
    low, high = sorted((low, high))
    rule = PERCENT_RULES[index]
    assert compute(rule, {"base": low}).amount <= compute(rule, {"base": high}).amount


@settings(max_examples=80, deadline=None)
@given(low=figures, high=figures)
def test_p14_percent_is_exact_and_monotone(low, high):
    rule = {"kind": "percent", "percent": 1, "base_field": "r", "cap_yuan": None}
    low, high = sorted((low, high))
    a, b = compute(rule, {"r": low}).amount, compute(rule, {"r": high}).amount
    assert a <= b
    assert abs(a - low / 100) <= D("0.005")


@settings(max_examples=100, deadline=None)
@given(
    base=st.decimals(min_value=0, max_value=D("2e9"), places=2),
    step=st.decimals(min_value=D("0.01"), max_value=1000, places=2),
)
def test_brackets_are_monotone_and_continuous(base, step):
    here = compute(TECH_TRADE, {"trade_amount": base}).amount
    there = compute(TECH_TRADE, {"trade_amount": base + step}).amount
    assert here <= there
    # the steepest band is 5‰; two parts may each round by half a cent
    assert there - here <= step * D("0.005") + D("0.02")


def test_brackets_are_continuous_at_their_edges():
    for edge in (D("5000000"), D("100000000")):
        below = compute(TECH_TRADE, {"trade_amount": edge - D("0.01")}).amount
        at = compute(TECH_TRADE, {"trade_amount": edge}).amount
        above = compute(TECH_TRADE, {"trade_amount": edge + D("0.01")}).amount
        assert at - below <= D("0.01") and above - at <= D("0.01")


@settings(max_examples=60, deadline=None)
@given(already=st.decimals(min_value=0, max_value=D("4e6"), places=2))
def test_upgrade_never_pays_more_than_the_tier(already):
    rule = {
        "kind": "upgrade",
        "base_field": "revenue",
        "tiers": [{"min_base": 5e9, "amount_yuan": 2000000}, {"min_base": 1e10, "amount_yuan": 4000000}],
    }
    result = compute(rule, {"revenue": "12000000000"}, already_received=already)
    assert result.amount == max(D(0), D("4000000") - already).quantize(D("0.01"))
