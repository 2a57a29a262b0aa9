"""Batch actions of the officials' workbench, built on the apps' own services.

- `applications_accept_batch`: several 受理 at once, each case in its own transaction, so one
  failure leaves the others accepted; the caller gets a line per case.
- `payments_import`: a payment spreadsheet recorded all-or-nothing: one transaction, every row
  through `awards.services.award_pay`; if any row fails nothing is written and the report says
  which row failed and why.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from accounts.models import User
from applications.services import application_accept
from common.errors import DomainError, NotFound


@dataclass
class BatchLine:
    application_id: int
    ok: bool
    message: str


def applications_accept_batch(*, actor: User, application_ids: Iterable[Any]) -> list[BatchLine]:
    """受理 each chosen case through `application_accept`, one transaction per case.

    Who: a district reviewer (each call checks role, district, line and state). Deliberately not
    atomic as a whole: a case another reviewer accepted a moment ago fails alone. Returns one
    line per distinct id, in the order given. Errors: none raised; failures are in the lines.
    """
    lines: list[BatchLine] = []
    seen: set[int] = set()
    for raw in application_ids:
        try:
            app_id = int(raw)
        except (TypeError, ValueError):
            continue
        if app_id in seen:
            continue
        seen.add(app_id)
        try:
            application_accept(actor=actor, application_id=app_id)
        except NotFound:
            lines.append(BatchLine(app_id, False, "未找到该申报件，或您无权办理。"))
        except DomainError as exc:
            lines.append(BatchLine(app_id, False, exc.message))
        else:
            lines.append(BatchLine(app_id, True, "已受理，审核时限开始计算。"))
    return lines


@dataclass
class PaymentRow:
    """One row of a payment spreadsheet after parsing (line = the spreadsheet's row number)."""

    line: int
    award_id: int | None
    reference: str
    paid_on: date | None
    errors: list[str] = field(default_factory=list)
    enterprise: str = ""
    amount: Any = None
    done: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_data(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "award_id": self.award_id,
            "reference": self.reference,
            "paid_on": self.paid_on.isoformat() if self.paid_on else None,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "PaymentRow":
        paid_on = date.fromisoformat(data["paid_on"]) if data.get("paid_on") else None
        return cls(
            line=int(data["line"]),
            award_id=data.get("award_id"),
            reference=str(data.get("reference") or ""),
            paid_on=paid_on,
        )


class PaymentImportFailed(DomainError):
    """At least one row could not be recorded; nothing was written. `rows` carries the report."""

    status_code = 409
    default_code = "payment_import_failed"

    def __init__(self, rows: list[PaymentRow]) -> None:
        failed = [r for r in rows if r.errors]
        super().__init__(f"有 {len(failed)} 行无法登记，全部 {len(rows)} 行均未登记（整批回滚）。请修正后重新上传。")
        self.rows = rows


@transaction.atomic
def payments_import(*, actor: User, rows: list[PaymentRow]) -> list[PaymentRow]:
    """Record every row's payment with `award_pay`, all or nothing.

    Who: the district fund officer (award_pay checks each award). Each row runs in a savepoint so
    the report can name every failing row; if any failed, the whole transaction is rolled back
    (notifications queued for the rows that did succeed are dropped with it) and
    PaymentImportFailed is raised with the report. Rows already marked with errors count as failed.
    """
    from awards.services import award_pay

    if not rows:
        from common.errors import BadInput

        raise BadInput("表格中没有支付记录。", code="empty_import")
    failed = any(r.errors for r in rows)
    for row in rows:
        if row.errors:
            continue
        try:
            award = award_pay(actor=actor, award_id=row.award_id or 0, reference=row.reference, paid_on=row.paid_on)
        except NotFound:
            row.errors.append("未找到该奖励编号，或不属于本属地。")
            failed = True
        except DomainError as exc:
            row.errors.append(exc.message)
            failed = True
        else:
            row.done = True
            row.enterprise, row.amount = award.enterprise.name, award.amount
    if failed:
        for row in rows:
            row.done = False
        raise PaymentImportFailed(rows)
    return rows
