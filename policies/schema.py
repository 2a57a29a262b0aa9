"""Shapes of the JSON parts of a policy item, checked when loaded or edited.

Who calls: policies.loader (every item at load), and any service or admin form that edits an
item's materials, declared fields, criteria, amount rule or funding. Every check names the item
and the field, e.g. "SP-029 amount_rule.percent：应为0—100之间的数字". Errors are collected and
raised together as PolicySchemaError (a BadInput, HTTP 400).

The criterion shapes are documented in policies/rules/eligibility.py, the amount-rule shapes in
policies/rules/amounts.py. Materials are `[{"kind", "label", "required", "source"?, "help"?}]`;
declared fields `[{"key", "label", "type": number|text|date|boolean, "unit"?, "required", "min"?,
"max"?, "help"?, "options"?: [{"value", "label"}], "cite"?}]`; funding `{"city_percent",
"district_percent", "district_pays_first", "basis", "source"}`.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.models import Function
from common.errors import BadInput
from enterprises.models import SizeClass, Tag

from .rules.amount_kinds import KINDS
from .rules.eligibility import FLAGS, OPS


class PolicySchemaError(BadInput):
    """An item's data does not have the expected shape; the message lists every problem."""

    default_code = "policy_schema"


SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
MATERIAL_KEYS = {"kind", "label", "required", "source", "help"}
FIELD_KEYS = {"key", "label", "type", "unit", "required", "min", "max", "help", "options", "cite"}
FIELD_TYPES = {"number", "text", "date", "boolean"}
FUNDING_KEYS = {"city_percent", "district_percent", "district_pays_first", "basis", "source"}
SCHEDULE_KEYS = {"performance_from", "performance_to", "window_from", "window_to", "cite"}
CRITERION_KEYS = {
    "threshold": {"source", "field", "op", "value", "unit"},
    "designation": {
        "tags",
        "tag_field",
        "first_time",
        "granted_within_years",
        "min_years_held",
        "granted_between",
        "active",
    },
    "enterprise_flag": {"flag", "expected"},
    "size_class": {"in"},
    "registered_within_years": {"years"},
    "text": {"text"},
    "any_of": {"criteria"},
}
RULE_NUMBERS = {
    "cap_yuan", "amount_yuan", "percent", "min_yuan", "annual_cap_yuan", "total_cap_yuan", "lifetime_cap_yuan",
    "pool_cap_yuan", "pool_cap_yuan_per_year", "max_base_yuan", "max_loan_yuan", "rate", "rate_yuan_per_unit",
    "rate_yuan_per_watt", "min_months_rent_per_year", "max_booths", "max_times_per_person_per_year",
}  # fmt: skip
RULE_KEYS = RULE_NUMBERS | {
    "kind", "cite", "per", "note", "base", "base_field", "base_label", "base_unit", "bound", "tiers", "choose_by",
    "brackets", "per_unit", "rank_split", "stacking_limit", "pay_difference", "rate_unit", "award_word",
}  # fmt: skip
TIER_KEYS = {"key", "label", "condition", "percent", "cap_yuan", "amount_yuan", "min_base", "cite", "note", "bound",
             "base_field", "base_label"}  # fmt: skip
BOUNDS = {"max", "exact", "floor"}


