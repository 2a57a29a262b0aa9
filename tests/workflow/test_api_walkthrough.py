"""One case through every stage of SPEC §3–4, through the REST API, as the demo accounts."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from applications.models import ApplicationEvent
from awards.models import AwardEvent
from enterprises.selectors import active_listing
from notifications.models import Notification

from .conftest import PDF

pytestmark = pytest.mark.django_db


def login(username: str) -> APIClient:
    """Token login exactly as an integration would: POST /api/v1/auth/token/."""
    anon = APIClient()
    response = anon.post("/api/v1/auth/token/", {"username": username, "password": "Hz-demo-2026"}, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_one_case_from_draft_to_recovery_through_the_api(demo, django_capture_on_commit_callbacks):
    ent_a = login("ent_a")

    policies = ent_a.get("/api/v1/policies/?page_size=200").json()["results"]
    p14 = next(p for p in policies if p["code"] == "SP-029")
    assert {"id", "name", "document", "mode"} <= set(p14)
    detail = ent_a.get(f"/api/v1/policies/{p14['id']}/").json()
    assert [m["kind"] for m in detail["materials"]] == [
        "business_licence",
        "tax_return",
        "income_statement",
        "board_minutes",
        "regional_sales_summary",
        "explanation",
    ]
    assert detail["declared_fields"][0]["key"] == "retail_sales_2022h2"
    open_rounds = ent_a.get("/api/v1/rounds/?state=open&page_size=200").json()["results"]
    round_id = next(r["id"] for r in open_rounds if r["item"] == p14["id"])

    # Draft: eligibility and the suggested amount are computed at once.
    created = ent_a.post(
        "/api/v1/applications/", {"round": round_id, "declared": {"retail_sales_2022h2": "3250000000"}}, format="json"
    )
    assert created.status_code == 201, created.content
    app = created.json()
    app_id = app["id"]
    assert app["state"] == "draft" and app["state_label"] == "草稿"
    assert app["eligibility"]["eligible"] is True
    assert app["suggested_amount"] == "32500000.00"

    for material in detail["materials"]:
        upload = ent_a.post(
            f"/api/v1/applications/{app_id}/materials/",
            {"kind": material["kind"], "file": _pdf(material["kind"])},
            format="multipart",
        )
        assert upload.status_code == 201, upload.content

    with django_capture_on_commit_callbacks(execute=True):
        submitted = ent_a.post(f"/api/v1/applications/{app_id}/submit/", {"commitment_signed": True}, format="json")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "submitted"
    assert Notification.objects.filter(user__username="rev_shangcheng", kind="case_submitted").count() == 1

    rev = login("rev_shangcheng")
    assert rev.post(f"/api/v1/applications/{app_id}/accept/").json()["state"] == "district_review"
    blocked = rev.post(f"/api/v1/applications/{app_id}/approve/", {}, format="json")
    assert blocked.status_code == 409 and blocked.json()["code"] == "opinions_missing"
    for officer in ("tax_shangcheng", "mkt_shangcheng", "drc_shangcheng", "fin_shangcheng"):
        opinion = login(officer).post(
            f"/api/v1/applications/{app_id}/opinions/", {"decision": "agree", "remarks": "无异常"}, format="json"
        )
        assert opinion.status_code == 201, opinion.content
    assert rev.post(f"/api/v1/applications/{app_id}/approve/", {}, format="json").json()["state"] == "district_approved"

    city_list = rev.post("/api/v1/city-lists/", {"round": round_id, "applications": [app_id]}, format="json")
    assert city_list.status_code == 201, city_list.content
    submitted_list = rev.post(f"/api/v1/city-lists/{city_list.json()['id']}/submit/")
    assert submitted_list.json()["status"] == "submitted"

    city = login("city_approver")
    too_much = city.post(f"/api/v1/applications/{app_id}/city-approve/", {"amount": "32500000.01"}, format="json")
    assert too_much.status_code == 400 and too_much.json()["code"] == "amount_above_rule"
    approved = city.post(f"/api/v1/applications/{app_id}/city-approve/", {"amount": "30000000"}, format="json")
    assert approved.json()["state"] == "approved" and approved.json()["amount"] == "30000000.00"
    assert city.get(f"/api/v1/city-lists/{city_list.json()['id']}/").json()["status"] == "done"

    fund = login("fund_shangcheng")
    deadline = (timezone.now() + timedelta(days=30)).isoformat()
    published = fund.post(f"/api/v1/rounds/{round_id}/publish-awards/", {"claim_deadline": deadline}, format="json")
    assert published.status_code == 201, published.content
    award = published.json()["created"][0]
    assert award["state"] == "claimable" and award["amount"] == "30000000.00"
    assert award["city_share"] == "15000000.00" and award["district_pays_first"] is True

    mine = ent_a.get("/api/v1/awards/").json()["results"]
    assert [a["id"] for a in mine] == [award["id"]]
    claim = ent_a.post(f"/api/v1/awards/{award['id']}/claim/", {"commitment_signed": True}, format="json")
    assert claim.json()["state"] == "claimed"
    again = ent_a.post(f"/api/v1/awards/{award['id']}/claim/", {"commitment_signed": True}, format="json")
    assert again.status_code == 200 and again.json()["state"] == "claimed"
    assert AwardEvent.objects.filter(award_id=award["id"], action="claim").count() == 1

    paid = fund.post(f"/api/v1/awards/{award['id']}/pay/", {"reference": "SC-2026-0001"}, format="json")
    assert paid.json()["state"] == "paid" and paid.json()["payment_reference"] == "SC-2026-0001"
    twice = fund.post(f"/api/v1/awards/{award['id']}/pay/", {"reference": "SC-2026-0002"}, format="json")
    assert twice.status_code == 409

    recovering = fund.post(f"/api/v1/awards/{award['id']}/recover/", {"reason": "统计违法，归还奖励"}, format="json")
    assert recovering.json()["state"] == "recovering"
    assert active_listing(enterprise_id=demo.enterprises["ent_a"].pk) is not None

    history = ent_a.get(f"/api/v1/applications/{app_id}/history/").json()
    transitions = [(h["from_state"], h["to_state"]) for h in history if h["from_state"] != h["to_state"]]
    assert transitions == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "district_review"),
        ("district_review", "district_approved"),
        ("district_approved", "city_review"),
        ("city_review", "approved"),
    ]
    assert all(h["actor_name"] for h in history)
    assert ApplicationEvent.objects.filter(application_id=app_id, action="opinion").count() == 4
    award_history = ent_a.get(f"/api/v1/awards/{award['id']}/history/").json()
    assert [h["to_state"] for h in award_history] == ["claimable", "claimed", "paid", "recovering"]
    assert len(mail.outbox) >= 1  # e-mails go out after commit (locmem backend in tests)


def _pdf(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"{name}.pdf", PDF, content_type="application/pdf")


def test_schema_and_docs_are_served(demo):
    client = demo.client("ent_a")
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/applications/{application_id}/city-approve/" in schema.content
    assert APIClient().get("/api/docs/").status_code == 200
