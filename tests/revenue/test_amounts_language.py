"""Amounts follow the reader's language: Albanian "1 234,50 ALL", English "1,234.50 ALL", on
pages, in notices (PDF fields) and refusal texts; CSV exports stay machine-readable."""

from decimal import Decimal

import pytest
from django.utils import translation

from sportel.core.money import format_all
from sportel.revenue import notices
from sportel.revenue.models import Invoice


@pytest.mark.parametrize(
    ("value", "sq", "en"),
    [
        (Decimal("1234.5"), "1 234,50 ALL", "1,234.50 ALL"),
        (Decimal("0"), "0,00 ALL", "0.00 ALL"),
        (Decimal("-1234567.891"), "-1 234 567,89 ALL", "-1,234,567.89 ALL"),
        (Decimal("999.995"), "1 000,00 ALL", "1,000.00 ALL"),
    ],
)
def test_format_all_follows_the_language(value, sq, en):
    assert format_all(value, "sq") == sq and format_all(value, "en") == en
    with translation.override("en"):
        assert format_all(value) == en
    with translation.override("sq"):
        assert format_all(value) == sq


def test_the_tax_notice_states_amounts_in_its_language(assessed, register):
    invoice = Invoice.objects.get(person=register["arta"])
    sq_fields, _body, _owed = notices._notice_content(invoice, "sq")
    en_fields, _body, _owed = notices._notice_content(invoice, "en")
    assert "4 820,00 ALL" in dict(sq_fields)["Shuma për t'u paguar"]
    english = dict(en_fields)["Amount to pay"]
    assert "4,820.00 ALL" in english and "4 820,00" not in english


def test_csv_exports_stay_machine_readable_in_english(
    assessed, shkoder, make_staff, verified_client
):
    client = verified_client(make_staff(shkoder, "tax_officer"))
    text = client.get(f"/en/{shkoder.slug}/staff/revenue/export.csv?year=2026").content.decode()
    assert "51600.00" in text and "51,600.00" not in text and "51 600,00" not in text
