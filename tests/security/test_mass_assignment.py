"""R3 mass assignment (ASVS 8.2.3, BOPLA) through the HTML forms: whatever extra fields an
enterprise posts (state, amounts, district, owner, reviewer …), before or after submission,
the database keeps what the services decided. The API side is tests/workflow/test_refusals.py."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from applications import services
from applications.models import Application
from applications.rules import assess
from applications.workflow import State
from awards.models import Award
from enterprises.models import Enterprise

from .conftest import make_award, make_submitted, make_under_review, pdf

pytestmark = pytest.mark.django_db

PROTECTED = [
    "state",
    "amount",
    "suggested_amount",
    "district",
    "enterprise",
    "item",
    "round",
    "city_approver",
    "district_reviewer",
    "created_by",
    "submitted_at",
    "review_cycle",
    "commitment_signed_by",
    "city_list",
]


def extra(demo) -> dict:
    other = demo.enterprises["ent_b"]
    return {
        "state": "approved",
        "amount": "99999999",
        "suggested_amount": "99999999",
        "district": other.district_id,
        "district_id": other.district_id,
        "enterprise": other.pk,
        "enterprise_id": other.pk,
        "item": demo.p14_round.item_id + 1,
        "round": demo.p14_round.pk + 1,
        "city_approver": demo.users["city_approver"].pk,
        "district_reviewer": demo.users["rev_shangcheng"].pk,
        "created_by": demo.users["ent_b"].pk,
        "review_cycle": "9",
        "submitted_at": "2020-01-01T00:00:00+08:00",
        "commitment_signed_by": demo.users["ent_b"].pk,
        "eligibility": '{"eligible": true}',
    }


def snapshot(app: Application) -> dict:
    app.refresh_from_db()
    return {
        f: getattr(
            app, f if f in ("state", "amount", "suggested_amount", "review_cycle", "submitted_at") else f + "_id"
        )
        for f in PROTECTED
    }


def client_for(demo, username: str) -> Client:
    client = Client()
    client.force_login(demo.users[username])
    return client


def test_new_application_form_ignores_state_amount_district_and_owner(demo):
    client = client_for(demo, "ent_a")
    response = client.post(
        f"/my/applications/new/{demo.p14_round.pk}/", {"retail_sales_2022h2": "3250000000", **extra(demo)}
    )
    assert response.status_code == 302, response.content[:300]
    app = Application.objects.get(enterprise=demo.enterprises["ent_a"])
    assert app.state == State.DRAFT and app.amount is None
    assert app.district_id == demo.enterprises["ent_a"].district_id and app.round_id == demo.p14_round.pk
    assert app.item_id == demo.p14_round.item_id and app.created_by_id == demo.users["ent_a"].pk
    assert app.suggested_amount != 99999999


def test_figures_form_of_a_draft_changes_the_figures_only(demo):
    app = services.application_create(
        actor=demo.users["ent_a"], round_id=demo.p14_round.pk, declared={"retail_sales_2022h2": "3250000000"}
    )
    before = snapshot(app)
    suggested_before = before.pop("suggested_amount")
    response = client_for(demo, "ent_a").post(
        f"/my/applications/{app.pk}/figures/", {"retail_sales_2022h2": "3300000000", **extra(demo)}
    )
    assert response.status_code in (200, 302)
    after = snapshot(app)
    after.pop("suggested_amount")
    assert after == before
    app.refresh_from_db()
    assert set(app.declared) <= {f["key"] for f in app.item.declared_fields}
    assert str(app.declared["retail_sales_2022h2"]).startswith("3300000000")
    assert app.suggested_amount == assess(app).suggested_amount != suggested_before  # recomputed, not posted


def test_after_submission_no_portal_form_changes_the_case(demo):
    app = make_submitted(demo)
    before = snapshot(app)
    declared_before = dict(Application.objects.get(pk=app.pk).declared)
    client = client_for(demo, "ent_a")
    kind = app.item.materials[0]["kind"]
    for step, data in (
        ("figures", {"retail_sales_2022h2": "9999999999", **extra(demo)}),
        ("materials", {"kind": kind, "file": pdf(), **extra(demo)}),
        ("submit", {"signed": "on", **extra(demo)}),
        ("check", extra(demo)),
    ):
        client.post(f"/my/applications/{app.pk}/{step}/", data)
        assert snapshot(app) == before, step
    app.refresh_from_db()
    assert app.declared == declared_before and app.materials.count() == len(app.item.materials)


def test_under_review_the_enterprise_cannot_touch_the_case(demo):
    app = make_under_review(demo)
    before = snapshot(app)
    client = client_for(demo, "ent_a")
    for path in ("figures", "submit", "withdraw", "materials"):
        client.post(f"/my/applications/{app.pk}/{path}/", {"reason": "x", "signed": "on", **extra(demo)})
    assert snapshot(app) == before


def test_profile_form_cannot_change_credit_code_district_or_designations(demo):
    enterprise = demo.enterprises["ent_a"]
    enterprise.refresh_from_db()
    fields = model_to_dict(
        enterprise,
        fields=[
            "name",
            "address",
            "legal_representative",
            "industry",
            "size_class",
            "employees",
            "annual_revenue",
            "bank_name",
            "bank_account_name",
            "bank_account_no",
            "contact_name",
            "contact_phone",
        ],
    )
    data = {k: ("" if v is None else v) for k, v in fields.items()}
    data["registered_on"] = enterprise.registered_on.isoformat() if enterprise.registered_on else ""
    data["contact_name"] = "赵六"
    other = demo.enterprises["ent_b"]
    data |= {"credit_code": other.credit_code, "district": other.district_id, "id": other.pk, "tags": "srdi"}
    response = client_for(demo, "ent_a").post("/my/enterprise/", data)
    assert response.status_code in (200, 302)
    fresh = Enterprise.objects.get(pk=enterprise.pk)
    assert fresh.credit_code == enterprise.credit_code and fresh.district_id == enterprise.district_id
    assert fresh.contact_name == "赵六"
    assert Enterprise.objects.get(pk=other.pk).contact_name == other.contact_name


def test_claim_form_cannot_set_amount_state_or_payment(demo):
    award = make_award(demo, "ent_c", retail="3100000000")
    amount = award.amount
    response = client_for(demo, "ent_c").post(
        f"/awards/{award.pk}/",
        {
            "signed": "on",
            "bank_confirmed": "on",
            "amount": "99999999",
            "state": "paid",
            "payment_reference": "FAKE-1",
            "paid_on": timezone.localdate().isoformat(),
            "claim_deadline": (timezone.now() + timedelta(days=999)).isoformat(),
            "enterprise": demo.enterprises["ent_b"].pk,
            "claimed_by": demo.users["ent_b"].pk,
        },
    )
    assert response.status_code in (200, 302)
    award = Award.objects.get(pk=award.pk)
    assert award.state == "claimed" and award.amount == amount and award.payment_reference is None
    assert award.claimed_by_id == demo.users["ent_c"].pk and award.enterprise_id == demo.enterprises["ent_c"].pk


def test_registration_and_invitation_cannot_grant_roles_or_staff(demo):
    from enterprises.credit_code import check_character

    first17 = "91330102MA2H7X0Q1"
    Client().post(
        "/accounts/register/",
        {
            "name": "杭州越权测试有限公司",
            "credit_code": first17 + check_character(first17),
            "district": demo.enterprises["ent_a"].district_id,
            "username": "sec_mass_admin",
            "display_name": "钱七",
            "phone": "13800000001",
            "email": "qian@example.com",
            "password": "Hz-mass-2026x",
            "password_again": "Hz-mass-2026x",
            "role": "policy_admin",
            "is_staff": "on",
            "is_superuser": "on",
            "organisation": demo.users["policy_admin"].organisation_id or "",
            "enterprise": demo.enterprises["ent_b"].pk,
        },
    )
    users = get_user_model().objects
    created = users.get(username="sec_mass_admin")
    assert created.role == "enterprise" and not created.is_staff and not created.is_superuser
    assert created.organisation_id is None and created.enterprise_id != demo.enterprises["ent_b"].pk
    admin = demo.users["ent_a"]
    if admin.is_enterprise_admin:
        client_for(demo, "ent_a").post(
            "/my/enterprise/users/",
            {
                "username": "sec_invited",
                "display_name": "孙八",
                "email": "sun@example.com",
                "phone": "",
                "role": "city_approver",
                "is_staff": "on",
                "is_superuser": "on",
                "enterprise": demo.enterprises["ent_b"].pk,
                "is_enterprise_admin": "on",
            },
        )
        invited = users.get(username="sec_invited")
        assert invited.role == "enterprise" and invited.enterprise_id == admin.enterprise_id
        assert not (invited.is_staff or invited.is_superuser or invited.is_enterprise_admin)


def test_official_action_forms_ignore_state_and_amount_fields(demo):
    app = make_submitted(demo)
    client = client_for(demo, "rev_shangcheng")
    client.post(f"/workbench/cases/{app.pk}/accept/", {"state": "approved", "amount": "99999999", **extra(demo)})
    app.refresh_from_db()
    assert app.state == State.DISTRICT_REVIEW and app.amount is None
    assert app.district_id == demo.enterprises["ent_a"].district_id
