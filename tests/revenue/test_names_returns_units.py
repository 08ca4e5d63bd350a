"""Three things a tax officer would otherwise trip over: a payer's name in capitals with ë / ç,
money the bank took back for a payment we never saw, and collection by administrative unit."""

from decimal import Decimal

from sportel.revenue import ledger, selectors, statements
from sportel.revenue.models import Account, LedgerTransaction, Payment, StatementLine

from .conftest import camt053, entry, make_person, make_property


def test_a_name_in_capitals_with_albanian_letters_matches_the_taxpayer(assessed, shkoder):
    """SQLite's lower() leaves "Ë" and "Ç" as they are; names are folded in Python instead, so
    the bank's "ËNGJËLL ÇELA" is the register's "Ëngjëll Çela" on both databases."""
    from sportel.revenue import assessment
    from sportel.revenue.models import AssessmentRun

    engjell = make_person(shkoder, "Ëngjëll", "Çela")
    make_property(shkoder, [(engjell, "1")], area="70")
    run = assessment.start_run(AssessmentRun.objects.get().package)
    assessment.run_to_end(run.pk)
    owed = ledger.taxpayer_owed(shkoder, person=engjell)
    assert owed > 0
    summary = statements.import_camt053(
        shkoder, camt053([entry(f"{owed:.2f}", name="ËNGJËLL  ÇELA")], statement_id="S-names")
    )
    assert summary.queued == 1  # a name is never applied by itself (score 70 < 90)
    payment = Payment.objects.get()
    assert (payment.match_code, payment.match_score) == ("name_amount", 70)


def test_money_taken_back_for_a_payment_never_seen_is_on_the_books(assessed, shkoder):
    """A returned credit whose original is not found is posted (bank out, suspense in) and its
    statement line waits in the queue, instead of leaving the bank account unreconciled."""
    data = camt053(
        [entry("650.00", e2e="E2E-UNKNOWN", indicator="DBIT", reversal=True, svcr="RET-1")],
        statement_id="S-ret",
    )
    summary = statements.import_camt053(shkoder, data)
    assert (summary.reversals, summary.queued) == (0, 1)
    assert "whose original was not found" in summary.notes[0]
    line = StatementLine.objects.get()
    assert line.outcome == StatementLine.Outcome.QUEUED and line.payment_id is None
    posted = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.REVERSAL)
    assert "E2E-UNKNOWN" in posted.memo
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("-650.00")
    assert ledger.account_balance(shkoder, Account.SUSPENSE) == Decimal("650.00")
    # The same return in a later statement posts nothing twice.
    statements.import_camt053(
        shkoder,
        camt053(
            [entry("650.00", e2e="E2E-UNKNOWN", indicator="DBIT", reversal=True, svcr="RET-1")],
            statement_id="S-ret-2",
        ),
    )
    assert ledger.account_balance(shkoder, Account.BANK) == Decimal("-650.00")
    # Nobody's bill moved: the collection rate is untouched.
    assert not Payment.objects.exists()


def test_the_demo_collection_by_unit_shows_its_units(shkoder):
    from sportel.revenue.demo import seed_revenue

    seed_revenue()
    rows = selectors.collection(shkoder, 2026, by="unit")
    named = [row for row in rows if row.key != "-"]
    units = set(shkoder.units.values_list("name", flat=True))
    assert len(named) >= 3 and {row.label for row in named} <= units
    assert all(row.billed > 0 for row in named)
    # Businesses' premises are billed to their unit too: nothing is left without one.
    assert not [row for row in rows if row.key == "-"]
    total = selectors.totals(rows)
    assert total.billed == selectors.totals(selectors.collection(shkoder, 2026)).billed
