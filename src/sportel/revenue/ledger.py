"""The double-entry ledger: the only writer of ledger rows, and the balances read from it.

``post`` checks in Python that the lines balance, inserts the transaction open, inserts its
lines and seals it; the database refuses to seal an unbalanced transaction, to add lines to a
sealed one, and to change or delete any line (migration 0002, docs/decisions revenue-ledger).
Reads count sealed transactions only. Posting is idempotent by ``key``: the same event (a
statement line, a callback, an assessment of a taxpayer) posts at most once.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from sportel.core.money import to_money

from .models import Account, LedgerLine, LedgerTransaction, cents_to_money


class Unbalanced(ValueError):
    """The lines of a transaction do not sum to zero."""


def to_cents(amount: Decimal) -> int:
    return int(to_money(amount) * 100)


@dataclass
class Line:
    account: str
    amount: Decimal  # debit positive, credit negative
    refs: dict = field(default_factory=dict)  # tax_head, demand, person, business, payment


def debit(account: str, amount: Decimal, **refs) -> Line:
    return Line(account, to_money(amount), refs)


def credit(account: str, amount: Decimal, **refs) -> Line:
    return Line(account, -to_money(amount), refs)


def post(
    municipality,
    kind: str,
    lines: list[Line],
    *,
    key: str,
    booked_on: date,
    memo: str = "",
    reverses: LedgerTransaction | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Post one balanced transaction; ``(transaction, created)``. When ``key`` was posted
    before, nothing is written and the earlier transaction comes back with ``created=False``."""
    lines = [line for line in lines if line.amount != 0]
    if len(lines) < 2:
        raise Unbalanced("a transaction needs at least two non-zero lines")
    if sum(to_cents(line.amount) for line in lines) != 0:
        raise Unbalanced("debits and credits differ")
    existing = LedgerTransaction.objects.filter(municipality=municipality, key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                municipality=municipality,
                kind=kind,
                booked_on=booked_on,
                memo=memo[:300],
                key=key,
                reverses=reverses,
            )
            LedgerLine.objects.bulk_create(
                [
                    LedgerLine(
                        transaction=txn,
                        municipality=municipality,
                        account=line.account,
                        cents=to_cents(line.amount),
                        **{f"{name}": value for name, value in line.refs.items()},
                    )
                    for line in lines
                ]
            )
            LedgerTransaction.objects.filter(pk=txn.pk).update(sealed=True)
            txn.sealed = True
    except IntegrityError:
        existing = LedgerTransaction.objects.filter(municipality=municipality, key=key).first()
        if existing is None:
            raise
        return existing, False
    return txn, True


@dataclass
class Entry:
    """One transaction to post with ``post_many``."""

    kind: str
    lines: list[Line]
    key: str
    booked_on: date
    memo: str = ""


CHUNK = 2000
_REFS = ("tax_head", "demand", "person", "business", "payment")
_TXN_COLUMNS = (
    "id",
    "municipality_id",
    "kind",
    "booked_on",
    "posted_at",
    "memo",
    "key",
    "sealed",
    "reverses_id",
)
_LINE_COLUMNS = (
    "transaction_id",
    "municipality_id",
    "account",
    "cents",
    *(f"{n}_id" for n in _REFS),
)


LINE_COLUMNS = _LINE_COLUMNS


def _ref_ids(refs: dict) -> list:
    """A line's references (objects or ids) as the ids its columns hold."""
    out = []
    for name in _REFS:
        if f"{name}_id" in refs:
            out.append(refs[f"{name}_id"])
        else:
            value = refs.get(name)
            out.append(getattr(value, "pk", value))
    return out


