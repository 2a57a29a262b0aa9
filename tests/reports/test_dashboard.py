"""The dashboard page: figures, chart data, local chart library, filters, and a pinned query count."""

import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import at

STATIC = Path(settings.BASE_DIR) / "static"


def chart_json(html: str) -> dict:
    match = re.search(r'<script id="report-charts" type="application/json">(.*?)</script>', html, re.S)
    assert match, "chart data missing"
    return json.loads(match.group(1))


def test_dashboard_shows_figures_tables_and_chart_data(history, login):
    response = login(history.users["auditor"]).get("/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    for title in (
        "分属地汇总",
        "分事项、批次、属地汇总",
        "批次预算使用",
        "各环节用时",
        "时限执行情况",
        "市区清算",
        "推送与兑现目标",
        "按申报月份",
    ):
        assert title in html
    assert "66.5万元" in html  # 申报金额 665000
    assert "32万元" in html  # 审定金额 320000
    assert "15.8%" in html  # 免申即享/即申即享 share 32000 / 202000
    charts = chart_json(html)
    assert charts["states"]["labels"][:3] == ["草稿", "已申报", "属地审核中"]
    assert charts["states"]["values"] == [1, 1, 1, 1, 1, 0, 1, 3, 1, 1, 1]
    assert charts["amounts"]["values"] == [66.5, 32.0, 20.2, 1.5, 15.0]
    assert charts["stages"] == {
        "labels": ["属地审核", "会审", "市级审定", "企业申领"],
        "median": [2.0, 1.0, 2.5, 2.5],
        "p90": [4.5, 2.6, 5.1, 4.4],
    }
    assert charts["budget"]["labels"] == ["SP-A 2023年第一批", "SP-B 2023年免申批次"]
    assert charts["budget"]["used"] == [23.0, 5.7]
    assert charts["monthly"]["submitted"] == [7, 2, 2]
    # Export links carry the filters.
    assert 'href="/reports/export.xlsx?"' in html or "/reports/export.xlsx?" in html


def test_charts_use_the_local_chart_library_and_no_inline_code(history, login):
    html = login(history.users["auditor"]).get("/reports/").content.decode()
    assert "/static/vendor/chartjs/chart.umd.min.js" in html and "/static/js/reports.js" in html
    assert "cdn" not in html.lower()
    scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert scripts == ['<script id="report-charts" type="application/json">']  # data only
    assert "<style" not in html and " style=" not in html  # the CSP allows no inline style
    library = STATIC / "vendor" / "chartjs" / "chart.umd.min.js"
    assert library.stat().st_size > 100_000 and library.read_text()[:200].count("Chart.js v4")
    assert "MIT" in (STATIC / "vendor" / "chartjs" / "LICENSE.md").read_text()
    assert "report-charts" in (STATIC / "js" / "reports.js").read_text()


def test_filters_narrow_the_page_and_keep_the_export_links(world, login):
    client = login(world.users["auditor"])
    html = client.get("/reports/", {"district": world.xh.pk, "date_from": "2023-01-01"}).content.decode()
    assert "32.5万元" in html  # 西湖区 申报金额 325000
    assert f"district={world.xh.pk}" in html and "date_from=2023-01-01" in html


def test_bad_filters_show_the_error(world, login):
    response = login(world.users["auditor"]).get("/reports/", {"date_from": "2023-02-01", "date_to": "2023-01-01"})
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.content.decode()


def test_entitlements_are_computed_on_request(world, login):
    client = login(world.users["auditor"])
    assert "计算应享未享" in client.get("/reports/").content.decode()
    html = client.get("/reports/", {"entitlements": "1"}).content.decode()
    assert "0 家（0 个企业×事项）" in html


def _more_cases(world, n: int) -> None:
    """n more cases in a third district, each with history and an award, to show the page's queries
    do not grow with the data."""
    from accounts.models import District
    from applications.models import Application, ApplicationEvent
    from awards.models import Award, AwardEvent
    from enterprises.credit_code import make_code
    from enterprises.models import Enterprise

    district = District.objects.create(code="binjiang", name="滨江区", sort_order=3)
    for i in range(n):
        ent = Enterprise.objects.create(
            name=f"滨江企业{i}", credit_code=make_code(f"91330108MA{i:07d}"), district=district
        )
        app = Application.objects.create(
            enterprise=ent,
            round=world.rounds["RA"],
            item=world.items["A"],
            district=district,
            state="approved",
            suggested_amount=Decimal(1000),
            amount=Decimal(900),
            submitted_at=at(1, 3),
        )
        for k, action in enumerate(("submit", "accept", "opinion", "approve", "submit_to_city", "city_approve")):
            ApplicationEvent.objects.create(application=app, action=action, at=at(1, 3) + timedelta(days=k))
        award = Award.objects.create(
            application=app,
            enterprise=ent,
            item=world.items["A"],
            round=world.rounds["RA"],
            district=district,
            year=2023,
            amount=Decimal(900),
            city_share=Decimal(450),
            district_share=Decimal(450),
            claim_deadline=at(12, 31),
        )
        AwardEvent.objects.create(award=award, action="publish", to_state="claimable", at=at(2, 1))


def test_dashboard_query_count_does_not_grow_with_cases(history, login):
    client = login(history.users["auditor"])
    client.get("/reports/")  # warm the session and content types

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/reports/").status_code == 200
        return len(ctx.captured_queries)

    before = count_queries()
    _more_cases(history, 25)
    after = count_queries()
    assert after == before
    # session, user, 3 filter choices, 2 GROUP BYs + 3 labels, district names, stage times,
    # late decisions, targets, monthly, unread-notification badge
    assert before == 16


def test_district_dashboard_query_count_is_pinned_too(world, login):
    client = login(world.users["rev_sc"])
    client.get("/reports/")
    with CaptureQueriesContext(connection) as first:
        client.get("/reports/")
    _more_cases(world, 10)
    with CaptureQueriesContext(connection) as second:
        client.get("/reports/")
    assert len(first.captured_queries) == len(second.captured_queries)
