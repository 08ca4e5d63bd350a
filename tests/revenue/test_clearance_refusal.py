"""A taxpayer who owes is refused the tax clearance at once, through the services workflow
(``auto_reject``, then closed): they read on the case, and are sent by their notification
channel, the amounts owed by year and tax head (principal, penalty, interest, total) and how to
pay. Online, at a kiosk and at the counter alike; for a person and for a business."""

import html
import json
import re
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from sportel.core.models import AuditEntry, Notification, Person
from sportel.core.money import format_all
from sportel.revenue import assessment, clearance, fiscal, ledger, payments
from sportel.revenue.models import EnforcementStep, Invoice, Payment
from sportel.services import services
from sportel.services.models import CaseEvent
from tests.services.factories import CitizenFactory, submit

from .conftest import make_business, make_property

API = "/api/v1"
WALK_IN = {"first_name": "Gjon", "last_name": "Leka", "identity_document": "id_card"}


def _package_2025(shkoder):
    text = json.dumps(fiscal.seed_data("shkoder-2026"))
    return fiscal.create_package(
        shkoder, json.loads(text.replace("2025", "2024").replace("2026", "2025"))
    )


def _assess_two_years(shkoder):
    for package in (
        _package_2025(shkoder),
        fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026")),
    ):
        assessment.run_to_end(assessment.start_run(package).pk)


@pytest.fixture
def owing(shkoder):
    """A citizen proven by eID owning a flat, billed for 2025 and 2026, nothing paid."""
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    citizen = CitizenFactory(email="arta@example.al")
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    make_property(shkoder, [(person, "1")], area="70")
    _assess_two_years(shkoder)
    return citizen, person


def _decision(case):
    return case.events.get(action="auto_reject")


def _pay_all(shkoder, taxpayer, key="all"):
    invoice = Invoice.objects.filter(**taxpayer).order_by("year").first()
    payments.receive(
        shkoder,
        channel=Payment.Channel.BANK,
        amount=ledger.taxpayer_owed(shkoder, **taxpayer),
        key=key,
        received_on=date(2026, 4, 20),
        invoice=invoice,
        score=100,
        reason="rf",
        reason_params={"reference": invoice.reference},
    )
    assert ledger.taxpayer_owed(shkoder, **taxpayer) == Decimal("0.00")


def test_the_resident_is_refused_at_once_with_what_is_owed_and_how_to_pay(owing, shkoder, client):
    citizen, person = owing
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    case.refresh_from_db()
    # Decided by the workflow's system action, then closed; no document.
    assert (case.status, case.decision, case.document_code) == ("closed", "rejected", "")
    assert list(case.events.values_list("action", flat=True)) == [
        "submit",
        "auto_reject",
        "close",
    ]
    decision = _decision(case)
    assert decision.visibility == CaseEvent.Visibility.PUBLIC and decision.actor_label == "system"
    text = decision.text
    assert text.startswith("Vërtetimi për shlyerjen e detyrimeve nuk mund të lëshohet")
    lines = clearance.statement(shkoder, person=person)
    assert {x.year for x in lines} == {2025, 2026}
    for x in lines:
        assert (
            f"{x.year}, {x.tax_head}: {format_all(x.total)} (detyrimi {format_all(x.principal)}, "
            f"gjoba {format_all(x.penalty)}, interesi {format_all(x.interest)})"
        ) in text
    assert any(x.penalty > 0 for x in lines)  # the 2025 bills are late
    total = ledger.taxpayer_owed(shkoder, person=person)
    assert format_all(total) in text
    for invoice in Invoice.objects.filter(person=person):
        assert f"fatura e {invoice.year} {invoice.reference}" in text
    assert "/shkoder/taxes/" in text and "kioskë" in text and "sportel" in text
    # In the audit log and the case's history; and sent to the resident.
    entry = AuditEntry.objects.get(action="case.auto_reject")
    assert entry.data["clearance_owed"] == str(total) and entry.actor is None
    [mail] = [
        n
        for n in Notification.objects.filter(person=person, channel="email")
        if "U refuzua" in n.body
    ]
    assert mail.recipient == "arta@example.al" and format_all(total) in mail.body
    assert all(r in mail.body for r in Invoice.objects.values_list("reference", flat=True))

    # Online: the case page and the API's answer carry the same words.
    client.force_login(citizen)
    page = client.get(
        reverse("services:case", kwargs={"municipality_slug": "shkoder", "number": case.number})
    )
    assert page.status_code == 200
    body = html.unescape(page.content.decode())
    assert format_all(total) in body and "U refuzua" in body
    detail = client.get(f"{API}/municipalities/shkoder/applications/{case.number}").json()
    assert detail["status"] == "closed"
    assert any(e["text"] == text and e["visibility"] == "public" for e in detail["events"])


