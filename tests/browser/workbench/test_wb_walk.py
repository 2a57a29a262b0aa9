"""A case walks from `submitted` to `paid` through the workbench pages, clicked by the officials.

The enterprise's own steps (filing, claiming) are done with the services; every official's step
is done in Chromium: the reviewer accepts, each co-review department gives its opinion, the
reviewer approves, puts the case on a city list and submits it, the city approver approves with
an amount, the fund officer puts it online and, after the claim, records the payment. A reviewer
of another district gets the 404 page for the case. Screenshots: artifacts/screenshots/workbench-*.png.
"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.workbench.wb_world import DEPARTMENTS, PASSWORD, build_world, submit_case

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next=/workbench/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/workbench/"))


def shot(page, screenshot_dir, name: str) -> None:
    page.screenshot(path=screenshot_dir / f"workbench-{name}.png", full_page=True)


def test_case_walks_from_submitted_to_paid(page, live_server, screenshot_dir):
    from applications.models import Application
    from awards.models import Award
    from awards.services import award_claim

    world = build_world()
    case = submit_case(world, retail="3250000000", with_image=True)  # suggested 1% = 32 500 000.00
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    console_errors: list[str] = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    case_url = f"{base}/workbench/cases/{case.pk}/"

    # 属地审核员: the queue shows the case with its counts; accept it on the case page.
    sign_in(page, base, "rev_sc")
    expect(page.locator("h1")).to_have_text("审核队列")
    row = page.locator("tr", has=page.locator(f"a[href='/workbench/cases/{case.pk}/']"))
    expect(row).to_contain_text("杭州示例商贸有限公司")
    expect(row).to_contain_text("已申报")
    expect(page.locator(".wb-count.active .n")).to_have_text("1")
    shot(page, screenshot_dir, "queue")
    # the filters swap the results in place (htmx) and keep the URL shareable
    page.locator("#id_state").select_option("district_review")
    expect(page).to_have_url(re.compile(r"state=district_review"))
    expect(page.locator("#queue-results")).to_contain_text("没有符合条件的申报件")
    page.locator("#id_state").select_option("")
    expect(row).to_be_visible()
    page.goto(case_url)
    expect(page.locator("#h-declared + dl")).to_contain_text("3,250,000,000")
    # materials: both listed with a download link; the image preview really loads
    expect(page.locator(".wb-material")).to_have_count(2)
    page.locator(".wb-preview summary").nth(1).click()
    image = page.locator(".wb-preview img")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=image.element_handle())
    page.locator("#action-accept button").click()
    expect(page.locator(".messages .msg-success")).to_contain_text("已受理")
    expect(page.locator(".wb-clock")).to_contain_text("工作日")

    # 会审部门: each department records 同意 with remarks.
    for function in DEPARTMENTS:
        sign_in(page, base, f"co_{function}")
        page.goto(case_url)
        form = page.locator("#opinion-form")
        form.get_by_label("同意", exact=True).check()
        form.locator("textarea").fill(f"{function} 核查无异常，同意。")
        if function == DEPARTMENTS[0]:
            shot(page, screenshot_dir, "opinion-form")
        form.get_by_role("button", name="提交会审意见").click()
        expect(page.locator(".messages .msg-success")).to_contain_text("已出具会审意见：同意")

    # 属地审核员: approve, then assemble the city list and submit it.
    sign_in(page, base, "rev_sc")
    page.goto(case_url)
    expect(page.locator(".wb-dept.manual")).to_have_count(0)
    page.locator("#action-approve textarea").fill("材料齐全，数据与统计部门一致。")
    page.locator("#action-approve button").click()
    expect(page.locator(".wb-head .state")).to_have_text("属地审核通过")
    shot(page, screenshot_dir, "case")
    page.goto(f"{base}/workbench/city-lists/?round={world.round.pk}")
    expect(page.locator("#assemble-form")).to_contain_text("杭州示例商贸有限公司")
    shot(page, screenshot_dir, "city-lists")
    page.get_by_role("button", name="将所选列入名单").click()
    expect(page.locator(".messages .msg-success")).to_contain_text("已新建报审名单")
    page.get_by_role("button", name="提交审定").click()
    expect(page.locator(".messages .msg-success")).to_contain_text("已提交市级审定")

    # A reviewer of another district does not see the case: the 404 page.
    sign_in(page, base, "rev_xh")
    response = page.goto(case_url)
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("未找到您要访问的页面")
    shot(page, screenshot_dir, "404-other-district")

    # 市级审定: the lists per district, the list, approve with a lower amount.
    sign_in(page, base, "city")
    expect(page.locator("h1")).to_have_text("报审名单审定")
    expect(page.locator("main")).to_contain_text("上城区")
    shot(page, screenshot_dir, "city-home")
    page.locator("main table a").first.click()
    row = page.locator(f"#case-{case.pk}")
    expect(row.locator("input[name=amount]")).to_have_value("32500000.00")
    expect(row).to_contain_text("最高 ¥32,500,000.00")
    expect(page.locator(".wb-kpis")).to_contain_text("¥100,000,000.00")
    shot(page, screenshot_dir, "city-list-decide")
    row.locator("input[name=amount]").fill("30000000")
    row.get_by_role("button", name="审定通过").click()
    expect(page.locator(".messages .msg-success")).to_contain_text("已审定通过")
    expect(page.locator(".wb-kpis")).to_contain_text("¥70,000,000.00")  # budget left

    # 属地兑现: 政策上线 with a claim deadline.
    sign_in(page, base, "fund_sc")
    expect(page.locator("main")).to_contain_text("待政策上线")
    shot(page, screenshot_dir, "fund-home")
    page.goto(f"{base}/workbench/publish/?round={world.round.pk}")
    deadline = timezone.localdate() + timezone.timedelta(days=20)
    page.fill("#id_claim_date", deadline.isoformat())
    shot(page, screenshot_dir, "publish")
    page.get_by_role("button", name="政策上线").click()
    expect(page.locator("#created-awards")).to_contain_text("杭州示例商贸有限公司")
    expect(page.locator("#created-awards")).to_contain_text("¥30,000,000.00")
    shot(page, screenshot_dir, "publish-result")

    award = Award.objects.get(application=case)
    assert award.state == "claimable"
    assert timezone.localtime(award.claim_deadline).date() == deadline + timezone.timedelta(days=1)
    award_claim(actor=world.users["ent_a"], award_id=award.pk, commitment_signed=True)

    # 属地兑现: record the payment on the award list.
    page.goto(f"{base}/workbench/awards/?state=claimed")
    row = page.locator(f"#award-{award.pk}")
    row.locator("input[name=reference]").fill("HZ-PAY-2026-0001")
    shot(page, screenshot_dir, "awards")
    row.get_by_role("button", name="登记支付").click()
    expect(page.locator(".messages .msg-success")).to_contain_text("已登记兑现")
    award.refresh_from_db()
    assert award.state == "paid" and award.payment_reference == "HZ-PAY-2026-0001"
    assert Application.objects.get(pk=case.pk).amount == Decimal("30000000.00")
    page.goto(f"{base}/workbench/awards/{award.pk}/")
    expect(page.locator(".timeline")).to_contain_text("兑现")
    shot(page, screenshot_dir, "award")

    # 政策管理员: policy administration with the rule in words and its source line.
    sign_in(page, base, "admin")
    expect(page.locator("h1")).to_have_text("政策管理")
    shot(page, screenshot_dir, "policies")
    page.goto(f"{base}/workbench/policies/items/{world.item.pk}/")
    expect(page.locator(".wb-rule")).to_contain_text("1%")
    expect(page.locator(".wb-rule")).to_contain_text("003_32cd36ea271cae91.txt 第 299-303 行")
    shot(page, screenshot_dir, "policy-item")

    # No script or style of the workbench is refused by the site's Content-Security-Policy. (The PDF
    # preview frame is refused by X-Frame-Options until applications/views.py allows SAMEORIGIN
    # for inline previews, tested in tests/workbench/test_wb_case_pages.py::test_pdf_preview_may_be_framed.)
    refused = [
        e for e in console_errors if ("Content Security Policy" in e or "Refused" in e) and "X-Frame-Options" not in e
    ]
    assert not refused, refused
