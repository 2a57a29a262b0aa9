"""The award's life as data (SPEC §4). Only awards/services.py acts on it."""

from dataclasses import dataclass

from django.db import models


class AwardState(models.TextChoices):
    CLAIMABLE = "claimable", "待申领"
    CLAIMED = "claimed", "已申领"
    PAID = "paid", "已兑现"
    FORFEITED = "forfeited", "逾期未申领，视为自动放弃"
    RECOVERING = "recovering", "追回中"
    RECOVERED = "recovered", "已追回"
    CANCELLED = "cancelled", "作废"


TERMINAL = frozenset({AwardState.FORFEITED, AwardState.RECOVERED, AwardState.CANCELLED})
SYSTEM = "system"


@dataclass(frozen=True)
class AwardTransition:
    action: str
    sources: frozenset[str]
    target: str
    role: str
    needs_reason: bool
    label: str


def _t(action: str, sources: set[str], target: str, role: str, needs_reason: bool, label: str) -> AwardTransition:
    return AwardTransition(action, frozenset(sources), target, role, needs_reason, label)


AWARD_TRANSITIONS: dict[str, AwardTransition] = {
    t.action: t
    for t in [
        _t("claim", {AwardState.CLAIMABLE}, AwardState.CLAIMED, "enterprise", False, "申领"),
        _t("pay", {AwardState.CLAIMED}, AwardState.PAID, "fund_officer", False, "兑现"),
        _t("recover", {AwardState.PAID}, AwardState.RECOVERING, "fund_officer", True, "启动追回"),
        _t("recovered", {AwardState.RECOVERING}, AwardState.RECOVERED, "fund_officer", False, "追回到账"),
        _t("forfeit", {AwardState.CLAIMABLE}, AwardState.FORFEITED, SYSTEM, False, "逾期未申领"),
        _t("cancel", {AwardState.CLAIMABLE, AwardState.CLAIMED}, AwardState.CANCELLED, SYSTEM, True, "作废"),
    ]
}
