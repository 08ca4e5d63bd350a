"""Receiving money, from every channel, into the ledger.

A receipt is posted in two steps, each its own balanced transaction: the money comes in
(bank / cash / online ← receipts not yet applied), then, once the payer is known, it is applied
(receipts not yet applied → the taxpayer's demands by tax-head order, the rest to credit).
An unmatched receipt waits in the manual queue with its money already on the books.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit
from sportel.core.money import to_money

from . import ledger
from .allocation import Open, allocate
from .locks import lock_receipts_shared, lock_taxpayer
from .models import (
    Account,
    CashSession,
    Demand,
    Invoice,
    LedgerTransaction,
    Payment,
    TaxHead,
    clean_amount,
)

CHANNEL_ACCOUNT = {
    Payment.Channel.BANK: Account.BANK,
    Payment.Channel.CASH: Account.CASH,
    Payment.Channel.ONLINE: Account.ONLINE,
}


def _payer(payment: Payment) -> dict:
    if payment.person_id:
        return {"person_id": payment.person_id}
    return {"business_id": payment.business_id}


def receive(
    municipality,
    *,
    channel: str,
    amount,
    key: str,
    received_on: date,
    actor=None,
    invoice: Invoice | None = None,
    person=None,
    business=None,
    payer_name: str = "",
    reference: str = "",
    remittance: str = "",
    score: int = 0,
    reason: str = "",
    reason_params: dict | None = None,
    cash_session: CashSession | None = None,
    receipt_number: str = "",
) -> tuple[Payment, bool]:
    """Record money received and post it; apply it when the payer is known. Idempotent by
    ``key`` (a statement line, a provider's transaction id, a counter form's token)."""
    amount = clean_amount(amount)
    existing = Payment.objects.filter(municipality=municipality, key=key).first()
    if existing is not None:
        return existing, False
    if invoice is not None:
        person, business = invoice.person, invoice.business
    try:
        return _receive(
            municipality,
            channel=channel,
            amount=amount,
            key=key,
            received_on=received_on,
            actor=actor,
            invoice=invoice,
            person=person,
            business=business,
            payer_name=payer_name,
            reference=reference,
            remittance=remittance,
            score=score,
            reason=reason,
            reason_params=reason_params,
            cash_session=cash_session,
            receipt_number=receipt_number,
        )
    except IntegrityError:
        # The same event (key) raced us to the insert: the first one stands, nothing posts twice.
        existing = Payment.objects.filter(municipality=municipality, key=key).first()
        if existing is None:
            raise
        return existing, False


def _receive(
    municipality,
    *,
    channel,
    amount,
    key,
    received_on,
    actor,
    invoice,
    person,
    business,
    payer_name,
    reference,
    remittance,
    score,
    reason,
    reason_params,
    cash_session,
    receipt_number,
) -> tuple[Payment, bool]:
    with transaction.atomic():
        payment = Payment.objects.create(
            municipality=municipality,
            channel=channel,
            amount=amount,
            received_on=received_on,
            payer_name=payer_name[:200],
            reference=reference[:140],
            remittance=remittance,
            invoice=invoice,
            person=person,
            business=business,
            status=Payment.Status.UNMATCHED,
            match_score=score,
            match_code=reason[:40],
            match_params=reason_params or {},
            cash_session=cash_session,
            receipt_number=receipt_number,
            key=key,
            taken_by=actor if getattr(actor, "pk", None) else None,
        )
        ledger.post(
            municipality,
            LedgerTransaction.Kind.RECEIPT,
            [
                ledger.debit(CHANNEL_ACCOUNT[channel], amount, payment=payment),
                ledger.credit(Account.SUSPENSE, amount, payment=payment),
            ],
            key=f"receipt:{payment.pk}",
            booked_on=received_on,
            memo=reference,
        )
        if person is not None or business is not None:
            apply(payment)
        audit.record(
            "revenue.payment.receive",
            actor=actor,
            municipality=municipality,
            obj=payment,
            data={"channel": channel, "amount": str(amount), "status": payment.status},
        )
    return payment, True


def open_items(municipality, *, person=None, business=None) -> list[Open]:
    owed = ledger.outstanding_by_demand(municipality, person=person, business=business)
    demands = Demand.objects.filter(pk__in=owed).select_related("tax_head")
    return [
        Open(d.pk, d.tax_head.priority, d.due_date, owed[d.pk]) for d in demands if owed[d.pk] > 0
    ]


def apply(payment: Payment) -> Payment:
    """Allocate a received payment to its payer's demands (tax-head order, oldest first); what
    is left becomes credit. Called inside the caller's transaction."""
    if payment.status != Payment.Status.UNMATCHED:
        return payment
    if payment.person_id is None and payment.business_id is None:
        raise ValidationError(_("Choose who paid before applying the payment."))
    payer = {"person": payment.person} if payment.person_id else {"business": payment.business}
    # Read what is owed under the taxpayer's lock: two payments of one taxpayer, or a payment
    # and a tax clearance decision, then happen one after the other (revenue.locks).
    lock_receipts_shared(payment.municipality_id)
    lock_taxpayer(person_id=payment.person_id, business_id=payment.business_id)
    applied, left = allocate(payment.amount, open_items(payment.municipality, **payer))
    demands = {d.pk: d for d in Demand.objects.filter(pk__in=[i for i, _a in applied])}
    refs = _payer(payment)
    lines = [ledger.debit(Account.SUSPENSE, payment.amount, payment=payment)]
    for demand_id, part in applied:
        lines.append(
            ledger.credit(
                Account.RECEIVABLE,
                part,
                demand_id=demand_id,
                tax_head_id=demands[demand_id].tax_head_id,
                payment=payment,
                **refs,
            )
        )
    if left > 0:
        lines.append(ledger.credit(Account.CREDIT, left, payment=payment, **refs))
    ledger.post(
        payment.municipality,
        LedgerTransaction.Kind.ALLOCATION,
        lines,
        key=f"apply:{payment.pk}",
        booked_on=payment.received_on,
    )
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.APPLIED)
    payment.status = Payment.Status.APPLIED
    return payment


