"""The fund officer's pages: 政策上线, awards and payments (one by one and by spreadsheet),
recovery, and the dishonesty list (失信名录)."""

from datetime import timedelta

from django.contrib import messages
from django.core import signing
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from awards.models import Award
from awards.permissions import can_manage_award_funds
from awards.selectors import access_award_by_id, award_history, award_list
from awards.services import award_mark_recovered, award_pay, award_recover, awards_publish
from awards.workflow import AwardState
from common.errors import BadInput, NotFound
from common.timeutil import end_of_day_exclusive
from enterprises.selectors import dishonesty_list
from enterprises.services import dishonesty_entry_end
from policies.models import PolicyItem, Round

from .. import selectors
from ..forms import AwardFilterForm, DishonestyEndForm, IdsForm, PayForm, PaymentUploadForm, PublishForm, ReasonForm
from ..payments import check_payment_rows, read_payment_file
from ..services import PaymentImportFailed, PaymentRow, payments_import
from ._common import attempt, form_errors, int_param, official_required, page, safe_next

IMPORT_SALT = "workbench.payments-import"
IMPORT_MAX_AGE = 3600


@official_required([Role.FUND_OFFICER])
def fund_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    awards = award_list(user=user)
    counts = selectors.award_state_counts(awards)
    context = {
        "rounds": selectors.publishable_rounds(user),
        "award_counts": [
            {"code": code, "label": label, **counts.get(code, {"n": 0, "total": None})}
            for code, label in AwardState.choices
        ],
        "to_pay": list(awards.filter(state=AwardState.CLAIMED).order_by("claimed_at", "id")[:20]),
    }
    return page(request, "workbench/fund_home.html", context, tab="fund_home")


@official_required([Role.FUND_OFFICER])
def publish(request: HttpRequest) -> HttpResponse:
    """政策上线: choose a round, the cases, the claim deadline; creates awards."""
    user = request.user
    rounds = selectors.publishable_rounds(user)
    round_id = int_param(request.POST.get("round") or request.GET.get("round"))
    chosen = next((r["round"] for r in rounds if r["round"].pk == round_id), None)
    cases = (
        list(selectors.publishable_cases(user).filter(round_id=chosen.pk).order_by("enterprise__name", "id"))
        if chosen
        else []
    )
    default_day = timezone.localdate() + timedelta(days=chosen.claim_days if chosen else 30)
    form = PublishForm(request.POST or None, initial={"claim_date": default_day})
    context = {"rounds": rounds, "chosen": chosen, "cases": cases, "form": form}
    if request.method == "POST":
        ids_form = IdsForm(request.POST, allowed=[a.pk for a in cases])
        if chosen is None:
            messages.error(request, "请选择申报批次。")
        elif not ids_form.is_valid():
            form_errors(request, ids_form)
        elif form.is_valid():
            deadline = end_of_day_exclusive(form.cleaned_data["claim_date"])
            ok, result = attempt(
                request,
                lambda: awards_publish(
                    actor=user,
                    round_id=chosen.pk,
                    claim_deadline=deadline,
                    application_ids=ids_form.cleaned_data["ids"],
                ),
                success=lambda r: f"政策已上线：新建 {len(r.created)} 项待申领奖励，作废 {len(r.cancelled)} 项。",
            )
            if ok:
                shown = {
                    a.pk: a
                    for a in Award.objects.filter(
                        pk__in=[a.pk for a in result.created + result.cancelled]
                    ).select_related("enterprise", "item")
                }
                context.update(
                    {
                        "created": [shown[a.pk] for a in result.created],
                        "cancelled": [shown[a.pk] for a in result.cancelled],
                        "deadline": deadline,
                    }
                )
                return page(request, "workbench/publish_result.html", context, tab="publish")
    return page(request, "workbench/publish.html", context, tab="publish")


@official_required()
def awards(request: HttpRequest) -> HttpResponse:
    user = request.user
    scoped = award_list(user=user)
    items = PolicyItem.objects.filter(pk__in=scoped.order_by().values("item_id")).only("id", "code", "name")
    rounds = Round.objects.filter(pk__in=scoped.order_by().values("round_id")).only("id", "name").order_by("-opens_at")
    form = AwardFilterForm(request.GET or None, items=items, rounds=rounds)
    data = form.cleaned_data if form.is_valid() else {}
    qs = award_list(user=user, filters={k: data.get(k) for k in ("state", "round", "policy")})
    q = (data.get("q") or "").strip().lstrip("#")
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | (Q(pk=int(q)) if q.isdigit() else Q()))
    result = selectors.page_of(qs.select_related("round"), number=data.get("page") or 1)
    today = timezone.localdate()
    rows = [{"award": a, "manage": can_manage_award_funds(user, a)[0]} for a in result.rows]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "rows": rows,
        "result": result,
        "query": params.urlencode(),
        "today": today,
        "is_fund": user.role == Role.FUND_OFFICER,
    }
    return page(request, "workbench/awards.html", context, tab="awards")


def _award(user, award_id: int) -> Award:
    try:
        return access_award_by_id(user=user, award_id=award_id)
    except NotFound:
        raise Http404("未找到该奖励，或您无权查看。") from None


