"""R8 idempotency keys on claim and payment: 50 concurrent requests per case, real threads behind
a barrier, one PostgreSQL connection each, committed data.

(a) same key + same body → one effect, every answer that is not "still in flight" byte-identical,
    later replays byte-identical too; (b) different keys → the services' state checks: one payment
    (200) and 49× 409; (c) same key, different bodies → one effect and 49× 422; (d) a key whose
    first request still runs → 409 for every other request with it.

Trials per case: R8_TRIALS (default 2; RELIABILITY R8's target is 1 000). Each trial puts the
award back to claimable/claimed (QuerySet.update) and counts the events it adds. The figures are
printed (`-s`): trials, outcomes, duplicates.
"""

import os
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from awards.models import Award, AwardEvent
from idempotency.models import IdempotencyKey
from idempotency.services import idempotency_keys_purge

from .conftest import make_award, race, require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TRIALS = int(os.environ.get("R8_TRIALS", "2"))
THREADS = 50


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgres("行锁需要 PostgreSQL：设置 DATABASE_URL=postgres://...")


@pytest.fixture
def award(demo_tx) -> Award:
    return make_award(demo_tx, "ent_a")


def post(user, path: str, body: dict, key: str | None):
    client = APIClient()
    client.force_authenticate(user)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(path, body, format="json", **headers)


def to_claimable(award: Award) -> None:
    Award.objects.filter(pk=award.pk).update(
        state="claimable",
        claimed_at=None,
        claimed_by=None,
        claim_commitment_text="",
        bank_snapshot={},
        payment_reference=None,
        paid_on=None,
        paid_at=None,
        paid_by=None,
        claim_deadline=timezone.now() + timedelta(days=30),
    )


def to_claimed(award: Award, user) -> None:
    to_claimable(award)
    Award.objects.filter(pk=award.pk).update(state="claimed", claimed_at=timezone.now(), claimed_by=user)


def events(award: Award, action: str) -> int:
    return AwardEvent.objects.filter(award=award, action=action).count()


def code(response) -> str:
    try:
        return response.json().get("code", "")
    except ValueError:
        return ""


def test_a_same_key_same_body_one_effect_and_byte_identical_replays(demo_tx, award):
    claimer, payer = demo_tx.users["ent_a"], demo_tx.users["fund_shangcheng"]
    duplicates = 0
    outcomes: Counter = Counter()
    for trial in range(TRIALS):
        for action, user, body in (
            ("claim", claimer, {"commitment_signed": True}),
            ("pay", payer, {"reference": f"R8A-{trial}-{uuid.uuid4().hex[:8]}"}),
        ):
            if action == "claim":
                to_claimable(award)
            else:
                to_claimed(award, claimer)
            before = events(award, action)
            key = str(uuid.uuid4())
            path = f"/api/v1/awards/{award.pk}/{action}/"
            bodies: list[bytes] = []
            lock = threading.Lock()

            def once(path=path, user=user, body=body, key=key, bodies=bodies, lock=lock) -> str:
                response = post(user, path, body, key)
                if response.status_code == 200:
                    with lock:
                        bodies.append(response.content)
                return f"{response.status_code} {code(response)}".strip()

            result = race(THREADS, once)
            outcomes.update(f"{action} {k}" for k in result.elements())
            duplicates += events(award, action) - before - 1
            assert set(result) <= {"200", "409 idempotency_key_in_flight"}, result
            assert result["200"] >= 1 and len(set(bodies)) == 1, result
            replayed = post(user, path, body, key)
            assert replayed.status_code == 200 and replayed.content == bodies[0]
            assert replayed["Idempotent-Replayed"] == "true"
    figure = f"{TRIALS} 次试验 × {THREADS} 线程 × 申领/兑现，结果 {dict(outcomes)}，重复执行 {duplicates}"
    print(f"\nR8(a) 同键同体：{figure}")
    assert duplicates == 0


def test_b_different_keys_one_payment_and_49_conflicts(demo_tx, award):
    claimer, payer = demo_tx.users["ent_a"], demo_tx.users["fund_shangcheng"]
    duplicates = 0
    for trial in range(TRIALS):
        to_claimed(award, claimer)
        before = events(award, "pay")
        path = f"/api/v1/awards/{award.pk}/pay/"
        counter = iter(range(THREADS))
        lock = threading.Lock()

        def pay(path=path, trial=trial, counter=counter, lock=lock) -> int:
            with lock:
                n = next(counter)
            response = post(payer, path, {"reference": f"R8B-{trial}-{n}-{uuid.uuid4().hex[:6]}"}, str(uuid.uuid4()))
            return response.status_code

        result = race(THREADS, pay)
        duplicates += events(award, "pay") - before - 1
        assert result == Counter({200: 1, 409: THREADS - 1}), result
        award.refresh_from_db()
        assert award.state == "paid"
        # Claims with different keys: the service is idempotent (already claimed → 200, no new event).
        to_claimable(award)
        before = events(award, "claim")
        result = race(
            THREADS,
            lambda: (
                post(
                    claimer, f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, str(uuid.uuid4())
                ).status_code
            ),
        )
        duplicates += events(award, "claim") - before - 1
        assert result == Counter({200: THREADS}), result
    print(f"\nR8(b) 不同键：{TRIALS} 次试验 × {THREADS} 线程，兑现 1×200 + {THREADS - 1}×409，重复执行 {duplicates}")
    assert duplicates == 0


