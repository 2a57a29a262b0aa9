"""Working days (deadlines/workdays.py): the State Council's holiday schedule through the
chinese-calendar package, overridden by the CalendarDay table officials keep in the admin."""

import logging
from datetime import date, datetime

import pytest

from applications.services import application_accept
from deadlines.models import CalendarDay
from deadlines.workdays import _warn_unknown, add_working_days, is_workday, package_knows

from .conftest import SH, frozen


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, 调休上班 for 国庆
        (date(2025, 10, 1), False),  # 国庆节
        (date(2025, 10, 6), False),  # 中秋节 inside the 国庆 break
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, 调休上班
        (date(2025, 10, 12), False),  # Sunday
    ],
)
def test_national_day_2025_follows_the_state_council_schedule(db, day, working):
    assert is_workday(day) is working


def test_ten_working_days_across_national_day_2025(db):
    # Accepted Friday 9月26日. Counted: 9月28日(日,调休), 29日, 30日, 10月9日, 10日, 11日(六,调休),
    # 13日, 14日, 15日, 16日: due by the end of Thursday 10月16日.
    deadline = add_working_days(datetime(2025, 9, 26, 15, 30, tzinfo=SH), 10)

    assert deadline == datetime(2025, 10, 17, 0, 0, tzinfo=SH)
    # Mon–Fri alone would have ended the limit on 10月10日, in the middle of the schedule's logic.
    assert deadline != datetime(2025, 10, 11, 0, 0, tzinfo=SH)


def test_review_deadline_at_acceptance_uses_working_days(world, submitted):
    application = submitted()
    world.round.review_working_days = 10
    world.round.save()
    with frozen(datetime(2025, 9, 26, 15, 30, tzinfo=SH)):
        application = application_accept(actor=world.reviewer, application_id=application.pk)
    assert application.review_deadline == datetime(2025, 10, 17, 0, 0, tzinfo=SH)


def test_a_calendar_day_wins_over_the_package(db):
    CalendarDay.objects.create(day=date(2025, 10, 9), is_workday=False, name="测试：临时放假")

    assert is_workday(date(2025, 10, 9)) is False
    assert add_working_days(datetime(2025, 9, 26, tzinfo=SH), 10) == datetime(2025, 10, 18, 0, 0, tzinfo=SH)


def test_overrides_cover_a_year_the_package_does_not_know(db, caplog):
    assert not package_knows(2030)
    friday = datetime(2030, 1, 4, 10, 0, tzinfo=SH)
    _warn_unknown.cache_clear()
    with caplog.at_level(logging.WARNING, logger="deadlines.workdays"):
        plain = add_working_days(friday, 1)
    assert plain == datetime(2030, 1, 8, 0, 0, tzinfo=SH)  # Monday 1月7日: Mon–Fri fallback
    assert "2030 年的法定节假日安排未收录" in caplog.text

    CalendarDay.objects.bulk_create(
        [
            CalendarDay(day=date(2030, 1, 1), is_workday=False, name="元旦"),
            CalendarDay(day=date(2030, 1, 5), is_workday=True, name="调休上班"),
        ]
    )

    assert is_workday(date(2030, 1, 1)) is False
    assert is_workday(date(2030, 1, 5)) is True
    assert add_working_days(friday, 1) == datetime(2030, 1, 6, 0, 0, tzinfo=SH)  # Saturday 1月5日 counts
    assert add_working_days(datetime(2029, 12, 31, 10, 0, tzinfo=SH), 1) == datetime(2030, 1, 3, 0, 0, tzinfo=SH)


def test_start_day_does_not_count_and_late_evening_is_still_that_day(db):
    # 23:30 on Monday 2025-09-22 in Beijing (15:30 UTC): 1 working day → end of Tuesday.
    assert add_working_days(datetime(2025, 9, 22, 23, 30, tzinfo=SH), 1) == datetime(2025, 9, 24, 0, 0, tzinfo=SH)
