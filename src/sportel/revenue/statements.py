"""Importing bank statements (camt.053, CSV) and matching their lines to taxpayers.

One statement imports in one transaction: a bad file raises before anything is written, a
statement (same account and statement id, or the very same file) imports once. Each credit line
becomes a bank payment keyed by the bank's own reference, so a line that turns up again in
another statement posts nothing either.

Matching, best first (the score and the reason are kept on the payment and shown):
  100  a valid RF reference of one of the municipality's invoices (structured, or in the text);
   90  a valid NIPT / personal number (NID) in the remittance text, of a registered taxpayer;
   70  the payer's name is a registered taxpayer's and the amount is what they owe;
   50  the payer's name alone.
Payments scoring 90 or more are applied at once; the rest wait in the manual queue.
"""

import csv
import gc
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Lookup, Sum
from django.utils import timezone

from sportel.core import audit
from sportel.core.identifiers import check_identifier
from sportel.core.models import Business, Person

from . import bulk, camt053, ledger, payments
from .camt053 import ParsedStatement, StatementError, TxLine
from .locks import lock_receipts_exclusive
from .models import (
    Account,
    Demand,
    Invoice,
    LedgerTransaction,
    Payment,
    Statement,
    StatementLine,
    cents_to_money,
    clean_amount,
)

AUTO_APPLY = 90


class DuplicateStatement(StatementError):
    """This statement (or this very file) was imported before; nothing was posted."""


@dataclass
class Match:
    score: int = 0
    reason: str = "none"  # a code of models.MATCH_REASONS, shown in the reader's language
    params: dict = field(default_factory=dict)
    invoice_id: int | None = None
    person_id: int | None = None
    business_id: int | None = None

    @property
    def payer(self) -> tuple[str, int] | None:
        if self.person_id:
            return ("P", self.person_id)
        if self.business_id:
            return ("B", self.business_id)
        return None


@dataclass
class Summary:
    statement: Statement | None = None
    lines: int = 0
    applied: int = 0
    queued: int = 0
    reversals: int = 0
    ignored: int = 0
    duplicates: int = 0
    credited: Decimal = Decimal("0.00")
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"imported statement {self.statement.statement_id}: {self.lines} lines, "
            f"{self.applied} applied, {self.queued} queued, {self.reversals} reversals, "
            f"{self.ignored} ignored, {self.duplicates} already posted, "
            f"{self.credited:.2f} ALL received"
        )


def _name_key(text: str) -> str:
    """A name as matching compares it: case-folded (Ë = ë, Ç = ç), spaces collapsed."""
    return " ".join((text or "").casefold().split())


CHUNK = 2000


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _identifiers(line: TxLine) -> list[str]:
    """The NIPT / NID shapes in a line's remittance and reference, in order."""
    return line.identifiers


class _AnyOf(Lookup):
    """``column = ANY(%s)`` with one array parameter (PostgreSQL): one statement and one
    plan for any number of values, where ``IN (...)`` sends a placeholder per value."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        values = self.rhs
        # The array as one text literal: psycopg adapts a list value by value in Python
        # (profiled: a second and a half for a statement's 100 000 keys).
        if all(type(v) is int for v in values):
            return f"{lhs} = ANY(%s::bigint[])", (*params, _array_literal(map(str, values)))
        if all(type(v) is str for v in values):
            return f"{lhs} = ANY(%s::text[])", (*params, _text_array(values))
        return f"{lhs} = ANY(%s)", (*params, values)


def _array_literal(items) -> str:
    return "{" + ",".join(items) + "}"


def _text_array(values) -> str:
    return _array_literal('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)


# The payments already posted under these keys, one look-up of the unique (municipality, key)
# per key: the import is filling this very table, so joined freely the planner judged it by
# statistics taken before the import and read every payment of the municipality once per part
# (measured: ~420 ms a part at 1.8 million payments, growing through a large statement).
_PAYMENT_KEYS_SQL = """
SELECT k.key, p.id FROM unnest(%s::text[]) k(key)
CROSS JOIN LATERAL (
  SELECT p.id FROM revenue_payment p WHERE p.municipality_id = %s AND p.key = k.key OFFSET 0
) p
"""


def _payments_by_key(municipality, keys: list[str]) -> dict[str, int]:
    """``{key: payment id}`` of the municipality's payments posted under ``keys``."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_PAYMENT_KEYS_SQL, [_text_array(keys), municipality.pk])
            return dict(cursor.fetchall())
    existing = {}
    for rows in _any_of(Payment.objects.filter(municipality=municipality), "key", keys):
        existing.update(rows.values_list("key", "pk"))
    return existing


