"""Named predicates for awards; each returns (allowed, reason)."""

from accounts.models import Role, User

from .models import Award

Decision = tuple[bool, str]


def can_claim_award(user: User, award: Award) -> Decision:
    if user.role != Role.ENTERPRISE or user.enterprise_id != award.enterprise_id:
        return False, "只有获奖企业的用户可以申领。"
    return True, ""


def can_manage_award_funds(user: User, award: Award) -> Decision:
    """Pay, start recovery, record money back: the fund officer of the award's district."""
    org = user.organisation
    if user.role != Role.FUND_OFFICER or org is None or org.district_id != award.district_id:
        return False, "只有属地兑现人员可以办理兑现和追回。"
    return True, ""


AWARD_PERMISSIONS = {
    "claim": can_claim_award,
    "pay": can_manage_award_funds,
    "recover": can_manage_award_funds,
    "recovered": can_manage_award_funds,
}
