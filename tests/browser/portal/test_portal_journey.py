"""An enterprise's whole journey in a real browser, the officials' steps through the services:
register → profile (bank account) → market → apply with a PDF → sign and submit → returned →
supplement and resubmit → approved through the city → award online → claim."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications import services
from applications.models import Application
from applications.workflow import State
from awards.models import Award
from awards.services import awards_publish
from awards.workflow import AwardState
from enterprises.credit_code import make_code
from tests.portal.portal_world import PDF, approve_through_city

NEW_CODE = make_code("91330102MA2HB0001")


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


@pytest.mark.django_db(transaction=True)
def test_enterprise_registers_applies_supplements_and_claims(page, live_server, world, shot):
    base = live_server.url
    nav = page.get_by_role("navigation", name="主导航")

    # 1. Sign up.
    page.goto(f"{base}/accounts/register/")
    page.get_by_label("企业名称").fill("杭州浏览器商贸有限公司")
    page.get_by_label("统一社会信用代码").fill(NEW_CODE)
    page.get_by_label("属地").select_option(label="上城区")
    page.get_by_label("管理员用户名").fill("browser_admin")
    page.get_by_label("管理员姓名").fill("孙管理")
    page.get_by_label("手机号").fill("13900001234")
    page.get_by_label("电子邮箱").fill("sun@example.com")
    page.get_by_label("密码", exact=True).fill("Liulanqi-2026")
    page.get_by_label("再次输入密码").fill("Liulanqi-2026")
    shot("register")
    page.get_by_role("button", name="注册并登录").click()
    expect(page).to_have_url(f"{base}/my/enterprise/")
    expect(page.locator(".msg-success")).to_contain_text("注册成功")

    # 2. Profile with the bank account.
    page.get_by_label("企业规模").select_option(label="中型")
    page.get_by_label("从业人数").fill("120")
    page.get_by_label("开户银行").fill("中国工商银行杭州解放路支行")
    page.get_by_label("账户名称").fill("杭州浏览器商贸有限公司")
    page.get_by_label("银行账号").fill("1202020009900067890")
    page.get_by_role("button", name="保存企业信息").click()
    expect(page.locator(".msg-success")).to_contain_text("企业信息已保存")
    expect(page.locator("#h-changes + .table-wrap")).to_contain_text("银行账号：（空） → 1202020009900067890")
    shot("enterprise")

    # 3. Find the policy in the market and open it.
    nav.get_by_role("link", name="政策超市").click()
    page.get_by_label("关键词").fill("零售额")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator(".policy-card")).to_have_count(1)
    shot("market")
    page.get_by_role("link", name="商贸头部企业零售额奖励").click()
    expect(page.locator("h1")).to_have_text("商贸头部企业零售额奖励")
    expect(page.locator(".countdown").first).to_contain_text("还剩")
    shot("policy")

    # 4. Apply: figures (then an HTMX re-save), materials, check, 承诺书, submit.
    page.get_by_role("link", name="申报", exact=True).click()
    page.get_by_label("2022年下半年零售额（元）").fill("3,000,000")
    page.get_by_role("button", name="保存草稿并继续").click()
    expect(page.locator("#assessment")).to_contain_text("¥30,000.00（3万元）")
    page.get_by_label("2022年下半年零售额（元）").fill("3500000")
    page.get_by_role("button", name="保存并测算").click()
    expect(page.locator("#assessment")).to_contain_text("¥35,000.00（3.5万元）")
    expect(page.locator("#figures-panel .msg-success")).to_contain_text("已保存")
    shot("case-figures")
    page.get_by_role("link", name="下一步：上传材料").click()
    page.get_by_label("选择“营业执照复印件”文件").set_input_files(pdf_file("营业执照.pdf"))
    page.get_by_role("button", name="上传“营业执照复印件”", exact=True).click()
    expect(page.locator("#material-license")).to_contain_text("已上传第1版")
    shot("case-materials")
    page.get_by_role("link", name="下一步：检查").click()
    expect(page.locator(".notice-ok")).to_contain_text("可以提交")
    page.get_by_role("link", name="下一步：承诺并提交").click()
    expect(page.locator(".commitment")).to_contain_text("本单位郑重承诺")
    page.get_by_label("我已阅读并承诺").check()
    shot("case-submit")
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator(".msg-success")).to_contain_text("申报已提交")
    expect(page.locator(".page-head .state")).to_have_text("已申报")
    application = Application.objects.get()
    assert application.state == State.SUBMITTED and str(application.suggested_amount) == "35000.00"

    # 5. The bureau accepts and asks for a supplement.
    services.application_accept(actor=world.reviewer, application_id=application.pk)
    services.application_return(
        actor=world.reviewer, application_id=application.pk, reason="营业执照复印件未加盖公章，请加盖公章后重新上传。"
    )

    # 6. The enterprise sees the request, uploads a new version and resubmits.
    nav.get_by_role("link", name="我的申报").click()
    expect(page.locator(".case-list .notice-warn")).to_contain_text("未加盖公章")
    expect(page.locator(".badge")).to_be_visible()
    shot("applications-returned")
    page.get_by_role("link", name="去补正").click()
    steps = page.get_by_role("navigation", name="申报步骤")
    steps.get_by_role("link", name="上传材料").click()
    page.get_by_label("重新上传“营业执照复印件”").set_input_files(pdf_file("营业执照（盖章）.pdf"))
    page.get_by_role("button", name="上传“营业执照复印件”", exact=True).click()
    expect(page.locator("#material-license")).to_contain_text("已上传第2版")
    steps.get_by_role("link", name="承诺并提交").click()
    page.get_by_label("我已阅读并承诺").check()
    page.get_by_role("button", name="补正后重新提交").click()
    expect(page.locator(".msg-success")).to_contain_text("补正材料已重新提交")
    application.refresh_from_db()
    assert application.state == State.SUBMITTED

    # 7. Officials: accept, co-review opinions, district approval, city list and approval, 政策上线.
    services.application_accept(actor=world.reviewer, application_id=application.pk)
    approve_through_city(world, application.pk)
    awards_publish(
        actor=world.fund_officer, round_id=world.round.pk, claim_deadline=timezone.now() + timedelta(days=15)
    )

    # 8. The case page shows the whole history; the inbox has the news.
    page.goto(f"{base}/my/applications/{application.pk}/")
    timeline = page.locator(".timeline")
    for text in ("创建草稿", "提交申报", "受理", "退回补正", "补正后重新提交", "审核通过", "审定通过", "上城区商务局"):
        expect(timeline).to_contain_text(text)
    shot("case-detail")
    nav.get_by_role("link", name="消息").click()
    expect(page.locator(".inbox-list")).to_contain_text("已上线，请申领")
    shot("inbox")

    # 9. Claim the award: bank account shown, 承诺书 signed.
    nav.get_by_role("link", name="我的奖励").click()
    expect(page.locator("table")).to_contain_text("¥35,000.00")
    shot("awards")
    page.get_by_role("link", name="去申领").click()
    expect(page.locator("#h-claim + h3 + dl")).to_contain_text("1202020009900067890")
    page.get_by_label("我已核对，上述收款账户信息真实无误").check()
    page.get_by_label("我已阅读并承诺").check()
    shot("award-claim")
    page.get_by_role("button", name="确认申领").click()
    expect(page.locator(".msg-success")).to_contain_text("申领成功")
    expect(page.locator(".page-head .state")).to_have_text("已申领")
    shot("award-claimed")
    award = Award.objects.get()
    assert award.state == AwardState.CLAIMED
    assert award.bank_snapshot["account_no"] == "1202020009900067890"
