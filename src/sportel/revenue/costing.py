"""The tariff costing instrument: from what a service costs to the tariff that recovers it.

A household pays one share, a business ``weight`` shares (the council decides how much more a
business pays for the same service). With ``rate`` the share of bills the municipality expects
to collect (percent), the tariff per household is::

    cost / ((households + businesses × weight) × rate / 100)

rounded *up* to the whole lek, and a business pays ``weight`` times the unrounded household
tariff, also rounded up. Rounding up means that at the expected rate what is collected covers
the cost: ``(household × households + business × businesses) × rate / 100 >= cost``.

Pure ``Decimal`` arithmetic, no database: the views and the tests call it directly.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from sportel.core.money import to_money

HUNDRED = Decimal(100)
LEK = Decimal(1)
MAX_AMOUNT = Decimal("999999999999.99")  # what Decimal(14, 2) holds
MAX_PAYERS = 10_000_000
MAX_WEIGHT = Decimal(1000)


class CostingError(ValueError):
    """Bad input; ``str(error)`` is the translated sentence to show the clerk."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def parse_amount(text, *, label: str = "") -> Decimal:
    """A lek amount typed by staff ("1 250 000", "1250000.50", "1250000,50") → Decimal."""
    cleaned = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CostingError(
            _("“%(label)s”: the amount “%(value)s” is not a number.")
            % {"label": label, "value": text}
        ) from None
    if not value.is_finite():
        raise CostingError(
            _("“%(label)s”: the amount “%(value)s” is not a number.")
            % {"label": label, "value": text}
        )
    if value < 0:
        raise CostingError(
            _("“%(label)s”: a cost cannot be negative (%(value)s).")
            % {"label": label, "value": text}
        )
    if value > MAX_AMOUNT:
        raise CostingError(_("“%(label)s”: the amount is too large.") % {"label": label})
    return to_money(value)


def parse_rate(text) -> Decimal:
    """A collection rate in percent ("82", "82.5", "82,5 %") → Decimal in (0, 100]."""
    cleaned = str(text).strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CostingError(
            _("The collection rate “%(value)s” is not a number.") % {"value": text}
        ) from None
    if value.is_finite() and value.adjusted() < 4:
        value = value.quantize(Decimal("0.01"))  # what is stored and used: checked after
    check_rate(value)
    return value


def check_rate(rate: Decimal) -> None:
    if not rate.is_finite() or rate <= 0 or rate > HUNDRED:
        raise CostingError(
            _("A collection rate must be more than 0 %% and at most 100 %% (not %(value)s %%).")
            % {"value": rate}
        )


def check_payers(households: int, businesses: int, weight: Decimal) -> None:
    if households < 0 or businesses < 0:
        raise CostingError(_("The number of payers cannot be negative."))
    if households > MAX_PAYERS or businesses > MAX_PAYERS:
        raise CostingError(_("The number of payers is too large."))
    if households + businesses == 0:
        raise CostingError(
            _("There are no payers: enter the number of households or of businesses.")
        )
    if not weight.is_finite() or weight <= 0 or weight > MAX_WEIGHT:
        raise CostingError(
            _("A business's share must be more than 0 and at most 1000 households' shares.")
        )


def _up(value: Decimal) -> Decimal:
    return value.quantize(LEK, rounding=ROUND_CEILING)


@dataclass(frozen=True)
class Scenario:
    rate: Decimal  # percent
    household: Decimal  # lek a year, whole
    business: Decimal
    collected: Decimal  # what these tariffs bring in at this rate
    label: str = ""


def tariffs(
    cost: Decimal,
    households: int,
    businesses: int,
    rate: Decimal,
    *,
    weight: Decimal = LEK,
    label: str = "",
) -> Scenario:
    """The tariffs that recover ``cost`` when ``rate`` percent of the bills is paid."""
    if cost < 0:
        raise CostingError(_("A cost cannot be negative."))
    check_payers(households, businesses, weight)
    check_rate(rate)
    shares = Decimal(households) + Decimal(businesses) * weight
    exact = cost * HUNDRED / (shares * rate)
    household = _up(exact)
    business = _up(exact * weight)
    billed = household * households + business * businesses
    collected = to_money(billed * rate / HUNDRED)
    return Scenario(rate, household, business, collected, label)


def total(costs) -> Decimal:
    return sum((Decimal(c) for c in costs), Decimal("0.00"))
