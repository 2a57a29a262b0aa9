"""Several workers at once (SPEC §5, RELIABILITY R9/R10): real threads, one PostgreSQL
connection each, committed data (transactional_db), so SKIP LOCKED and the row locks of the
services really meet."""

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count

from accounts.models import User
from awards.models import Award, AwardEvent
from awards.services import award_claim
from awards.workflow import AwardState
from common.errors import InvalidTransition
from deadlines.jobs import job_forfeit_awards
from notifications.models import Notification

from .conftest import SH, bulk_due_awards, frozen

pytestmark = [pytest.mark.postgres]

DEADLINE = datetime(2023, 3, 1, 0, 0, tzinfo=SH)


def in_threads(*targets) -> list:
    """Run the callables at once (behind a barrier), each on its own DB connection."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)
    errors: list = []

    def run(i, target):
        try:
            barrier.wait(timeout=10)
            results[i] = target()
        except Exception as exc:  # reported below, with the thread's traceback lost but not its type
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def test_three_workers_forfeit_each_award_exactly_once(transactional_db, world, settings):
    settings.DEADLINE_JOB_BATCH_SIZE = 25
    awards = bulk_due_awards(world, 300, DEADLINE)

    counts = in_threads(*(lambda: job_forfeit_awards(now=DEADLINE) for _ in range(3)))

    assert sum(counts) == 300
    assert Award.objects.filter(state=AwardState.FORFEITED).count() == 300
    per_award = AwardEvent.objects.filter(action="forfeit").values("award").annotate(n=Count("id"))
    assert {row["n"] for row in per_award} == {1}
    assert len(per_award) == 300
    assert Notification.objects.filter(kind="forfeited").count() == 300
    assert job_forfeit_awards(now=DEADLINE) == 0
    assert {a.pk for a in awards} == set(Award.objects.values_list("pk", flat=True))


def test_claims_racing_the_sweep_end_each_award_in_exactly_one_state(transactional_db, world, settings):
    """R9: enterprises claim in the last millisecond while the sweep of the deadline runs.
    Every award ends claimed or forfeited, never both, and a claim refused is refused cleanly."""
    settings.DEADLINE_JOB_BATCH_SIZE = 10
    awards = bulk_due_awards(world, 120, DEADLINE)
    users = {u.enterprise_id: u for u in User.objects.filter(enterprise__in=[a.enterprise_id for a in awards])}
    refused: list[int] = []

    def claim(part: list[Award]) -> int:
        done = 0
        for award in part:
            try:
                award_claim(actor=users[award.enterprise_id], award_id=award.pk, commitment_signed=True)
                done += 1
            except InvalidTransition:
                refused.append(award.pk)
        return done

    # The clock stands at 23:59:59.999 (claims are in time); the sweep judges as of the deadline.
    with frozen(DEADLINE - timedelta(milliseconds=1)):
        claimed_a, claimed_b, forfeited = in_threads(
            lambda: claim(awards[0::2]), lambda: claim(awards[1::2][::-1]), lambda: job_forfeit_awards(now=DEADLINE)
        )

    states = dict(Award.objects.values_list("pk", "state"))
    assert set(states.values()) <= {AwardState.CLAIMED, AwardState.FORFEITED}
    assert claimed_a + claimed_b == sum(s == AwardState.CLAIMED for s in states.values())
    assert forfeited == sum(s == AwardState.FORFEITED for s in states.values())
    assert sorted(refused) == sorted(pk for pk, s in states.items() if s == AwardState.FORFEITED)
    history = AwardEvent.objects.values("award").annotate(n=Count("id"))
    assert {row["n"] for row in history} == {1}  # one claim or one forfeit per award, never both
    assert len(history) == 120
