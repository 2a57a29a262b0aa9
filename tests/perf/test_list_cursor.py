"""GET /api/v1/applications/ in both pagination modes (common.pagination.PageOrCursorPagination).

Through the whole stack (middleware, token authentication, real PostgreSQL/SQLite): the cursor
mode walks the list newest first without duplicates or gaps while cases are inserted, refuses
edited, forged or borrowed cursors with 400 and a Chinese message (never 500), never widens what
the user may see, keeps the filters, and costs the same queries for page sizes 10 and 50 (pins,
RELIABILITY P2: ≤ 4). The page-number form stays as it was for existing clients.
"""

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

QUERY_BUDGET = 4
URL = "/api/v1/applications/"


def _district(code: str, name: str, division: str) -> dict:
    from rest_framework.authtoken.models import Token

    from accounts.models import District, Organisation, Role, User

    district = District.objects.create(code=code, name=name, division_code=division)
    org = Organisation.objects.create(
        name=f"{name}商务局", level="district", district=district, function="commerce", handles=["commerce", "economy"]
    )
    reviewer = User.objects.create(username=f"rev_{code}", role=Role.DISTRICT_REVIEWER, organisation=org)
    return {"district": district, "reviewer": reviewer, "auth": f"Token {Token.objects.create(user=reviewer).key}"}


@pytest.fixture
def world(db):
    """Two districts with a reviewer each, one economy item, two rounds (open, past)."""
    from policies.models import PolicyDocument, PolicyItem, Round

    doc = PolicyDocument.objects.create(code="PXL", title="游标分页测试文件")
    item = PolicyItem.objects.create(
        code="PXL-001", document=doc, name="游标分页测试事项", bureau_function="economy", mode="apply",
        materials=[{"kind": "report", "label": "审计报告", "required": True}],
    )  # fmt: skip
    now = timezone.now()
    rounds = [
        Round.objects.create(
            item=item, name=f"批次{i}", opens_at=now - timedelta(days=10), closes_at=now + timedelta(days=i)
        )
        for i in (1, 2)
    ]
    return {
        "a": _district("pxa", "甲区", "330191"),
        "b": _district("pxb", "乙区", "330192"),
        "item": item,
        "rounds": rounds,
    }


_serial = iter(range(1, 10**6))


def fill(world, where: str, n: int, *, state: str = "district_review", round_index: int = 0) -> list[int]:
    """`n` cases of district `where` (each from its own enterprise), ids ascending."""
    from applications.models import Application
    from enterprises.credit_code import make_code
    from enterprises.models import Enterprise

    district = world[where]["district"]
    now = timezone.now()
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(name=f"企业{k}", credit_code=make_code(f"91330199QL{k:07d}"), district=district)
        for k in (next(_serial) for _ in range(n))
    )
    apps = Application.objects.bulk_create(
        Application(
            enterprise=e, round=world["rounds"][round_index], district=district, item=world["item"], state=state,
            declared={"revenue": "1000000"}, submitted_at=now, accepted_at=now, suggested_amount=100000,
            eligibility={"eligible": True, "reasons": []},
        )
        for e in enterprises
    )  # fmt: skip
    return [a.pk for a in apps]


def get(client: Client, url: str, auth: str):
    response = client.get(url, HTTP_AUTHORIZATION=auth)
    return response.status_code, json.loads(response.content)


def walk(client: Client, auth: str, url: str, *, between=None) -> tuple[list[int], list[dict]]:
    """Follow `next` from `url` to the end; `between(page_no)` runs after each page."""
    ids, pages = [], []
    while url:
        status, body = get(client, url, auth)
        assert status == 200, body
        pages.append(body)
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
        if between:
            between(len(pages))
    return ids, pages


def test_cursor_walks_newest_first_without_duplicates_or_gaps_while_cases_arrive(world):
    existing = fill(world, "a", 57)
    arrived: list[int] = []
    client, auth = Client(), world["a"]["auth"]

    def insert(page_no: int) -> None:
        arrived.extend(fill(world, "a", 3))  # new cases land above the cursor: they shift no page

    ids, pages = walk(client, auth, f"{URL}?pagination=cursor&page_size=10", between=insert)
    assert ids == sorted(existing, reverse=True)
    assert [len(p["results"]) for p in pages] == [10, 10, 10, 10, 10, 7]
    assert all(p["count"] is None for p in pages)  # cursor mode does not count
    assert pages[0]["previous"] is None and all(p["previous"] for p in pages[1:])
    # a fresh walk sees every case, the newcomers first
    again, _ = walk(client, auth, f"{URL}?pagination=cursor&page_size=50")
    assert again == sorted(existing + arrived, reverse=True)