def post_many(municipality, entries: list[Entry], *, fresh_keys: bool = False) -> int:
    """Post many balanced transactions set-wise, inside the caller's transaction: the
    transactions go in open (ids reserved up front), then their lines, then one UPDATE per
    chunk seals them; the database checks each transaction's balance as it is sealed (its
    triggers fire per row), as for ``post``. Rows are plain tuples (``bulk``): COPY on
    PostgreSQL, executemany on SQLite. Entries whose key was posted before are skipped
    (idempotent); ``fresh_keys`` says the caller knows no key can exist yet (each names a row
    it has just created), which saves the look-up. The number posted."""
    prepared = []
    for entry in entries:
        # (account, cents, refs) of each non-zero line.
        lines = [
            (line.account, to_cents(line.amount), line.refs)
            for line in entry.lines
            if line.amount != 0
        ]
        if len(lines) < 2:
            raise Unbalanced("a transaction needs at least two non-zero lines")
        if sum(cents for _account, cents, _refs in lines) != 0:
            raise Unbalanced("debits and credits differ")
        prepared.append((entry, lines))
    keys = [entry.key for entry, _lines in prepared]
    seen = set()
    if not fresh_keys:
        for start in range(0, len(keys), CHUNK):
            seen.update(
                LedgerTransaction.objects.filter(
                    municipality=municipality, key__in=keys[start : start + CHUNK]
                ).values_list("key", flat=True)
            )
    todo = []
    for entry, lines in prepared:
        if entry.key not in seen:
            seen.add(entry.key)
            todo.append((entry, lines))
    if not todo:
        return 0
    from . import bulk

    with transaction.atomic():
        ids = bulk.reserve_ids("revenue_ledgertransaction", len(todo))
        now = timezone.now()
        mid = municipality.pk
        bulk.insert(
            "revenue_ledgertransaction",
            _TXN_COLUMNS,
            [
                (
                    pk,
                    mid,
                    entry.kind,
                    entry.booked_on,
                    now,
                    entry.memo[:300],
                    entry.key,
                    False,
                    None,
                )
                for pk, (entry, _lines) in zip(ids, todo, strict=True)
            ],
        )
        bulk.insert(
            "revenue_ledgerline",
            _LINE_COLUMNS,
            [
                (pk, mid, account, cents, *_ref_ids(refs))
                for pk, (_entry, lines) in zip(ids, todo, strict=True)
                for account, cents, refs in lines
            ],
        )
        bulk.update_ids("revenue_ledgertransaction", "sealed = TRUE", ids)
    return len(todo)


def reverse(
    original: LedgerTransaction,
    *,
    key: str,
    booked_on: date,
    memo: str = "",
    payment_id: int | None = None,
):
    """Post the mirror image of ``original`` (history is never edited); with ``payment_id``,
    of that payment's lines in it only (a statement's transaction holds many payments' lines,
    each payment's balanced on its own: decision 0030)."""
    rows = original.lines.select_related(None)
    if payment_id is not None:
        rows = rows.filter(payment_id=payment_id)
    lines = [
        Line(
            line.account,
            -line.amount,
            {
                name: getattr(line, name)
                for name in ("tax_head", "demand", "person", "business", "payment")
                if getattr(line, f"{name}_id")
            },
        )
        for line in rows
    ]
    return post(
        original.municipality,
        LedgerTransaction.Kind.REVERSAL,
        lines,
        key=key,
        booked_on=booked_on,
        memo=memo,
        reverses=original,
    )


# --------------------------------------------------------------------------- reads
def lines_of(municipality):
    return LedgerLine.objects.filter(municipality=municipality, transaction__sealed=True)


def _sum(queryset) -> Decimal:
    return cents_to_money(queryset.aggregate(total=Sum("cents"))["total"] or 0)


def account_balance(municipality, account: str, **filters) -> Decimal:
    """Debit balance of ``account`` (negative for a credit balance)."""
    return _sum(lines_of(municipality).filter(account=account, **filters))


def trial_balance(municipality) -> dict[str, Decimal]:
    rows = lines_of(municipality).values("account").annotate(total=Sum("cents")).order_by("account")
    return {row["account"]: cents_to_money(row["total"]) for row in rows}


