"""The loader against the seed texts: counts, figures, dates, supersession, groups, idempotence."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest

from policies.models import ExclusivityGroup, PolicyDocument, PolicyItem
from policies.rules.formatting import money_words, percent_words
from tests.policies import seedtext

pytestmark = pytest.mark.django_db


def test_loads_the_whole_catalogue(loaded):
    assert loaded["total_items"] == 204
    assert loaded["items"] == {"created": 204, "updated": 0, "unchanged": 0}
    assert loaded["documents"]["created"] == 19
    assert loaded["detailed"] == 18  # SP-001…008, SP-009…017, SP-029
    assert PolicyItem.objects.count() == 204
    assert PolicyDocument.objects.count() == 19
    detailed = set(PolicyItem.objects.filter(detailed=True).values_list("code", flat=True))
    assert detailed == {f"SP-{n:03d}" for n in range(1, 18)} | {"SP-029"}


def test_second_load_changes_nothing(loaded):
    before = {i.code: (i.pk, i.updated_at) for i in PolicyItem.objects.all()}
    docs_before = {d.code: (d.pk, d.updated_at) for d in PolicyDocument.objects.all()}
    from policies.loader import load_all

    again = load_all()
    assert again["items"] == {"created": 0, "updated": 0, "unchanged": 204}
    assert again["documents"] == {"created": 0, "updated": 0, "unchanged": 19}
    assert again["groups"]["created"] == again["groups"]["updated"] == 0
    assert {i.code: (i.pk, i.updated_at) for i in PolicyItem.objects.all()} == before
    assert {d.code: (d.pk, d.updated_at) for d in PolicyDocument.objects.all()} == docs_before


def test_load_repairs_an_edited_row(loaded):
    from policies.loader import load_all

    PolicyItem.objects.filter(code="SP-029").update(amount_rule={"kind": "cap", "cap_yuan": 1})
    again = load_all()
    assert again["items"]["updated"] == 1
    assert PolicyItem.objects.get(code="SP-029").amount_rule["percent"] == 1


def test_catalogue_copy_is_the_seed_catalogue():
    copy = json.loads((seedtext.DATA / "catalogue.json").read_text(encoding="utf-8"))
    assert len(copy) == 204
    seed = seedtext.SEEDS / "policy-catalogue.json"
    if seed.exists():
        assert copy == json.loads(seed.read_text(encoding="utf-8"))


def test_non_detailed_items_keep_the_catalogue_rule(loaded):
    catalogue = {e["id"]: e for e in json.loads((seedtext.DATA / "catalogue.json").read_text(encoding="utf-8"))}
    for item in PolicyItem.objects.filter(detailed=False):
        assert item.amount_rule == catalogue[item.code]["amount_rule"], item.code
        assert all(c["type"] == "text" for c in item.eligibility), item.code
        assert item.catalogue == catalogue[item.code]


def test_p14_materials_are_the_six_of_the_text(loaded):
    item = PolicyItem.objects.get(code="SP-029")
    labels = [m["label"] for m in item.materials]
    # 003 L306-311
    assert labels == [
        "营业执照复印件",
        "纳税申报表",
        "损益表",
        "董事会纪要（新设立公司数据来源应大于杭州地区）",
        "分区域销售数据汇总情况",
        "情况说明",
    ]
    for number, material in zip(range(306, 312), item.materials, strict=True):
        assert material["label"] in seedtext.line("003", number)
        assert material["required"] is True
    assert item.required_material_kinds == [m["kind"] for m in item.materials]


def test_p14_item_setup(loaded):
    item = PolicyItem.objects.get(code="SP-029")
    assert item.bureau_function == "commerce"
    assert item.review_departments == ["market", "tax", "drc", "finance"]  # 003 L314
    assert item.funding["district_pays_first"] is True  # 003 L329 先行全额兑现
    assert item.funding["city_percent"] + item.funding["district_percent"] == 100
    assert item.amount_rule["percent"] == 1 and item.amount_rule["cap_yuan"] is None  # 003 L299
    assert item.declared_fields[0]["key"] == "retail_sales_2022h2"
    assert item.schedule["window_from"] == "2023-01-01" and item.schedule["window_to"] == "2023-01-31"  # L304
    assert item.schedule["performance_from"] == "2022-07-01"  # L300
    assert item.mode == "apply"
    assert item.exclusivity_group.code == "trade-hq-retail-award"


def test_amounts_match_the_text(loaded):
    sp001 = PolicyItem.objects.get(code="SP-001").amount_rule
    assert sp001["kind"] == "cap" and sp001["cap_yuan"] == 200000  # 000 L29-31
    sp004 = PolicyItem.objects.get(code="SP-004").amount_rule
    tiers = {t["key"]: (t["percent"], t["cap_yuan"]) for t in sp004["tiers"]}
    assert tiers == {"key_industries": (20, 100000000), "other": (10, 50000000)}  # 000 L104-113
    sp009 = PolicyItem.objects.get(code="SP-009").amount_rule
    assert [t["cap_yuan"] for t in sp009["tiers"]] == [1000000, 1000000, 200000]  # 002 L57-59
    sp011 = PolicyItem.objects.get(code="SP-011").amount_rule
    assert {t["key"]: (t["percent"], t["cap_yuan"]) for t in sp011["tiers"]} == tiers  # 002 L143-153


def _figures(rule: dict) -> list[str]:
    """Every amount and rate of a rule as the texts write them (20万元, 1亿元, 20%)."""
    found = []
    for spec in [rule, *rule.get("tiers", [])]:
        for key in ("cap_yuan", "amount_yuan", "pool_cap_yuan_per_year"):
            if spec.get(key) is not None:
                found.append(money_words(spec[key]))
        if spec.get("percent") is not None:
            found.append(percent_words(spec["percent"]))
    return found


def test_every_figure_of_a_detailed_rule_is_in_its_cited_lines(loaded):
    for item in PolicyItem.objects.filter(detailed=True):
        rule = item.amount_rule
        text = seedtext.cited(rule["cite"])
        for figure in _figures(rule):
            assert figure.replace("元", "") in text, f"{item.code}: {figure} not in {rule['cite']}"


def test_every_threshold_is_in_its_cited_lines(loaded):
    for item in PolicyItem.objects.filter(detailed=True):
        for criterion in item.eligibility:
            assert criterion.get("cite"), item.code
            if criterion["type"] == "threshold" and criterion["unit"] == "元" and criterion["value"] >= 10000:
                words = money_words(criterion["value"]).replace("元", "")
                assert words in seedtext.cited(criterion["cite"]), f"{item.code}: {words}"


def test_p14_threshold_is_30_yi(loaded):
    criterion = next(c for c in PolicyItem.objects.get(code="SP-029").eligibility if c["type"] == "threshold")
    assert criterion["value"] == 3000000000 and criterion["op"] == ">="
    assert "达到30亿元以上" in seedtext.cited("003 L303")


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# Dates whose text is not a plain 年月日 (checked by hand, see documents.yaml comments).
DATE_EXCEPTIONS = {("P26", "effective_from"), ("P26", "effective_to"), ("P21", "effective_to"), ("P13", "abolished_on")}


def test_document_dates_are_in_the_text(loaded):
    for doc in PolicyDocument.objects.all():
        text = re.sub(r"\s+", "", doc.source_text)
        for field in ("issued_on", "effective_from", "effective_to", "abolished_on"):
            day = getattr(doc, field)
            if day is None or (doc.code, field) in DATE_EXCEPTIONS:
                continue
            assert _chinese_date(day) in text, f"{doc.code}.{field} {day}"


def test_texts_are_the_seed_lines(loaded):
    if not seedtext.SEEDS.exists():
        pytest.skip("../shared/seeds 不在本机（CI 中与仓库并列）")
    for doc in PolicyDocument.objects.exclude(code="P29"):  # P29's first line is cut at the title
        first, last = (int(x) for x in doc.source_lines.split("-"))
        seed = (seedtext.SEEDS / doc.source_seed).read_text(encoding="utf-8").split("\n")[first - 1 : last]
        expected = "\n".join(s.rstrip() for s in seed).strip("\n")
        assert doc.source_text.strip("\n") == expected, doc.code


def test_in_force_on_given_days(loaded):
    docs = {d.code: d for d in PolicyDocument.objects.all()}
    assert docs["P01"].in_force_on(date(2026, 11, 25))  # 000 L184-186
    assert docs["P01"].in_force_on(date(2026, 12, 31))
    assert not docs["P01"].in_force_on(date(2027, 1, 1))
    assert not docs["P01"].in_force_on(date(2024, 2, 29))
    assert not docs["P03"].in_force_on(date(2026, 11, 25))  # 002 L369-371: ends 2025-12-31
    assert docs["P03"].in_force_on(date(2025, 12, 31))
    assert docs["P13"].in_force_on(date(2024, 1, 26))
    assert not docs["P13"].in_force_on(date(2024, 1, 27))  # abolished by P03 (002 L377-381)
    assert docs["P14"].effective_to is None  # states no end
    assert docs["P14"].in_force_on(date(2026, 11, 25)) and docs["P14"].in_force_on(date(2035, 1, 1))
    assert not docs["P14"].in_force_on(date(2022, 10, 8))  # 003 L330 施行 2022-10-09


def test_items_follow_their_document_or_their_own_period(loaded):
    items = {i.code: i for i in PolicyItem.objects.select_related("document")}
    assert items["SP-029"].in_force_on(date(2026, 11, 25))
    assert items["SP-001"].in_force_on(date(2026, 11, 25)) and not items["SP-001"].in_force_on(date(2027, 1, 1))
    assert not items["SP-022"].in_force_on(date(2024, 1, 27))  # P13 abolished
    # 003 L611: the clause runs to 2024-12-31 although P21 runs one year (003 L622)
    assert items["SP-074"].in_force_on(date(2024, 12, 31)) and not items["SP-074"].in_force_on(date(2025, 1, 1))
    # 003 L608: 算力券 2024—2027 outlives the document's one year
    assert items["SP-075"].in_force_on(date(2026, 11, 25))
    assert not items["SP-073"].in_force_on(date(2026, 1, 1))  # 十四五 ends 2025-12-31 (003 L588)


def test_supersession_is_linked(loaded):
    p03 = PolicyDocument.objects.get(code="P03")
    assert p03.supersedes.code == "P13"
    assert p03.supersedes.abolished_on == p03.effective_from == date(2024, 1, 27)
    assert "杭政办函〔2022〕29号）同时废止" in seedtext.cited("002 L379-381")


def test_exclusivity_groups(loaded):
    def group(code):
        return PolicyItem.objects.get(code=code).exclusivity_group.code

    assert group("SP-004") == group("SP-011") == "manufacturing-upgrade-subsidy"
    assert group("SP-009") == group("SP-022") == group("SP-062") == "specialised-tier-award"
    assert group("SP-001") == group("SP-061") == "first-above-scale-award"
    assert PolicyItem.objects.get(code="SP-003").exclusivity_group is None  # “再额外给予” (000 L35-37)
    assert ExclusivityGroup.objects.count() == 7
    assert all(g.description for g in ExclusivityGroup.objects.all())


def test_catalogue_items_get_their_bureau(loaded):
    items = {i.code: i for i in PolicyItem.objects.all()}
    assert items["SP-062"].bureau_function == "economy" and items["SP-062"].lead == "市经信局"  # 003 L399
    assert items["SP-042"].bureau_function == "science"
    assert items["SP-124"].bureau_function == "commerce"  # 003 L1058 开放: 市商务局
    assert items["SP-074"].bureau_function == "commerce"  # 003 L611
    assert items["SP-032"].materials[0]["label"] == "员工身份证复印件"  # catalogue materials kept
    assert items["SP-030"].effective_to == date(2023, 12, 31)  # 003 L366


def test_detailed_materials_say_where_they_come_from(loaded):
    for item in PolicyItem.objects.filter(detailed=True):
        assert item.materials, item.code
        for material in item.materials:
            assert material["source"], item.code
        if item.code != "SP-029":
            assert any("原文未列明" in m["source"] for m in item.materials), item.code


def test_budgets_and_rounds_are_left_alone(loaded):
    from policies.loader import load_all
    from policies.models import Round

    PolicyItem.objects.filter(code="SP-029").update(budget=Decimal("1000000.00"))
    load_all()
    assert PolicyItem.objects.get(code="SP-029").budget == Decimal("1000000.00")
    assert Round.objects.count() == 0
