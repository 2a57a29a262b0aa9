"""The dashboard's chart data: plain lists for static/js/reports.js (passed with json_script)."""

from decimal import Decimal
from typing import Any

from applications.workflow import State

from .selectors import DashboardData

WAN = Decimal(10000)
MAX_ROUNDS_IN_CHART = 20


def _wan(value: Decimal | None) -> float:
    return float((value or Decimal(0)) / WAN)


def chart_data(data: DashboardData) -> dict[str, Any]:
    """Counts by state, amounts (万元), budget use per round, stage medians/p90 (days), monthly cases."""
    t = data.totals
    budget_rounds = [r for r in data.by_round if r["round_budget"] is not None][:MAX_ROUNDS_IN_CHART]
    overall_stages = [s for s in data.stages if s.district_id is None]
    return {
        "states": {
            "labels": [label for _, label in State.choices],
            "values": [t[f"n_{s}"] for s in State.values],
        },
        "amounts": {
            "labels": ["申报金额", "审定金额", "已兑现（含追回中）", "逾期放弃", "已追回"],
            "values": [
                _wan(t["requested"]),
                _wan(t["approved"]),
                _wan(t["paid_out"]),
                _wan(t["award_forfeited"]),
                _wan(t["award_recovered"]),
            ],
        },
        "districts": {
            "labels": [r["district_name"] for r in data.by_district],
            "requested": [_wan(r["requested"]) for r in data.by_district],
            "approved": [_wan(r["approved"]) for r in data.by_district],
            "paid": [_wan(r["paid_out"]) for r in data.by_district],
        },
        "budget": {
            "labels": [f"{r['item_code']} {r['round_name']}" for r in budget_rounds],
            "budget": [_wan(r["round_budget"]) for r in budget_rounds],
            "used": [_wan(r["budget_used"]) for r in budget_rounds],
        },
        "stages": {
            "labels": [s.label for s in overall_stages],
            "median": [s.median_days for s in overall_stages],
            "p90": [s.p90_days for s in overall_stages],
        },
        "monthly": {
            "labels": [m["label"] for m in data.monthly],
            "submitted": [m["n_submitted"] for m in data.monthly],
            "approved": [m["n_approved"] for m in data.monthly],
        },
    }
