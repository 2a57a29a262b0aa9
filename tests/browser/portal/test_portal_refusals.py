"""What a user does wrong in the browser is refused with a Chinese message that says what to fix."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications import services
from applications.models import Application
from applications.workflow import State
from enterprises.credit_code import make_code
from tests.portal.portal_world import pdf_upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_wrong_credit_code_names_the_right_check_character(page, live_server, world, shot):
    right = make_code("91330102MA2HB0002")
    wrong = right[:17] + ("1" if right[17] != "1" else "2")
    page.goto(f"{live_server.url}/accounts/register/")
    page.get_by_label("企业名称").fill("杭州校验位测试有限公司")
    page.get_by_label("统一社会信用代码").fill(wrong)
    page.get_by_label("属地").select_option(label="西湖区")
    page.get_by_label("管理员用户名").fill("check_admin")
    page.get_by_label("管理员姓名").fill("钱管理")
    page.get_by_label("手机号").fill("13900005678")
    page.get_by_label("电子邮箱").fill("qian@example.com")
    page.get_by_label("密码", exact=True).fill("Jiaoyanwei-2026")
    page.get_by_label("再次输入密码").fill("Jiaoyanwei-2026")
    page.get_by_role("button", name="注册并登录").click()

    error = page.locator(".field.has-error").filter(has=page.get_by_label("统一社会信用代码"))
    expect(error).to_contain_text(f"第18位应为“{right[17]}”，而不是“{wrong[17]}”")
    expect(page.get_by_label("统一社会信用代码")).to_have_attribute("aria-invalid", "true")
    shot("register-wrong-code")


def test_html_file_named_pdf_is_refused_by_content(page, live_server, world, ent_user, sign_in, shot):
    application = services.application_create(
        actor=ent_user, round_id=world.round.pk, declared={"retail_sales": "1000000"}
    )
    sign_in(ent_user.username)
    page.goto(f"{live_server.url}/my/applications/{application.pk}/materials/")
    html = b"<!doctype html><html><body>x</body></html>"
    fake = {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": html}
    page.get_by_label("选择“营业执照复印件”文件").set_input_files(fake)
    page.get_by_role("button", name="上传“营业执照复印件”", exact=True).click()

    error = page.locator("#material-license .upload-error")
    expect(error).to_contain_text("文件类型不符合要求：只接受 PDF、JPG、PNG、Word（.docx）或 Excel（.xlsx）")
    expect(error).to_contain_text("按文件内容识别，改扩展名无效")
    expect(page.locator("#material-license")).to_contain_text("未上传")
    shot("upload-wrong-type")
    assert not application.materials.exists()


def test_submission_after_the_window_closed_is_refused(page, live_server, world, ent_user, sign_in, shot):
    application = services.application_create(
        actor=ent_user, round_id=world.round.pk, declared={"retail_sales": "1000000"}
    )
    services.material_upload(actor=ent_user, application_id=application.pk, kind="license", upload=pdf_upload())
    sign_in(ent_user.username)
    page.goto(f"{live_server.url}/my/applications/{application.pk}/submit/")
    type(world.round).objects.filter(pk=world.round.pk).update(closes_at=timezone.now() - timedelta(seconds=5))
    page.get_by_label("我已阅读并承诺").check()
    page.get_by_role("button", name="提交申报").click()

    expect(page.locator(".msg-error")).to_contain_text("本批次申报已截止")
    expect(page.locator(".msg-error")).to_contain_text("不再受理")
    shot("submit-window-closed")
    assert Application.objects.get().state == State.DRAFT


def test_market_and_case_page_read_well_on_a_phone(page, live_server, world, ent_user, sign_in, shot):
    application = services.application_create(
        actor=ent_user, round_id=world.round.pk, declared={"retail_sales": "1000000"}
    )
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(ent_user.username)
    page.goto(f"{live_server.url}/")
    expect(page.locator(".policy-card")).to_have_count(1)
    shot("market-phone")
    page.goto(f"{live_server.url}/my/applications/{application.pk}/figures/")
    expect(page.locator(".stepper")).to_be_visible()
    shot("case-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"页面在手机上出现横向滚动（{width}px）"
