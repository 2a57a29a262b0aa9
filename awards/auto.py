"""免申即享 (R49–R51): find who qualifies, check a department's list, approve it into awards.

A policy administrator builds a list for an item in 免申即享 mode and a year, either by matching
every enterprise's data against the item's criteria or by uploading a list from 统计/税务
(Excel or CSV: 统一社会信用代码, 企业名称, 金额). Every row is checked (code valid and known,
not duplicated, not on the dishonesty list, not already granted, criteria met, amount within
the rule) and the list is reviewed before approval creates `claimable` awards with no
application. Approval is all-or-nothing for the rows that passed.
"""

import csv
import io
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from common.errors import BadInput, InvalidTransition, NotFound, PermissionDenied
from common.money import yuan
from common.timeutil import local_date
from enterprises.credit_code import normalise, validate_credit_code
from enterprises.models import Enterprise
from enterprises.selectors import listed_enterprise_ids
from policies.models import PolicyItem

from .models import AutoGrantBatch, AutoGrantEntry, Award
from .services import _notify, _record, awards_resolve_exclusivity, split_shares
from .workflow import AwardState

MAX_ROWS = 20000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
CODE_HEADERS = ("统一社会信用代码", "信用代码", "credit_code")
NAME_HEADERS = ("企业名称", "名称", "name")
AMOUNT_HEADERS = ("金额（元）", "金额(元)", "金额", "amount")


def _require_admin(actor: User) -> None:
    if actor.role != Role.POLICY_ADMIN:
        raise PermissionDenied("只有政策管理员可以办理免申即享名单。")


def _auto_item(item_id: int) -> PolicyItem:
    item = PolicyItem.objects.select_related("document").filter(pk=item_id).first()
    if item is None:
        raise NotFound("未找到该政策事项。")
    if item.mode != PolicyItem.Mode.AUTO:
        raise BadInput(f"“{item.name}”的兑现方式是“{item.get_mode_display()}”，不是免申即享，不能生成免申即享名单。")
    return item


def _rule_amount(item: PolicyItem, enterprise: Enterprise | None) -> tuple[Decimal | None, Decimal | None]:
    from policies.rules.amounts import compute

    result = compute(item.amount_rule, {})
    return result.amount, result.maximum


def _check_entry(
    entry: AutoGrantEntry, item: PolicyItem, *, year: int, seen: set[str], listed: set[int], granted: set[int]
) -> None:
    """Fill entry.enterprise, amount, ok and problems (Chinese, one per issue)."""
    from policies.rules.eligibility import evaluate_profile

    problems: list[str] = []
    code = normalise(entry.credit_code)
    entry.credit_code = code
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        problems.append(exc.messages[0])
    if code in seen:
        problems.append("名单中重复出现，只保留第一次出现的行。")
    seen.add(code)
    enterprise = (
        Enterprise.objects.filter(credit_code=code).prefetch_related("designations").first() if not problems else None
    )
    if enterprise is None and not problems:
        problems.append("平台中没有该统一社会信用代码的企业（请核对代码，或通知企业先注册）。")
    if enterprise is not None:
        entry.enterprise = enterprise
        if entry.name and entry.name != enterprise.name:
            problems.append(f"企业名称与平台登记不一致（平台登记为“{enterprise.name}”）。")
        entry.name = entry.name or enterprise.name
        if enterprise.pk in listed:
            problems.append("该企业在失信名录中，期间不能享受奖励。")
        if enterprise.pk in granted:
            problems.append(f"该企业已获得本事项{year}年度的奖励，不能重复发放。")
        verdict = evaluate_profile(item.eligibility, enterprise=enterprise, on=local_date())
        failed = [r["message"] for r in verdict.reasons if r["passed"] is False]
        problems += [f"不符合条件：{m}" for m in failed]
    suggested, maximum = _rule_amount(item, enterprise)
    if entry.amount is None:
        entry.amount = suggested
    if entry.amount is None:
        problems.append("本事项无法按标准自动计算金额，请在名单中填写金额（元）。")
    elif entry.amount <= 0:
        problems.append("金额必须大于0元。")
    elif maximum is not None and entry.amount > maximum:
        problems.append(f"金额 {entry.amount:,.2f} 元超过政策标准上限 {maximum:,.2f} 元。")
    entry.problems = problems
    entry.ok = not problems


