"""报审名单: the district reviewer assembles and submits; the city approver decides each case."""

from decimal import Decimal

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Role
from applications.selectors import application_list
from applications.workflow import State
from common.errors import NotFound
from policies.models import Round
from reviews.models import CityList
from reviews.selectors import access_city_list_by_id, city_list_queryset_for
from reviews.services import city_list_add, city_list_create, city_list_submit

from .. import selectors
from ..forms import IdsForm
from ._common import attempt, form_errors, int_param, official_required, page

LIST_ROLES = [Role.DISTRICT_REVIEWER, Role.CITY_APPROVER, Role.AUDITOR, Role.POLICY_ADMIN, Role.FUND_OFFICER]


def _assemblable(user, round_id: int):
    """District-approved cases of the round not on a list still being drafted."""
    return (
        application_list(user=user, filters={"state": State.DISTRICT_APPROVED, "round": round_id})
        .filter(Q(city_list__isnull=True) | ~Q(city_list__status=CityList.Status.DRAFT))
        .order_by("enterprise__name", "id")
    )


@official_required(LIST_ROLES)
def city_lists(request: HttpRequest) -> HttpResponse:
    user = request.user
    lists_qs = city_list_queryset_for(user)
    context: dict = {"is_reviewer": user.role == Role.DISTRICT_REVIEWER, "is_city": user.role == Role.CITY_APPROVER}
    if user.role == Role.DISTRICT_REVIEWER:
        approved = application_list(user=user, filters={"state": State.DISTRICT_APPROVED}).filter(
            Q(city_list__isnull=True) | ~Q(city_list__status=CityList.Status.DRAFT)
        )
        counts = {
            r["round_id"]: r["n"] for r in approved.order_by().values("round_id").annotate(n=Count("id")).order_by()
        }
        rounds = list(Round.objects.filter(pk__in=counts).order_by("-opens_at"))
        for r in rounds:
            r.n_ready = counts[r.pk]
        round_id = int_param(request.GET.get("round")) or (rounds[0].pk if len(rounds) == 1 else None)
        chosen = next((r for r in rounds if r.pk == round_id), None)
        context.update({"rounds": rounds, "chosen": chosen})
        if chosen is not None:
            context["cases"] = list(_assemblable(user, chosen.pk))
            context["drafts"] = list(lists_qs.filter(round_id=chosen.pk, status=CityList.Status.DRAFT).order_by("-id"))
        context["lists"] = list(lists_qs.annotate(n_cases=Count("applications")).order_by("-id")[:100])
    else:
        context["groups"] = selectors.city_lists_by_district(lists_qs)
    tab = "city_lists"
    return page(request, "workbench/city_lists.html", context, tab=tab)


@require_POST
@official_required([Role.DISTRICT_REVIEWER])
def city_list_assemble(request: HttpRequest) -> HttpResponse:
    """Put the checked cases on a new list or on a list being drafted (one transaction)."""
    user = request.user
    round_id = int_param(request.POST.get("round"))
    back = f"{reverse('workbench:city-lists')}?round={round_id or ''}"
    allowed = [a.pk for a in _assemblable(user, round_id)] if round_id else []
    form = IdsForm(request.POST, allowed=allowed)
    if not form.is_valid():
        form_errors(request, form)
        return redirect(back)
    ids = form.cleaned_data["ids"]
    target = request.POST.get("target") or "new"
    if target == "new":
        ok, result = attempt(
            request,
            lambda: city_list_create(actor=user, round_id=round_id, application_ids=ids),
            success=lambda cl: f"已新建报审名单 #{cl.pk}，含 {len(ids)} 件。核对后请“提交审定”。",
        )
    else:
        ok, result = attempt(
            request,
            lambda: city_list_add(actor=user, city_list_id=int_param(target, 0), application_ids=ids),
            success=lambda cl: f"已将 {len(ids)} 件加入报审名单 #{cl.pk}。",
        )
    return redirect("workbench:city-list", city_list_id=result.pk) if ok else redirect(back)


@official_required(LIST_ROLES)
def city_list_detail(request: HttpRequest, city_list_id: int) -> HttpResponse:
    user = request.user
    try:
        city_list = access_city_list_by_id(user=user, city_list_id=city_list_id)
    except NotFound:
        raise Http404("未找到该报审名单，或您无权查看。") from None
    cases = list(application_list(user=user).filter(city_list_id=city_list.pk).order_by("enterprise__name", "id"))
    deciding = user.role == Role.CITY_APPROVER
    rows = []
    if deciding:
        pending = [a for a in cases if a.state == State.CITY_REVIEW]
        acted = selectors.district_stage_participants(user, [a.pk for a in pending])
        received = selectors.received_by_enterprise_item(pending)
        handled = user.organisation.handled_functions if user.organisation else []
    for a in cases:
        row = {"case": a, "decide": False}
        if deciding and a.state == State.CITY_REVIEW:
            if a.item.bureau_function not in handled:
                row["why"] = "该政策事项不由您所在的市级部门审定。"
            elif a.pk in acted:
                row["why"] = "同一人不得在同一案件的两个环节办理（您已参与该案件的属地审核）。"
            else:
                row["decide"] = True
                maximum = selectors.amount_maximum(
                    a, already_received=received.get((a.enterprise_id, a.item_id), Decimal(0))
                )
                row["maximum"] = maximum
                proposed = a.suggested_amount
                row["proposed"] = min(proposed, maximum) if proposed is not None and maximum is not None else proposed
        rows.append(row)
    context = {
        "city_list": city_list,
        "rows": rows,
        "budget": selectors.round_budget(city_list.round),
        "can_submit": user.role == Role.DISTRICT_REVIEWER and city_list.status == CityList.Status.DRAFT,
        "deciding": deciding,
        "totals": {
            "suggested": sum((a.suggested_amount or 0) for a in cases),
            "approved": sum((a.amount or 0) for a in cases if a.state == State.APPROVED),
        },
    }
    return page(request, "workbench/city_list.html", context, tab="city_lists")


@require_POST
@official_required([Role.DISTRICT_REVIEWER])
def city_list_submit_view(request: HttpRequest, city_list_id: int) -> HttpResponse:
    attempt(
        request,
        lambda: city_list_submit(actor=request.user, city_list_id=city_list_id),
        success=lambda cl: f"报审名单 #{cl.pk} 已提交市级审定。",
    )
    return redirect("workbench:city-list", city_list_id=city_list_id)
