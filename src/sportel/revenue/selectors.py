"""Reads for pages, exports and the statistics feed: every figure from the ledger.

The collection rate of a year, per tax head: what was paid against that year's bills divided by
what was billed for that year after corrections. Both from the taxpayers' receivable lines of
demands of that year: billed = assessment and revision postings; collected = allocations of
payments, less reversals. Payments not yet matched to a taxpayer and credit (overpayments) are
not counted as collected.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from sportel.core.money import to_money

from . import ledger
from .models import (
    Account,
    AssessmentRun,
    CashSession,
    FiscalPackage,
    Invoice,
    LedgerTransaction,
    Payment,
    Statement,
    TaxHead,
    cents_to_money,
)

RATE_DEFINITION = gettext_lazy(
    "The collection rate is what was paid against this year's bills divided by what was billed "
    "for this year after corrections. Both come from the ledger. Payments not yet matched to a "
    "taxpayer and overpayments (credit) are not counted as collected; payments against earlier "
    "years' bills count for those years."
)
# The tax heads of booked late-payment penalties and delay interest (revenue.penalties).
CHARGE_CODES = ("late-penalty", "delay-interest")
BILLED = (LedgerTransaction.Kind.ASSESSMENT, LedgerTransaction.Kind.REVISION)
COLLECTED = (LedgerTransaction.Kind.ALLOCATION, LedgerTransaction.Kind.REVERSAL)


@dataclass
class Row:
    key: str
    label: str
    billed: Decimal
    collected: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.billed - self.collected

    @property
    def rate(self) -> Decimal | None:
        if self.billed <= 0:
            return None
        return to_money(self.collected * 100 / self.billed)


def collection(municipality, year: int, *, by: str = "tax_head", language: str = "sq") -> list[Row]:
    """Billed, collected and the rate for ``year``, by tax head (or administrative unit)."""
    # Penalties and delay interest are not bills: they stay out of the rate (decision 0031).
    lines = (
        ledger.lines_of(municipality)
        .filter(account=Account.RECEIVABLE, demand__invoice__year=year)
        .exclude(tax_head__code__in=CHARGE_CODES)
    )
    if by == "tax_head":
        group = "tax_head"
    else:
        # A property's unit, else (a business's tariffs) the unit of its premises.
        group = "unit"
        lines = lines.annotate(unit=Coalesce("demand__property__unit", "demand__premises__unit"))
    rows = lines.values(group, "transaction__kind").annotate(total=Sum("cents"))
    billed, collected = defaultdict(int), defaultdict(int)
    for row in rows:
        if row["transaction__kind"] in BILLED:
            billed[row[group]] += row["total"]
        elif row["transaction__kind"] in COLLECTED:
            collected[row[group]] -= row["total"]
    if by == "tax_head":
        names = {
            h.pk: (h.code, h.name_sq if language == "sq" else h.name_en)
            for h in TaxHead.objects.filter(municipality=municipality)
        }
    else:
        names = {u.pk: (u.slug, u.name) for u in municipality.units.all()}
    out = [
        Row(
            *names.get(key, ("-", "—")),
            cents_to_money(billed[key]),
            cents_to_money(collected[key]),
        )
        for key in sorted(set(billed) | set(collected), key=lambda k: (k is None, k or 0))
    ]
    return out


def totals(rows: list[Row]) -> Row:
    return Row(
        "total",
        "",
        sum((r.billed for r in rows), Decimal("0.00")),
        sum((r.collected for r in rows), Decimal("0.00")),
    )


def years(municipality) -> list[int]:
    return list(
        FiscalPackage.objects.filter(municipality=municipality).values_list("year", flat=True)
    )


def packages(municipality):
    return FiscalPackage.objects.filter(municipality=municipality).order_by("-year")


def runs(municipality):
    return (
        AssessmentRun.objects.filter(municipality=municipality)
        .select_related("package")
        .order_by("-pk")
    )


def statements(municipality):
    return Statement.objects.filter(municipality=municipality).order_by("-pk")


def queue(municipality):
    return Payment.objects.filter(
        municipality=municipality, status=Payment.Status.UNMATCHED
    ).order_by("received_on", "pk")


def own_invoices(municipality, user):
    """The bills a signed-in user may see and act on: their own person's, and those of the
    businesses a clerk recorded them as representing (core's Business.representatives)."""
    from django.db.models import Q

    ids = Invoice.objects.filter(municipality=municipality).filter(
        Q(person__user=user) | Q(business__representatives__user=user)
    )
    return Invoice.objects.filter(pk__in=ids.values("pk"))


def represented_businesses(municipality, user):
    from sportel.core.models import Business

    return (
        Business.objects.filter(municipality=municipality, representatives__user=user)
        .distinct()
        .order_by("name", "pk")
    )


def invoices_of_business(municipality, business):
    return Invoice.objects.filter(municipality=municipality, business=business).order_by("-year")


def invoices_of_person(municipality, person):
    return Invoice.objects.filter(municipality=municipality, person=person).order_by("-year")


def invoice_lines(invoice: Invoice) -> list[dict]:
    owed = ledger.outstanding_by_demand(
        invoice.municipality,
        **({"person": invoice.person} if invoice.person_id else {"business": invoice.business}),
    )
    return [
        {"demand": demand, "outstanding": owed.get(demand.pk, Decimal("0.00"))}
        for demand in invoice.demands.filter(superseded_by__isnull=True).select_related(
            "tax_head", "property"
        )
    ]


def today_session(municipality, clerk, day) -> CashSession | None:
    return CashSession.objects.filter(municipality=municipality, clerk=clerk, day=day).first()


# --- arrears ---------------------------------------------------------------------------------
# Reminder levels by days late. The municipality's own procedure decides the letters; these
# thresholds are Sportel's defaults (not taken from the law): a reminder after 30 days, a final
# notice after 90, the enforcement list after 180.
REMINDER_LEVELS = ((180, 3), (90, 2), (30, 1))


def reminder_level(days_late: int) -> int:
    return next((level for days, level in REMINDER_LEVELS if days_late >= days), 0)


@dataclass
class Arrear:
    invoice: Invoice
    payer: str
    outstanding: Decimal
    penalty: Decimal
    days_late: int
    bucket: str
    level: int


def arrears(municipality, on) -> list[Arrear]:
    """Every bill with an amount overdue on ``on``, oldest first, with the late-payment penalty
    of its year's package (rate per day, capped) and the reminder level."""
    from .models import Demand
    from .penalty import aging_bucket, penalty

    owed = {
        row["demand"]: row["total"]
        for row in ledger.lines_of(municipality)
        .filter(account=Account.RECEIVABLE, demand__due_date__lt=on)
        .exclude(tax_head__code__in=CHARGE_CODES)
        .values("demand")
        .annotate(total=Sum("cents"))
        .filter(total__gt=0)
    }
    packages_by_year = {p.year: p for p in FiscalPackage.objects.filter(municipality=municipality)}
    by_invoice: dict[int, Arrear] = {}
    for demand in Demand.objects.filter(pk__in=owed).select_related(
        "invoice", "invoice__person", "invoice__business"
    ):
        amount = cents_to_money(owed[demand.pk])
        package = packages_by_year.get(demand.invoice.year)
        rate = package.penalty_rate_per_day if package else Decimal("0.0006")
        cap = package.penalty_cap_days if package else 365
        late = (on - demand.due_date).days
        invoice = demand.invoice
        payer = str(invoice.person or invoice.business)
        row = by_invoice.setdefault(
            invoice.pk,
            Arrear(invoice, payer, Decimal("0.00"), Decimal("0.00"), 0, "", 0),
        )
        row.outstanding += amount
        row.penalty += penalty(amount, demand.due_date, on, rate=rate, cap_days=cap)
        if late > row.days_late:
            row.days_late = late
            row.bucket = aging_bucket(demand.due_date, on)
            row.level = reminder_level(late)
    return sorted(by_invoice.values(), key=lambda a: (-a.days_late, a.invoice.pk))


# --- trends over time ------------------------------------------------------------------------
@dataclass
class Trends:
    """Collection over time, the same definition as :func:`collection`: one row per year of
    bills (billed vs collected against that year's bills, whenever paid), and, for ``year``,
    one row per month with what was collected against the year's bills to the end of that
    month (by booking date) out of the year's bills, so the council sees how the year's
    collection climbs."""

    years: list[Row]
    months: list[Row]
    year: int


def collection_trends(municipality, year: int, *, today=None) -> Trends:
    """Billed, collected and the rate per year of bills, and per month of ``year``
    (collected to each month's end, out of the year's bills; months after ``today`` are left
    out)."""
    from django.db.models.functions import ExtractMonth, ExtractYear
    from django.utils import timezone

    lines = (
        ledger.lines_of(municipality)
        .filter(account=Account.RECEIVABLE, transaction__kind__in=(*BILLED, *COLLECTED))
        .exclude(tax_head__code__in=CHARGE_CODES)
    )
    billed, collected = defaultdict(int), defaultdict(int)
    for row in lines.values("demand__invoice__year", "transaction__kind").annotate(
        total=Sum("cents")
    ):
        bill_year = row["demand__invoice__year"]
        if row["transaction__kind"] in BILLED:
            billed[bill_year] += row["total"]
        else:
            collected[bill_year] -= row["total"]
    year_rows = [
        Row(str(y), str(y), cents_to_money(billed[y]), cents_to_money(collected[y]))
        for y in sorted(y for y in set(billed) | set(collected) if y is not None)
    ]
    # Months of ``year``: collected against the year's bills to the end of each month (by
    # booking date), out of the year's bills as they stand (billed after corrections).
    monthly = (
        lines.filter(demand__invoice__year=year, transaction__kind__in=COLLECTED)
        .annotate(y=ExtractYear("transaction__booked_on"), m=ExtractMonth("transaction__booked_on"))
        .values("y", "m")
        .annotate(total=Sum("cents"))
    )
    collected_m = defaultdict(int)
    for row in monthly:
        if row["y"] > year:
            continue  # paid after the year: counted in the year's row, not in its months
        collected_m[1 if row["y"] < year else row["m"]] -= row["total"]
    today = today or timezone.localdate()
    last = 12 if year < today.year else (today.month if year == today.year else 0)
    month_rows, paid = [], 0
    if billed[year] or collected[year]:
        for month in range(1, last + 1):
            paid += collected_m[month]
            label = f"{month:02d}.{year}"
            month_rows.append(Row(label, label, cents_to_money(billed[year]), cents_to_money(paid)))
    return Trends(year_rows, month_rows, year)
