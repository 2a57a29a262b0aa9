"""Who sees which figures: one scope function, applied by the page, the API and every export."""

import csv
import io

import pytest
from openpyxl import load_workbook

from common.errors import PermissionDenied
from reports.selectors import ReportFilters, report_scope, summary_rows


def ids(*items):
    return tuple(sorted(i.pk for i in items))


def test_scope_per_role(world):
    a, b, c = world.items["A"], world.items["B"], world.items["C"]
    u = world.users
    for name in ("rev_sc", "fund_sc", "tax_sc"):
        scope = report_scope(u[name])
        assert (scope.district_id, scope.item_ids, scope.label) == (world.sc.pk, None, "上城区"), name
    assert report_scope(u["rev_xh"]).district_id == world.xh.pk
    assert (report_scope(u["auditor"]).district_id, report_scope(u["auditor"]).item_ids) == (None, None)
    assert (report_scope(u["admin"]).district_id, report_scope(u["admin"]).item_ids) == (None, None)
    assert report_scope(u["admin_sci"]).item_ids == ids(c)
    city = report_scope(u["city"])
    assert (city.district_id, city.item_ids) == (None, ids(a, b))  # 市商务局 handles commerce + economy
    assert report_scope(u["city_sci"]).item_ids == ids(c)
    assert report_scope(u["tax_city"]).item_ids == ids(a)  # items co-reviewed by tax


@pytest.mark.parametrize("case", ["enterprise", "anonymous", "inactive", "reviewer_without_org"])
def test_scope_refuses(world, case):
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import Role, User

    if case == "enterprise":
        user = world.users["ent"]
    elif case == "anonymous":
        user = AnonymousUser()
    elif case == "inactive":
        user = world.users["auditor"]
        user.is_active = False
    else:
        user = User.objects.create_user(username="orphan", password="Hz-test-2026", role=Role.DISTRICT_REVIEWER)
    with pytest.raises(PermissionDenied):
        report_scope(user)


def test_city_approver_sees_only_their_lines(world):
    rows = summary_rows(scope=report_scope(world.users["city"]), filters=ReportFilters())
    assert {r["item_code"] for r in rows} == {"SP-A", "SP-B"}
    rows = summary_rows(scope=report_scope(world.users["city_sci"]), filters=ReportFilters())
    assert {r["item_code"] for r in rows} == {"SP-C"}
    assert sum(r["n_total"] for r in rows) == 2


def test_district_user_page_shows_only_their_district(world, login):
    client = login(world.users["rev_sc"])
    page = client.get("/reports/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "上城区" in text and "西湖区" not in text
    assert "340,000.00" in text  # SC 申报金额
    assert "325,000.00" not in text and "665,000.00" not in text  # XH and city-wide figures
    # Naming the other district is refused, not answered.
    refused = client.get("/reports/", {"district": world.xh.pk})
    assert refused.status_code == 400
    assert "西湖区" not in refused.content.decode()
    assert "不在您的查看范围内" in refused.content.decode()


def test_district_user_api_shows_only_their_district(world, api_as):
    api = api_as(world.users["rev_sc"])
    body = api.get("/api/v1/reports/summary/").json()
    assert [d["district"]["name"] for d in body["districts"]] == ["上城区"]
    assert body["totals"]["counts"]["total"] == 7 and body["totals"]["amounts"]["requested"] == "340000.00"
    assert api.get("/api/v1/reports/summary/", {"district": world.xh.pk}).status_code == 404
    body = api.get("/api/v1/reports/summary/", {"round": world.rounds["RA"].pk}).json()
    assert [d["district"]["name"] for d in body["districts"]] == ["上城区"]
    assert body["totals"]["counts"]["total"] == 6


def _workbook_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row if value
    )


def test_district_user_exports_show_only_their_district(world, login):
    client = login(world.users["rev_sc"])
    for table in ("districts", "summary", "settlement", "cases", "budget", "breaches", "monthly", "stages", "targets"):
        response = client.get("/reports/export.csv", {"table": table})
        assert response.status_code == 200, table
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        assert "西湖" not in text, table
    cases = list(
        csv.reader(
            io.StringIO(
                b"".join(client.get("/reports/export.csv", {"table": "cases"}).streaming_content).decode("utf-8-sig")
            )
        )
    )
    assert len(cases) == 1 + 7  # header + the 7 上城区 cases
    workbook = client.get("/reports/export.xlsx")
    assert workbook.status_code == 200
    text = _workbook_text(b"".join(workbook.streaming_content))
    assert "上城区" in text and "西湖" not in text
    api_file = client.get("/api/v1/reports/summary/", {"format": "xlsx"})
    assert "西湖" not in _workbook_text(b"".join(api_file.streaming_content))


@pytest.mark.parametrize(
    "url", ["/reports/", "/reports/export.xlsx", "/reports/export.csv?table=cases", "/reports/export.xlsx?table=cases"]
)
def test_enterprise_user_is_refused_everywhere(world, login, url):
    response = login(world.users["ent"]).get(url)
    assert response.status_code == 403
    assert "上城区" not in response.content.decode(errors="ignore")


def test_enterprise_user_is_refused_by_the_api(world, api_as):
    for params in ({}, {"format": "csv"}, {"format": "xlsx"}):
        response = api_as(world.users["ent"]).get("/api/v1/reports/summary/", params)
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["code"] == "not_official"


def test_anonymous_is_sent_to_login_or_refused(world, client):
    page = client.get("/reports/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert client.get("/reports/export.csv").status_code == 302
    assert client.get("/api/v1/reports/summary/").status_code in (401, 403)
