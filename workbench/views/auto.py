"""免申即享 lists and 应享未享 (/workbench/auto-grants/, /workbench/missed/): policy administrators
build a list by matching enterprise data or uploading a department's list, read the validation
report, and approve it into claimable awards; auditors read."""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from awards import auto
from awards.models import AutoGrantBatch
from common.timeutil import end_of_day_exclusive, local_date
from policies.models import PolicyItem
from policies.services import policy_item_set_mode

from ._common import attempt, official_required, page

READERS = [Role.POLICY_ADMIN, Role.AUDITOR]


@official_required(READERS)
def auto_grants(request: HttpRequest) -> HttpResponse:
    batches = AutoGrantBatch.objects.select_related("item", "created_by").order_by("-id")[:100]
    context = {
        "batches": batches,
        "auto_items": PolicyItem.objects.filter(mode=PolicyItem.Mode.AUTO).only("id", "code", "name").order_by("code"),
        "all_items": PolicyItem.objects.only("id", "code", "name", "mode").order_by("code"),
        "modes": PolicyItem.Mode.choices,
        "year": local_date().year,
        "is_admin": request.user.role == Role.POLICY_ADMIN,
    }
    return page(request, "workbench/auto_grants.html", context, tab="auto")


@official_required([Role.POLICY_ADMIN])
@require_POST
def auto_grant_new(request: HttpRequest) -> HttpResponse:
    item_id = int(request.POST.get("item") or 0)
    year = int(request.POST.get("year") or local_date().year)
    upload = request.FILES.get("file")
    if upload is not None:
        ok, result = attempt(
            request, lambda: auto.auto_batch_from_upload(actor=request.user, item_id=item_id, year=year, upload=upload)
        )
    else:
        ok, result = attempt(
            request, lambda: auto.auto_batch_from_match(actor=request.user, item_id=item_id, year=year)
        )
    return redirect("workbench:auto-grant", result.pk) if ok else redirect("workbench:auto-grants")


@official_required([Role.POLICY_ADMIN])
@require_POST
def item_mode(request: HttpRequest) -> HttpResponse:
    attempt(
        request,
        lambda: policy_item_set_mode(
            actor=request.user, item_id=int(request.POST.get("item") or 0), mode=request.POST.get("mode", "")
        ),
        success=lambda item: f"“{item.name}”的兑现方式已设为“{item.get_mode_display()}”。",
    )
    return redirect("workbench:auto-grants")


@official_required(READERS)
def auto_grant(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = AutoGrantBatch.objects.select_related("item", "created_by", "approved_by").filter(pk=batch_id).first()
    if batch is None:
        raise Http404("未找到该名单。")
    entries = list(batch.entries.select_related("enterprise__district", "award").order_by("row_number"))
    context = {
        "batch": batch,
        "entries": entries,
        "report": auto.auto_batch_report(batch),
        "default_deadline": (local_date() + timedelta(days=30)).isoformat(),
        "is_admin": request.user.role == Role.POLICY_ADMIN,
    }
    return page(request, "workbench/auto_grant.html", context, tab="auto")


@official_required([Role.POLICY_ADMIN])
@require_POST
def auto_grant_approve(request: HttpRequest, batch_id: int) -> HttpResponse:
    from datetime import date

    try:
        last_day = date.fromisoformat(request.POST.get("claim_last_day", ""))
    except ValueError:
        from django.contrib import messages

        messages.error(request, "请选择申领截止日期。")
        return redirect("workbench:auto-grant", batch_id)
    attempt(
        request,
        lambda: auto.auto_batch_approve(
            actor=request.user, batch_id=batch_id, claim_deadline=end_of_day_exclusive(last_day)
        ),
        success=lambda awards: (
            f"名单已审核上线：生成待申领奖励 {len(awards)} 笔，企业须在 {last_day:%Y年%m月%d日} 前申领。"
        ),
    )
    return redirect("workbench:auto-grant", batch_id)


@official_required([Role.POLICY_ADMIN])
@require_POST
def auto_grant_discard(request: HttpRequest, batch_id: int) -> HttpResponse:
    attempt(request, lambda: auto.auto_batch_discard(actor=request.user, batch_id=batch_id), success="名单已作废。")
    return redirect("workbench:auto-grant", batch_id)


@official_required(READERS)
def missed(request: HttpRequest) -> HttpResponse:
    """应享未享 (R51): enterprises that qualify by their data for an item but neither applied nor
    received an award. One item at a time: the check runs every enterprise through the criteria."""
    items = PolicyItem.objects.filter(detailed=True).only("id", "code", "name", "mode").order_by("code")
    item = None
    found = []
    item_id = request.GET.get("item")
    if item_id and item_id.isdigit():
        item = PolicyItem.objects.filter(pk=int(item_id)).first()
        if item is not None:
            found = auto.missed_entitlements(item=item)
    context = {"items": items, "item": item, "found": found, "now": timezone.now()}
    return page(request, "workbench/missed.html", context, tab="missed")
