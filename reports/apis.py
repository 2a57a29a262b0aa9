"""GET /api/v1/reports/summary/ (SPEC §9): per-district counts by state and amounts, with totals;
`?format=xlsx` / `?format=csv` return the same figures as files.

DRF reads `format` as its format-override parameter, so the xlsx and csv renderers are declared
here: content negotiation then selects them instead of answering 404, and the view returns the
file itself. Errors are always JSON, whatever format was asked for.
"""

from decimal import Decimal
from typing import Any

from django.http import Http404, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.workflow import State
from awards.workflow import AwardState
from common.errors import BadInput, NotFound
from policies.models import Round

from .exports import XLSX_TYPE, csv_response, export_filename, xlsx_response
from .forms import ReportFilterForm, error_text
from .selectors import AWARD_AMOUNT_KEYS, DashboardData, ReportFilters, report_scope
from .tables import district_table, summary_table


class XlsxRenderer(BaseRenderer):
    media_type = XLSX_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else b""


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else b""


def _money(value: Any) -> str:
    return f"{value:.2f}"


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    counts = {s: row[f"n_{s}"] for s in State.values}
    counts["total"] = row["n_total"]
    award_states = [k.removeprefix("award_") for k in AWARD_AMOUNT_KEYS]
    return {
        "counts": counts,
        "amounts": {
            "requested": _money(row["requested"]),
            "approved": _money(row["approved"]),
            **{s: _money(row[f"award_{s}"]) for s in award_states},
            "paid_out": _money(row["paid_out"]),
        },
        "award_counts": {s: row[f"award_n_{s}"] for s in award_states},
        "overdue": row["overdue"],
    }


FILTER_PARAMETERS = [
    OpenApiParameter("round", OpenApiTypes.INT, description="申报批次 id"),
    OpenApiParameter("policy", OpenApiTypes.INT, description="政策事项 id"),
    OpenApiParameter("district", OpenApiTypes.INT, description="属地 id"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="申报日期起（含）"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="申报日期止（含）"),
    OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "xlsx", "csv"], description="json（默认）、xlsx 或 csv"),
]


class ReportSummaryApi(APIView):
    renderer_classes = [JSONRenderer, XlsxRenderer, CsvRenderer]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        try:
            return super().perform_content_negotiation(request, force=force)
        except Http404:
            raise BadInput("format 只能是 json、xlsx 或 csv。", code="bad_format") from None

    def handle_exception(self, exc: Exception) -> Response:
        # Errors are JSON even when a file was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def _filters(self, request: Request, scope: Any) -> ReportFilters:
        form = ReportFilterForm(request.query_params, scope=scope)
        if form.is_valid():
            return form.filters()
        # An id the user may not see is "not found" (SPEC §9), a malformed value is bad input.
        codes = {e.code for errors in form.errors.as_data().values() for e in errors}
        if codes == {"invalid_choice"} and all(str(request.query_params.get(f, "")).isdigit() for f in form.errors):
            raise NotFound()
        raise BadInput(error_text(form), code="invalid_filter")

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="按属地的状态件数与金额，及合计（totals）"),
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="Excel 文件"),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV 文件（UTF-8 BOM）"),
        },
    )
    def get(self, request: Request) -> Response | HttpResponseBase:
        scope = report_scope(request.user)  # type: ignore[arg-type]
        filters = self._filters(request, scope)
        data = DashboardData(scope=scope, filters=filters)
        fmt = getattr(request.accepted_renderer, "format", "json")
        if fmt == "xlsx":
            return xlsx_response(
                [district_table(data), summary_table(data)], export_filename("分属地汇总", "xlsx", scope.label)
            )
        if fmt == "csv":
            return csv_response(district_table(data), export_filename("分属地汇总", "csv", scope.label))
        round_ = None
        if filters.round_id is not None:
            r = Round.objects.select_related("item").get(pk=filters.round_id)
            used = sum((row["budget_used"] for row in data.by_round), start=Decimal(0))
            round_ = {
                "id": r.pk,
                "name": r.name,
                "item": {"id": r.item_id, "code": r.item.code, "name": r.item.name},
                "budget": _money(r.budget) if r.budget is not None else None,
                "budget_used": _money(used),
            }
        return Response(
            {
                "scope": scope.label,
                "filters": {
                    "round": filters.round_id,
                    "policy": filters.policy_id,
                    "district": filters.district_id,
                    "date_from": filters.date_from,
                    "date_to": filters.date_to,
                },
                "round": round_,
                "states": [{"state": s, "state_label": label} for s, label in State.choices],
                "award_states": [{"state": s, "state_label": label} for s, label in AwardState.choices],
                "districts": [
                    {"district": {"id": row["district_id"], "name": row["district_name"]}, **_figures(row)}
                    for row in data.by_district
                ],
                "totals": _figures(data.totals),
            }
        )
