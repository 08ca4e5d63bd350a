"""Collection over time on the dashboard: per year of bills and per month of a year, equal to a
plain sum over the ledger, drawn as an SVG chart with a text alternative and the same figures
in a table beside it."""

import json
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation

from sportel.revenue import assessment, fiscal, payments, selectors
from sportel.revenue.models import Account, Invoice, LedgerLine, Payment, cents_to_money


def _package_2025(shkoder):
    text = json.dumps(fiscal.seed_data("shkoder-2026"))
    data = json.loads(text.replace("2025", "2024").replace("2026", "2025"))
    return fiscal.create_package(shkoder, data)


@pytest.fixture
def history(shkoder, package, register):
    """Two years of bills: 2025 mostly paid (one payment late, in 2026; one taken back by the
    bank), 2026 paid in part over the spring."""
    old = _package_2025(shkoder)
    assessment.run_to_end(assessment.start_run(old).pk)
    assessment.run_to_end(assessment.start_run(package).pk)

    def pay(who, year, amount, on, key):
        invoice = Invoice.objects.get(person=register[who], year=year)
        payment, _new = payments.receive(
            shkoder,
            channel=Payment.Channel.BANK,
            amount=Decimal(amount),
            key=key,
            received_on=on,
            invoice=invoice,
            score=100,
            reason="rf",
            reason_params={"reference": invoice.reference},
        )
        return payment

    pay("arta", 2025, "2000.00", date(2025, 3, 10), "a25")
    pay("besnik", 2025, "1500.00", date(2025, 6, 2), "b25")
    pay("drita", 2025, "500.00", date(2026, 2, 14), "d25-late")
    taken_back = pay("besnik", 2025, "300.00", date(2025, 7, 1), "b25-bounced")
    payments.reverse_payment(taken_back, key="bounce", booked_on=date(2025, 7, 3))
    pay("arta", 2026, "1000.00", date(2026, 3, 5), "a26-1")
    pay("arta", 2026, "800.00", date(2026, 5, 20), "a26-2")
    pay("drita", 2026, "450.50", date(2026, 4, 1), "d26")
    return register


def _plain(shkoder):
    """The same figures by walking every receivable line of the ledger in Python."""
    billed, collected = defaultdict(int), defaultdict(int)
    monthly = []
    for line in LedgerLine.objects.filter(
        municipality=shkoder, account=Account.RECEIVABLE, transaction__sealed=True
    ).select_related("transaction", "demand__invoice"):
        kind = line.transaction.kind
        if kind in ("assessment", "revision"):
            billed[line.demand.invoice.year] += line.cents
        elif kind in ("allocation", "reversal"):
            collected[line.demand.invoice.year] -= line.cents
        else:
            continue
        monthly.append((line.demand.invoice.year, line.transaction.booked_on, kind, line.cents))
    return billed, collected, monthly


def test_the_trends_equal_a_plain_sum_over_the_ledger(history, shkoder):
    billed, collected, monthly = _plain(shkoder)
    trends = selectors.collection_trends(shkoder, 2026, today=date(2026, 12, 7))
    assert [r.label for r in trends.years] == ["2025", "2026"]
    for row in trends.years:
        year = int(row.label)
        assert row.billed == cents_to_money(billed[year])
        assert row.collected == cents_to_money(collected[year])
    by_year = {r.label: r for r in trends.years}
    # The bounced 300 is not collected; every other lek paid is (earlier years' bills first).
    assert by_year["2025"].collected + by_year["2026"].collected == Decimal("6250.50")
    assert by_year["2025"].collected >= Decimal("4000.00")
    assert by_year["2026"].rate == (
        by_year["2026"].collected * 100 / by_year["2026"].billed
    ).quantize(Decimal("0.01"))
    # The year's total equals the dashboard's own table (same definition).
    assert by_year["2026"].billed == selectors.totals(selectors.collection(shkoder, 2026)).billed
    # Months of 2026: collected against 2026's bills to the end of each month (booking date),
    # out of 2026's bills as they stand.
    assert [r.label for r in trends.months] == [f"{m:02d}.2026" for m in range(1, 13)]
    for month, row in enumerate(trends.months, start=1):
        paid = -sum(
            c
            for y, on, k, c in monthly
            if y == 2026
            and k in ("allocation", "reversal")
            and (on.year, on.month) <= (2026, month)
        )
        assert (row.billed, row.collected) == (cents_to_money(billed[2026]), cents_to_money(paid))
    climbing = [r.collected for r in trends.months]
    assert climbing == sorted(climbing) and climbing[4] > climbing[3]  # May's 800
    assert trends.months[-1].collected == by_year["2026"].collected  # all paid within 2026


