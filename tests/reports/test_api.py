"""GET /api/v1/reports/summary/ (SPEC §9), as JSON and with ?format=xlsx / ?format=csv."""

import csv
import io

from openpyxl import load_workbook

URL = "/api/v1/reports/summary/"


def test_summary_json_per_district_and_totals(world, api_as):
    response = api_as(world.users["auditor"]).get(URL, {"round": world.rounds["RA"].pk})
    assert response.status_code == 200
    body = response.json()
    assert body["round"] == {
        "id": world.rounds["RA"].pk,
        "name": "2023年第一批",
        "item": {"id": world.items["A"].pk, "code": "SP-A", "name": "商贸头部企业奖励"},
        "budget": "1000000.00",
        "budget_used": "230000.00",
    }
    assert [s["state"] for s in body["states"]] == [
        "draft",
        "submitted",
        "district_review",
        "returned",
        "district_rejected",
        "district_approved",
        "city_review",
        "approved",
        "city_rejected",
        "withdrawn",
        "expired",
    ]
    assert body["states"][0]["state_label"] == "草稿"
    districts = {d["district"]["name"]: d for d in body["districts"]}
    assert set(districts) == {"上城区", "西湖区"}
    sc = districts["上城区"]
    assert sc["district"]["id"] == world.sc.pk
    assert sc["counts"] == {
        "draft": 1,
        "submitted": 0,
        "district_review": 1,
        "returned": 0,
        "district_rejected": 1,
        "district_approved": 0,
        "city_review": 1,
        "approved": 1,
        "city_rejected": 0,
        "withdrawn": 1,
        "expired": 0,
        "total": 6,
    }
    assert sc["amounts"]["requested"] == "250000.00" and sc["amounts"]["approved"] == "80000.00"
    assert sc["amounts"]["paid"] == "80000.00" and sc["award_counts"]["paid"] == 1 and sc["overdue"] == 1
    xh = districts["西湖区"]
    assert xh["amounts"]["recovered"] == "150000.00" and xh["counts"]["total"] == 4
    totals = body["totals"]
    assert totals["counts"]["total"] == 10 and totals["counts"]["approved"] == 2
    assert (totals["amounts"]["requested"], totals["amounts"]["approved"], totals["amounts"]["recovered"]) == (
        "530000.00",
        "230000.00",
        "150000.00",
    )


def test_summary_without_round_covers_all_rounds(world, api_as):
    body = api_as(world.users["auditor"]).get(URL).json()
    assert body["round"] is None
    assert body["totals"]["counts"]["total"] == 12
    assert body["totals"]["amounts"]["paid_out"] == "202000.00"


def test_format_xlsx_returns_a_workbook(world, api_as):
    response = api_as(world.users["auditor"]).get(URL, {"round": world.rounds["RA"].pk, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["分属地汇总", "分事项、批次、属地汇总"]
    rows = list(book["分属地汇总"].iter_rows(values_only=True))
    asked = rows[0].index("申报金额（元）")
    assert {r[0]: r[asked] for r in rows[1:] if r[0] in ("上城区", "西湖区", "合计")} == {
        "上城区": 250000,
        "西湖区": 280000,
        "合计": 530000,
    }


def test_format_csv_returns_utf8_bom_csv(world, api_as):
    response = api_as(world.users["auditor"]).get(URL, {"round": world.rounds["RA"].pk, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    assert header[0] == "属地"
    total = dict(zip(header, next(r for r in rows if r[0] == "合计"), strict=True))
    assert total["审定金额（元）"] == "230000.00" and total["申报件数合计"] == "10"


def test_session_authentication_works_too(world, login):
    response = login(world.users["auditor"]).get(URL, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_unknown_format_is_bad_input_not_404(world, api_as):
    response = api_as(world.users["auditor"]).get(URL, {"format": "pdf"})
    assert response.status_code == 400
    assert response.json() == {"detail": "format 只能是 json、xlsx 或 csv。", "code": "bad_format"}


def test_round_outside_the_users_lines_is_not_found(world, api_as):
    api = api_as(world.users["city_sci"])  # science line: round RA (commerce) is not theirs
    response = api.get(URL, {"round": world.rounds["RA"].pk, "format": "xlsx"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api.get(URL, {"round": 999999}).status_code == 404
    assert api.get(URL, {"round": world.rounds["RC"].pk}).status_code == 200


def test_malformed_filters_are_bad_input(world, api_as):
    api = api_as(world.users["auditor"])
    response = api.get(URL, {"round": "abc"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_filter"
    response = api.get(URL, {"date_from": "2023-13-01"})
    assert response.status_code == 400 and "有效日期" in response.json()["detail"]


def test_schema_lists_the_endpoint(world, api_as):
    response = api_as(world.users["auditor"]).get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/reports/summary/" in response.content
