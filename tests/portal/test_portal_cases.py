"""The apply wizard, the case page, 补正, withdrawal, awards and the inbox, via the test client."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications import services
from applications.models import Application
from applications.workflow import State
from awards.models import Award
from awards.services import awards_publish
from awards.workflow import AwardState
from notifications.models import Notification
from tests.portal.portal_world import approve_through_city, make_enterprise_user, pdf_upload

pytestmark = pytest.mark.django_db


def _draft(ent_client, world, retail="3000000") -> Application:
    response = ent_client.post(f"/my/applications/new/{world.round.pk}/", {"retail_sales": retail})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Application.objects.get()


def _submitted(ent_client, ent_user, world) -> Application:
    app = _draft(ent_client, world)
    services.material_upload(actor=ent_user, application_id=app.pk, kind="license", upload=pdf_upload())
    return services.application_submit(actor=ent_user, application_id=app.pk, commitment_signed=True)


def test_start_creates_a_draft_and_shows_the_assessment(ent_client, world):
    app = _draft(ent_client, world)

    assert app.state == State.DRAFT and app.declared == {"retail_sales": "3000000"}
    page = ent_client.get(f"/my/applications/{app.pk}/figures/").content.decode()
    assert "¥30,000.00（3万元）" in page
    # a second start for the same round goes to the existing draft
    again = ent_client.get(f"/my/applications/new/{world.round.pk}/")
    assert again["Location"] == f"/my/applications/{app.pk}/"


def test_bad_figure_is_shown_on_its_field(ent_client, world):
    app = _draft(ent_client, world)

    response = ent_client.post(f"/my/applications/{app.pk}/figures/", {"retail_sales": "-5"})

    form = response.context["form"]
    assert form.errors["retail_sales"] == ["“2022年下半年零售额”不能小于 0元。"]
    assert 'aria-invalid="true"' in response.content.decode()


def test_htmx_save_returns_only_the_panel_with_the_new_amount(ent_client, world):
    app = _draft(ent_client, world)

    response = ent_client.post(
        f"/my/applications/{app.pk}/figures/", {"retail_sales": "5,000,000"}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="figures-panel">') and "<html" not in page
    assert "¥50,000.00（5万元）" in page and "已保存" in page
    app.refresh_from_db()
    assert str(app.suggested_amount) == "50000.00"


def test_upload_checks_content_and_answers_xhr_with_json(ent_client, world):
    app = _draft(ent_client, world)
    fake = SimpleUploadedFile("营业执照.pdf", b"<html><body>not a pdf</body></html>", content_type="application/pdf")

    response = ent_client.post(
        f"/my/applications/{app.pk}/materials/",
        {"kind": "license", "file": fake},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )

    assert response.status_code == 400
    assert "文件类型不符合要求" in response.json()["message"]
    ok = ent_client.post(
        f"/my/applications/{app.pk}/materials/",
        {"kind": "license", "file": pdf_upload()},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert ok.json() == {"ok": True, "message": "“营业执照复印件”已上传（第1版）。"}
    ent_client.post(f"/my/applications/{app.pk}/materials/", {"kind": "license", "file": pdf_upload("新版.pdf")})
    page = ent_client.get(f"/my/applications/{app.pk}/materials/").content.decode()
    assert "已上传第2版" in page and "历史版本（1）" in page


def test_check_page_lists_what_is_missing_and_submit_refuses_until_complete(ent_client, world):
    response = ent_client.post(f"/my/applications/new/{world.round.pk}/", {"retail_sales": ""})
    app = Application.objects.get()
    assert response.status_code == 302

    page = ent_client.get(f"/my/applications/{app.pk}/check/").content.decode()
    assert "未填写“2022年下半年零售额”" in page and "未上传“营业执照复印件”" in page

    response = ent_client.post(f"/my/applications/{app.pk}/submit/", {"signed": "on"}, follow=True)
    assert "请填写“2022年下半年零售额”。" in response.content.decode()
    app.refresh_from_db()
    assert app.state == State.DRAFT


def test_submit_needs_the_commitment_tick(ent_client, ent_user, world):
    app = _draft(ent_client, world)
    services.material_upload(actor=ent_user, application_id=app.pk, kind="license", upload=pdf_upload())

    response = ent_client.post(f"/my/applications/{app.pk}/submit/", {})
    assert "请勾选“我已阅读并承诺”后再提交。" in response.content.decode()

    response = ent_client.post(f"/my/applications/{app.pk}/submit/", {"signed": "on"})
    app.refresh_from_db()
    assert response["Location"] == f"/my/applications/{app.pk}/"
    assert app.state == State.SUBMITTED and app.commitment_signed_by == ent_user


def test_submission_outside_the_window_shows_the_service_message(ent_client, ent_user, world):
    app = _draft(ent_client, world)
    services.material_upload(actor=ent_user, application_id=app.pk, kind="license", upload=pdf_upload())
    type(world.round).objects.filter(pk=world.round.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    response = ent_client.post(f"/my/applications/{app.pk}/submit/", {"signed": "on"}, follow=True)

    assert "本批次申报已截止" in response.content.decode()
    app.refresh_from_db()
    assert app.state == State.DRAFT


def test_case_of_another_enterprise_is_a_404(client, ent_client, ent_user, world):
    app = _submitted(ent_client, ent_user, world)
    other = make_enterprise_user(world, name="别家公司", body17="91330106MA2H00009", username="other")
    client.force_login(other)

    for url in (
        f"/my/applications/{app.pk}/",
        f"/my/applications/{app.pk}/figures/",
        f"/my/applications/{app.pk}/materials/",
        f"/my/applications/{app.pk}/withdraw/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "未找到您要访问的页面" in response.content.decode()
    assert (
        client.post(f"/my/applications/{app.pk}/materials/", {"kind": "license", "file": pdf_upload()}).status_code
        == 404
    )


def test_returned_case_shows_the_request_and_can_be_resubmitted(ent_client, ent_user, world):
    app = _submitted(ent_client, ent_user, world)
    services.application_accept(actor=world.reviewer, application_id=app.pk)
    services.application_return(
        actor=world.reviewer, application_id=app.pk, reason="营业执照复印件不清晰，请加盖公章后重新上传。"
    )

    listing = ent_client.get("/my/applications/").content.decode()
    assert "营业执照复印件不清晰" in listing and "补正截止" in listing and "上城区商务局" in listing
    ent_client.post(f"/my/applications/{app.pk}/materials/", {"kind": "license", "file": pdf_upload("盖章版.pdf")})
    page = ent_client.get(f"/my/applications/{app.pk}/submit/").content.decode()
    assert "补正后重新提交" in page

    ent_client.post(f"/my/applications/{app.pk}/submit/", {"signed": "on"})
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    history = ent_client.get(f"/my/applications/{app.pk}/").content.decode()
    assert "退回补正" in history and "补正后重新提交" in history


def test_withdraw_after_confirmation(ent_client, ent_user, world):
    app = _submitted(ent_client, ent_user, world)

    assert "确认撤回" in ent_client.get(f"/my/applications/{app.pk}/withdraw/").content.decode()
    ent_client.post(f"/my/applications/{app.pk}/withdraw/", {"reason": "数据有误，重新申报"})

    app.refresh_from_db()
    assert app.state == State.WITHDRAWN
    assert "数据有误，重新申报" in ent_client.get(f"/my/applications/{app.pk}/").content.decode()


def test_award_claim_with_commitment_and_bank_account(ent_client, ent_user, world):
    app = _submitted(ent_client, ent_user, world)
    services.application_accept(actor=world.reviewer, application_id=app.pk)
    approve_through_city(world, app.pk)
    awards_publish(
        actor=world.fund_officer, round_id=world.round.pk, claim_deadline=timezone.now() + timedelta(days=20)
    )
    award = Award.objects.get()

    listing = ent_client.get("/my/awards/").content.decode()
    assert "待申领" in listing and "还剩 19 天" in listing
    page = ent_client.get(f"/awards/{award.pk}/").content.decode()
    assert "1202020009900012345" in page and "申领承诺书" in page

    response = ent_client.post(f"/awards/{award.pk}/", {"signed": "on"})
    assert "请核对并确认收款账户信息。" in response.content.decode()
    ent_client.post(f"/awards/{award.pk}/", {"signed": "on", "bank_confirmed": "on"})
    award.refresh_from_db()
    assert award.state == AwardState.CLAIMED
    assert award.bank_snapshot["account_no"] == "1202020009900012345"


def test_inbox_marks_read_on_open_and_all_at_once(ent_client, ent_user, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = _submitted(ent_client, ent_user, world)
        services.application_accept(actor=world.reviewer, application_id=app.pk)
    notes = list(Notification.objects.filter(user=ent_user))
    assert len(notes) == 2

    assert "未读消息2条" in ent_client.get("/inbox/").content.decode()
    page = ent_client.get(f"/inbox/{notes[0].pk}/").content.decode()
    assert "前往办理" in page and f'href="/applications/{app.pk}/"' in page
    assert Notification.objects.filter(user=ent_user, read_at__isnull=True).count() == 1
    assert ent_client.get(f"/applications/{app.pk}/")["Location"] == f"/my/applications/{app.pk}/"

    ent_client.post("/inbox/read-all/")
    assert not Notification.objects.filter(user=ent_user, read_at__isnull=True).exists()


def test_profile_edit_is_recorded_and_shown(ent_client, ent_user):
    enterprise = ent_user.enterprise
    data = {
        "name": enterprise.name,
        "address": "杭州市上城区解放路1号",
        "legal_representative": "周法人",
        "industry": "批发和零售业",
        "size_class": "medium",
        "registered_on": "2015-06-01",
        "employees": "180",
        "annual_revenue": "125000000",
        "bank_name": "中国银行杭州分行",
        "bank_account_name": enterprise.name,
        "bank_account_no": "6216600000001",
        "contact_name": "张企业",
        "contact_phone": "0571-88888888",
    }

    response = ent_client.post("/my/enterprise/", data)

    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert (enterprise.employees, enterprise.size_class, enterprise.bank_account_no) == (180, "medium", "6216600000001")
    change = enterprise.changes.get()
    assert change.actor == ent_user
    assert change.changes["bank_account_no"] == ["1202020009900012345", "6216600000001"]
    page = ent_client.get("/my/enterprise/").content.decode()
    assert "银行账号：1202020009900012345 → 6216600000001" in page
    assert "企业规模：小型 → 中型" in page


def test_profile_refuses_bad_numbers_with_what_to_fix(ent_client, ent_user):
    response = ent_client.post(
        "/my/enterprise/",
        {
            "name": ent_user.enterprise.name,
            "size_class": "small",
            "employees": "很多",
            "annual_revenue": "abc",
        },
    )
    page = response.content.decode()
    assert "从业人数应填写整数" in page and "营业收入应填写数字" in page
    assert not ent_user.enterprise.changes.exists()


def test_enterprise_on_the_dishonesty_list_is_told_why_it_cannot_submit(ent_client, ent_user, world):
    from enterprises.services import dishonesty_entry_create

    app = _draft(ent_client, world)
    services.material_upload(actor=ent_user, application_id=app.pk, kind="license", upload=pdf_upload())
    dishonesty_entry_create(
        enterprise_id=ent_user.enterprise_id, reason="奖励追回：统计违法", source="测试", actor=None
    )

    check = ent_client.get(f"/my/applications/{app.pk}/check/").content.decode()
    assert "贵企业在失信名录中（奖励追回：统计违法" in check
    response = ent_client.post(f"/my/applications/{app.pk}/submit/", {"signed": "on"}, follow=True)
    assert "贵企业已被列入失信名录（奖励追回：统计违法" in response.content.decode()
    app.refresh_from_db()
    assert app.state == State.DRAFT


def test_case_page_links_materials_to_the_access_checked_download(ent_client, ent_user, world):
    app = _submitted(ent_client, ent_user, world)
    material = app.materials.get()

    page = ent_client.get(f"/my/applications/{app.pk}/").content.decode()
    link = f"/applications/{app.pk}/materials/{material.pk}/download/"
    assert link in page
    download = ent_client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-1.4")
