import datetime as dt

from sportel.core.calendar import (
    add_working_days,
    holiday_name,
    is_working_day,
    working_days_between,
)

D = dt.date


def test_independence_and_liberation_days_are_not_working_days():
    # 28 November 2025 (Independence) is a Friday, 29 November (Liberation) a Saturday;
    # the government moved the Saturday holiday to Monday 1 December.
    assert holiday_name(D(2025, 11, 28))
    assert not is_working_day(D(2025, 11, 28))
    assert not is_working_day(D(2025, 12, 1))
    # Thursday 27 Nov + 1 working day skips Fri 28, the weekend and Mon 1 Dec.
    assert add_working_days(D(2025, 11, 27), 1) == D(2025, 12, 2)


def test_both_easters_are_holidays():
    # 2026: Catholic Easter 5 April, Orthodox Easter 12 April; the Mondays after are days off.
    assert not is_working_day(D(2026, 4, 6))
    assert not is_working_day(D(2026, 4, 13))
    assert add_working_days(D(2026, 4, 3), 1) == D(2026, 4, 7)


def test_bajram_is_a_holiday():
    # Eid al-Fitr (Bajrami i Madh) 2025 fell on Sunday 30 March; Monday 31 March was off.
    assert not is_working_day(D(2025, 3, 31))
    # Eid al-Adha (Kurban Bajrami) 2025: Friday 6 June.
    assert not is_working_day(D(2025, 6, 6))


def test_ten_working_days_for_a_public_information_request_across_the_november_holidays():
    # Law 119/2014: 10 working days. Filed Tuesday 25 Nov 2025: the clock skips 28 Nov,
    # 1 Dec (Liberation Day moved from Saturday) and 8 Dec (Youth Day).
    assert add_working_days(D(2025, 11, 25), 10) == D(2025, 12, 12)


def test_working_days_between_counts_the_end_not_the_start():
    assert working_days_between(D(2026, 11, 23), D(2026, 11, 27)) == 4
    assert working_days_between(D(2026, 11, 27), D(2026, 11, 23)) == -4
