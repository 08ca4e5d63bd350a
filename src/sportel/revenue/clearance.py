"""The tax clearance certificate (vërtetim për shlyerje detyrimesh), issued at once.

Sealed by the documents module when the ledger says the taxpayer owes nothing (no bill of any
year with an amount still owed); refused with the amounts owed, per year and tax head,
otherwise (:func:`statement`: principal, late-payment penalty and delay interest to the day).

What counts as owed (decision 0028): every principal still unpaid in the ledger, including a
line under appeal with a bank guarantee instead of payment (an appeal does not extinguish the
debt; the law asks it to be paid or guaranteed, and a guarantee is not a payment) and a line in
an instalment agreement (the agreement schedules the debt, it does not pay it). Both are shown
with their status so the taxpayer knows why. The penalty and the interest are booked as demands
of their own (decision 0031): once booked they are owed and refuse a certificate like any
principal; what accrued since the last booking is shown to the day. The check reads the ledger, then the document is rendered and sealed outside any
transaction (decision 0012); a payment arriving in between only makes it more true.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core.money import format_all

from . import ledger, penalties
from .models import Demand, EnforcementStep, FiscalPackage

DOCUMENT_TYPE = "revenue.tax-clearance"


@dataclass
class Refusal:
    owed: list[tuple[int, str, Decimal]]  # (year, tax head, amount)

    @property
    def total(self) -> Decimal:
        return sum((amount for _y, _h, amount in self.owed), Decimal("0.00"))


@dataclass
class OwedLine:
    """What one bill owes for one tax head, on a day."""

    year: int
    tax_head: str
    reference: str
    principal: Decimal
    penalty: Decimal
    interest: Decimal
    under_appeal: bool = False
    in_instalments: bool = False

    @property
    def total(self) -> Decimal:
        return self.principal + self.penalty + self.interest


def totals(lines: list[OwedLine]) -> dict[str, Decimal]:
    zero = Decimal("0.00")
    return {
        "principal": sum((x.principal for x in lines), zero),
        "penalty": sum((x.penalty for x in lines), zero),
        "interest": sum((x.interest for x in lines), zero),
        "total": sum((x.total for x in lines), zero),
    }


def statement(
    municipality, *, person=None, business=None, on: date | None = None
) -> list[OwedLine]:
    """What the taxpayer owes on ``on`` (today), by year and tax head (names in the active
    language): the principal still unpaid in the ledger, the late-payment penalty of the
    bill's year's package (rate per day, capped) and its delay interest (rate per year)."""
    from .appeals import line_key, pending_line_keys

    on = on or timezone.localdate()
    english = translation.get_language() == "en"
    owed = ledger.outstanding_by_demand(municipality, person=person, business=business)
    owed = {pk: amount for pk, amount in owed.items() if amount > 0}
    if not owed:
        return []
    packages = {p.year: p for p in FiscalPackage.objects.filter(municipality=municipality)}
    appealed = pending_line_keys(municipality)
    last_step: dict[int, str] = {}
    for demand_id, step in (
        EnforcementStep.objects.filter(demand_id__in=owed)
        .order_by("recorded_at", "pk")
        .values_list("demand_id", "step")
    ):
        last_step[demand_id] = step  # the latest step is the case's state
    merged: dict[tuple[int, str, str], OwedLine] = {}
    demands = list(Demand.objects.filter(pk__in=owed).select_related("tax_head", "invoice"))
    # The penalty and interest booked on a bill (their own demands, decision 0031) and those
    # accrued since the last booking to ``on`` (penalties.increments): both go on the bill's
    # first principal line, so each bill's rows say principal, penalty, interest, total.
    charges: dict[int, dict[str, Decimal]] = {}
    first_line: dict[int, OwedLine] = {}
    invoices = {}
    for demand in demands:
        if penalties.is_charge(demand.tax_head):
            bucket = charges.setdefault(demand.invoice_id, {})
            code = demand.tax_head.code
            bucket[code] = bucket.get(code, Decimal("0.00")) + owed[demand.pk]
            continue
        principal = owed[demand.pk]
        year = demand.invoice.year
        invoices[demand.invoice_id] = demand.invoice
        head = demand.tax_head.name_en if english else demand.tax_head.name_sq
        line = merged.setdefault(
            (year, head, demand.invoice.reference),
            OwedLine(year, head, demand.invoice.reference, *(Decimal("0.00"),) * 3),
        )
        first_line.setdefault(demand.invoice_id, line)
        line.principal += principal
        line.under_appeal |= line_key(demand) in appealed
        line.in_instalments |= last_step.get(demand.pk) == EnforcementStep.Step.INSTALMENTS
    for invoice_id, invoice in invoices.items():
        pending = penalties.increments(invoice, on, packages.get(invoice.year), owed)
        bucket = charges.setdefault(invoice_id, {})
        for code, (increment, _items) in pending.items():
            bucket[code] = bucket.get(code, Decimal("0.00")) + increment
    for invoice_id, bucket in charges.items():
        line = first_line.get(invoice_id)
        if line is None:
            # Only a penalty or interest left on the bill: a line of its own.
            demand = next(d for d in demands if d.invoice_id == invoice_id)
            invoice = demand.invoice
            head = _("Late-payment penalty and interest")
            line = merged.setdefault(
                (invoice.year, head, invoice.reference),
                OwedLine(invoice.year, head, invoice.reference, *(Decimal("0.00"),) * 3),
            )
        line.penalty += bucket.get(penalties.PENALTY, Decimal("0.00"))
        line.interest += bucket.get(penalties.INTEREST, Decimal("0.00"))
    return sorted(merged.values(), key=lambda x: (x.year, x.tax_head, x.reference))


def amounts_owed(municipality, *, person=None, business=None) -> list[tuple[int, str, Decimal]]:
    owed = ledger.outstanding_by_demand(municipality, person=person, business=business)
    language = translation.get_language()
    rows = []
    for demand in Demand.objects.filter(pk__in=owed).select_related("tax_head", "invoice"):
        if owed[demand.pk] > 0:
            head = demand.tax_head.name_en if language == "en" else demand.tax_head.name_sq
            rows.append((demand.invoice.year, head, owed[demand.pk]))
    return sorted(rows)


def issue(municipality, *, person=None, business=None, actor=None, language="sq"):
    """The sealed certificate (an IssuedDocument), or a :class:`Refusal` with what is owed."""
    from sportel.documents.services import issue_document

    owed = amounts_owed(municipality, person=person, business=business)
    holder = person or business
    if owed:
        audit.record(
            "revenue.clearance.refuse",
            actor=actor,
            municipality=municipality,
            subject=person,
            data={"bills": len(owed)},
        )
        return Refusal(owed)
    with translation.override(language):
        today = timezone.localdate()
        document = issue_document(
            municipality,
            document_type=DOCUMENT_TYPE,
            title={
                "sq": "Vërtetim për shlyerje detyrimesh",
                "en": "Tax clearance certificate",
            },
            fields=[
                (_("Date"), today.strftime("%d.%m.%Y")),
                (_("Amount owed to the municipality"), format_all(Decimal(0))),
            ],
            language=language,
            holder=holder,
            body=_(
                "It is certified that on %(date)s the taxpayer above owes nothing to the "
                "municipality in local taxes and fees, according to its ledger."
            )
            % {"date": today.strftime("%d.%m.%Y")},
            actor=actor,
        )
    return document
