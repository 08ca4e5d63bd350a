"""Money in Albanian lek (ALL, ISO 4217, 2 decimals): Decimal only, ROUND_HALF_UP per line."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "ALL"
CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a Decimal, int or str")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_all(value: Decimal, language: str | None = None) -> str:
    """An amount as a reader of ``language`` (default: the active language) writes it:
    Albanian ``1 234,50 ALL`` (grouping with a space, decimal comma), English ``1,234.50 ALL``
    (grouping with a comma, decimal point). Machine-readable files (CSV, JSON) never use this:
    they write the plain ``1234.50``."""
    if language is None:
        from django.utils import translation

        language = translation.get_language() or "sq"
    english = language.split("-")[0] == "en"
    amount = to_money(value)
    whole, _, cents = f"{amount:.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    if english:
        return f"{sign}{','.join(groups)}.{cents} {CURRENCY}"
    return f"{sign}{' '.join(groups)},{cents} {CURRENCY}"