def _any_of(queryset, field_name: str, values):
    """``queryset`` narrowed to rows whose ``field_name`` is one of ``values``, as querysets
    to run: one (``= ANY(array)``) on PostgreSQL, chunks of ``IN`` lists on SQLite (whose
    statements take at most a few thousand parameters)."""
    values = list(values)
    if not values:
        return
    if connection.vendor == "postgresql":
        yield queryset.filter(_AnyOf(F(field_name), values))
        return
    for chunk in _chunks(values):
        yield queryset.filter(**{f"{field_name}__in": chunk})


# What payers owe by demand (sealed receivable lines, as ``ledger.lines_of``), with what
# allocation orders the demands by (``Matcher.allocate``).
_OWED_SQL = """
SELECT l.person_id, l.business_id, l.demand_id, sum(l.cents)::bigint, h.priority, d.due_date,
  d.tax_head_id
FROM revenue_ledgerline l
JOIN revenue_ledgertransaction t ON t.id = l.transaction_id
JOIN revenue_demand d ON d.id = l.demand_id
JOIN revenue_taxhead h ON h.id = d.tax_head_id
WHERE l.municipality_id = %s AND t.sealed AND l.account = %s
  AND (l.person_id = ANY(%s::bigint[]) OR l.business_id = ANY(%s::bigint[]))
GROUP BY l.person_id, l.business_id, l.demand_id, h.priority, d.due_date, d.tax_head_id
"""


