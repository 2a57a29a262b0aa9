"""Every figure of the reports against values worked out by hand from the known set (conftest.py).

Hand computation (元):
- 申报金额 counts submitted-or-later cases that still ask (not draft, withdrawn, expired):
  SC/A: a1 100000 + a2 50000 + a5 40000 + a6 60000 = 250000; XH/A: b1 200000 + b2 10000 + b3 70000
  = 280000; SC/C: d1 90000; XH/C: d2 45000. SC = 340000, XH = 325000, total 665000.
- 审定金额: a1 80000, b1 150000, d1 90000 → SC 170000, XH 150000, total 320000.
- Awards: SC paid a1 80000 + d1 90000 + g1 20000 = 190000, claimable g3 25000; XH recovered b1
  150000, recovering g4 12000, forfeited g2 15000, cancelled g5 8000.
- 已兑现（含追回中）: SC 190000, XH 12000 → 202000, of it 免申/即申 g1 20000 + g4 12000 = 32000.
- Settlement (pays first, paid/recovering/recovered): SC a1 80000 (city 40000) → city owes 40000;
  XH b1 150000 (city 75000, recovered) + g4 12000 (city 6000) → 162000, city 81000 − 75000 = 6000.
  Not first, paid/recovering: SC d1 (27000/63000) + g1 (10000/10000) → city 37000, district 73000.
- Budget: RA 1000000, used a1 80000 + b1 150000 = 230000 (23%); RB 500000, used by awards without
  a case not cancelled/forfeited g3 25000 + g4 12000 + g1 20000 = 57000; RC no budget, used 90000.
"""

from datetime import date
from decimal import Decimal

import pytest

from reports.selectors import DashboardData, ReportFilters, report_scope, rollup, summary_rows
from reports.stage_times import percentile_cont, stage_times

D = Decimal


def by(rows, **match):
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


@pytest.fixture
def everything(world):
    return report_scope(world.users["auditor"])


def test_summary_rows_at_item_round_district_grain(world, everything):
    rows = summary_rows(scope=everything, filters=ReportFilters())
    assert len(rows) == 6  # A×{SC,XH}, B×{SC,XH} (awards only), C×{SC,XH}
    a_sc = by(rows, item_code="SP-A", district_name="上城区")
    assert {
        s: a_sc[f"n_{s}"]
        for s in (
            "approved",
            "district_review",
            "draft",
            "withdrawn",
            "district_rejected",
            "city_review",
            "submitted",
            "returned",
            "expired",
        )
    } == {
        "approved": 1,
        "district_review": 1,
        "draft": 1,
        "withdrawn": 1,
        "district_rejected": 1,
        "city_review": 1,
        "submitted": 0,
        "returned": 0,
        "expired": 0,
    }
    assert a_sc["n_total"] == 6 and a_sc["submitted_total"] == 4
    assert a_sc["requested"] == D("250000.00") and a_sc["approved"] == D("80000.00") and a_sc["overdue"] == 1
    assert a_sc["award_paid"] == D("80000.00") and a_sc["award_n_paid"] == 1
    assert a_sc["round_name"] == "2023年第一批" and a_sc["round_budget"] == D("1000000.00")

    a_xh = by(rows, item_code="SP-A", district_name="西湖区")
    assert (a_xh["n_approved"], a_xh["n_submitted"], a_xh["n_returned"], a_xh["n_expired"], a_xh["n_total"]) == (
        1,
        1,
        1,
        1,
        4,
    )
    assert a_xh["requested"] == D("280000.00") and a_xh["approved"] == D("150000.00") and a_xh["overdue"] == 0
    assert a_xh["award_recovered"] == D("150000.00") and a_xh["paid_out"] == D("0.00")

    b_xh = by(rows, item_code="SP-B", district_name="西湖区")
    assert b_xh["n_total"] == 0
    assert (b_xh["award_forfeited"], b_xh["award_recovering"], b_xh["award_cancelled"]) == (
        D("15000.00"),
        D("12000.00"),
        D("8000.00"),
    )
    assert (b_xh["award_n_forfeited"], b_xh["award_n_recovering"], b_xh["award_n_cancelled"]) == (1, 1, 1)
    assert b_xh["paid_out_direct"] == D("12000.00") and b_xh["direct_committed"] == D("12000.00")

    c_xh = by(rows, item_code="SP-C", district_name="西湖区")
    assert c_xh["n_city_rejected"] == 1 and c_xh["requested"] == D("45000.00") and c_xh["approved"] == D("0.00")


