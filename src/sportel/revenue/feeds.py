"""The statistics feed the open data module publishes: billed, collected and the collection
rate per year, tax head and administrative unit. No personal data: amounts are aggregates, and
rows with fewer taxpayers than the disclosure threshold have their amounts suppressed (an
amount billed to three taxpayers says too much about each of them)."""

from collections import defaultdict

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from sportel.core.feeds import Feed, Field, register_feed
from sportel.core.money import to_money

from . import ledger
from .models import Account, Demand, cents_to_money
from .selectors import BILLED, CHARGE_CODES, COLLECTED


def rows(municipality) -> list[dict]:
    unit = "demand__property__unit__name"
    sums = (
        ledger.lines_of(municipality)
        .filter(account=Account.RECEIVABLE, demand__isnull=False)
        .exclude(tax_head__code__in=CHARGE_CODES)
        .values("demand__invoice__year", "tax_head__code", unit, "transaction__kind")
        .annotate(total=Sum("cents"))
    )
    billed, collected = defaultdict(int), defaultdict(int)
    for row in sums:
        key = (row["demand__invoice__year"], row["tax_head__code"], row[unit] or "")
        if row["transaction__kind"] in BILLED:
            billed[key] += row["total"]
        elif row["transaction__kind"] in COLLECTED:
            collected[key] -= row["total"]
    payers = {
        (r["invoice__year"], r["tax_head__code"], r["property__unit__name"] or ""): r["n"]
        for r in Demand.objects.filter(municipality=municipality, superseded_by__isnull=True)
        .values("invoice__year", "tax_head__code", "property__unit__name")
        .annotate(n=Count("invoice", distinct=True))
    }
    out = []
    for key in sorted(set(billed) | set(collected)):
        year, head, unit_name = key
        b, c = cents_to_money(billed[key]), cents_to_money(collected[key])
        out.append(
            {
                "year": year,
                "tax_head": head,
                "unit": unit_name,
                "taxpayers": payers.get(key, 0),
                "billed": float(b),
                "collected": float(c),
                "collection_rate": float(to_money(c * 100 / b)) if b > 0 else None,
            }
        )
    return out


register_feed(
    Feed(
        name="local-tax-collection",
        module="revenue",
        title=_("Local taxes and fees: billed, collected and collection rate"),
        description=_(
            "Per year, tax head and administrative unit: the amount billed after corrections, "
            "the amount paid against those bills, and the collection rate (collected ÷ billed), "
            "from the municipality's ledger."
        ),
        theme="ECON",
        frequency="DAILY",
        fields=[
            Field("year", "year", _("Year"), key=True),
            Field("tax_head", "string", _("Tax or fee"), key=True),
            Field("unit", "string", _("Administrative unit"), key=True),
            Field("taxpayers", "integer", _("Taxpayers billed"), count=True),
            Field("billed", "number", _("Billed (ALL)"), population="taxpayers"),
            Field("collected", "number", _("Collected (ALL)"), population="taxpayers"),
            Field("collection_rate", "number", _("Collection rate (%)"), population="taxpayers"),
        ],
        rows=rows,
        keywords=("taksa vendore", "local taxes", "collection rate"),
    )
)