def _context(item: PolicyItem, year: int) -> tuple[set[int], set[int]]:
    listed = listed_enterprise_ids()
    granted = set(
        Award.objects.filter(item=item, year=year)
        .exclude(state__in=[AwardState.CANCELLED, AwardState.FORFEITED])
        .values_list("enterprise_id", flat=True)
    )
    return listed, granted


@transaction.atomic
def auto_batch_from_match(*, actor: User, item_id: int, year: int) -> AutoGrantBatch:
    """Match every enterprise's data against the item's criteria; the list holds those that pass
    every automatic criterion (criteria needing a person's check are listed for review)."""
    from policies.rules.eligibility import evaluate_profile

    _require_admin(actor)
    item = _auto_item(item_id)
    batch = AutoGrantBatch.objects.create(
        item=item, year=year, origin=AutoGrantBatch.Origin.MATCH, source_name="按平台企业数据自动匹配", created_by=actor
    )
    listed, granted = _context(item, year)
    seen: set[str] = set()
    today = local_date()
    row = 0
    for enterprise in Enterprise.objects.prefetch_related("designations").order_by("pk").iterator(chunk_size=500):
        verdict = evaluate_profile(item.eligibility, enterprise=enterprise, on=today)
        if not verdict.eligible:
            continue
        row += 1
        entry = AutoGrantEntry(batch=batch, row_number=row, credit_code=enterprise.credit_code, name=enterprise.name)
        _check_entry(entry, item, year=year, seen=seen, listed=listed, granted=granted)
        entry.save()
    return batch


def _read_rows(upload: UploadedFile) -> list[dict[str, str]]:
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise BadInput("名单文件不能超过5 MB。")
    data = upload.read()
    if data.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception:
            raise BadInput("无法读取该 Excel 文件，请另存为 .xlsx 或 UTF-8 编码的 CSV 后重新上传。") from None
        rows = [["" if v is None else str(v).strip() for v in r] for r in sheet.iter_rows(values_only=True)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise BadInput("无法识别文件编码，请使用 UTF-8 编码的 CSV 或 .xlsx 文件。") from None
        rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]
    rows = [r for r in rows if any(r)]
    if not rows:
        raise BadInput("名单为空。")
    header = rows[0]

    def find(names: tuple[str, ...]) -> int | None:
        return next((i for i, h in enumerate(header) if h in names), None)

    code_col, name_col, amount_col = find(CODE_HEADERS), find(NAME_HEADERS), find(AMOUNT_HEADERS)
    if code_col is None:
        raise BadInput("名单第一行须为表头，且包含“统一社会信用代码”列（可选“企业名称”“金额（元）”列）。")
    if len(rows) - 1 > MAX_ROWS:
        raise BadInput(f"名单不能超过{MAX_ROWS}行，请分批导入。")

    def cell(r: list[str], col: int | None) -> str:
        return r[col] if col is not None and col < len(r) else ""

    return [{"code": cell(r, code_col), "name": cell(r, name_col), "amount": cell(r, amount_col)} for r in rows[1:]]


@transaction.atomic
def auto_batch_from_upload(*, actor: User, item_id: int, year: int, upload: UploadedFile) -> AutoGrantBatch:
    """Import a department's list and check every row; the batch carries the validation report."""
    _require_admin(actor)
    item = _auto_item(item_id)
    rows = _read_rows(upload)
    batch = AutoGrantBatch.objects.create(
        item=item,
        year=year,
        origin=AutoGrantBatch.Origin.UPLOAD,
        source_name=(upload.name or "名单")[:255],
        created_by=actor,
    )
    listed, granted = _context(item, year)
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        entry = AutoGrantEntry(batch=batch, row_number=number, credit_code=row["code"], name=row["name"])
        amount_problem = None
        if row["amount"]:
            try:
                entry.amount = yuan(row["amount"].replace(",", ""))
            except (InvalidOperation, ValueError):
                amount_problem = f"金额“{row['amount']}”不是数字。"
        _check_entry(entry, item, year=year, seen=seen, listed=listed, granted=granted)
        if amount_problem:
            entry.problems = [amount_problem, *entry.problems]
            entry.ok = False
        entry.save()
    return batch