class Checker:
    """Collects problems as "<where> <field>：<problem>" lines."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []

    def bad(self, path: str, problem: str) -> None:
        self.problems.append(f"{self.where} {path}：{problem}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise PolicySchemaError("；\n".join(self.problems))

    def number(self, path: str, value: Any, *, low: float | None = 0, high: float | None = None) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.bad(path, f"应为数字，实际为“{value}”")
        elif (low is not None and value < low) or (high is not None and value > high):
            self.bad(path, f"应在 {low}—{high if high is not None else '∞'} 之间，实际为 {value}")

    def keys(self, path: str, value: dict[str, Any], allowed: set[str]) -> None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            self.bad(path, f"不认识的键 {'、'.join(unknown)}")

    def iso_date(self, path: str, value: Any) -> date | None:
        if value is None:
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.bad(path, f"应为日期（如 2023-01-31），实际为“{value}”")
            return None


def validate_item(item: dict[str, Any]) -> None:
    """Check one item's fields (as stored on PolicyItem); raise PolicySchemaError listing every problem.

    Fully encoded items (`detailed` true) must also cite a seed line on every criterion and on the
    amount rule, list materials, and give funding percentages.
    """
    check = Checker(str(item.get("code") or "（无编号）"))
    detailed = bool(item.get("detailed"))
    if not item.get("name"):
        check.bad("name", "不能为空")
    if item.get("bureau_function") not in Function.values:
        check.bad("bureau_function", f"应为 {'、'.join(Function.values)} 之一")
    for i, dept in enumerate(item.get("review_departments") or []):
        if dept not in Function.values:
            check.bad(f"review_departments[{i}]", f"“{dept}”不是职能代码")
    if item.get("mode") not in {"apply", "instant", "auto"}:
        check.bad("mode", "应为 apply、instant 或 auto")
    materials(check, item.get("materials"), required=detailed)
    fields = declared_fields(check, item.get("declared_fields"))
    criteria(check, "eligibility", item.get("eligibility"), fields if detailed else None, need_cite=detailed)
    amount_rule(check, item.get("amount_rule"), fields if detailed else None, need_cite=detailed)
    funding(check, item.get("funding"), detailed=detailed)
    schedule = item.get("schedule") or {}
    check.keys("schedule", schedule, SCHEDULE_KEYS)
    for key in SCHEDULE_KEYS - {"cite"}:
        check.iso_date(f"schedule.{key}", schedule.get(key))
    check.raise_if_any()


def materials(check: Checker, value: Any, *, required: bool) -> None:
    """Check the materials checklist: unique slug kinds, a label, a required flag."""
    if not isinstance(value, list):
        check.bad("materials", "应为列表")
        return
    if required and not value:
        check.bad("materials", "完整编码的事项必须列出申报材料")
    seen: set[str] = set()
    for i, material in enumerate(value):
        path = f"materials[{i}]"
        if not isinstance(material, dict):
            check.bad(path, "应为 {kind, label, required}")
            continue
        check.keys(path, material, MATERIAL_KEYS)
        kind = material.get("kind")
        if not isinstance(kind, str) or not SLUG.match(kind):
            check.bad(f"{path}.kind", "应为小写英文代码，如 business_licence")
        elif kind in seen:
            check.bad(f"{path}.kind", f"“{kind}”重复")
        seen.add(str(kind))
        if not material.get("label"):
            check.bad(f"{path}.label", "不能为空")
        if not isinstance(material.get("required"), bool):
            check.bad(f"{path}.required", "应为 true 或 false")


def declared_fields(check: Checker, value: Any) -> dict[str, dict[str, Any]]:
    """Check the declared-field list; return it keyed by `key` for the cross-checks."""
    if not isinstance(value, list):
        check.bad("declared_fields", "应为列表")
        return {}
    found: dict[str, dict[str, Any]] = {}
    for i, spec in enumerate(value):
        path = f"declared_fields[{i}]"
        if not isinstance(spec, dict):
            check.bad(path, "应为 {key, label, type, unit, required}")
            continue
        check.keys(path, spec, FIELD_KEYS)
        key = spec.get("key")
        if not isinstance(key, str) or not SLUG.match(key):
            check.bad(f"{path}.key", "应为小写英文代码，如 retail_sales_2022h2")
            continue
        if key in found:
            check.bad(f"{path}.key", f"“{key}”重复")
        found[key] = spec
        if not spec.get("label"):
            check.bad(f"{path}.label", "不能为空")
        if spec.get("type") not in FIELD_TYPES:
            check.bad(f"{path}.type", "应为 number、text、date 或 boolean")
        if not isinstance(spec.get("required"), bool):
            check.bad(f"{path}.required", "应为 true 或 false")
        for bound in ("min", "max"):
            check.number(f"{path}.{bound}", spec.get(bound), low=None)
        for j, option in enumerate(spec.get("options") or []):
            if not (isinstance(option, dict) and option.get("value") not in (None, "") and option.get("label")):
                check.bad(f"{path}.options[{j}]", "应为 {value, label}")
    return found


def criteria(
    check: Checker, path: str, value: Any, fields: dict[str, dict[str, Any]] | None, *, need_cite: bool
) -> None:
    """Check a criteria list; with `fields`, declared keys must exist (detailed items)."""
    if not isinstance(value, list):
        check.bad(path, "应为列表")
        return
    for i, criterion in enumerate(value):
        criterion_one(check, f"{path}[{i}]", criterion, fields, need_cite=need_cite)


def criterion_one(
    check: Checker, path: str, criterion: Any, fields: dict[str, dict[str, Any]] | None, *, need_cite: bool
) -> None:
    """Check one criterion of any type (recursing into any_of)."""
    if not isinstance(criterion, dict):
        check.bad(path, "应为对象")
        return
    kind = criterion.get("type")
    if kind not in CRITERION_KEYS:
        check.bad(f"{path}.type", f"应为 {'、'.join(CRITERION_KEYS)} 之一，实际为“{kind}”")
        return
    check.keys(path, criterion, CRITERION_KEYS[kind] | {"type", "label", "cite"})
    if not criterion.get("label"):
        check.bad(f"{path}.label", "不能为空")
    if need_cite and not criterion.get("cite"):
        check.bad(f"{path}.cite", "完整编码的条件必须注明原文行号")
    if kind == "threshold":
        if criterion.get("op", ">=") not in OPS:
            check.bad(f"{path}.op", f"应为 {'、'.join(OPS)} 之一")
        if criterion.get("source", "declared") not in {"declared", "enterprise"}:
            check.bad(f"{path}.source", "应为 declared 或 enterprise")
        check.number(f"{path}.value", criterion.get("value"), low=None)
        if criterion.get("value") is None:
            check.bad(f"{path}.value", "不能为空")
        if criterion.get("source", "declared") == "declared":
            declared_ref(check, f"{path}.field", criterion.get("field"), fields, want_number=True)
    elif kind == "designation":
        tags = criterion.get("tags")
        if not tags or not isinstance(tags, list) or any(tag not in Tag.values for tag in tags):
            check.bad(f"{path}.tags", f"应为认定类型列表（{'、'.join(Tag.values)}）")
        if criterion.get("tag_field"):
            declared_ref(check, f"{path}.tag_field", criterion["tag_field"], fields)
        for key in ("granted_within_years", "min_years_held"):
            check.number(f"{path}.{key}", criterion.get(key), low=1)
        between = criterion.get("granted_between")
        if between is not None:
            days = [check.iso_date(f"{path}.granted_between", day) for day in between] if len(between) == 2 else []
            if len(days) != 2:
                check.bad(f"{path}.granted_between", "应为 [起始日期, 截止日期]")
            elif days[0] and days[1] and days[0] > days[1]:
                check.bad(f"{path}.granted_between", "起始日期晚于截止日期")
    elif kind == "enterprise_flag" and criterion.get("flag") not in FLAGS:
        check.bad(f"{path}.flag", f"应为 {'、'.join(FLAGS)} 之一")
    elif kind == "size_class" and not set(criterion.get("in") or []) <= set(SizeClass.values):
        check.bad(f"{path}.in", f"应为 {'、'.join(SizeClass.values)} 的列表")
    elif kind == "registered_within_years":
        check.number(f"{path}.years", criterion.get("years"), low=1)
    elif kind == "text" and not criterion.get("text"):
        check.bad(f"{path}.text", "不能为空")
    elif kind == "any_of":
        children = criterion.get("criteria")
        if not children:
            check.bad(f"{path}.criteria", "至少需要一项")
        criteria(check, f"{path}.criteria", children or [], fields, need_cite=False)


def declared_ref(
    check: Checker, path: str, key: Any, fields: dict[str, dict[str, Any]] | None, *, want_number: bool = False
) -> None:
    """A rule or criterion refers to a declared field: it must exist (when the item lists its fields)."""
    if not isinstance(key, str) or not key:
        check.bad(path, "应写明申报数据项的 key")
        return
    if fields is None:
        return
    if key not in fields:
        check.bad(path, f"“{key}”不在本事项的申报数据项中")
    elif want_number and fields[key].get("type") != "number":
        check.bad(path, f"“{key}”应为数字类型的申报数据项")


def amount_rule(check: Checker, rule: Any, fields: dict[str, dict[str, Any]] | None, *, need_cite: bool) -> None:
    """Check an amount rule (catalogue or rich shape); see policies/rules/amounts.py."""
    if not isinstance(rule, dict) or not rule:
        check.bad("amount_rule", "不能为空")
        return
    check.keys("amount_rule", rule, RULE_KEYS)
    kind = rule.get("kind")
    if kind not in KINDS:
        check.bad("amount_rule.kind", f"应为 {'、'.join(KINDS)} 之一，实际为“{kind}”")
        return
    if need_cite and not rule.get("cite"):
        check.bad("amount_rule.cite", "完整编码的奖补标准必须注明原文行号")
    for key in RULE_NUMBERS & set(rule):
        check.number(f"amount_rule.{key}", rule[key], high=100 if key == "percent" else None)
    if rule.get("bound") is not None and rule["bound"] not in BOUNDS:
        check.bad("amount_rule.bound", "应为 max、exact 或 floor")
    needs_base = kind in {"percent", "brackets", "rate"} or any(
        isinstance(t, dict) and (t.get("percent") is not None or t.get("min_base") is not None)
        for t in rule.get("tiers") or []
    )
    if fields is not None and needs_base:
        declared_ref(check, "amount_rule.base_field", rule.get("base_field"), fields, want_number=True)
    tiers = rule.get("tiers") or []
    if not isinstance(tiers, list):
        check.bad("amount_rule.tiers", "应为列表")
        tiers = []
    for i, tier in enumerate(tiers):
        path = f"amount_rule.tiers[{i}]"
        if not isinstance(tier, dict):
            check.bad(path, "应为对象")
            continue
        check.keys(path, tier, TIER_KEYS)
        for key in ("percent", "cap_yuan", "amount_yuan", "min_base"):
            check.number(f"{path}.{key}", tier.get(key), high=100 if key == "percent" else None)
    if rule.get("choose_by"):
        declared_ref(check, "amount_rule.choose_by", rule["choose_by"], fields)
        options = (fields or {}).get(rule["choose_by"], {}).get("options")
        keys = {str(t.get("key")) for t in tiers if isinstance(t, dict)}
        if options and {str(o.get("value")) for o in options} != keys:
            check.bad("amount_rule.choose_by", "申报数据项的选项应与各档的 key 一一对应")
    by_base = all(isinstance(t, dict) and t.get("min_base") is not None for t in tiers)
    if kind in {"tiered", "upgrade"} and fields is not None and tiers and not rule.get("choose_by") and not by_base:
        check.bad("amount_rule.choose_by", "分档规则需写明 choose_by，或每档写明 min_base")
    for i, band in enumerate(rule.get("brackets") or []):
        check.number(f"amount_rule.brackets[{i}].from_yuan", band.get("from_yuan"))
        check.number(f"amount_rule.brackets[{i}].to_yuan", band.get("to_yuan"))
        check.number(f"amount_rule.brackets[{i}].percent", band.get("percent"), high=100)
    if kind == "brackets" and not rule.get("brackets"):
        check.bad("amount_rule.brackets", "分段累加规则至少需要一段")
    for key in ("per_unit", "rank_split", "stacking_limit"):
        spec = rule.get(key)
        if spec is not None:
            if not isinstance(spec, dict):
                check.bad(f"amount_rule.{key}", "应为对象")
            else:
                declared_ref(check, f"amount_rule.{key}.field", spec.get("field"), fields)


def funding(check: Checker, value: Any, *, detailed: bool) -> None:
    """Check the funding split: city + district = 100, both null only for catalogue items."""
    if not isinstance(value, dict):
        check.bad("funding", "应为 {city_percent, district_percent, district_pays_first, basis, source}")
        return
    check.keys("funding", value, FUNDING_KEYS)
    city, district = value.get("city_percent"), value.get("district_percent")
    check.number("funding.city_percent", city, high=100)
    check.number("funding.district_percent", district, high=100)
    if (city is None) != (district is None):
        check.bad("funding", "市、区比例应同时填写或同时为空")
    elif isinstance(city, int | float) and isinstance(district, int | float) and city + district != 100:
        check.bad("funding", f"市、区比例之和应为100，实际为 {city + district}")
    if detailed and (city is None or not value.get("source")):
        check.bad("funding", "完整编码的事项须写明市、区比例和原文出处（source）")
    if not isinstance(value.get("district_pays_first", False), bool):
        check.bad("funding.district_pays_first", "应为 true 或 false")


def validate_document(doc: dict[str, Any], known_codes: set[str]) -> None:
    """Check one documents.yaml entry; raise PolicySchemaError naming the document and field."""
    check = Checker(str(doc.get("code") or "（无编号）"))
    if not re.match(r"^P\d{2}$", str(doc.get("code"))):
        check.bad("code", "应为 P 加两位数字，如 P01")
    if not doc.get("title"):
        check.bad("title", "不能为空")
    days = {
        key: check.iso_date(key, doc.get(key))
        for key in ("issued_on", "effective_from", "effective_to", "abolished_on")
    }
    if days["effective_from"] and days["effective_to"] and days["effective_from"] > days["effective_to"]:
        check.bad("effective_to", "有效期截止日早于施行日期")
    if doc.get("supersedes") and doc["supersedes"] not in known_codes:
        check.bad("supersedes", f"“{doc['supersedes']}”不在文件列表中")
    check.raise_if_any()