def test_previous_links_walk_back_to_the_first_page(world):
    ids = sorted(fill(world, "a", 25), reverse=True)
    client, auth = Client(), world["a"]["auth"]
    _, pages = walk(client, auth, f"{URL}?pagination=cursor&page_size=10")
    status, back = get(client, pages[-1]["previous"], auth)
    assert status == 200 and [r["id"] for r in back["results"]] == ids[10:20]
    status, first = get(client, back["previous"], auth)
    assert status == 200 and [r["id"] for r in first["results"]] == ids[:10]
    assert first["previous"] is None and first["next"]
    status, forth = get(client, first["next"], auth)
    assert [r["id"] for r in forth["results"]] == ids[10:20]


def test_a_page_emptied_meanwhile_links_back_to_the_rows_before_it(world):
    from applications.models import Application

    ids = sorted(fill(world, "a", 25), reverse=True)
    client, auth = Client(), world["a"]["auth"]
    _, pages = walk(client, auth, f"{URL}?pagination=cursor&page_size=10")
    Application.objects.filter(pk__in=ids[20:]).delete()
    status, empty = get(client, pages[1]["next"], auth)
    assert status == 200 and empty["results"] == [] and empty["next"] is None
    status, back = get(client, empty["previous"], auth)
    assert status == 200 and [r["id"] for r in back["results"]] == ids[10:20]


def test_cursor_items_are_the_documented_items(world):
    """The light read (values() + fastlist.render_rows) answers exactly what ApplicationOutput gives."""
    from applications.models import Application
    from applications.serializers import ApplicationOutput

    fill(world, "a", 12)
    client, auth = Client(), world["a"]["auth"]
    _, body = get(client, f"{URL}?pagination=cursor&page_size=12", auth)
    expected = ApplicationOutput(
        Application.objects.filter(district=world["a"]["district"]).order_by("-id"), many=True
    ).data
    assert body["results"] == json.loads(json.dumps(expected))
    _, paged = get(client, f"{URL}?page_size=12", auth)
    assert paged["results"] == body["results"]


def test_filters_apply_and_links_keep_them(world):
    fill(world, "a", 8, state="district_review")
    approved = fill(world, "a", 6, state="district_approved")
    later = fill(world, "a", 5, state="district_approved", round_index=1)
    client, auth = Client(), world["a"]["auth"]
    ids, pages = walk(client, auth, f"{URL}?pagination=cursor&state=district_approved&page_size=4")
    assert ids == sorted(approved + later, reverse=True)
    assert all(parse_qs(urlsplit(p["next"]).query)["state"] == ["district_approved"] for p in pages[:-1])
    round_id = world["rounds"][1].pk
    ids, _ = walk(client, auth, f"{URL}?pagination=cursor&round={round_id}&page_size=2")
    assert ids == sorted(later, reverse=True)
    status, body = get(client, f"{URL}?pagination=cursor&state=no_such_state", auth)
    assert status == 400 and body["code"] == "invalid"


def test_a_cursor_never_widens_the_scope(world):
    mine = fill(world, "a", 6)
    theirs = fill(world, "b", 6)
    client = Client()
    ids, pages = walk(client, world["a"]["auth"], f"{URL}?pagination=cursor&page_size=2")
    assert ids == sorted(mine, reverse=True) and not set(ids) & set(theirs)
    # reviewer b may not reuse a's cursor (it is bound to its user): 400, not a's cases
    status, body = get(client, pages[0]["next"], world["b"]["auth"])
    assert status == 400 and body["code"] == "bad_cursor"
    # asking for another district by filter still yields nothing outside the scope
    other = world["b"]["district"].pk
    status, body = get(client, f"{URL}?pagination=cursor&district={other}", world["a"]["auth"])
    assert status == 200 and body["results"] == [] and body["count"] is None and body["next"] is None


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "eyJwIjoxfQ", "eyJwIjoxLCJyIjowLCJzIjoiMCJ9:AAAA", "%00", "1" * 3000, ":", "null", "'; select 1 --"],
)
def test_bad_cursors_are_refused_with_400_and_a_chinese_message(world, cursor):
    fill(world, "a", 3)
    status, body = get(Client(), f"{URL}?cursor={cursor}", world["a"]["auth"])
    assert status == 400, body
    assert body["code"] == "bad_cursor" and "cursor" in body["detail"] and "重新开始" in body["detail"]


