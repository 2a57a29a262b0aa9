"""`manage.py seed_demo` builds SPEC §9's demo exactly and can be run again without change."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from applications.models import Application, ApplicationEvent
from applications.workflow import State
from awards.models import Award
from awards.workflow import AwardState
from enterprises.models import Enterprise
from policies.models import PolicyItem, Round

pytestmark = pytest.mark.django_db

SPEC_ACCOUNTS = {
    "ent_a": ("enterprise", "杭州示例商贸有限公司", "上城区"),
    "ent_c": ("enterprise", "杭州示范零售有限公司", "上城区"),
    "ent_b": ("enterprise", "杭州样例制造有限公司", "西湖区"),
    "rev_shangcheng": ("district_reviewer", "上城区商务局", "上城区"),
    "rev_xihu": ("district_reviewer", "西湖区商务局", "西湖区"),
    "tax_shangcheng": ("co_reviewer", "上城区税务局", "上城区"),
    "mkt_shangcheng": ("co_reviewer", "上城区市场监管局", "上城区"),
    "drc_shangcheng": ("co_reviewer", "上城区发改局", "上城区"),
    "fin_shangcheng": ("co_reviewer", "上城区财政局", "上城区"),
    "city_approver": ("city_approver", "杭州市商务局", None),
    "fund_shangcheng": ("fund_officer", "上城区财政局", "上城区"),
    "policy_admin": ("policy_admin", "杭州市商务局", None),
    "auditor": ("auditor", "杭州市审计局", None),
}


def test_seed_demo_twice(django_capture_on_commit_callbacks):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Hz-demo-2026" in out.getvalue()
    snapshot = (
        Application.objects.count(),
        Award.objects.count(),
        ApplicationEvent.objects.count(),
        Round.objects.count(),
        User.objects.count(),
        PolicyItem.objects.count(),
    )

    for username, (role, org, district) in SPEC_ACCOUNTS.items():
        user = User.objects.select_related("enterprise__district", "organisation__district").get(username=username)
        assert user.check_password("Hz-demo-2026"), username
        assert user.role == role, username
        if role == "enterprise":
            assert user.enterprise.name == org and user.enterprise.district.name == district
        else:
            assert user.organisation.name == org
            assert (user.organisation.district.name if user.organisation.district else None) == district

    assert PolicyItem.objects.count() == 204
    now = timezone.now()
    open_rounds = Round.objects.filter(opens_at__lte=now, closes_at__gt=now).select_related("item__document")
    open_docs = {r.item.document.doc_no or r.item.document.code for r in open_rounds}
    assert "杭政办函〔2024〕3号" in open_docs and "P14" in open_docs  # both in force on 2026-11-25
    assert "杭政办函〔2023〕81号" not in open_docs  # expired 2025-12-31: past rounds only
    assert not Application.objects.filter(round__in=open_rounds).exists()  # open rounds start empty

    app_states = Counter(Application.objects.values_list("state", flat=True))
    assert set(app_states) == set(State.values)
    assert set(Award.objects.values_list("state", flat=True)) == set(AwardState.values)
    ent_a = Enterprise.objects.get(users__username="ent_a")
    assert ent_a.designations.filter(tag="above_quota_trade").exists() and ent_a.in_statistics_db

    call_command("seed_demo", stdout=StringIO())
    assert snapshot == (
        Application.objects.count(),
        Award.objects.count(),
        ApplicationEvent.objects.count(),
        Round.objects.count(),
        User.objects.count(),
        PolicyItem.objects.count(),
    )


def test_demo_enterprises_can_apply_at_once(django_capture_on_commit_callbacks):
    """ent_a qualifies for the 商贸头部 policy when its declared retail figure is high enough."""
    call_command("seed_demo", stdout=StringIO())
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(User.objects.get(username="ent_a"))
    round_ = Round.objects.get(item__code="SP-029", opens_at__lte=timezone.now(), closes_at__gt=timezone.now())
    high = client.post(
        "/api/v1/applications/", {"round": round_.pk, "declared": {"retail_sales_2022h2": "3000000000"}}, format="json"
    )
    assert high.status_code == 201 and high.json()["eligibility"]["eligible"] is True
    low = client.patch(
        f"/api/v1/applications/{high.json()['id']}/", {"declared": {"retail_sales_2022h2": "2999999999"}}, format="json"
    )
    assert low.json()["eligibility"]["eligible"] is False
