"""Money in Albanian lek (ALL, ISO 4217, 2 decimals): Decimal only, ROUND_HALF_UP per line."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "ALL"
CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a Decimal, int or str")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_all(value: Decimal) -> str:
    """``1234.5`` → ``1 234,50 ALL`` (Albanian grouping with a narrow space)."""
    amount = to_money(value)
    whole, _, cents = f"{amount:.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{cents} {CURRENCY}"
