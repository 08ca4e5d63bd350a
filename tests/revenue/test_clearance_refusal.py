"""A resident who owes is told at once, online, that the tax clearance cannot be issued, with
the amounts owed by year and tax head and the RF reference to pay them with; the case stays
with a tax officer, as the services workflow wants."""

import html
import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from sportel.core.models import AuditEntry, Person
from sportel.core.money import format_all
from sportel.revenue import assessment, fiscal, ledger, payments
from sportel.revenue.models import Demand, Invoice, Payment
from sportel.services.models import CaseEvent
from tests.services.factories import CitizenFactory, submit

from .conftest import make_property

API = "/api/v1"


def _package_2025(shkoder):
    text = json.dumps(fiscal.seed_data("shkoder-2026"))
    return fiscal.create_package(
        shkoder, json.loads(text.replace("2025", "2024").replace("2026", "2025"))
    )


@pytest.fixture
def owing(shkoder):
    """A citizen proven by eID owning a flat, billed for 2025 and 2026, nothing paid."""
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    citizen = CitizenFactory()
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    make_property(shkoder, [(person, "1")], area="70")
    for package in (
        _package_2025(shkoder),
        fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026")),
    ):
        assessment.run_to_end(assessment.start_run(package).pk)
    return citizen, person


def _public_notes(case):
    return list(
        case.events.filter(kind=CaseEvent.Kind.NOTE, visibility=CaseEvent.Visibility.PUBLIC)
    )


def _owed_by_year_and_head(shkoder, person, language):
    owed = ledger.outstanding_by_demand(shkoder, person=person)
    rows = {}
    for demand in Demand.objects.filter(pk__in=owed).select_related("tax_head", "invoice"):
        head = demand.tax_head.name_en if language == "en" else demand.tax_head.name_sq
        key = (demand.invoice.year, head)
        rows[key] = rows.get(key, Decimal("0.00")) + owed[demand.pk]
    return rows


def test_the_resident_sees_at_once_what_is_owed_and_how_to_pay(owing, shkoder, client):
    citizen, person = owing
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    case.refresh_from_db()
    # The workflow's state: still submitted, no document, waiting for a tax officer.
    assert case.status == "submitted" and not case.document_code
    internal = case.events.filter(visibility=CaseEvent.Visibility.INTERNAL).latest("pk")
    assert "not issued automatically" in internal.text
    (note,) = _public_notes(case)
    text = note.text
    assert text.startswith("Vërtetimi për shlyerjen e detyrimeve nuk mund të lëshohet")
    rows = _owed_by_year_and_head(shkoder, person, "sq")
    assert {year for year, _h in rows} == {2025, 2026}
    for (year, head), amount in rows.items():
        assert f"{year}, {head}: {format_all(amount)}" in text
    total = ledger.taxpayer_owed(shkoder, person=person)
    assert f"Gjithsej për t'u paguar: {format_all(total)}" in text
    for invoice in Invoice.objects.filter(person=person):
        assert f"fatura e {invoice.year} {invoice.reference}" in text
    assert "/shkoder/taxes/" in text
    assert AuditEntry.objects.filter(action="revenue.clearance.refuse").count() == 1

    # Online: the case page and the API's answer carry the same words.
    client.force_login(citizen)
    page = client.get(
        reverse("services:case", kwargs={"municipality_slug": "shkoder", "number": case.number})
    )
    assert page.status_code == 200
    assert format_all(total) in html.unescape(page.content.decode())
    detail = client.get(f"{API}/municipalities/shkoder/applications/{case.number}").json()
    assert detail["status"] == "submitted"
    assert any(e["text"] == text and e["visibility"] == "public" for e in detail["events"])


def test_in_english_the_refusal_is_in_english(owing, shkoder):
    citizen, person = owing
    case = submit(shkoder, citizen, "tax-clearance-certificate", language="en")
    (note,) = _public_notes(case)
    assert note.text.startswith("The tax clearance certificate cannot be issued")
    for (year, head), amount in _owed_by_year_and_head(shkoder, person, "en").items():
        assert f"{year}, {head}: {format_all(amount)}" in note.text
    assert "How to pay" in note.text and "Vërtetimi" not in note.text


def test_the_refusal_is_told_once_and_other_people_do_not_see_it(owing, shkoder, client):
    from sportel.revenue.service_link import owes_nothing

    citizen, _person = owing
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    assert owes_nothing(case) is not None  # checked again (e.g. a retry): still one note
    assert len(_public_notes(case)) == 1
    stranger = CitizenFactory()
    client.force_login(stranger)
    detail = client.get(f"{API}/municipalities/shkoder/applications/{case.number}")
    assert detail.status_code == 404


def test_paid_in_part_lists_only_what_is_still_owed(owing, shkoder):
    citizen, person = owing
    before = _owed_by_year_and_head(shkoder, person, "sq")
    old = Invoice.objects.get(person=person, year=2025)
    payments.receive(
        shkoder,
        channel=Payment.Channel.BANK,
        amount=Decimal("2500.00"),
        key="part-paid",
        received_on=date(2026, 3, 1),
        invoice=old,
        score=100,
        reason="rf",
        reason_params={"reference": old.reference},
    )
    after = {k: v for k, v in _owed_by_year_and_head(shkoder, person, "sq").items() if v > 0}
    assert after != before and len(after) < len(before)  # some lines paid off entirely
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    (note,) = _public_notes(case)
    lines = [line for line in note.text.splitlines() if line[:4].isdigit()]
    assert lines == [f"{y}, {h}: {format_all(a)}" for (y, h), a in sorted(after.items())]
    assert format_all(ledger.taxpayer_owed(shkoder, person=person)) in note.text


def test_nothing_owed_means_no_refusal_and_the_certificate(owing, shkoder, seal_keys):
    citizen, person = owing
    for invoice in Invoice.objects.filter(person=person).order_by("year"):
        payments.receive(
            shkoder,
            channel=Payment.Channel.BANK,
            amount=ledger.taxpayer_owed(shkoder, person=person),
            key=f"all-{invoice.pk}",
            received_on=date(2026, 4, 20),
            invoice=invoice,
            score=100,
            reason="rf",
            reason_params={"reference": invoice.reference},
        )
        break
    assert ledger.taxpayer_owed(shkoder, person=person) == Decimal("0.00")
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    case.refresh_from_db()
    assert case.status == "closed" and case.document_code and _public_notes(case) == []


def test_someone_who_only_typed_the_owners_number_learns_nothing_of_the_debts(
    owing, shkoder, client
):
    """A personal number typed into an account is a claim (decision 0010): the impostor's case
    waits for an officer and its timeline shows no amounts and no RF references."""
    _citizen, person = owing
    impostor = CitizenFactory(
        nid=person.nid, nid_verified=False, nid_verified_via="", on_the_register=False
    )
    case = submit(shkoder, impostor, "tax-clearance-certificate")
    case.refresh_from_db()
    assert case.status == "submitted" and _public_notes(case) == []
    client.force_login(impostor)
    detail = client.get(f"{API}/municipalities/shkoder/applications/{case.number}").json()
    answer = json.dumps(detail, ensure_ascii=False)
    assert "ALL" not in answer
    assert not any(r in answer for r in Invoice.objects.values_list("reference", flat=True))
    assert not AuditEntry.objects.filter(action="revenue.clearance.refuse").exists()