def assign_and_apply(payment: Payment, *, actor, invoice: Invoice) -> Payment:
    """The manual queue: a tax officer says whose payment it is (the reason kept: assigned by
    hand to the invoice's reference)."""
    role = require(actor, payment.municipality, "revenue.reconcile")
    if invoice.municipality_id != payment.municipality_id:
        raise ValidationError(_("That invoice is not in this municipality."))
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Payment.Status.UNMATCHED:
            raise ValidationError(_("This payment has already been applied."))
        locked.invoice, locked.person, locked.business = invoice, invoice.person, invoice.business
        locked.match_code, locked.match_params = "manual", {"reference": invoice.reference}
        locked.save(update_fields=["invoice", "person", "business", "match_code", "match_params"])
        apply(locked)
        audit.record(
            "revenue.payment.assign",
            actor=actor,
            role=role,
            municipality=payment.municipality,
            obj=locked,
            data={"invoice": invoice.reference},
        )
    return locked


def reverse_payment(payment: Payment, *, key: str, booked_on: date, actor=None) -> Payment:
    """The bank took a payment back: mirror every posting of it (history stays)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status == Payment.Status.REVERSED:
            return locked
        lock_receipts_shared(locked.municipality_id)
        lock_taxpayer(person_id=locked.person_id, business_id=locked.business_id)
        for txn in LedgerTransaction.objects.filter(
            municipality=locked.municipality, key__in=[f"receipt:{locked.pk}", f"apply:{locked.pk}"]
        ):
            ledger.reverse(txn, key=f"{key}:{txn.key}", booked_on=booked_on, memo="reversal")
        # A payment of a bank statement has its lines in the statement's transaction of its
        # booking day (decision 0030): mirror those lines, not the other payments'.
        for txn in LedgerTransaction.objects.filter(
            Q(key__startswith="receipt:statement") | Q(key__startswith="apply:statement"),
            municipality=locked.municipality,
            lines__payment=locked,
        ).distinct():
            ledger.reverse(
                txn,
                key=f"{key}:{txn.key}",
                booked_on=booked_on,
                memo="reversal",
                payment_id=locked.pk,
            )
        Payment.objects.filter(pk=locked.pk).update(status=Payment.Status.REVERSED)
        locked.status = Payment.Status.REVERSED
        audit.record(
            "revenue.payment.reverse",
            actor=actor,
            municipality=locked.municipality,
            obj=locked,
            data={"amount": str(locked.amount)},
        )
    return locked


# --------------------------------------------------------------------------- the counter
def session_for(municipality, clerk) -> CashSession:
    session, _created = CashSession.objects.get_or_create(
        municipality=municipality, clerk=clerk, day=timezone.localdate()
    )
    if session.closed_at is not None:
        raise ValidationError(_("Your cash-up for today is closed; no more cash can be taken."))
    return session


def _receipt_number(municipality, session: CashSession) -> str:
    count = Payment.objects.filter(cash_session=session).count() + 1
    return f"{municipality.code}-{session.day:%Y%m%d}-{session.clerk_id}-{count:04d}"


def take_cash(municipality, *, actor, invoice: Invoice, amount, token: str) -> Payment:
    """A clerk takes cash for a tax bill; ``token`` is the form's one-time key (a double
    submit records one payment)."""
    require(actor, municipality, "revenue.cash")
    if invoice.municipality_id != municipality.pk:
        raise ValidationError(_("That invoice is not in this municipality."))
    with transaction.atomic():
        session = session_for(municipality, actor)
        CashSession.objects.select_for_update().get(pk=session.pk)
        payment, _created = receive(
            municipality,
            channel=Payment.Channel.CASH,
            amount=amount,
            key=f"cash:{token}",
            received_on=session.day,
            actor=actor,
            invoice=invoice,
            reference=invoice.reference,
            cash_session=session,
            receipt_number=_receipt_number(municipality, session),
        )
    return payment


def fee_head(municipality) -> TaxHead:
    head, _created = TaxHead.objects.get_or_create(
        municipality=municipality,
        code="service-fee",
        defaults={
            "name_sq": "Tarifa e shërbimit administrativ",
            "name_en": "Administrative service fee",
            "basis": TaxHead.Basis.FEE,
            "priority": 900,
        },
    )
    return head


def take_service_fee(case, *, actor) -> Payment | None:
    """The services counter's fee as a cash payment in the ledger (cash ← fee income),
    inside the services module's own transaction. Once per case."""
    amount = to_money(case.fee_due)
    if amount <= 0 or not getattr(actor, "pk", None):
        return None  # free, or not cash in a clerk's hands
    municipality = case.municipality
    session = session_for(municipality, actor)
    CashSession.objects.select_for_update().get(pk=session.pk)
    payment, created = Payment.objects.get_or_create(
        municipality=municipality,
        key=f"fee:{case.pk}",
        defaults={
            "channel": Payment.Channel.CASH,
            "amount": amount,
            "received_on": session.day,
            "reference": case.number,
            "status": Payment.Status.APPLIED,
            "service_case": case,
            "person": case.applicant_person,
            "business": case.applicant_business,
            "cash_session": session,
            "receipt_number": _receipt_number(municipality, session),
            "taken_by": actor,
            "match_score": 100,
            "match_code": "counter_fee",
        },
    )
    if created:
        head = fee_head(municipality)
        ledger.post(
            municipality,
            LedgerTransaction.Kind.RECEIPT,
            [
                ledger.debit(Account.CASH, amount, payment=payment),
                ledger.credit(Account.INCOME, amount, tax_head=head, payment=payment),
            ],
            key=f"fee:{case.pk}",
            booked_on=session.day,
            memo=payment.reference,
        )
    return payment


def cash_expected(session: CashSession) -> Decimal:
    return ledger.account_balance(session.municipality, Account.CASH, payment__cash_session=session)


def close_day(municipality, *, actor, counted) -> CashSession:
    """The clerk's end-of-day cash-up: what the ledger says the till holds against what was
    counted. Closing is final; the difference is kept for the manager to see."""
    require(actor, municipality, "revenue.cash")
    counted = to_money(Decimal(str(counted)))
    if counted < 0:
        raise ValidationError(_("The counted amount cannot be negative."))
    with transaction.atomic():
        session = session_for(municipality, actor)
        session = CashSession.objects.select_for_update().get(pk=session.pk)
        session.expected = cash_expected(session)
        session.counted = counted
        session.closed_at = timezone.now()
        session.save(update_fields=["expected", "counted", "closed_at"])
        audit.record(
            "revenue.cash.close",
            actor=actor,
            municipality=municipality,
            obj=session,
            data={"expected": str(session.expected), "counted": str(counted)},
        )
    return session


def cash_taken(session: CashSession) -> Decimal:
    return to_money(
        Payment.objects.filter(cash_session=session).aggregate(total=Sum("amount"))["total"] or 0
    )
