"""What every workbench view shares: who may enter, the role's tabs, and how service errors show."""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import Role
from common.errors import DomainError, NotFound

ALL_OFFICIALS = None

# (key, label, url name) per role; the first tab is the role's landing page.
TABS: dict[str, list[tuple[str, str, str]]] = {
    Role.DISTRICT_REVIEWER: [
        ("queue", "审核队列", "workbench:home"),
        ("city_lists", "报审名单", "workbench:city-lists"),
        ("awards", "奖励", "workbench:awards"),
        ("dishonesty", "失信名录", "workbench:dishonesty"),
        ("policies", "政策与批次", "workbench:policies"),
    ],
    Role.CO_REVIEWER: [
        ("queue", "会审案件", "workbench:home"),
        ("dishonesty", "失信名录", "workbench:dishonesty"),
        ("policies", "政策与批次", "workbench:policies"),
    ],
    Role.CITY_APPROVER: [
        ("city_lists", "报审名单审定", "workbench:home"),
        ("queue", "案件", "workbench:cases"),
        ("awards", "奖励", "workbench:awards"),
        ("dishonesty", "失信名录", "workbench:dishonesty"),
        ("policies", "政策与批次", "workbench:policies"),
    ],
    Role.FUND_OFFICER: [
        ("fund_home", "兑现概览", "workbench:home"),
        ("publish", "政策上线", "workbench:publish"),
        ("awards", "奖励兑现", "workbench:awards"),
        ("import", "批量登记支付", "workbench:awards-import"),
        ("queue", "审定通过案件", "workbench:cases"),
        ("dishonesty", "失信名录", "workbench:dishonesty"),
    ],
    Role.POLICY_ADMIN: [
        ("policies", "政策管理", "workbench:home"),
        ("auto", "免申即享", "workbench:auto-grants"),
        ("missed", "应享未享", "workbench:missed"),
        ("queue", "案件", "workbench:cases"),
        ("city_lists", "报审名单", "workbench:city-lists"),
        ("awards", "奖励", "workbench:awards"),
        ("dishonesty", "失信名录", "workbench:dishonesty"),
    ],
    Role.AUDITOR: [
        ("queue", "案件（只读）", "workbench:home"),
        ("auto", "免申即享", "workbench:auto-grants"),
        ("missed", "应享未享", "workbench:missed"),
        ("city_lists", "报审名单", "workbench:city-lists"),
        ("awards", "奖励", "workbench:awards"),
        ("dishonesty", "失信名录", "workbench:dishonesty"),
        ("policies", "政策与批次", "workbench:policies"),
    ],
}


def official_required(roles: Iterable[str] | None = ALL_OFFICIALS) -> Callable:
    """Signed in (else the login page) and an official of one of `roles` (else 403)."""
    allowed = set(roles) if roles is not None else None

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not getattr(user, "is_official", False) or (allowed is not None and user.role not in allowed):
                raise DjangoPermissionDenied("该页面仅供相关工作人员使用。")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def tabs_for(user: Any, active: str) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": label, "url": reverse(name), "active": key == active}
        for key, label, name in TABS.get(user.role, [])
    ]


def page(request: HttpRequest, template: str, context: dict[str, Any], *, tab: str, status: int = 200) -> HttpResponse:
    """Render a workbench page with the role's tabs."""
    context = {"tabs": tabs_for(request.user, tab), "active_tab": tab, **context}
    return render(request, template, context, status=status)


def error_text(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


def attempt(
    request: HttpRequest, call: Callable[[], Any], *, success: str | Callable[[Any], str] = ""
) -> tuple[bool, Any]:
    """Run one service call for a page: NotFound becomes a 404 page, any other domain error or
    field error a message (its Chinese text). Returns (succeeded, result or the exception)."""
    try:
        result = call()
    except NotFound:
        raise Http404("未找到该记录，或您无权查看。") from None
    except (DomainError, ValidationError) as exc:
        messages.error(request, error_text(exc))
        return False, exc
    if success:
        messages.success(request, success(result) if callable(success) else success)
    return True, result


def form_errors(request: HttpRequest, form: Any) -> None:
    """Show a bound form's errors as messages (for forms posted from a list row)."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else error)


def safe_next(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Redirect to ?next= / POST next when it is a local URL, else to `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def int_param(value: Any, default: int | None = None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
