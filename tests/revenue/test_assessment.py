"""The fiscal package as dated data and the year's assessment."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from sportel.revenue import assessment, fiscal, ledger, rf
from sportel.revenue.models import (
    Account,
    AssessmentRun,
    Demand,
    FiscalPackage,
    Invoice,
    LedgerLine,
    LedgerTransaction,
    Property,
)


def owed(municipality, **payer):
    return ledger.taxpayer_owed(municipality, **payer)


def test_a_package_with_overlapping_dates_is_refused(package, shkoder):
    data = fiscal.seed_data("shkoder-2026")
    data.update(year=2027, valid_from="2026-12-01", valid_to="2027-12-31")
    with pytest.raises(ValidationError) as refused:
        fiscal.create_package(shkoder, data)
    assert "mbivendosen me paketën e vitit 2026" in str(refused.value)
    assert FiscalPackage.objects.filter(municipality=shkoder).count() == 1


def test_the_package_cites_its_sources(package):
    assert "9632" in package.source_note and "NOT VERIFIED" in package.source_note
    assert package.penalty_rate_per_day == Decimal("0.0006") and package.penalty_cap_days == 365


def test_the_assessment_bills_each_taxpayer_to_the_lek(assessed, register, shkoder):
    # Arta: 52 000 ALL/m² × 70 m² × 0.05 % = 1 820 + cleaning 1 800 + lighting 600 + greening 600
    assert owed(shkoder, person=register["arta"]) == Decimal("4820.00")
    # Besnik and Drita: 38 000 × 120 × 0.05 % = 2 280, half each; the household tariffs go to
    # the first of the largest owners.
    assert owed(shkoder, person=register["besnik"]) == Decimal("4140.00")
    assert owed(shkoder, person=register["drita"]) == Decimal("1140.00")
    # The bakery: 45 000 × 50 × 0.2 % = 4 500 + 18 000 + 6 000 + 3 000 + sign 2 m² × 5 000
    assert owed(shkoder, business=register["bakery"]) == Decimal("41500.00")
    assert assessed.status == AssessmentRun.Status.DONE and assessed.done == assessed.total == 4
    balances = ledger.trial_balance(shkoder)
    assert balances[Account.RECEIVABLE] == Decimal("51600.00") == -balances[Account.INCOME]


def test_each_invoice_has_a_valid_rf_reference(assessed, register, shkoder):
    invoice = Invoice.objects.get(person=register["arta"])
    assert rf.is_valid(invoice.reference)
    assert invoice.reference == assessment.invoice_reference(
        shkoder, 2026, f"P:{register['arta'].pk}"
    )


def test_running_again_writes_nothing(assessed, package, shkoder):
    before = (Demand.objects.count(), LedgerTransaction.objects.count())
    again = assessment.start_run(package)
    assessment.run_to_end(again.pk)
    assert (Demand.objects.count(), LedgerTransaction.objects.count()) == before


def test_a_resumed_run_posts_nothing_twice(package, register, shkoder):
    run = assessment.start_run(package)
    assert not assessment.run_batch(run.pk, size=1)  # a worker dies after the first taxpayer
    run.refresh_from_db()
    assert run.done == 1 and run.status == AssessmentRun.Status.RUNNING
    assessment.run_to_end(run.pk, size=2)  # another worker picks it up
    assert ledger.trial_balance(shkoder)[Account.RECEIVABLE] == Decimal("51600.00")


def test_a_worker_killed_mid_batch_loses_nothing_and_posts_nothing_twice(
    package, register, shkoder, monkeypatch
):
    run = assessment.start_run(package)
    real = assessment.write_batch

    def dies_after_writing(*args, **kwargs):
        real(*args, **kwargs)
        raise SystemExit("worker killed")  # after the batch's rows, before its commit

    monkeypatch.setattr(assessment, "write_batch", dies_after_writing)
    with pytest.raises(SystemExit):
        assessment.run_to_end(run.pk, size=3)
    run.refresh_from_db()
    assert run.done == 0 and not Demand.objects.exists()
    assert not LedgerTransaction.objects.exists()
    monkeypatch.setattr(assessment, "write_batch", real)
    assessment.run_to_end(run.pk, size=3)
    assessment.run_to_end(assessment.start_run(package).pk)  # and once more: nothing new
    assert ledger.trial_balance(shkoder)[Account.RECEIVABLE] == Decimal("51600.00")
    # One receivable line per demand, in one transaction per batch (decision 0027): 4
    # taxpayers in batches of 3 are 2 transactions.
    lines = LedgerLine.objects.filter(account=Account.RECEIVABLE, demand__isnull=False)
    assert sorted(lines.values_list("demand_id", flat=True)) == sorted(
        Demand.objects.values_list("pk", flat=True)
    )
    assert LedgerTransaction.objects.filter(kind="assessment").count() == 2


def test_a_correction_is_a_revision_and_the_ledger_carries_the_difference(
    assessed, package, register, shkoder
):
    prop = Property.objects.get(owners__person=register["arta"])
    Property.objects.filter(pk=prop.pk).update(area_m2=Decimal("90"))
    run = assessment.start_run(package)
    assessment.run_to_end(run.pk)
    building = Demand.objects.filter(invoice__person=register["arta"], tax_head__code="building")
    first, second = building.order_by("revision")
    assert (first.amount, second.amount) == (Decimal("1820.00"), Decimal("2340.00"))
    assert second.supersedes == first and second.revision == 2
    assert owed(shkoder, person=register["arta"]) == Decimal("5340.00")
    assert LedgerTransaction.objects.filter(kind="revision").count() == 1


def test_a_demand_is_superseded_by_one_revision_only(assessed, register):
    """The partial unique index over ``supersedes`` (decision 0036) keeps the rule the
    one-to-one field kept: a second revision of the same demand is refused."""
    from django.db import IntegrityError, transaction

    first = Demand.objects.filter(invoice__person=register["arta"]).first()
    revision = {
        "municipality_id": first.municipality_id,
        "invoice_id": first.invoice_id,
        "tax_head_id": first.tax_head_id,
        "property_id": first.property_id,
        "premises_id": first.premises_id,
        "supersedes": first,
        "amount": first.amount + 1,
        "due_date": first.due_date,
    }
    Demand.objects.create(revision=2, **revision)
    with pytest.raises(IntegrityError), transaction.atomic():
        Demand.objects.create(revision=3, **revision)
    assert Demand.objects.filter(supersedes=first).count() == 1
    assert Demand.objects.filter(supersedes__isnull=True).count() > 1  # many firsts: nulls
