"""Who hears about an application's step, and in what words. Queued with notify_on_commit, so
nothing is sent for an action that rolls back."""

from django.utils import timezone

from accounts.models import Role
from accounts.selectors import city_approvers, co_reviewers, district_officials, enterprise_users
from notifications.services import notify_on_commit

from .models import Application


def _supplement_text(application: Application, reason: str) -> str:
    if not application.supplement_deadline:
        return reason
    deadline = timezone.localtime(application.supplement_deadline)
    return f"需补正的内容：{reason}\n补正截止：{deadline:%Y年%m月%d日 %H:%M}"


def _tell_reviewers(application: Application, *, kind: str, title: str, body: str) -> None:
    """The case's district reviewers (of the item's bureau function), after commit."""
    notify_on_commit(
        users=district_officials(
            role=Role.DISTRICT_REVIEWER,
            district_id=application.district_id,
            function=application.item.bureau_function,
        ),
        kind=kind,
        title=title,
        link=f"/workbench/cases/{application.pk}/",
        body=body,
    )


def notify_transition(application: Application, action: str, reason: str) -> None:
    """Tell the people of the next step, after commit (called by application_transition only)."""
    link = f"/applications/{application.pk}/"
    ent = list(enterprise_users(enterprise_id=application.enterprise_id))
    item = application.item
    name = f"“{item.name}”申报件 #{application.pk}"
    if action == "submit":
        notify_on_commit(
            users=ent, kind="submitted", title=f"{name}已提交", link=link, body="申报已提交，等待属地主管部门受理。"
        )
        _tell_reviewers(
            application, kind="case_submitted", title=f"新申报：{application.enterprise.name}", body=f"{name}待受理。"
        )
    elif action == "resubmit":
        _tell_reviewers(
            application,
            kind="case_resubmitted",
            title=f"补正后重新提交：{application.enterprise.name}",
            body=f"{name}已补正，请重新受理。",
        )
    elif action == "accept":
        notify_on_commit(
            users=ent,
            kind="accepted",
            title=f"{name}已受理",
            link=link,
            body="属地主管部门已受理，正在会同有关部门审核。",
        )
        notify_on_commit(
            users=co_reviewers(district_id=application.district_id, functions=list(item.review_departments)),
            kind="co_review",
            title=f"请出具会审意见：{application.enterprise.name}",
            link=f"/workbench/cases/{application.pk}/",
            body=f"{name}需要贵部门出具会审意见。",
        )
    elif action == "return":
        notify_on_commit(
            users=ent,
            kind="returned",
            title=f"{name}被退回补正",
            link=link,
            body=_supplement_text(application, reason),
        )
    elif action in ("reject", "city_reject"):
        notify_on_commit(users=ent, kind="rejected", title=f"{name}未通过审核", link=link, body=f"理由：{reason}")
    elif action == "approve":
        notify_on_commit(
            users=ent, kind="district_approved", title=f"{name}属地审核通过", link=link, body="将报市级部门审定。"
        )
    elif action == "submit_to_city":
        notify_on_commit(
            users=city_approvers(function=item.bureau_function),
            kind="city_list",
            title=f"{application.district.name}报审：{application.enterprise.name}",
            link=f"/workbench/cases/{application.pk}/",
            body=f"{name}待审定。",
        )
    elif action == "city_approve":
        notify_on_commit(
            users=ent,
            kind="approved",
            title=f"{name}审定通过",
            link=link,
            body=f"审定金额 {application.amount:,.2f} 元。政策上线后请在申领期限内申领。",
        )
        notify_on_commit(
            users=district_officials(role=Role.FUND_OFFICER, district_id=application.district_id),
            kind="approved_for_funding",
            title=f"审定通过待上线：{application.enterprise.name}",
            link=f"/workbench/cases/{application.pk}/",
            body=f"{name}审定金额 {application.amount:,.2f} 元。",
        )
    elif action == "city_return":
        _tell_reviewers(
            application, kind="city_returned", title=f"市级退回：{application.enterprise.name}", body=f"理由：{reason}"
        )
