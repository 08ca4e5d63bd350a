"""Deadlines in Albanian working days: real holidays, suspensions, extensions, due-soon/overdue."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from sportel.core.calendar import TIRANE
from sportel.services import deadlines, services
from sportel.services.deadlines import DUE_SOON, ON_TIME, OVERDUE

from .factories import submit


def at(day: str, hour: int = 10):
    return time_machine.travel(
        dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=TIRANE), tick=False
    )


def test_ten_working_days_skip_independence_and_liberation_day_and_youth_day(shkoder, citizen):
    # 28 and 29 Nov 2026 fall on a weekend: the holidays move to Mon 30 Nov and Tue 1 Dec;
    # 8 Dec is National Youth Day.
    with at("2026-11-26"):
        case = submit(shkoder, citizen, "public-information-request")
    assert case.legal_end == dt.date(2026, 12, 15)
    assert case.planned_end == dt.date(2026, 12, 15)


def test_deadline_across_both_easters(shkoder, citizen):
    # Catholic Easter 5 Apr 2026 (observed Mon 6 Apr), Orthodox Easter 12 Apr (Mon 13 Apr).
    with at("2026-04-02"):
        case = submit(shkoder, citizen, "public-information-request")
    assert case.legal_end == dt.date(2026, 4, 20)


def test_deadline_across_bajram_and_nevruz(shkoder, citizen):
    # Eid al-Fitr Fri 20 Mar 2026, Nowruz 22 Mar observed Mon 23 Mar.
    with at("2026-03-18"):
        case = submit(shkoder, citizen, "tax-clearance-certificate")
    assert case.legal_end == dt.date(2026, 3, 19)
    with at("2026-03-19"):
        case = submit(shkoder, citizen, "tax-clearance-certificate")
    assert case.legal_end == dt.date(2026, 3, 24)


def test_deadline_across_kurban_bajram(shkoder, citizen):
    # Eid al-Adha Wed 27 May 2026.
    with at("2026-05-22"):
        case = submit(shkoder, citizen, "public-information-request")
    # 25, 26, (27 holiday), 28, 29, 1, 2, 3, 4, 5, 8 June
    assert case.legal_end == dt.date(2026, 6, 8)


def test_suspension_pushes_both_ends_by_the_working_days_it_lasted(shkoder, citizen, specialist):
    with at("2026-11-26"):
        case = submit(shkoder, citizen, "public-information-request")
        services.assign(case, actor=specialist, assignee=specialist)
        services.start_work(case, actor=specialist)
    with at("2026-11-27"):
        services.request_info(case, actor=specialist, message="Saktësoni periudhën.")
        assert case.suspended_since == dt.date(2026, 11, 27)
    # Suspended Fri 27 Nov; 30 Nov and 1 Dec are holidays; answered Fri 4 Dec: Wed, Thu, Fri.
    with at("2026-12-04"):
        services.answer_info(case, actor=citizen, message="Viti 2025.")
    case.refresh_from_db()
    assert case.suspended_days == 3
    assert case.legal_end == dt.date(2026, 12, 18)
    assert case.planned_end == dt.date(2026, 12, 18)
    assert case.suspended_since is None
    assert case.events.get(action="answer_info").data["suspended_days"] == 3


def test_an_answer_the_same_day_costs_no_days(shkoder, citizen, specialist):
    with at("2026-11-26"):
        case = submit(shkoder, citizen, "public-information-request")
        services.assign(case, actor=specialist, assignee=specialist)
        services.start_work(case, actor=specialist)
        services.request_info(case, actor=specialist, message="Saktësoni.")
    with at("2026-11-26", hour=16):
        services.answer_info(case, actor=citizen, message="Ja.")
    case.refresh_from_db()
    assert case.legal_end == dt.date(2026, 12, 15)


def test_the_clock_is_paused_while_suspended(shkoder, citizen, specialist):
    with at("2026-11-26"):
        case = submit(shkoder, citizen, "public-information-request")
        services.assign(case, actor=specialist, assignee=specialist)
        services.start_work(case, actor=specialist)
        services.request_info(case, actor=specialist, message="Saktësoni.")
    # Weeks later the case is still not overdue: the legal end moves with the suspension.
    with at("2027-01-20"):
        _planned, legal = deadlines.effective_ends(case)
        assert legal > dt.date(2027, 1, 20)
        assert case.deadline_state() == ON_TIME


def test_extension_moves_the_legal_end_within_the_maximum(shkoder, citizen, specialist):
    with at("2026-11-26"):
        case = submit(shkoder, citizen, "public-information-request")
        services.assign(case, actor=specialist, assignee=specialist)
        services.start_work(case, actor=specialist)
        services.extend(case, actor=specialist, days=3, reason="Informacioni është në arkiv.")
    assert case.legal_end == dt.date(2026, 12, 18)
    assert case.planned_end == dt.date(2026, 12, 15)
    with pytest.raises(ValidationError) as refused:
        services.extend(case, actor=specialist, days=3, reason="Edhe pak.")
    assert "days" in refused.value.message_dict
    case.refresh_from_db()
    assert case.legal_end == dt.date(2026, 12, 18)
    services.extend(case, actor=specialist, days=2, reason="Edhe pak.")
    assert case.legal_end == dt.date(2026, 12, 22)


def test_a_service_without_extension_refuses_it(shkoder, citizen, specialist):
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    services.assign(case, actor=specialist, assignee=specialist)
    services.start_work(case, actor=specialist)
    with pytest.raises(ValidationError):
        services.extend(case, actor=specialist, days=1, reason="Nevojitet.")


@pytest.mark.parametrize(
    ("today", "state"),
    [
        ("2026-12-10", ON_TIME),  # 11, 14, 15 Dec left: three working days
        ("2026-12-11", DUE_SOON),  # 14 and 15 Dec left
        ("2026-12-15", DUE_SOON),  # the last day
        ("2026-12-16", OVERDUE),
    ],
)
def test_on_time_due_soon_overdue(shkoder, citizen, today, state):
    with at("2026-11-26"):
        case = submit(shkoder, citizen, "public-information-request")
    with at(today):
        assert case.deadline_state() == state


def test_a_case_decided_late_stays_overdue_after_closing(shkoder, citizen, specialist):
    with at("2026-11-26"):
        case = submit(shkoder, citizen, "public-information-request")
        services.assign(case, actor=specialist, assignee=specialist)
        services.start_work(case, actor=specialist)
    with at("2026-12-17"):
        services.decide(case, actor=specialist, approve=True)
        services.close(case, actor=specialist)
    with at("2027-02-01"):
        assert case.deadline_state() == OVERDUE


def test_a_case_number_starts_again_each_year(shkoder, citizen):
    with at("2026-12-31", hour=23):
        last = submit(shkoder, citizen, "public-information-request")
    with at("2027-01-04"):
        first = submit(shkoder, citizen, "public-information-request")
    assert last.number.startswith("SHK-2026-")
    assert first.number == "SHK-2027-000001"