def test_district_rollup_and_totals(world, everything):
    data = DashboardData(scope=everything, filters=ReportFilters())
    sc = by(data.by_district, district_name="上城区")
    xh = by(data.by_district, district_name="西湖区")
    assert [r["district_name"] for r in data.by_district] == ["上城区", "西湖区"]  # by sort order
    assert (sc["n_total"], sc["requested"], sc["approved"], sc["overdue"]) == (7, D("340000"), D("170000"), 1)
    assert (xh["n_total"], xh["requested"], xh["approved"], xh["overdue"]) == (5, D("325000"), D("150000"), 0)
    assert (sc["award_paid"], sc["award_claimable"], sc["paid_out"]) == (D("190000"), D("25000"), D("190000"))
    assert (xh["award_recovered"], xh["award_recovering"], xh["award_forfeited"], xh["award_cancelled"]) == (
        D("150000"),
        D("12000"),
        D("15000"),
        D("8000"),
    )
    t = data.totals
    assert (t["n_total"], t["submitted_total"], t["requested"], t["approved"]) == (12, 9, D("665000"), D("320000"))
    assert (t["paid_out"], t["paid_out_direct"], t["award_total"]) == (D("202000"), D("32000"), 8)
    assert sum(t[f"n_{s}"] for s in ("draft", "withdrawn", "expired")) == 3


def test_budget_used_per_round(world, everything):
    data = DashboardData(scope=everything, filters=ReportFilters())
    ra = by(data.by_round, round_name="2023年第一批")
    assert (ra["round_budget"], ra["budget_used"], ra["budget_ratio"], ra["budget_left"]) == (
        D("1000000"),
        D("230000"),
        D("0.23"),
        D("770000"),
    )
    rb = by(data.by_round, round_name="2023年免申批次")
    assert (rb["approved"], rb["direct_committed"], rb["budget_used"], rb["budget_left"]) == (
        D("0"),
        D("57000"),
        D("57000"),
        D("443000"),
    )
    assert rb["budget_ratio"] == D("0.114")
    rc = by(data.by_round, round_name="2023年科技批次")
    assert (rc["round_budget"], rc["budget_used"], rc["budget_ratio"], rc["budget_left"]) == (
        None,
        D("90000"),
        None,
        None,
    )


def test_settlement_per_district(world, everything):
    data = DashboardData(scope=everything, filters=ReportFilters())
    sc = by(data.by_district, district_name="上城区")
    xh = by(data.by_district, district_name="西湖区")
    assert (sc["pf_count"], sc["pf_paid_full"], sc["pf_city_share"], sc["pf_city_recovered"], sc["pf_city_owes"]) == (
        1,
        D("80000"),
        D("40000"),
        D("0"),
        D("40000"),
    )
    assert (sc["npf_count"], sc["npf_city_share"], sc["npf_district_share"]) == (2, D("37000"), D("73000"))
    assert (xh["pf_count"], xh["pf_paid_full"], xh["pf_city_share"], xh["pf_city_recovered"], xh["pf_city_owes"]) == (
        2,
        D("162000"),
        D("81000"),
        D("75000"),
        D("6000"),
    )
    assert (xh["npf_count"], xh["npf_city_share"], xh["npf_district_share"]) == (0, D("0"), D("0"))
    assert data.totals["pf_city_owes"] == D("46000")


def test_period_filter_uses_submission_time_and_award_creation(world, everything):
    # 01-06 … 01-31: a2, a4, a5, b1, b3, b4; awards b1 (its case), g2 (01-15) and g4 (01-20).
    filters = ReportFilters(date_from=date(2023, 1, 6), date_to=date(2023, 1, 31))
    t = DashboardData(scope=everything, filters=filters).totals
    assert t["n_total"] == 6
    assert (t["n_district_review"], t["n_withdrawn"], t["n_district_rejected"], t["n_approved"]) == (1, 1, 1, 1)
    assert t["requested"] == D("360000")  # a2 50000 + a5 40000 + b1 200000 + b3 70000
    assert t["approved"] == D("150000")
    assert (t["award_recovered"], t["award_forfeited"], t["award_recovering"], t["award_paid"]) == (
        D("150000"),
        D("15000"),
        D("12000"),
        D("0"),
    )
    # The day bounds are Beijing days: a1 (01-05 09:00) is in when the period starts 01-05.
    assert (
        DashboardData(
            scope=everything, filters=ReportFilters(date_from=date(2023, 1, 5), date_to=date(2023, 1, 5))
        ).totals["n_total"]
        == 1
    )


