"""Case deadlines in Albanian working days (``sportel.core.calendar``).

- The clock starts the day a case is submitted: the planned end is ``service_norm_days`` working
  days later, the legal end ``legal_deadline_days`` working days later (the submission day itself
  never counts, as in ``add_working_days``).
- A request for information suspends the clock on day S; the answer on day R resumes it and pushes
  both ends by the working days after S up to and including R (an answer the same day costs
  nothing). While suspended, the ends are shown pushed by the days suspended so far.
- An extension moves the legal end (not the planned end) by its working days.
- State: ``overdue`` after the legal end, ``due_soon`` with ≤ 2 working days left, else ``on_time``;
  ``no_deadline`` for a case whose service has no legal deadline (never "on time": there is no
  time to be on). A finished case keeps the state it finished in (decided on time or late).
"""

import datetime as dt

from sportel.core.calendar import TIRANE, add_working_days, local_today, working_days_between

ON_TIME = "on_time"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
NO_DEADLINE = "no_deadline"
DUE_SOON_DAYS = 2


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(TIRANE).date()


def initial_ends(version, submitted_on: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(planned end, legal end) for a case of ``version`` submitted on ``submitted_on``."""
    legal = (
        add_working_days(submitted_on, version.legal_deadline_days)
        if version.legal_deadline_days is not None
        else None
    )
    norm = version.service_norm_days
    planned = add_working_days(submitted_on, norm) if norm is not None else legal
    if planned and legal and planned > legal:
        planned = legal
    return planned, legal


def suspended_working_days(since: dt.date, until: dt.date) -> int:
    """Working days the clock stood still: after ``since`` up to and including ``until``."""
    return max(0, working_days_between(since, until))


def push(day: dt.date | None, working_days: int) -> dt.date | None:
    return add_working_days(day, working_days) if day and working_days else day


def effective_ends(case, today: dt.date | None = None) -> tuple[dt.date | None, dt.date | None]:
    """The ends as they stand today: pushed by the current suspension, if any."""
    today = today or local_today()
    if case.suspended_since:
        days = suspended_working_days(case.suspended_since, today)
        return push(case.planned_end, days), push(case.legal_end, days)
    return case.planned_end, case.legal_end


def state_for(legal_end: dt.date | None, on: dt.date) -> str:
    if legal_end is None:
        return NO_DEADLINE
    if on > legal_end:
        return OVERDUE
    if working_days_between(on, legal_end) <= DUE_SOON_DAYS:
        return DUE_SOON
    return ON_TIME


def deadline_state(case, today: dt.date | None = None) -> str:
    """on_time / due_soon / overdue for an open case; finished cases by when they finished."""
    from .workflow import OPEN_STATES

    if case.status not in OPEN_STATES:
        finished = case.decided_at or case.closed_at or case.status_changed_at
        _planned, legal = case.planned_end, case.legal_end
        if legal is None:
            return NO_DEADLINE
        if finished and local_date(finished) > legal:
            return OVERDUE
        return ON_TIME
    _planned, legal = effective_ends(case, today)
    return state_for(legal, today or local_today())
