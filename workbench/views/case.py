"""The case page (/workbench/cases/<id>/) and the actions officials take on it."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Function, Role
from applications import services as app_services
from applications.models import Application
from applications.permissions import ACTION_PERMISSIONS, can_give_opinion
from applications.selectors import access_application_by_id, application_history
from applications.views import INLINE_TYPES
from applications.workflow import SYSTEM, TRANSITIONS, State, actions_from
from common.errors import NotFound
from reviews.selectors import opinions_for
from reviews.services import opinion_create

from .. import selectors
from ..forms import ApproveForm, CityApproveForm, OpinionForm, ReasonForm
from ._common import attempt, form_errors, official_required, page, safe_next

# URL name of each action (SPEC §9 spelling) → the table key.
URL_ACTIONS = {
    "accept": "accept",
    "return": "return",
    "reject": "reject",
    "approve": "approve",
    "city-approve": "city_approve",
    "city-reject": "city_reject",
    "city-return": "city_return",
}
ACTION_URLS = {v: k for k, v in URL_ACTIONS.items()}
DANGER = {"reject", "city_reject"}


def _access(user, application_id: int) -> Application:
    try:
        return access_application_by_id(user=user, application_id=application_id)
    except NotFound:
        raise Http404("未找到该申报件，或您无权查看。") from None


def describe_rule(rule: dict[str, Any]) -> str:
    """The item's amount rule in words (policies.rules.amounts.describe)."""
    if not rule:
        return "未配置奖补标准。"
    from policies.rules.amounts import describe

    try:
        text = describe(rule)
    except Exception:  # an unreadable rule must not take the case page down
        return "（奖补标准无法解析，请联系政策管理员核对。）"
    return "；".join(text) if isinstance(text, list | tuple) else str(text)


def _form_for(action: str, application: Application, data=None, *, maximum=None, prefixed: bool = True):
    """The action's form; a row of the city list page posts unprefixed `amount` and `reason`."""
    if action == "approve":
        return ApproveForm(data, prefix="approve" if prefixed else None)
    if action == "city_approve":
        initial = {"amount": application.amount or application.suggested_amount}
        if maximum is not None and initial["amount"] is not None and initial["amount"] > maximum:
            initial["amount"] = maximum
        return CityApproveForm(data, prefix="city_approve" if prefixed else None, initial=initial)
    if action == "accept":
        return None
    return ReasonForm(data, prefix=action if prefixed else None, reason_required=TRANSITIONS[action].needs_reason)


def _materials(application: Application) -> dict[str, Any]:
    labels = {m["kind"]: m for m in application.item.materials}
    current, older = [], []
    for material in application.materials.order_by("kind", "-version"):
        spec = labels.get(material.kind, {})
        row = {
            "m": material,
            "label": spec.get("label", material.kind),
            "required": spec.get("required", True),
            "preview": material.content_type in INLINE_TYPES,
            "is_pdf": material.content_type == "application/pdf",
            "url": reverse("applications:material-download", args=[application.pk, material.pk]),
        }
        (current if material.is_current else older).append(row)
    present = {r["m"].kind for r in current}
    missing = [m["label"] for m in application.item.materials if m.get("required", True) and m["kind"] not in present]
    return {"current": current, "older": older, "missing": missing}


def _declared(application: Application) -> list[dict[str, Any]]:
    fields = application.item.declared_fields or []
    known = {f.get("key") for f in fields}
    rows = [
        {
            "label": f.get("label", f.get("key")),
            "unit": f.get("unit", ""),
            "value": application.declared.get(f.get("key")),
            "help": f.get("help", ""),
        }
        for f in fields
    ]
    rows += [
        {"label": k, "unit": "", "value": v, "help": ""} for k, v in application.declared.items() if k not in known
    ]
    return rows


def _reasons(eligibility: dict[str, Any]) -> list[dict[str, Any]]:
    """Eligibility reasons with the message's leading "<criterion>：" dropped (shown in bold)."""
    rows = []
    for reason in eligibility.get("reasons") or []:
        criterion = str(reason.get("criterion") or "")
        message = str(reason.get("message") or "")
        for sep in ("：", ":"):
            if criterion and message.startswith(criterion + sep):
                message = message[len(criterion) + 1 :]
        rows.append({"criterion": criterion, "passed": reason.get("passed"), "detail": message})
    return rows


