"""Bank statements: camt.053 parsed to the lek, matched, posted once, refused whole when bad."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from sportel.revenue import ledger, statements
from sportel.revenue.camt053 import StatementError, parse
from sportel.revenue.models import (
    Account,
    Invoice,
    LedgerTransaction,
    Payment,
    Statement,
    StatementLine,
)

from .conftest import camt053, entry


def ref_of(person=None, business=None):
    return Invoice.objects.get(person=person, business=business).reference


def test_a_realistic_statement_is_parsed_to_the_lek():
    data = camt053(
        [
            entry("4820.00", ref="RF18539007547034", name="Arta Kola"),
            entry(
                "3000.50",
                txs=[
                    {"amount": "1000.25", "ustrd": "Taksa RF18 5390 0754 7034"},
                    {"amount": "2000.25", "ustrd": "NIPT L12345678A", "name": "Furra"},
                ],
            ),
            entry("150.00", indicator="DBIT", ustrd="Komision bankar"),
        ]
    )
    parsed = parse(data)
    assert parsed.iban == "AL47212110090000000235698741" and parsed.statement_id
    assert [(line.entry_index, line.tx_index, line.amount) for line in parsed.lines] == [
        (1, 1, Decimal("4820.00")),
        (2, 1, Decimal("1000.25")),
        (2, 2, Decimal("2000.25")),
        (3, 1, Decimal("150.00")),
    ]
    first, batch_one, batch_two, fee = parsed.lines
    assert first.rf_reference == "RF18539007547034" and first.debtor_name == "Arta Kola"
    assert batch_one.rf_reference == "RF18539007547034"  # found in the unstructured text
    assert batch_two.remittance == "NIPT L12345678A"
    assert first.bank_code == "PMNT/RCDT/ESCT"
    assert not fee.credit


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"<Document><BkToCstmrStmt>", "well-formed"),
        (b"not xml at all", "well-formed"),
        (camt053([entry("12.345")]), "two decimals"),
        (camt053([entry("-5.00")]), "positive"),
        (camt053([entry("abc")]), "not a number"),
        (
            camt053([entry("100.00", txs=[{"amount": "60.00"}, {"amount": "30.00"}])]),
            "do not add up",
        ),
        (camt053([entry("10.00").replace('Ccy="ALL"', 'Ccy="EUR"')]), "not ALL"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&x;</Document>',
            "statement",
        ),
    ],
)
def test_a_bad_file_posts_nothing(shkoder, data, why):
    with pytest.raises(StatementError, match=why):
        statements.import_camt053(shkoder, data)
    assert not Statement.objects.exists() and not LedgerTransaction.objects.exists()


def test_a_payment_with_the_rf_reference_is_applied(assessed, register, shkoder):
    arta = register["arta"]
    data = camt053([entry("4820.00", ref=ref_of(person=arta), name="Arta Kola")])
    summary = statements.import_camt053(shkoder, data)
    assert (summary.applied, summary.queued) == (1, 0)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.APPLIED and payment.match_score == 100
    assert payment.match_code == "rf" and payment.match_params == {"reference": payment.reference}
    assert ledger.taxpayer_owed(shkoder, person=arta) == 0
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("4820.00")
    assert ledger.account_balance(shkoder, Account.SUSPENSE) == 0


def test_a_partial_payment_goes_by_tax_head_order_and_an_overpayment_becomes_credit(
    assessed, register, shkoder
):
    arta = register["arta"]
    reference = ref_of(person=arta)
    statements.import_camt053(
        shkoder, camt053([entry("2000.00", ustrd=f"taksa {reference}")], statement_id="S1")
    )
    owed = {
        d.tax_head.code: amount
        for d, amount in (
            (d, ledger.demand_outstanding(d))
            for d in Invoice.objects.get(person=arta).demands.all()
        )
    }
    # Building tax (1 820) first, then 180 of the cleaning tariff (1 800).
    assert owed["building"] == 0 and owed["cleaning"] == Decimal("1620.00")
    statements.import_camt053(
        shkoder, camt053([entry("3000.00", ref=reference)], statement_id="S2")
    )
    assert ledger.taxpayer_owed(shkoder, person=arta) == 0
    assert ledger.taxpayer_credit(shkoder, person=arta) == Decimal("180.00")
    assert sum(ledger.trial_balance(shkoder).values()) == 0


def test_a_batch_entry_matches_each_transfer(assessed, register, shkoder):
    bakery, drita = register["bakery"], register["drita"]
    data = camt053(
        [
            entry(
                "2140.00",
                txs=[
                    {"amount": "1000.00", "ustrd": f"Pagese NIPT {bakery.nipt}"},
                    {"amount": "1140.00", "ref": ref_of(person=drita)},
                ],
            )
        ]
    )
    summary = statements.import_camt053(shkoder, data)
    assert summary.applied == 2
    assert ledger.taxpayer_owed(shkoder, person=drita) == 0
    assert ledger.taxpayer_owed(shkoder, business=bakery) == Decimal("40500.00")
    nipt = Payment.objects.get(business=bakery)
    assert nipt.match_score == 90 and nipt.match_code == "nipt"
    assert nipt.match_params == {"nipt": bakery.nipt}


def test_unknown_references_and_names_go_to_the_manual_queue(assessed, register, shkoder):
    data = camt053(
        [
            entry("500.00", ref="RF18539007547034", name="Dikush Tjeter"),
            entry("4820.00", name="Arta Kola"),
        ]
    )
    summary = statements.import_camt053(shkoder, data)
    assert (summary.applied, summary.queued) == (0, 2)
    unknown, by_name = Payment.objects.order_by("pk")
    assert unknown.status == Payment.Status.UNMATCHED
    assert unknown.match_code == "none"
    assert unknown.match_params == {"unknown_rf": "RF18539007547034"}
    assert by_name.match_score == 70 and by_name.match_code == "name_amount"
    # Stored language-neutral, shown in the reader's language.
    with translation.override("en"):
        assert unknown.match_reason == (
            "unknown RF reference RF18539007547034; no reference, identifier or name recognised"
        )
    with translation.override("sq"):
        assert unknown.match_reason == (
            "referencë RF e panjohur RF18539007547034; "
            "nuk u njoh asnjë referencë, identifikues apo emër"
        )
        assert by_name.match_reason == "emri i paguesit dhe shuma e detyrimit"
    # The money is on the books, waiting in suspense, until someone assigns it.
    assert ledger.account_balance(shkoder, Account.SUSPENSE) == Decimal("-5320.00")


def test_a_reversal_takes_the_payment_back(assessed, register, shkoder):
    arta = register["arta"]
    reference = ref_of(person=arta)
    statements.import_camt053(
        shkoder, camt053([entry("4820.00", ref=reference, e2e="E2E-77")], statement_id="S1")
    )
    summary = statements.import_camt053(
        shkoder,
        camt053(
            [entry("4820.00", ref=reference, e2e="E2E-77", indicator="DBIT", reversal=True)],
            statement_id="S2",
        ),
    )
    assert summary.reversals == 1
    assert Payment.objects.get().status == Payment.Status.REVERSED
    assert ledger.taxpayer_owed(shkoder, person=arta) == Decimal("4820.00")
    assert ledger.account_balance(shkoder, Account.BANK) == 0


def test_the_same_statement_imports_once(assessed, register, shkoder):
    data = camt053([entry("4820.00", ref=ref_of(person=register["arta"]))])
    statements.import_camt053(shkoder, data)
    before = LedgerTransaction.objects.count()
    with pytest.raises(statements.DuplicateStatement):
        statements.import_camt053(shkoder, data)
    # The same statement id in another file (a re-sent statement) is refused as well.
    with pytest.raises(statements.DuplicateStatement):
        statements.import_camt053(shkoder, data.replace(b"<CreDtTm>2026", b"<CreDtTm>2027"))
    assert LedgerTransaction.objects.count() == before and Statement.objects.count() == 1


def test_a_line_repeated_in_a_later_statement_posts_once(assessed, register, shkoder):
    line = entry("100.00", ref=ref_of(person=register["arta"]), svcr="BANK-REF-1")
    statements.import_camt053(shkoder, camt053([line], statement_id="S1"))
    summary = statements.import_camt053(shkoder, camt053([line], statement_id="S2"))
    assert summary.duplicates == 1 and Payment.objects.count() == 1


def test_csv_statements(assessed, register, shkoder):
    reference = ref_of(person=register["arta"])
    data = f"date,amount,reference,payer,remittance,bank_ref\n2026-05-04,4820.00,{reference},Arta Kola,,B1\n2026-05-04,-20.00,,,komision,B2\n".encode()
    summary = statements.import_csv(shkoder, data, iban="AL47212110090000000235698741")
    assert (summary.applied, summary.ignored) == (1, 1)
    bad = b"date,amount\n2026-05-04,12.345\n"
    with pytest.raises(StatementError, match="row 2"):
        statements.import_csv(shkoder, bad, iban="AL47212110090000000235698741")


def test_the_command_prints_a_summary_and_fails_on_a_bad_file(
    assessed, register, shkoder, tmp_path, capsys
):
    good = tmp_path / "statement.xml"
    good.write_bytes(camt053([entry("4820.00", ref=ref_of(person=register["arta"]))]))
    call_command("revenue", "import-statement", "shkoder", str(good))
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("imported statement") and "1 applied" in last and "4820.00 ALL" in last

    with pytest.raises(SystemExit) as again:
        call_command("revenue", "import-statement", "shkoder", str(good))
    assert again.value.code == 2
    bad = tmp_path / "bad.xml"
    bad.write_bytes(good.read_bytes()[:-40])
    with pytest.raises(SystemExit) as failed:
        call_command("revenue", "import-statement", "shkoder", str(bad))
    assert failed.value.code == 1
    assert "nothing posted" in capsys.readouterr().err
    assert Statement.objects.count() == 1 and StatementLine.objects.count() == 1


def test_a_statement_never_reaches_another_municipalitys_invoices(assessed, register, lezhe):
    data = camt053([entry("4820.00", ref=ref_of(person=register["arta"]))])
    summary = statements.import_camt053(lezhe, data)
    assert (summary.applied, summary.queued) == (0, 1)
    assert Payment.objects.get().municipality == lezhe
