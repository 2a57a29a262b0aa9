"""The dashboard page and its downloads. Thin: scope, filters, selectors, render."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from common.errors import PermissionDenied

from .charts import chart_data
from .exports import EXCEL_MAX_ROWS, csv_response, export_filename, xlsx_response
from .forms import ReportFilterForm, error_text
from .selectors import DashboardData, ReportFilters, ReportScope, case_count, report_scope
from .tables import TABLE_BUILDERS, TABLE_KEYS, TABLE_TITLES, cases_table, dashboard_tables


def _scope(request: HttpRequest) -> ReportScope:
    try:
        return report_scope(request.user)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None


def _bad_request(form: ReportFilterForm) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(f"筛选条件有误：{error_text(form)}", content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = ReportFilterForm(request.GET, scope=scope)
    context: dict[str, object] = {"form": form, "scope": scope, "table_titles": TABLE_TITLES}
    if form.is_valid():
        filters = form.filters()
        wants_entitlements = request.GET.get("entitlements") == "1"
        data = DashboardData(scope=scope, filters=filters, with_entitlements=wants_entitlements)
        context.update(
            wants_entitlements=wants_entitlements,
            data=data,
            tables=dashboard_tables(data),
            charts=chart_data(data),
            query=urlencode(filters.as_params()),
        )
    return render(request, "reports/dashboard.html", context, status=200 if form.is_valid() else 400)


def _filters_or_400(request: HttpRequest, scope: ReportScope) -> ReportFilters | HttpResponseBadRequest:
    form = ReportFilterForm(request.GET, scope=scope)
    if not form.is_valid():
        return _bad_request(form)
    return form.filters()


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponseBase:
    """All dashboard tables as one workbook (a sheet each), or one table with ?table=<key>;
    ?table=cases gives one row per application."""
    scope = _scope(request)
    filters = _filters_or_400(request, scope)
    if isinstance(filters, HttpResponseBadRequest):
        return filters
    key = request.GET.get("table", "")
    if key == "cases":
        if case_count(scope=scope, filters=filters) >= EXCEL_MAX_ROWS:
            return HttpResponseBadRequest(
                "申报件超过 Excel 单表行数上限，请缩小筛选范围或下载 CSV。", content_type="text/plain; charset=utf-8"
            )
        tables = [cases_table(scope=scope, filters=filters)]
    elif key in TABLE_BUILDERS or key == "":
        data = DashboardData(
            scope=scope, filters=filters, with_entitlements=key == "targets" and request.GET.get("entitlements") == "1"
        )
        tables = dashboard_tables(data, [key] if key else TABLE_BUILDERS)
    else:
        return HttpResponseBadRequest(
            f"未知报表：{key}。可选：{'、'.join(TABLE_KEYS)}。", content_type="text/plain; charset=utf-8"
        )
    title = TABLE_TITLES[key] if key else "统计报表"
    return xlsx_response(tables, export_filename(title, "xlsx", scope.label))


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """One table as CSV (UTF-8 with BOM), streamed: ?table=<key>, default the district summary."""
    scope = _scope(request)
    filters = _filters_or_400(request, scope)
    if isinstance(filters, HttpResponseBadRequest):
        return filters
    key = request.GET.get("table", "") or "districts"
    if key == "cases":
        table = cases_table(scope=scope, filters=filters)
    elif key in TABLE_BUILDERS:
        data = DashboardData(
            scope=scope, filters=filters, with_entitlements=key == "targets" and request.GET.get("entitlements") == "1"
        )
        table = dashboard_tables(data, [key])[0]
    else:
        return HttpResponseBadRequest(
            f"未知报表：{key}。可选：{'、'.join(TABLE_KEYS)}。", content_type="text/plain; charset=utf-8"
        )
    return csv_response(table, export_filename(TABLE_TITLES[key], "csv", scope.label))
