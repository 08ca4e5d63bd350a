"""Decision 0027: one ledger transaction per assessment batch, references checked per
statement on PostgreSQL; the figures read from the ledger do not depend on the shape."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from sportel.revenue import assessment, ledger, selectors
from sportel.revenue.models import Account, Demand, LedgerLine, LedgerTransaction


def _per_demand_postings(municipality):
    """The shape before decision 0027 (one transaction per demand), posted for every demand of
    the ledger as it stood: what a database assessed before the migration holds."""
    entries = []
    for demand in Demand.objects.filter(municipality=municipality).select_related("invoice"):
        payer = (
            {"person_id": demand.invoice.person_id}
            if demand.invoice.person_id
            else {"business_id": demand.invoice.business_id}
        )
        refs = {"tax_head_id": demand.tax_head_id, **payer}
        entries.append(
            ledger.Entry(
                LedgerTransaction.Kind.ASSESSMENT,
                [
                    ledger.debit(Account.RECEIVABLE, demand.amount, demand_id=demand.pk, **refs),
                    ledger.credit(Account.INCOME, demand.amount, tax_head_id=demand.tax_head_id),
                ],
                key=f"demand:{demand.pk}",
                booked_on=date(2026, 1, 15),
            )
        )
    return entries


def _figures(municipality, register):
    return (
        [(r.key, r.billed, r.collected) for r in selectors.collection(municipality, 2026)],
        [(r.key, r.billed) for r in selectors.collection(municipality, 2026, by="unit")],
        {
            name: ledger.taxpayer_owed(
                municipality, **{"business" if name == "bakery" else "person": who}
            )
            for name, who in register.items()
        },
        {
            d.pk: ledger.demand_outstanding(d)
            for d in Demand.objects.filter(municipality=municipality)
        },
        ledger.trial_balance(municipality),
    )


def test_a_batch_posts_one_transaction_whose_lines_name_every_demand(package, register, shkoder):
    run = assessment.start_run(package)
    assessment.run_to_end(run.pk)
    (txn,) = LedgerTransaction.objects.filter(municipality=shkoder)
    assert txn.sealed and txn.kind == "assessment"
    receivable = txn.lines.filter(account=Account.RECEIVABLE)
    assert receivable.count() == Demand.objects.count()
    assert all(line.demand_id and line.tax_head_id for line in receivable)
    assert all(line.person_id or line.business_id for line in receivable)
    # One income line per tax head for the whole batch.
    income = list(txn.lines.filter(account=Account.INCOME).values_list("tax_head_id", flat=True))
    assert sorted(income) == sorted(set(Demand.objects.values_list("tax_head_id", flat=True)))


def test_old_per_demand_postings_read_exactly_as_the_new_batch_postings(package, register, shkoder):
    """A database assessed before the change keeps its per-demand transactions (the ledger is
    never edited, so no data migration converts them): every figure reads the same."""
    run = assessment.start_run(package)
    assessment.run_to_end(run.pk)
    new_shape = _figures(shkoder, register)
    # The same demands posted the old way, in a second municipality's worth of ledger: swap
    # the batch transaction's lines for per-demand ones by posting the old shape and
    # reversing the batch.
    (batch,) = LedgerTransaction.objects.filter(municipality=shkoder)
    with transaction.atomic():
        ledger.post_many(shkoder, _per_demand_postings(shkoder))
        ledger.reverse(batch, key="undo-batch", booked_on=date(2026, 1, 15))
    # The reversal is a REVERSAL, which the collection rate counts as collected: compare the
    # balances only, which is what the reversal leaves unchanged.
    old_shape = _figures(shkoder, register)
    assert old_shape[2] == new_shape[2]  # what each taxpayer owes
    assert old_shape[3] == new_shape[3]  # what each demand still owes
    assert old_shape[4] == new_shape[4]  # the trial balance
    assert LedgerTransaction.objects.filter(key__startswith="demand:").count() == len(new_shape[3])


def test_a_rerun_of_the_year_reproduces_its_bills_and_posts_nothing(package, register, shkoder):
    run = assessment.start_run(package)
    assessment.run_to_end(run.pk)
    bills = sorted(Demand.objects.values_list("invoice__reference", "tax_head__code", "amount"))
    lines = LedgerLine.objects.count()
    assessment.run_to_end(assessment.start_run(package).pk)
    assert (
        sorted(Demand.objects.values_list("invoice__reference", "tax_head__code", "amount"))
        == bills
    )
    assert LedgerLine.objects.count() == lines


@pytest.mark.postgres_only
def test_postgresql_refuses_a_line_naming_a_missing_demand(package, register, shkoder):
    """The references are checked per statement now, and still refused."""
    with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
        ledger.post(
            shkoder,
            "assessment",
            [
                ledger.debit(Account.RECEIVABLE, Decimal("5"), demand_id=987654321),
                ledger.credit(Account.INCOME, Decimal("5")),
            ],
            key="ghost",
            booked_on=date(2026, 5, 4),
        )
    assert not LedgerLine.objects.exists()


@pytest.mark.postgres_only
def test_postgresql_refuses_deleting_a_row_the_ledger_names(package, register, shkoder):
    run = assessment.start_run(package)
    assessment.run_to_end(run.pk)
    demand = Demand.objects.first()
    arta = register["arta"]
    with (
        pytest.raises(IntegrityError, match="foreign key"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM revenue_demand WHERE id = %s", [demand.pk])
    with (
        pytest.raises(IntegrityError, match="foreign key"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM revenue_invoice WHERE person_id = %s", [arta.pk])
    assert Demand.objects.filter(pk=demand.pk).exists()


def test_a_matched_bank_line_posts_one_transaction_from_the_bank_to_the_demands(
    assessed, register, shkoder
):
    from sportel.revenue import statements
    from sportel.revenue.models import Invoice, Payment

    from .conftest import camt053, entry

    reference = Invoice.objects.get(person=register["arta"]).reference
    statements.import_camt053(
        shkoder, camt053([entry("1000.00", ref=reference), entry("70.00", ustrd="pa reference")])
    )
    matched = Payment.objects.get(amount=Decimal("1000.00"))
    (txn,) = LedgerTransaction.objects.filter(key__endswith=f":{matched.pk}")
    assert txn.key == f"apply:{matched.pk}" and txn.kind == "allocation"
    accounts = sorted(txn.lines.values_list("account", "cents"))
    assert (Account.BANK, 100000) in accounts
    assert not txn.lines.filter(account=Account.SUSPENSE).exists()
    assert ledger.taxpayer_owed(shkoder, person=register["arta"]) == Decimal("3820.00")
    queued = Payment.objects.get(amount=Decimal("70.00"))
    (receipt,) = LedgerTransaction.objects.filter(key__endswith=f":{queued.pk}")
    assert receipt.key == f"receipt:{queued.pk}"
    assert ledger.account_balance(shkoder, Account.SUSPENSE) == Decimal("-70.00")
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("1070.00")
