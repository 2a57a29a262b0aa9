"""Time helpers. Every datetime is timezone-aware; business dates are Asia/Shanghai dates."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return timezone.now()


def local_date(moment: datetime | None = None) -> date:
    return (moment or timezone.now()).astimezone(SHANGHAI).date()


def start_of_day(day: date) -> datetime:
    """00:00:00 of `day` in Shanghai, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def end_of_day_exclusive(day: date) -> datetime:
    """The first instant after `day` ends in Shanghai: "截至1月31日" means before this instant."""
    return start_of_day(day + timedelta(days=1))
