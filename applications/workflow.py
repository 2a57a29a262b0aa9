"""The application's life as data (SPEC §3). Only applications/services.py acts on it.

`TRANSITIONS` maps each action to the states it may start from, the state it leads to, the role
that may perform it (checked further by the named predicate in applications/permissions.py) and
whether a written reason is required. `SYSTEM` actions are performed by deadline jobs only.
"""

from dataclasses import dataclass

from django.db import models


class State(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已申报"
    DISTRICT_REVIEW = "district_review", "属地审核中"
    RETURNED = "returned", "退回补正"
    DISTRICT_REJECTED = "district_rejected", "属地审核不通过"
    DISTRICT_APPROVED = "district_approved", "属地审核通过"
    CITY_REVIEW = "city_review", "市级审定中"
    APPROVED = "approved", "审定通过"
    CITY_REJECTED = "city_rejected", "审定不通过"
    WITHDRAWN = "withdrawn", "已撤回"
    EXPIRED = "expired", "逾期未申报"


TERMINAL = frozenset({State.DISTRICT_REJECTED, State.CITY_REJECTED, State.WITHDRAWN, State.EXPIRED})
# States in which an application still occupies its enterprise's place in the round.
NOT_LIVE = (State.WITHDRAWN, State.EXPIRED)
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    role: str  # accounts.Role value, or SYSTEM
    needs_reason: bool
    label: str


def _t(action: str, sources: set[str], target: str, role: str, needs_reason: bool, label: str) -> Transition:
    return Transition(action, frozenset(sources), target, role, needs_reason, label)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("submit", {State.DRAFT}, State.SUBMITTED, "enterprise", False, "提交申报"),
        _t("withdraw", {State.SUBMITTED}, State.WITHDRAWN, "enterprise", False, "撤回申报"),
        _t("accept", {State.SUBMITTED}, State.DISTRICT_REVIEW, "district_reviewer", False, "受理"),
        _t("return", {State.DISTRICT_REVIEW}, State.RETURNED, "district_reviewer", True, "退回补正"),
        _t("resubmit", {State.RETURNED}, State.SUBMITTED, "enterprise", False, "补正后重新提交"),
        _t("reject", {State.DISTRICT_REVIEW}, State.DISTRICT_REJECTED, "district_reviewer", True, "审核不通过"),
        _t("approve", {State.DISTRICT_REVIEW}, State.DISTRICT_APPROVED, "district_reviewer", False, "审核通过"),
        _t("submit_to_city", {State.DISTRICT_APPROVED}, State.CITY_REVIEW, "district_reviewer", False, "提交审定"),
        _t("city_approve", {State.CITY_REVIEW}, State.APPROVED, "city_approver", False, "审定通过"),
        _t("city_reject", {State.CITY_REVIEW}, State.CITY_REJECTED, "city_approver", True, "审定不通过"),
        _t("city_return", {State.CITY_REVIEW}, State.DISTRICT_REVIEW, "city_approver", True, "退回属地"),
        _t("expire", {State.DRAFT, State.RETURNED}, State.EXPIRED, SYSTEM, False, "逾期"),
        # 即申即享 (R50): an item in instant mode is approved by the system on submission when
        # every criterion passes automatically; otherwise the case goes the ordinary way.
        _t("instant_approve", {State.SUBMITTED}, State.APPROVED, SYSTEM, False, "即申即享自动审定"),
    ]
}

# URL action names of SPEC §9 (dashes) to table keys.
API_ACTIONS = {
    "submit": "submit",
    "withdraw": "withdraw",
    "accept": "accept",
    "return": "return",
    "resubmit": "resubmit",
    "reject": "reject",
    "approve": "approve",
    "city-approve": "city_approve",
    "city-reject": "city_reject",
    "city-return": "city_return",
}


def actions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
