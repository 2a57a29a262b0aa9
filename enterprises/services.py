"""Writes about enterprises: the dishonesty list (列入、信用修复). Profile edits and
registration live here too (see portal for the forms)."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from common.errors import BadInput, NotFound, PermissionDenied

from .credit_code import normalise, validate_credit_code
from .models import DishonestyEntry, Enterprise, EnterpriseChange

DEFAULT_LISTING_DAYS = 3 * 365


@transaction.atomic
def dishonesty_entry_create(
    *,
    enterprise_id: int,
    reason: str,
    source: str,
    actor: User | None,
    award_id: int | None = None,
    starts_at: datetime | None = None,
    days: int = DEFAULT_LISTING_DAYS,
) -> DishonestyEntry:
    """List an enterprise (失信名录) for `days` from `starts_at`. Called by award recovery and by
    policy administrators. While listed it can neither submit nor claim (一处失信、处处受限)."""
    if not reason.strip():
        raise BadInput("请填写列入失信名录的原因。", code="reason_required")
    if days <= 0:
        raise BadInput("列入期限必须大于0天。")
    start = starts_at or timezone.now()
    return DishonestyEntry.objects.create(
        enterprise_id=enterprise_id,
        reason=reason.strip(),
        source=source,
        award_id=award_id,
        starts_at=start,
        ends_at=start + timedelta(days=days),
        created_by=actor,
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
    "name",
    "address",
    "legal_representative",
    "industry",
    "size_class",
    "registered_on",
    "employees",
    "annual_revenue",
    "bank_name",
    "bank_account_name",
    "bank_account_no",
    "contact_name",
    "contact_phone",
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


# --- registration and colleagues (portal) -------------------------------------------------------


def _password_errors(password: str, user: User) -> list[str]:
    from django.contrib.auth.password_validation import validate_password

    from accounts.forms import password_error_messages

    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        return password_error_messages(exc)
    return []


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "请填写登录用户名。"})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"用户名“{username}”已被使用，请换一个。"})
    return username


@transaction.atomic
def enterprise_register(
    *,
    name: str,
    credit_code: str,
    district_id: int,
    username: str,
    display_name: str,
    phone: str,
    email: str,
    password: str,
) -> User:
    """An enterprise signs up: creates the Enterprise and its administrator account together.

    Who: anyone (the registration page). The administrator gets role=enterprise and
    is_enterprise_admin=True and is the enterprise's first contact. Side effects: one Enterprise,
    one User, in one transaction (a failure leaves neither). Errors: ValidationError per field
    (name, credit_code — the message names the right check character —, district, username,
    email, password — Django's validators).
    """
    from accounts.models import District

    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    code = normalise(credit_code or "")
    if not name:
        errors.setdefault("name", []).append("请填写企业名称（与营业执照一致）。")
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        errors.setdefault("credit_code", []).extend(exc.messages)
    else:
        if Enterprise.objects.filter(credit_code=code).exists():
            errors.setdefault("credit_code", []).append(
                "该统一社会信用代码已注册。请联系贵企业的管理员为您开通账号，或使用“忘记密码”找回。"
            )
    if not District.objects.filter(pk=district_id).exists():
        errors.setdefault("district", []).append("请选择企业注册所在的属地。")
    try:
        username = _check_username(username)
    except ValidationError as exc:
        errors.setdefault("username", []).extend(exc.messages)
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors.setdefault("email", []).append("请填写有效的电子邮箱，如 name@example.com（用于找回密码和接收通知）。")
    probe = User(username=username, email=email, display_name=display_name, first_name=display_name)
    password_errors = _password_errors(password, probe)
    if password_errors:
        errors["password"] = password_errors
    if errors:
        raise ValidationError(errors)
    enterprise = Enterprise(
        name=name,
        credit_code=code,
        district_id=district_id,
        contact_name=(display_name or "").strip(),
        contact_phone=(phone or "").strip(),
    )
    enterprise.full_clean()
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError:
        raise ValidationError({"credit_code": "该统一社会信用代码已注册。"}) from None
    user = User.objects.create_user(
        username=username,
        email=email,
        password=password,
        role=Role.ENTERPRISE,
        enterprise=enterprise,
        is_enterprise_admin=True,
        display_name=(display_name or "").strip(),
        phone=(phone or "").strip(),
    )
    return user


@transaction.atomic
def enterprise_invite_user(
    *, actor: User, username: str, display_name: str, email: str, phone: str = "", link_base: str
) -> User:
    """The enterprise administrator opens an account for a colleague and e-mails a one-time link
    to set the password (Django's password-reset token: it stops working once used).

    Who: an enterprise user with is_enterprise_admin. `link_base` is the site's origin
    (e.g. "https://hz.example.gov.cn") the link is built on. Side effects: a User of the same
    enterprise with an unusable password; after commit, one e-mail. Errors: 403 not an
    administrator, ValidationError per field (username, email).
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if actor.role != Role.ENTERPRISE or actor.enterprise_id is None or not actor.is_enterprise_admin:
        raise PermissionDenied("只有企业管理员可以为同事开通账号。")
    errors: dict[str, list[str]] = {}
    try:
        username = _check_username(username)
    except ValidationError as exc:
        errors.setdefault("username", []).extend(exc.messages)
    if not (display_name or "").strip():
        errors.setdefault("display_name", []).append("请填写同事的姓名。")
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors.setdefault("email", []).append("请填写同事的有效电子邮箱：设置密码的链接将发送到该邮箱。")
    if errors:
        raise ValidationError(errors)
    user = User(
        username=username,
        email=email,
        role=Role.ENTERPRISE,
        enterprise_id=actor.enterprise_id,
        display_name=display_name.strip(),
        phone=(phone or "").strip(),
    )
    user.set_unusable_password()
    user.save()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = link_base.rstrip("/") + reverse("accounts:password-reset-confirm", kwargs={"uidb64": uid, "token": token})
    enterprise = actor.enterprise
    assert enterprise is not None
    subject = f"【{settings.SITE_NAME}】{enterprise.name}为您开通了账号"
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    body = (
        f"{user.display_name}，您好：\n\n"
        f"{enterprise.name}的管理员{actor}为您开通了{settings.SITE_NAME}的企业用户账号。\n"
        f"登录用户名：{user.username}\n\n"
        f"请在{days}天内打开下面的链接设置登录密码（链接只能使用一次）：\n{link}\n\n"
        "如非本人操作，请忽略本邮件。\n"
    )
    recipient = user.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))
    return user