class Matcher:
    """Everything matching needs, read once per statement part (invoices by RF reference,
    taxpayers by NIPT / NID and by name, what each candidate payer owes by demand), so the
    lines are matched and allocated in memory. What one line applies is taken off what the
    payer owes before the next line is allocated; matching by name and amount compares with
    what the payer owed before this statement (as when a statement was matched whole)."""

    def __init__(self, municipality, lines: list[TxLine] | None = None):
        self.municipality = municipality
        self.invoices: dict[str, tuple] = {}
        self.nipts: dict[str, int] = {}
        self.nids: dict[str, int] = {}
        self.business_names: dict[str, int] | None = None
        self.person_names: dict[str, int] | None = None
        self.owed: dict[tuple[str, int], dict[int, int]] = {}  # payer -> demand -> qindarka
        self._order: dict[tuple[str, int], list[int]] = {}
        self.owed_before: dict[tuple[str, int], Decimal] = {}
        self.demands: dict[int, tuple[int, date, int]] = {}
        self._asked_refs: set[str] = set()
        self._asked_idents: set[str] = set()
        if lines:
            self.read(lines)

    def read(self, lines: list[TxLine]) -> None:
        """Read what matching ``lines`` needs and was not read for earlier parts."""
        municipality = self.municipality
        refs, idents = set(), set()
        for line in lines:
            refs.update(line.rf_candidates)
            idents.update(_identifiers(line))
        refs -= self._asked_refs
        idents -= self._asked_idents
        self._asked_refs |= refs
        self._asked_idents |= idents
        invoices = {}
        for rows in _any_of(Invoice.objects.filter(municipality=municipality), "reference", refs):
            for row in rows.values_list("reference", "pk", "person_id", "business_id"):
                invoices[row[0]] = row[1:]
        self.invoices.update(invoices)
        nipts, nids = {}, {}
        valid = [c for c in idents if not check_identifier(c, kind="nipt").error]
        for rows in _any_of(Business.objects.filter(municipality=municipality), "nipt", valid):
            for nipt, pk in rows.values_list("nipt", "pk"):
                nipts[nipt] = pk
        for rows in _any_of(Person.objects.filter(municipality=municipality), "nid", valid):
            for nid, pk in rows.values_list("nid", "pk"):
                nids[nid] = pk
        self.nipts.update(nipts)
        self.nids.update(nids)
        # Names are read only when a line neither a reference nor an identifier matches
        # (``match`` asks for nothing else), so a statement paid by reference does not read
        # the whole register's names; then once, for the rest of the statement.
        invoices_all, nipts_all, nids_all = self.invoices, self.nipts, self.nids
        named = [
            key
            for key in (
                _name_key(line.debtor_name)
                for line in lines
                if line.debtor_name
                and not any(ref in invoices_all for ref in line.rf_candidates)
                and not any(c in nipts_all or c in nids_all for c in line.identifiers)
            )
            if key
        ]
        if named and self.business_names is None:
            self._read_names()
        named_payers = set()
        for key in named:
            if key in self.business_names:
                named_payers.add(("B", self.business_names[key]))
            elif key in self.person_names:
                named_payers.add(("P", self.person_names[key]))
        self._load_owed(
            {("P", p) for _i, p, _b in invoices.values() if p}
            | {("B", b) for _i, _p, b in invoices.values() if b}
            | {("B", b) for b in nipts.values()}
            | {("P", p) for p in nids.values()}
            | named_payers
        )

    def _read_names(self) -> None:
        # Folded in Python, not with SQL lower(): SQLite's lowers ASCII only, so "ÇELA"
        # would never meet "Çela". Only taxpayers (someone with a bill here) are read:
        # matching by name is about who owes.
        municipality = self.municipality
        self.business_names, self.person_names = {}, {}
        billed = Invoice.objects.filter(municipality=municipality)
        for pk, name in (
            Business.objects.filter(
                municipality=municipality,
                pk__in=billed.filter(business__isnull=False).values("business_id"),
            )
            .order_by("-pk")
            .values_list("pk", "name")
        ):
            key = _name_key(name)
            if key:
                self.business_names[key] = pk  # the first (lowest id) wins
        for pk, first, last in (
            Person.objects.filter(
                municipality=municipality,
                pk__in=billed.filter(person__isnull=False).values("person_id"),
            )
            .order_by("-pk")
            .values_list("pk", "first_name", "last_name")
        ):
            key = _name_key(f"{first} {last}")
            if key:
                self.person_names[key] = pk

    def _load_owed(self, payers: set[tuple[str, int]]):
        payers = {payer for payer in payers if payer not in self.owed}
        if connection.vendor == "postgresql":
            self._load_owed_sql(payers)
        else:
            self._load_owed_orm(payers)

    def _load_owed_orm(self, payers: set[tuple[str, int]]) -> None:
        """What each of ``payers`` owes by demand, and the demands' allocation order, through
        the ORM (SQLite's; the reference for ``_load_owed_sql`` in the tests)."""
        new_demands = set()
        for kind, field_name in (("P", "person_id"), ("B", "business_id")):
            ids = [number for k, number in payers if k == kind]
            for number in ids:
                self.owed[(kind, number)] = {}
            receivable = ledger.lines_of(self.municipality).filter(
                account=Account.RECEIVABLE, demand__isnull=False
            )
            for chunk in _any_of(receivable, field_name, ids):
                rows = chunk.values(field_name, "demand").annotate(total=Sum("cents"))
                for row in rows:
                    if row["total"]:
                        self.owed[(kind, row[field_name])][row["demand"]] = row["total"]
                        new_demands.add(row["demand"])
        for payer in payers:
            self.owed_before[payer] = cents_to_money(
                sum(v for v in self.owed[payer].values() if v > 0)
            )
        for rows in _any_of(Demand.objects.all(), "pk", new_demands - self.demands.keys()):
            for pk, priority, due, head in rows.values_list(
                "pk", "tax_head__priority", "due_date", "tax_head_id"
            ):
                self.demands[pk] = (priority, due, head)

    def _load_owed_sql(self, payers: set[tuple[str, int]]) -> None:
        """``_load_owed`` on PostgreSQL: what each payer owes by demand, with each demand's
        allocation order, in one query read as plain rows (through the ORM the 400 000 rows
        of a 100 000-line statement cost ~1.3 s of Python; ~0.4 s so)."""
        owed, demands = self.owed, self.demands
        people = {number for kind, number in payers if kind == "P"}
        businesses = {number for kind, number in payers if kind == "B"}
        for payer in payers:
            owed[payer] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                _OWED_SQL,
                [
                    self.municipality.pk,
                    Account.RECEIVABLE.value,
                    _array_literal(map(str, people)),
                    _array_literal(map(str, businesses)),
                ],
            )
            rows = cursor.fetchall()
        for person, business, demand, total, priority, due, head in rows:
            demands[demand] = (priority, due, head)
            # A line names one payer; were it to name both, each would owe it, as in SQLite's.
            if person in people:
                mine = owed[("P", person)]
                mine[demand] = mine.get(demand, 0) + total
            if business in businesses:
                mine = owed[("B", business)]
                mine[demand] = mine.get(demand, 0) + total
        for payer in payers:
            mine = owed[payer]
            for demand in [d for d, total in mine.items() if not total]:
                del mine[demand]
            self.owed_before[payer] = cents_to_money(sum(v for v in mine.values() if v > 0))

    def owed_by(self, payer) -> Decimal:
        """What ``payer`` owed before this statement."""
        return self.owed_before.get(payer, Decimal("0.00"))

    def match(self, line: TxLine) -> Match:
        unknown: dict = {}
        candidates = line.rf_candidates
        if candidates:
            for reference in candidates:
                found = self.invoices.get(reference)
                if found is not None:
                    return Match(100, "rf", {"reference": reference}, *found)
            unknown = {"unknown_rf": candidates[0]}
        for candidate in _identifiers(line):
            if candidate in self.nipts:
                return Match(
                    90, "nipt", {**unknown, "nipt": candidate}, business_id=self.nipts[candidate]
                )
            if candidate in self.nids:
                return Match(90, "nid", dict(unknown), person_id=self.nids[candidate])
        name = _name_key(line.debtor_name)
        if name and self.business_names is not None:
            if name in self.business_names:
                found = Match(business_id=self.business_names[name])
            elif name in self.person_names:
                found = Match(person_id=self.person_names[name])
            else:
                return Match(params=dict(unknown))
            found.params = dict(unknown)
            if self.owed_by(found.payer) == line.amount:
                found.score, found.reason = 70, "name_amount"
            else:
                found.score, found.reason = 50, "name"
            return found
        return Match(params=dict(unknown))

    def allocate(self, payer, cents: int) -> tuple[list[tuple[int, int]], int]:
        """``allocation.allocate`` in qindarka: ``([(demand id, applied)], credit)`` by
        tax-head order, then the oldest due date, then the demand; what is applied is taken
        off what the payer owes here."""
        owed = self.owed.setdefault(payer, {})
        order = self._order.get(payer)
        if order is None:
            demands = self.demands
            order = self._order[payer] = sorted(
                owed, key=lambda d: (demands[d][0], demands[d][1], d)
            )
        if cents < 0:
            raise ValueError("a payment is never negative")
        applied = []
        for demand_id in order:
            if cents <= 0:
                break
            left = owed[demand_id]
            if left <= 0:
                continue
            part = left if left < cents else cents
            applied.append((demand_id, part))
            owed[demand_id] = left - part
            cents -= part
        return applied, cents


