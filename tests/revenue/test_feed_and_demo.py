"""The open-data feed (aggregates only, small counts suppressed) and the demo data."""

from pathlib import Path

from django.core.management import call_command

from sportel.core.feeds import get_feed, suppressed_rows
from sportel.revenue import statements
from sportel.revenue.models import Invoice, Payment

from .conftest import camt053, entry

DEMO_FILE = Path(__file__).parents[2] / "src/sportel/revenue/data/demo-camt053.xml"


def test_the_feed_has_aggregates_and_no_personal_data(assessed, register, shkoder):
    reference = Invoice.objects.get(person=register["arta"]).reference
    statements.import_camt053(shkoder, camt053([entry("4820.00", ref=reference)]))
    feed = get_feed("local-tax-collection")
    rows = feed.rows(shkoder)
    building = next(r for r in rows if r["tax_head"] == "building")
    assert building["billed"] == 1820 + 1140 * 2 + 4500
    assert building["collected"] == 1820 and building["taxpayers"] == 4
    text = repr(rows)
    for secret in ("Arta", "Kola", register["arta"].nid, register["bakery"].nipt, reference):
        assert secret not in text
    # Fewer taxpayers than the threshold: the amounts are withheld.
    cleaning = next(r for r in suppressed_rows(feed, shkoder) if r["tax_head"] == "cleaning")
    assert cleaning["taxpayers"] is None and cleaning["billed"] is None


def test_the_demo_seeds_shkoder_and_its_statement_imports(shkoder, capsys):
    from sportel.revenue.demo import seed_revenue

    seed_revenue()
    seed_revenue()  # idempotent
    assert Invoice.objects.filter(municipality=shkoder).count() == 45
    call_command("revenue", "import-statement", "shkoder", str(DEMO_FILE))
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "5 lines, 2 applied, 2 queued" in last and "7500.00 ALL" in last
    assert Payment.objects.filter(match_code="nipt").count() == 1
