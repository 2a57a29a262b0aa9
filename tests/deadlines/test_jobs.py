"""Each deadline job: what it changes, the history and messages it leaves, and that a second run
changes and sends nothing (SPEC §5)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from applications.models import Application, ApplicationEvent
from applications.services import application_resubmit, application_return
from applications.workflow import State
from awards.models import Award, AwardEvent
from awards.services import award_claim
from awards.workflow import AwardState
from deadlines.jobs import (
    JOB_LABELS,
    job_end_dishonesty,
    job_expire_drafts,
    job_expire_returned,
    job_flag_overdue_reviews,
    job_forfeit_awards,
    job_remind_claims,
    job_remind_drafts,
    run_all,
)
from deadlines.models import JobRun
from enterprises.models import DishonestyEntry
from notifications.models import Notification
from policies.models import Round

from .conftest import CLOSES, IN_WINDOW, OPENS, SH, bulk_due_awards, frozen

AFTER_CLOSE = datetime(2023, 2, 1, 0, 5, tzinfo=SH)


def events(application: Application, action: str) -> list[ApplicationEvent]:
    return list(ApplicationEvent.objects.filter(application=application, action=action))


def inbox(user, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=kind).order_by("id"))


# --- expire_drafts -------------------------------------------------------------------------------


def test_expire_drafts_expires_drafts_of_closed_rounds_only(world, draft, submitted, make_enterprise):
    later = Round.objects.create(
        item=world.item, name="2023年第二批", opens_at=OPENS, closes_at=datetime(2023, 3, 1, tzinfo=SH)
    )
    left = [draft() for _ in range(3)]
    open_round_draft = draft(round_=later)
    done = submitted()

    with frozen(AFTER_CLOSE):
        changed = job_expire_drafts(now=timezone.now())

    assert changed == 3
    for application in left:
        application.refresh_from_db()
        assert application.state == State.EXPIRED
        (event,) = events(application, "expire")
        assert (event.actor, event.from_state, event.to_state) == (None, State.DRAFT, State.EXPIRED)
        assert "逾期未申报" in event.reason and "2023年01月31日 24:00" in event.reason
        assert event.extra == {"job": "expire_drafts", "as_of": AFTER_CLOSE.isoformat(), "deadline": CLOSES.isoformat()}
        (message,) = inbox(application.created_by, "expired")
        assert f"申报件 #{application.pk}" in message.title
        assert message.link == f"/applications/{application.pk}/"
    open_round_draft.refresh_from_db()
    done.refresh_from_db()
    assert (open_round_draft.state, done.state) == (State.DRAFT, State.SUBMITTED)
    world.round.refresh_from_db()
    later.refresh_from_db()
    assert world.round.closed_processed_at == AFTER_CLOSE
    assert later.closed_processed_at is None


def test_expire_drafts_twice_changes_nothing_the_second_time(world, draft):
    application = draft()
    with frozen(AFTER_CLOSE):
        assert job_expire_drafts(now=timezone.now()) == 1
        before = (ApplicationEvent.objects.count(), Notification.objects.count())
        application.refresh_from_db()
        stamp = application.updated_at

    with frozen(AFTER_CLOSE + timedelta(minutes=5)):
        assert job_expire_drafts(now=timezone.now()) == 0

    application.refresh_from_db()
    assert (ApplicationEvent.objects.count(), Notification.objects.count()) == before
    assert application.updated_at == stamp


def test_expire_drafts_works_in_batches(world, draft, settings):
    settings.DEADLINE_JOB_BATCH_SIZE = 2
    drafts = [draft() for _ in range(5)]

    with frozen(AFTER_CLOSE):
        assert job_expire_drafts(now=timezone.now()) == 5

    assert set(Application.objects.filter(pk__in=[a.pk for a in drafts]).values_list("state", flat=True)) == {
        State.EXPIRED
    }
    assert ApplicationEvent.objects.filter(action="expire").count() == 5


def test_expired_draft_frees_the_enterprise_place_in_the_round(world, draft):
    application = draft()
    with frozen(AFTER_CLOSE):
        job_expire_drafts(now=timezone.now())
    # The live-application constraint no longer counts it (expired is not live).
    assert not Application.objects.filter(pk=application.pk).exclude(state__in=[State.EXPIRED]).exists()


# --- expire_returned -----------------------------------------------------------------------------


def test_expire_returned_after_the_supplement_period(world, accepted):
    late, in_time = accepted(), accepted()
    returned_at = datetime(2023, 2, 3, 9, 0, tzinfo=SH)
    with frozen(returned_at):
        application_return(actor=world.reviewer, application_id=late.pk, reason="请补充2022年度审计报告。")
    with frozen(returned_at + timedelta(days=5)):
        application_return(actor=world.reviewer, application_id=in_time.pk, reason="请补充纳税证明。")
    late.refresh_from_db()
    # 10 natural days from 2月3日: the period ends at the end of 2月13日.
    assert late.supplement_deadline == datetime(2023, 2, 14, 0, 0, tzinfo=SH)

    with frozen(datetime(2023, 2, 13, 23, 59, 59, tzinfo=SH)):
        assert job_expire_returned(now=timezone.now()) == 0
    with frozen(datetime(2023, 2, 14, 0, 0, tzinfo=SH)):
        assert job_expire_returned(now=timezone.now()) == 1
        assert job_expire_returned(now=timezone.now()) == 0

    late.refresh_from_db()
    in_time.refresh_from_db()
    assert (late.state, in_time.state) == (State.EXPIRED, State.RETURNED)
    (event,) = events(late, "expire")
    assert (event.from_state, event.to_state, event.actor) == (State.RETURNED, State.EXPIRED, None)
    assert "补正期限（2023年02月13日 24:00）已过" in event.reason
    assert len(inbox(late.created_by, "expired")) == 1
    assert inbox(in_time.created_by, "expired") == []


# --- flag_overdue_reviews -----------------------------------------------------------------------


def test_overdue_review_is_flagged_once_and_the_bureau_told_once(world, accepted):
    application = accepted(at=datetime(2023, 2, 6, 9, 0, tzinfo=SH))  # Monday, after 春节
    application.refresh_from_db()
    # 10 working days after Monday 2月6日: 2月7日 … 2月20日, due by the end of 2月20日.
    assert application.review_deadline == datetime(2023, 2, 21, 0, 0, tzinfo=SH)

    with frozen(datetime(2023, 2, 20, 23, 59, 59, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 0
    with frozen(datetime(2023, 2, 21, 0, 0, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 1
    with frozen(datetime(2023, 2, 22, 9, 0, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 0

    application.refresh_from_db()
    assert application.review_overdue is True
    assert application.state == State.DISTRICT_REVIEW
    (event,) = events(application, "overdue")
    assert (event.from_state, event.to_state, event.actor) == (State.DISTRICT_REVIEW, State.DISTRICT_REVIEW, None)
    assert "属地审核超过时限（10个工作日" in event.reason
    (message,) = inbox(world.reviewer, "review_overdue")
    assert message.link == f"/workbench/cases/{application.pk}/"
    assert inbox(world.other_district_reviewer, "review_overdue") == []
    assert inbox(world.other_line_reviewer, "review_overdue") == []
    assert inbox(application.created_by, "review_overdue") == []


def test_submitted_case_not_accepted_in_time_is_flagged(world, submitted):
    application = submitted(at=datetime(2023, 1, 30, 15, 0, tzinfo=SH))  # Monday
    # 10 working days after 1月30日: 1月31日 … 2月13日; overdue from 2月14日 00:00.
    with frozen(datetime(2023, 2, 13, 23, 59, 59, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 0
    with frozen(datetime(2023, 2, 14, 0, 0, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 1
        assert job_flag_overdue_reviews(now=timezone.now()) == 0

    application.refresh_from_db()
    assert (application.state, application.review_overdue) == (State.SUBMITTED, True)
    (event,) = events(application, "overdue")
    assert "已申报超过10个工作日仍未受理" in event.reason
    assert event.extra["review_deadline"] == datetime(2023, 2, 14, 0, 0, tzinfo=SH).isoformat()
    assert len(inbox(world.reviewer, "review_overdue")) == 1


def test_resubmitted_case_counts_from_its_resubmission(world, accepted):
    application = accepted(at=datetime(2023, 1, 9, 9, 0, tzinfo=SH))
    with frozen(datetime(2023, 1, 10, 9, 0, tzinfo=SH)):
        application_return(actor=world.reviewer, application_id=application.pk, reason="请补充材料。")
    with frozen(datetime(2023, 1, 17, 9, 0, tzinfo=SH)):
        application_resubmit(actor=application.created_by, application_id=application.pk)
    # Counted from the first submission (1月9日) the limit would have run out at 1月29日 00:00;
    # from the resubmission (1月17日, Tuesday) the 10 working days are 1月18日–20日, 28日 and 29日
    # (调休 weekend of 春节), 30日, 31日, 2月1日–3日: overdue from 2月4日 00:00.
    with frozen(datetime(2023, 2, 3, 23, 59, 59, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 0
    with frozen(datetime(2023, 2, 4, 0, 0, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 1


# --- forfeit_awards ------------------------------------------------------------------------------


def test_forfeit_awards_after_the_claim_deadline(world, make_award):
    deadline = datetime(2023, 3, 1, 0, 0, tzinfo=SH)  # 截至2月28日
    unclaimed = [make_award(deadline) for _ in range(2)]
    claimed = make_award(deadline)
    later = make_award(datetime(2023, 4, 1, tzinfo=SH))
    with frozen(datetime(2023, 2, 20, 10, 0, tzinfo=SH)):
        award_claim(actor=claimed.enterprise.users.first(), award_id=claimed.pk, commitment_signed=True)

    with frozen(deadline):
        assert job_forfeit_awards(now=timezone.now()) == 2
        assert job_forfeit_awards(now=timezone.now()) == 0

    for award in unclaimed:
        award.refresh_from_db()
        assert award.state == AwardState.FORFEITED
        (event,) = AwardEvent.objects.filter(award=award, action="forfeit")
        assert (event.from_state, event.to_state, event.actor) == (AwardState.CLAIMABLE, AwardState.FORFEITED, None)
        assert "视为自动放弃" in event.reason and "2023年02月28日 24:00" in event.reason
        assert event.extra["job"] == "forfeit_awards"
        (message,) = inbox(award.enterprise.users.first(), "forfeited")
        assert "100,000.00 元" in message.title
    claimed.refresh_from_db()
    later.refresh_from_db()
    assert (claimed.state, later.state) == (AwardState.CLAIMED, AwardState.CLAIMABLE)
    assert AwardEvent.objects.filter(action="forfeit").count() == 2


def test_forfeit_notifies_every_active_user_of_the_enterprise(world, make_enterprise, make_award):
    user = make_enterprise(users=3)
    gone = user.enterprise.users.order_by("pk").last()
    gone.is_active = False
    gone.save()
    award = make_award(datetime(2023, 3, 1, tzinfo=SH), user=user)

    with frozen(datetime(2023, 3, 1, tzinfo=SH)):
        job_forfeit_awards(now=timezone.now())

    notified = set(Notification.objects.filter(kind="forfeited").values_list("user_id", flat=True))
    assert notified == set(award.enterprise.users.filter(is_active=True).values_list("pk", flat=True))
    assert len(notified) == 2


# --- end_dishonesty ------------------------------------------------------------------------------


def test_end_dishonesty_moves_expired_entries_off_the_list(world, make_enterprise):
    user = make_enterprise()
    start = datetime(2020, 3, 1, tzinfo=SH)
    ends = datetime(2023, 3, 1, tzinfo=SH)
    due = DishonestyEntry.objects.create(
        enterprise=user.enterprise, reason="统计违法", source="测试", starts_at=start, ends_at=ends
    )
    running = DishonestyEntry.objects.create(
        enterprise=user.enterprise, reason="虚假申报", source="测试", starts_at=start, ends_at=ends + timedelta(days=1)
    )
    repaired = DishonestyEntry.objects.create(
        enterprise=user.enterprise,
        reason="逾期未整改",
        source="测试",
        starts_at=start,
        ends_at=ends,
        ended_at=datetime(2022, 1, 1, tzinfo=SH),
        end_reason="信用修复",
    )

    with frozen(ends - timedelta(microseconds=1)):
        assert job_end_dishonesty(now=timezone.now()) == 0
    with frozen(ends + timedelta(hours=2)):
        assert job_end_dishonesty(now=timezone.now()) == 1
        assert job_end_dishonesty(now=timezone.now()) == 0

    for entry in (due, running, repaired):
        entry.refresh_from_db()
    assert (due.ended_at, due.end_reason) == (ends, "期满自动移出")
    assert (running.ended_at, running.end_reason) == (None, "")
    assert repaired.end_reason == "信用修复"
    assert len(inbox(user, "dishonesty_ended")) == 1


# --- reminders ------------------------------------------------------------------------------------


def test_draft_reminders_at_7_3_and_1_days_each_once(world, draft, submitted, make_enterprise):
    user = make_enterprise(users=2)
    application = draft(user)
    submitted()  # not a draft: never reminded

    sent = {}
    for day in (23, 24, 25, 25, 27, 29, 30, 31):
        with frozen(datetime(2023, 1, day, 8, 30, tzinfo=SH)):
            sent[day] = sent.get(day, 0) + job_remind_drafts(now=timezone.now())
    with frozen(CLOSES):
        assert job_remind_drafts(now=timezone.now()) == 0

    # Two users each: 7 days left on 1月25日, 3 on 1月29日, 1 on 1月31日 (the last day).
    assert sent == {23: 0, 24: 0, 25: 2, 27: 0, 29: 2, 30: 0, 31: 2}
    keys = sorted(Notification.objects.filter(user=user, kind="draft_reminder").values_list("dedupe_key", flat=True))
    assert keys == [f"draft-remind:{application.pk}:{d}" for d in (1, 3, 7)]
    titles = list(
        Notification.objects.filter(user=user, kind="draft_reminder").order_by("id").values_list("title", flat=True)
    )
    assert ["还剩7天" in titles[0], "还剩3天" in titles[1], "还剩1天" in titles[2]] == [True, True, True]
    assert "2023年01月31日 24:00" in Notification.objects.filter(user=user, kind="draft_reminder").first().body


def test_claim_reminders_each_threshold_once(world, make_award):
    deadline = datetime(2023, 3, 1, tzinfo=SH)
    award = make_award(deadline)
    user = award.enterprise.users.first()

    counts = []
    for day in (21, 22, 22, 24, 26, 27, 28):
        with frozen(datetime(2023, 2, day, 8, 30, tzinfo=SH)):
            counts.append(job_remind_claims(now=timezone.now()))

    assert counts == [0, 1, 0, 0, 1, 0, 1]
    award.refresh_from_db()
    assert award.last_reminded_days == 1
    assert [n.dedupe_key for n in inbox(user, "claim_reminder")] == [f"claim-remind:{award.pk}:{d}" for d in (7, 3, 1)]


def test_claimed_award_gets_no_reminder(world, make_award):
    award = make_award(datetime(2023, 3, 1, tzinfo=SH))
    with frozen(datetime(2023, 2, 21, 10, 0, tzinfo=SH)):
        award_claim(actor=award.enterprise.users.first(), award_id=award.pk, commitment_signed=True)
    with frozen(datetime(2023, 2, 28, 8, 30, tzinfo=SH)):
        assert job_remind_claims(now=timezone.now()) == 0


# --- run_all ----------------------------------------------------------------------------------------


def test_run_all_runs_every_job_and_records_a_job_run(world, draft, make_award):
    draft()
    make_award(datetime(2023, 3, 1, tzinfo=SH))
    now = datetime(2023, 3, 1, 0, 0, tzinfo=SH)

    with frozen(now):
        first = run_all(now=timezone.now())
        second = run_all(now=timezone.now())

    assert list(first) == list(JOB_LABELS)
    assert first["expire_drafts"] == 1 and first["forfeit_awards"] == 1
    assert set(second.values()) == {0}
    runs = list(JobRun.objects.order_by("id"))
    assert [r.changed for r in runs] == [first, second]
    assert all(r.as_of == now and r.finished_at is not None and r.error == "" for r in runs)


def test_run_all_refuses_a_naive_instant(db):
    with pytest.raises(ValueError):
        run_all(now=datetime(2023, 2, 1))


def test_nothing_to_do_before_any_deadline(world, draft):
    draft()
    with frozen(IN_WINDOW):
        assert set(run_all(now=timezone.now()).values()) == {0}
    assert not Application.objects.filter(state=State.EXPIRED).exists()
    assert not Award.objects.filter(state=AwardState.FORFEITED).exists()


def test_one_batch_with_several_deadlines_keeps_each_reason(world, make_award, settings):
    settings.DEADLINE_JOB_BATCH_SIZE = 100
    early = make_award(datetime(2023, 3, 1, tzinfo=SH))
    late = make_award(datetime(2023, 3, 2, 12, 30, tzinfo=SH))

    with frozen(datetime(2023, 3, 5, tzinfo=SH)):
        assert job_forfeit_awards(now=timezone.now()) == 2

    reasons = dict(AwardEvent.objects.filter(action="forfeit").values_list("award_id", "reason"))
    assert "2023年02月28日 24:00" in reasons[early.pk]
    assert "2023年03月02日 12:30" in reasons[late.pk]
    extras = dict(AwardEvent.objects.filter(action="forfeit").values_list("award_id", "extra"))
    assert extras[late.pk]["deadline"] == "2023-03-02T12:30:00+08:00"


def batch_limits(run) -> list[int]:
    """The LIMIT of every batch query (SELECT … FOR UPDATE SKIP LOCKED) issued while `run()`."""
    limits: list[int] = []

    def watch(execute, sql, params, many, context):
        if "FOR UPDATE" in sql and "LIMIT" in sql:
            limits.append(int(sql.rsplit("LIMIT", 1)[1].split()[0]))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        run()
    return limits


@pytest.mark.postgres
def test_batches_shrink_when_slow_and_grow_when_fast(world, settings):
    bulk_due_awards(world, 1500, datetime(2023, 3, 1, tzinfo=SH))
    settings.DEADLINE_JOB_BATCH_SIZE = 5000
    settings.DEADLINE_JOB_BATCH_SECONDS = 1e-9  # every batch "too slow": down to the minimum

    slow = batch_limits(lambda: job_forfeit_awards(now=datetime(2023, 3, 1, tzinfo=SH)))

    assert slow == [1000, 100, 100, 100, 100, 100, 100]  # 1000 + 5 × 100, then an empty query
    assert Award.objects.filter(state=AwardState.FORFEITED).count() == 1500


@pytest.mark.postgres
def test_batches_grow_at_most_twofold_up_to_the_cap(world, settings):
    bulk_due_awards(world, 3500, datetime(2023, 3, 1, tzinfo=SH))
    settings.DEADLINE_JOB_BATCH_SIZE = 2500
    settings.DEADLINE_JOB_BATCH_SECONDS = 1000  # every batch "fast"

    fast = batch_limits(lambda: job_forfeit_awards(now=datetime(2023, 3, 1, tzinfo=SH)))

    assert fast == [1000, 2000, 2500, 2500]  # 1000 + 2000 + the last 500, then an empty query
    assert AwardEvent.objects.filter(action="forfeit").count() == 3500


def test_a_case_flagged_in_review_is_flagged_again_when_its_resubmission_waits_too_long(world, accepted):
    application = accepted(at=datetime(2023, 2, 6, 9, 0, tzinfo=SH))
    with frozen(datetime(2023, 2, 21, 0, 0, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 1  # overdue in district review
    with frozen(datetime(2023, 2, 22, 9, 0, tzinfo=SH)):
        application_return(actor=world.reviewer, application_id=application.pk, reason="请补充材料。")
    with frozen(datetime(2023, 2, 23, 9, 0, tzinfo=SH)):
        application_resubmit(actor=application.created_by, application_id=application.pk)

    # Resubmitted Thursday 2月23日; 10 working days later (3月9日) it waits too long again.
    with frozen(datetime(2023, 3, 10, 0, 0, tzinfo=SH)):
        assert job_flag_overdue_reviews(now=timezone.now()) == 1


def test_every_batch_logs_its_rows_and_duration_and_each_award_gets_one_history_row(world, settings, caplog):
    awards = bulk_due_awards(world, 250, datetime(2023, 3, 1, tzinfo=SH))
    settings.DEADLINE_JOB_BATCH_SIZE = 100
    settings.DEADLINE_JOB_BATCH_SECONDS = 1000

    with caplog.at_level("DEBUG", logger="deadlines.jobs"):
        assert job_forfeit_awards(now=datetime(2023, 3, 1, tzinfo=SH)) == 250

    batches = [(r.batch_rows, r.batch_s) for r in caplog.records if hasattr(r, "batch_s")]
    assert [rows for rows, _ in batches] == [100, 100, 50]
    assert all(0 < seconds < 60 for _, seconds in batches)
    history = AwardEvent.objects.filter(action="forfeit", award__in=awards)
    assert history.count() == history.values("award").distinct().count() == 250
    assert set(history.values_list("from_state", "to_state", "actor")) == {("claimable", "forfeited", None)}
    assert Notification.objects.filter(kind="forfeited", dedupe_key__startswith="forfeited:").count() == 250
