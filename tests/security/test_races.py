"""R5, R7, R8, R9 concurrency and idempotency (ASVS 2.3.4): real threads behind a barrier, one
PostgreSQL connection each, committed data (`django_db(transaction=True)`)."""

import random
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from applications import services
from applications.models import Application, ApplicationEvent
from applications.workflow import State
from awards.models import Award, AwardEvent
from common.errors import Conflict
from security.models import AuditLog

from .conftest import give_opinions, make_award, make_under_review, pdf, race, require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    require_postgres("行锁需要 PostgreSQL：设置 DATABASE_URL=postgres://...")


def state_audits(table: str, row_id: int, to_state: str) -> int:
    return sum(
        1
        for r in AuditLog.objects.filter(table_name=table, row_id=row_id, op="UPDATE")
        if r.new.get("state") == to_state
    )


def test_50_concurrent_approvals_make_1_transition_and_49_conflicts(demo_tx):
    app = make_under_review(demo_tx)
    give_opinions(demo_tx, app)
    client = demo_tx.client("rev_shangcheng")

    def approve() -> int:
        return client.post(f"/api/v1/applications/{app.pk}/approve/", {}, format="json").status_code

    result = race(50, approve)
    assert result == Counter({200: 1, 409: 49}), result
    assert ApplicationEvent.objects.filter(application=app, action="approve").count() == 1
    assert state_audits("applications_application", app.pk, State.DISTRICT_APPROVED) == 1
    assert Application.objects.get(pk=app.pk).state == State.DISTRICT_APPROVED


def test_20_concurrent_submits_of_one_draft_make_1_submission(demo_tx):
    user = demo_tx.users["ent_a"]
    round_ = demo_tx.p14_round
    app = services.application_create(actor=user, round_id=round_.pk, declared={"retail_sales_2022h2": "3250000000"})
    for m in round_.item.materials:
        services.material_upload(actor=user, application_id=app.pk, kind=m["kind"], upload=pdf())
    client = demo_tx.client("ent_a")

    def submit() -> int:
        return client.post(
            f"/api/v1/applications/{app.pk}/submit/", {"commitment_signed": True}, format="json"
        ).status_code

    result = race(20, submit)
    assert result == Counter({200: 1, 409: 19}), result
    assert ApplicationEvent.objects.filter(application=app, action="submit").count() == 1
    assert Application.objects.filter(enterprise=user.enterprise, round=round_, state=State.SUBMITTED).count() == 1


def test_20_concurrent_create_and_submit_for_one_enterprise_and_round_make_1_application(demo_tx):
    round_ = demo_tx.p14_round
    user = demo_tx.users["ent_a"]

    def create_and_submit() -> str:
        client = demo_tx.client("ent_a")
        created = client.post("/api/v1/applications/", {"round": round_.pk}, format="json")
        if created.status_code != 201:
            return f"create {created.status_code}"
        app_id = created.json()["id"]
        client.patch(
            f"/api/v1/applications/{app_id}/", {"declared": {"retail_sales_2022h2": "3250000000"}}, format="json"
        )
        for m in round_.item.materials:
            client.post(
                f"/api/v1/applications/{app_id}/materials/", {"kind": m["kind"], "file": pdf()}, format="multipart"
            )
        done = client.post(f"/api/v1/applications/{app_id}/submit/", {"commitment_signed": True}, format="json")
        return f"submit {done.status_code}"

    result = race(20, create_and_submit)
    assert result == Counter({"submit 200": 1, "create 409": 19}), result
    live = Application.objects.filter(enterprise=user.enterprise, round=round_).exclude(
        state__in=("withdrawn", "expired")
    )
    assert live.count() == 1 and live.get().state == State.SUBMITTED


def test_50_concurrent_claims_make_1_claim_then_50_pays_make_1_payment(demo_tx):
    award = make_award(demo_tx)
    claimer = demo_tx.client("ent_a")

    def claim() -> int:
        return claimer.post(f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, format="json").status_code

    claims = race(50, claim)
    assert claims == Counter({200: 50}), claims  # idempotent: every caller sees "claimed"
    assert AwardEvent.objects.filter(award=award, action="claim").count() == 1
    payer = demo_tx.client("fund_shangcheng")
    counter = iter(range(1000))
    lock = threading.Lock()

    def pay() -> int:
        with lock:
            reference = f"SEC-RACE-{next(counter)}"
        return payer.post(f"/api/v1/awards/{award.pk}/pay/", {"reference": reference}, format="json").status_code

    pays = race(50, pay)
    assert pays == Counter({200: 1, 409: 49}), pays
    award.refresh_from_db()
    assert award.state == "paid" and award.payment_reference.startswith("SEC-RACE-")
    assert AwardEvent.objects.filter(award=award, action="pay").count() == 1
    assert state_audits("awards_award", award.pk, "paid") == 1


def test_50_mixed_claims_and_pays_on_one_award_pay_at_most_once(demo_tx):
    award = make_award(demo_tx)
    claimer, payer = demo_tx.client("ent_a"), demo_tx.client("fund_shangcheng")
    counter = iter(range(1000))
    lock = threading.Lock()

    def act() -> str:
        with lock:
            n = next(counter)
        if n % 2 == 0:
            status = claimer.post(f"/api/v1/awards/{award.pk}/claim/", {"commitment_signed": True}, format="json")
            return f"claim {status.status_code}"
        status = payer.post(f"/api/v1/awards/{award.pk}/pay/", {"reference": f"SEC-MIX-{n}"}, format="json")
        return f"pay {status.status_code}"

    result = race(50, act)
    assert result["claim 200"] == 25 and result["pay 200"] <= 1, result
    assert AwardEvent.objects.filter(award=award, action="claim").count() == 1
    assert AwardEvent.objects.filter(award=award, action="pay").count() == result["pay 200"]