def auto_batch_report(batch: AutoGrantBatch) -> dict[str, Any]:
    """Counts and the problem rows, for the validation report page and the API."""
    entries = list(batch.entries.all())
    return {
        "rows": len(entries),
        "ok": sum(e.ok for e in entries),
        "problems": sum(not e.ok for e in entries),
        "total_amount": str(sum((e.amount or Decimal(0)) for e in entries if e.ok)),
        "problem_rows": [
            {"row": e.row_number, "credit_code": e.credit_code, "name": e.name, "problems": e.problems}
            for e in entries
            if not e.ok
        ],
    }


@transaction.atomic
def auto_batch_approve(*, actor: User, batch_id: int, claim_deadline: datetime) -> list[Award]:
    """Approve a reviewed list: one `claimable` award per row that passed its checks (rows are
    re-checked now, so a listing or award since the import is caught). 从优、就高、不重复 is
    applied per enterprise and exclusivity group afterwards."""
    _require_admin(actor)
    batch = AutoGrantBatch.objects.select_for_update().select_related("item").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("未找到该名单。")
    if batch.status != AutoGrantBatch.Status.DRAFT:
        raise InvalidTransition("该名单已审核或已作废，不能重复审核。", code="invalid_state")
    if timezone.is_naive(claim_deadline) or claim_deadline <= timezone.now():
        raise BadInput("申领截止时间必须是将来的时间（带时区）。", code="deadline_invalid")
    item = batch.item
    listed, granted = _context(item, batch.year)
    seen: set[str] = set()
    awards = []
    for entry in batch.entries.select_for_update().order_by("row_number"):
        keep_amount = entry.amount
        _check_entry(entry, item, year=batch.year, seen=seen, listed=listed, granted=granted)
        entry.amount = keep_amount if keep_amount is not None else entry.amount
        if not entry.ok or entry.enterprise is None or entry.amount is None:
            entry.save(update_fields=["ok", "problems", "enterprise", "amount"])
            continue
        city, district = split_shares(entry.amount, item.funding or {})
        award = Award.objects.create(
            enterprise=entry.enterprise,
            item=item,
            district_id=entry.enterprise.district_id,
            source=Award.Source.AUTO,
            year=batch.year,
            amount=entry.amount,
            city_share=city,
            district_share=district,
            district_pays_first=bool((item.funding or {}).get("district_pays_first", False)),
            claim_deadline=claim_deadline,
            published_by=actor,
        )
        _record(
            award,
            actor=actor,
            action="publish",
            from_state="",
            to_state=AwardState.CLAIMABLE,
            extra={"auto_batch": batch.pk, "row": entry.row_number},
        )
        _notify(award, "publish", "")
        entry.award = award
        entry.save(update_fields=["ok", "problems", "enterprise", "amount", "award"])
        granted.add(entry.enterprise.pk)
        awards.append(award)
    batch.status = AutoGrantBatch.Status.APPROVED
    batch.approved_by = actor
    batch.approved_at = timezone.now()
    batch.claim_deadline = claim_deadline
    batch.save(update_fields=["status", "approved_by", "approved_at", "claim_deadline", "updated_at"])
    if item.exclusivity_group_id:
        for enterprise_id in sorted({a.enterprise_id for a in awards}):
            awards_resolve_exclusivity(enterprise_id=enterprise_id, group_id=item.exclusivity_group_id, year=batch.year)
    return awards


@transaction.atomic
def auto_batch_discard(*, actor: User, batch_id: int) -> AutoGrantBatch:
    _require_admin(actor)
    batch = AutoGrantBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("未找到该名单。")
    if batch.status != AutoGrantBatch.Status.DRAFT:
        raise InvalidTransition("只有待审核的名单可以作废。")
    batch.status = AutoGrantBatch.Status.DISCARDED
    batch.save(update_fields=["status", "updated_at"])
    return batch


def missed_entitlements(*, item: PolicyItem, on: Any = None) -> list[Enterprise]:
    """应享未享: enterprises that pass every automatic criterion of the item but have neither an
    application nor an award under it (R51)."""
    from applications.models import Application
    from policies.rules.eligibility import evaluate_profile

    day = on or local_date()
    applied = set(Application.objects.filter(item=item).values_list("enterprise_id", flat=True))
    awarded = set(Award.objects.filter(item=item).values_list("enterprise_id", flat=True))
    result = []
    for enterprise in Enterprise.objects.prefetch_related("designations").select_related("district").order_by("pk"):
        if enterprise.pk in applied or enterprise.pk in awarded:
            continue
        if evaluate_profile(item.eligibility, enterprise=enterprise, on=day).eligible:
            result.append(enterprise)
    return result
