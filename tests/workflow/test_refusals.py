"""Each refusal of SPEC §3–4 and §8: the right status, a code, a Chinese message, nothing written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from applications.workflow import State
from awards.models import AwardEvent
from enterprises.services import dishonesty_entry_create
from policies.models import Round

from .conftest import make_approved, make_award, make_submitted, make_under_review, pdf

pytestmark = pytest.mark.django_db


def _events(app_id: int) -> int:
    return ApplicationEvent.objects.filter(application_id=app_id).count()


def test_wrong_role_is_403_and_changes_nothing(demo):
    app = make_submitted(demo)
    before = _events(app.pk)
    response = demo.client("ent_a").post(f"/api/v1/applications/{app.pk}/accept/")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert "属地审核员" in response.json()["detail"]
    app.refresh_from_db()
    assert app.state == State.SUBMITTED and _events(app.pk) == before


def test_wrong_district_and_other_enterprise_see_404(demo):
    app = make_submitted(demo)
    for username in ("rev_xihu", "ent_b", "ent_c", "tax_xihu", "fund_xihu"):
        client = demo.client(username)
        assert client.get(f"/api/v1/applications/{app.pk}/").status_code == 404, username
        assert client.post(f"/api/v1/applications/{app.pk}/accept/").status_code == 404, username
    missing = demo.client("rev_shangcheng").get("/api/v1/applications/999999/")
    assert missing.status_code == 404
    assert missing.json() == demo.client("rev_xihu").get(f"/api/v1/applications/{app.pk}/").json()


def test_wrong_state_is_409(demo):
    app = make_under_review(demo)
    response = demo.client("rev_shangcheng").post(f"/api/v1/applications/{app.pk}/accept/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state" and "属地审核中" in response.json()["detail"]


def test_submission_outside_the_window_is_refused(demo):
    from applications import services

    round_ = demo.p14_round
    user = demo.users["ent_a"]
    app = services.application_create(actor=user, round_id=round_.pk, declared={"retail_sales_2022h2": "3250000000"})
    for m in round_.item.materials:
        services.material_upload(actor=user, application_id=app.pk, kind=m["kind"], upload=pdf())
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    response = demo.client("ent_a").post(
        f"/api/v1/applications/{app.pk}/submit/", {"commitment_signed": True}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "window_closed"
    assert "已截止" in response.json()["detail"]
    app.refresh_from_db()
    assert app.state == State.DRAFT and app.commitment_signed_at is None


def test_missing_materials_and_unsigned_commitment(demo):
    from applications import services

    user = demo.users["ent_a"]
    app = services.application_create(
        actor=user, round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3250000000"}
    )
    client = demo.client("ent_a")
    unsigned = client.post(f"/api/v1/applications/{app.pk}/submit/", {}, format="json")
    assert unsigned.status_code == 400 and unsigned.json()["code"] == "commitment_required"
    missing = client.post(f"/api/v1/applications/{app.pk}/submit/", {"commitment_signed": True}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "materials_missing"
    assert "营业执照复印件" in missing.json()["detail"]


def test_declared_figures_are_validated_with_what_to_fix(demo):
    client = demo.client("ent_a")
    bad = client.post(
        "/api/v1/applications/",
        {"round": demo.p14_round.pk, "declared": {"retail_sales_2022h2": "三十亿"}},
        format="json",
    )
    assert bad.status_code == 400
    assert "2022年下半年零售额" in bad.json()["detail"] and "数字" in bad.json()["detail"]
    unknown = client.post(
        "/api/v1/applications/", {"round": demo.p14_round.pk, "declared": {"profit": "1"}}, format="json"
    )
    assert unknown.status_code == 400 and "profit" in unknown.json()["detail"]
    assert not Application.objects.exists()


def test_dishonesty_list_blocks_submit_and_claim(demo):
    award = make_award(demo, "ent_c", retail="3100000000")
    from applications import services

    user = demo.users["ent_a"]
    app = services.application_create(
        actor=user, round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3250000000"}
    )
    for m in demo.p14_round.item.materials:
        services.material_upload(actor=user, application_id=app.pk, kind=m["kind"], upload=pdf())
    for ent in ("ent_a", "ent_c"):
        dishonesty_entry_create(
            enterprise_id=demo.enterprises[ent].pk, reason="统计违法", source="市统计局", actor=None
        )
    refused = demo.client("ent_a").post(
        f"/api/v1/applications/{app.pk}/submit/", {"commitment_signed": True}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "credit_blocked"
    claim = demo.client("ent_c").post(f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, format="json")
    assert claim.status_code == 403 and claim.json()["code"] == "credit_blocked"


def test_amount_above_the_rule_is_refused(demo):
    from applications import services

    app = make_under_review(demo)
    from .conftest import give_opinions

    give_opinions(demo, app)
    services.application_approve(actor=demo.users["rev_shangcheng"], application_id=app.pk)
    from reviews.services import city_list_create, city_list_submit

    cl = city_list_create(actor=demo.users["rev_shangcheng"], round_id=app.round_id, application_ids=[app.pk])
    city_list_submit(actor=demo.users["rev_shangcheng"], city_list_id=cl.pk)
    response = demo.client("city_approver").post(
        f"/api/v1/applications/{app.pk}/city-approve/", {"amount": "40000000"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "amount_above_rule"
    assert "32,500,000.00" in response.json()["detail"]
    app.refresh_from_db()
    assert app.state == State.CITY_REVIEW and app.amount is None


def test_second_claim_pays_once_and_second_payment_is_409(demo):
    award = make_award(demo)
    client = demo.client("ent_a")
    for _ in range(3):
        assert (
            client.post(f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, format="json").status_code
            == 200
        )
    assert AwardEvent.objects.filter(award=award, action="claim").count() == 1
    fund = demo.client("fund_shangcheng")
    assert fund.post(f"/api/v1/awards/{award.pk}/pay/", {"reference": "R-1"}, format="json").status_code == 200
    assert fund.post(f"/api/v1/awards/{award.pk}/pay/", {"reference": "R-2"}, format="json").status_code == 409
    assert AwardEvent.objects.filter(award=award, action="pay").count() == 1


def test_disagreeing_opinion_blocks_approval_unless_overridden_with_reason(demo):
    from .conftest import give_opinions

    app = make_under_review(demo)
    give_opinions(demo, app, disagree="tax")
    rev = demo.client("rev_shangcheng")
    blocked = rev.post(f"/api/v1/applications/{app.pk}/approve/", {}, format="json")
    assert blocked.status_code == 409 and blocked.json()["code"] == "opinion_disagree"
    no_reason = rev.post(f"/api/v1/applications/{app.pk}/approve/", {"override": True}, format="json")
    assert no_reason.status_code == 400
    ok = rev.post(
        f"/api/v1/applications/{app.pk}/approve/",
        {"override": True, "reason": "税务部门意见已核实为数据口径差异"},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["state"] == "district_approved"
    event = ApplicationEvent.objects.get(application=app, action="approve")
    assert event.extra == {"override": True} and "口径" in event.reason


def test_return_and_resubmit_with_the_bureau_request(demo):
    app = make_under_review(demo)
    rev = demo.client("rev_shangcheng")
    no_reason = rev.post(f"/api/v1/applications/{app.pk}/return/", {}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "reason_required"
    returned = rev.post(f"/api/v1/applications/{app.pk}/return/", {"reason": "请补充董事会纪要"}, format="json").json()
    assert returned["state"] == "returned" and returned["supplement_request"] == "请补充董事会纪要"
    assert returned["supplement_deadline"]
    ent = demo.client("ent_a")
    upload = ent.post(
        f"/api/v1/applications/{app.pk}/materials/", {"kind": "board_minutes", "file": pdf()}, format="multipart"
    )
    assert upload.status_code == 201 and upload.json()["version"] == 2
    assert ent.post(f"/api/v1/applications/{app.pk}/resubmit/").json()["state"] == "submitted"
    again = demo.client("rev_shangcheng").post(f"/api/v1/applications/{app.pk}/accept/").json()
    assert again["state"] == "district_review"


def test_separation_of_duties_district_reviewer_cannot_city_approve(demo):
    from accounts.models import Role

    app = make_approved(demo)  # approved by city_approver; now a second case reviewed by a person who later moves
    assert app.state == State.APPROVED
    second = make_under_review(demo, "ent_c", retail="3100000000")
    from .conftest import give_opinions

    give_opinions(demo, second)
    reviewer = demo.users["rev_shangcheng"]
    from applications import services
    from reviews.services import city_list_create, city_list_submit

    services.application_approve(actor=reviewer, application_id=second.pk)
    cl = city_list_create(actor=reviewer, round_id=second.round_id, application_ids=[second.pk])
    city_list_submit(actor=reviewer, city_list_id=cl.pk)
    reviewer.role = Role.CITY_APPROVER
    reviewer.organisation = demo.users["city_approver"].organisation
    reviewer.save()
    response = demo.client("rev_shangcheng").post(
        f"/api/v1/applications/{second.pk}/city-approve/", {"amount": "100"}, format="json"
    )
    assert response.status_code == 403 and "两个环节" in response.json()["detail"]


def test_withdraw_only_while_submitted(demo):
    app = make_submitted(demo)
    client = demo.client("ent_a")
    assert client.post(f"/api/v1/applications/{app.pk}/withdraw/", {}, format="json").json()["state"] == "withdrawn"
    assert client.post(f"/api/v1/applications/{app.pk}/withdraw/", {}, format="json").status_code == 409
    # A withdrawn case frees the enterprise's place in the round.
    fresh = client.post("/api/v1/applications/", {"round": demo.p14_round.pk, "declared": {}}, format="json")
    assert fresh.status_code == 201


def test_one_live_application_per_enterprise_and_round(demo):
    client = demo.client("ent_a")
    assert client.post("/api/v1/applications/", {"round": demo.p14_round.pk}, format="json").status_code == 201
    second = client.post("/api/v1/applications/", {"round": demo.p14_round.pk}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "duplicate"
    assert Application.objects.filter(enterprise=demo.enterprises["ent_a"]).count() == 1


def test_mass_assignment_is_refused(demo):
    app = make_submitted(demo)
    client = demo.client("ent_a")
    for field, value in (
        ("state", "approved"),
        ("amount", "99999999"),
        ("district", 2),
        ("enterprise", 3),
        ("suggested_amount", "1"),
    ):
        response = client.patch(f"/api/v1/applications/{app.pk}/", {field: value}, format="json")
        assert response.status_code == 400, field
    app.refresh_from_db()
    assert app.state == State.SUBMITTED and app.amount is None
    # Declared figures cannot change after submission either.
    late = client.patch(
        f"/api/v1/applications/{app.pk}/", {"declared": {"retail_sales_2022h2": "9000000000"}}, format="json"
    )
    assert late.status_code == 409
    me = client.patch("/api/v1/enterprises/me/", {"credit_code": "91330102MA2H4K7X1X", "district": 3}, format="json")
    assert me.status_code == 400


def test_round_budget_is_never_exceeded(demo):
    from decimal import Decimal

    Round.objects.filter(pk=demo.p14_round.pk).update(budget=Decimal("40000000"))
    make_approved(demo, "ent_a", retail="3250000000")  # 3,250万
    from .conftest import give_opinions

    second = make_under_review(demo, "ent_c", retail="3100000000")
    give_opinions(demo, second)
    from applications import services
    from reviews.services import city_list_create, city_list_submit

    services.application_approve(actor=demo.users["rev_shangcheng"], application_id=second.pk)
    cl = city_list_create(actor=demo.users["rev_shangcheng"], round_id=second.round_id, application_ids=[second.pk])
    city_list_submit(actor=demo.users["rev_shangcheng"], city_list_id=cl.pk)
    over = demo.client("city_approver").post(
        f"/api/v1/applications/{second.pk}/city-approve/", {"amount": "31000000"}, format="json"
    )
    assert over.status_code == 409 and over.json()["code"] == "budget_exceeded"
    ok = demo.client("city_approver").post(
        f"/api/v1/applications/{second.pk}/city-approve/", {"amount": "7500000"}, format="json"
    )
    assert ok.status_code == 200


def test_claim_after_deadline_is_refused(demo):
    from awards.models import Award

    award = make_award(demo)
    Award.objects.filter(pk=award.pk).update(claim_deadline=timezone.now() - timedelta(seconds=1))
    response = demo.client("ent_a").post(
        f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "claim_deadline_passed"