def test_in_english_the_refusal_is_in_english(owing, shkoder):
    citizen, person = owing
    case = submit(shkoder, citizen, "tax-clearance-certificate", language="en")
    text = _decision(case).text
    assert text.startswith("The tax clearance certificate cannot be issued")
    from django.utils import translation

    with translation.override("en"):
        lines = clearance.statement(shkoder, person=person)
    for x in lines:
        # English amounts: comma groups, decimal point (never the Albanian "2 875,58").
        assert f"{x.year}, {x.tax_head}: {format_all(x.total, 'en')} (principal" in text
    assert "How to pay" in text and "Vërtetimi" not in text
    assert re.search(r"\d,\d{3}\.\d{2} ALL", text)  # e.g. "2,875.58 ALL"


def test_paid_in_part_lists_only_what_is_still_owed(owing, shkoder):
    citizen, person = owing
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
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    bills = _decision(case).data["bills"]
    owed = ledger.outstanding_by_demand(shkoder, person=person)
    assert sum(Decimal(b["principal"]) for b in bills) == sum(v for v in owed.values() if v > 0)
    assert all(Decimal(b["principal"]) > 0 for b in bills)


def test_nothing_owed_means_the_certificate(owing, shkoder, seal_keys):
    citizen, person = owing
    _pay_all(shkoder, {"person": person})
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    case.refresh_from_db()
    assert case.status == "closed" and case.decision == "approved" and case.document_code
    assert not case.events.filter(action="auto_reject").exists()


def test_a_person_with_no_taxpayer_record_gets_a_certificate_that_says_so(shkoder, seal_keys):
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    citizen = CitizenFactory()
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    case.refresh_from_db()
    assert case.status == "closed" and case.document_code
    from sportel.services.issuance import document_content

    _fields, body = document_content(case)
    assert "nuk i është vlerësuar asnjë taksë" in body


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
    assert case.status == "submitted"
    client.force_login(impostor)
    detail = client.get(f"{API}/municipalities/shkoder/applications/{case.number}").json()
    answer = json.dumps(detail, ensure_ascii=False)
    assert "ALL" not in answer
    assert not any(r in answer for r in Invoice.objects.values_list("reference", flat=True))
    assert not AuditEntry.objects.filter(action="case.auto_reject").exists()


def test_counter_and_kiosk_refuse_the_same_way(owing, shkoder, make_staff):
    citizen, person = owing
    clerk = make_staff(shkoder, "clerk")
    at_counter = services.submit_application(
        shkoder,
        service="tax-clearance-certificate",
        data={"purpose": "Tender"},
        actor=clerk,
        channel="counter",
        walk_in={**WALK_IN, "nid": person.nid},
    )
    at_kiosk = submit(shkoder, citizen, "tax-clearance-certificate", channel="kiosk")
    online = submit(shkoder, citizen, "tax-clearance-certificate")
    texts = set()
    for case in (at_counter, at_kiosk, online):
        case.refresh_from_db()
        assert (case.status, case.decision) == ("closed", "rejected")
        texts.add(_decision(case).text)
    assert len(texts) == 1  # the same words on every channel
    assert at_counter.events.get(action="close").actor == clerk


@pytest.fixture
def owing_business(shkoder):
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    business = make_business(shkoder)
    make_property(shkoder, [(business, "1")], area="120", use="economic")
    fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    run = assessment.start_run(fiscal.package_for(shkoder, 2026))
    assessment.run_to_end(run.pk)
    assert ledger.taxpayer_owed(shkoder, business=business) > 0
    return business


def test_a_business_is_refused_with_its_own_amounts_at_the_counter(
    owing_business, shkoder, make_staff
):
    clerk = make_staff(shkoder, "clerk")
    case = services.submit_application(
        shkoder,
        service="tax-clearance-certificate",
        data={"purpose": "Tender"},
        actor=clerk,
        channel="counter",
        walk_in={**WALK_IN, "nid": "H85412037N"},
        business={"nipt": owing_business.nipt, "name": owing_business.name},
    )
    case.refresh_from_db()
    assert (case.status, case.decision) == ("closed", "rejected")
    owed = ledger.taxpayer_owed(shkoder, business=owing_business)
    assert _decision(case).data["clearance_owed"] == str(owed)
    # The clerk recorded the walk-in as the business's representative.
    assert owing_business.representatives.filter(nid="H85412037N").exists()


