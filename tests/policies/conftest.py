"""Fixtures for the policy data and rules engine tests: loaded policies and enterprises with designations."""

from datetime import date
from itertools import count
from pathlib import Path

import pytest

from enterprises.credit_code import make_code

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "policies" / "data"
SEEDS = REPO.parent / "shared" / "seeds"  # CI has shared/ beside the clone; the app never reads it
_serial = count(1)


@pytest.fixture
def loaded(db):
    """The whole policy data set loaded into the test database; returns load_all()'s counts."""
    from policies.loader import load_all

    return load_all()


@pytest.fixture
def district(db):
    from accounts.models import District

    return District.objects.get_or_create(code="shangcheng", defaults={"name": "上城区"})[0]


@pytest.fixture
def make_enterprise(district):
    """make_enterprise(designations=[(tag, granted_on, {"first_time":…, "expires_on":…})], **fields)."""
    from enterprises.models import Designation, Enterprise

    def build(designations=(), **fields):
        n = next(_serial)
        values = {
            "name": f"杭州测试企业{n}有限公司",
            "credit_code": make_code(f"91330102{n:09d}"),
            "district": district,
            "in_statistics_db": True,
        }
        values.update(fields)
        enterprise = Enterprise.objects.create(**values)
        for tag, granted_on, *extra in designations:
            Designation.objects.create(
                enterprise=enterprise, tag=tag, granted_on=granted_on, **(extra[0] if extra else {})
            )
        return enterprise

    return build


@pytest.fixture
def p14_enterprise(make_enterprise):
    """A 限上 retailer in the statistics database that set up its Hangzhou settlement HQ in 2022 (003 L302)."""
    return make_enterprise(
        designations=[("settlement_hq", date(2022, 5, 10)), ("above_quota_trade", date(2022, 6, 30))],
    )
