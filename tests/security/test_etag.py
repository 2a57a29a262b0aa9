"""R6 lost update on a draft: GET /api/v1/applications/{id}/ gives a strong ETag; PATCH with
`If-Match` is 412 when the case changed since, 200 with the new ETag otherwise.

The race: two PATCHes with the same ETag released together by a barrier (two threads, one
PostgreSQL connection each, committed data): one 200 and one 412 every time, and the figure the
200 wrote is the one stored (0 lost updates). Trials: R6_TRIALS (default 200; RELIABILITY R6's
target is 1 000). Each trial sleeps a random 0–3 ms in one thread to vary the interleaving.
"""

import os
import random
import threading
import time
from collections import Counter

import pytest
from rest_framework.test import APIClient

from applications import services
from applications.models import Application

from .conftest import race, require_postgres

TRIALS = int(os.environ.get("R6_TRIALS", "200"))
FIELD = "retail_sales_2022h2"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def draft(demo):
    user = demo.users["ent_a"]
    return services.application_create(actor=user, round_id=demo.p14_round.pk, declared={FIELD: "3000000000"})


@pytest.mark.django_db
def test_get_gives_a_strong_etag_and_patch_with_it_returns_the_next(demo, draft):
    client = client_for(demo.users["ent_a"])
    url = f"/api/v1/applications/{draft.pk}/"
    etag = client.get(url)["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert client.get(url)["ETag"] == etag  # stable while nothing changes
    ok = client.patch(url, {"declared": {FIELD: "3100000000"}}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok["ETag"] != etag
    assert client.get(url)["ETag"] == ok["ETag"]
    stale = client.patch(url, {"declared": {FIELD: "3200000000"}}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    body = stale.json()
    assert body["code"] == "stale_version" and "已被修改" in body["detail"] and "If-Match" in body["detail"]
    assert Application.objects.get(pk=draft.pk).declared[FIELD] == "3100000000"


@pytest.mark.django_db
def test_if_match_is_optional_star_matches_weak_tags_never_do(demo, draft):
    client = client_for(demo.users["ent_a"])
    url = f"/api/v1/applications/{draft.pk}/"
    etag = client.get(url)["ETag"]
    assert client.patch(url, {"declared": {FIELD: "3100000000"}}, format="json").status_code == 200  # no If-Match
    assert client.patch(url, {"declared": {FIELD: "3200000000"}}, format="json", HTTP_IF_MATCH="*").status_code == 200
    current = client.get(url)["ETag"]
    weak = client.patch(url, {"declared": {FIELD: "1"}}, format="json", HTTP_IF_MATCH=f"W/{current}")
    assert weak.status_code == 412
    listed = client.patch(url, {"declared": {FIELD: "3300000000"}}, format="json", HTTP_IF_MATCH=f"{etag}, {current}")
    assert listed.status_code == 200
    assert Application.objects.get(pk=draft.pk).declared[FIELD] == "3300000000"


@pytest.mark.django_db
def test_a_state_change_changes_the_etag_and_another_enterprise_gets_404_not_412(demo, draft):
    owner, other = client_for(demo.users["ent_a"]), client_for(demo.users["ent_b"])
    url = f"/api/v1/applications/{draft.pk}/"
    etag = owner.get(url)["ETag"]
    assert other.patch(url, {"declared": {FIELD: "1"}}, format="json", HTTP_IF_MATCH=etag).status_code == 404
    # A set-based job (like the draft expiry) updates the state without touching updated_at:
    # the state is part of the ETag, so the old one no longer matches.
    Application.objects.filter(pk=draft.pk).update(state="expired")
    assert owner.get(url)["ETag"] != etag
    assert owner.patch(url, {"declared": {FIELD: "1"}}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    Application.objects.filter(pk=draft.pk).update(state="draft")
    assert owner.get(url)["ETag"] == etag


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_patches_with_one_etag_give_one_200_one_412_and_no_lost_update(demo_tx):
    require_postgres("行锁需要 PostgreSQL：设置 DATABASE_URL=postgres://...")
    user = demo_tx.users["ent_a"]
    app = services.application_create(actor=user, round_id=demo_tx.p14_round.pk, declared={FIELD: "3000000000"})
    url = f"/api/v1/applications/{app.pk}/"
    rng = random.Random(6)
    outcomes: Counter = Counter()
    lost = 0
    started = time.monotonic()
    for trial in range(TRIALS):
        etag = client_for(user).get(url)["ETag"]
        values = {0: str(3_000_000_000 + 2 * trial), 1: str(3_000_000_000 + 2 * trial + 1)}
        delays = {0: rng.uniform(0, 0.003), 1: 0.0} if rng.random() < 0.5 else {0: 0.0, 1: rng.uniform(0, 0.003)}
        slots = iter((0, 1))
        lock = threading.Lock()

        def patch(slots=slots, lock=lock, values=values, delays=delays, etag=etag) -> tuple[int, str]:
            with lock:
                me = next(slots)
            time.sleep(delays[me])
            response = client_for(user).patch(url, {"declared": {FIELD: values[me]}}, format="json", HTTP_IF_MATCH=etag)
            return response.status_code, values[me]

        result = race(2, patch)
        statuses = sorted(status for status, _ in result)
        outcomes[tuple(statuses)] += 1
        winners = [value for status, value in result if status == 200]
        stored = Application.objects.get(pk=app.pk).declared[FIELD]
        if statuses != [200, 412] or stored != winners[0]:
            lost += 1
    seconds = time.monotonic() - started
    print(f"\nR6 同一 ETag 的两个 PATCH：{TRIALS} 次试验（{seconds:.1f} 秒），结果 {dict(outcomes)}，丢失更新 {lost}")
    assert outcomes == Counter({(200, 412): TRIALS}), outcomes
    assert lost == 0
