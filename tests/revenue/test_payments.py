"""The counter: cash for a tax bill, the services counter's fee in the same ledger, the cash-up."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sportel.revenue import ledger, payments
from sportel.revenue.models import Account, Invoice, Payment
from sportel.services import services
from tests.services.factories import CitizenFactory, submit


@pytest.fixture
def clerk(make_staff, shkoder):
    return make_staff(shkoder, "clerk")


def test_a_clerk_takes_cash_for_a_tax_and_closes_the_day(assessed, register, shkoder, clerk):
    invoice = Invoice.objects.get(person=register["arta"])
    payment = payments.take_cash(shkoder, actor=clerk, invoice=invoice, amount="2000", token="t1")
    again = payments.take_cash(shkoder, actor=clerk, invoice=invoice, amount="2000", token="t1")
    assert again.pk == payment.pk  # a double submit records one payment
    assert payment.receipt_number.startswith("SHK-") and payment.status == Payment.Status.APPLIED
    assert ledger.taxpayer_owed(shkoder, person=register["arta"]) == Decimal("2820.00")

    session = payments.close_day(shkoder, actor=clerk, counted="1990")
    assert (session.expected, session.counted) == (Decimal("2000.00"), Decimal("1990.00"))
    with pytest.raises(ValidationError):
        payments.take_cash(shkoder, actor=clerk, invoice=invoice, amount="10", token="t2")


def test_only_the_counter_takes_cash(assessed, register, shkoder, make_staff):
    officer = make_staff(shkoder, "tax_officer")
    invoice = Invoice.objects.get(person=register["arta"])
    with pytest.raises(PermissionDenied):
        payments.take_cash(shkoder, actor=officer, invoice=invoice, amount="10", token="x")
    assert not Payment.objects.exists()


def test_a_bill_of_another_municipality_is_refused(assessed, register, lezhe, make_staff):
    clerk = make_staff(lezhe, "clerk")
    invoice = Invoice.objects.get(person=register["arta"])
    with pytest.raises(ValidationError):
        payments.take_cash(lezhe, actor=clerk, invoice=invoice, amount="10", token="x")


def test_the_service_fee_lands_in_the_ledger(shkoder, lezhe, seal_keys, clerk):
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    citizen = CitizenFactory()
    case = submit(shkoder, citizen, "family-certificate")
    case.refresh_from_db()
    assert case.fee_due > 0
    services.mark_fee_paid(case, actor=clerk, receipt="R-1")
    payment = Payment.objects.get(service_case=case)
    assert payment.amount == case.fee_due and payment.taken_by == clerk
    assert ledger.account_balance(shkoder, Account.CASH) == case.fee_due
    assert ledger.account_balance(shkoder, Account.INCOME) == -case.fee_due
    session = payments.close_day(shkoder, actor=clerk, counted=case.fee_due)
    assert session.expected == case.fee_due


def test_the_clearance_certificate_is_refused_with_amounts_owed_then_sealed(
    assessed, register, shkoder, seal_keys, clerk
):
    from sportel.documents.models import IssuedDocument
    from sportel.revenue import clearance

    arta = register["arta"]
    refused = clearance.issue(shkoder, person=arta)
    assert isinstance(refused, clearance.Refusal) and refused.total == Decimal("4820.00")
    assert (2026, "Taksa mbi ndërtesën", Decimal("1820.00")) in refused.owed
    assert not IssuedDocument.objects.exists()
    invoice = Invoice.objects.get(person=arta)
    payments.take_cash(shkoder, actor=clerk, invoice=invoice, amount="4820", token="all")
    document = clearance.issue(shkoder, person=arta, actor=clerk)
    assert document.document_type == clearance.DOCUMENT_TYPE
    assert IssuedDocument.objects.get().pk == document.pk


def test_a_fee_taken_when_the_counter_files_the_application_is_in_the_ledger(
    shkoder, lezhe, seal_keys, clerk
):
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    case = services.submit_application(
        shkoder,
        service="family-certificate",
        data={},
        actor=clerk,
        channel="counter",
        walk_in={
            "nid": "H85412037N",
            "first_name": "Gjon",
            "last_name": "Leka",
            "identity_document": "id_card",
        },
        fee_paid=True,
    )
    payment = Payment.objects.get(service_case=case)
    assert payment.amount == case.fee_due > 0 and payment.cash_session.clerk == clerk
    assert ledger.account_balance(shkoder, Account.CASH) == case.fee_due
