"""Working days in Albania: Monday to Friday, less the public holidays of law 7651/1992.

Holidays come from the ``holidays`` package (both Easters, both Bajrams, 28–29 November, and the
days the government moves a holiday to when it falls on a weekend). Everything is in Europe/Tirane.
"""

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

TIRANE = ZoneInfo("Europe/Tirane")


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("AL", years=year, language="sq"))


def holiday_name(day: dt.date) -> str | None:
    """The name of the public holiday on ``day`` (in Albanian), or None."""
    return _holidays_for(day.year).get(day)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The date ``n`` working days after ``start`` (``start`` itself never counts).

    ``add_working_days(friday, 1)`` is the next Monday that is not a holiday. A negative ``n``
    counts backwards. ``n == 0`` returns ``start`` unchanged.
    """
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    day = start
    while remaining:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if end < start)."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the next one."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def local_today() -> dt.date:
    return dt.datetime.now(TIRANE).date()
