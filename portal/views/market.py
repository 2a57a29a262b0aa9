"""政策超市: the list at / (public, with verdicts for enterprise users) and each item's page."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from common.timeutil import local_date
from portal.forms import MarketFilterForm
from portal.selectors import (
    enterprise_for,
    item_rounds,
    market_documents,
    market_entries,
    policy_item_detail,
    verdict_for,
)

PAGE_SIZE = 20


def home(request: HttpRequest) -> HttpResponse:
    enterprise = enterprise_for(request.user)
    form = MarketFilterForm(request.GET or None, documents=market_documents(), show_eligible=enterprise is not None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = market_entries(
        enterprise=enterprise,
        search=filters.get("q") or "",
        document_id=filters.get("document"),
        mode=filters.get("mode") or "",
        in_force_only=bool(filters.get("in_force")),
        open_only=bool(filters.get("open")),
        eligible_only=bool(filters.get("eligible")),
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "enterprise": enterprise,
        "total": len(entries),
        "open_count": sum(1 for e in entries if e.open_round),
        "eligible_count": sum(1 for e in entries if e.verdict and e.verdict.eligible and e.open_round),
        "query": query.urlencode(),
        "filtered": bool(filters and any(filters.values())),
    }
    return render(request, "home.html", context)


def policy_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    from policies.rules.amounts import describe

    item = policy_item_detail(item_id=item_id)
    if item is None:
        raise Http404("未找到该政策事项。")
    enterprise = enterprise_for(request.user)
    rounds = item_rounds(item=item, enterprise=enterprise)
    context = {
        "item": item,
        "document": item.document,
        "enterprise": enterprise,
        "verdict": verdict_for(item, enterprise, on=local_date()),
        "amount_text": describe(item.amount_rule),
        "in_force": item.in_force_on(local_date()),
        "open_rounds": [r for r in rounds if r.phase == "open"],
        "upcoming_rounds": [r for r in rounds if r.phase == "upcoming"],
        "past_rounds": [r for r in rounds if r.phase == "closed"][:5],
        "required_materials": [m for m in item.materials if m.get("required", True)],
        "optional_materials": [m for m in item.materials if not m.get("required", True)],
    }
    return render(request, "portal/policy_detail.html", context)
