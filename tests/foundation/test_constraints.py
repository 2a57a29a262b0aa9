"""Rules kept by the database itself, whatever code writes the row."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import District, Organisation
from applications.models import Application
from awards.models import Award
from enterprises.models import DishonestyEntry, Enterprise
from policies.models import PolicyDocument, PolicyItem, Round

pytestmark = pytest.mark.django_db


@pytest.fixture
def base():
    district = District.objects.create(code="shangcheng", name="上城区")
    doc = PolicyDocument.objects.create(code="PX", title="测试政策")
    item = PolicyItem.objects.create(code="SP-X", document=doc, name="测试事项")
    now = timezone.now()
    round_ = Round.objects.create(item=item, name="批次", opens_at=now, closes_at=now + timedelta(days=1))
    ent = Enterprise.objects.create(name="企业", credit_code="91350100M000100Y43", district=district)
    return district, item, round_, ent


def _app(base, state="draft"):
    district, item, round_, ent = base
    app = Application.objects.create(enterprise=ent, round=round_, item=item, district=district)
    Application.objects.filter(pk=app.pk).update(state=state)
    return app


def test_one_live_application_per_enterprise_and_round(base):
    _app(base)
    with pytest.raises(IntegrityError), transaction.atomic():
        _app(base)


def test_withdrawn_and_expired_cases_free_the_place(base):
    _app(base, "withdrawn")
    _app(base, "expired")
    _app(base)
    assert Application.objects.count() == 3


def test_unknown_state_is_refused_by_the_database(base):
    app = _app(base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=app.pk).update(state="approvedd")


def test_round_window_must_be_ordered(base):
    _, item, _, _ = base
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(item=item, name="坏批次", opens_at=now, closes_at=now)


def test_award_amount_positive_and_paid_needs_reference(base):
    district, item, _round, ent = base
    kw = {"enterprise": ent, "item": item, "district": district, "year": 2026, "claim_deadline": timezone.now()}
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.create(amount=Decimal("0"), **kw)
    award = Award.objects.create(amount=Decimal("10"), **kw)
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.filter(pk=award.pk).update(state="paid")


def test_payment_reference_unique(base):
    district, item, _round, ent = base
    kw = {
        "enterprise": ent,
        "item": item,
        "district": district,
        "claim_deadline": timezone.now(),
        "amount": Decimal("5"),
    }
    Award.objects.create(year=2025, payment_reference="R1", **kw)
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.create(year=2026, payment_reference="R1", **kw)


def test_one_auto_award_per_item_and_year(base):
    district, item, _round, ent = base
    kw = {
        "enterprise": ent,
        "item": item,
        "district": district,
        "claim_deadline": timezone.now(),
        "amount": Decimal("5"),
        "year": 2026,
    }
    Award.objects.create(source="auto", **kw)
    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.create(source="auto", **kw)


def test_organisation_level_and_district_agree():
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="区局", level="district", function="commerce")


def test_dishonesty_period_must_end_after_it_starts(base):
    ent = base[3]
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        DishonestyEntry.objects.create(enterprise=ent, reason="x", source="y", starts_at=now, ends_at=now)