def test_policy_round_and_district_filters(world, everything):
    t = DashboardData(scope=everything, filters=ReportFilters(policy_id=world.items["C"].pk)).totals
    assert (t["n_total"], t["requested"], t["approved"], t["award_paid"]) == (2, D("135000"), D("90000"), D("90000"))
    t = DashboardData(scope=everything, filters=ReportFilters(round_id=world.rounds["RB"].pk)).totals
    assert (t["n_total"], t["award_total"], t["direct_committed"]) == (0, 5, D("57000"))
    t = DashboardData(scope=everything, filters=ReportFilters(district_id=world.xh.pk)).totals
    assert (t["n_total"], t["requested"], t["paid_out"]) == (5, D("325000"), D("12000"))


def test_monthly_rows(world, everything):
    months = DashboardData(scope=everything, filters=ReportFilters()).monthly
    assert [(m["label"], m["n_submitted"], m["requested"], m["n_approved"], m["approved"]) for m in months] == [
        ("2023年01月", 7, D("460000.00"), 2, D("230000.00")),
        ("2023年02月", 2, D("70000.00"), 0, D("0.00")),
        ("2023年03月", 2, D("135000.00"), 1, D("90000.00")),
    ]


def test_percentile_cont_interpolates_like_postgresql():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([1, 2, 2, 2, 4, 5], 0.5) == 2
    assert percentile_cont([1, 2, 2, 2, 4, 5], 0.9) == pytest.approx(4.5)
    assert percentile_cont([1, 2, 3, 6], 0.9) == pytest.approx(5.1)


def test_stage_medians_and_p90_from_history(history, everything):
    """Durations (days) from the events in conftest.history:
    属地审核 a1 5, b1 1 (→return), 2 (after resubmit), 4 (after the city's return), a5 2, d1 2;
    会审 a1 3 (last of two opinions), b1 1 (second cycle; the first had none), d1 1;
    市级审定 a1 3, b1 2 (→city_return) and 1, d1 6; 企业申领 a1 5, b1 1, d1 2, g1 3 (g3 unclaimed)."""
    districts = {history.sc.pk: "上城区", history.xh.pk: "西湖区"}
    rows = stage_times(scope=everything, filters=ReportFilters(), districts=districts)
    overall = {
        r.stage: (r.count, r.median_days, r.p90_days, r.mean_days, r.max_days) for r in rows if r.district_id is None
    }
    assert overall == {
        "district": (6, 2.0, 4.5, 2.67, 5.0),
        "co_review": (3, 1.0, 2.6, 1.67, 3.0),
        "city": (4, 2.5, 5.1, 3.0, 6.0),
        "claim": (4, 2.5, 4.4, 2.75, 5.0),
    }
    per = {(r.stage, r.district_name): (r.count, r.median_days, r.p90_days) for r in rows if r.district_id is not None}
    assert per == {
        ("district", "上城区"): (3, 2.0, 4.4),  # [2, 2, 5]
        ("district", "西湖区"): (3, 2.0, 3.6),  # [1, 2, 4]
        ("co_review", "上城区"): (2, 2.0, 2.8),  # [1, 3]
        ("co_review", "西湖区"): (1, 1.0, 1.0),
        ("city", "上城区"): (2, 4.5, 5.7),  # [3, 6]
        ("city", "西湖区"): (2, 1.5, 1.9),  # [1, 2]
        ("claim", "上城区"): (3, 3.0, 4.6),  # [2, 3, 5]
        ("claim", "西湖区"): (1, 1.0, 1.0),
    }
    assert [r.stage for r in rows if r.district_id is None] == ["district", "co_review", "city", "claim"]


