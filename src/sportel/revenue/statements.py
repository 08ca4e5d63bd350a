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
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Lower

from sportel.core import audit
from sportel.core.identifiers import check_identifier
from sportel.core.models import Business, Person

from . import ledger, payments
from .camt053 import ParsedStatement, StatementError, TxLine, parse
from .models import Invoice, Payment, Statement, StatementLine, clean_amount

AUTO_APPLY = 90
_IDENTIFIER = re.compile(r"\b[A-T0-9][0-9]{8}[A-Z]\b")


class DuplicateStatement(StatementError):
    """This statement (or this very file) was imported before; nothing was posted."""


@dataclass
class Match:
    score: int = 0
    reason: str = "no reference, identifier or name recognised"
    invoice: Invoice | None = None
    person: Person | None = None
    business: Business | None = None


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
    return " ".join((text or "").lower().split())


def match(municipality, line: TxLine) -> Match:
    unknown = ""
    candidates = line.rf_candidates
    if candidates:
        invoices = {
            invoice.reference: invoice
            for invoice in Invoice.objects.filter(
                municipality=municipality, reference__in=candidates
            ).select_related("person", "business")
        }
        for reference in candidates:
            invoice = invoices.get(reference)
            if invoice is not None:
                return Match(
                    100, f"RF reference {reference}", invoice, invoice.person, invoice.business
                )
        unknown = f"unknown RF reference {candidates[0]}; "
    for candidate in _IDENTIFIER.findall(f"{line.remittance} {line.structured_ref}".upper()):
        if check_identifier(candidate, kind="nipt").error:
            continue
        business = Business.objects.filter(municipality=municipality, nipt=candidate).first()
        if business is not None:
            return Match(90, f"{unknown}NIPT {candidate} in the remittance", business=business)
        person = Person.objects.filter(municipality=municipality, nid=candidate).first()
        if person is not None:
            return Match(90, f"{unknown}personal number in the remittance", person=person)
    name = _name_key(line.debtor_name)
    if name:
        business = (
            Business.objects.annotate(key=Lower("name"))
            .filter(municipality=municipality, key=name)
            .first()
        )
        person = None
        if business is None:
            person = (
                Person.objects.annotate(key=Lower(Concat("first_name", Value(" "), "last_name")))
                .filter(municipality=municipality, key=name)
                .first()
            )
        payer = {"business": business} if business else {"person": person} if person else None
        if payer:
            owed = ledger.taxpayer_owed(municipality, **payer)
            if owed == line.amount:
                return Match(70, f"{unknown}payer's name and the amount owed", **payer)
            return Match(50, f"{unknown}payer's name only", **payer)
    return Match(reason=f"{unknown}no reference, identifier or name recognised".strip("; "))


def _line_key(parsed: ParsedStatement, line: TxLine) -> str:
    if line.bank_ref:
        return f"bank:{parsed.iban}:{line.bank_ref}:{line.tx_index}"
    return f"bank:{parsed.iban}:{parsed.statement_id}:{line.entry_index}:{line.tx_index}"


def _original_of(municipality, line: TxLine) -> Payment | None:
    """The payment a returned credit takes back: same end-to-end id, else same RF and amount."""
    lines = StatementLine.objects.filter(
        statement__municipality=municipality, credit=True, reversal=False, payment__isnull=False
    ).exclude(payment__status=Payment.Status.REVERSED)
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


def import_parsed(
    municipality, parsed: ParsedStatement, *, digest: str, file_name: str = "", actor=None
) -> Summary:
    summary = Summary()
    if Statement.objects.filter(municipality=municipality, sha256=digest).exists() or (
        Statement.objects.filter(
            municipality=municipality, iban=parsed.iban, statement_id=parsed.statement_id
        ).exists()
    ):
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
            rows = []
            for line in parsed.lines:
                summary.lines += 1
                outcome, payment = StatementLine.Outcome.IGNORED, None
                if line.status != "BOOK":
                    summary.ignored += 1
                elif line.credit and not line.reversal:
                    found = match(municipality, line)
                    payment, created = payments.receive(
                        municipality,
                        channel=Payment.Channel.BANK,
                        amount=line.amount,
                        key=_line_key(parsed, line),
                        received_on=line.booked_on,
                        actor=actor,
                        invoice=found.invoice,
                        person=found.person if found.score >= AUTO_APPLY else None,
                        business=found.business if found.score >= AUTO_APPLY else None,
                        payer_name=line.debtor_name,
                        reference=line.rf_reference or line.end_to_end,
                        remittance=line.remittance,
                        score=found.score,
                        reason=found.reason,
                    )
                    if not created:
                        summary.duplicates += 1
                        outcome = StatementLine.Outcome.IGNORED
                    elif payment.status == Payment.Status.APPLIED:
                        summary.applied += 1
                        summary.credited += line.amount
                        outcome = StatementLine.Outcome.APPLIED
                    else:
                        summary.queued += 1
                        summary.credited += line.amount
                        outcome = StatementLine.Outcome.QUEUED
                elif not line.credit and line.reversal:
                    original = _original_of(municipality, line)
                    if original is not None:
                        payments.reverse_payment(
                            original,
                            key=_line_key(parsed, line),
                            booked_on=line.booked_on,
                            actor=actor,
                        )
                        payment, outcome = original, StatementLine.Outcome.REVERSAL
                        summary.reversals += 1
                    else:
                        outcome = StatementLine.Outcome.QUEUED
                        summary.queued += 1
                        summary.notes.append(
                            f"entry {line.entry_index}: a returned payment of {line.amount} "
                            "whose original was not found"
                        )
                else:
                    summary.ignored += 1
                rows.append(
                    StatementLine(
                        statement=statement,
                        entry_index=line.entry_index,
                        tx_index=line.tx_index,
                        amount=line.amount,
                        credit=line.credit,
                        reversal=line.reversal,
                        booked_on=line.booked_on,
                        bank_ref=line.bank_ref[:140],
                        end_to_end=line.end_to_end[:140],
                        debtor_name=line.debtor_name[:140],
                        structured_ref=(line.rf_reference or line.structured_ref)[:35],
                        remittance=line.remittance,
                        bank_code=line.bank_code[:40],
                        outcome=outcome,
                        payment=payment,
                    )
                )
            StatementLine.objects.bulk_create(rows)
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
                },
            )
    except IntegrityError:
        if Statement.objects.filter(
            municipality=municipality, iban=parsed.iban, statement_id=parsed.statement_id
        ).exists():
            raise DuplicateStatement(
                f"statement {parsed.statement_id} of {parsed.iban} was imported before"
            ) from None
        raise
    return summary


def import_camt053(municipality, data: bytes, *, file_name: str = "", actor=None) -> Summary:
    parsed = parse(data)
    return import_parsed(
        municipality,
        parsed,
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
