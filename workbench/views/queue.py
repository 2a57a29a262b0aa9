"""The review queue (审核队列) and each role's landing page at /workbench/."""

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from applications.permissions import can_accept_application
from applications.selectors import application_list
from applications.workflow import State

from .. import selectors
from ..forms import QueueFilterForm
from ..services import applications_accept_batch
from ._common import official_required, page

QUEUE_HEADINGS = {
    Role.DISTRICT_REVIEWER: ("审核队列", "本属地、本条线的申报件。勾选“已申报”的案件可一次受理多件。"),
    Role.CO_REVIEWER: ("会审案件", "需要本部门出具会审意见的申报件（同意 / 不同意 + 说明）。"),
    Role.AUDITOR: ("全部案件（只读）", "审计可查看全部案件、历史与报表，不能办理。"),
    Role.CITY_APPROVER: ("案件", "本部门主管政策中已报市级审定的申报件。"),
    Role.FUND_OFFICER: ("审定通过案件", "本属地审定通过、待政策上线或已上线的申报件。"),
    Role.POLICY_ADMIN: ("案件", "全部政策事项的申报件（只读）。"),
}


@official_required()
def home(request: HttpRequest) -> HttpResponse:
    """Each role's landing page."""
    role = request.user.role
    if role == Role.CITY_APPROVER:
        from .city import city_lists

        return city_lists(request)
    if role == Role.FUND_OFFICER:
        from .funds import fund_home

        return fund_home(request)
    if role == Role.POLICY_ADMIN:
        from .policy import policies_index

        return policies_index(request)
    return queue(request)


@official_required()
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    scoped = application_list(user=user)
    items, rounds = selectors.queue_filter_choices(scoped)
    form = QueueFilterForm(request.GET or None, items=items, rounds=rounds)
    f = form.filters()
    filtered = scoped
    if f["policy"]:
        filtered = filtered.filter(item_id=f["policy"])
    if f["round"]:
        filtered = filtered.filter(round_id=f["round"])
    now = timezone.now()
    if f["overdue"]:
        filtered = filtered.filter(Q(review_overdue=True) | Q(state=State.DISTRICT_REVIEW, review_deadline__lte=now))
    counts = selectors.state_counts(filtered)
    total = sum(c["n"] for c in counts.values())
    if f["state"]:
        filtered = filtered.filter(state=f["state"])
    result = selectors.page_of(selectors.sorted_cases(filtered, f["sort"]), number=f["page"])
    left = selectors.working_days_left(
        [a.review_deadline for a in result.rows if a.state == State.DISTRICT_REVIEW], now=now
    )
    org = user.organisation
    opinion_given: set[int] = set()
    if user.role == Role.CO_REVIEWER and org is not None:
        opinion_given = selectors.current_opinion_functions([a.pk for a in result.rows], function=org.function)
    rows = [
        {
            "case": a,
            "clock": selectors.clock_for(a, left, now=now),
            "can_accept": a.state == State.SUBMITTED and can_accept_application(user, a)[0],
            "opinion_given": a.pk in opinion_given,
        }
        for a in result.rows
    ]
    state_tabs = [
        {
            "code": code,
            "label": label,
            "n": counts.get(code, {}).get("n", 0),
            "overdue": counts.get(code, {}).get("overdue", 0),
        }
        for code, label in State.choices
        if code in counts or code in (State.SUBMITTED, State.DISTRICT_REVIEW, State.DISTRICT_APPROVED)
    ]
    params = request.GET.copy()
    params.pop("page", None)
    heading, intro = QUEUE_HEADINGS.get(user.role, ("案件", ""))
    context = {
        "form": form,
        "f": f,
        "rows": rows,
        "result": result,
        "state_tabs": state_tabs,
        "total": total,
        "query": params.urlencode(),
        "heading": heading,
        "intro": intro,
        "batch_accept": user.role == Role.DISTRICT_REVIEWER,
        "is_co_reviewer": user.role == Role.CO_REVIEWER,
    }
    template = "workbench/partials/queue_results.html" if request.htmx else "workbench/queue.html"
    return page(request, template, context, tab="queue")


@require_POST
@official_required([Role.DISTRICT_REVIEWER])
def batch_accept(request: HttpRequest) -> HttpResponse:
    lines = applications_accept_batch(actor=request.user, application_ids=request.POST.getlist("ids"))
    context = {
        "lines": lines,
        "n_ok": sum(1 for line in lines if line.ok),
        "n_failed": sum(1 for line in lines if not line.ok),
    }
    return page(request, "workbench/batch_accept.html", context, tab="queue")