def test_c_same_key_different_bodies_one_effect_and_422(demo_tx, award):
    claimer, payer = demo_tx.users["ent_a"], demo_tx.users["fund_shangcheng"]
    duplicates = 0
    for trial in range(TRIALS):
        to_claimed(award, claimer)
        before = events(award, "pay")
        key, path = str(uuid.uuid4()), f"/api/v1/awards/{award.pk}/pay/"
        counter = iter(range(THREADS))
        lock = threading.Lock()

        def pay(path=path, key=key, trial=trial, counter=counter, lock=lock) -> str:
            with lock:
                n = next(counter)
            response = post(payer, path, {"reference": f"R8C-{trial}-{n}-{uuid.uuid4().hex[:6]}"}, key)
            return f"{response.status_code} {code(response)}"

        result = race(THREADS, pay)
        duplicates += events(award, "pay") - before - 1
        assert result == Counter({"200 ": 1, "422 idempotency_key_reused": THREADS - 1}), result
        late = post(payer, path, {"reference": "R8C-another"}, key)
        assert late.status_code == 422 and "不同" in late.json()["detail"]
    print(f"\nR8(c) 同键异体：{TRIALS} 次试验 × {THREADS} 线程，1×200 + {THREADS - 1}×422，重复执行 {duplicates}")
    assert duplicates == 0


def test_d_key_still_in_flight_is_409(demo_tx, award):
    """The first claim is held inside the service (the award row locked by another transaction);
    49 requests with its key meanwhile get 409; once released it completes once and replays."""
    claimer = demo_tx.users["ent_a"]
    to_claimable(award)
    key, path, body = str(uuid.uuid4()), f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}
    holding, release = threading.Event(), threading.Event()
    first: dict = {}

    def hold_award_row() -> None:
        try:
            with transaction.atomic():
                Award.objects.select_for_update().get(pk=award.pk)
                holding.set()
                release.wait(60)
        finally:
            connection.close()

    def first_claim() -> None:
        try:
            first["response"] = post(claimer, path, body, key)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_award_row)
    holder.start()
    assert holding.wait(30)
    runner = threading.Thread(target=first_claim)
    runner.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the first request holds its key's lock
        row = IdempotencyKey.objects.filter(key=key).first()
        if row is not None:
            try:
                with transaction.atomic():
                    IdempotencyKey.objects.select_for_update(nowait=True).get(pk=row.pk)
            except OperationalError:
                break
        time.sleep(0.02)
    else:
        release.set()
        pytest.fail("第一个请求没有在 30 秒内进入处理")
    result = race(THREADS - 1, lambda: f"{(r := post(claimer, path, body, key)).status_code} {code(r)}")
    release.set()
    holder.join(60)
    runner.join(60)
    print(f"\nR8(d) 处理中：{THREADS - 1} 个同键请求 → {dict(result)}；首个请求 {first['response'].status_code}")
    assert result == Counter({"409 idempotency_key_in_flight": THREADS - 1}), result
    assert first["response"].status_code == 200
    assert events(award, "claim") == 1
    replay = post(claimer, path, body, key)
    assert replay.status_code == 200 and replay.content == first["response"].content


def test_invalid_key_is_400_and_keys_expire_after_24_hours(demo_tx, award):
    claimer = demo_tx.users["ent_a"]
    path = f"/api/v1/awards/{award.pk}/claim/"
    bad = post(claimer, path, {"commitment_signed": True}, "带 空格")
    assert bad.status_code == 400 and bad.json()["code"] == "idempotency_key_invalid"
    assert post(claimer, path, {"commitment_signed": True}, "k-1").status_code == 200
    assert post(claimer, path, {"commitment_signed": False}, "k-1").status_code == 422
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        # expired: the key is used afresh (the service answers: already claimed → 200)
        again = post(claimer, path, {"commitment_signed": False}, "k-1")
        assert again.status_code == 200 and "Idempotent-Replayed" not in again
        assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=25)) == 1
    assert not IdempotencyKey.objects.exists()


def test_the_hourly_beat_task_purges_expired_keys_only(demo_tx, award):
    from idempotency.tasks import purge_idempotency_keys

    claimer = demo_tx.users["ent_a"]
    assert post(claimer, f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, "k-2").status_code == 200
    assert purge_idempotency_keys.delay().get() == 0  # still within its 24 hours
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert purge_idempotency_keys.delay().get() == 1
    assert not IdempotencyKey.objects.exists()


def test_error_answers_are_stored_and_replayed_without_a_second_attempt(demo_tx, award):
    """A 400 (commitment missing) is the answer to that request: replayed, not retried."""
    claimer = demo_tx.users["ent_a"]
    to_claimable(award)
    path = f"/api/v1/awards/{award.pk}/claim/"
    first = post(claimer, path, {"commitment_signed": False}, "k-err")
    assert first.status_code == 400 and first.json()["code"] == "commitment_required"
    second = post(claimer, path, {"commitment_signed": False}, "k-err")
    assert second.status_code == 400 and second.content == first.content and second["Idempotent-Replayed"] == "true"
    assert events(award, "claim") == 0
