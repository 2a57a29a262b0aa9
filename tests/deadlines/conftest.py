"""Fixtures for the deadline-job tests: a small world built with the ORM (districts, bureaus,
people, one policy item) and cases moved through the real services under a frozen clock.

The policy item is our own minimal one (no materials, no declared figures, no criteria, a fixed
100 000 yuan amount) so these tests do not depend on the policy loader.

Times: a round "截至2023年1月31日" opens 2023-01-01 00:00 and closes 2023-02-01 00:00 Beijing time
(closes_at is the first instant not accepted).
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import District, Organisation, Role, User
from applications.models import Application
from applications.services import (
    application_accept,
    application_city_approve,
    application_create,
    application_submit,
)
from awards.models import Award
from awards.services import awards_publish
from enterprises.credit_code import check_character
from enterprises.models import Enterprise
from policies.models import PolicyDocument, PolicyItem, Round
from reviews.services import city_list_create, city_list_submit

SH = ZoneInfo("Asia/Shanghai")
OPENS = datetime(2023, 1, 1, 0, 0, tzinfo=SH)
CLOSES = datetime(2023, 2, 1, 0, 0, tzinfo=SH)  # 截至1月31日24时
IN_WINDOW = datetime(2023, 1, 10, 10, 0, tzinfo=SH)
AMOUNT_RULE = {"kind": "fixed", "amount_yuan": 100000, "cap_yuan": 100000, "cite": "测试"}

_serial = itertools.count(1)


def credit_code(n: int) -> str:
    first17 = f"91330102{n:09d}"
    return first17 + check_character(first17)


def frozen(moment: datetime):
    """time_machine.travel(moment, tick=False): the clock stands still at `moment`.

    Passed as UTC on purpose: given a ZoneInfo time, time-machine would also set the process's
    TZ to that zone, and the tests would no longer run under the server's own time zone."""
    return time_machine.travel(moment.astimezone(UTC), tick=False)


@dataclass
class World:
    district: District
    other_district: District
    bureau: Organisation
    reviewer: User
    other_district_reviewer: User
    other_line_reviewer: User
    fund_officer: User
    city_approver: User
    item: PolicyItem
    round: Round


def _user(username: str, role: str, **fields) -> User:
    return User.objects.create_user(username=username, password="Hz-test-2026!", role=role, **fields)


@pytest.fixture
def world(db) -> World:
    district = District.objects.create(code="shangcheng", name="上城区", sort_order=1)
    other = District.objects.create(code="xihu", name="西湖区", sort_order=3)
    bureau = Organisation.objects.create(
        name="上城区商务局", level="district", district=district, function="commerce", handles=["commerce", "economy"]
    )
    science = Organisation.objects.create(name="上城区科技局", level="district", district=district, function="science")
    other_bureau = Organisation.objects.create(
        name="西湖区商务局", level="district", district=other, function="commerce", handles=["commerce", "economy"]
    )
    finance = Organisation.objects.create(name="上城区财政局", level="district", district=district, function="finance")
    city = Organisation.objects.create(name="杭州市商务局", level="city", function="commerce", handles=["commerce"])
    document = PolicyDocument.objects.create(code="T01", title="测试政策文件", doc_no="杭测〔2023〕1号")
    item = PolicyItem.objects.create(
        code="T-001",
        document=document,
        name="商贸头部企业奖励",
        bureau_function="commerce",
        review_departments=[],
        materials=[],
        declared_fields=[],
        eligibility=[],
        amount_rule=AMOUNT_RULE,
        funding={"city_percent": 50},
    )
    round_ = Round.objects.create(
        item=item,
        name="2023年第一批",
        opens_at=OPENS,
        closes_at=CLOSES,
        supplement_days=10,
        review_working_days=10,
        claim_days=30,
    )
    return World(
        district=district,
        other_district=other,
        bureau=bureau,
        reviewer=_user("rev_sc", Role.DISTRICT_REVIEWER, organisation=bureau),
        other_district_reviewer=_user("rev_xh", Role.DISTRICT_REVIEWER, organisation=other_bureau),
        other_line_reviewer=_user("rev_sci", Role.DISTRICT_REVIEWER, organisation=science),
        fund_officer=_user("fund_sc", Role.FUND_OFFICER, organisation=finance),
        city_approver=_user("city_sw", Role.CITY_APPROVER, organisation=city),
        item=item,
        round=round_,
    )


