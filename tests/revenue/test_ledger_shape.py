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


def test_a_statement_posts_one_transaction_per_booking_day_from_the_bank_to_the_demands(
    assessed, register, shkoder
):
    """Decision 0030: the matched lines of a statement go straight from the bank to the
    demands in one transaction per booking day, the queued ones into suspense in another;
    each line names its payment, and each payment's lines balance on their own."""
    from sportel.revenue import statements
    from sportel.revenue.models import Invoice, LedgerLine, Payment, Statement

    from .conftest import camt053, entry

    reference = Invoice.objects.get(person=register["arta"]).reference
    statements.import_camt053(
        shkoder,
        camt053(
            [
                entry("1000.00", ref=reference),
                entry("70.00", ustrd="pa reference"),
                entry("20.00", ref=reference, booked=date(2026, 5, 5)),
            ]
        ),
    )
    statement = Statement.objects.get()
    matched = Payment.objects.get(amount=Decimal("1000.00"))
    (txn,) = LedgerTransaction.objects.filter(lines__payment=matched).distinct()
    assert txn.key == f"apply:statement{statement.pk}:2026-05-04" and txn.kind == "allocation"
    assert txn.sealed and txn.booked_on == date(2026, 5, 4)
    accounts = sorted(txn.lines.filter(payment=matched).values_list("account", "cents"))
    assert (Account.BANK, 100000) in accounts
    assert sum(cents for _account, cents in accounts) == 0
    assert not txn.lines.filter(account=Account.SUSPENSE).exists()
    later = Payment.objects.get(amount=Decimal("20.00"))
    (other_day,) = LedgerTransaction.objects.filter(lines__payment=later).distinct()
    assert other_day.key == f"apply:statement{statement.pk}:2026-05-05"
    assert other_day.booked_on == date(2026, 5, 5)
    assert ledger.taxpayer_owed(shkoder, person=register["arta"]) == Decimal("3800.00")
    queued = Payment.objects.get(amount=Decimal("70.00"))
    (receipt,) = LedgerTransaction.objects.filter(lines__payment=queued).distinct()
    assert receipt.key == f"receipt:statement{statement.pk}:2026-05-04"
    assert receipt.kind == "receipt"
    assert LedgerTransaction.objects.filter(key__contains=f"statement{statement.pk}:").count() == 3
    assert ledger.account_balance(shkoder, Account.SUSPENSE) == Decimal("-70.00")
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("1090.00")
    for payment in (matched, later, queued):
        lines = LedgerLine.objects.filter(payment=payment)
        assert sum(lines.values_list("cents", flat=True)) == 0


def test_reversing_one_payment_of_a_statement_leaves_the_others_posted(assessed, register, shkoder):
    from django.db.models import Sum

    from sportel.revenue import payments, statements
    from sportel.revenue.models import Invoice, LedgerLine, Payment

    from .conftest import camt053, entry

    arta = Invoice.objects.get(person=register["arta"]).reference
    statements.import_camt053(
        shkoder, camt053([entry("1000.00", ref=arta), entry("500.00", ref=arta)])
    )
    first = Payment.objects.get(amount=Decimal("1000.00"))
    second = Payment.objects.get(amount=Decimal("500.00"))
    payments.reverse_payment(first, key="bank:test:return", booked_on=first.received_on)
    assert sum(LedgerLine.objects.filter(payment=first).values_list("cents", flat=True)) == 0
    assert not LedgerLine.objects.filter(payment=first, account=Account.BANK).aggregate(
        total=Sum("cents")
    )["total"]
    kept = LedgerLine.objects.filter(payment=second, account=Account.BANK)
    assert sum(kept.values_list("cents", flat=True)) == 50000
    assert ledger.taxpayer_owed(shkoder, person=register["arta"]) == Decimal("4320.00")
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("500.00")
    # Reversing it again posts nothing.
    count = LedgerTransaction.objects.count()
    payments.reverse_payment(first, key="bank:test:return", booked_on=first.received_on)
    assert LedgerTransaction.objects.count() == count
