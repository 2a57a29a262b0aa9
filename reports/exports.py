"""Excel and CSV files of the report tables (SPEC §6: every table exportable).

- Excel: openpyxl in write-only mode (rows go straight to the zip stream), one sheet per table,
  Chinese headers, counts as integers and amounts as numbers formatted `#,##0.00`, written to a
  temporary file and sent with FileResponse (chunked), so a large workbook is never built in memory.
- CSV: UTF-8 with a BOM (Excel opens it as UTF-8), streamed with StreamingHttpResponse from a
  generator; per-case rows come from a server-side cursor (`.iterator()`), so memory stays flat.
Amounts in CSV are plain numbers (`123456.78`), times are Beijing time `YYYY-MM-DD HH:MM:SS`.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .tables import DATETIME, DAYS, INT, MONEY, RATIO, ReportTable

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
EXCEL_MAX_ROWS = 1_048_576
NUMBER_FORMATS = {MONEY: "#,##0.00", INT: "0", RATIO: "0.00%", DAYS: "0.00", DATETIME: "yyyy-mm-dd hh:mm:ss"}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F7")


def _local(value: datetime) -> datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique within the workbook.
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31]
    name, n = clean, 2
    while name in used:
        suffix = f"({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == DATETIME and isinstance(value, datetime):
        return _local(value)
    if kind in (MONEY, RATIO, DAYS) and isinstance(value, Decimal):
        return value  # openpyxl writes Decimal as a number
    return value


def _write_sheet(workbook: Workbook, table: ReportTable, used: set[str]) -> None:
    sheet: WriteOnlyWorksheet = workbook.create_sheet(_sheet_title(table.title, used))
    widths = [max(10, min(40, len(c.label) * 2 + 2)) for c in table.columns]
    for i, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.label)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    sheet.append(header)
    kinds = [c.kind for c in table.columns]
    formats = [NUMBER_FORMATS.get(k) for k in kinds]
    written = 1
    for row in table.rows:
        written += 1
        if written > EXCEL_MAX_ROWS:
            break
        out: list[Any] = []
        for value, kind, number_format in zip(row, kinds, formats, strict=True):
            value = _xlsx_value(value, kind)
            if number_format and value is not None and kind != INT:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                out.append(cell)
            else:
                out.append(value)
        sheet.append(out)
    if table.note:
        sheet.append([])
        sheet.append([f"说明：{table.note}"])


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def write_xlsx(tables: Iterable[ReportTable], out: IO[bytes]) -> None:
    """Write the tables, one sheet each, to the binary file `out`."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        _write_sheet(workbook, table, used)
    workbook.save(out)


def xlsx_response(tables: Iterable[ReportTable], filename: str) -> FileResponse:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the download ends
    write_xlsx(tables, handle)
    handle.seek(0)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def _csv_text(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{_local(value):%Y-%m-%d %H:%M:%S}"
    if isinstance(value, Decimal):
        return f"{value:.4f}" if kind == RATIO else f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return value


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(table: ReportTable, *, batch: int = 500) -> Iterator[str]:
    """The BOM, the header line, then the rows, in chunks of `batch` lines."""
    writer = csv.writer(_Echo())
    kinds = [c.kind for c in table.columns]
    yield BOM + writer.writerow([c.label for c in table.columns])
    chunk: list[str] = []
    for row in table.rows:
        chunk.append(writer.writerow([_csv_text(v, k) for v, k in zip(row, kinds, strict=True)]))
        if len(chunk) >= batch:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


def csv_response(table: ReportTable, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse((line.encode("utf-8") for line in csv_lines(table)), content_type=CSV_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


def export_filename(title: str, extension: str, scope_label: str = "") -> str:
    stamp = f"{timezone.localtime():%Y%m%d-%H%M}"
    prefix = f"{scope_label}_" if scope_label else ""
    safe = "".join(ch for ch in f"{prefix}{title}" if ch not in '\\/:*?"<>|（）() ')
    return f"惠企政策统计_{safe}_{stamp}.{extension}"
