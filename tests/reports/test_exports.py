"""Excel and CSV downloads read back: sheets, Chinese headers, numbers as numbers, BOM, streaming."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from reports.tables import TABLE_TITLES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def read_csv(response):
    assert response.status_code == 200
    assert response.streaming  # StreamingHttpResponse, never the whole file in memory
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel reads Chinese correctly
    return list(csv.reader(io.StringIO(raw.decode("utf-8")[1:])))


def rows_of(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_full_workbook_has_one_sheet_per_table(history, login):
    book = workbook(login(history.users["auditor"]).get("/reports/export.xlsx"))
    assert book.sheetnames == [
        TABLE_TITLES[k]
        for k in ("districts", "summary", "budget", "stages", "breaches", "settlement", "targets", "monthly")
    ]

    sheet = book["分属地汇总"]
    rows = rows_of(sheet)
    header = rows[0]
    assert header[:4] == ["属地", "申报件数合计", "已申报件数", "申报金额（元）"]
    assert "已追回金额（元）" in header and "草稿（件）" in header and "逾期未申报（件）" in header
    sc = next(r for r in rows if r[0] == "上城区")
    total = next(r for r in rows if r[0] == "合计")
    asked = header.index("申报金额（元）")
    assert sc[asked] == 340000 and isinstance(sc[asked], int | float)  # a number, not text
    assert total[asked] == 665000 and total[header.index("审定金额（元）")] == 320000
    assert sc[header.index("申报件数合计")] == 7 and isinstance(sc[header.index("申报件数合计")], int)
    # Money cells carry a number format; find the 上城区 row's cell.
    row_index = next(i for i, r in enumerate(rows, start=1) if r[0] == "上城区")
    assert sheet.cell(row=row_index, column=asked + 1).number_format == "#,##0.00"

    settlement = rows_of(book["市区清算"])
    head = settlement[0]
    owes = head.index("市级应结算给区级（元）")
    assert {r[0]: r[owes] for r in settlement[1:] if r and r[0] in ("上城区", "西湖区", "合计")} == {
        "上城区": 40000,
        "西湖区": 6000,
        "合计": 46000,
    }

    stages = rows_of(book["各环节用时"])
    median = stages[0].index("中位数（天）")
    first = next(r for r in stages if r[0] == "属地审核" and r[1] == "全部")
    assert first[median] == pytest.approx(2.0) and first[stages[0].index("90分位（天）")] == pytest.approx(4.5)

    budget = rows_of(book["批次预算使用"])
    ratio = budget[0].index("使用率")
    ra = next(r for r in budget if r[2] == "2023年第一批")
    assert ra[ratio] == pytest.approx(0.23)


def test_single_table_workbook(history, login):
    book = workbook(login(history.users["auditor"]).get("/reports/export.xlsx", {"table": "settlement"}))
    assert book.sheetnames == ["市区清算"]


def test_csv_district_summary_numbers_and_headers(world, login):
    rows = read_csv(login(world.users["auditor"]).get("/reports/export.csv", {"table": "districts"}))
    header = rows[0]
    assert header[:3] == ["属地", "申报件数合计", "已申报件数"]
    assert header[-11:-9] == ["草稿（件）", "已申报（件）"]
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert set(by_name) == {"上城区", "西湖区", "合计"}
    assert by_name["上城区"]["申报金额（元）"] == "340000.00"
    assert Decimal(by_name["合计"]["审定金额（元）"]) == Decimal("320000")
    assert by_name["西湖区"]["已追回金额（元）"] == "150000.00"
    assert by_name["上城区"]["审核超时（件）"] == "1"


def test_csv_filters_apply(world, login):
    rows = read_csv(
        login(world.users["auditor"]).get("/reports/export.csv", {"table": "districts", "district": world.xh.pk})
    )
    assert [r[0] for r in rows[1:]] == ["西湖区", "合计"]


def test_case_detail_csv_and_xlsx(world, login):
    client = login(world.users["auditor"])
    rows = read_csv(client.get("/reports/export.csv", {"table": "cases"}))
    header = rows[0]
    assert header == [
        "申报件编号",
        "企业名称",
        "统一社会信用代码",
        "属地",
        "事项编号",
        "政策事项",
        "申报批次",
        "状态代码",
        "状态",
        "申报时间",
        "测算金额（元）",
        "审定金额（元）",
        "审核超时",
        "奖励状态",
        "奖励金额（元）",
    ]
    assert len(rows) == 1 + 12
    a1 = next(dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] == str(world.apps["a1"].pk))
    assert (
        a1.items()
        >= {
            "企业名称": "上城测试企业1",
            "属地": "上城区",
            "事项编号": "SP-A",
            "状态代码": "approved",
            "状态": "审定通过",
            "申报时间": "2023-01-05 09:00:00",
            "测算金额（元）": "100000.00",
            "审定金额（元）": "80000.00",
            "审核超时": "否",
            "奖励状态": "已兑现",
            "奖励金额（元）": "80000.00",
        }.items()
    )
    draft = next(dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] == str(world.apps["a3"].pk))
    assert (draft["状态"], draft["申报时间"], draft["审定金额（元）"], draft["奖励状态"]) == ("草稿", "", "", "")

    book = workbook(client.get("/reports/export.xlsx", {"table": "cases"}))
    sheet = rows_of(book["申报件明细"])
    assert sheet[0] == header and len(sheet) == 13
    a1_row = next(r for r in sheet if r[0] == world.apps["a1"].pk)
    assert a1_row[10] == 100000 and a1_row[11] == 80000
    assert f"{a1_row[9]:%Y-%m-%d %H:%M}" == "2023-01-05 09:00"  # Beijing time, as officials read it


def test_case_rows_come_from_a_streaming_iterator(world):
    from reports.selectors import ReportFilters, case_rows, report_scope

    rows = case_rows(scope=report_scope(world.users["auditor"]), filters=ReportFilters(), chunk_size=3)
    assert iter(rows) is rows  # a generator, consumed as the response streams
    assert len(list(rows)) == 12


def test_unknown_table_and_bad_filters_are_refused(world, login):
    client = login(world.users["auditor"])
    response = client.get("/reports/export.csv", {"table": "salaries"})
    assert response.status_code == 400 and "未知报表" in response.content.decode()
    assert client.get("/reports/export.xlsx", {"table": "salaries"}).status_code == 400
    response = client.get("/reports/export.csv", {"date_from": "2023-02-01", "date_to": "2023-01-01"})
    assert response.status_code == 400 and "结束日期不能早于开始日期" in response.content.decode()


def test_filename_is_chinese_and_rfc6266_encoded(world, login):
    response = login(world.users["auditor"]).get("/reports/export.csv", {"table": "settlement"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition
    assert "%E5%B8%82%E5%8C%BA%E6%B8%85%E7%AE%97" in disposition  # 市区清算