def case_context(request: HttpRequest, application: Application, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the case page shows; `bound` holds forms re-shown with the official's input."""
    user = request.user
    bound = bound or {}
    item = application.item
    enterprise = application.enterprise
    opinions = list(opinions_for(application_id=application.pk))
    given = {o.function for o in opinions if o.review_cycle == application.review_cycle}
    departments = [
        {"code": f, "label": Function(f).label if f in Function.values else f, "given": f in given}
        for f in item.review_departments or []
    ]
    actions, blocked = [], []
    maximum = None
    decided: dict[Any, tuple[bool, str]] = {}  # one call per predicate: city actions share one
    for transition in actions_from(application.state):
        if transition.role in (SYSTEM, Role.ENTERPRISE) or transition.action == "submit_to_city":
            continue
        predicate = ACTION_PERMISSIONS[transition.action]
        if predicate not in decided:
            decided[predicate] = predicate(user, application)
        allowed, why = decided[predicate]
        if not allowed:
            if transition.role == user.role:
                blocked.append({"label": transition.label, "why": why})
            continue
        if transition.action == "city_approve":
            received = selectors.received_by_enterprise_item([application]).get(
                (application.enterprise_id, application.item_id), Decimal(0)
            )
            maximum = selectors.amount_maximum(application, already_received=received)
        form = bound.get(transition.action) or _form_for(transition.action, application, maximum=maximum)
        actions.append(
            {
                "t": transition,
                "form": form,
                "url": reverse(f"workbench:case-{ACTION_URLS[transition.action]}", args=[application.pk]),
                "danger": transition.action in DANGER,
            }
        )
    context: dict[str, Any] = {
        "case": application,
        "item": item,
        "enterprise": enterprise,
        "designations": list(enterprise.designations.order_by("granted_on", "id")),
        "declared": _declared(application),
        "eligibility": application.eligibility or {},
        "reasons": _reasons(application.eligibility or {}),
        "rule_text": describe_rule(item.amount_rule or {}),
        "rule_cite": (item.amount_rule or {}).get("cite", ""),
        "materials": _materials(application),
        "opinions": opinions,
        "departments": departments,
        "history": list(application_history(application=application)),
        "exclusive_awards": selectors.exclusivity_awards(application),
        "actions": actions,
        "blocked": blocked,
        "maximum": maximum,
        "submit_to_city_hint": application.state == State.DISTRICT_APPROVED and user.role == Role.DISTRICT_REVIEWER,
    }
    if any(a["t"].action == "approve" for a in actions):
        missing, disagree = app_services.opinion_status(application)
        context["opinion_missing"], context["opinion_disagree"] = missing, disagree
    if any(a["t"].action == "city_approve" for a in actions):
        context["budget"] = selectors.round_budget(application.round)
    allowed, _ = can_give_opinion(user, application)
    org = user.organisation
    if allowed and application.state == State.DISTRICT_REVIEW and org is not None and org.function not in given:
        context["opinion_form"] = bound.get("opinion") or OpinionForm(prefix="opinion")
    elif allowed and org is not None and org.function in given:
        context["opinion_done"] = True
    if application.review_deadline and application.state == State.DISTRICT_REVIEW:
        left = selectors.working_days_left([application.review_deadline])
        context["clock"] = selectors.clock_for(application, left)
    return context


@official_required()
def case_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _access(request.user, application_id)
    return page(request, "workbench/case.html", case_context(request, application), tab="queue")


def _do(request: HttpRequest, application_id: int, action: str) -> HttpResponse:
    application = _access(request.user, application_id)
    case_url = reverse("workbench:case", args=[application.pk])
    from_list = bool(request.POST.get("next"))
    form = _form_for(action, application, request.POST, prefixed=not request.POST.get("row"))
    if form is not None and not form.is_valid():
        if from_list:
            form_errors(request, form)
            return safe_next(request, case_url)
        messages.error(request, "请按提示补充后再提交。")
        return page(
            request, "workbench/case.html", case_context(request, application, {action: form}), tab="queue", status=400
        )
    data = form.cleaned_data if form is not None else {}
    actor, pk = request.user, application.pk
    calls = {
        "accept": lambda: app_services.application_accept(actor=actor, application_id=pk),
        "return": lambda: app_services.application_return(actor=actor, application_id=pk, reason=data["reason"]),
        "reject": lambda: app_services.application_reject(actor=actor, application_id=pk, reason=data["reason"]),
        "approve": lambda: app_services.application_approve(
            actor=actor, application_id=pk, reason=data["reason"], override=data["override"]
        ),
        "city_approve": lambda: app_services.application_city_approve(
            actor=actor, application_id=pk, amount=data["amount"], reason=data["reason"]
        ),
        "city_reject": lambda: app_services.application_city_reject(
            actor=actor, application_id=pk, reason=data["reason"]
        ),
        "city_return": lambda: app_services.application_city_return(
            actor=actor, application_id=pk, reason=data["reason"]
        ),
    }
    label = TRANSITIONS[action].label
    ok, result = attempt(
        request, calls[action], success=lambda a: f"申报件 #{a.pk} 已{label}，当前状态：{a.get_state_display()}。"
    )
    if ok or from_list:
        return safe_next(request, case_url)
    application = _access(request.user, application_id)
    bound = {action: form} if form is not None else {}
    return page(
        request,
        "workbench/case.html",
        case_context(request, application, bound),
        tab="queue",
        status=getattr(result, "status_code", 400),
    )


def _action_view(action: str):
    @require_POST
    @official_required()
    def view(request: HttpRequest, application_id: int) -> HttpResponse:
        return _do(request, application_id, action)

    view.__name__ = f"case_{action}"
    return view


case_accept = _action_view("accept")
case_return = _action_view("return")
case_reject = _action_view("reject")
case_approve = _action_view("approve")
case_city_approve = _action_view("city_approve")
case_city_reject = _action_view("city_reject")
case_city_return = _action_view("city_return")


@require_POST
@official_required([Role.CO_REVIEWER])
def case_opinion(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _access(request.user, application_id)
    form = OpinionForm(request.POST, prefix="opinion")
    case_url = reverse("workbench:case", args=[application.pk])
    if form.is_valid():
        ok, result = attempt(
            request,
            lambda: opinion_create(
                actor=request.user,
                application_id=application.pk,
                decision=form.cleaned_data["decision"],
                remarks=form.cleaned_data["remarks"],
            ),
            success=lambda o: f"已出具会审意见：{o.get_decision_display()}。",
        )
        if ok:
            return safe_next(request, case_url)
        status = getattr(result, "status_code", 400)
    else:
        messages.error(request, "请按提示补充后再提交。")
        status = 400
    return page(
        request,
        "workbench/case.html",
        case_context(request, application, {"opinion": form}),
        tab="queue",
        status=status,
    )
