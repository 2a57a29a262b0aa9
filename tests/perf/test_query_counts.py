"""Query-count pins (RELIABILITY B3, P2 and P6): the lists and the case page cost a fixed number
of queries, however many cases there are and however long a case's history is.

The reviewer's scope is filled with `bulk_create` (the counts do not depend on how the cases
came about), then each page is requested through the whole stack (middleware, authentication)
and its queries counted with CaptureQueriesContext. These fail on an N+1, unlike bench/run.py,
which only reports timings.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

QUERY_BUDGET_API_LIST = 6


@pytest.fixture
def scope(db):
    """A district, its 商务局 and reviewer, an enterprise user, one economy item and an open round."""
    from rest_framework.authtoken.models import Token

    from accounts.models import District, Organisation, Role, User
    from enterprises.credit_code import make_code
    from enterprises.models import Enterprise
    from policies.models import PolicyDocument, PolicyItem, Round

    district = District.objects.create(code="perf", name="压测区", division_code="330199")
    org = Organisation.objects.create(
        name="压测区商务局", level="district", district=district, function="commerce", handles=["commerce", "economy"]
    )
    reviewer = User.objects.create(username="perf_rev", role=Role.DISTRICT_REVIEWER, organisation=org)
    doc = PolicyDocument.objects.create(code="PX1", title="压测政策文件")
    item = PolicyItem.objects.create(
        code="PX-001", document=doc, name="压测事项", bureau_function="economy", mode="apply",
        materials=[{"kind": "report", "label": "审计报告", "required": True}],
    )  # fmt: skip
    now = timezone.now()
    round_ = Round.objects.create(
        item=item, name="压测批次", opens_at=now - timedelta(days=10), closes_at=now + timedelta(days=10)
    )
    owner = Enterprise.objects.create(name="压测企业", credit_code=make_code("91330199QY0000000"), district=district)
    ent_user = User.objects.create(username="perf_ent", role=Role.ENTERPRISE, enterprise=owner)
    return {
        "district": district,
        "reviewer": reviewer,
        "token": Token.objects.create(user=reviewer).key,
        "item": item,
        "round": round_,
        "enterprise_user": ent_user,
    }


def fill(scope, n: int, *, start: int = 1) -> list:
    """`n` cases in district review (each from its own enterprise: one live case per round)."""
    from applications.models import Application
    from enterprises.credit_code import make_code
    from enterprises.models import Enterprise

    now = timezone.now()
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(name=f"压测企业{i}", credit_code=make_code(f"91330199QY{i:07d}"), district=scope["district"])
        for i in range(start, start + n)
    )
    return Application.objects.bulk_create(
        Application(
            enterprise=e, round=scope["round"], district=scope["district"], item=scope["item"],
            state="district_review", declared={"revenue": "1000000"}, submitted_at=now, accepted_at=now,
            review_deadline=now + timedelta(days=14), suggested_amount=100000,
            eligibility={"eligible": True, "reasons": [{"criterion": "在杭注册", "passed": True, "message": "是"}]},
        )
        for e in enterprises
    )  # fmt: skip


def queries(client: Client, url: str, **headers) -> tuple[int, list[str], bytes]:
    client.get(url, **headers)  # warm: first-request work is not what is pinned
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    return response.status_code, [q["sql"] for q in ctx.captured_queries], response.content


def test_api_list_same_queries_for_page_size_10_and_50(scope):
    fill(scope, 60)
    auth = {"HTTP_AUTHORIZATION": f"Token {scope['token']}"}
    status10, q10, body10 = queries(Client(), "/api/v1/applications/?state=district_review&page_size=10", **auth)
    status50, q50, body50 = queries(Client(), "/api/v1/applications/?state=district_review&page_size=50", **auth)
    assert (status10, status50) == (200, 200)
    assert len(json.loads(body10)["results"]) == 10
    assert len(json.loads(body50)["results"]) == 50
    assert len(q10) == len(q50), (q10, q50)
    assert len(q50) <= QUERY_BUDGET_API_LIST, q50


def test_api_list_queries_do_not_grow_with_cases(scope):
    auth = {"HTTP_AUTHORIZATION": f"Token {scope['token']}"}
    fill(scope, 10)
    _, few, _ = queries(Client(), "/api/v1/applications/", **auth)
    fill(scope, 990, start=100)
    status, many, body = queries(Client(), "/api/v1/applications/", **auth)
    assert status == 200 and json.loads(body)["count"] == 1000
    assert len(few) == len(many), (few, many)


def test_fastlist_gives_the_api_items(scope):
    """applications/fastlist.py (the proposed light list path) answers the same items as the API."""
    from accounts.models import User
    from applications.fastlist import application_list_page

    fill(scope, 30)
    client = Client()
    response = client.get("/api/v1/applications/?page_size=30", HTTP_AUTHORIZATION=f"Token {scope['token']}")
    api_items = json.loads(response.content)["results"]
    reviewer = User.objects.get(pk=scope["reviewer"].pk)
    page = application_list_page(user=reviewer, page_size=20)
    rest = application_list_page(user=reviewer, page_size=20, cursor=page["next"])
    fast_items = json.loads(json.dumps(page["results"] + rest["results"]))
    assert rest["next"] is None
    assert fast_items == api_items


def _workbench_ready() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("workbench:cases")
        reverse("workbench:case", args=[1])
    except NoReverseMatch:
        return False
    return True


@pytest.mark.skipif(not _workbench_ready(), reason="工作台（/workbench/）尚未提供 cases 与 case 页面")
def test_workbench_queue_constant_for_10_and_1000_cases(scope):
    client = Client()
    client.force_login(scope["reviewer"])
    fill(scope, 10)
    status_few, few, _ = queries(client, "/workbench/cases/")
    fill(scope, 990, start=100)
    status_many, many, _ = queries(client, "/workbench/cases/")
    assert status_few == status_many == 200
    assert len(few) == len(many), (few, many)


@pytest.mark.skipif(not _workbench_ready(), reason="工作台（/workbench/）尚未提供 cases 与 case 页面")
def test_workbench_case_page_constant_for_short_and_long_history(scope):
    from applications.models import ApplicationEvent

    short, long = fill(scope, 2)
    now = timezone.now()
    for app, n in ((short, 2), (long, 40)):
        ApplicationEvent.objects.bulk_create(
            ApplicationEvent(application=app, action="note", from_state=app.state, to_state=app.state,
                             reason=f"第{i}条记录", at=now + timedelta(seconds=i), actor=scope["reviewer"])
            for i in range(n)
        )  # fmt: skip
    client = Client()
    client.force_login(scope["reviewer"])
    status_short, q_short, _ = queries(client, f"/workbench/cases/{short.pk}/")
    status_long, q_long, _ = queries(client, f"/workbench/cases/{long.pk}/")
    assert status_short == status_long == 200
    assert len(q_short) == len(q_long), (q_short, q_long)
