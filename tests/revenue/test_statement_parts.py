"""A large statement is parsed in a second process and matched and written in parts as it is
read (decision 0034): what it posts is what a statement read whole posts, and a file found
malformed after its first parts were written posts nothing."""

from decimal import Decimal

import pytest

from sportel.revenue import camt053 as camt
from sportel.revenue import ledger, statements
from sportel.revenue.camt053 import StatementError
from sportel.revenue.models import (
    Account,
    Invoice,
    LedgerLine,
    LedgerTransaction,
    Payment,
    Statement,
    StatementLine,
)

from .conftest import camt053, entry


@pytest.fixture
def in_parts(monkeypatch):
    """Every statement parsed in a second process, one line per part."""
    monkeypatch.setattr(statements, "PARSE_BESIDE_BYTES", 0)
    monkeypatch.setattr(camt, "PART", 1)


def ref_of(person=None, business=None):
    return Invoice.objects.get(person=person, business=business).reference


def test_a_statement_read_in_parts_posts_what_a_whole_one_does(
    assessed, register, shkoder, in_parts
):
    arta, drita, bakery = register["arta"], register["drita"], register["bakery"]
    reference = ref_of(person=arta)
    data = camt053(
        [
            entry("2000.00", ustrd=f"taksa {reference}", svcr="B-1"),
            entry("500.00", ref="RF18539007547034", name="Dikush Tjeter"),
            # The same payer in a later part: what the first part applied is already off.
            entry("3000.00", ref=reference),
            entry("1000.00", ustrd=f"Pagese NIPT {bakery.nipt}"),
            entry("1140.00", ref=ref_of(person=drita)),
            entry("2000.00", ustrd=f"taksa {reference}", svcr="B-1"),  # the bank repeats it
            entry("150.00", indicator="DBIT", ustrd="Komision bankar"),
        ]
    )
    summary = statements.import_camt053(shkoder, data)
    assert (summary.lines, summary.applied, summary.queued) == (7, 4, 1)
    assert (summary.duplicates, summary.ignored) == (1, 1)
    assert summary.credited == Decimal("7640.00")
    assert ledger.taxpayer_owed(shkoder, person=arta) == 0
    assert ledger.taxpayer_credit(shkoder, person=arta) == Decimal("180.00")
    assert ledger.taxpayer_owed(shkoder, person=drita) == 0
    assert ledger.taxpayer_owed(shkoder, business=bakery) == Decimal("40500.00")
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("7640.00")
    assert ledger.account_balance(shkoder, Account.SUSPENSE) == Decimal("-500.00")
    assert sum(ledger.trial_balance(shkoder).values()) == 0
    # One transaction per kind and day, each payment's own lines balanced.
    assert LedgerTransaction.objects.filter(key__contains=":statement").count() == 2
    for payment in Payment.objects.all():
        assert sum(line.cents for line in LedgerLine.objects.filter(payment=payment)) == 0
    assert StatementLine.objects.count() == 7 and Payment.objects.count() == 5
    # A second import of the same statement posts nothing.
    with pytest.raises(statements.DuplicateStatement):
        statements.import_camt053(shkoder, data)
    assert Payment.objects.count() == 5


def test_a_file_malformed_after_its_first_parts_posts_nothing(
    assessed, register, shkoder, in_parts
):
    reference = ref_of(person=register["arta"])
    good = [entry("100.00", ref=reference) for _ in range(3)]
    with pytest.raises(StatementError, match="two decimals"):
        statements.import_camt053(shkoder, camt053([*good, entry("12.345")]))
    with pytest.raises(StatementError, match="well-formed"):
        statements.import_camt053(shkoder, camt053(good)[:-40])
    assert not Statement.objects.exists() and not Payment.objects.exists()
    assert not LedgerTransaction.objects.filter(key__contains=":statement").exists()
    assert ledger.taxpayer_credit(shkoder, person=register["arta"]) == 0


@pytest.mark.postgres_only
def test_what_matching_reads_owed_is_the_same_in_sql_and_through_the_orm(
    assessed, register, shkoder
):
    """PostgreSQL reads what each payer owes by demand in one plain query; SQLite (and this
    test's reference) through the ORM. Paid in full, paid in part, overpaid and untouched
    payers, people and a business, and a payer who owes nothing: the same amounts by demand,
    the same "owed before", the same allocation order."""
    arta, drita, bakery = register["arta"], register["drita"], register["bakery"]
    data = camt053(
        [
            entry("1000.00", ref=ref_of(person=arta)),
            entry("99999.00", ref=ref_of(person=drita)),
            entry("1000.00", ustrd=f"Pagese NIPT {bakery.nipt}"),
        ]
    )
    statements.import_camt053(shkoder, data)
    payers = {("P", arta.pk), ("P", drita.pk), ("B", bakery.pk), ("P", 10**9), ("B", 10**9)}
    in_sql, in_orm = statements.Matcher(shkoder), statements.Matcher(shkoder)
    in_sql._load_owed_sql(set(payers))
    in_orm._load_owed_orm(set(payers))
    assert in_sql.owed == in_orm.owed
    assert in_sql.owed[("P", arta.pk)] and in_sql.owed[("B", bakery.pk)]
    assert in_sql.owed[("P", drita.pk)] == {} and in_sql.owed[("P", 10**9)] == {}
    assert in_sql.owed_before == in_orm.owed_before
    assert in_sql.owed_before[("P", arta.pk)] > 0
    for payer in payers:
        assert in_sql.allocate(payer, 150_00) == in_orm.allocate(payer, 150_00)
