"""The ledger balances: in code, and in the database whatever the code does."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportel.revenue import ledger
from sportel.revenue.models import Account, LedgerLine, LedgerTransaction

amounts = st.lists(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999"), places=2),
    min_size=1,
    max_size=6,
)
accounts = st.sampled_from([a.value for a in Account])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(debits=amounts, account=accounts, data=st.data())
def test_the_ledger_always_balances(shkoder, debits, account, data):
    # Any split of the same total on the other side balances; the trial balance stays at zero.
    total = sum(debits)
    cut = data.draw(st.integers(min_value=0, max_value=2))
    credits = [total] if cut == 0 else [total - debits[0], debits[0]]
    lines = [ledger.debit(account, a) for a in debits] + [
        ledger.credit(Account.SUSPENSE, c) for c in credits if c
    ]
    txn, _created = ledger.post(
        shkoder, "receipt", lines, key=str(uuid.uuid4()), booked_on=date(2026, 5, 4)
    )
    assert sum(ledger.trial_balance(shkoder).values()) == 0
    assert sum(line.cents for line in txn.lines.all()) == 0


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    debits=amounts, off=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)
)
def test_an_unbalanced_transaction_is_refused_in_code(shkoder, debits, off):
    lines = [ledger.debit(Account.BANK, a) for a in debits]
    lines.append(ledger.credit(Account.SUSPENSE, sum(debits) + off))
    with pytest.raises(ledger.Unbalanced):
        ledger.post(shkoder, "receipt", lines, key=str(uuid.uuid4()), booked_on=date(2026, 5, 4))
    assert not LedgerTransaction.objects.exists()


def test_the_same_key_posts_once(shkoder):
    lines = [
        ledger.debit(Account.BANK, Decimal("10")),
        ledger.credit(Account.SUSPENSE, Decimal("10")),
    ]
    first, created = ledger.post(shkoder, "receipt", lines, key="k1", booked_on=date(2026, 5, 4))
    again, created_again = ledger.post(
        shkoder, "receipt", lines, key="k1", booked_on=date(2026, 5, 4)
    )
    assert created and not created_again and first.pk == again.pk
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("10.00")


def _raw_open_transaction(municipality) -> int:
    txn = LedgerTransaction.objects.create(
        municipality=municipality, kind="receipt", booked_on=date(2026, 5, 4), key=str(uuid.uuid4())
    )
    return txn.pk


def test_the_database_refuses_to_seal_an_unbalanced_transaction(shkoder):
    with pytest.raises(IntegrityError), transaction.atomic():
        pk = _raw_open_transaction(shkoder)
        for account, cents in ((Account.BANK, 1000), (Account.SUSPENSE, -999)):
            LedgerLine.objects.create(
                transaction_id=pk, municipality=shkoder, account=account, cents=cents
            )
        LedgerTransaction.objects.filter(pk=pk).update(sealed=True)
    assert not LedgerLine.objects.exists()


def test_the_database_refuses_changes_to_posted_lines(shkoder):
    lines = [
        ledger.debit(Account.BANK, Decimal("10")),
        ledger.credit(Account.SUSPENSE, Decimal("10")),
    ]
    txn, _ = ledger.post(shkoder, "receipt", lines, key="k2", booked_on=date(2026, 5, 4))
    line = txn.lines.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerLine.objects.filter(pk=line.pk).update(cents=5)
    if connection.vendor == "postgresql":  # SQLite: test teardown deletes (decision 0020)
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerLine.objects.filter(pk=line.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerLine.objects.create(
            transaction=txn, municipality=shkoder, account=Account.BANK, cents=1
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=txn.pk).update(memo="edited")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(
            municipality=shkoder, kind="receipt", booked_on=date(2026, 5, 4), key="k3", sealed=True
        )
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("10.00")


@pytest.mark.postgres_only
def test_postgresql_refuses_an_unbalanced_transaction_at_commit(shkoder):
    """Even lines left in an open transaction must balance when the transaction commits."""
    with pytest.raises(IntegrityError, match="sealed"), transaction.atomic():
        pk = _raw_open_transaction(shkoder)
        LedgerLine.objects.create(
            transaction_id=pk, municipality=shkoder, account=Account.BANK, cents=1000
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not LedgerLine.objects.exists()


@pytest.mark.postgres_only
def test_postgresql_refuses_to_commit_an_open_transaction_even_balanced(shkoder):
    """A transaction is sealed before commit (decision 0027), so no committed transaction can
    take more lines later: the rule holds across database transactions, not only within one."""
    with pytest.raises(IntegrityError, match="sealed"), transaction.atomic():
        pk = _raw_open_transaction(shkoder)
        for account, cents in ((Account.BANK, 1000), (Account.SUSPENSE, -1000)):
            LedgerLine.objects.create(
                transaction_id=pk, municipality=shkoder, account=account, cents=cents
            )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not LedgerTransaction.objects.exists()


def test_a_reversal_mirrors_the_original(shkoder):
    lines = [
        ledger.debit(Account.BANK, Decimal("250.50")),
        ledger.credit(Account.SUSPENSE, Decimal("250.50")),
    ]
    txn, _ = ledger.post(shkoder, "receipt", lines, key="k4", booked_on=date(2026, 5, 4))
    ledger.reverse(txn, key="k4:rev", booked_on=date(2026, 5, 5))
    assert ledger.account_balance(shkoder, Account.BANK) == 0
    assert LedgerTransaction.objects.get(key="k4:rev").reverses == txn
