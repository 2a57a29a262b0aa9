"""Named permission predicates for applications. Each returns (allowed, reason in Chinese).

They answer "may this user do this to this case" from role, organisation, district and the
policy line the bureau handles. Visibility (may the user see the case at all) lives in
applications/selectors.py; a predicate is only consulted for a case the user can see.
"""

from accounts.models import Role, User

from .models import Application

Decision = tuple[bool, str]
OK: Decision = (True, "")


def _is_enterprise_member(user: User, application: Application) -> bool:
    return (
        user.role == Role.ENTERPRISE
        and user.enterprise_id is not None
        and user.enterprise_id == application.enterprise_id
    )


def _district_bureau_in_scope(user: User, application: Application) -> bool:
    org = user.organisation
    return (
        org is not None
        and org.district_id == application.district_id
        and application.item.bureau_function in org.handled_functions
    )


def can_edit_application(user: User, application: Application) -> Decision:
    if not _is_enterprise_member(user, application):
        return False, "只有申报企业的用户可以修改申报件。"
    return OK


def can_submit_application(user: User, application: Application) -> Decision:
    if not _is_enterprise_member(user, application):
        return False, "只有申报企业的用户可以提交申报。"
    return OK


can_withdraw_application = can_submit_application
can_resubmit_application = can_submit_application


def can_review_application(user: User, application: Application) -> Decision:
    """Accept, return, reject, approve, put on a city list: the district bureau's reviewer."""
    if user.role != Role.DISTRICT_REVIEWER:
        return False, "只有属地审核员可以执行属地审核操作。"
    if not _district_bureau_in_scope(user, application):
        return False, "该申报件不属于您所在属地或主管条线。"
    return OK


can_accept_application = can_review_application


def acted_at_district_stage(user: User, application: Application) -> bool:
    """Did this person take part in the district stage of the case (review or co-review)?"""
    from reviews.models import Opinion

    district_actions = ("accept", "return", "reject", "approve", "submit_to_city", "override")
    return (
        application.district_reviewer_id == user.id
        or application.events.filter(actor=user, action__in=district_actions).exists()
        or Opinion.objects.filter(application=application, officer=user).exists()
    )


def can_city_decide_application(user: User, application: Application) -> Decision:
    if user.role != Role.CITY_APPROVER:
        return False, "只有市级审定人员可以审定。"
    org = user.organisation
    if org is None or application.item.bureau_function not in org.handled_functions:
        return False, "该政策事项不由您所在的市级部门审定。"
    if acted_at_district_stage(user, application):
        return False, "同一人不得在同一案件的两个环节办理（您已参与该案件的属地审核）。"
    return OK


def can_give_opinion(user: User, application: Application) -> Decision:
    if user.role != Role.CO_REVIEWER or user.organisation is None:
        return False, "只有会审部门人员可以出具会审意见。"
    org = user.organisation
    if org.district_id is not None and org.district_id != application.district_id:
        return False, "该申报件不属于您所在属地。"
    if org.function not in application.item.review_departments:
        return False, "该政策事项的会审部门不包括您所在部门。"
    if application.district_reviewer_id == user.id:
        return False, "同一人不得在同一案件的两个环节办理。"
    return OK


ACTION_PERMISSIONS = {
    "submit": can_submit_application,
    "withdraw": can_withdraw_application,
    "resubmit": can_resubmit_application,
    "accept": can_accept_application,
    "return": can_review_application,
    "reject": can_review_application,
    "approve": can_review_application,
    "submit_to_city": can_review_application,
    "city_approve": can_city_decide_application,
    "city_reject": can_city_decide_application,
    "city_return": can_city_decide_application,
}
