"""camt.053 parsing as a stream: bounded memory on huge files, entity bombs refused."""

import subprocess
import sys
import textwrap

import pytest

from sportel.revenue import statements
from sportel.revenue.camt053 import MAX_BYTES, StatementError, parse
from sportel.revenue.models import LedgerTransaction, Statement

from .conftest import camt053, entry

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY a "ha">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
  <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
  <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>&i;</MsgId></GrpHdr><Stmt><Id>&i;</Id>
<Acct><Id><IBAN>AL47212110090000000235698741</IBAN></Id><Ccy>ALL</Ccy></Acct>
</Stmt></BkToCstmrStmt></Document>"""


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        # An external entity (a local file) and an external DTD (the network).
        camt053([entry("10.00")]).replace(
            b"<Document", b'<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/x.dtd">\n<Document', 1
        ),
    ],
)
def test_a_document_type_declaration_is_refused_and_nothing_is_posted(shkoder, data):
    with pytest.raises(StatementError, match="document type"):
        statements.import_camt053(shkoder, data)
    assert not Statement.objects.exists() and not LedgerTransaction.objects.exists()


def test_an_amount_beyond_decimal_precision_is_a_clear_error():
    with pytest.raises(StatementError, match="entry 1: the amount is too large"):
        parse(camt053([entry("1E+40")]))


def test_only_the_first_statement_is_read_and_a_later_error_still_refuses_the_file():
    one = camt053([entry("10.00", ref="RF18539007547034")])
    two = one.replace(b"</BkToCstmrStmt>", b"<Stmt><Id>X</Id></Stmt></BkToCstmrStmt>")
    parsed = parse(two)
    assert [line.amount for line in parsed.lines] == [parse(one).lines[0].amount]
    # Malformed after the last entry: the whole file is still refused.
    with pytest.raises(StatementError, match="well-formed"):
        parse(one.replace(b"</Document>", b"</Documen>"))


def test_a_huge_statement_streams_in_bounded_memory(tmp_path):
    """A 40 MB statement whose entries carry text nobody reads: the parser keeps one entry
    in its tree at a time, so its peak memory grows by far less than the file (a whole tree
    of it would take more than the file itself). Measured in a fresh process (peak RSS)."""
    script = tmp_path / "measure.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import resource, sys
            sys.path[:0] = {sys.path!r}
            from sportel.revenue.camt053 import parse
            padding = "x" * 4000
            head = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
                '<BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S</Id>'
                '<Acct><Id><IBAN>AL47212110090000000235698741</IBAN></Id><Ccy>ALL</Ccy></Acct>'
            )
            entry = (
                '<Ntry><Amt Ccy="ALL">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
                '<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-05-04</Dt></BookgDt>'
                '<NtryDtls><TxDtls><Amt Ccy="ALL">1.00</Amt>'
                '<AddtlTxInf>' + padding + '</AddtlTxInf></TxDtls></NtryDtls></Ntry>'
            )
            count = 10000
            data = (head + entry * count + '</Stmt></BkToCstmrStmt></Document>').encode()
            assert len(data) < {MAX_BYTES}
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            parsed = parse(data)
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            assert len(parsed.lines) == count
            print(len(data) // 1024, after - before)
            """
        )
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=600
    ).stdout.split()
    file_kib, grown_kib = int(out[0]), int(out[1])
    assert file_kib > 38_000
    assert grown_kib < file_kib // 2, (file_kib, grown_kib)


def test_payments_and_statement_lines_still_refuse_missing_or_deleted_parents(
    assessed, register, shkoder
):
    """Migration 0010_recon: on PostgreSQL the references of payments and statement lines are
    checked per statement instead of per row at commit; the rule is the same (SQLite keeps
    its own foreign keys, checked at commit: the atomic block's end)."""
    from django.db import IntegrityError, connection, transaction

    from sportel.revenue import bulk
    from sportel.revenue.models import Invoice, Payment, StatementLine

    reference = Invoice.objects.get(person=register["arta"]).reference
    statements.import_camt053(shkoder, camt053([entry("10.00", ref=reference)]))
    payment = Payment.objects.get()
    line = StatementLine.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(
            "revenue_statementline",
            statements._LINE_COLUMNS,
            [
                (
                    *(line.statement_id, 9, 1, "1.00", True, False, line.booked_on),
                    *("", "", "", "", "", "", "queued", 987654321),
                )
            ],
        )
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_key_check")
                if cursor.fetchall():
                    raise IntegrityError("foreign key")
    for table, column, value in (
        ("revenue_payment", "id", payment.pk),  # named by its statement line
        ("revenue_statement", "id", line.statement_id),
        ("revenue_invoice", "id", payment.invoice_id),  # named by the payment
    ):
        with (
            pytest.raises(IntegrityError),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [value])
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA foreign_key_check")
                if cursor.fetchall():
                    raise IntegrityError("foreign key")
    assert Payment.objects.filter(pk=payment.pk).exists()
