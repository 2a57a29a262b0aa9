"""The case page and its actions, the city list, 政策上线, awards, dishonesty and rounds, through
the test client against the real services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.workbench.wb_world import DEPARTMENTS, make_award, make_case, make_enterprise, submit_case


def give_opinions(world, case, *, disagree: str | None = None) -> None:
    from reviews.services import opinion_create

    for function in DEPARTMENTS:
        opinion_create(
            actor=world.users[f"co_{function}"],
            application_id=case.pk,
            decision="disagree" if function == disagree else "agree",
            remarks="不同意：数据不一致" if function == disagree else "",
        )


def other_item_and_round(world):
    """A second item of the same exclusivity group, with its own round."""
    from policies.models import PolicyItem, Round

    item = PolicyItem.objects.create(
        code="WB-002",
        document=world.item.document,
        name="商贸企业上台阶奖励",
        bureau_function="commerce",
        exclusivity_group=world.group,
        amount_rule={"kind": "cap", "cap_yuan": 200000},
    )
    round_ = Round.objects.create(
        item=item,
        name="上台阶奖励（2023年）",
        performance_to=world.round.performance_to,
        opens_at=world.round.opens_at,
        closes_at=world.round.closes_at,
    )
    return item, round_


def accepted(world):
    from applications.services import application_accept

    case = submit_case(world)
    return application_accept(actor=world.users["rev_sc"], application_id=case.pk)


# --- visibility ---------------------------------------------------------------------------------


def test_reviewer_of_another_district_gets_404_on_the_case_page(world, login):
    case = submit_case(world)
    client = login(world.users["rev_xh"])
    assert client.get(f"/workbench/cases/{case.pk}/").status_code == 404
    assert client.post(f"/workbench/cases/{case.pk}/accept/").status_code == 404
    assert client.get("/workbench/cases/999999/").status_code == 404
    # and the queue of the other district does not list it
    assert f"/workbench/cases/{case.pk}/" not in client.get("/workbench/").content.decode()


def test_co_reviewer_sees_only_cases_under_review(world, login):
    submitted = submit_case(world)
    client = login(world.users["co_tax"])
    assert client.get(f"/workbench/cases/{submitted.pk}/").status_code == 404
    under_review = make_case(world, "district_review")
    assert client.get(f"/workbench/cases/{under_review.pk}/").status_code == 200


def test_anonymous_is_sent_to_login_and_enterprise_users_are_refused(world, client, login):
    response = client.get("/workbench/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert login(world.users["ent_a"]).get("/workbench/awards/").status_code == 403


# --- the case page ------------------------------------------------------------------------------


def test_case_page_shows_facts_figures_eligibility_working_rule_materials_and_history(world, login):
    case = accepted(world)
    client = login(world.users["rev_sc"])
    body = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    for text in (
        "杭州示例商贸有限公司",
        world.enterprise.credit_code,
        "上城区",
        "中型",
        "限上批发零售企业",
        "2022年下半年零售额",
        "3,250,000,000",
        "元",  # declared figure with label and unit
        "在库并上报统计报表",
        "符合条件",  # eligibility with reasons
        "¥32,500,000.00",
        "× 1% =",  # suggested amount and its working
        "按不超过2022年下半年零售额的1%",
        "003_32cd36ea271cae91.txt",  # the rule and its source
        "申请表（加盖公章）",
        "?inline=1",
        "<iframe",  # material preview and download
        "受理",
        "剩余",  # history and the time-limit indicator
        "退回补正",
        "审核不通过",
        "审核通过",
        "不采纳会审意见（需写明理由）",  # the reviewer's actions
    ):
        assert text in body, text
    assert 'name="return-reason"' in body and "required" in body


def test_pdf_preview_may_be_framed(world, login):
    case = accepted(world)
    material = case.materials.get(kind="application_form")
    client = login(world.users["rev_sc"])
    body = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    url = f"/applications/{case.pk}/materials/{material.pk}/download/?inline=1"
    assert f'<iframe src="{url.replace("&", "&amp;")}"' in body
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_exclusivity_warning_lists_other_awards_of_the_group(world, login):
    other_item, other_round = other_item_and_round(world)
    old = make_case(world, "approved", enterprise=world.enterprise, item=other_item, round=other_round)
    make_award(world, old, state="claimed")
    case = accepted(world)
    body = login(world.users["rev_sc"]).get(f"/workbench/cases/{case.pk}/").content.decode()
    assert "同一年度只保留金额最高的一项" in body
    assert "商贸企业上台阶奖励" in body


def test_return_without_reason_reshows_the_form_and_changes_nothing(world, login):
    case = accepted(world)
    client = login(world.users["rev_sc"])
    response = client.post(f"/workbench/cases/{case.pk}/return/", {"return-reason": "  "})
    assert response.status_code == 400
    assert "请填写理由" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "district_review"

    response = client.post(
        f"/workbench/cases/{case.pk}/return/", {"return-reason": "请补充零售额证明材料。"}, follow=True
    )
    case.refresh_from_db()
    assert case.state == "returned" and case.supplement_request == "请补充零售额证明材料。"
    assert "已退回补正" in response.content.decode()


def test_approve_needs_every_opinion_and_an_override_reason_for_a_disagreement(world, login):
    case = accepted(world)
    client = login(world.users["rev_sc"])

    response = client.post(f"/workbench/cases/{case.pk}/approve/", {"approve-reason": ""})
    assert response.status_code == 409
    assert "尚缺以下会审部门意见" in response.content.decode()

    give_opinions(world, case, disagree="drc")
    response = client.post(f"/workbench/cases/{case.pk}/approve/", {})
    assert response.status_code == 409
    assert "出具了“不同意”意见" in response.content.decode()

    response = client.post(f"/workbench/cases/{case.pk}/approve/", {"approve-override": "on", "approve-reason": ""})
    assert response.status_code == 400  # the form asks for the reason first
    assert "必须写明理由" in response.content.decode()

    client.post(
        f"/workbench/cases/{case.pk}/approve/",
        {"approve-override": "on", "approve-reason": "发改意见所指数据已由统计部门更正。"},
    )
    case.refresh_from_db()
    assert case.state == "district_approved"
    assert case.events.get(action="approve").extra == {"override": True}


def test_co_reviewer_gives_an_opinion_once(world, login):
    from reviews.models import Opinion

    case = accepted(world)
    client = login(world.users["co_market"])
    body = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert 'id="opinion-form"' in body

    response = client.post(f"/workbench/cases/{case.pk}/opinion/", {"opinion-decision": "disagree"})
    assert response.status_code == 400 and "请写明理由" in response.content.decode()

    client.post(f"/workbench/cases/{case.pk}/opinion/", {"opinion-decision": "agree", "opinion-remarks": "无异常"})
    assert Opinion.objects.get(application=case).decision == "agree"
    body = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert 'id="opinion-form"' not in body and "本部门已就本轮审核出具意见" in body


# --- city list ----------------------------------------------------------------------------------


def city_review_case(world, login, *, retail: str = "3250000000"):
    from applications.services import application_approve

    case = accepted(world)
    give_opinions(world, case)
    application_approve(actor=world.users["rev_sc"], application_id=case.pk)
    client = login(world.users["rev_sc"])
    response = client.post(
        "/workbench/city-lists/assemble/", {"round": world.round.pk, "ids": [case.pk], "target": "new"}
    )
    assert response.status_code == 302
    list_url = response["Location"]
    client.post(f"{list_url}submit/")
    case.refresh_from_db()
    assert case.state == "city_review"
    return case, list_url


def test_city_approver_decides_on_the_list_within_the_rule_and_sees_the_budget(world, login):
    case, list_url = city_review_case(world, login)
    client = login(world.users["city"])
    page = client.get(list_url)
    body = page.content.decode()
    assert "¥100,000,000.00" in body and 'value="32500000.00"' in body and "最高 ¥32,500,000.00" in body

    response = client.post(
        f"/workbench/cases/{case.pk}/city-approve/",
        {"row": "1", "next": list_url, "amount": "40000000", "reason": ""},
        follow=True,
    )
    assert "超过政策标准允许的最高额" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "city_review"

    response = client.post(
        f"/workbench/cases/{case.pk}/city-return/",
        {"row": "1", "next": list_url, "amount": "1", "reason": ""},
        follow=True,
    )
    assert "请填写理由。" in response.content.decode()

    client.post(f"/workbench/cases/{case.pk}/city-approve/", {"row": "1", "next": list_url, "amount": "30000000.00"})
    case.refresh_from_db()
    assert (case.state, case.amount) == ("approved", Decimal("30000000.00"))
    body = client.get(list_url).content.decode()
    assert "¥70,000,000.00" in body  # budget left
    assert "审定完毕" in body


def test_the_reviewer_of_a_case_cannot_approve_it_at_city_level(world, login):
    """Separation of duties: a city approver who co-reviewed the case sees why he may not decide."""
    from accounts.models import Organisation, Role, User
    from applications.services import application_accept, application_approve
    from reviews.services import city_list_create, city_list_submit, opinion_create

    # a city-level finance co-reviewer who is later a city approver account is modelled by one
    # user acting twice: the city approver gives the finance opinion through a city organisation
    city_fin = Organisation.objects.create(name="杭州市财政局", level="city", function="finance")
    dual = User.objects.create_user(username="dual", password="x", role=Role.CO_REVIEWER, organisation=city_fin)
    case = submit_case(world)
    application_accept(actor=world.users["rev_sc"], application_id=case.pk)
    for function in DEPARTMENTS:
        officer = dual if function == "finance" else world.users[f"co_{function}"]
        opinion_create(actor=officer, application_id=case.pk, decision="agree")
    application_approve(actor=world.users["rev_sc"], application_id=case.pk)
    city_list = city_list_create(actor=world.users["rev_sc"], round_id=world.round.pk, application_ids=[case.pk])
    city_list_submit(actor=world.users["rev_sc"], city_list_id=city_list.pk)
    dual.role = Role.CITY_APPROVER
    dual.organisation = Organisation.objects.get(name="杭州市商务局")
    dual.save(update_fields=["role", "organisation"])

    body = login(dual).get(f"/workbench/city-lists/{city_list.pk}/").content.decode()
    assert "同一人不得在同一案件的两个环节办理" in body
    assert 'name="amount"' not in body


def test_assembling_a_list_refuses_a_case_not_on_the_page(world, login):
    other = make_case(world, "submitted")
    client = login(world.users["rev_sc"])
    response = client.post(
        "/workbench/city-lists/assemble/", {"round": world.round.pk, "ids": [other.pk], "target": "new"}, follow=True
    )
    assert "不在列表中" in response.content.decode()


# --- 政策上线, payments, recovery, dishonesty -----------------------------------------------------------


def test_publish_creates_awards_until_the_end_of_the_chosen_day_and_cancels_lower_ones(world, login):
    from awards.models import Award

    other_item, other_round = other_item_and_round(world)
    lower_case = make_case(
        world, "approved", enterprise=world.enterprise, item=other_item, round=other_round, amount=Decimal("200000.00")
    )
    lower = make_award(world, lower_case, state="claimable")
    first = make_case(world, "approved", enterprise=world.enterprise, retail=100_000_000)
    second = make_case(world, "approved")
    day = timezone.localdate() + timedelta(days=10)
    client = login(world.users["fund_sc"])
    page = client.get(f"/workbench/publish/?round={world.round.pk}").content.decode()
    assert f'value="{first.pk}"' in page and f'value="{second.pk}"' in page

    response = client.post(
        "/workbench/publish/", {"round": world.round.pk, "ids": [first.pk, second.pk], "claim_date": day.isoformat()}
    )

    assert response.status_code == 200
    assert len(response.context["created"]) == 2
    assert [a.pk for a in response.context["cancelled"]] == [lower.pk]
    award = Award.objects.get(application=first)
    assert timezone.localtime(award.claim_deadline).isoformat().startswith(f"{day + timedelta(days=1)}T00:00:00+08:00")
    body = response.content.decode()
    assert "从优、就高、不重复" in body and "商贸企业上台阶奖励" in body


def test_pay_recover_and_credit_repair(world, login):
    from enterprises.models import DishonestyEntry

    award = make_award(world, make_case(world, "approved", enterprise=world.enterprise), state="claimed")
    fund = login(world.users["fund_sc"])
    fund.post(f"/workbench/awards/{award.pk}/pay/", {"reference": "HZ-0001", "paid_on": timezone.localdate()})
    award.refresh_from_db()
    assert award.state == "paid"
    response = fund.post(
        f"/workbench/awards/{award.pk}/pay/", {"reference": "HZ-0002", "paid_on": timezone.localdate()}, follow=True
    )
    assert "不能执行“兑现”" in response.content.decode()

    fund.post(f"/workbench/awards/{award.pk}/recover/", {"recover-reason": "统计违法，虚报零售额。"})
    award.refresh_from_db()
    assert award.state == "recovering"
    entry = DishonestyEntry.objects.get(award=award)
    assert world.enterprise.name in fund.get("/workbench/dishonesty/").content.decode()
    fund.post(f"/workbench/awards/{award.pk}/recovered/", {"reason": "已退回国库"})
    award.refresh_from_db()
    assert award.state == "recovered"

    assert fund.post(f"/workbench/dishonesty/{entry.pk}/end/", {"reason": "x"}).status_code == 403
    admin = login(world.users["admin"])
    admin.post(f"/workbench/dishonesty/{entry.pk}/end/", {"reason": "已完成信用修复（市信用办函）"})
    entry.refresh_from_db()
    assert entry.ended_at is not None and entry.ended_by == world.users["admin"]


def test_fund_officer_of_another_district_cannot_see_the_award(world, login):
    award = make_award(world, make_case(world, "approved"), state="claimed")
    client = login(world.users["fund_xh"])
    assert client.get(f"/workbench/awards/{award.pk}/").status_code == 404
    assert (
        client.post(f"/workbench/awards/{award.pk}/pay/", {"reference": "X", "paid_on": "2026-01-01"}).status_code
        == 404
    )


# --- policy administration ----------------------------------------------------------------------


def test_policy_admin_creates_edits_opens_and_closes_a_round(world, login):
    from policies.models import Round

    client = login(world.users["admin"])
    response = client.post(
        "/workbench/policies/rounds/new/",
        {
            "item": world.item.pk,
            "name": "",
            "opens_at": "2027-01-01T00:00",
            "closes_at": "2027-02-01T00:00",
            "supplement_days": 10,
            "review_working_days": 10,
            "city_review_working_days": 15,
            "claim_days": 30,
            "budget": "5000000",
            "published": "on",
        },
    )
    assert response.status_code == 302
    round_ = Round.objects.exclude(pk=world.round.pk).get()
    assert timezone.localtime(round_.opens_at).isoformat() == "2027-01-01T00:00:00+08:00"
    assert round_.budget == Decimal("5000000") and "2027年01月" in round_.name

    bad = client.post(
        f"/workbench/policies/rounds/{round_.pk}/edit/",
        {
            "name": round_.name,
            "opens_at": "2027-03-01T00:00",
            "closes_at": "2027-02-01T00:00",
            "supplement_days": 10,
            "review_working_days": 10,
            "city_review_working_days": 15,
            "claim_days": 30,
        },
    )
    assert bad.status_code == 400 and "申报截止时间必须晚于开始时间" in bad.content.decode()

    client.post(
        f"/workbench/policies/rounds/{round_.pk}/edit/",
        {
            "name": "2027年第一批",
            "opens_at": "2027-01-01T00:00",
            "closes_at": "2027-02-01T00:00",
            "supplement_days": 10,
            "review_working_days": 8,
            "city_review_working_days": 15,
            "claim_days": 30,
            "budget": "6000000",
            "published": "on",
        },
    )
    round_.refresh_from_db()
    assert (round_.name, round_.review_working_days, round_.budget) == ("2027年第一批", 8, Decimal("6000000"))

    client.post(f"/workbench/policies/rounds/{round_.pk}/open-now/")
    round_.refresh_from_db()
    assert round_.opens_at <= timezone.now() < round_.closes_at
    client.post(f"/workbench/policies/rounds/{round_.pk}/close-now/")
    round_.refresh_from_db()
    assert round_.closes_at <= timezone.now() + timedelta(seconds=2)


def test_round_administration_is_for_policy_admins(world, login):
    client = login(world.users["rev_sc"])
    assert client.get("/workbench/policies/rounds/new/").status_code == 403
    assert client.post(f"/workbench/policies/rounds/{world.round.pk}/close-now/").status_code == 403
    body = client.get(f"/workbench/policies/items/{world.item.pk}/").content.decode()
    assert "按不超过2022年下半年零售额的1%" in body and "003_32cd36ea271cae91.txt 第 299-303 行" in body


@pytest.mark.parametrize("who", ["rev_sc", "co_tax", "city", "auditor", "admin"])
def test_publish_and_import_are_for_fund_officers(world, login, who):
    client = login(world.users[who])
    assert client.get("/workbench/publish/").status_code == 403
    assert client.get("/workbench/awards/import/").status_code == 403


def test_queue_filters_counts_sort_and_overdue(world, login):
    late = make_case(world, "district_review", review_deadline=timezone.now() - timedelta(days=1))
    fresh = make_case(world, "district_review")
    waiting = make_case(world, "submitted")
    make_case(world, "submitted", enterprise=make_enterprise(world, district="xh"))  # other district
    client = login(world.users["rev_sc"])

    response = client.get("/workbench/")
    counts = {s["code"]: s["n"] for s in response.context["state_tabs"]}
    assert counts["submitted"] == 1 and counts["district_review"] == 2 and response.context["total"] == 3

    response = client.get("/workbench/cases/?overdue=on")
    assert [r["case"].pk for r in response.context["rows"]] == [late.pk]
    assert response.context["rows"][0]["clock"]["level"] == "over"

    response = client.get("/workbench/cases/?state=district_review&sort=id")
    assert [r["case"].pk for r in response.context["rows"]] == [late.pk, fresh.pk]
    assert response.context["rows"][1]["clock"]["text"].startswith("剩余")

    rows = client.get("/workbench/cases/?sort=enterprise").context["rows"]
    names = [r["case"].enterprise.name for r in rows]
    assert names == sorted(names)
    assert waiting.pk in [r["case"].pk for r in rows if r["can_accept"]]

    never_submitted = make_case(world, "expired", submitted_at=None)
    rows = client.get("/workbench/cases/?sort=-submitted_at").context["rows"]
    assert rows[-1]["case"].pk == never_submitted.pk  # NULLs last, not first
    rows = client.get("/workbench/cases/?sort=submitted_at").context["rows"]
    assert rows[-1]["case"].pk == never_submitted.pk

    partial = client.get("/workbench/cases/?state=submitted", HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and f"#{waiting.pk}".encode() in partial.content