STATEMENT_BATCH = "statement"


def statement_batch_key(what: str, statement_id: int, booked_on: date) -> str:
    """The key of a statement's transaction of one booking day: ``apply`` (matched lines) or
    ``receipt`` (queued lines). Reversals find a payment's lines in it by this prefix."""
    return f"{what}:{STATEMENT_BATCH}{statement_id}:{booked_on.isoformat()}"


def _cents(amount: Decimal) -> int:
    """An amount exact to the qindarka (parsed, or allocated from one) in qindarka."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} is not exact to the qindarka")
    return int(cents)


def _line_key(parsed: ParsedStatement, line: TxLine) -> str:
    if line.bank_ref:
        return f"bank:{parsed.iban}:{line.bank_ref}:{line.tx_index}"
    return f"bank:{parsed.iban}:{parsed.statement_id}:{line.entry_index}:{line.tx_index}"


def _original_of(municipality, line: TxLine, statement=None) -> Payment | None:
    """The payment a returned credit takes back: same end-to-end id, else same RF and amount
    (in an earlier statement: the lines of ``statement`` written so far do not count)."""
    lines = (
        StatementLine.objects.filter(
            statement__municipality=municipality,
            credit=True,
            reversal=False,
            payment__isnull=False,
        )
        .exclude(payment__status=Payment.Status.REVERSED)
        .exclude(statement=statement)
    )
    if line.end_to_end and line.end_to_end != "NOTPROVIDED":
        found = lines.filter(end_to_end=line.end_to_end, amount=line.amount).first()
        if found:
            return found.payment
    reference = line.rf_reference
    if reference:
        found = lines.filter(structured_ref=reference, amount=line.amount).first()
        if found:
            return found.payment
    return None


_PAYMENT_COLUMNS = (
    "id",
    "municipality_id",
    "channel",
    "amount",
    "received_on",
    "payer_name",
    "reference",
    "remittance",
    "invoice_id",
    "person_id",
    "business_id",
    "service_case_id",
    "cash_session_id",
    "status",
    "match_score",
    "match_code",
    "match_params",
    "receipt_number",
    "key",
    "taken_by_id",
    "created_at",
)
_LINE_COLUMNS = (
    "statement_id",
    "entry_index",
    "tx_index",
    "amount",
    "credit",
    "reversal",
    "booked_on",
    "bank_ref",
    "end_to_end",
    "debtor_name",
    "structured_ref",
    "remittance",
    "bank_code",
    "outcome",
    "payment_id",
)


def _params_json(params: dict) -> str:
    """A payment's match parameters as JSON text (the common case, an RF reference, written
    out directly: a valid reference is letters and digits only)."""
    if len(params) == 1 and "reference" in params:
        return f'{{"reference": "{params["reference"]}"}}'
    return json.dumps(params)


class _Poster:
    """Posts a statement's lines part by part (as the parser hands them over), inside the
    import's one database transaction: each part is matched in memory after one read of
    what matching it needs, then its payments, statement lines and ledger lines are written
    set-wise as plain rows (``bulk``: ids reserved up front, COPY on PostgreSQL, executemany
    on SQLite). The statement's own audit entry counts what was done (one per import)."""

    def __init__(self, municipality, parsed: ParsedStatement, statement, summary, actor):
        # What payers owe is read and lowered under the municipality's receipts lock: a tax
        # clearance decision (or a single payment) waits for this statement's commit
        # (revenue.locks).
        lock_receipts_exclusive(municipality.pk)
        self.municipality, self.parsed, self.statement = municipality, parsed, statement
        self.summary, self.actor = summary, actor
        self.taken_by = getattr(actor, "pk", None)
        self.matcher = Matcher(municipality)
        self.posted: dict[str, int] = {}  # key -> payment id, of this statement's payments
        # One ledger transaction per statement and booking day for the lines matched at
        # import (bank to demands), and one for the lines left in the queue (bank to receipts
        # not yet applied), each line naming its payment (decision 0030), opened when its
        # first line comes and sealed at the end.
        self.postings: dict[tuple[str, date], ledger.RowsPosting] = {}
        # Each part's rows are copied in by a thread while the next part is matched
        # (PostgreSQL; at once on SQLite): ``queued`` holds the rows of the part just
        # matched until the next part's reads are done.
        self.writer = bulk.Writer()
        self.queued: list[tuple] = []

    def add(self, lines: list[TxLine]) -> None:
        municipality, parsed, summary, matcher = (
            self.municipality,
            self.parsed,
            self.summary,
            self.matcher,
        )
        actor = self.actor
        self.writer.wait()  # the last part's rows are in: the connection is free for reads
        credits = [
            line for line in lines if line.status == "BOOK" and line.credit and not line.reversal
        ]
        keys = [_line_key(parsed, line) for line in credits]
        existing = _payments_by_key(municipality, keys)
        matcher.read(credits)
        # Ids for every credit line (some may be duplicates and leave a gap): reserved now,
        # while the connection is free, so the rows below can be built while the last
        # part's rows are still being copied in.
        reserved = bulk.reserve_ids("revenue_payment", len(credits))
        for queued in self.queued:
            self.writer.insert(*queued)
        self.queued = []
        new: dict[str, int] = {}  # key -> position in ``fresh``
        fresh: list[tuple[TxLine, Match, str]] = []
        rows = []  # (line, outcome, existing payment id or None, position in ``fresh`` or None)
        posted = self.posted
        for line in lines:
            summary.lines += 1
            outcome, payment_id, position = StatementLine.Outcome.IGNORED, None, None
            if line.status != "BOOK":
                summary.ignored += 1
            elif line.credit and not line.reversal:
                key = _line_key(parsed, line)
                payment_id = existing.get(key) or posted.get(key)
                position = new.get(key)
                if payment_id is not None or position is not None:
                    summary.duplicates += 1
                else:
                    found = matcher.match(line)
                    if found.score < AUTO_APPLY:
                        found.person_id = found.business_id = None
                    position = new[key] = len(fresh)
                    fresh.append((line, found, key))
                    summary.credited += line.amount
                    if found.payer:
                        summary.applied += 1
                        outcome = StatementLine.Outcome.APPLIED
                    else:
                        summary.queued += 1
                        outcome = StatementLine.Outcome.QUEUED
            elif not line.credit and line.reversal:
                self.writer.wait()  # the connection is needed here and now
                original = _original_of(municipality, line, self.statement)
                if original is not None:
                    payments.reverse_payment(
                        original, key=_line_key(parsed, line), booked_on=line.booked_on, actor=actor
                    )
                    payment_id, outcome = original.pk, StatementLine.Outcome.REVERSAL
                    summary.reversals += 1
                else:
                    # The money left the account all the same: the books say so (bank out,
                    # into receipts not yet applied, where it shows until someone clears it),
                    # once per bank line, and the line waits in the queue.
                    ledger.post(
                        municipality,
                        LedgerTransaction.Kind.REVERSAL,
                        [
                            ledger.debit(Account.SUSPENSE, line.amount),
                            ledger.credit(Account.BANK, line.amount),
                        ],
                        key=_line_key(parsed, line),
                        booked_on=line.booked_on,
                        memo="returned, original not found: "
                        + (
                            (line.end_to_end if line.end_to_end != "NOTPROVIDED" else "")
                            or line.rf_reference
                            or line.bank_ref
                            or "-"
                        ),
                    )
                    outcome = StatementLine.Outcome.QUEUED
                    summary.queued += 1
                    summary.notes.append(
                        f"entry {line.entry_index}: a returned payment of {line.amount} "
                        "whose original was not found"
                    )
            else:
                summary.ignored += 1
            rows.append((line, outcome, payment_id, position))
        ids = reserved[: len(fresh)]
        for pk, (_line, _found, key) in zip(ids, fresh, strict=True):
            posted[key] = pk
        self._write(fresh, ids, rows)

    def _write(self, fresh, ids, rows) -> None:
        """The rows of one part, queued for the writer (copied in while the next part is
        matched)."""
        now = timezone.now()
        mid = self.municipality.pk
        taken_by = self.taken_by
        self.queued.append(
            (
                "revenue_payment",
                _PAYMENT_COLUMNS,
                [
                    (
                        pk,
                        mid,
                        Payment.Channel.BANK,
                        line.amount if line.amount > 0 else clean_amount(line.amount),
                        line.booked_on,
                        line.debtor_name[:200],
                        (line.rf_reference or line.end_to_end)[:140],
                        line.remittance,
                        found.invoice_id,
                        found.person_id,
                        found.business_id,
                        None,
                        None,
                        Payment.Status.APPLIED if found.payer else Payment.Status.UNMATCHED,
                        found.score,
                        found.reason,
                        _params_json(found.params),
                        "",
                        key,
                        taken_by,
                        now,
                    )
                    for pk, (line, found, key) in zip(ids, fresh, strict=True)
                ],
            )
        )
        statement_pk = self.statement.pk
        self.queued.append(
            (
                "revenue_statementline",
                _LINE_COLUMNS,
                [
                    (
                        statement_pk,
                        line.entry_index,
                        line.tx_index,
                        line.amount,
                        line.credit,
                        line.reversal,
                        line.booked_on,
                        line.bank_ref[:140],
                        line.end_to_end[:140],
                        line.debtor_name[:140],
                        (line.rf_reference or line.structured_ref)[:35],
                        line.remittance,
                        line.bank_code[:40],
                        outcome,
                        ids[position] if position is not None else payment_id,
                    )
                    for line, outcome, payment_id, position in rows
                ],
            )
        )
        # Each payment's own lines balance (its bank debit = its receivable and credit
        # lines), which is what reversing a payment mirrors (payments.reverse_payment). The
        # lines are plain rows in qindarka (ledger.post_rows): (account, cents, tax head,
        # demand, person, business, payment).
        batches: dict[tuple[str, date], list] = {}
        bank, receivable, credit_account = Account.BANK, Account.RECEIVABLE, Account.CREDIT
        matcher = self.matcher
        heads = matcher.demands
        for pk, (line, found, _key) in zip(ids, fresh, strict=True):
            cents = _cents(line.amount)
            if not found.payer:
                # Unmatched: into receipts not yet applied, until someone assigns it.
                batches.setdefault(("receipt", line.booked_on), []).extend(
                    (
                        (bank, cents, None, None, None, None, pk),
                        (Account.SUSPENSE, -cents, None, None, None, None, pk),
                    )
                )
                continue
            # Matched at import: straight from the bank to the demands (decision 0027), not
            # a receipt into suspense and an allocation out of it.
            person, business = found.person_id, None if found.person_id else found.business_id
            applied, left = matcher.allocate(found.payer, cents)
            batch = batches.setdefault(("apply", line.booked_on), [])
            batch.append((bank, cents, None, None, None, None, pk))
            for demand_id, part in applied:
                batch.append(
                    (
                        receivable,
                        -part,
                        heads[demand_id][2],
                        demand_id,
                        person,
                        business,
                        pk,
                    )
                )
            if left > 0:
                batch.append((credit_account, -left, None, None, person, business, pk))
        lines = []
        for (what, booked_on), batch in sorted(batches.items()):
            posting = self.postings.get((what, booked_on))
            if posting is None:
                # Each key names the statement created just now, so none can have been
                # posted before. Opened at once (its row goes in before its lines).
                self.writer.wait()
                posting = self.postings[(what, booked_on)] = ledger.RowsPosting(
                    self.municipality,
                    LedgerTransaction.Kind.ALLOCATION
                    if what == "apply"
                    else LedgerTransaction.Kind.RECEIPT,
                    key=statement_batch_key(what, statement_pk, booked_on),
                    booked_on=booked_on,
                    memo=f"statement {self.parsed.statement_id}",
                )
            lines += posting.lines(batch)
        self.queued.append(("revenue_ledgerline", ledger.LINE_COLUMNS, lines))

    def finish(self) -> None:
        for queued in self.queued:
            self.writer.insert(*queued)
        self.queued = []
        self.writer.wait()
        for _key, posting in sorted(self.postings.items()):
            posting.seal()

    def close(self) -> None:
        self.writer.close()


