"""Eligibility against the loaded items (P14, P01, P03) with real enterprises and designations."""

from datetime import date

import pytest

from common.errors import BadInput
from enterprises.models import Enterprise
from policies.models import PolicyItem
from policies.rules.eligibility import evaluate, evaluate_profile, years_before

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def criteria(code: str) -> list[dict]:
    return PolicyItem.objects.get(code=code).eligibility


def reason(result, label: str) -> dict:
    return next(r for r in result.reasons if r["criterion"] == label)


def test_p14_passes_at_30_yi(loaded, p14_enterprise):
    result = evaluate(
        criteria("SP-029"), enterprise=p14_enterprise, declared={"retail_sales_2022h2": "3000000000"}, on=TODAY
    )
    assert result.eligible is True
    assert reason(result, "2022年下半年零售额") == {
        "criterion": "2022年下半年零售额",
        "passed": True,
        "message": "2022年下半年零售额 30亿元 ≥ 30亿元（003 L303）",
    }


def test_p14_message_shows_the_figures(loaded, p14_enterprise):
    result = evaluate(
        criteria("SP-029"), enterprise=p14_enterprise, declared={"retail_sales_2022h2": 3250000000}, on=TODAY
    )
    assert reason(result, "2022年下半年零售额")["message"] == "2022年下半年零售额 32.5亿元 ≥ 30亿元（003 L303）"
    hq = reason(result, "2022年在杭新设立全国或区域销售结算总部")
    assert hq["passed"] is True and "2022-05-10" in hq["message"] and "（003 L299, L302）" in hq["message"]


def test_p14_fails_at_29_99_yi_with_a_clear_message(loaded, p14_enterprise):
    result = evaluate(
        criteria("SP-029"), enterprise=p14_enterprise, declared={"retail_sales_2022h2": "2999000000"}, on=TODAY
    )
    assert result.eligible is False
    assert reason(result, "2022年下半年零售额") == {
        "criterion": "2022年下半年零售额",
        "passed": False,
        "message": "2022年下半年零售额 29.99亿元，不满足 ≥ 30亿元 的条件（003 L303）",
    }


def test_p14_a_yuan_short_is_shown_exactly(loaded, p14_enterprise):
    result = evaluate(
        criteria("SP-029"), enterprise=p14_enterprise, declared={"retail_sales_2022h2": "2999999999"}, on=TODAY
    )
    assert "29.99999999亿元，不满足" in reason(result, "2022年下半年零售额")["message"]


def test_p14_missing_figure_says_what_to_fill_in(loaded, p14_enterprise):
    result = evaluate(criteria("SP-029"), enterprise=p14_enterprise, declared={}, on=TODAY)
    assert result.eligible is False
    missing = reason(result, "2022年下半年零售额")
    assert missing["passed"] is False
    assert missing["message"] == "未填写“2022年下半年零售额”，请在申报表中填写（单位：元），条件为 ≥ 30亿元（003 L303）"


def test_p14_non_numeric_figure_fails_not_crashes(loaded, p14_enterprise):
    result = evaluate(criteria("SP-029"), enterprise=p14_enterprise, declared={"retail_sales_2022h2": "很多"}, on=TODAY)
    assert reason(result, "2022年下半年零售额")["passed"] is False
    assert "应为数字" in reason(result, "2022年下半年零售额")["message"]


def test_p14_manual_checks_do_not_block(loaded, p14_enterprise):
    result = evaluate(
        criteria("SP-029"), enterprise=p14_enterprise, declared={"retail_sales_2022h2": "3500000000"}, on=TODAY
    )
    manual = result.manual_checks
    assert [r["criterion"] for r in manual] == ["设立主体为市外企业"]
    assert manual[0]["message"].startswith("需人工核验：") and manual[0]["message"].endswith("（003 L302, L309）")
    assert result.as_dict() == {"eligible": True, "reasons": result.reasons}


def test_p14_hq_set_up_in_2021_fails(loaded, make_enterprise):
    enterprise = make_enterprise(
        designations=[("settlement_hq", date(2021, 12, 31)), ("above_quota_trade", date(2021, 6, 30))]
    )
    result = evaluate(criteria("SP-029"), enterprise=enterprise, declared={"retail_sales_2022h2": "4e9"}, on=TODAY)
    assert result.eligible is False
    hq = reason(result, "2022年在杭新设立全国或区域销售结算总部")
    assert hq["message"] == (
        "不满足“2022年在杭新设立全国或区域销售结算总部”：在杭销售结算总部：认定（取得）日期 2021-12-31 "
        "不在 2022-01-01 至 2022-12-31 之间（003 L299, L302）"
    )


