"""Batch 受理 reports per case; a payment spreadsheet is recorded all or nothing."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.workbench.wb_world import make_award, make_case, make_enterprise, submit_case


def test_batch_accept_reports_each_case_and_keeps_the_successes(world, login):
    from applications.models import Application

    ok_1 = submit_case(world)
    ok_2 = make_case(world, "submitted")
    already = make_case(world, "district_review")  # accepted by someone a moment ago
    other_district = make_case(world, "submitted", district="xh")  # not this reviewer's: 404 inside
    client = login(world.users["rev_sc"])

    response = client.post("/workbench/batch/accept/", {"ids": [ok_1.pk, already.pk, other_district.pk, ok_2.pk, "x"]})

    assert response.status_code == 200
    lines = {line.application_id: line for line in response.context["lines"]}
    assert list(lines) == [ok_1.pk, already.pk, other_district.pk, ok_2.pk]
    assert lines[ok_1.pk].ok and lines[ok_2.pk].ok
    assert not lines[already.pk].ok and "属地审核中" in lines[already.pk].message
    assert not lines[other_district.pk].ok and "未找到" in lines[other_district.pk].message
    body = response.content.decode()
    assert "成功受理 2 件，2 件未能受理" in body
    assert "各自一个事务" in body
    # The failures did not undo the successes: each case was its own transaction.
    states = dict(Application.objects.values_list("pk", "state"))
    assert states[ok_1.pk] == states[ok_2.pk] == "district_review"
    assert states[other_district.pk] == "submitted"
    assert Application.objects.get(pk=ok_1.pk).review_deadline is not None


def test_batch_accept_is_for_district_reviewers_only(world, login):
    case = make_case(world, "submitted")
    response = login(world.users["co_tax"]).post("/workbench/batch/accept/", {"ids": [case.pk]})
    assert response.status_code == 403


def _claimed_awards(world, n: int) -> list:
    return [make_award(world, make_case(world, "approved"), state="claimed") for _ in range(n)]


def _csv(rows: list[list[str]], header=("奖励编号", "支付凭证号", "支付日期")) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("支付登记表.csv", buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


def _xlsx(rows: list[list]) -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["奖励编号", "支付凭证号", "支付日期", "备注"])
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return SimpleUploadedFile(
        "支付登记表.xlsx",
        data.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def test_payment_spreadsheet_with_a_bad_row_records_nothing_and_reports_each_row(world, login):
    from awards.models import Award

    a1, a2, a3 = _claimed_awards(world, 3)
    claimable = make_award(world, make_case(world, "approved"), state="claimable")
    paid_elsewhere = make_award(world, make_case(world, "approved"), state="paid")
    today = timezone.localdate().isoformat()
    client = login(world.users["fund_sc"])

    upload = _csv(
        [
            [str(a1.pk), "PAY-001", today],
            [str(a2.pk), "PAY-002", today],
            [str(a3.pk), "PAY-001", today],  # duplicate reference within the file
            [str(claimable.pk), "PAY-004", today],  # wrong state
            ["999999", "PAY-005", today],  # unknown award
            [str(a2.pk), paid_elsewhere.payment_reference, "2026/13/40"],  # id twice, reference used, bad date
        ]
    )
    response = client.post("/workbench/awards/import/", {"step": "check", "file": upload})

    assert response.status_code == 400
    rows = {r.line: r for r in response.context["rows"]}
    assert rows[2].ok is False  # PAY-001 appears twice
    assert any("重复" in e for e in rows[2].errors)
    assert any("出现了 2 次" in e for e in rows[3].errors)
    assert any("只有“已申领”的奖励可以登记支付" in e for e in rows[5].errors)
    assert any("未找到奖励编号 999999" in e for e in rows[6].errors)
    assert any("已用于奖励" in e for e in rows[7].errors)
    assert any("无法识别" in e for e in rows[7].errors)
    assert "payload" not in response.context  # no confirm step
    assert Award.objects.filter(state="paid").count() == 1  # only the one paid beforehand


def test_payment_spreadsheet_confirmed_records_every_row(world, login):
    from awards.models import Award, AwardEvent

    awards = _claimed_awards(world, 3)
    yesterday = timezone.localdate() - timedelta(days=1)
    client = login(world.users["fund_sc"])
    upload = _xlsx([[a.pk, f"XLSX-{a.pk}", yesterday, "第一批"] for a in awards])

    checked = client.post("/workbench/awards/import/", {"step": "check", "file": upload})
    assert checked.status_code == 200
    assert all(r.ok for r in checked.context["rows"])
    assert Award.objects.filter(state="paid").count() == 0  # checking writes nothing
    payload = checked.context["payload"]

    done = client.post("/workbench/awards/import/", {"step": "confirm", "payload": payload})

    assert done.status_code == 200
    assert "已登记 3 笔支付" in done.content.decode()
    for award in awards:
        award.refresh_from_db()
        assert (award.state, award.payment_reference, award.paid_on) == ("paid", f"XLSX-{award.pk}", yesterday)
    assert AwardEvent.objects.filter(action="pay").count() == 3


def test_payment_confirm_rolls_back_every_row_when_one_fails_on_the_way(world, login):
    """Between check and confirm another officer paid one award: the whole batch rolls back."""
    from awards.models import AwardEvent
    from awards.services import award_pay

    awards = _claimed_awards(world, 3)
    today = timezone.localdate().isoformat()
    client = login(world.users["fund_sc"])
    checked = client.post(
        "/workbench/awards/import/",
        {"step": "check", "file": _csv([[str(a.pk), f"REF-{a.pk}", today] for a in awards])},
    )
    assert checked.context["payload"]
    award_pay(actor=world.users["fund_sc"], award_id=awards[2].pk, reference="PAID-MEANWHILE")

    response = client.post("/workbench/awards/import/", {"step": "confirm", "payload": checked.context["payload"]})

    assert response.status_code == 409
    assert "全部 3 行均未登记（整批回滚）" in response.content.decode()
    report = {r.award_id: r for r in response.context["rows"]}
    assert any("已兑现" in e for e in report[awards[2].pk].errors)
    assert not report[awards[0].pk].errors and not report[awards[0].pk].done
    for award in awards[:2]:
        award.refresh_from_db()
        assert award.state == "claimed" and award.payment_reference is None
    assert AwardEvent.objects.filter(action="pay").count() == 1  # only the one paid meanwhile


def test_payment_confirm_refuses_a_tampered_payload(world, login):
    (award,) = _claimed_awards(world, 1)
    client = login(world.users["fund_sc"])
    response = client.post("/workbench/awards/import/", {"step": "confirm", "payload": "forged:payload"}, follow=True)
    assert "确认信息已失效" in response.content.decode()
    award.refresh_from_db()
    assert award.state == "claimed"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("pay.txt", b"hello", "请上传 .xlsx 或 .csv"),
        ("pay.csv", "奖励编号,凭证\n1,2\n".encode(), "表头缺少列：支付凭证号、支付日期"),
        ("pay.csv", "奖励编号,支付凭证号,支付日期\n".encode("gbk"), "UTF-8"),
        ("pay.xlsx", b"not a zip", "不是 Excel"),
    ],
)
def test_payment_spreadsheet_refuses_bad_files_with_a_clear_message(world, login, name, content, message):
    client = login(world.users["fund_sc"])
    response = client.post("/workbench/awards/import/", {"step": "check", "file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_payment_spreadsheet_cannot_pay_another_districts_award(world, login):
    xh_case = make_case(world, "approved", enterprise=make_enterprise(world, district="xh"))
    award = make_award(world, xh_case, state="claimed")
    client = login(world.users["fund_sc"])
    response = client.post(
        "/workbench/awards/import/",
        {"step": "check", "file": _csv([[str(award.pk), "X-1", timezone.localdate().isoformat()]])},
    )
    assert response.status_code == 400
    assert any("不属于本属地" in e for e in response.context["rows"][0].errors)
