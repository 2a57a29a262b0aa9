"""Eligibility: criteria are data on the item; one evaluator explains each one in Chinese.

Criterion shapes (dicts; every one has `type`, `label` and `cite`, the seed line, e.g. "003 L303"):

- ``threshold``: a figure compared with a value. `source` "declared" (the application's declared
  figures, `field` is the declared key) or "enterprise" (`field` is an Enterprise attribute such
  as "annual_revenue" or "employees", or "figures.<key>" for Enterprise.figures); `op` one of
  ">=", ">", "<=", "<", "=="; `value`; `unit` ("元" figures are shown in 万元/亿元).
- ``designation``: the enterprise holds one of `tags` (enterprises.models.Tag values), valid on the
  day (`active`, default true). Options: `first_time` (首次认定), `granted_within_years` N
  (granted less than N years before the day, e.g. 新升规 within the 3-year 成长培育期),
  `min_years_held` N (held for at least N years, e.g. 连续3年在规), `granted_between`
  [from, to] (ISO dates, inclusive), `tag_field` (a declared key whose value picks which of the
  tags must be held, e.g. the 认定档次 chosen for the award).
- ``enterprise_flag``: `flag` in_statistics_db / registered_in_hangzhou / independent_legal_entity
  must equal `expected` (default true).
- ``size_class``: the enterprise's size class is in `in` (large/medium/small/micro).
- ``registered_within_years``: registered (成立) less than `years` years before the day.
- ``text``: a condition a reviewer checks by hand (`text`). Never blocks: passed is None and the
  message says 需人工核验.
- ``any_of``: `criteria`, a list of criteria; passes if one passes, needs review if none fails
  outright but some need review.

Result: `eligible` is False when any criterion failed (passed False); None (manual check) does
not block. `as_dict()` is the SPEC's `{"eligible": bool, "reasons": [...]}`, each reason
`{"criterion", "passed", "message"}`.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from common.errors import BadInput
from enterprises.models import SizeClass, Tag

from .formatting import quantity_words, to_decimal

OPS = {
    ">=": ("≥", lambda a, b: a >= b),
    ">": (">", lambda a, b: a > b),
    "<=": ("≤", lambda a, b: a <= b),
    "<": ("<", lambda a, b: a < b),
    "==": ("=", lambda a, b: a == b),
}
FLAGS = {
    "in_statistics_db": "在库并上报统计报表",
    "registered_in_hangzhou": "在杭注册并纳税",
    "independent_legal_entity": "独立法人",
}
Outcome = tuple[bool | None, str]


@dataclass
class EligibilityResult:
    """Whether the enterprise qualifies, with one reason per criterion."""

    eligible: bool
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The API shape: {"eligible": bool, "reasons": [{"criterion", "passed", "message"}]}."""
        return {"eligible": self.eligible, "reasons": [dict(reason) for reason in self.reasons]}

    @property
    def manual_checks(self) -> list[dict[str, Any]]:
        """Reasons a reviewer must check by hand (需人工核验 / 待申报时填写)."""
        return [reason for reason in self.reasons if reason["passed"] is None]


@dataclass
class _Context:
    enterprise: Any
    declared: dict[str, Any] | None  # None: profile mode (政策超市), declared figures not asked yet
    on: date
    designations: list[Any]


def evaluate(
    criteria: list[dict[str, Any]], *, enterprise: Any, declared: dict[str, Any], on: date
) -> EligibilityResult:
    """Check an enterprise and its declared figures against an item's criteria on a day.

    Who calls: applications (whenever the declared figures change, and at submission), reviewers'
    case page. `enterprise` is an Enterprise; its designations are read through
    `enterprise.designations.all()`, so prefetch them for lists. A missing or non-numeric
    declared figure fails its criterion with a message saying what to fill in.
    Raises BadInput for an unknown criterion type (the item's data is broken).
    """
    return _run(criteria, _Context(enterprise, dict(declared or {}), on, list(enterprise.designations.all())))


def evaluate_profile(criteria: list[dict[str, Any]], *, enterprise: Any, on: date) -> EligibilityResult:
    """Like `evaluate` but from the enterprise profile alone, for the 政策超市 list.

    Criteria on declared figures are not judged (passed None, 待申报时填写), nor are missing
    enterprise figures, so a policy is hidden only when the profile rules it out.
    """
    return _run(criteria, _Context(enterprise, None, on, list(enterprise.designations.all())))