@pytest.fixture
def make_enterprise(world: World) -> Callable[..., User]:
    """An enterprise of the world's district with one active user (returned) and bank details."""

    def make(name: str = "", users: int = 1) -> User:
        n = next(_serial)
        enterprise = Enterprise.objects.create(
            name=name or f"杭州测试商贸有限公司{n}",
            credit_code=credit_code(n),
            district=world.district,
            bank_name="杭州银行",
            bank_account_name=name or f"杭州测试商贸有限公司{n}",
            bank_account_no=f"6222{n:012d}",
        )
        first = None
        for i in range(users):
            user = _user(f"ent{n}_{i}", Role.ENTERPRISE, enterprise=enterprise, email=f"ent{n}_{i}@example.com")
            first = first or user
        assert first is not None
        return first

    return make


@pytest.fixture
def draft(world: World, make_enterprise) -> Callable[..., Application]:
    """A draft made by application_create inside the window (or at `at`)."""

    def make(user: User | None = None, *, round_: Round | None = None, at: datetime = IN_WINDOW) -> Application:
        user = user or make_enterprise()
        with frozen(at):
            return application_create(actor=user, round_id=(round_ or world.round).pk)

    return make


@pytest.fixture
def submitted(world: World, draft) -> Callable[..., Application]:
    """A case submitted by application_submit at `at` (inside the window)."""

    def make(user: User | None = None, *, at: datetime = IN_WINDOW) -> Application:
        application = draft(user, at=at)
        with frozen(at):
            return application_submit(
                actor=application.created_by, application_id=application.pk, commitment_signed=True
            )

    return make


@pytest.fixture
def accepted(world: World, submitted) -> Callable[..., Application]:
    """A case accepted (受理) by the district reviewer at `at`; its review deadline is set then.
    It is submitted at `at` too, or inside the window if `at` is after the window closed."""

    def make(user: User | None = None, *, at: datetime = IN_WINDOW) -> Application:
        application = submitted(user, at=at if at < CLOSES else IN_WINDOW)
        with frozen(at):
            return application_accept(actor=world.reviewer, application_id=application.pk)

    return make


@pytest.fixture
def make_award(world: World, make_enterprise, accepted) -> Callable[..., Award]:
    """A claimable award: the whole path through the services (submit, 受理, 审核通过, 报审,
    审定 100 000 yuan, 政策上线 with `claim_deadline`), done on 2023-02-10."""
    from applications.services import application_approve

    def make(claim_deadline: datetime, user: User | None = None) -> Award:
        user = user or make_enterprise()
        application = accepted(user)
        at = datetime(2023, 2, 10, 10, 0, tzinfo=SH)
        with frozen(at):
            application_approve(actor=world.reviewer, application_id=application.pk)
            city_list = city_list_create(
                actor=world.reviewer, round_id=world.round.pk, application_ids=[application.pk]
            )
            city_list_submit(actor=world.reviewer, city_list_id=city_list.pk)
            application_city_approve(actor=world.city_approver, application_id=application.pk, amount="100000")
            result = awards_publish(
                actor=world.fund_officer,
                round_id=world.round.pk,
                claim_deadline=claim_deadline,
                application_ids=[application.pk],
            )
        (award,) = result.created
        return award

    return make


def bulk_due_awards(world: World, n: int, deadline: datetime, *, start: int = 50_000) -> list[Award]:
    """n claimable awards due at `deadline`, each of its own enterprise with one user, made with
    bulk_create (fast, for tests that need many)."""
    enterprises = Enterprise.objects.bulk_create(
        [
            Enterprise(
                name=f"并发测试企业{i}",
                credit_code=credit_code(start + i),
                district=world.district,
                bank_name="杭州银行",
                bank_account_name=f"并发测试企业{i}",
                bank_account_no=f"6222{i:012d}",
            )
            for i in range(n)
        ]
    )
    User.objects.bulk_create(
        [
            User(username=f"conc{start + i}", password="!", role=Role.ENTERPRISE, enterprise=e)
            for i, e in enumerate(enterprises)
        ]
    )
    return Award.objects.bulk_create(
        [
            Award(
                enterprise=e,
                item=world.item,
                round=world.round,
                district=world.district,
                year=2022,
                amount=Decimal("100000"),
                city_share=Decimal("50000"),
                district_share=Decimal("50000"),
                claim_deadline=deadline,
            )
            for e in enterprises
        ]
    )
