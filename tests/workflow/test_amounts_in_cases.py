"""The suggested amount of a case looks at what the enterprise already received (R31)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.rules import already_received, assess
from awards.models import Award

from .conftest import make_submitted

pytestmark = pytest.mark.django_db


def _award(demo, item, year, amount):
    return Award.objects.create(
        enterprise=demo.enterprises["ent_a"],
        item=item,
        district=demo.enterprises["ent_a"].district,
        year=year,
        amount=Decimal(amount),
        claim_deadline=timezone.now() + timedelta(days=3),
        source="auto",
    )


def test_annual_cap_counts_only_the_same_year(demo):
    item = demo.p14_round.item
    item.amount_rule = {**item.amount_rule, "annual_cap_yuan": 40000000}
    item.save(update_fields=["amount_rule"])
    app = make_submitted(demo)  # 3,250万 suggested; the round rewards 2022
    _award(demo, item, 2021, "30000000")
    assert already_received(app) == 0
    assert assess(app).suggested_amount == Decimal("32500000.00")
    _award(demo, item, 2022, "20000000")
    assert already_received(app) == Decimal("20000000")
    assert assess(app).suggested_amount == Decimal("20000000.00")  # 4,000万 a year less 2,000万 received


def test_total_cap_counts_every_year(demo):
    item = demo.p14_round.item
    item.amount_rule = {**item.amount_rule, "total_cap_yuan": 50000000}
    item.save(update_fields=["amount_rule"])
    app = make_submitted(demo)
    _award(demo, item, 2020, "30000000")
    assert already_received(app) == Decimal("30000000")
    assert assess(app).suggested_amount == Decimal("20000000.00")