def test_an_edited_or_transplanted_cursor_is_refused(world):
    from django.core import signing

    from common.pagination import CURSOR_SALT

    fill(world, "a", 6)
    client, auth = Client(), world["a"]["auth"]
    _, first = get(client, f"{URL}?pagination=cursor&page_size=2", auth)
    token = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    payload, signature = token.rsplit(":", 1)
    data = signing.loads(token, salt=CURSOR_SALT)
    forged = signing.dumps({**data, "p": data["p"] + 1000}, salt="another salt", compress=False)
    edited = [
        payload + ":" + signature[:-1] + ("A" if signature[-1] != "A" else "B"),
        forged,
        signing.dumps({**data, "p": -5}, salt=CURSOR_SALT, compress=False),  # signed but nonsensical
    ]
    for bad in edited:
        status, body = get(client, f"{URL}?pagination=cursor&page_size=2&cursor={bad}", auth)
        assert (status, body["code"]) == (400, "bad_cursor"), bad
    # the same cursor with other filters (it is bound to them) and mixed with page numbers
    status, body = get(client, f"{URL}?state=district_review&cursor={token}", auth)
    assert (status, body["code"]) == (400, "bad_cursor")
    status, body = get(client, f"{URL}?page=2&cursor={token}", auth)
    assert (status, body["code"]) == (400, "bad_cursor") and "page" in body["detail"]
    status, body = get(client, f"{URL}?pagination=sideways", auth)
    assert (status, body["code"]) == (400, "invalid") and "pagination" in body["detail"]
    # the untouched cursor still works
    status, body = get(client, f"{URL}?page_size=2&cursor={token}", auth)
    assert status == 200 and len(body["results"]) == 2


def test_page_numbers_still_work_for_existing_clients(world):
    ids = sorted(fill(world, "a", 23), reverse=True)
    client, auth = Client(), world["a"]["auth"]
    status, body = get(client, f"{URL}?page_size=10", auth)
    assert status == 200 and body["count"] == 23 and body["previous"] is None
    assert parse_qs(urlsplit(body["next"]).query)["page"] == ["2"]
    status, last = get(client, f"{URL}?page_size=10&page=3", auth)
    assert [r["id"] for r in last["results"]] == ids[20:] and last["count"] == 23 and last["next"] is None
    status, body = get(client, f"{URL}?page=9", auth)
    assert status == 404


def _queries(client: Client, url: str, auth: str) -> tuple[int, list[str], dict]:
    client.get(url, HTTP_AUTHORIZATION=auth)  # warm: first-request work is not what is pinned
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_AUTHORIZATION=auth)
    return response.status_code, [q["sql"] for q in ctx.captured_queries], json.loads(response.content)


def test_cursor_pages_cost_the_same_queries_for_page_size_10_and_50(world):
    """RELIABILITY P2: page sizes 10 and 50 give identical counts, ≤ 4 queries, first page as later ones."""
    fill(world, "a", 120)
    client, auth = Client(), world["a"]["auth"]
    counts = {}
    for size in (10, 50):
        status, first, body = _queries(client, f"{URL}?pagination=cursor&state=district_review&page_size={size}", auth)
        assert status == 200 and len(body["results"]) == size
        status, later, body2 = _queries(client, body["next"], auth)
        assert status == 200 and len(body2["results"]) == size and body2["count"] is None
        counts[size] = (len(first), len(later))
        assert len(first) == len(later) <= QUERY_BUDGET, (first, later)
        assert not [q for q in first + later if "COUNT(" in q.upper()], "cursor mode runs no COUNT"
        assert len([q for q in later if "applications_application" in q]) == 1, later  # one page query
    assert counts[10] == counts[50], counts


def test_page_number_pages_cost_the_same_queries_for_page_size_10_and_50(world):
    fill(world, "a", 120)
    client, auth = Client(), world["a"]["auth"]
    _, q10, b10 = _queries(client, f"{URL}?state=district_review&page_size=10&page=3", auth)
    _, q50, b50 = _queries(client, f"{URL}?state=district_review&page_size=50&page=2", auth)
    assert (len(b10["results"]), len(b50["results"])) == (10, 50)
    assert len(q10) == len(q50) <= QUERY_BUDGET, (q10, q50)
