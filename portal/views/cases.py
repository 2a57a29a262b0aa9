"""The apply wizard and the case page: draft → figures → materials → check → 承诺书 and submit;
补正 and resubmission; withdrawal; the list of my cases."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from applications.commitments import SUBMISSION_COMMITMENT
from applications.models import Application
from applications.permissions import can_edit_application
from applications.services import (
    application_create,
    application_resubmit,
    application_submit,
    application_update_declared,
    application_withdraw,
    material_upload,
)
from applications.workflow import NOT_LIVE, State
from common.errors import DomainError
from policies.models import Round
from portal.forms import CommitmentForm, DeclaredForm, UploadForm, WithdrawForm
from portal.selectors import case_history, case_readiness, my_applications
from security.ratelimit import rate_limited

from .shared import (
    PortalRequest,
    add_errors,
    enterprise_id_of,
    enterprise_required,
    get_case,
    posted,
    validation_messages,
)

EDITABLE = (State.DRAFT, State.RETURNED)
STEPS = [
    ("figures", "填报数据"),
    ("materials", "上传材料"),
    ("check", "检查"),
    ("submit", "承诺并提交"),
]


def _case_url(application: Application, step: str = "") -> str:
    name = f"portal:case-{step}" if step else "portal:case"
    return reverse(name, args=[application.pk])


def _context(request: PortalRequest, application: Application, step: str, **extra) -> dict:
    editable = application.state in EDITABLE and can_edit_application(request.user, application)[0]
    return {
        "application": application,
        "item": application.item,
        "round": application.round,
        "step": step,
        "steps": STEPS,
        "editable": editable,
        **extra,
    }


def _require_editable(request: PortalRequest, application: Application) -> HttpResponse | None:
    if application.state not in EDITABLE:
        messages.info(request, f"申报件当前状态为“{application.get_state_display()}”，不能再修改。")
        return redirect(_case_url(application))
    return None


@enterprise_required
def application_list_view(request: PortalRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in State.values:
        state = ""
    cases = list(my_applications(user=request.user, state=state))
    return render(
        request,
        "portal/applications.html",
        {
            "cases": cases,
            "state": state,
            "states": State.choices,
        },
    )


@enterprise_required
def apply_start(request: PortalRequest, round_id: int) -> HttpResponse:
    """Step 0: the first figures of a new draft (or straight to the draft when it exists)."""
    round_ = Round.objects.select_related("item", "item__document").filter(pk=round_id, published=True).first()
    if round_ is None:
        raise Http404("未找到该申报批次。")
    existing = (
        Application.objects.filter(enterprise_id=enterprise_id_of(request), round=round_)
        .exclude(state__in=NOT_LIVE)
        .first()
    )
    if existing is not None:
        messages.info(request, "贵企业在本批次已有申报件，请继续办理。")
        return redirect(_case_url(existing))
    item = round_.item
    form = DeclaredForm(posted(request), specs=item.declared_fields)
    if request.method == "POST" and form.is_valid():
        try:
            application = application_create(actor=request.user, round_id=round_.pk, declared=form.declared())
        except ValidationError as exc:
            add_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已创建申报草稿（申报件 #{application.pk}）。请核对资格测算结果，然后上传材料。")
            return redirect(_case_url(application, "figures"))
    return render(
        request,
        "portal/apply_start.html",
        {
            "round": round_,
            "item": item,
            "form": form,
            "now": timezone.now(),
        },
    )


@enterprise_required
def case_detail(request: PortalRequest, application_id: int) -> HttpResponse:
    application = get_case(request, application_id)
    materials = list(application.materials.select_related("uploaded_by").order_by("kind", "-version"))
    labels = {m["kind"]: m["label"] for m in application.item.materials}
    award = getattr(application, "award", None) if application.state == State.APPROVED else None
    return render(
        request,
        "portal/case_detail.html",
        _context(
            request,
            application,
            "",
            history=list(case_history(application=application)),
            current_materials=[(labels.get(m.kind, m.kind), m) for m in materials if m.is_current],
            can_withdraw=application.state == State.SUBMITTED,
            award=award,
        ),
    )


@enterprise_required
def case_figures(request: PortalRequest, application_id: int) -> HttpResponse:
    """Step 1: the declared figures. Saving recomputes eligibility and the suggested amount; with
    HTMX only the panel is swapped, without it the page reloads."""
    application = get_case(request, application_id)
    if request.method == "POST" and (stop := _require_editable(request, application)):
        return stop
    specs = application.item.declared_fields
    form = DeclaredForm(posted(request), specs=specs, initial_values=application.declared)
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            application = application_update_declared(
                actor=request.user, application_id=application.pk, declared=form.declared()
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            saved = True
            if not request.htmx:
                messages.success(request, "申报数据已保存，资格和测算金额已更新。")
                return redirect(_case_url(application, "figures"))
            form = DeclaredForm(specs=specs, initial_values=application.declared)
    context = _context(request, application, "figures", form=form, saved=saved)
    template = "portal/partials/figures_panel.html" if request.htmx else "portal/case_figures.html"
    return render(request, template, context)


def _upload_response(request: PortalRequest, ok: bool, message: str, status: int = 200) -> JsonResponse:
    return JsonResponse({"ok": ok, "message": message}, status=status, json_dumps_params={"ensure_ascii": False})


@enterprise_required
@rate_limited("upload")
def case_materials(request: PortalRequest, application_id: int) -> HttpResponse:
    """Step 2: one upload per kind; a new upload of a kind is its next version. The page's script
    posts with XHR (progress bar, JSON answer); without script it is an ordinary form post."""
    application = get_case(request, application_id)
    wants_json = request.headers.get("x-requested-with") == "XMLHttpRequest"
    if request.method == "POST":
        if application.state not in EDITABLE:
            message = f"申报件当前状态为“{application.get_state_display()}”，不能上传材料。"
            if wants_json:
                return _upload_response(request, False, message, 409)
            messages.error(request, message)
            return redirect(_case_url(application))
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            message = "；".join(str(e) for errors in form.errors.values() for e in errors)
            if wants_json:
                return _upload_response(request, False, message, 400)
            messages.error(request, message)
            return redirect(_case_url(application, "materials"))
        try:
            material = material_upload(
                actor=request.user,
                application_id=application.pk,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except DomainError as exc:
            if wants_json:
                return _upload_response(request, False, exc.message, exc.status_code)
            messages.error(request, exc.message)
        else:
            label = next((m["label"] for m in application.item.materials if m["kind"] == material.kind), material.kind)
            text = f"“{label}”已上传（第{material.version}版）。"
            messages.success(request, text)
            if wants_json:
                return _upload_response(request, True, text)
        return redirect(_case_url(application, "materials"))
    all_materials = list(application.materials.select_related("uploaded_by").order_by("kind", "-version"))
    rows = []
    for spec in application.item.materials:
        versions = [m for m in all_materials if m.kind == spec["kind"]]
        current = next((m for m in versions if m.is_current), None)
        rows.append({"spec": spec, "current": current, "older": [m for m in versions if m is not current]})
    return render(request, "portal/case_materials.html", _context(request, application, "materials", rows=rows))


@enterprise_required
def case_check(request: PortalRequest, application_id: int) -> HttpResponse:
    """Step 3: what is still missing before the case can be submitted."""
    application = get_case(request, application_id)
    if stop := _require_editable(request, application):
        return stop
    return render(
        request,
        "portal/case_check.html",
        _context(
            request,
            application,
            "check",
            readiness=case_readiness(application),
        ),
    )


@enterprise_required
def case_submit(request: PortalRequest, application_id: int) -> HttpResponse:
    """Step 4: read the 承诺书, tick 我已阅读并承诺, submit (or resubmit after 补正)."""
    application = get_case(request, application_id)
    if stop := _require_editable(request, application):
        return stop
    form = CommitmentForm(posted(request))
    resubmit = application.state == State.RETURNED
    if request.method == "POST" and form.is_valid():
        try:
            if resubmit:
                application = application_resubmit(actor=request.user, application_id=application.pk)
            else:
                application = application_submit(
                    actor=request.user, application_id=application.pk, commitment_signed=form.cleaned_data["signed"]
                )
        except ValidationError as exc:
            validation_messages(request, exc)
            messages.error(request, "申报数据不完整，请回到“填报数据”补全后再提交。")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            done = "补正材料已重新提交" if resubmit else "申报已提交"
            messages.success(request, f"{done}，等待属地主管部门受理。办理进度会通过站内消息通知您。")
            return redirect(_case_url(application))
    return render(
        request,
        "portal/case_submit.html",
        _context(
            request,
            application,
            "submit",
            form=form,
            commitment=SUBMISSION_COMMITMENT,
            resubmit=resubmit,
            readiness=case_readiness(application),
        ),
    )


@enterprise_required
def case_withdraw(request: PortalRequest, application_id: int) -> HttpResponse:
    application = get_case(request, application_id)
    if application.state != State.SUBMITTED:
        messages.info(request, "只有已申报、尚未受理的申报件可以撤回。")
        return redirect(_case_url(application))
    form = WithdrawForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            application_withdraw(actor=request.user, application_id=application.pk, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "申报已撤回。撤回后可在申报截止前重新申报。")
        return redirect(_case_url(application))
    return render(request, "portal/case_withdraw.html", _context(request, application, "", form=form))


def case_link(request: PortalRequest, application_id: int) -> HttpResponse:
    """/applications/<id>/ (the link in notifications): to the case page of the user's side."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next=/applications/{application_id}/")
    if request.user.role == Role.ENTERPRISE:
        return redirect("portal:case", application_id=application_id)
    return redirect(f"/workbench/cases/{application_id}/")
