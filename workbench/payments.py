"""Payment spreadsheets (支付登记表): read .xlsx or UTF-8 .csv, check every row, report per row.

Columns (the header row, any order, extra columns ignored): 奖励编号, 支付凭证号, 支付日期.
Checking reads only; writing is workbench.services.payments_import (all or nothing).
"""

import csv
import io
import re
from collections import Counter
from datetime import date, datetime

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from accounts.models import User
from awards.models import Award
from awards.selectors import award_queryset_for
from awards.workflow import AwardState
from common.errors import BadInput

from .services import PaymentRow

COLUMNS = ("奖励编号", "支付凭证号", "支付日期")
MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_xlsx(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise BadInput("无法读取该 Excel 文件，请另存为 .xlsx 后重新上传。", code="bad_file") from None
    try:
        sheet = book.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
    finally:
        book.close()


def _rows_from_csv(data: bytes) -> list[list[object]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("CSV 文件须为 UTF-8 编码（Excel 中“另存为 CSV UTF-8”）。", code="bad_encoding") from None
    return [list(r) for r in csv.reader(io.StringIO(text))]


def read_payment_file(upload: UploadedFile) -> list[PaymentRow]:
    """Parse the upload into rows (line numbers as the official sees them in the spreadsheet).

    Errors: BadInput for a file that is not .xlsx/.csv, too big, unreadable, without the three
    columns, empty, or longer than MAX_ROWS rows. Bad cells become row errors, not exceptions.
    """
    name = (upload.name or "").lower()
    if upload.size and upload.size > MAX_BYTES:
        raise BadInput("文件不能超过 2MB；请分批上传。", code="file_too_big")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise BadInput("文件不能超过 2MB；请分批上传。", code="file_too_big")
    if name.endswith(".xlsx"):
        if not data.startswith(b"PK"):
            raise BadInput("文件内容不是 Excel（.xlsx）格式。", code="bad_file")
        table = _rows_from_xlsx(data)
    elif name.endswith(".csv"):
        table = _rows_from_csv(data)
    else:
        raise BadInput("请上传 .xlsx 或 .csv（UTF-8）文件。", code="bad_file")
    header_at = next((i for i, r in enumerate(table) if any(_cell_text(c) for c in r)), None)
    if header_at is None:
        raise BadInput("表格是空的。", code="empty_import")
    header = [_cell_text(c) for c in table[header_at]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BadInput(f"表头缺少列：{'、'.join(missing)}。表头须包含：{'、'.join(COLUMNS)}。", code="bad_header")
    index = {c: header.index(c) for c in COLUMNS}
    rows: list[PaymentRow] = []
    for offset, cells in enumerate(table[header_at + 1 :], start=header_at + 2):
        values = {c: (cells[i] if i < len(cells) else None) for c, i in index.items()}
        if not any(_cell_text(v) for v in values.values()):
            continue
        rows.append(_parse_row(offset, values))
    if not rows:
        raise BadInput("表格中没有支付记录。", code="empty_import")
    if len(rows) > MAX_ROWS:
        raise BadInput(f"一次最多导入 {MAX_ROWS} 行，请分批上传。", code="too_many_rows")
    return rows


def _parse_row(line: int, values: dict[str, object]) -> PaymentRow:
    errors: list[str] = []
    raw_id = _cell_text(values["奖励编号"]).lstrip("#")
    award_id = int(raw_id) if raw_id.isdigit() else None
    if award_id is None:
        errors.append(f"奖励编号“{raw_id}”不是有效的编号。" if raw_id else "缺少奖励编号。")
    reference = _cell_text(values["支付凭证号"])
    if not reference:
        errors.append("缺少支付凭证号。")
    elif len(reference) > 64:
        errors.append("支付凭证号不能超过64个字符。")
    paid_on = _parse_date(values["支付日期"])
    if paid_on is None:
        shown = _cell_text(values["支付日期"])
        errors.append(f"支付日期“{shown}”无法识别，请写成 2026-03-15。" if shown else "缺少支付日期。")
    elif paid_on > timezone.localdate():
        errors.append("支付日期不能晚于今天。")
    return PaymentRow(line=line, award_id=award_id, reference=reference, paid_on=paid_on, errors=errors)


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError:
                return None
    return None


def check_payment_rows(*, user: User, rows: list[PaymentRow]) -> list[PaymentRow]:
    """Add per-row errors: unknown id (or not this official's), wrong state, id or reference twice
    in the file, reference already used. Two queries for the whole file."""
    ids = {r.award_id for r in rows if r.award_id is not None}
    awards = {a.pk: a for a in award_queryset_for(user).filter(pk__in=ids).select_related("enterprise")}
    references = {r.reference for r in rows if r.reference}
    used = dict(Award.objects.filter(payment_reference__in=references).values_list("payment_reference", "pk"))
    id_counts = Counter(r.award_id for r in rows if r.award_id is not None)
    ref_counts = Counter(r.reference for r in rows if r.reference)
    for row in rows:
        award = awards.get(row.award_id) if row.award_id is not None else None
        if row.award_id is not None and award is None:
            row.errors.append(f"未找到奖励编号 {row.award_id}，或该奖励不属于本属地。")
        if award is not None:
            row.enterprise, row.amount = award.enterprise.name, award.amount
            if award.state != AwardState.CLAIMED:
                row.errors.append(f"奖励当前状态为“{award.get_state_display()}”，只有“已申领”的奖励可以登记支付。")
        if row.award_id is not None and id_counts[row.award_id] > 1:
            row.errors.append(f"奖励编号 {row.award_id} 在表格中出现了 {id_counts[row.award_id]} 次。")
        if row.reference and ref_counts[row.reference] > 1:
            row.errors.append(f"支付凭证号“{row.reference}”在表格中重复。")
        if row.reference in used and used[row.reference] != row.award_id:
            row.errors.append(f"支付凭证号“{row.reference}”已用于奖励 #{used[row.reference]}。")
    return rows
