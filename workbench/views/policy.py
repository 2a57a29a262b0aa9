"""Policy administration (/workbench/policies/): documents, items with their rules, rounds."""

import json

from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Function, Role
from policies.models import PolicyDocument, PolicyItem, Round
from policies.selectors import round_phase
from policies.services import round_close_now, round_create, round_open_now, round_update

from ..forms import RoundForm
from ._common import attempt, official_required, page
from .case import describe_rule

PHASES = {"open": "申报中", "upcoming": "未开始", "closed": "已截止"}


def _pretty(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str)


@official_required()
def policies_index(request: HttpRequest) -> HttpResponse:
    items = (
        PolicyItem.objects.only(
            "id", "code", "name", "mode", "document_id", "detailed", "source_seed", "source_lines", "budget"
        )
        .annotate(n_rounds=Count("rounds"))
        .order_by("code")
    )
    documents = list(PolicyDocument.objects.prefetch_related(Prefetch("items", queryset=items)).order_by("code"))
    now = timezone.now()
    rounds = list(Round.objects.select_related("item").order_by("-opens_at", "id")[:200])
    for r in rounds:
        r.phase = round_phase(r, at=now)
        r.phase_label = PHASES[r.phase]
    context = {"documents": documents, "rounds": rounds, "is_admin": request.user.role == Role.POLICY_ADMIN}
    return page(request, "workbench/policies.html", context, tab="policies")


@official_required()
def policy_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = PolicyItem.objects.select_related("document", "exclusivity_group").filter(pk=item_id).first()
    if item is None:
        raise Http404("未找到该政策事项。")
    now = timezone.now()
    rounds = list(item.rounds.order_by("-opens_at", "id"))
    for r in rounds:
        r.phase_label = PHASES[round_phase(r, at=now)]
    departments = [Function(f).label if f in Function.values else f for f in item.review_departments or []]
    context = {
        "item": item,
        "bureau_label": Function(item.bureau_function).label if item.bureau_function in Function.values else "",
        "rounds": rounds,
        "departments": departments,
        "rule_text": describe_rule(item.amount_rule or {}),
        "rule_json": _pretty(item.amount_rule),
        "eligibility_rows": [{"c": c, "json": _pretty(c)} for c in item.eligibility or []],
        "funding_json": _pretty(item.funding),
        "is_admin": request.user.role == Role.POLICY_ADMIN,
    }
    return page(request, "workbench/policy_item.html", context, tab="policies")


def _item_choices():
    return PolicyItem.objects.only("id", "code", "name").order_by("code")


@official_required([Role.POLICY_ADMIN])
def round_new(request: HttpRequest) -> HttpResponse:
    initial = {**RoundForm.default_window(), "item": request.GET.get("item")}
    form = RoundForm(request.POST or None, items=_item_choices(), initial=initial)
    if request.method == "POST" and form.is_valid():
        ok, result = attempt(
            request,
            lambda: round_create(actor=request.user, item_id=form.cleaned_data["item"], **form.round_fields()),
            success=lambda r: f"已创建申报批次“{r.name}”。",
        )
        if ok:
            return redirect("workbench:policy-item", item_id=result.item_id)
    status = 400 if request.method == "POST" else 200
    return page(request, "workbench/round_form.html", {"form": form, "editing": None}, tab="policies", status=status)


@official_required([Role.POLICY_ADMIN])
def round_edit(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = Round.objects.select_related("item").filter(pk=round_id).first()
    if round_ is None:
        raise Http404("未找到该申报批次。")
    initial = {f: getattr(round_, f) for f in RoundForm.FIELDS}
    form = RoundForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.round_fields().items() if v != getattr(round_, k)}
        if not data:
            return redirect("workbench:policy-item", item_id=round_.item_id)
        ok, _ = attempt(
            request,
            lambda: round_update(actor=request.user, round_id=round_.pk, data=data),
            success=f"已保存申报批次“{round_.name}”的修改。",
        )
        if ok:
            return redirect("workbench:policy-item", item_id=round_.item_id)
    status = 400 if request.method == "POST" else 200
    return page(request, "workbench/round_form.html", {"form": form, "editing": round_}, tab="policies", status=status)


@require_POST
@official_required([Role.POLICY_ADMIN])
def round_open(request: HttpRequest, round_id: int) -> HttpResponse:
    ok, result = attempt(
        request,
        lambda: round_open_now(actor=request.user, round_id=round_id),
        success=lambda r: f"“{r.name}”已开始受理申报。",
    )
    return redirect("workbench:policy-item", item_id=result.item_id) if ok else redirect("workbench:policies")


@require_POST
@official_required([Role.POLICY_ADMIN])
def round_close(request: HttpRequest, round_id: int) -> HttpResponse:
    ok, result = attempt(
        request,
        lambda: round_close_now(actor=request.user, round_id=round_id),
        success=lambda r: f"“{r.name}”已截止申报。",
    )
    return redirect("workbench:policy-item", item_id=result.item_id) if ok else redirect("workbench:policies")
