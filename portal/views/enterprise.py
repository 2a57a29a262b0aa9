"""企业信息: the profile policies test, designations, bank account, the change record; colleagues."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.models import Role, User
from common.errors import DomainError
from enterprises.models import Enterprise, SizeClass
from enterprises.services import enterprise_invite_user, enterprise_update_profile
from portal.forms import InviteForm, ProfileForm

from .shared import PortalRequest, add_errors, enterprise_id_of, enterprise_required, posted

CHANGES_SHOWN = 30


def _field_label(name: str) -> str:
    try:
        field = Enterprise._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return "（空）"
    if name == "size_class":
        return str(dict(SizeClass.choices).get(value, value))
    return str(value)


def _change_rows(enterprise: Enterprise) -> list[dict[str, Any]]:
    rows = []
    for change in enterprise.changes.select_related("actor")[:CHANGES_SHOWN]:
        fields = [
            {"label": _field_label(name), "old": _shown(name, pair[0]), "new": _shown(name, pair[1])}
            for name, pair in (change.changes or {}).items()
        ]
        rows.append({"at": change.at, "actor": change.actor, "fields": fields})
    return rows


@enterprise_required
def profile(request: PortalRequest) -> HttpResponse:
    enterprise = Enterprise.objects.select_related("district").get(pk=enterprise_id_of(request))
    form = ProfileForm(posted(request), instance=enterprise)
    if request.method == "POST" and form.is_valid():
        data = form.changed_data_dict()
        if not data:
            messages.info(request, "没有需要保存的修改。")
            return redirect("portal:enterprise")
        try:
            enterprise_update_profile(actor=request.user, enterprise_id=enterprise.pk, data=data)
        except ValidationError as exc:
            add_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            names = "、".join(_field_label(name) for name in data)
            messages.success(request, f"企业信息已保存（修改了：{names}），修改记录见页面下方。")
            return redirect("portal:enterprise")
    enterprise.refresh_from_db()
    return render(
        request,
        "portal/enterprise.html",
        {
            "enterprise": enterprise,
            "form": form,
            "designations": list(enterprise.designations.order_by("-granted_on")),
            "changes": _change_rows(enterprise),
            "bank_ready": bool(enterprise.bank_name and enterprise.bank_account_name and enterprise.bank_account_no),
        },
    )


@enterprise_required
def colleagues(request: PortalRequest) -> HttpResponse:
    user = request.user
    form = InviteForm(posted(request)) if user.is_enterprise_admin else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            invited = enterprise_invite_user(
                actor=user,
                username=data["username"],
                display_name=data["display_name"],
                email=data["email"],
                phone=data["phone"],
                link_base=request.build_absolute_uri("/").rstrip("/"),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已为{invited}开通账号，设置密码的链接已发送到 {invited.email}。")
            return redirect("portal:colleagues")
    people = User.objects.filter(role=Role.ENTERPRISE, enterprise_id=enterprise_id_of(request)).order_by(
        "-is_enterprise_admin", "date_joined"
    )
    return render(request, "portal/colleagues.html", {"people": people, "form": form})
