"""Window edges to the second, whatever the server's time zone (RELIABILITY R9).

A deadline is the first instant not allowed: a round "截至1月31日" closes at
2023-02-01T00:00:00+08:00. The services refuse at `now >= deadline` and the jobs act at
`deadline <= now`: 23:59:59 is accepted, 00:00:00 is refused and swept, with no gap and no
overlap. Each test runs with the process time zone (TZ) set to UTC and to America/Los_Angeles,
where the local date differs from Beijing's for much of the day.
"""

import os
import time
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from applications.services import application_submit
from applications.workflow import State
from awards.services import award_claim
from awards.workflow import AwardState
from common.errors import Conflict
from deadlines.jobs import days_left, job_expire_drafts, job_forfeit_awards, job_remind_drafts, reminder_tier

from .conftest import CLOSES, frozen

BJ = dt_timezone(timedelta(hours=8))  # a fixed offset, not a ZoneInfo: leaves the process TZ alone


@pytest.fixture(params=["UTC", "America/Los_Angeles"])
def server_tz(request):
    """Run the test with the process time zone set to `param` (os.environ TZ + time.tzset)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    assert time.localtime(0).tm_gmtoff != 8 * 3600
    yield request.param
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_submission_edge_to_the_second(server_tz, world, draft):
    in_time, too_late = draft(), draft()

    with frozen(datetime(2023, 1, 31, 23, 59, 59, tzinfo=BJ)):
        application_submit(actor=in_time.created_by, application_id=in_time.pk, commitment_signed=True)
    with frozen(datetime(2023, 2, 1, 0, 0, 0, tzinfo=BJ)), pytest.raises(Conflict) as refused:
        application_submit(actor=too_late.created_by, application_id=too_late.pk, commitment_signed=True)
    assert refused.value.code == "window_closed"
    assert "2023年01月31日 23:59:59" in refused.value.message

    with frozen(datetime(2023, 2, 1, 0, 0, 0, tzinfo=BJ) - timedelta(microseconds=1)):
        assert job_expire_drafts(now=timezone.now()) == 0
    with frozen(datetime(2023, 2, 1, 0, 0, 0, tzinfo=BJ)):
        assert job_expire_drafts(now=timezone.now()) == 1

    in_time.refresh_from_db()
    too_late.refresh_from_db()
    assert (in_time.state, too_late.state) == (State.SUBMITTED, State.EXPIRED)


def test_submission_in_the_last_millisecond_is_accepted(server_tz, world, draft):
    application = draft()
    with frozen(datetime(2023, 1, 31, 23, 59, 59, 999000, tzinfo=BJ)):
        application_submit(actor=application.created_by, application_id=application.pk, commitment_signed=True)
        assert job_expire_drafts(now=timezone.now()) == 0
    application.refresh_from_db()
    assert application.state == State.SUBMITTED


def test_claim_edge_to_the_second(server_tz, world, make_award):
    deadline = datetime(2023, 3, 1, 0, 0, tzinfo=BJ)  # 截至2月28日
    in_time, too_late = make_award(deadline), make_award(deadline)

    with frozen(datetime(2023, 2, 28, 23, 59, 59, tzinfo=BJ)):
        award_claim(actor=in_time.enterprise.users.first(), award_id=in_time.pk, commitment_signed=True)
    with frozen(deadline), pytest.raises(Conflict) as refused:
        award_claim(actor=too_late.enterprise.users.first(), award_id=too_late.pk, commitment_signed=True)
    assert refused.value.code == "claim_deadline_passed"

    with frozen(deadline - timedelta(microseconds=1)):
        assert job_forfeit_awards(now=timezone.now()) == 0
    with frozen(deadline):
        assert job_forfeit_awards(now=timezone.now()) == 1

    in_time.refresh_from_db()
    too_late.refresh_from_db()
    assert (in_time.state, too_late.state) == (AwardState.CLAIMED, AwardState.FORFEITED)


def test_reminder_days_turn_at_beijing_midnight(server_tz, world, draft):
    draft()
    # 1月24日 23:59:59 in Beijing is 8 days before the end of 1月31日; midnight makes it 7.
    with frozen(datetime(2023, 1, 24, 23, 59, 59, tzinfo=BJ)):
        assert job_remind_drafts(now=timezone.now()) == 0
    with frozen(datetime(2023, 1, 25, 0, 0, 0, tzinfo=BJ)):
        assert job_remind_drafts(now=timezone.now()) == 1


@pytest.mark.parametrize(
    ("now", "left", "tier"),
    [
        (datetime(2023, 1, 23, 12, 0, tzinfo=BJ), 9, None),
        (datetime(2023, 1, 24, 23, 59, 59, tzinfo=BJ), 8, None),
        (datetime(2023, 1, 25, 0, 0, tzinfo=BJ), 7, 7),
        (datetime(2023, 1, 27, 8, 30, tzinfo=BJ), 5, 7),
        (datetime(2023, 1, 29, 8, 30, tzinfo=BJ), 3, 3),
        (datetime(2023, 1, 30, 8, 30, tzinfo=BJ), 2, 3),
        (datetime(2023, 1, 31, 0, 0, tzinfo=BJ), 1, 1),
        (datetime(2023, 1, 31, 23, 59, 59, tzinfo=BJ), 1, 1),
        (datetime(2023, 1, 31, 16, 0, tzinfo=UTC), 0, None),  # = 2月1日 00:00 Beijing: closed
    ],
)
def test_days_left_counts_beijing_calendar_days(server_tz, now, left, tier):
    assert days_left(CLOSES, now) == left
    assert reminder_tier(left) == tier