# --- claims against the forfeiture job at the deadline (R9) ------------------------------------


def _forfeit_job():
    try:
        from deadlines.jobs import job_forfeit_awards
    except ImportError:  # pragma: no cover - the deadline helper's module
        pytest.skip("deadlines.jobs.job_forfeit_awards 尚不存在")
    return job_forfeit_awards


def _claimable_awards(demo, n: int, deadline) -> list[int]:
    """n claimable awards of ent_a (one per policy item: the 免申即享 unique key is enterprise ×
    item × year), all due at `deadline`."""
    from policies.models import PolicyItem

    ent = demo.enterprises["ent_a"]
    items = list(PolicyItem.objects.order_by("pk")[:n])
    assert len(items) == n
    Award.objects.bulk_create(
        Award(
            enterprise=ent,
            item=item,
            district_id=ent.district_id,
            source=Award.Source.AUTO,
            year=2024,
            amount=Decimal("1000.00"),
            city_share=Decimal("500.00"),
            district_share=Decimal("500.00"),
            claim_deadline=deadline,
        )
        for item in items
    )
    return list(Award.objects.filter(enterprise=ent, year=2024).order_by("pk").values_list("pk", flat=True))


def test_claims_racing_the_forfeiture_job_at_the_deadline_end_in_exactly_one_state(demo_tx):
    job = _forfeit_job()
    n = 150
    deadline = timezone.now() + timedelta(seconds=3)
    ids = _claimable_awards(demo_tx, n, deadline)
    random.seed(20260101)
    # Claims sent from T-500 ms to T+200 ms: an in-process request takes 30-300 ms here (15
    # threads on 2 cores), so the window is wider than R9's ±50 ms for both outcomes to occur.
    offsets = {pk: random.uniform(-0.5, 0.2) for pk in ids}
    threads_n = 15
    barrier = threading.Barrier(threads_n + 1)
    outcomes: dict[int, int] = {}
    lock = threading.Lock()

    def claimer(chunk: list[int]) -> None:
        client = demo_tx.client("ent_a")
        try:
            client.get("/api/v1/awards/?page_size=1")  # warm up: connection, middleware, URLconf
            barrier.wait()
            for pk in sorted(chunk, key=offsets.get):
                delay = (deadline + timedelta(seconds=offsets[pk]) - timezone.now()).total_seconds()
                if delay > 0:
                    time.sleep(delay)
                status = client.post(f"/api/v1/awards/{pk}/claim/", {"commitment_signed": True}, format="json")
                with lock:
                    outcomes[pk] = status.status_code

        finally:
            connection.close()

    def sweeper() -> None:
        try:
            barrier.wait()
            end = deadline + timedelta(seconds=1)
            while timezone.now() < end:
                job(now=timezone.now())
                time.sleep(0.01)
        finally:
            connection.close()

    chunks = [ids[i::threads_n] for i in range(threads_n)]
    threads = [threading.Thread(target=claimer, args=(c,)) for c in chunks] + [threading.Thread(target=sweeper)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    job(now=timezone.now())  # anything left claimable after the race is now due
    states = Counter(Award.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert set(states) <= {"claimed", "forfeited"} and sum(states.values()) == n, states
    events = Counter(AwardEvent.objects.filter(award_id__in=ids).values_list("award_id", flat=True))
    assert all(events[pk] == 1 for pk in ids), "every award has exactly one history row (claim xor forfeit)"
    for award in Award.objects.filter(pk__in=ids):
        event = award.events.get()
        assert event.to_state == award.state
        if award.state == "claimed":
            assert award.claimed_at < award.claim_deadline and outcomes[award.pk] == 200
        else:
            assert outcomes.get(award.pk) in (None, 409)
    assert Counter(outcomes.values()).keys() <= {200, 409}, Counter(outcomes.values())
    assert states["claimed"] > 0 and states["forfeited"] > 0, (states, Counter(outcomes.values()))  # both sides raced
    print(f"R9 {n} awards at the deadline: {dict(states)}; claim answers {dict(Counter(outcomes.values()))}")


def test_claim_at_235959_999_accepted_and_at_000000_000_refused_and_job_agrees(demo_tx):
    from zoneinfo import ZoneInfo

    job = _forfeit_job()
    sh = ZoneInfo("Asia/Shanghai")
    now = timezone.now().astimezone(sh)
    deadline = (now + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    first, second = _claimable_awards(demo_tx, 2, deadline)
    user = demo_tx.users["ent_a"]
    from awards.services import award_claim

    last_ms = deadline - timedelta(milliseconds=1)
    with time_machine.travel(last_ms, tick=False):
        assert job(now=timezone.now()) == 0
        assert award_claim(actor=user, award_id=first, commitment_signed=True).state == "claimed"
    with time_machine.travel(deadline, tick=False):
        with pytest.raises(Conflict) as refused:
            award_claim(actor=user, award_id=second, commitment_signed=True)
        assert refused.value.code == "claim_deadline_passed"
        assert job(now=timezone.now()) == 1
    assert Award.objects.get(pk=second).state == "forfeited"
