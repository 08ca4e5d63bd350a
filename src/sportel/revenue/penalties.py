"""Late-payment penalty and delay interest, booked (decision 0031).

penalty.py computes; this module books. Each bill (invoice) has at most one current penalty
demand and one current delay-interest demand, under tax heads of their own
(``late-penalty``, ``delay-interest``), so they are owed, shown, paid and refused on like any
other demand. Accrual is by period: an accrual through day D adds, for every principal of the
bill still owed and overdue, the penalty of the days since its last accrual (the fiscal
package's rate per day on what is still owed, never past the package's cap of days since the
due date) and the interest (the package's yearly rate on what is still owed, per day). The
sum is a new revision of the penalty (interest) demand that supersedes the previous one; the
ledger moves what was still owed to the new revision and books the increment as income.
History is appended: every accrual and write-off is a revision with its basis.

Idempotent: each principal's accrual remembers the day it was accrued through (the demand's
``basis``), so a second accrual through the same day finds no days and books nothing; the
ledger key (invoice, kind, day) is the second guard. Accruals run daily (``sportel revenue
accrue-penalties``) and from the officer's page, not when a payment arrives: a payment pays
what the taxpayer was shown (booked), principal first (payments.apply, unchanged).

A write-off (a correction) is a tax officer's, with a reason, audited: a new revision lower by
the amount, the income reversed.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit
from sportel.core.money import to_money

from . import ledger
from .locks import lock_receipts_shared, lock_taxpayer
from .models import (
    Account,
    Demand,
    FiscalPackage,
    Invoice,
    LedgerTransaction,
    TaxHead,
    clean_amount,
)
from .penalty import DEFAULT_CAP_DAYS, DEFAULT_RATE, days_late

PENALTY = "late-penalty"
INTEREST = "delay-interest"
CODES = (PENALTY, INTEREST)  # = selectors.CHARGE_CODES
# Allocation order (decision 0031): every principal first (tax-head order), then the delay
# interest, then the penalty; the service fee head is 900.
_HEADS = {
    INTEREST: ("Kamatëvonesë", "Delay interest", 990),
    PENALTY: ("Gjobë për pagesë të vonuar", "Late-payment penalty", 995),
}
ZERO = Decimal("0.00")


def head(municipality, code: str) -> TaxHead:
    name_sq, name_en, priority = _HEADS[code]
    found, _created = TaxHead.objects.get_or_create(
        municipality=municipality,
        code=code,
        defaults={
            "name_sq": name_sq,
            "name_en": name_en,
            "basis": TaxHead.Basis.DECLARED,
            "priority": priority,
        },
    )
    return found


def is_charge(tax_head) -> bool:
    """Is this tax head a penalty or interest (not a principal)?"""
    return tax_head.code in CODES


def _ident(demand) -> str:
    # A principal across its revisions: its tax head, property and premises.
    return f"{demand.tax_head_id}:{demand.property_id or ''}:{demand.premises_id or ''}"


def _payer(invoice: Invoice) -> dict:
    if invoice.person_id:
        return {"person_id": invoice.person_id}
    return {"business_id": invoice.business_id}


def _current(invoice: Invoice) -> dict[str, Demand]:
    return {
        d.tax_head.code: d
        for d in Demand.objects.filter(
            invoice=invoice, tax_head__code__in=CODES, superseded_by__isnull=True
        ).select_related("tax_head")
    }


def _revise(
    invoice,
    code,
    previous,
    *,
    amount,
    increment,
    basis,
    on,
    reason,
    kind,
    key,
    memo,
    booked_on=None,
):
    """The new revision of a penalty/interest demand and its ledger posting (the difference)."""
    tax_head = head(invoice.municipality, code)
    demand = Demand.objects.create(
        municipality=invoice.municipality,
        invoice=invoice,
        tax_head=tax_head,
        revision=previous.revision + 1 if previous else 1,
        supersedes=previous,
        amount=amount,
        due_date=on,
        basis=basis,
        reason=reason[:300],
    )
    refs = {"tax_head_id": tax_head.pk, **_payer(invoice)}
    still = ledger.demand_outstanding(previous) if previous else ZERO
    lines = []
    if previous is not None:
        lines.append(ledger.credit(Account.RECEIVABLE, still, demand_id=previous.pk, **refs))
    new_owed = still + increment
    lines.append(ledger.debit(Account.RECEIVABLE, max(new_owed, ZERO), demand_id=demand.pk, **refs))
    lines.append(ledger.credit(Account.CREDIT, max(-new_owed, ZERO), **_payer(invoice)))
    if increment > 0:
        lines.append(ledger.credit(Account.INCOME, increment, tax_head_id=tax_head.pk))
    else:
        lines.append(ledger.debit(Account.INCOME, -increment, tax_head_id=tax_head.pk))
    ledger.post(invoice.municipality, kind, lines, key=key, booked_on=booked_on or on, memo=memo)
    return demand


def _rates(package) -> tuple[Decimal, int, Decimal]:
    if package is None:
        return DEFAULT_RATE, DEFAULT_CAP_DAYS, Decimal(0)
    return package.penalty_rate_per_day, package.penalty_cap_days, package.delay_interest_rate


def increments(invoice: Invoice, on: date, package, owed: dict[int, Decimal], current=None):
    """{code: (increment, items)} that an accrual through ``on`` would book (nothing written):
    for each overdue principal still owed, the days since its last accrual."""
    rate, cap, yearly = _rates(package)
    principals = [
        d
        for d in Demand.objects.filter(pk__in=list(owed), invoice=invoice)
        .exclude(tax_head__code__in=CODES)
        .select_related("tax_head")
        if owed[d.pk] > 0 and d.due_date < on
    ]
    if not principals:
        return {}
    current = _current(invoice) if current is None else current
    out = {}
    for code in CODES:
        if code == INTEREST and not yearly:
            continue
        previous = current.get(code)
        items = dict(previous.basis.get("items", {}) if previous else {})
        increment = ZERO
        for demand in principals:
            item = items.get(_ident(demand), {})
            since = date.fromisoformat(item["through"]) if item else demand.due_date
            if since >= on:
                continue
            base = owed[demand.pk]
            if code == PENALTY:
                days = days_late(demand.due_date, on, cap) - days_late(demand.due_date, since, cap)
                amount = to_money(base * rate * days)
            else:
                days = (on - since).days
                amount = to_money(base * yearly * days / 365)
            if amount <= 0:
                continue  # nothing to book yet (or past the cap): the days stay to be counted
            increment += amount
            items[_ident(demand)] = {
                "demand": demand.pk,
                "through": on.isoformat(),
                "days": int(item.get("days", 0)) + days,
                "amount": str(Decimal(item.get("amount", "0")) + amount),
            }
        if increment > 0:
            out[code] = (increment, items)
    return out


def _accrue(invoice: Invoice, on: date, package, owed: dict[int, Decimal]) -> list[Demand]:
    rate, cap, yearly = _rates(package)
    current = _current(invoice)
    written = []
    for code, (increment, items) in increments(invoice, on, package, owed, current).items():
        previous = current.get(code)
        basis = {
            "kind": code,
            "through": on.isoformat(),
            "rate": str(rate if code == PENALTY else yearly),
            "cap_days": cap,
            "items": items,
            "written_off": previous.basis.get("written_off", []) if previous else [],
        }
        written.append(
            _revise(
                invoice,
                code,
                previous,
                amount=(previous.amount if previous else ZERO) + increment,
                increment=increment,
                basis=basis,
                on=on,
                reason=f"accrual through {on.isoformat()}",
                kind=LedgerTransaction.Kind.REVISION
                if previous
                else LedgerTransaction.Kind.ASSESSMENT,
                key=f"accrual:{invoice.pk}:{code}:{on.isoformat()}",
                memo=f"{code} {invoice.reference} through {on.isoformat()}",
            )
        )
    return written


def accrue_taxpayer(municipality, *, on: date, person=None, business=None) -> list[Demand]:
    """Book the penalty and interest of every bill of one taxpayer through ``on``. Inside the
    caller's transaction when there is one; takes the taxpayer's lock (revenue.locks)."""
    with transaction.atomic():
        # As payments.apply: a bank statement being posted (receipts lock) changes what is owed.
        lock_receipts_shared(municipality.pk)
        lock_taxpayer(
            person_id=getattr(person, "pk", None), business_id=getattr(business, "pk", None)
        )
        payer = {"person": person} if person is not None else {"business": business}
        owed = ledger.outstanding_by_demand(municipality, **payer)
        if not owed:
            return []
        packages = {p.year: p for p in FiscalPackage.objects.filter(municipality=municipality)}
        invoices = Invoice.objects.filter(
            municipality=municipality,
            pk__in=Demand.objects.filter(pk__in=list(owed)).values("invoice"),
        )
        written = []
        for invoice in invoices:
            written += _accrue(invoice, on, packages.get(invoice.year), owed)
        return written


@dataclass
class AccrualRun:
    taxpayers: int
    demands: int


def accrue_municipality(municipality, *, on: date, actor=None) -> AccrualRun:
    """Accrue every taxpayer with something overdue (one transaction per taxpayer, so a
    payment of one waits only for that one). Audited once, with the counts."""
    from django.db.models import Sum

    rows = (
        ledger.lines_of(municipality)
        .filter(account=Account.RECEIVABLE, demand__due_date__lt=on)
        .exclude(demand__tax_head__code__in=CODES)
        .values("person", "business")
        .annotate(total=Sum("cents"))
        .filter(total__gt=0)
    )
    from sportel.core.models import Business, Person

    taxpayers = demands = 0
    for row in list(rows):
        if row["person"]:
            payer = {"person": Person.objects.get(pk=row["person"])}
        else:
            payer = {"business": Business.objects.get(pk=row["business"])}
        written = accrue_taxpayer(municipality, on=on, **payer)
        taxpayers += 1
        demands += len(written)
    audit.record(
        "revenue.penalty.accrue",
        actor=actor,
        municipality=municipality,
        data={"through": on.isoformat(), "taxpayers": taxpayers, "revisions": demands},
    )
    return AccrualRun(taxpayers, demands)


def write_off(demand: Demand, *, amount, reason: str, actor, on: date) -> Demand:
    """A tax officer lowers a penalty or interest by ``amount`` with a reason (audited): a new
    revision, the income reversed. Refused beyond what is still owed on it."""
    municipality = demand.municipality
    role = require(actor, municipality, "revenue.assess")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationError({"reason": _("Give the reason for the write-off.")})
    amount = clean_amount(amount)
    with transaction.atomic():
        invoice = demand.invoice
        lock_receipts_shared(municipality.pk)
        lock_taxpayer(person_id=invoice.person_id, business_id=invoice.business_id)
        locked = Demand.objects.select_related("tax_head").get(pk=demand.pk)
        if locked.tax_head.code not in CODES:
            raise ValidationError(_("Only a penalty or delay interest can be written off here."))
        if Demand.objects.filter(supersedes=locked).exists():
            raise ValidationError(
                _("This amount changed since the page was opened; look at it again.")
            )
        still = ledger.demand_outstanding(locked)
        if amount > still:
            raise ValidationError(
                {
                    "amount": _("At most %(owed)s can be written off: that is what is owed.")
                    % {"owed": still}
                }
            )
        basis = dict(locked.basis)
        basis["written_off"] = [
            *basis.get("written_off", []),
            {"amount": str(amount), "reason": reason, "on": on.isoformat(), "by": actor.pk},
        ]
        revised = _revise(
            invoice,
            locked.tax_head.code,
            locked,
            amount=locked.amount - amount,
            increment=-amount,
            basis=basis,
            on=locked.due_date,
            booked_on=on,
            reason=reason,
            kind=LedgerTransaction.Kind.REVISION,
            key=f"writeoff:{locked.pk}",
            memo=f"write-off {locked.tax_head.code} {invoice.reference}",
        )
        audit.record(
            "revenue.penalty.write_off",
            actor=actor,
            role=role,
            municipality=municipality,
            obj=revised,
            subject=invoice.person,
            data={"amount": str(amount), "reason": reason, "invoice": invoice.reference},
        )
    return revised


@dataclass
class BillTotals:
    principal: Decimal
    penalty: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.penalty + self.interest


def bill_totals(lines: list[dict]) -> BillTotals:
    """Principal, penalty, interest still owed on a bill (``selectors.invoice_lines``)."""
    sums = {PENALTY: ZERO, INTEREST: ZERO, "": ZERO}
    for line in lines:
        code = line["demand"].tax_head.code
        sums[code if code in CODES else ""] += line["outstanding"]
    return BillTotals(sums[""], sums[PENALTY], sums[INTEREST])
