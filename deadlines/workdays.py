"""Chinese working days: weekends off, official holidays off, 调休 weekends on.

The chinese-calendar package knows the State Council's schedule for the years it ships (2004 to
2026 in 1.11.0); the CalendarDay table overrides it and covers years the package does not know
yet. For a year neither knows, Monday to Friday count as working days and a warning is logged
once per year, so officials can add that year's rows in the admin (期限与定时任务 › 节假日与调休).

Callers: applications.services (review deadlines at 受理 and 市级退回), deadlines.jobs (the
deadline of cases not yet accepted). Reads only; no side effects apart from the log.
"""

import logging
from datetime import date, datetime, timedelta
from functools import cache

from common.timeutil import SHANGHAI, end_of_day_exclusive

logger = logging.getLogger(__name__)


def _overrides(start: date, end: date) -> dict[date, bool]:
    from .models import CalendarDay

    return dict(CalendarDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "is_workday"))


@cache
def package_knows(year: int) -> bool:
    """Does the installed chinese-calendar package hold the official schedule of `year`?"""
    try:
        import chinese_calendar

        chinese_calendar.is_workday(date(year, 6, 1))
    except (NotImplementedError, ImportError):
        return False
    return True


@cache
def _warn_unknown(year: int) -> None:
    logger.warning(
        "工作日历：%s 年的法定节假日安排未收录（chinese-calendar 未包含，节假日与调休表中也没有），"
        "暂按周一至周五计算工作日。",
        year,
    )


def _package_is_workday(day: date, *, overridden_years: frozenset[int] = frozenset()) -> bool:
    if package_knows(day.year):
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    if day.year not in overridden_years:
        _warn_unknown(day.year)
    return day.weekday() < 5


def is_workday(day: date) -> bool:
    """Is `day` a working day in mainland China? A CalendarDay row wins over the package."""
    override = _overrides(day, day).get(day)
    return override if override is not None else _package_is_workday(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The deadline `days` working days after `start`: the end of the last of those working days,
    as the first instant after it (aware, Asia/Shanghai; "at or after it" is overdue).

    The day `start` falls on (in Shanghai) does not count: a case accepted on Monday with 1
    working day is due by the end of Tuesday, if Tuesday is a working day. Uses one query for
    the CalendarDay rows of the whole span.
    """
    first = start.astimezone(SHANGHAI).date()
    horizon = first + timedelta(days=days * 3 + 30)
    overrides = _overrides(first, horizon)
    years = frozenset(d.year for d in overrides)
    day, counted = first, 0
    while counted < days:
        day += timedelta(days=1)
        workday = overrides.get(day)
        if workday is None:
            workday = _package_is_workday(day, overridden_years=years)
        if workday:
            counted += 1
    return end_of_day_exclusive(day)
