"""A known set of cases for the report tests, built row by row with the ORM, and the people who look.

Two districts (上城区 SC, 西湖区 XH); items A (commerce, 申报兑现, co-review tax), B (economy,
免申即享) and C (science, 申报兑现); rounds RA (budget 1 000 000), RB (budget 500 000), RC (no
budget). Every figure the tests expect is worked out by hand in test_figures.py from the table
below (amounts in 元, submission times 09:00 Beijing time in 2023).

  case  district item/round  state              suggested  amount   submitted  award
  a1    SC       A/RA        approved           100000     80000    01-05      paid 80000, pays first, city 40000
  a2    SC       A/RA        district_review     50000              01-10      (review_overdue)
  a3    SC       A/RA        draft               30000              —
  a4    SC       A/RA        withdrawn           20000              01-06
  a5    SC       A/RA        district_rejected   40000              01-07      (decided after the limit)
  a6    SC       A/RA        city_review         60000              02-03
  b1    XH       A/RA        approved           200000    150000    01-08      recovered 150000, pays first, city 75000
  b2    XH       A/RA        submitted           10000              02-01
  b3    XH       A/RA        returned            70000              01-09
  b4    XH       A/RA        expired              5000              01-11
  d1    SC       C/RC        approved            90000     90000    03-01      paid 90000, not first, 27000 / 63000
  d2    XH       C/RC        city_rejected       45000              03-02
  Awards without a case (item B, round RB; created_at in brackets):
  g1    SC  auto     paid        20000  not first, city 10000 / district 10000   (02-01)
  g2    XH  auto     forfeited   15000  not first                                 (01-15)
  g3    SC  instant  claimable   25000  pays first, city 12500                    (02-01)
  g4    XH  auto     recovering  12000  pays first, city 6000                     (01-20)
  g5    XH  auto     cancelled    8000  not first                                 (03-01)
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import count

import pytest
from rest_framework.authtoken.models import Token

from common.timeutil import SHANGHAI
from enterprises.credit_code import make_code

_serial = count(1)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2023, month, day, hour, 0, tzinfo=SHANGHAI)


@dataclass
class World:
    sc: object = None
    xh: object = None
    items: dict = field(default_factory=dict)
    rounds: dict = field(default_factory=dict)
    apps: dict = field(default_factory=dict)
    awards: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    enterprises: list = field(default_factory=list)


def _enterprise(district, name):
    from enterprises.models import Enterprise

    n = next(_serial)
    return Enterprise.objects.create(name=name, credit_code=make_code(f"91330100MA{n:07d}"), district=district)


def _user(username, role, *, organisation=None, enterprise=None):
    from accounts.models import User

    return User.objects.create_user(
        username=username, password="Hz-test-2026", role=role, organisation=organisation, enterprise=enterprise
    )


@pytest.fixture
def world(db):
    """The known set above plus one user per role; returns a World."""
    from accounts.models import District, Organisation, Role
    from applications.models import Application
    from awards.models import Award
    from policies.models import PolicyDocument, PolicyItem, Round

    w = World()
    w.sc = District.objects.create(code="shangcheng", name="上城区", sort_order=1)
    w.xh = District.objects.create(code="xihu", name="西湖区", sort_order=2)
    doc = PolicyDocument.objects.create(code="PT1", title="测试政策文件", doc_no="杭测〔2023〕1号")
    w.items["A"] = PolicyItem.objects.create(
        code="SP-A",
        document=doc,
        name="商贸头部企业奖励",
        bureau_function="commerce",
        review_departments=["tax"],
        funding={"city_percent": 50, "district_pays_first": True},
    )
    w.items["B"] = PolicyItem.objects.create(
        code="SP-B", document=doc, name="新升规企业奖励", bureau_function="economy", mode="auto"
    )
    w.items["C"] = PolicyItem.objects.create(code="SP-C", document=doc, name="科技企业补助", bureau_function="science")
    window = {"opens_at": at(1, 1, 0), "closes_at": at(2, 1, 0)}
    w.rounds["RA"] = Round.objects.create(item=w.items["A"], name="2023年第一批", budget=Decimal("1000000"), **window)
    w.rounds["RB"] = Round.objects.create(item=w.items["B"], name="2023年免申批次", budget=Decimal("500000"), **window)
    w.rounds["RC"] = Round.objects.create(
        item=w.items["C"], name="2023年科技批次", opens_at=at(2, 15, 0), closes_at=at(3, 31, 0)
    )

    sc_ents = [_enterprise(w.sc, f"上城测试企业{i}") for i in range(1, 7)]
    xh_ents = [_enterprise(w.xh, f"西湖测试企业{i}") for i in range(7, 11)]
    w.enterprises = sc_ents + xh_ents
    e = {i + 1: ent for i, ent in enumerate(w.enterprises)}

    def app(key, ent, item, round_key, state, suggested, amount=None, submitted=None, **extra):
        w.apps[key] = Application.objects.create(
            enterprise=ent,
            round=w.rounds[round_key],
            item=w.items[item],
            district=ent.district,
            state=state,
            suggested_amount=Decimal(suggested),
            amount=Decimal(amount) if amount is not None else None,
            submitted_at=submitted,
            **extra,
        )

    app("a1", e[1], "A", "RA", "approved", 100000, 80000, at(1, 5), accepted_at=at(1, 6), review_deadline=at(1, 20))
    app("a2", e[2], "A", "RA", "district_review", 50000, None, at(1, 10), review_overdue=True)
    app("a3", e[3], "A", "RA", "draft", 30000)
    app("a4", e[4], "A", "RA", "withdrawn", 20000, None, at(1, 6))
    app(
        "a5",
        e[5],
        "A",
        "RA",
        "district_rejected",
        40000,
        None,
        at(1, 7),
        accepted_at=at(1, 7, 10),
        review_deadline=at(1, 8, 10),
    )
    app("a6", e[6], "A", "RA", "city_review", 60000, None, at(2, 3))
    app(
        "b1",
        e[7],
        "A",
        "RA",
        "approved",
        200000,
        150000,
        at(1, 8),
        accepted_at=at(1, 11, 10),
        review_deadline=at(1, 30),
    )
    app("b2", e[8], "A", "RA", "submitted", 10000, None, at(2, 1))
    app("b3", e[9], "A", "RA", "returned", 70000, None, at(1, 9))
    app("b4", e[10], "A", "RA", "expired", 5000, None, at(1, 11))
    app("d1", e[2], "C", "RC", "approved", 90000, 90000, at(3, 1))
    app("d2", e[7], "C", "RC", "city_rejected", 45000, None, at(3, 2))

    def award(
        key, *, ent, item, round_key, state, amount, city, first, source="application", application=None, created=None
    ):
        amount, city = Decimal(amount), Decimal(city)
        paid = state in ("paid", "recovering", "recovered")
        w.awards[key] = Award.objects.create(
            application=application,
            enterprise=ent,
            item=w.items[item],
            round=w.rounds[round_key],
            district=ent.district,
            source=source,
            year=2023,
            state=state,
            amount=amount,
            city_share=city,
            district_share=amount - city,
            district_pays_first=first,
            claim_deadline=at(12, 31),
            payment_reference=f"PAY-{key}" if paid else None,
        )
        if created is not None:
            Award.objects.filter(pk=w.awards[key].pk).update(created_at=created)

    award(
        "a1",
        ent=e[1],
        item="A",
        round_key="RA",
        state="paid",
        amount=80000,
        city=40000,
        first=True,
        application=w.apps["a1"],
    )
    award(
        "b1",
        ent=e[7],
        item="A",
        round_key="RA",
        state="recovered",
        amount=150000,
        city=75000,
        first=True,
        application=w.apps["b1"],
    )
    award(
        "d1",
        ent=e[2],
        item="C",
        round_key="RC",
        state="paid",
        amount=90000,
        city=27000,
        first=False,
        application=w.apps["d1"],
    )
    award(
        "g1",
        ent=e[2],
        item="B",
        round_key="RB",
        state="paid",
        amount=20000,
        city=10000,
        first=False,
        source="auto",
        created=at(2, 1),
    )
    award(
        "g2",
        ent=e[8],
        item="B",
        round_key="RB",
        state="forfeited",
        amount=15000,
        city=7500,
        first=False,
        source="auto",
        created=at(1, 15),
    )
    award(
        "g3",
        ent=e[3],
        item="B",
        round_key="RB",
        state="claimable",
        amount=25000,
        city=12500,
        first=True,
        source="instant",
        created=at(2, 1),
    )
    award(
        "g4",
        ent=e[9],
        item="B",
        round_key="RB",
        state="recovering",
        amount=12000,
        city=6000,
        first=True,
        source="auto",
        created=at(1, 20),
    )
    award(
        "g5",
        ent=e[10],
        item="B",
        round_key="RB",
        state="cancelled",
        amount=8000,
        city=4000,
        first=False,
        source="auto",
        created=at(3, 1),
    )

    sc_bureau = Organisation.objects.create(
        name="上城区商务局", level="district", district=w.sc, function="commerce", handles=["commerce", "economy"]
    )
    xh_bureau = Organisation.objects.create(
        name="西湖区商务局", level="district", district=w.xh, function="commerce", handles=["commerce", "economy"]
    )
    sc_tax = Organisation.objects.create(name="上城区税务局", level="district", district=w.sc, function="tax")
    city_commerce = Organisation.objects.create(
        name="市商务局", level="city", function="commerce", handles=["commerce", "economy"]
    )
    city_science = Organisation.objects.create(name="市科技局", level="city", function="science")
    city_tax = Organisation.objects.create(name="市税务局", level="city", function="tax")
    w.users = {
        "rev_sc": _user("rev_sc", Role.DISTRICT_REVIEWER, organisation=sc_bureau),
        "rev_xh": _user("rev_xh", Role.DISTRICT_REVIEWER, organisation=xh_bureau),
        "fund_sc": _user("fund_sc", Role.FUND_OFFICER, organisation=sc_bureau),
        "tax_sc": _user("tax_sc", Role.CO_REVIEWER, organisation=sc_tax),
        "tax_city": _user("tax_city", Role.CO_REVIEWER, organisation=city_tax),
        "city": _user("city", Role.CITY_APPROVER, organisation=city_commerce),
        "city_sci": _user("city_sci", Role.CITY_APPROVER, organisation=city_science),
        "admin": _user("admin", Role.POLICY_ADMIN),
        "admin_sci": _user("admin_sci", Role.POLICY_ADMIN, organisation=city_science),
        "auditor": _user("auditor", Role.AUDITOR),
        "ent": _user("ent", Role.ENTERPRISE, enterprise=e[1]),
    }
    return w


@pytest.fixture
def history(world):
    """ApplicationEvent / AwardEvent rows with known times (stage times are checked against them)."""
    from applications.models import ApplicationEvent
    from awards.models import AwardEvent

    def events(key, *steps):
        for action, when in steps:
            ApplicationEvent.objects.create(application=world.apps[key], action=action, at=when)

    events(
        "a1",
        ("submit", at(1, 5)),
        ("accept", at(1, 6)),
        ("opinion", at(1, 8)),
        ("opinion", at(1, 9)),
        ("approve", at(1, 10)),
        ("submit_to_city", at(1, 12)),
        ("city_approve", at(1, 15)),
    )
    events(
        "b1",
        ("submit", at(1, 8)),
        ("accept", at(1, 8, 12)),
        ("return", at(1, 9)),
        ("resubmit", at(1, 11)),
        ("accept", at(1, 11, 10)),
        ("opinion", at(1, 12, 10)),
        ("approve", at(1, 13)),
        ("submit_to_city", at(1, 14)),
        ("city_return", at(1, 16)),
        ("approve", at(1, 20)),
        ("submit_to_city", at(1, 21)),
        ("city_approve", at(1, 22)),
    )
    events("a5", ("submit", at(1, 7)), ("accept", at(1, 7, 10)), ("reject", at(1, 9)))
    events(
        "d1",
        ("submit", at(3, 1)),
        ("accept", at(3, 1, 10)),
        ("opinion", at(3, 2, 10)),
        ("approve", at(3, 3)),
        ("submit_to_city", at(3, 4)),
        ("city_approve", at(3, 10)),
    )

    def award_events(key, *steps):
        for action, to_state, when in steps:
            AwardEvent.objects.create(award=world.awards[key], action=action, to_state=to_state, at=when)

    award_events("a1", ("publish", "claimable", at(1, 20)), ("claim", "claimed", at(1, 25)), ("pay", "paid", at(1, 28)))
    award_events("b1", ("publish", "claimable", at(1, 25)), ("claim", "claimed", at(1, 26)))
    award_events("d1", ("publish", "claimable", at(3, 15)), ("claim", "claimed", at(3, 17)))
    award_events("g1", ("import", "claimable", at(2, 1)), ("claim", "claimed", at(2, 4)))
    award_events("g3", ("import", "claimable", at(2, 1)))
    return world


@pytest.fixture
def login(client):
    """login(user) -> the Django test client, signed in."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def api_as():
    """api_as(user) -> a DRF APIClient sending the user's token."""
    from rest_framework.test import APIClient

    def make(user):
        token, _ = Token.objects.get_or_create(user=user)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return api

    return make
