"""The catalogue's tax clearance certificate, applied for like any service, is decided by the
ledger: sealed at once when nothing is owed, refused at once (with the amounts) when something
is."""

from datetime import date
from decimal import Decimal

import pytest

from sportel.core.models import Person
from sportel.core.money import format_all
from sportel.revenue import assessment, fiscal, ledger, payments
from sportel.revenue.models import Invoice, Payment
from sportel.services import services
from sportel.services.models import CaseEvent
from tests.services.factories import CitizenFactory, submit

from .conftest import make_property


@pytest.fixture
def taxpayer(shkoder):
    """A citizen proven by eID, on Shkodër's register, owning a flat; the catalogue seeded
    before the fiscal package, so the package joins the service to the ledger."""
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    citizen = CitizenFactory()
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    make_property(shkoder, [(person, "1")], area="70")
    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    assessment.run_to_end(assessment.start_run(package).pk)
    return citizen, person


def test_the_package_makes_the_catalogue_service_instant_once(taxpayer, shkoder):
    from sportel.revenue.service_link import join_clearance_service
    from sportel.services.models import ServiceType

    service = ServiceType.objects.get(municipality=shkoder, code="tax-clearance-certificate")
    version = service.current_version
    assert version.instant and version.instant_check == "tax_clearance"
    assert version.number == 2  # the shipped version stays in the history
    assert join_clearance_service(shkoder).pk == version.pk  # nothing published twice


def test_someone_who_owes_is_refused_at_once_with_the_amounts(taxpayer, shkoder):
    citizen, person = taxpayer
    owed = ledger.taxpayer_owed(shkoder, person=person)
    assert owed > 0
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    case.refresh_from_db()
    assert (case.status, case.decision) == ("closed", "rejected") and not case.document_code
    decision = case.events.get(action="auto_reject")
    assert decision.kind == CaseEvent.Kind.DECISION
    assert decision.visibility == CaseEvent.Visibility.PUBLIC
    assert decision.data["clearance_owed"] == str(owed) and "2026" in decision.text
    assert decision.data["legal_basis"].startswith("Ligji 9632/2006")


def test_once_paid_the_certificate_is_sealed_at_once_and_says_nothing_is_owed(
    taxpayer, shkoder, seal_keys
):
    from sportel.documents.models import IssuedDocument

    citizen, person = taxpayer
    invoice = Invoice.objects.get(person=person)
    payments.receive(
        shkoder,
        channel=Payment.Channel.BANK,
        amount=ledger.taxpayer_owed(shkoder, person=person),
        key="paid-in-full",
        received_on=date(2026, 4, 20),
        invoice=invoice,
        score=100,
        reason="rf",
        reason_params={"reference": invoice.reference},
    )
    assert ledger.taxpayer_owed(shkoder, person=person) == Decimal("0.00")
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    case.refresh_from_db()
    assert case.status == "closed" and case.document_code
    document = IssuedDocument.objects.get(code=case.document_code)
    assert document.document_type == "tax_clearance_certificate"
    fields = dict(services.document_fields(case))
    assert fields["Data"] and fields["Detyrime ndaj bashkisë"].startswith("0,00")


def test_a_certificate_an_officer_issues_anyway_states_what_is_owed(taxpayer, shkoder):
    """The printed content comes from the ledger when the document is made, not from the
    check: a document made for a case of someone who owes cannot print 'owes nothing'."""
    from sportel.revenue.service_link import certificate_content

    citizen, person = taxpayer
    case = submit(shkoder, citizen, "tax-clearance-certificate")  # refused: it owes
    owed = ledger.taxpayer_owed(shkoder, person=person)
    fields, body = certificate_content(case)
    assert owed > 0 and dict(fields)["Detyrime ndaj bashkisë"] == format_all(owed)
    assert "nuk ka detyrime" not in body and "Për tenderin" in body


def test_where_taxes_are_not_kept_here_the_form_is_printed_as_for_any_service(lezhe):
    from sportel.revenue.service_link import certificate_content
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(lezhe)
    citizen = CitizenFactory(on_the_register=False)
    case = submit(lezhe, citizen, "tax-clearance-certificate")
    assert certificate_content(case) is None
    assert not case.service_version.instant  # not joined: no package in Lezhë