def test_stage_times_follow_scope_and_filters(history):
    sc_only = report_scope(history.users["rev_sc"])
    rows = stage_times(scope=sc_only, filters=ReportFilters(), districts={history.sc.pk: "上城区"})
    assert {r.district_name for r in rows if r.district_id is not None} == {"上城区"}
    overall = {r.stage: (r.count, r.median_days) for r in rows if r.district_id is None}
    assert overall == {"district": (3, 2.0), "co_review": (2, 2.0), "city": (2, 4.5), "claim": (3, 3.0)}
    only_c = stage_times(
        scope=report_scope(history.users["auditor"]),
        filters=ReportFilters(policy_id=history.items["C"].pk),
        districts={},
    )
    assert {r.stage: r.count for r in only_c if r.district_id is None} == {
        "district": 1,
        "co_review": 1,
        "city": 1,
        "claim": 1,
    }


def test_stage_times_with_no_history_report_zero(world, everything):
    rows = stage_times(scope=everything, filters=ReportFilters(), districts={})
    assert [(r.stage, r.count, r.median_days) for r in rows] == [
        ("district", 0, None),
        ("co_review", 0, None),
        ("city", 0, None),
        ("claim", 0, None),
    ]


def test_breaches_count_overdue_flags_and_late_decisions(history, everything):
    data = DashboardData(scope=everything, filters=ReportFilters())
    assert [(r["district_name"], r["overdue"], r["late_decisions"]) for r in data.breaches] == [
        ("上城区", 1, 1),  # a2 flagged; a5 rejected 01-09 09:00 after its limit 01-08 10:00
        ("西湖区", 0, 0),  # b1's return (01-09) predates its last 受理 (01-11), its approvals are in time
    ]


def test_delivery_targets(world, everything):
    from notifications.models import Notification

    targets = DashboardData(scope=everything, filters=ReportFilters()).targets
    assert (targets.paid_out, targets.paid_out_direct) == (D("202000"), D("32000"))
    assert targets.money_share == D("32000") / D("202000")
    assert (targets.items_total, targets.items_proactive_mode, targets.items_pushed) == (3, 1, 0)
    Notification.objects.create(
        user=world.users["ent"], kind="policy_push", title="政策推送", dedupe_key=f"policy_push:{world.items['A'].pk}:1"
    )
    Notification.objects.create(  # another kind, or another item's id as a prefix, does not count
        user=world.users["ent"], kind="submitted", title="已提交", dedupe_key=f"policy_push:{world.items['C'].pk}:1"
    )
    targets = DashboardData(scope=everything, filters=ReportFilters()).targets
    assert (targets.items_total, targets.items_proactive_mode, targets.items_pushed, targets.items_reached) == (
        3,
        1,
        1,
        2,
    )
    assert targets.items_share == D(2) / D(3)
    # A district official counts pushes to enterprises of their district only (ent is in 上城区).
    xh_targets = DashboardData(scope=report_scope(world.users["rev_xh"]), filters=ReportFilters()).targets
    assert (xh_targets.items_pushed, xh_targets.paid_out, xh_targets.paid_out_direct) == (0, D("12000"), D("12000"))


def test_rollup_sums_group_rows(world, everything):
    rows = summary_rows(scope=everything, filters=ReportFilters())
    assert rollup(rows, ())[0]["requested"] == D("665000")
    assert rollup([], ())[0]["n_total"] == 0


def test_unclaimed_entitlements_counts_qualifying_enterprises_without_a_case(world, everything):
    from datetime import timedelta

    from django.utils import timezone

    from policies.models import Round

    item = world.items["C"]
    item.eligibility = [
        {"type": "enterprise_flag", "flag": "in_statistics_db", "label": "在库并上报统计报表", "cite": "测试 L1"},
        {"type": "text", "text": "无重大违法", "label": "无重大违法", "cite": "测试 L2"},
    ]
    item.save(update_fields=["eligibility"])
    now = timezone.now()
    Round.objects.create(
        item=item, name="2026年科技批次", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9)
    )
    e = world.enterprises
    # In the statistics database: e1, e2 (has d1 under C), e8 (西湖区). Others are not.
    for ent in (e[0], e[1], e[7]):
        ent.in_statistics_db = True
        ent.save(update_fields=["in_statistics_db"])
    data = DashboardData(scope=everything, filters=ReportFilters(), with_entitlements=True)
    assert data.entitlements == {"items": 1, "enterprises": 2, "pairs": 2}  # e1 and e8
    sc = DashboardData(scope=report_scope(world.users["rev_sc"]), filters=ReportFilters(), with_entitlements=True)
    assert sc.entitlements == {"items": 1, "enterprises": 1, "pairs": 1}  # e1 only
    assert DashboardData(scope=everything, filters=ReportFilters()).entitlements is None  # only on request