@official_required()
def award_detail(request: HttpRequest, award_id: int) -> HttpResponse:
    user = request.user
    award = _award(user, award_id)
    manage = can_manage_award_funds(user, award)[0]
    context = {
        "award": award,
        "history": list(award_history(award=award)),
        "manage": manage,
        "pay_form": PayForm(initial={"paid_on": timezone.localdate()}) if manage else None,
        "recover_form": ReasonForm(prefix="recover", reason_required=True) if manage else None,
    }
    return page(request, "workbench/award.html", context, tab="awards")


@require_POST
@official_required([Role.FUND_OFFICER])
def award_pay_view(request: HttpRequest, award_id: int) -> HttpResponse:
    award = _award(request.user, award_id)
    form = PayForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: award_pay(
                actor=request.user,
                award_id=award.pk,
                reference=form.cleaned_data["reference"],
                paid_on=form.cleaned_data["paid_on"],
            ),
            success=lambda a: f"奖励 #{a.pk} 已登记兑现（凭证号 {a.payment_reference}）。",
        )
    else:
        form_errors(request, form)
    return safe_next(request, reverse("workbench:award", args=[award.pk]))


@require_POST
@official_required([Role.FUND_OFFICER])
def award_recover_view(request: HttpRequest, award_id: int) -> HttpResponse:
    award = _award(request.user, award_id)
    form = ReasonForm(request.POST, prefix="recover", reason_required=True)
    if form.is_valid():
        attempt(
            request,
            lambda: award_recover(actor=request.user, award_id=award.pk, reason=form.cleaned_data["reason"]),
            success=lambda a: f"奖励 #{a.pk} 已启动追回，企业已列入失信名录。",
        )
    else:
        form_errors(request, form)
    return safe_next(request, reverse("workbench:award", args=[award.pk]))


@require_POST
@official_required([Role.FUND_OFFICER])
def award_recovered_view(request: HttpRequest, award_id: int) -> HttpResponse:
    award = _award(request.user, award_id)
    attempt(
        request,
        lambda: award_mark_recovered(actor=request.user, award_id=award.pk, reason=request.POST.get("reason", "")),
        success=lambda a: f"奖励 #{a.pk} 已登记追回到账。",
    )
    return safe_next(request, reverse("workbench:award", args=[award.pk]))


@official_required([Role.FUND_OFFICER])
def awards_import(request: HttpRequest) -> HttpResponse:
    """Payments by spreadsheet: upload → per-row report → confirm → all or nothing."""
    user = request.user
    context: dict = {"form": PaymentUploadForm()}
    status = 200
    if request.method == "POST" and request.POST.get("step") == "confirm":
        try:
            data = signing.loads(request.POST.get("payload", ""), salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
            if data.get("user") != user.pk:
                raise signing.BadSignature
            rows = [PaymentRow.from_data(d) for d in data["rows"]]
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            messages.error(request, "确认信息已失效（超过1小时或内容被改动），请重新上传表格。")
            return redirect("workbench:awards-import")
        rows = check_payment_rows(user=user, rows=rows)
        try:
            payments_import(actor=user, rows=rows)
        except PaymentImportFailed as exc:
            messages.error(request, exc.message)
            context.update({"rows": exc.rows, "failed": True})
            status = 409
        except BadInput as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(request, f"已登记 {len(rows)} 笔支付。")
            context.update({"rows": rows, "done": True})
    elif request.method == "POST":
        form = PaymentUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            ok, rows = attempt(request, lambda: read_payment_file(form.cleaned_data["file"]))
            if ok:
                rows = check_payment_rows(user=user, rows=rows)
                context["rows"] = rows
                if all(r.ok for r in rows):
                    payload = {"user": user.pk, "rows": [r.as_data() for r in rows]}
                    context["payload"] = signing.dumps(payload, salt=IMPORT_SALT)
                else:
                    context["failed"] = True
                    messages.error(
                        request, f"{sum(1 for r in rows if not r.ok)} 行有误，整批未登记。请修正表格后重新上传。"
                    )
                    status = 400
            else:
                status = 400
        else:
            status = 400
    return page(request, "workbench/awards_import.html", context, tab="import", status=status)


@official_required()
def dishonesty(request: HttpRequest) -> HttpResponse:
    include_ended = request.GET.get("all") == "1"
    entries = list(dishonesty_list(include_ended=include_ended).select_related("award")[:500])
    context = {
        "entries": entries,
        "include_ended": include_ended,
        "now": timezone.now(),
        "can_end": request.user.role == Role.POLICY_ADMIN,
        "end_form": DishonestyEndForm(),
    }
    return page(request, "workbench/dishonesty.html", context, tab="dishonesty")


@require_POST
@official_required([Role.POLICY_ADMIN])
def dishonesty_end(request: HttpRequest, entry_id: int) -> HttpResponse:
    form = DishonestyEndForm(request.POST)
    if form.is_valid():
        attempt(
            request,
            lambda: dishonesty_entry_end(actor=request.user, entry_id=entry_id, reason=form.cleaned_data["reason"]),
            success=lambda e: f"已为“{e.enterprise.name}”办理信用修复，移出失信名录。",
        )
    else:
        form_errors(request, form)
    return redirect("workbench:dishonesty")
