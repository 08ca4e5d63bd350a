"""The fast write path (revenue.bulk): rows go in as plain tuples (COPY on PostgreSQL,
executemany on SQLite) and the ledger's database rules hold for them exactly as for the ORM."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from sportel.revenue import bulk, ledger
from sportel.revenue.models import Account, Invoice, LedgerLine, LedgerTransaction

TXN = ("id", "municipality_id", "kind", "booked_on", "posted_at", "memo", "key", "sealed")
LINE = ("transaction_id", "municipality_id", "account", "cents")


def _open_transactions(municipality, count, prefix):
    with transaction.atomic():
        ids = bulk.reserve_ids("revenue_ledgertransaction", count)
        now = timezone.now()
        bulk.insert(
            "revenue_ledgertransaction",
            TXN,
            [
                (pk, municipality.pk, "receipt", date(2026, 5, 4), now, "", f"{prefix}{pk}", False)
                for pk in ids
            ],
        )
    return ids


def test_reserved_ids_are_never_handed_out_twice(shkoder):
    """Ids reserved for bulk rows do not collide with the ORM's, before or after, nor with the
    id of a row deleted since."""
    from .conftest import make_person

    arta = make_person(shkoder)
    with transaction.atomic():
        (pk,) = bulk.reserve_ids("revenue_invoice", 1)
        bulk.insert(
            "revenue_invoice",
            ("id", "municipality_id", "year", "person_id", "reference", "created_at"),
            [(pk, shkoder.pk, 2026, arta.pk, "RF-test-1", timezone.now())],
        )
    Invoice.objects.filter(pk=pk).delete()
    with transaction.atomic():
        (again,) = bulk.reserve_ids("revenue_invoice", 1)
    assert again > pk
    orm = Invoice.objects.create(municipality=shkoder, year=2026, reference="RF-x", person=arta)
    assert orm.pk not in (pk, again)
    ledger_ids = _open_transactions(shkoder, 2, "a")
    txn, _created = ledger.post(
        shkoder,
        "receipt",
        [ledger.debit(Account.BANK, Decimal("5")), ledger.credit(Account.SUSPENSE, Decimal("5"))],
        key="orm-after-bulk",
        booked_on=date(2026, 5, 4),
    )
    assert txn.pk not in ledger_ids
    later = _open_transactions(shkoder, 2, "b")
    assert not set(later) & {*ledger_ids, txn.pk}
    assert min(later) > txn.pk
    # An open transaction may not be committed (decision 0027): these took ids only.
    LedgerTransaction.objects.filter(pk__in=[*ledger_ids, *later]).delete()


def test_rows_read_back_as_written(shkoder, register, package):
    """Decimals, dates, time stamps and JSON survive the driver on both databases."""
    from sportel.revenue import assessment
    from sportel.revenue.models import Demand

    run = assessment.start_run(package)
    assessment.run_to_end(run.pk)
    demand = Demand.objects.filter(municipality=shkoder, tax_head__code="building").first()
    assert isinstance(demand.amount, Decimal) and demand.amount > 0
    assert demand.due_date == max(i.due_date for i in package.instalments.all())
    assert Decimal(demand.basis["rate"]) in (Decimal("0.0005"), Decimal("0.002"))
    assert demand.created_at.tzinfo is not None
    assert abs((timezone.now() - demand.created_at).total_seconds()) < 600
    # One transaction per batch (decision 0027): the demand's own line names it.
    posting = LedgerLine.objects.get(demand=demand).transaction
    assert posting.sealed and posting.kind == "assessment"
    assert posting.key.startswith("assessment:run")
    assert (
        posting.lines.filter(demand__isnull=False).count()
        == Demand.objects.filter(municipality=shkoder).count()
    )
    assert ledger.demand_outstanding(demand) == demand.amount


def test_the_database_refuses_to_seal_bulk_rows_that_do_not_balance(shkoder):
    with pytest.raises(IntegrityError), transaction.atomic():
        (pk,) = _open_transactions(shkoder, 1, "u")
        bulk.insert(
            "revenue_ledgerline",
            LINE,
            [(pk, shkoder.pk, Account.BANK, 1000), (pk, shkoder.pk, Account.SUSPENSE, -999)],
        )
        bulk.update_ids("revenue_ledgertransaction", "sealed = TRUE", [pk])
    assert not LedgerLine.objects.filter(municipality=shkoder).exists()


def test_the_database_refuses_bulk_lines_added_to_a_sealed_transaction(shkoder):
    txn, _created = ledger.post(
        shkoder,
        "receipt",
        [ledger.debit(Account.BANK, Decimal("5")), ledger.credit(Account.SUSPENSE, Decimal("5"))],
        key="sealed-one",
        booked_on=date(2026, 5, 4),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert("revenue_ledgerline", LINE, [(txn.pk, shkoder.pk, Account.BANK, 1)])
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("5.00")


def test_post_many_posts_each_key_once_and_refuses_an_unbalanced_entry(shkoder):
    def entry(key, out=Decimal("7")):
        return ledger.Entry(
            "receipt",
            [ledger.debit(Account.BANK, Decimal("7")), ledger.credit(Account.SUSPENSE, out)],
            key=key,
            booked_on=date(2026, 5, 4),
        )

    assert ledger.post_many(shkoder, [entry("x1"), entry("x2")]) == 2
    assert ledger.post_many(shkoder, [entry("x1"), entry("x3")]) == 1
    with pytest.raises(ledger.Unbalanced):
        ledger.post_many(shkoder, [entry("x4"), entry("x5", out=Decimal("6.99"))])
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("21.00")
    assert not LedgerTransaction.objects.filter(key__in=["x4", "x5"]).exists()
