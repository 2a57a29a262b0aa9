"""A 免申即享 award has no round; the summary still groups it (regression: KeyError round_id)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import District
from awards.models import Award
from enterprises.models import Enterprise
from policies.models import PolicyDocument, PolicyItem
from reports.selectors import ReportFilters, ReportScope, summary_rows

pytestmark = pytest.mark.django_db


def test_summary_counts_awards_without_a_round():
    district = District.objects.create(code="shangcheng", name="上城区")
    doc = PolicyDocument.objects.create(code="PX", title="测试政策")
    item = PolicyItem.objects.create(code="SP-X", document=doc, name="免申即享事项", mode="auto")
    ent = Enterprise.objects.create(name="企业", credit_code="91350100M000100Y43", district=district)
    Award.objects.create(
        enterprise=ent,
        item=item,
        district=district,
        year=2026,
        amount=Decimal("5000"),
        claim_deadline=timezone.now() + timedelta(days=5),
        source="auto",
    )
    rows = summary_rows(scope=ReportScope(), filters=ReportFilters())
    (row,) = rows
    assert row["round_id"] is None and row["district_name"] == "上城区"
    assert row["award_n_claimable"] == 1 and row["award_claimable"] == Decimal("5000.00")