def test_months_stop_at_today_and_an_empty_ledger_has_no_trend(shkoder, package):
    assert selectors.collection_trends(shkoder, 2026).years == []
    assert selectors.collection_trends(shkoder, 2026).months == []


def test_the_current_year_shows_only_the_months_so_far(history, shkoder):
    trends = selectors.collection_trends(shkoder, 2026, today=date(2026, 4, 15))
    assert [r.label for r in trends.months] == ["01.2026", "02.2026", "03.2026", "04.2026"]
    assert selectors.collection_trends(shkoder, 2027, today=date(2026, 4, 15)).months == []


@pytest.fixture
def officer(make_staff, shkoder):
    return make_staff(shkoder, "tax_officer")


def _dashboard(client, shkoder, prefix=""):
    path = reverse("revenue-staff:dashboard", kwargs={"municipality_slug": shkoder.slug})
    return client.get(prefix + path + "?year=2026").content.decode()


def test_the_dashboard_draws_the_trend_with_a_text_alternative_and_a_table(
    history, shkoder, officer, verified_client
):
    client = verified_client(officer)
    page = _dashboard(client, shkoder)
    svg = re.search(r'<svg[^>]*id="trend-years".*?</svg>', page, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="trend-years-title trend-years-desc"' in svg
    title = re.search(r'<title id="trend-years-title">(.*?)</title>', svg).group(1)
    desc = re.search(r'<desc id="trend-years-desc">(.*?)</desc>', svg, re.S).group(1)
    assert title == "Faturuar dhe arkëtuar sipas vitit të faturave"
    by_year = {r.label: r for r in selectors.collection_trends(shkoder, 2026).years}
    assert "2025: faturuar 51\xa0600 lekë, arkëtuar" in desc and "2026: faturuar" in desc
    assert f"shkalla {by_year['2025'].rate:.1f} %".replace(".", ",") in desc
    assert svg.count("<rect") == 4  # billed and collected for two years
    table = re.search(r'<table[^>]*id="trend-years-table".*?</table>', page, re.S).group(0)
    with translation.override("sq"):
        collected = floatformat(by_year["2025"].collected, "2g")
    assert collected in table and f"{by_year['2025'].rate:.1f} %".replace(".", ",") in table
    assert 'id="trend-months"' in page and 'id="trend-months-table"' in page
    english = _dashboard(client, shkoder, "/en")
    assert "Billed and collected per year of the bills" in english
    assert "2025: billed 51,600 ALL, collected" in english
    assert "Collection over time" in english


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_carries_the_trend(history, shkoder, officer, verified_client, fmt):
    client = verified_client(officer)
    path = reverse("revenue-staff:export", kwargs={"municipality_slug": shkoder.slug, "fmt": fmt})
    body = client.get(path + "?year=2026").content
    if fmt == "csv":
        text = body.decode()
        assert "Arkëtimi ndër vite" in text and "\r\n2025,51600.00," in text
        assert "04.2026" in text
    else:
        import io

        from openpyxl import load_workbook

        values = [
            c.value for row in load_workbook(io.BytesIO(body)).active.iter_rows() for c in row
        ]
        assert "Arkëtimi ndër vite" in values and "2025" in values and "04.2026" in values