def test_p14_not_in_statistics_database_fails(loaded, make_enterprise):
    enterprise = make_enterprise(
        in_statistics_db=False,
        designations=[("settlement_hq", date(2022, 3, 1)), ("above_quota_trade", date(2022, 6, 30))],
    )
    result = evaluate(criteria("SP-029"), enterprise=enterprise, declared={"retail_sales_2022h2": "4e9"}, on=TODAY)
    flag = reason(result, "在库并上报统计报表（入库纳统）")
    assert flag["passed"] is False and "为否" in flag["message"] and "请先更新企业信息" in flag["message"]


def test_p14_without_the_designation_says_so(loaded, make_enterprise):
    enterprise = make_enterprise()
    result = evaluate(criteria("SP-029"), enterprise=enterprise, declared={"retail_sales_2022h2": "4e9"}, on=TODAY)
    assert reason(result, "限上批发、零售企业")["message"] == (
        "企业信息中没有限上批发零售企业的认定记录，不满足“限上批发、零售企业”（003 L302）"
    )


def test_profile_mode_leaves_declared_figures_for_later(loaded, p14_enterprise):
    result = evaluate_profile(criteria("SP-029"), enterprise=p14_enterprise, on=TODAY)
    assert result.eligible is True
    assert reason(result, "2022年下半年零售额") == {
        "criterion": "2022年下半年零售额",
        "passed": None,
        "message": "2022年下半年零售额：待申报时填写（条件：≥ 30亿元）（003 L303）",
    }


def test_profile_mode_still_rules_out_by_profile(loaded, make_enterprise):
    assert evaluate_profile(criteria("SP-029"), enterprise=make_enterprise(), on=TODAY).eligible is False


def test_designations_are_read_once_and_can_be_prefetched(loaded, p14_enterprise, django_assert_num_queries):
    rules = criteria("SP-029")
    enterprise = Enterprise.objects.prefetch_related("designations").get(pk=p14_enterprise.pk)
    with django_assert_num_queries(0):
        evaluate(rules, enterprise=enterprise, declared={"retail_sales_2022h2": "4e9"}, on=TODAY)
        evaluate_profile(rules, enterprise=enterprise, on=TODAY)


def test_new_above_scale_growth_period_sp004(loaded, make_enterprise):
    """000 L41-45: 新升规企业 = 首次上规后3年成长培育期内; 000 L102-104: 总投资500万元."""
    inside = make_enterprise(designations=[("newly_above_scale", date(2024, 6, 30))])
    declared = {"total_investment": "5000000", "actual_investment": "4000000", "industry_category": "other"}
    assert evaluate(criteria("SP-004"), enterprise=inside, declared=declared, on=TODAY).eligible is True
    outside = make_enterprise(designations=[("newly_above_scale", date(2023, 11, 25))])
    result = evaluate(criteria("SP-004"), enterprise=outside, declared=declared, on=TODAY)
    assert result.eligible is False
    assert "2023-11-25 距 2026-11-25 已满3年" in reason(result, "新升规企业（成长培育期内）")["message"]
    small = evaluate(
        criteria("SP-004"), enterprise=inside, declared={**declared, "total_investment": "4999999"}, on=TODAY
    )
    assert (
        reason(small, "技改项目总投资")["message"]
        == "技改项目总投资 499.9999万元，不满足 ≥ 500万元 的条件（000 L102-104）"
    )


def test_three_years_in_scale_sp002(loaded, make_enterprise):
    """000 L31-33: 上规后连续3年保持在规."""
    held = make_enterprise(designations=[("above_scale", date(2023, 6, 30)), ("newly_above_scale", date(2023, 6, 30))])
    assert evaluate(criteria("SP-002"), enterprise=held, declared={}, on=TODAY).eligible is True
    recent = make_enterprise(designations=[("above_scale", date(2024, 6, 30))])
    result = evaluate(criteria("SP-002"), enterprise=recent, declared={}, on=TODAY)
    assert result.eligible is False and "未满3年" in reason(result, "首次上规满3年且仍在规")["message"]
    lapsed = make_enterprise(designations=[("above_scale", date(2022, 6, 30), {"expires_on": date(2025, 12, 31)})])
    lapsed_result = evaluate(criteria("SP-002"), enterprise=lapsed, declared={}, on=TODAY)
    assert "认定已于 2025-12-31 到期" in reason(lapsed_result, "首次上规满3年且仍在规")["message"]


