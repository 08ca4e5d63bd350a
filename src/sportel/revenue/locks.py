"""The locks that order a taxpayer's payments against the decisions read from their balance.

A tax clearance is decided from what the ledger says the taxpayer owes. So that no certificate
is issued while a debt exists, and none refused after the debt was paid, the decision and
every write that lowers (or, reversed, raises) what a taxpayer owes take the same lock in the
same transaction as their read or write: the taxpayer's own row (core's Person or Business),
``SELECT ... FOR UPDATE``. A bank statement posts thousands of payers at once; instead of
locking each, it takes the municipality's receipts lock exclusively, which decisions take
shared (PostgreSQL advisory locks, released at commit). On SQLite a write transaction is
already alone (``transaction_mode`` IMMEDIATE), so these are no-ops there.
"""

from django.db import connection

from sportel.core.models import Business, Person

# First key of the two-key advisory lock: "revenue receipts"; the second is the municipality.
RECEIPTS_LOCK = 110_028


def lock_taxpayer(*, person_id=None, business_id=None) -> None:
    """Lock the taxpayer's row until the transaction ends (callers are in one)."""
    if person_id is not None:
        list(Person.objects.select_for_update().filter(pk=person_id).values_list("pk"))
    if business_id is not None:
        list(Business.objects.select_for_update().filter(pk=business_id).values_list("pk"))


def _advisory(municipality_id: int, *, shared: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [RECEIPTS_LOCK, municipality_id])


def lock_receipts_shared(municipality_id: int) -> None:
    """A decision read from balances: waits while a statement is being posted."""
    _advisory(municipality_id, shared=True)


def lock_receipts_exclusive(municipality_id: int) -> None:
    """A statement's postings, many payers at once: decisions wait for its commit."""
    _advisory(municipality_id, shared=False)
