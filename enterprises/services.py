"""Writes about enterprises: the dishonesty list (列入、信用修复). Profile edits and
registration live here too (see portal for the forms)."""
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from common.errors import BadInput, NotFound, PermissionDenied

from .models import DishonestyEntry, Enterprise, EnterpriseChange

DEFAULT_LISTING_DAYS = 3 * 365


@transaction.atomic
def dishonesty_entry_create(*, enterprise_id: int, reason: str, source: str, actor: User | None,
                            award_id: int | None = None, starts_at: datetime | None = None,
                            days: int = DEFAULT_LISTING_DAYS) -> DishonestyEntry:
    """List an enterprise (失信名录) for `days` from `starts_at`. Called by award recovery and by
    policy administrators. While listed it can neither submit nor claim (一处失信、处处受限)."""
    if not reason.strip():
        raise BadInput("请填写列入失信名录的原因。", code="reason_required")
    if days <= 0:
        raise BadInput("列入期限必须大于0天。")
    start = starts_at or timezone.now()
    return DishonestyEntry.objects.create(
        enterprise_id=enterprise_id, reason=reason.strip(), source=source, award_id=award_id,
        starts_at=start, ends_at=start + timedelta(days=days), created_by=actor,
    )


@transaction.atomic
def dishonesty_entry_end(*, entry_id: int, actor: User, reason: str) -> DishonestyEntry:
    """信用修复: end a listing early, with who and why. Only policy administrators."""
    if actor.role != Role.POLICY_ADMIN:
        raise PermissionDenied("只有政策管理员可以办理信用修复。")
    entry = DishonestyEntry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise NotFound()
    if entry.ended_at is not None:
        return entry
    if not reason.strip():
        raise BadInput("请填写信用修复的依据。", code="reason_required")
    entry.ended_at = timezone.now()
    entry.ended_by = actor
    entry.end_reason = reason.strip()
    entry.save(update_fields=["ended_at", "ended_by", "end_reason", "updated_at"])
    return entry


PROFILE_FIELDS = (
    "name", "address", "legal_representative", "industry", "size_class", "registered_on", "employees",
    "annual_revenue", "bank_name", "bank_account_name", "bank_account_no", "contact_name", "contact_phone",
)


@transaction.atomic
def enterprise_update_profile(*, actor: User, enterprise_id: int, data: dict[str, Any]) -> Enterprise:
    """An enterprise user edits its profile; every change is recorded (who, when, old → new).

    Only the fields in PROFILE_FIELDS can change here: credit code, district and designations
    are registration facts changed by officials. Errors: 403, 400 (ValidationError per field).
    """
    if actor.role != Role.ENTERPRISE or actor.enterprise_id != enterprise_id:
        raise PermissionDenied("只能修改本企业的信息。")
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise_id)
    changes: dict[str, list[Any]] = {}
    for field in PROFILE_FIELDS:
        if field in data:
            old = getattr(enterprise, field)
            new = data[field]
            if str(old if old is not None else "") != str(new if new is not None else ""):
                setattr(enterprise, field, new)
                changes[field] = [str(old) if old is not None else None, str(new) if new is not None else None]
    if not changes:
        return enterprise
    enterprise.full_clean()
    enterprise.save(update_fields=[*changes.keys(), "updated_at"])
    EnterpriseChange.objects.create(enterprise=enterprise, actor=actor, changes=changes)
    return enterprise
