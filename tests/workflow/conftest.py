"""Shared setup for the workflow tests: the seed policies and the SPEC's demo accounts.

Every transition test starts from the same reference data (`demo`), so each role is exercised
against the same objects; the cases themselves are made through the API or the services.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass
class Demo:
    users: dict[str, Any]
    enterprises: dict[str, Any]
    rounds: dict[str, Any]

    def client(self, username: str | None) -> APIClient:
        client = APIClient()
        if username:
            client.force_authenticate(self.users[username])
        return client

    @property
    def p14_round(self):  # the open 商贸头部企业 round
        return self.rounds["open:SP-029"]


@pytest.fixture
def demo(db) -> Demo:
    from common.demo import seed_reference_data, seed_rounds
    from policies.loader import load_all

    load_all()
    ref = seed_reference_data()
    rounds = seed_rounds()
    return Demo(users=ref["users"], enterprises=ref["enterprises"], rounds=rounds)


def pdf(name: str = "file.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def make_submitted(demo: Demo, ent: str = "ent_a", retail: str = "3250000000", round_=None):
    """A submitted P14 case of `ent`, made through the services."""
    from applications import services

    round_ = round_ or demo.p14_round
    user = demo.users[ent]
    app = services.application_create(actor=user, round_id=round_.pk, declared={"retail_sales_2022h2": retail})
    for m in round_.item.materials:
        services.material_upload(actor=user, application_id=app.pk, kind=m["kind"], upload=pdf())
    return services.application_submit(actor=user, application_id=app.pk, commitment_signed=True)


def make_under_review(demo: Demo, ent: str = "ent_a", **kw):
    from applications import services

    app = make_submitted(demo, ent, **kw)
    reviewer = demo.users["rev_shangcheng" if app.district.code == "shangcheng" else "rev_xihu"]
    return services.application_accept(actor=reviewer, application_id=app.pk)


def give_opinions(demo: Demo, app, disagree: str | None = None) -> None:
    from reviews.services import opinion_create

    prefix = {"tax": "tax", "market": "mkt", "drc": "drc", "finance": "fin", "stats": "stats"}
    for function in app.item.review_departments:
        officer = demo.users[f"{prefix[function]}_{app.district.code}"]
        decision = "disagree" if function == disagree else "agree"
        opinion_create(actor=officer, application_id=app.pk, decision=decision, remarks="核查意见")


def make_approved(demo: Demo, ent: str = "ent_a", amount: Decimal | None = None, **kw):
    from applications import services
    from reviews.services import city_list_create, city_list_submit

    app = make_under_review(demo, ent, **kw)
    give_opinions(demo, app)
    reviewer = demo.users["rev_shangcheng" if app.district.code == "shangcheng" else "rev_xihu"]
    services.application_approve(actor=reviewer, application_id=app.pk)
    city_list = city_list_create(actor=reviewer, round_id=app.round_id, application_ids=[app.pk])
    city_list_submit(actor=reviewer, city_list_id=city_list.pk)
    app.refresh_from_db()
    return services.application_city_approve(
        actor=demo.users["city_approver"], application_id=app.pk, amount=amount or app.suggested_amount
    )


def make_award(demo: Demo, ent: str = "ent_a", **kw):
    from awards.models import Award
    from awards.services import awards_publish

    app = make_approved(demo, ent, **kw)
    fund = demo.users["fund_shangcheng" if app.district.code == "shangcheng" else "fund_xihu"]
    awards_publish(
        actor=fund, round_id=app.round_id, claim_deadline=timezone.now() + timedelta(days=30), application_ids=[app.pk]
    )
    return Award.objects.get(application=app)
