"""Late-payment penalty: a rate per day of delay on the unpaid principal, for at most a cap of
days (0.06 % a day, at most 365 days, unless the year's fiscal package says otherwise)."""

from datetime import date
from decimal import Decimal

from sportel.core.money import to_money

DEFAULT_RATE = Decimal("0.0006")
DEFAULT_CAP_DAYS = 365


def days_late(due: date, on: date, cap_days: int = DEFAULT_CAP_DAYS) -> int:
    return max(0, min((on - due).days, cap_days))


def penalty(
    principal: Decimal,
    due: date,
    on: date,
    *,
    rate: Decimal = DEFAULT_RATE,
    cap_days: int = DEFAULT_CAP_DAYS,
) -> Decimal:
    """The penalty owed on ``on`` for ``principal`` unpaid since ``due`` (0 when not late)."""
    if principal <= 0:
        return Decimal("0.00")
    return to_money(to_money(principal) * rate * days_late(due, on, cap_days))


def aging_bucket(due: date, on: date) -> str:
    """Which arrears column a debt falls in: current, 1-30, 31-90, 91-365, over 365 days."""
    late = (on - due).days
    if late <= 0:
        return "current"
    if late <= 30:
        return "1-30"
    if late <= 90:
        return "31-90"
    if late <= 365:
        return "91-365"
    return "365+"