def demand_outstanding(demand) -> Decimal:
    return _sum(
        LedgerLine.objects.filter(
            demand=demand, account=Account.RECEIVABLE, transaction__sealed=True
        )
    )


def outstanding_by_demand(municipality, *, person=None, business=None) -> dict[int, Decimal]:
    """{demand id: amount still owed} for a taxpayer, zero rows left out."""
    qs = lines_of(municipality).filter(account=Account.RECEIVABLE, demand__isnull=False)
    qs = qs.filter(person=person) if person is not None else qs.filter(business=business)
    rows = qs.values("demand").annotate(total=Sum("cents")).filter(~Q(total=0))
    return {row["demand"]: cents_to_money(row["total"]) for row in rows}


def taxpayer_owed(municipality, *, person=None, business=None) -> Decimal:
    return sum(
        outstanding_by_demand(municipality, person=person, business=business).values(),
        Decimal("0.00"),
    )


def taxpayer_credit(municipality, *, person=None, business=None) -> Decimal:
    """Credit the taxpayer holds (a positive number) from overpayments."""
    qs = lines_of(municipality).filter(account=Account.CREDIT)
    qs = qs.filter(person=person) if person is not None else qs.filter(business=business)
    return -_sum(qs)


# One row of ``post_rows``: (account, cents, tax_head_id, demand_id, person_id, business_id,
# payment_id), cents an int (debit positive, credit negative).
Row = tuple[str, int, int | None, int | None, int | None, int | None, int | None]


def post_rows(
    municipality, kind: str, rows: list[Row], *, key: str, booked_on: date, memo: str = ""
) -> int:
    """Post one balanced transaction whose lines are already plain rows in cents (a bank
    statement's lines of one day, decision 0030), inside the caller's transaction: no
    ``Line`` object and no rounding per line, the same checks as ``post_many`` (at least two
    non-zero lines, debits = credits; the database checks the balance again when it seals).
    The key must be fresh (it names a row the caller has just created). The number of lines."""
    with transaction.atomic():
        posting = RowsPosting(municipality, kind, key=key, booked_on=booked_on, memo=memo)
        posting.add(rows)
        posting.seal()
    return posting.count


class RowsPosting:
    """One transaction of plain rows (``post_rows``) written in parts, for a caller that
    produces its lines as it goes (a bank statement read in parts): the transaction row at
    once, open; each part's lines as they come; then :meth:`seal`, which checks in Python
    that there are at least two non-zero lines and that they balance, and seals (the database
    checks the balance again, and refuses to commit a transaction left open: 0027). Call
    everything inside one database transaction."""

    def __init__(self, municipality, kind: str, *, key: str, booked_on: date, memo: str = ""):
        from . import bulk

        (self.pk,) = bulk.reserve_ids("revenue_ledgertransaction", 1)
        self.mid = municipality.pk
        self.count = self.total = 0
        bulk.insert(
            "revenue_ledgertransaction",
            _TXN_COLUMNS,
            [(self.pk, self.mid, kind, booked_on, timezone.now(), memo[:300], key, False, None)],
        )

    def lines(self, rows: list[Row]) -> list[tuple]:
        """``rows`` as rows of ``revenue_ledgerline`` (``_LINE_COLUMNS``), zero lines left out,
        counted towards the seal's checks (for a caller that writes them itself)."""
        pk, mid = self.pk, self.mid
        out = [(pk, mid, *row) for row in rows if row[1] != 0]
        self.count += len(out)
        self.total += sum(row[3] for row in out)
        return out

    def add(self, rows: list[Row]) -> None:
        from . import bulk

        bulk.insert("revenue_ledgerline", _LINE_COLUMNS, self.lines(rows))

    def seal(self) -> None:
        from . import bulk

        if self.count < 2:
            raise Unbalanced("a transaction needs at least two non-zero lines")
        if self.total != 0:
            raise Unbalanced("debits and credits differ")
        bulk.update_ids("revenue_ledgertransaction", "sealed = TRUE", [self.pk])
