"""Chinese working days: weekends off, official holidays off, 调休 weekends on.

The chinese-calendar package knows the State Council's schedule for the years it ships; the
CalendarDay table overrides it and covers years the package does not know yet.
"""
from datetime import date, datetime, timedelta

from common.timeutil import SHANGHAI, end_of_day_exclusive


def _overrides(start: date, end: date) -> dict[date, bool]:
    from .models import CalendarDay

    return dict(CalendarDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "is_workday"))


def _package_is_workday(day: date) -> bool:
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (NotImplementedError, ImportError):
        return day.weekday() < 5


def is_workday(day: date) -> bool:
    override = _overrides(day, day).get(day)
    return override if override is not None else _package_is_workday(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The deadline `days` working days after `start`: the end of the last of those working days.

    The day `start` falls on does not count (a case accepted on Monday with 1 working day is due
    by the end of Tuesday, if Tuesday is a working day).
    """
    first = start.astimezone(SHANGHAI).date()
    horizon = first + timedelta(days=days * 3 + 30)
    overrides = _overrides(first, horizon)
    day, counted = first, 0
    while counted < days:
        day += timedelta(days=1)
        workday = overrides.get(day)
        if workday is None:
            workday = _package_is_workday(day)
        if workday:
            counted += 1
    return end_of_day_exclusive(day)
