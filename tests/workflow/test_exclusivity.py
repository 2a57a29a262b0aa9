"""从优、就高、不重复 (000 L188-192, 002 L381-383): an enterprise that qualifies under 杭政办函〔2024〕3号
(新升规技改, SP-004) and under the 专精特新 policy (SP-011) for the same investment keeps only the
higher award of the year."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from applications import services
from awards.models import Award
from awards.services import awards_publish
from policies.models import PolicyItem, Round
from reviews.services import city_list_create, city_list_submit

from .conftest import give_opinions, pdf

pytestmark = pytest.mark.django_db


def _round(code: str) -> Round:
    now = timezone.now()
    return Round.objects.create(
        item=PolicyItem.objects.get(code=code),
        name=f"{code} 2025年度",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        performance_from=date(2025, 1, 1),
        performance_to=date(2025, 12, 31),
    )


def _apply(demo, round_: Round, declared: dict) -> int:
    user = demo.users["ent_b"]
    app = services.application_create(actor=user, round_id=round_.pk, declared=declared)
    for m in round_.item.materials:
        services.material_upload(actor=user, application_id=app.pk, kind=m["kind"], upload=pdf())
    services.application_submit(actor=user, application_id=app.pk, commitment_signed=True)
    return app.pk


def test_only_the_higher_technical_upgrade_award_stands(demo, django_capture_on_commit_callbacks):
    sp004, sp011 = _round("SP-004"), _round("SP-011")
    first = _apply(
        demo,
        sp004,
        {"total_investment": "8000000", "actual_investment": "6000000", "industry_category": "key_industries"},
    )
    second = _apply(
        demo,
        sp011,
        {
            "total_investment": "8000000",
            "actual_investment_since_2023": "7000000",
            "industry_category": "key_industries",
        },
    )
    from applications.models import Application

    a1, a2 = Application.objects.get(pk=first), Application.objects.get(pk=second)
    assert a1.eligibility["eligible"] is True and a2.eligibility["eligible"] is True
    assert a1.suggested_amount == Decimal("1200000.00")  # 20% × 600万 (000 L104-109)
    assert a2.suggested_amount == Decimal("1400000.00")  # 20% × 700万 (002 L143-149)
    # Warning at application: the second case knows about the first.
    assert any("从优、就高、不重复" in w for w in a2.eligibility.get("warnings", []))
    assert any(f"申报件 #{first}" in w for w in a2.eligibility["warnings"])

    reviewer = demo.users["rev_xihu"]
    for pk in (first, second):
        services.application_accept(actor=reviewer, application_id=pk)
        give_opinions(demo, Application.objects.get(pk=pk))
        services.application_approve(actor=reviewer, application_id=pk)
        cl = city_list_create(actor=reviewer, round_id=Application.objects.get(pk=pk).round_id, application_ids=[pk])
        city_list_submit(actor=reviewer, city_list_id=cl.pk)
    # The city approver sees the conflict on the case (API detail carries the warnings).
    detail = demo.client("city_approver").get(f"/api/v1/applications/{first}/").json()
    assert any(f"申报件 #{second}" in w for w in detail["conflicts"])
    city = demo.users["city_approver"]
    services.application_city_approve(actor=city, application_id=first, amount="1200000")
    services.application_city_approve(actor=city, application_id=second, amount="1400000")

    fund = demo.users["fund_xihu"]
    deadline = timezone.now() + timedelta(days=30)
    awards_publish(actor=fund, round_id=sp004.pk, claim_deadline=deadline)
    result = awards_publish(actor=fund, round_id=sp011.pk, claim_deadline=deadline)
    kept = Award.objects.get(application_id=second)
    dropped = Award.objects.get(application_id=first)
    assert kept.state == "claimable" and dropped.state == "cancelled"
    assert [a.pk for a in result.cancelled] == [dropped.pk]
    assert "从优、就高、不重复" in dropped.cancelled_reason and kept.item.name in dropped.cancelled_reason
    assert dropped.events.last().extra == {"superseded_by": kept.pk}