def _run(criteria: list[dict[str, Any]], ctx: _Context) -> EligibilityResult:
    reasons = []
    for criterion in criteria or []:
        passed, message = _check(criterion, ctx)
        reasons.append({"criterion": _label(criterion), "passed": passed, "message": message})
    return EligibilityResult(eligible=all(r["passed"] is not False for r in reasons), reasons=reasons)


def _label(criterion: dict[str, Any]) -> str:
    return str(criterion.get("label") or criterion.get("text") or criterion.get("type"))


def _cite(criterion: dict[str, Any]) -> str:
    return f"（{criterion['cite']}）" if criterion.get("cite") else ""


def _check(criterion: dict[str, Any], ctx: _Context) -> Outcome:
    kind = criterion.get("type")
    checker = _CHECKERS.get(str(kind))
    if checker is None:
        raise BadInput(f"申报条件“{_label(criterion)}”的类型“{kind}”无法识别。")
    return checker(criterion, ctx)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` years earlier (29 Feb falls back to 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _threshold(criterion: dict[str, Any], ctx: _Context) -> Outcome:
    label, unit, cite = _label(criterion), criterion.get("unit") or "", _cite(criterion)
    symbol, compare = OPS[str(criterion.get("op", ">="))]
    limit = to_decimal(criterion.get("value"), label=label)
    assert limit is not None, f"threshold {label} has no value"
    wanted = f"{symbol} {quantity_words(limit, unit)}"
    source = criterion.get("source", "declared")
    if source == "declared":
        if ctx.declared is None:
            return None, f"{label}：待申报时填写（条件：{wanted}）{cite}"
        raw = ctx.declared.get(criterion["field"])
        where = "申报表"
    else:
        raw = _enterprise_figure(ctx.enterprise, str(criterion["field"]))
        where = "企业信息"
    if raw in (None, ""):
        if source != "declared" and ctx.declared is None:
            return None, f"企业信息未填写“{label}”，暂无法判断（条件：{wanted}）{cite}"
        unit_words = f"（单位：{unit}）" if unit else ""
        return False, f"未填写“{label}”，请在{where}中填写{unit_words}，条件为 {wanted}{cite}"
    try:
        value = to_decimal(raw, label=label)
    except BadInput as error:
        return False, f"{error.message}{cite}"
    assert value is not None
    shown = quantity_words(value, unit)
    if compare(value, limit):
        return True, f"{label} {shown} {wanted}{cite}"
    return False, f"{label} {shown}，不满足 {wanted} 的条件{cite}"


def _enterprise_figure(enterprise: Any, path: str) -> Any:
    if path.startswith("figures."):
        return (enterprise.figures or {}).get(path.split(".", 1)[1])
    return getattr(enterprise, path, None)


def _tag_words(tags: list[str]) -> str:
    names = dict(Tag.choices)
    return "或".join(str(names.get(tag, tag)) for tag in tags)


def _wanted_tags(criterion: dict[str, Any], ctx: _Context) -> list[str] | str:
    tags = list(criterion.get("tags") or [])
    field_key = criterion.get("tag_field")
    if field_key and ctx.declared:
        chosen = ctx.declared.get(field_key)
        if chosen not in (None, ""):
            if chosen not in tags:
                return f"所选档次“{chosen}”不是本条件接受的认定（可选：{_tag_words(tags)}）"
            return [chosen]
    return tags


def _designation_problem(designation: Any, criterion: dict[str, Any], on: date) -> str | None:
    """Why this designation does not satisfy the criterion, or None if it does."""
    granted = designation.granted_on
    if criterion.get("active", True):
        if granted > on:
            return f"认定日期 {granted} 晚于 {on}"
        if designation.expires_on and designation.expires_on < on:
            return f"认定已于 {designation.expires_on} 到期"
    if criterion.get("first_time") and not designation.first_time:
        return f"{granted} 的认定不是首次认定"
    if criterion.get("granted_within_years"):
        years = int(criterion["granted_within_years"])
        if granted <= years_before(on, years):
            return f"认定（取得）日期 {granted} 距 {on} 已满{years}年"
    if criterion.get("min_years_held"):
        years = int(criterion["min_years_held"])
        if granted > years_before(on, years):
            return f"认定（取得）日期 {granted} 距 {on} 未满{years}年"
    between = criterion.get("granted_between")
    if between:
        start, end = (date.fromisoformat(str(day)) for day in between)
        if not start <= granted <= end:
            return f"认定（取得）日期 {granted} 不在 {start} 至 {end} 之间"
    return None


def _designation(criterion: dict[str, Any], ctx: _Context) -> Outcome:
    label, cite = _label(criterion), _cite(criterion)
    tags = _wanted_tags(criterion, ctx)
    if isinstance(tags, str):
        return False, f"{tags}{cite}"
    held = sorted((d for d in ctx.designations if d.tag in tags), key=lambda d: d.granted_on, reverse=True)
    if not held:
        return False, f"企业信息中没有{_tag_words(tags)}的认定记录，不满足“{label}”{cite}"
    problems = []
    for designation in held:
        problem = _designation_problem(designation, criterion, ctx.on)
        if problem is None:
            first = "，首次认定" if criterion.get("first_time") else ""
            return True, (
                f"持有{designation.get_tag_display()}（{designation.granted_on}取得{first}），符合“{label}”{cite}"
            )
        problems.append(f"{designation.get_tag_display()}：{problem}")
    return False, f"不满足“{label}”：{'；'.join(problems)}{cite}"


def _flag(criterion: dict[str, Any], ctx: _Context) -> Outcome:
    flag = str(criterion["flag"])
    expected = bool(criterion.get("expected", True))
    label, cite = _label(criterion), _cite(criterion)
    actual = bool(getattr(ctx.enterprise, flag))
    words = "是" if actual else "否"
    if actual == expected:
        return True, f"{label}：企业信息显示“{FLAGS.get(flag, flag)}”为{words}{cite}"
    return False, (
        f"{label}：企业信息显示“{FLAGS.get(flag, flag)}”为{words}，不符合条件；如信息有误，请先更新企业信息{cite}"
    )


def _size_class(criterion: dict[str, Any], ctx: _Context) -> Outcome:
    allowed = list(criterion.get("in") or [])
    names = dict(SizeClass.choices)
    wanted = "、".join(str(names.get(size, size)) for size in allowed)
    actual = ctx.enterprise.size_class
    shown = names.get(actual, actual)
    if actual in allowed:
        return True, f"企业规模为{shown}，属于{wanted}{_cite(criterion)}"
    return False, f"企业规模为{shown}，本事项只支持{wanted}企业{_cite(criterion)}"


def _registered_within(criterion: dict[str, Any], ctx: _Context) -> Outcome:
    years = int(criterion["years"])
    registered = ctx.enterprise.registered_on
    cite = _cite(criterion)
    if registered is None:
        if ctx.declared is None:
            return None, f"企业信息未填写成立日期，暂无法判断是否成立{years}年以内{cite}"
        return False, f"企业信息缺少成立日期，请先在企业信息中填写（条件：成立{years}年以内）{cite}"
    if registered > years_before(ctx.on, years):
        return True, f"成立于 {registered}，在{years}年以内{cite}"
    return False, f"成立于 {registered}，已超过{years}年{cite}"


def _text(criterion: dict[str, Any], ctx: _Context) -> Outcome:
    return None, f"需人工核验：{criterion.get('text') or _label(criterion)}{_cite(criterion)}"


def _any_of(criterion: dict[str, Any], ctx: _Context) -> Outcome:
    outcomes = [_check(child, ctx) for child in criterion.get("criteria") or []]
    for passed, message in outcomes:
        if passed:
            return True, message
    unsure = [message for passed, message in outcomes if passed is None]
    if unsure:
        return None, f"“{_label(criterion)}”需人工核验：{'；或 '.join(unsure)}"
    return False, f"“{_label(criterion)}”的各项均不满足：{'；'.join(message for _, message in outcomes)}"


_CHECKERS = {
    "threshold": _threshold,
    "designation": _designation,
    "enterprise_flag": _flag,
    "size_class": _size_class,
    "registered_within_years": _registered_within,
    "text": _text,
    "any_of": _any_of,
}

__all__ = ["EligibilityResult", "evaluate", "evaluate_profile", "years_before"]
