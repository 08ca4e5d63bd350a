"""Late-payment penalty and delay interest booked as demands of their own (decision 0031):
accrued by the fiscal package's rules, idempotent, shown to the resident and the officer,
paid after every principal, written off by an officer with a reason."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse

from sportel.core.models import AuditEntry
from sportel.core.money import to_money
from sportel.revenue import clearance, ledger, payments, penalties, selectors
from sportel.revenue.models import Demand, FiscalPackage, Invoice, LedgerTransaction, Payment

# Arta owes 4 820 ALL for 2026, due 30.09.2026 (conftest's register, Shkodër's package).
DUE = date(2026, 9, 30)
PRINCIPAL = Decimal("4820.00")


def url(name, municipality, **kwargs):
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@pytest.fixture
def officer(make_staff, shkoder):
    return make_staff(shkoder, "tax_officer")


def _charges(invoice, code):
    return Demand.objects.filter(invoice=invoice, tax_head__code=code).order_by("revision")


def _balanced(municipality):
    return sum(ledger.trial_balance(municipality).values(), Decimal(0)) == 0


def test_accrual_books_the_penalty_as_a_demand_and_a_second_run_books_nothing(
    assessed, register, shkoder
):
    arta = register["arta"]
    invoice = Invoice.objects.get(person=arta)
    assert penalties.accrue_taxpayer(shkoder, on=DUE, person=arta) == []  # not late yet
    written = penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=arta)
    # 10 days × 0.06 % × 4 820 = 28.92
    assert [d.amount for d in written] == [Decimal("28.92")]
    assert written[0].tax_head.code == penalties.PENALTY
    assert ledger.taxpayer_owed(shkoder, person=arta) == PRINCIPAL + Decimal("28.92")
    assert _balanced(shkoder)
    transactions = LedgerTransaction.objects.count()
    # The same day again, by the officer or the daily job: nothing new.
    assert penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=arta) == []
    assert LedgerTransaction.objects.count() == transactions
    # The daily job books the other three taxpayers, then, run again, nothing.
    assert penalties.accrue_municipality(shkoder, on=date(2026, 10, 10)).demands == 3
    transactions = LedgerTransaction.objects.count()
    assert penalties.accrue_municipality(shkoder, on=date(2026, 10, 10)).demands == 0
    assert LedgerTransaction.objects.count() == transactions
    assert _charges(invoice, penalties.PENALTY).count() == 1
    # Ten days later: a new revision for the ten new days; the old one is superseded.
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 20), person=arta)
    first, second = _charges(invoice, penalties.PENALTY)
    assert (second.revision, second.supersedes_id, second.amount) == (2, first.pk, Decimal("57.84"))
    assert ledger.demand_outstanding(first) == 0
    assert ledger.demand_outstanding(second) == Decimal("57.84")
    assert _balanced(shkoder)


def test_the_penalty_stops_at_the_packages_cap(assessed, register, shkoder):
    arta = register["arta"]
    penalties.accrue_taxpayer(shkoder, on=date(2027, 3, 1), person=arta)
    penalties.accrue_taxpayer(shkoder, on=date(2028, 1, 1), person=arta)
    penalties.accrue_taxpayer(shkoder, on=date(2029, 1, 1), person=arta)  # past the cap
    invoice = Invoice.objects.get(person=arta)
    current = _charges(invoice, penalties.PENALTY).last()
    # 365 days × 0.06 % × 4 820 = 1 055.58, however often and late the accrual runs.
    assert current.amount == Decimal("1055.58") and current.revision == 2
    assert current.basis["items"] and all(i["days"] == 365 for i in current.basis["items"].values())


def test_delay_interest_accrues_by_the_packages_yearly_rate(assessed, register, shkoder):
    FiscalPackage.objects.filter(municipality=shkoder, year=2026).update(
        delay_interest_rate=Decimal("0.05")
    )
    arta = register["arta"]
    penalties.accrue_taxpayer(shkoder, on=date(2026, 12, 29), person=arta)  # 90 days
    invoice = Invoice.objects.get(person=arta)
    interest = _charges(invoice, penalties.INTEREST).get()
    # 5 % a year for 90 days on each bill line, rounded per line (59.43, where the whole
    # 4 820 would give 59.42); the penalty 4 820 × 0.06 % × 90 = 260.28.
    lines = sorted(
        d.amount
        for d in Demand.objects.filter(invoice=invoice).exclude(tax_head__code__in=penalties.CODES)
    )
    assert sum(lines) == PRINCIPAL
    expected = sum(to_money(a * Decimal("0.05") * 90 / 365) for a in lines)
    assert interest.amount == expected == Decimal("59.43")
    assert _charges(invoice, penalties.PENALTY).get().amount == Decimal("260.28")
    totals = penalties.bill_totals(selectors.invoice_lines(invoice))
    assert (totals.principal, totals.penalty, totals.interest, totals.total) == (
        PRINCIPAL,
        Decimal("260.28"),
        Decimal("59.43"),
        Decimal("5139.71"),
    )


def test_a_payment_pays_every_principal_first_then_interest_then_penalty(
    assessed, register, shkoder
):
    FiscalPackage.objects.filter(municipality=shkoder, year=2026).update(
        delay_interest_rate=Decimal("0.05")
    )
    arta = register["arta"]
    invoice = Invoice.objects.get(person=arta)
    penalties.accrue_taxpayer(shkoder, on=date(2026, 12, 29), person=arta)
    # A bank transfer of 4 900: all of the principal, then 59.43 interest, 20.57 penalty.
    payments.receive(
        shkoder,
        channel=Payment.Channel.BANK,
        amount="4900",
        key="bank:1",
        received_on=date(2026, 12, 30),
        invoice=invoice,
        reference=invoice.reference,
    )
    totals = penalties.bill_totals(selectors.invoice_lines(invoice))
    assert (totals.principal, totals.interest, totals.penalty) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("239.71"),
    )
    # With the principal paid, no further penalty accrues; the rest is still owed and refuses
    # the clearance certificate.
    assert penalties.accrue_taxpayer(shkoder, on=date(2027, 2, 1), person=arta) == []
    refused = clearance.issue(shkoder, person=arta)
    assert isinstance(refused, clearance.Refusal) and refused.total == Decimal("239.71")
    payments.receive(
        shkoder,
        channel=Payment.Channel.BANK,
        amount="239.71",
        key="bank:2",
        received_on=date(2027, 2, 2),
        invoice=invoice,
        reference=invoice.reference,
    )
    assert ledger.taxpayer_owed(shkoder, person=arta) == 0
    assert _balanced(shkoder)


def test_the_clearance_statement_shows_booked_and_not_yet_booked_penalty(
    assessed, register, shkoder
):
    arta = register["arta"]
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=arta)
    lines = clearance.statement(shkoder, person=arta, on=date(2026, 10, 20))
    sums = clearance.totals(lines)
    # Booked 28.92 (10 days) + 28.92 accrued since (10 more days), nothing counted twice.
    assert (sums["principal"], sums["penalty"]) == (PRINCIPAL, Decimal("57.84"))


def test_an_officer_writes_off_a_penalty_with_a_reason_and_it_is_audited(
    assessed, register, shkoder, officer, make_staff
):
    arta = register["arta"]
    invoice = Invoice.objects.get(person=arta)
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=arta)
    demand = _charges(invoice, penalties.PENALTY).get()
    clerk = make_staff(shkoder, "clerk")
    with pytest.raises(PermissionDenied):
        penalties.write_off(demand, amount="10", reason="Gabim i sistemit", actor=clerk, on=DUE)
    with pytest.raises(ValidationError):
        penalties.write_off(demand, amount="10", reason="", actor=officer, on=DUE)
    with pytest.raises(ValidationError):
        penalties.write_off(demand, amount="28.93", reason="Më shumë", actor=officer, on=DUE)
    with pytest.raises(ValidationError):  # only penalties and interest are written off here
        principal = Demand.objects.filter(invoice=invoice).exclude(
            tax_head__code__in=penalties.CODES
        )[0]
        penalties.write_off(principal, amount="1", reason="Jo kështu", actor=officer, on=DUE)
    revised = penalties.write_off(
        demand,
        amount="20",
        reason="Pagesa u vonua nga banka",
        actor=officer,
        on=date(2026, 10, 11),
    )
    assert revised.amount == Decimal("8.92") and revised.supersedes_id == demand.pk
    assert ledger.demand_outstanding(revised) == Decimal("8.92")
    entry = AuditEntry.objects.get(action="revenue.penalty.write_off")
    assert entry.data["reason"] == "Pagesa u vonua nga banka" and entry.data["amount"] == "20.00"
    with pytest.raises(ValidationError):  # the old revision cannot be written off twice
        penalties.write_off(demand, amount="1", reason="Sërish", actor=officer, on=DUE)
    # The next accrual continues from the write-off, it does not restore the amount.
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 20), person=arta)
    assert _charges(invoice, penalties.PENALTY).last().amount == Decimal("37.84")
    assert _balanced(shkoder)


def test_penalties_stay_out_of_the_collection_rate(assessed, register, shkoder):
    before = selectors.totals(selectors.collection(shkoder, 2026))
    penalties.accrue_taxpayer(shkoder, on=date(2026, 12, 29), person=register["arta"])
    after = selectors.totals(selectors.collection(shkoder, 2026))
    assert (after.billed, after.collected) == (before.billed, before.collected)


def test_the_daily_command_accrues_every_taxpayer_once(assessed, register, shkoder, capsys):
    call_command("revenue", "accrue-penalties", "shkoder", "--on", "2026-10-10")
    first = capsys.readouterr().out
    assert "4 taxpayers checked" in first and "4 penalty/interest revisions booked" in first
    call_command("revenue", "accrue-penalties", "shkoder", "--on", "2026-10-10")
    assert "0 penalty/interest revisions booked" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("revenue", "accrue-penalties", "shkoder", "--on", "10.10.2026")


@pytest.mark.parametrize(
    ("prefix", "words"),
    [
        ("", ("Detyrimi", "Gjoba për vonesë", "Kamatëvonesa", "28,92 lekë")),
        ("/en", ("Principal", "Late-payment penalty", "Delay interest", "28.92 ALL")),
    ],
)
def test_my_taxes_shows_principal_penalty_interest_and_total(
    assessed, register, shkoder, client, prefix, words
):
    from sportel.accounts.models import User

    user = User.objects.create_user("arta@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z")
    arta = register["arta"]
    arta.user = user
    arta.save(update_fields=["user"])
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=arta)
    client.force_login(user)
    page = client.get(prefix + url("revenue:mine", shkoder)).content.decode()
    for word in words:
        assert word in page
    total = "4\xa0848,92 lekë" if not prefix else "4,848.92 ALL"
    assert total in page


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_officer_sees_the_bill_books_to_today_and_writes_off(
    assessed, register, shkoder, officer, verified_client, prefix
):
    arta = register["arta"]
    invoice = Invoice.objects.get(person=arta)
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=arta)
    client = verified_client(officer)
    page_url = prefix + url("revenue-staff:bill", shkoder, reference=invoice.reference)
    page = client.get(page_url).content.decode()
    assert "Arta Kola" in page and ("28,92" in page if not prefix else "28.92" in page)
    assert AuditEntry.objects.filter(action="revenue.bill.read").exists()
    demand = _charges(invoice, penalties.PENALTY).get()
    bad = client.post(page_url, {"demand": demand.pk, "amount": "999", "reason": "Gabim"})
    assert bad.status_code == 400
    assert ("At most" if prefix else "Mund të fshihen") in bad.content.decode()
    ok = client.post(page_url, {"demand": demand.pk, "amount": "8.92", "reason": "Gabim banke"})
    assert ok.status_code == 302
    assert _charges(invoice, penalties.PENALTY).last().amount == Decimal("20.00")
    accrued = client.post(page_url, {"action": "accrue"}, follow=True)
    assert accrued.status_code == 200
    # Another municipality's bill is not found.
    assert client.get(url("revenue-staff:bill", shkoder, reference="RF00NOPE")).status_code == 404


def test_a_clerk_cannot_write_off(assessed, register, shkoder, make_staff, verified_client):
    arta = register["arta"]
    invoice = Invoice.objects.get(person=arta)
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=arta)
    clerk = make_staff(shkoder, "clerk")
    response = verified_client(clerk).post(
        url("revenue-staff:bill", shkoder, reference=invoice.reference), {"action": "accrue"}
    )
    assert response.status_code == 403


def test_an_accrued_penalty_does_not_resend_the_years_tax_notice(
    assessed, register, shkoder, seal_keys
):
    from sportel.revenue import notices

    invoice = Invoice.objects.get(person=register["arta"])
    first, created = notices.issue_notice(invoice, actor="tax-office")
    assert created
    penalties.accrue_taxpayer(shkoder, on=date(2026, 10, 10), person=register["arta"])
    again, created = notices.issue_notice(invoice, actor="tax-office")
    assert not created and again.pk == first.pk
