"""Two reviewers clicking at once give one transition and clear errors, never two (SPEC §3).

Real threads, one database connection each, released together by a barrier (the method of
Django's own select_for_update tests). PostgreSQL only: SQLite has no row locks.
"""

import threading
from collections import Counter

import pytest
from django.db import connection

from applications.models import ApplicationEvent
from awards.models import AwardEvent

from .conftest import Demo, give_opinions, make_award, make_under_review

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_tx(transactional_db) -> Demo:
    from common.demo import seed_reference_data, seed_rounds
    from policies.loader import load_all

    load_all()
    ref = seed_reference_data()
    return Demo(users=ref["users"], enterprises=ref["enterprises"], rounds=seed_rounds())


def _race(n: int, request) -> Counter:
    barrier = threading.Barrier(n)
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            status = request()
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return Counter(statuses)


def test_20_concurrent_approvals_make_one_transition(demo_tx):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    app = make_under_review(demo_tx)
    give_opinions(demo_tx, app)

    def approve() -> int:
        return (
            demo_tx.client("rev_shangcheng")
            .post(f"/api/v1/applications/{app.pk}/approve/", {}, format="json")
            .status_code
        )

    result = _race(20, approve)
    assert result == Counter({200: 1, 409: 19}), result
    assert ApplicationEvent.objects.filter(application=app, action="approve").count() == 1


def test_20_concurrent_creates_for_one_enterprise_and_round_make_one_application(demo_tx):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from applications.models import Application

    def create() -> int:
        return (
            demo_tx.client("ent_a")
            .post("/api/v1/applications/", {"round": demo_tx.p14_round.pk}, format="json")
            .status_code
        )

    result = _race(20, create)
    assert result == Counter({201: 1, 409: 19}), result
    assert Application.objects.filter(enterprise=demo_tx.enterprises["ent_a"]).count() == 1


def test_50_concurrent_claims_make_one_claim(demo_tx):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    award = make_award(demo_tx)

    def claim() -> int:
        return (
            demo_tx.client("ent_a")
            .post(f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, format="json")
            .status_code
        )

    result = _race(50, claim)
    assert result == Counter({200: 50}), result  # claiming is idempotent: every caller sees "claimed"
    assert AwardEvent.objects.filter(award=award, action="claim").count() == 1