def test_online_a_typed_nipt_learns_nothing_of_a_business_debts(owing_business, shkoder):
    stranger = CitizenFactory()
    case = submit(
        shkoder,
        stranger,
        "tax-clearance-certificate",
        business={"nipt": owing_business.nipt, "name": "Whatever"},
    )
    case.refresh_from_db()
    assert case.status == "submitted"
    assert not case.events.filter(visibility="public", kind="decision").exists()
    note = case.events.filter(visibility=CaseEvent.Visibility.INTERNAL).latest("pk")
    assert "representation of the business not verified" in note.text
    assert not owing_business.representatives.exists()


def test_appealed_and_instalment_lines_count_as_owed_and_say_so(owing, shkoder, make_staff):
    citizen, person = owing
    officer = make_staff(shkoder, "tax_officer")
    demand = Invoice.objects.get(person=person, year=2025).demands.first()
    EnforcementStep.objects.create(
        municipality=shkoder,
        demand=demand,
        step=EnforcementStep.Step.INSTALMENTS,
        taken_on=date(2026, 5, 1),
        recorded_by=officer,
    )
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    text = _decision(case).text
    assert "(me marrëveshje për pagesë me këste)" in text
    assert "marrëveshja për këste e planifikon" in text


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_payment_committing_while_the_refusal_is_decided_wins(shkoder, seal_keys, monkeypatch):
    """The check has just seen the debt when the payment is posted (its transaction still
    open): the decision waits for the taxpayer's lock, reads the ledger again once the payment
    committed, and issues the certificate; a refusal is never ordered after the payment."""
    assert connection.vendor == "postgresql"
    from sportel.services.catalogue import seed_catalogue
    from sportel.services.instant import INSTANT_CHECKS

    seed_catalogue(shkoder)
    citizen = CitizenFactory()
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    make_property(shkoder, [(person, "1")], area="70")
    assessment.run_to_end(
        assessment.start_run(fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))).pk
    )
    invoice = Invoice.objects.get(person=person)
    amount = ledger.taxpayer_owed(shkoder, person=person)
    checked, posted, committed = threading.Event(), threading.Event(), threading.Event()
    answers = []
    real_check = INSTANT_CHECKS["tax_clearance"]

    def check_then_let_the_payment_in(case):
        answer = real_check(case)
        answers.append(answer)
        if len(answers) == 1:  # the first look, outside any lock: the payment comes now
            checked.set()
            assert posted.wait(10)
        return answer

    monkeypatch.setitem(INSTANT_CHECKS, "tax_clearance", check_then_let_the_payment_in)
    errors = []

    def pay():
        try:
            assert checked.wait(30)
            with transaction.atomic():
                payments.receive(
                    shkoder,
                    channel=Payment.Channel.BANK,
                    amount=amount,
                    key="same-second",
                    received_on=date(2026, 4, 20),
                    invoice=invoice,
                    score=100,
                    reason="rf",
                    reason_params={"reference": invoice.reference},
                )
                posted.set()  # posted, the taxpayer's row locked, not yet committed
                time.sleep(1.0)
            committed.set()
        except BaseException as exc:
            errors.append(exc)
            posted.set()
        finally:
            connections.close_all()

    payer = threading.Thread(target=pay)
    payer.start()
    case = submit(shkoder, citizen, "tax-clearance-certificate")
    payer.join(20)
    assert errors == [] and committed.is_set()
    case.refresh_from_db()
    assert answers[0] is not None  # the first look saw the debt...
    assert (case.status, case.decision) == ("closed", "approved") and case.document_code
    assert not case.events.filter(action="auto_reject").exists()  # ...and did not refuse


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_payment_after_the_refusal_waits_for_it(shkoder):
    """The decision holds the taxpayer's lock: a payment arriving then is posted after the
    refusal committed, and the refusal stated what was owed when it was made."""
    assert connection.vendor == "postgresql"
    from sportel.revenue.locks import lock_taxpayer
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    citizen = CitizenFactory()
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    make_property(shkoder, [(person, "1")], area="70")
    assessment.run_to_end(
        assessment.start_run(fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))).pk
    )
    invoice = Invoice.objects.get(person=person)
    amount = ledger.taxpayer_owed(shkoder, person=person)
    posted = threading.Event()
    errors = []

    def pay():
        try:
            payments.receive(
                shkoder,
                channel=Payment.Channel.BANK,
                amount=amount,
                key="after",
                received_on=date(2026, 4, 20),
                invoice=invoice,
                score=100,
                reason="rf",
                reason_params={"reference": invoice.reference},
            )
            posted.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        lock_taxpayer(person_id=person.pk)  # as a decision does
        payer = threading.Thread(target=pay)
        payer.start()
        time.sleep(0.5)
        assert not posted.is_set()  # the payment waits for the lock
    payer.join(10)
    assert errors == [] and posted.is_set()
    assert ledger.taxpayer_owed(shkoder, person=person) == Decimal("0.00")