def _import_parts(municipality, parts, *, digest: str, file_name: str = "", actor=None) -> Summary:
    """Import a statement handed over in parts (``camt053.parse_in_parts``: the statement
    first, then lists of lines). Everything is written in one database transaction: a file
    found malformed at its last line posts nothing, like a duplicate statement."""
    summary = Summary()
    parts = iter(parts)
    collecting = gc.isenabled()
    # Without the cycle collector for the import's few seconds: its hundreds of thousands of
    # new objects (lines, rows) made it walk the whole heap again and again (profiled: ~2 s
    # of a 100 000-line import), and they form no cycles; it is switched back on at the end.
    gc.disable()
    try:
        parsed = next(parts)
        if Statement.objects.filter(municipality=municipality, sha256=digest).exists() or (
            Statement.objects.filter(
                municipality=municipality, iban=parsed.iban, statement_id=parsed.statement_id
            ).exists()
        ):
            _read_to_the_end(parts)  # a malformed file says so first, as it always did
            raise DuplicateStatement(
                f"statement {parsed.statement_id} of {parsed.iban} was imported before"
            )
        try:
            with transaction.atomic():
                statement = Statement.objects.create(
                    municipality=municipality,
                    iban=parsed.iban,
                    statement_id=parsed.statement_id,
                    message_id=parsed.message_id,
                    sha256=digest,
                    file_name=file_name[:200],
                    imported_by=getattr(actor, "username", None) or str(actor or "system"),
                )
                summary.statement = statement
                poster = _Poster(municipality, parsed, statement, summary, actor)
                try:
                    for lines in parts:
                        poster.add(lines)
                    poster.finish()
                finally:
                    poster.close()
                Statement.objects.filter(pk=statement.pk).update(
                    lines_count=summary.lines, credited=summary.credited
                )
                audit.record(
                    "revenue.statement.import",
                    actor=actor,
                    municipality=municipality,
                    obj=statement,
                    data={
                        "statement": parsed.statement_id,
                        "lines": summary.lines,
                        "applied": summary.applied,
                        "queued": summary.queued,
                        "reversals": summary.reversals,
                        "ignored": summary.ignored,
                        "duplicates": summary.duplicates,
                        "credited": str(summary.credited),
                    },
                )
        except IntegrityError:
            if Statement.objects.filter(
                municipality=municipality, iban=parsed.iban, statement_id=parsed.statement_id
            ).exists():
                _read_to_the_end(parts)
                raise DuplicateStatement(
                    f"statement {parsed.statement_id} of {parsed.iban} was imported before"
                ) from None
            raise
    finally:
        close = getattr(parts, "close", None)
        if close is not None:
            close()  # a parser in a second process is stopped
        if collecting:
            gc.enable()
    return summary


