"""Award arithmetic reproduced from the seed texts, one test per kind of rule (catalogue R29–R36).

Each test names the seed line it reproduces; figures are the text's, the working is checked line
by line where officials would read it.
"""

import json
from decimal import Decimal

import pytest

from common.errors import BadInput
from policies.rules.amounts import AmountResult, compute, describe
from tests.policies import seedtext

D = Decimal
CATALOGUE = json.loads((seedtext.DATA / "catalogue.json").read_text(encoding="utf-8"))
RULES = {entry["id"]: entry["amount_rule"] for entry in CATALOGUE}


def _detailed_rule(code: str) -> dict:
    import yaml

    from policies.loader import jsonable

    for path in (seedtext.DATA / "items").glob("*.yaml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            if item["code"] == code:
                return jsonable(item["amount_rule"])
    raise LookupError(code)


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_catalogue_rule_computes(code):
    rule = RULES[code]
    for declared in ({}, {"base": "123456789.12", "tier": "1"}, {"base": "0", "tier": "1"}, {"base": 5e8, "tier": 1}):
        result = compute(rule, declared, already_received=D("100000"), other_support=D("1"))
        assert isinstance(result, AmountResult)
        assert result.working, code
        if result.amount is not None and result.maximum is not None:
            assert result.amount <= result.maximum
        if result.amount is not None:
            assert result.amount >= 0 and result.amount == result.amount.quantize(D("0.01"))
    assert describe(rule)


def test_every_detailed_rule_computes_with_its_own_fields():
    import yaml

    for path in (seedtext.DATA / "items").glob("*.yaml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            declared = {}
            for spec in item.get("declared_fields") or []:
                options = spec.get("options")
                declared[spec["key"]] = options[0]["value"] if options else ("12" if spec["type"] == "number" else "x")
            result = compute(item["amount_rule"], declared)
            if item["amount_rule"]["kind"] == "other":
                assert result.amount is None, item["code"]
            else:
                assert result.amount is not None and not result.missing, (item["code"], result.working)


def test_cap_sp001():
    """000 L29-31: 对首次上规纳统的工业企业给予不超过20万元的一次性奖励."""
    result = compute(_detailed_rule("SP-001"), {})
    assert result.amount == result.maximum == D("200000.00")
    assert result.working[0] == "不超过 200,000.00 元，建议按上限 200,000.00 元 计，审定时可以下调。"
    assert describe(_detailed_rule("SP-001")) == "给予不超过20万元的一次性奖励"


def test_fixed_sp061():
    """003 L398: 对首次上规模的高新技术企业，再给予30万元奖励."""
    result = compute(RULES["SP-061"], {})
    assert result.amount == result.maximum == D("300000.00")
    assert result.working == ["定额 300,000.00 元。", "建议金额 300,000.00 元。"]


def test_percent_sp029_p14():
    """003 L299, L303: 给予不超过其零售额1%的一次性奖励 (no cap)."""
    rule = _detailed_rule("SP-029")
    result = compute(rule, {"retail_sales_2022h2": "3250000000"})
    assert result.amount == result.maximum == D("32500000.00")
    assert result.working == [
        "2022年下半年零售额 3,250,000,000.00 元 × 1% = 32,500,000.00 元",
        "不设金额上限。",
        "建议金额 32,500,000.00 元。",
    ]
    assert result.as_dict()["amount"] == "32500000.00"
    assert describe(rule) == "按不超过2022年下半年零售额的1%给予一次性奖励，不设金额上限"


def test_percent_missing_base_says_what_to_fill_in():
    result = compute(_detailed_rule("SP-029"), {})
    assert result.amount is None and result.maximum is None
    assert result.missing == ["retail_sales_2022h2"]
    assert result.working == ["缺少“2022年下半年零售额”，请填写后计算（单位：元）。"]


def test_percent_with_cap_sp016():
    """002 L319-321: 按实际投资额的20%给予补助，最高补助100万元."""
    result = compute(_detailed_rule("SP-016"), {"actual_investment": "8000000"})
    assert result.amount == result.maximum == D("1000000.00")
    assert "实际投资额（设备、外购技术及软件投入） 8,000,000.00 元 × 20% = 1,600,000.00 元" in result.working
    assert "超过上限 1,000,000.00 元，按上限计 1,000,000.00 元。" in result.working
    small = compute(_detailed_rule("SP-016"), {"actual_investment": "3000000"})
    assert small.amount == D("600000.00")


def test_tiers_by_category_sp004():
    """000 L104-113: 六大产业项目 ≤20%、最高1亿元；其他项目 ≤10%、最高5000万元."""
    rule = _detailed_rule("SP-004")
    key = compute(rule, {"industry_category": "key_industries", "actual_investment": "600000000"})
    assert key.amount == D("100000000.00")  # 20% of 6亿 = 1.2亿, capped at 1亿
    assert key.working[0].startswith("适用档次：新一代信息技术及应用")
    other = compute(rule, {"industry_category": "other", "actual_investment": "300000000"})
    assert other.amount == D("30000000.00")
    assert "年度实际完成投资额（设备、外购技术及软件投入） 300,000,000.00 元 × 10% = 30,000,000.00 元" in other.working
    unchosen = compute(rule, {"actual_investment": "300000000"})
    assert unchosen.amount is None and unchosen.maximum == D("100000000.00")
    assert unchosen.missing == ["industry_category"]
    with pytest.raises(BadInput, match="不在本事项的档次"):
        compute(rule, {"industry_category": "semiconductors", "actual_investment": "1"})


def test_tiers_by_designation_sp009():
    """002 L55-59: 小巨人、隐形冠军、省级专精特新分别不超过100万元、100万元、20万元."""
    rule = _detailed_rule("SP-009")
    amounts = [
        compute(rule, {"award_tier": tier}).amount for tier in ("little_giant", "hidden_champion", "specialised")
    ]
    assert amounts == [D("1000000.00"), D("1000000.00"), D("200000.00")]


CREDIT_INSURANCE = {  # 003 L611, encoded in the rich shape
    "kind": "tiered",
    "choose_by": "enterprise_class",
    "base_field": "premium",
    "base_label": "出口信用保险投保费",
    "cap_yuan": 5000000,
    "tiers": [
        {"key": "general", "label": "一般企业", "percent": 60},
        {"key": "manufacturing", "label": "规上制造业企业", "percent": 65},
        {"key": "specialised", "label": "省级及以上专精特新企业", "percent": 70},
    ],
    "stacking_limit": {"field": "premium", "label": "企业实际的信保投入总额", "cite": "003 L611"},
    "cite": "003 L611",
}


def test_category_percentages_and_stacking_sp074():
    """003 L611: 上限60%/65%/70%，单个企业500万元；各级资助总额不得超过企业实际的信保投入总额."""
    declared = {"enterprise_class": "manufacturing", "premium": "2000000"}
    assert compute(CREDIT_INSURANCE, declared).amount == D("1300000.00")
    big = compute(CREDIT_INSURANCE, {"enterprise_class": "specialised", "premium": "10000000"})
    assert big.amount == D("5000000.00")  # 70% = 700万, capped at 500万
    stacked = compute(CREDIT_INSURANCE, declared, other_support=D("1500000"))
    assert stacked.amount == stacked.maximum == D("500000.00")  # 200万 − 150万 from other levels
    assert (
        "各级资助合计不超过企业实际的信保投入总额 2,000,000.00 元：其他各级已资助 1,500,000.00 元，"
        "本项最多 500,000.00 元（003 L611）" in stacked.working
    )


def test_floor_rent_sp007():
    """000 L150: 每年按照不少于1个月房租的标准给予房租补贴 — a floor, no maximum."""
    rule = _detailed_rule("SP-007")
    result = compute(rule, {"monthly_rent": "45000", "leased_area": "1200", "lease_years": "3"})
    assert result.amount == D("45000.00") and result.maximum is None
    assert result.working[0] == "月租金 45,000.00 元 × 1个月 = 45,000.00 元"
    assert "该标准为下限（不少于），属地可按规定提高。" in result.working
    assert describe(rule) == "每年按不少于1个月月租金的标准给予房租补贴"


def test_floor_percent_sp124():
    """003 L1061: 给予不低于保费60%的补助……原则上单家企业不超过500万元."""
    result = compute(RULES["SP-124"], {"base": "1000000"})
    assert result.amount == D("600000.00") and result.maximum == D("5000000.00")
    assert "比例 60% 为下限（不低于），属地可按规定提高。" in result.working


TECH_TRADE = {  # 003 L394
    "kind": "brackets",
    "base_field": "trade_amount",
    "base_label": "年度累计实际技术交易额",
    "brackets": [
        {"from_yuan": 5000000, "to_yuan": 100000000, "percent": 0.5},
        {"from_yuan": 100000000, "to_yuan": None, "percent": 0.2},
    ],
    "annual_cap_yuan": 2000000,
    "cite": "003 L394",
}


def test_marginal_brackets_sp053():
    """003 L394: 500万元（含）至1亿元（含）的部分5‰；超过1亿元的部分2‰累加；单个企业年度最高200万元."""
    result = compute(TECH_TRADE, {"trade_amount": "300000000"})
    assert result.amount == D("875000.00")
    assert result.working[:3] == [
        "500万元至1亿元的部分 95,000,000.00 元 × 5‰ = 475,000.00 元",
        "超过1亿元的部分 200,000,000.00 元 × 2‰ = 400,000.00 元",
        "合计 875,000.00 元",
    ]
    capped = compute(TECH_TRADE, {"trade_amount": "1000000000"})
    assert capped.amount == D("2000000.00")  # 47.5万 + 180万 = 227.5万 > 200万
    assert compute(TECH_TRADE, {"trade_amount": "5000000"}).amount == D("0.00")
    assert describe(TECH_TRADE) == (
        "按年度累计实际技术交易额分段累加给予奖补：500万元至1亿元的部分按5‰，超过1亿元的部分按2‰，每年最高200万元"
    )


def test_annual_cap_with_what_was_received_sp115():
    """003 L1042: 每站（次）最高30万元支持，每家主办单位每年不超过100万元."""
    result = compute(RULES["SP-115"], {}, already_received=D("800000"))
    assert result.amount == result.maximum == D("200000.00")
    assert "每年最高 1,000,000.00 元，已获得 800,000.00 元，尚可给予 200,000.00 元。" in result.working
    assert compute(RULES["SP-115"], {}, already_received=D("1000000")).amount == D("0.00")


def test_multi_year_total_cap_sp149():
    """003 L1800: 连续3年每年给予最高1000万元、累计不超过3000万元的运营经费补助."""
    assert compute(RULES["SP-149"], {}, already_received=D("25000000")).amount == D("5000000.00")
    assert compute(RULES["SP-149"], {}, already_received=D("10000000")).amount == D("10000000.00")


def test_upgrade_pays_the_difference_sp184():
    """003 L1921: 营业收入首次达到50/100/200/500/1000亿元，分别奖励200/400/800/2000/10000万元（进档的奖励差额）."""
    rule = {
        "kind": "upgrade",
        "base_field": "revenue",
        "base_label": "年营业收入",
        "tiers": [
            {"min_base": 5000000000, "amount_yuan": 2000000},
            {"min_base": 10000000000, "amount_yuan": 4000000},
            {"min_base": 20000000000, "amount_yuan": 8000000},
            {"min_base": 50000000000, "amount_yuan": 20000000},
            {"min_base": 100000000000, "amount_yuan": 100000000},
        ],
        "cite": "003 L1921",
    }
    first = compute(rule, {"revenue": "6000000000"})
    assert first.amount == D("2000000.00")
    upgrade = compute(rule, {"revenue": "12000000000"}, already_received=D("2000000"))
    assert upgrade.amount == D("2000000.00")  # 400万 − 200万 already paid
    assert "只发放进档差额：4,000,000.00 元 − 已获得 2,000,000.00 元 = 2,000,000.00 元" in upgrade.working
    assert compute(rule, {"revenue": "1000000000"}).amount == D("0.00")
    # the catalogue's own shape: tier chosen, difference recognised from its note
    assert compute(RULES["SP-184"], {"tier": "2"}, already_received=D("2000000")).amount == D("2000000.00")


def test_lifetime_difference_sp186():
    """003 L1923: 国家级/省级/市级孵化器 100/50/30万元（差额补助），总额最高不超过100万元."""
    city = compute(RULES["SP-186"], {"tier": "市级孵化器"})
    assert city.amount == D("300000.00")
    national = compute(RULES["SP-186"], {"tier": "国家级孵化器"}, already_received=D("300000"))
    assert national.amount == D("700000.00")


def test_joint_award_split_by_rank_sp138():
    """003 L1770: 一等奖500万元；第二完成单位按50%、第三完成单位按25%."""
    rule = {
        "kind": "tiered",
        "choose_by": "award_level",
        "tiers": [
            {"key": "top", "label": "国家最高科学技术奖等", "amount_yuan": 10000000},
            {"key": "first", "label": "国家科学技术奖一等奖", "amount_yuan": 5000000},
            {"key": "second", "label": "国家科学技术奖二等奖", "amount_yuan": 2000000},
        ],
        "rank_split": {"field": "rank", "shares": {"1": 100, "2": 50, "3": 25}, "cite": "003 L1770"},
        "cite": "003 L1770",
    }
    assert compute(rule, {"award_level": "first", "rank": "1"}).amount == D("5000000.00")
    second = compute(rule, {"award_level": "first", "rank": "2"})
    assert second.amount == second.maximum == D("2500000.00")
    assert "第2完成单位按 50% 支持：5,000,000.00 元 × 50% = 2,500,000.00 元（003 L1770）" in second.working
    assert compute(rule, {"award_level": "second", "rank": 3}).amount == D("500000.00")
    assert compute(rule, {"award_level": "second", "rank": 4}).amount == D("0.00")
    assert "第1完成单位100%、第2完成单位50%、第3完成单位25%" in describe(rule)


def test_per_unit_sp005():
    """000 L139-143: 每培育1家首次上规纳统工业企业，给予运营机构不高于3万元的一次性奖励."""
    rule = _detailed_rule("SP-005")
    result = compute(rule, {"cultivated_count": "3"})
    assert result.amount == result.maximum == D("90000.00")
    assert "每家 30,000.00 元 × 3家 = 90,000.00 元" in result.working
    assert describe(rule) == "每家首次上规纳统工业企业给予不超过3万元的一次性奖励"


def test_rate_sp073():
    """003 L588: 对“十四五”期间并网光伏项目，执行市区两级财政共0.2元/瓦建设补贴."""
    result = compute(RULES["SP-073"], {"base": "1000000"})
    assert result.amount == D("200000.00")
    assert result.working[0] == "装机容量（瓦） 1000000 瓦 × 0.2元/瓦 = 200,000.00 元"


def test_other_has_no_number_sp013():
    """002 L213-217: 择优给予运营机构一次性精准服务奖励 — no amount in the text."""
    result = compute(_detailed_rule("SP-013"), {})
    assert result.amount is None and result.maximum is None
    assert "原文未规定金额" in result.working[0]
    pool = compute(_detailed_rule("SP-017"), {})
    assert pool.working[0] == "资金总额每年不超过 1000万元（全市资金池，不是单家上限）。"


def test_floor_in_yuan_sp195():
    """003 L2408: 给予每个分行业试点地区不少于1000万元."""
    result = compute(RULES["SP-195"], {})
    assert result.amount == D("10000000.00") and result.maximum is None


def test_bad_input_is_refused():
    with pytest.raises(BadInput, match="应为数字"):
        compute(_detailed_rule("SP-029"), {"retail_sales_2022h2": "三十亿"})
    with pytest.raises(BadInput, match="不能为负数"):
        compute(_detailed_rule("SP-029"), {"retail_sales_2022h2": "-1"})
    with pytest.raises(BadInput, match="未知的奖补标准类型"):
        compute({"kind": "lottery"}, {})
    assert compute({}, {}).amount is None