def test_declared_tier_must_be_held_sp009(loaded, make_enterprise):
    """002 L55-61: 首次认定的档次；市外新引进的享受同等级奖励（人工核验）."""
    specialised = make_enterprise(designations=[("specialised", date(2025, 3, 1))])
    ok = evaluate(criteria("SP-009"), enterprise=specialised, declared={"award_tier": "specialised"}, on=TODAY)
    assert ok.eligible is True and reason(ok, "首次认定，或市外新引进")["passed"] is True
    wrong = evaluate(criteria("SP-009"), enterprise=specialised, declared={"award_tier": "little_giant"}, on=TODAY)
    assert wrong.eligible is False
    assert "没有国家级专精特新“小巨人”企业的认定记录" in reason(wrong, "持有所申报档次的认定")["message"]
    moved_in = make_enterprise(designations=[("specialised", date(2025, 3, 1), {"first_time": False})])
    maybe = evaluate(criteria("SP-009"), enterprise=moved_in, declared={"award_tier": "specialised"}, on=TODAY)
    assert maybe.eligible is True
    either = reason(maybe, "首次认定，或市外新引进")
    assert either["passed"] is None and "市外新引进" in either["message"]


def test_specialised_definition_excludes_hidden_champions_sp011(loaded, make_enterprise):
    """002 L371-373: 专精特新企业 = 国家级小巨人 + 省级专精特新中小企业."""
    champion = make_enterprise(designations=[("hidden_champion", date(2025, 1, 1))])
    declared = {"total_investment": "6000000", "actual_investment_since_2023": "6000000", "industry_category": "other"}
    assert evaluate(criteria("SP-011"), enterprise=champion, declared=declared, on=TODAY).eligible is False


def test_other_criterion_types(make_enterprise):
    enterprise = make_enterprise(
        size_class="micro", registered_on=date(2024, 2, 29), annual_revenue="25000000", figures={"employees_rd": 12}
    )
    rules = [
        {"type": "size_class", "label": "小微企业", "in": ["small", "micro"], "cite": "003 L614"},
        {"type": "registered_within_years", "label": "成立3年以内", "years": 3, "cite": "003 L614"},
        {"type": "threshold", "label": "上年度主营业务收入", "source": "enterprise", "field": "annual_revenue",
         "op": ">=", "value": 30000000, "unit": "元", "cite": "002 L78-80"},
        {"type": "threshold", "label": "研发人员", "source": "enterprise", "field": "figures.employees_rd",
         "op": ">=", "value": 10, "unit": "人"},
        {"type": "enterprise_flag", "label": "独立法人", "flag": "independent_legal_entity"},
    ]  # fmt: skip
    result = evaluate(rules, enterprise=enterprise, declared={}, on=TODAY)
    passed = {r["criterion"]: r["passed"] for r in result.reasons}
    assert passed == {
        "小微企业": True,
        "成立3年以内": True,
        "上年度主营业务收入": False,
        "研发人员": True,
        "独立法人": True,
    }
    assert reason(result, "上年度主营业务收入")["message"] == (
        "上年度主营业务收入 2500万元，不满足 ≥ 3000万元 的条件（002 L78-80）"
    )
    assert reason(result, "研发人员")["message"] == "研发人员 12人 ≥ 10人"
    assert reason(result, "成立3年以内")["message"] == "成立于 2024-02-29，在3年以内（003 L614）"
    later = evaluate(rules[:2], enterprise=enterprise, declared={}, on=date(2027, 3, 1))
    assert reason(later, "成立3年以内")["passed"] is False


def test_unknown_criterion_type_is_refused(make_enterprise):
    with pytest.raises(BadInput, match="无法识别"):
        evaluate([{"type": "horoscope", "label": "星座"}], enterprise=make_enterprise(), declared={}, on=TODAY)


def test_years_before_handles_leap_days():
    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert years_before(TODAY, 3) == date(2023, 11, 25)


def test_every_loaded_item_evaluates(loaded, p14_enterprise):
    for item in PolicyItem.objects.all():
        result = evaluate(item.eligibility, enterprise=p14_enterprise, declared={}, on=TODAY)
        assert len(result.reasons) == len(item.eligibility), item.code
        evaluate_profile(item.eligibility, enterprise=p14_enterprise, on=TODAY)
