"""Read-only checks the application services run before a step: what a case still lacks
(declared figures, required materials, clean scans) and whether the enterprise is barred (失信名录).

Each check raises common.errors.* (or django ValidationError for declared figures) with a message
that says what to fix; none writes anything. Who calls: applications.services (and portal.selectors
for `missing_materials`, through services).
"""

from typing import Any

from django.utils import timezone

from accounts.models import User
from common.errors import BadInput, Conflict, InvalidTransition, PermissionDenied
from enterprises.selectors import active_listing

from .declared import clean_declared
from .models import Application, ScanStatus
from .permissions import can_edit_application
from .workflow import State

EDITABLE = (State.DRAFT, State.RETURNED)


def state_label(state: str) -> str:
    return State(state).label if state in State.values else state


def check_editable(actor: User, application: Application, what: str, *, also: bool = False) -> None:
    """The enterprise user of the case may change it (403 otherwise) and the case is a draft or
    returned, or `also` allows it (a late 容缺 material); 409 naming the state and `what` else."""
    allowed, why = can_edit_application(actor, application)
    if not allowed:
        raise PermissionDenied(why)
    if application.state not in EDITABLE and not also:
        raise InvalidTransition(f"申报件当前状态为“{state_label(application.state)}”，不能{what}。")


def missing_materials(application: Application, *, include_deferrable: bool = True) -> list[str]:
    """Labels of required materials not yet uploaded (容缺 materials only if asked)."""
    present = set(application.materials.filter(is_current=True).values_list("kind", flat=True))
    return [
        m["label"]
        for m in application.item.materials
        if m.get("required", True) and m["kind"] not in present and (include_deferrable or not m.get("deferrable"))
    ]


def deferred_materials(application: Application) -> list[str]:
    """容缺受理: required materials the item lets the enterprise hand in after acceptance."""
    present = set(application.materials.filter(is_current=True).values_list("kind", flat=True))
    return [m["label"] for m in application.item.materials if m.get("deferrable") and m["kind"] not in present]


def deferred_extra(application_id: int) -> dict[str, Any]:
    application = Application.objects.select_related("item").filter(pk=application_id).first()
    deferred = deferred_materials(application) if application is not None else []
    return {"deferred_materials": deferred} if deferred else {}


def check_complete(application: Application) -> None:
    application.declared = clean_declared(application.item.declared_fields, application.declared, require_all=True)
    missing = missing_materials(application, include_deferrable=False)
    if missing:
        raise BadInput(f"尚缺以下必交材料：{'、'.join(missing)}。请上传后再提交。", code="materials_missing")
    check_scanned(application)


SCAN_REFUSALS: dict[str, tuple[str, str]] = {
    ScanStatus.INFECTED: (
        "material_infected",
        "材料“{name}”（{label}）未通过病毒扫描，不能作为申报材料。请用杀毒软件检查后重新上传该材料，再提交。",
    ),
    ScanStatus.ERROR: (
        "material_scan_error",
        "材料“{name}”（{label}）无法完成病毒扫描（可能已加密或损坏）。请另存为普通 PDF 后重新上传，再提交。",
    ),
    ScanStatus.PENDING: (
        "material_unscanned",
        "材料“{name}”（{label}）正在进行病毒扫描，尚未完成，暂不能提交。请稍后再提交；如长时间未完成，请重新上传该文件。",
    ),
}


def check_scanned(application: Application) -> None:
    """R14: every current material must have been scanned clean; otherwise 409 naming the file
    (infected first, then unscannable, then still pending: a scanner outage fails closed)."""
    unscanned = list(
        application.materials.filter(is_current=True)
        .exclude(scan_status=ScanStatus.CLEAN)
        .values_list("kind", "original_name", "scan_status")
    )
    if not unscanned:
        return
    labels = {m["kind"]: m["label"] for m in application.item.materials}
    order = list(SCAN_REFUSALS)
    kind, name, status = min(unscanned, key=lambda row: order.index(row[2]) if row[2] in order else 0)
    code, text = SCAN_REFUSALS.get(status, SCAN_REFUSALS[ScanStatus.PENDING])
    raise Conflict(text.format(name=name, label=labels.get(kind, kind)), code=code)


def check_not_listed(application: Application, what: str) -> None:
    listing = active_listing(enterprise_id=application.enterprise_id)
    if listing is not None:
        until = timezone.localtime(listing.ends_at)
        raise PermissionDenied(
            f"贵企业已被列入失信名录（{listing.reason}，至 {until:%Y年%m月%d日}），期间不能{what}。"
            "如已完成信用修复，请联系属地主管部门。",
            code="credit_blocked",
        )