def _read_to_the_end(parts) -> None:
    """Parse what is left of a statement (raising ``StatementError`` if it is malformed)."""
    for _lines in parts:
        pass


def import_parsed(
    municipality, parsed: ParsedStatement, *, digest: str, file_name: str = "", actor=None
) -> Summary:
    return _import_parts(
        municipality, [parsed, parsed.lines], digest=digest, file_name=file_name, actor=actor
    )


# From this size on, a camt.053 file is parsed in a second process while the first part of
# its lines is matched and written (a few hundred lines take less than starting a process).
PARSE_BESIDE_BYTES = 1_000_000


def import_camt053(municipality, data: bytes, *, file_name: str = "", actor=None) -> Summary:
    if len(data) >= PARSE_BESIDE_BYTES:
        parts = camt053.parse_beside(data)
    else:
        parts = camt053.parse_in_parts(data)
    return _import_parts(
        municipality,
        parts,
        digest=hashlib.sha256(data).hexdigest(),
        file_name=file_name,
        actor=actor,
    )


CSV_COLUMNS = ("date", "amount", "reference", "payer", "remittance", "bank_ref")


def parse_csv(data: bytes, *, iban: str, statement_id: str) -> ParsedStatement:
    """A simple bank CSV: date (YYYY-MM-DD), amount (positive credit, negative debit),
    reference, payer, remittance, bank_ref. Every row is checked before anything is posted."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StatementError("the CSV file is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("date", "amount") if c not in (reader.fieldnames or [])]
    if missing:
        raise StatementError(f"the CSV file has no column {', '.join(missing)}")
    parsed = ParsedStatement(message_id="", statement_id=statement_id, iban=iban, currency="ALL")
    for number, row in enumerate(reader, start=2):
        where = f"row {number}"
        raw = (row.get("amount") or "").strip()
        negative = raw.startswith("-")
        try:
            amount = clean_amount(raw.lstrip("-"))
            booked = date.fromisoformat((row.get("date") or "").strip())
        except Exception:
            raise StatementError(f"{where}: the date or amount is not valid") from None
        reference = (row.get("reference") or "").strip()
        parsed.lines.append(
            TxLine(
                entry_index=number - 1,
                tx_index=1,
                amount=amount,
                credit=not negative,
                reversal=False,
                booked_on=booked,
                status="BOOK",
                bank_ref=(row.get("bank_ref") or "").strip(),
                debtor_name=(row.get("payer") or "").strip(),
                structured_ref=reference,
                remittance=(row.get("remittance") or "").strip(),
            )
        )
    return parsed


def import_csv(municipality, data: bytes, *, iban: str, file_name: str = "", actor=None) -> Summary:
    digest = hashlib.sha256(data).hexdigest()
    parsed = parse_csv(data, iban=iban, statement_id=f"csv-{digest[:16]}")
    return import_parsed(municipality, parsed, digest=digest, file_name=file_name, actor=actor)


def import_file(municipality, data: bytes, *, file_name: str = "", iban: str = "", actor=None):
    """camt.053 (XML) or CSV, by content."""
    if data.lstrip()[:1] == b"<":
        return import_camt053(municipality, data, file_name=file_name, actor=actor)
    if not iban:
        raise StatementError("a CSV statement needs the account's IBAN (--iban)")
    return import_csv(municipality, data, iban=iban, file_name=file_name, actor=actor)
