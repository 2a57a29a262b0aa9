"""免申即享 lists and 应享未享 in the workbench, as the demo policy administrator."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from awards.models import AutoGrantBatch, Award
from common.demo import seed_reference_data
from policies.loader import load_all
from policies.models import PolicyItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def ref():
    load_all()
    return seed_reference_data()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_sets_mode_matches_reviews_and_approves(ref, django_assert_max_num_queries):
    admin = _client(ref["users"]["policy_admin"])
    item = PolicyItem.objects.get(code="SP-001")
    response = admin.post("/workbench/auto-grants/item-mode/", {"item": item.pk, "mode": "auto"}, follow=True)
    assert "兑现方式已设为“免申即享”" in response.content.decode()
    response = admin.post("/workbench/auto-grants/new/", {"item": item.pk, "year": 2026}, follow=True)
    page = response.content.decode()
    batch = AutoGrantBatch.objects.get()
    assert "通过 <strong>3</strong> 行" in page and "杭州样例制造有限公司" in page
    last_day = (timezone.localdate() + timedelta(days=20)).isoformat()
    response = admin.post(f"/workbench/auto-grants/{batch.pk}/approve/", {"claim_last_day": last_day}, follow=True)
    assert "生成待申领奖励 3 笔" in response.content.decode()
    assert Award.objects.filter(source="auto", item=item).count() == 3
    with django_assert_max_num_queries(12):
        assert admin.get(f"/workbench/auto-grants/{batch.pk}/").status_code == 200


def test_uploaded_list_report_shows_each_problem(ref):
    admin = _client(ref["users"]["policy_admin"])
    item = PolicyItem.objects.get(code="SP-001")
    item.mode = "auto"
    item.save()
    csv_text = (
        "统一社会信用代码,企业名称\n"
        + f"{ref['enterprises']['ent_b'].credit_code},杭州样例制造有限公司\n"
        + "123,坏代码\n"
    )
    upload = SimpleUploadedFile("名单.csv", csv_text.encode("utf-8"))
    page = admin.post(
        "/workbench/auto-grants/new/", {"item": item.pk, "year": 2026, "file": upload}, follow=True
    ).content.decode()
    assert "通过 <strong>1</strong> 行" in page and "统一社会信用代码应为18位" in page


def test_missed_entitlements_page(ref):
    auditor = _client(ref["users"]["auditor"])
    item = PolicyItem.objects.get(code="SP-001")
    page = auditor.get(f"/workbench/missed/?item={item.pk}").content.decode()
    assert "3 家企业应享未享" in page and "杭州新叶智能装备有限公司" in page


def test_only_admins_write_and_others_cannot_read(ref):
    assert (
        _client(ref["users"]["auditor"]).post("/workbench/auto-grants/new/", {"item": 1, "year": 2026}).status_code
        == 403
    )
    for username in ("rev_shangcheng", "fund_shangcheng", "city_approver"):
        assert _client(ref["users"][username]).get("/workbench/auto-grants/").status_code == 403
    assert _client(ref["users"]["ent_a"]).get("/workbench/missed/").status_code in (302, 403)
