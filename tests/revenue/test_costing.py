"""The tariff costing instrument: the arithmetic, and the page as tax officers, managers,
residents and another municipality's staff see it."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from sportel.core.models import AuditEntry
from sportel.revenue import costing
from sportel.revenue.models import CostingPlan, CostItem, Invoice, Payment, TaxHead


def url(name, municipality, **kwargs):
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


# --- arithmetic --------------------------------------------------------------------------------
def test_a_worked_example_rounds_up_to_the_lek():
    # 12 000 000 ALL over 10 000 households and 500 businesses paying 3 shares = 11 500 shares.
    full = costing.tariffs(Decimal("12000000"), 10_000, 500, Decimal(100), weight=Decimal(3))
    assert full.household == Decimal("1044")  # 1 043.48 rounded up
    assert full.business == Decimal("3131")  # 3 130.43 rounded up
    assert full.collected >= Decimal("12000000")
    poor = costing.tariffs(Decimal("12000000"), 10_000, 500, Decimal(40), weight=Decimal(3))
    assert poor.household == Decimal("2609")  # 2 608.70: poor collection costs the payers 2.5x
    assert poor.business == Decimal("7827")


def test_an_exact_division_is_not_rounded_up():
    s = costing.tariffs(Decimal("1000000"), 1000, 0, Decimal(50))
    assert s.household == Decimal("2000") and s.collected == Decimal("1000000.00")


@given(
    cost=st.decimals(min_value=0, max_value=10**11, places=2),
    households=st.integers(min_value=0, max_value=200_000),
    businesses=st.integers(min_value=0, max_value=20_000),
    rate=st.decimals(min_value=Decimal("0.01"), max_value=100, places=2),
    weight=st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2),
)
def test_the_tariffs_recover_the_cost_at_the_expected_rate(
    cost, households, businesses, rate, weight
):
    if households + businesses == 0:
        households = 1
    s = costing.tariffs(cost, households, businesses, rate, weight=weight)
    assert s.household == s.household.to_integral_value()  # whole lek
    assert s.business == s.business.to_integral_value()
    billed = s.household * households + s.business * businesses
    assert billed * rate / 100 >= cost  # tariff x payers x rate >= cost
    assert s.collected >= cost
    # ...and not more than one lek per payer above what recovers it.
    shares = households + businesses * weight
    exact = cost * 100 / (shares * rate)
    assert s.household - exact < 1 and s.business - exact * weight < 1


@given(st.decimals(min_value=Decimal("0.01"), max_value=99, places=2))
def test_a_lower_rate_never_lowers_the_tariff(rate):
    low = costing.tariffs(Decimal("5000000"), 3000, 200, rate, weight=Decimal(2))
    high = costing.tariffs(Decimal("5000000"), 3000, 200, rate + 1, weight=Decimal(2))
    assert low.household >= high.household and low.business >= high.business


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: costing.tariffs(Decimal(-1), 10, 0, Decimal(50)), "negative"),
        (lambda: costing.tariffs(Decimal(100), 0, 0, Decimal(50)), "no payers"),
        (lambda: costing.tariffs(Decimal(100), -3, 5, Decimal(50)), "negative"),
        (lambda: costing.tariffs(Decimal(100), 10, 0, Decimal(0)), "more than 0"),
        (lambda: costing.tariffs(Decimal(100), 10, 0, Decimal("100.01")), "at most 100"),
        (lambda: costing.tariffs(Decimal(100), 10, 1, Decimal(50), weight=Decimal(0)), "share"),
        (lambda: costing.parse_rate("abc"), "not a number"),
        (lambda: costing.parse_rate("0"), "more than 0"),
        (lambda: costing.parse_rate("120%"), "at most 100"),
        (lambda: costing.parse_rate("0.001"), "more than 0"),  # 0.00 once rounded
        (lambda: costing.parse_rate("1e999"), "at most 100"),
        (lambda: costing.parse_rate("NaN"), "more than 0"),
        (lambda: costing.parse_amount("-5", label="Fuel"), "negative"),
        (lambda: costing.parse_amount("NaN", label="Fuel"), "not a number"),
        (lambda: costing.parse_amount("12x", label="Fuel"), "not a number"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(call, message):
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(costing.CostingError) as caught:
            call()
        assert message in str(caught.value)  # lazy: read in the request's language


def test_amounts_are_read_as_clerks_type_them():
    assert costing.parse_amount("1 250 000") == Decimal("1250000.00")
    assert costing.parse_amount("1250000,5") == Decimal("1250000.50")
    assert costing.parse_rate("82,5 %") == Decimal("82.50")


# --- the page ----------------------------------------------------------------------------------
@pytest.fixture
def officer(make_staff, shkoder):
    return make_staff(shkoder, "tax_officer")


@pytest.fixture
def paid(assessed, register, shkoder):
    """2026 assessed; Arta paid her whole bill, so the cleaning tariff has a rate in (0, 100)."""
    from sportel.revenue import payments

    invoice = Invoice.objects.get(person=register["arta"])
    payments.receive(
        shkoder,
        channel=Payment.Channel.BANK,
        amount=sum(d.amount for d in invoice.demands.all()),
        key="costing-test-1",
        received_on=date(2026, 5, 4),
        invoice=invoice,
    )
    return invoice


def _cleaning_rate(shkoder):
    from sportel.revenue import selectors

    return next(r for r in selectors.collection(shkoder, 2026) if r.key == "cleaning").rate


FORM = {
    "label": ["Staf", "Karburant", "Landfill", ""],
    "amount": ["6 000 000", "2500000", "3500000,00", ""],
    "households": "10000",
    "businesses": "500",
    "business_weight": "3",
    "extra_rates": "40 60",
}


def test_a_tax_officer_compares_scenarios_side_by_side(paid, shkoder, officer, verified_client):
    client = verified_client(officer)
    cleaning = TaxHead.objects.get(municipality=shkoder, code="cleaning")
    created = client.post(
        url("revenue-staff:costing", shkoder), {"tax_head": cleaning.pk, "year": 2027}
    )
    plan = CostingPlan.objects.get()
    assert created.status_code == 302 and created["Location"].endswith(f"/costing/{plan.pk}/")
    page = client.get(created["Location"]).content.decode()
    assert "Tarifa e pastrimit" in page and 'id="no-scenarios"' in page

    saved = client.post(created["Location"], FORM)
    assert saved.status_code == 302
    assert [(i.label, i.amount) for i in CostItem.objects.filter(plan=plan)] == [
        ("Staf", Decimal("6000000.00")),
        ("Karburant", Decimal("2500000.00")),
        ("Landfill", Decimal("3500000.00")),
    ]
    page = client.get("/en" + created["Location"]).content.decode()
    rows = re.findall(r'data-scenario="(\w+)"', page)
    assert rows == ["ledger", "full", "extra", "extra"]
    assert "12,000,000.00 ALL" in page
    # 100 %: 12 000 000 / 11 500 shares = 1 043.48 → 1 044; a business 3 131.
    full = page.split('data-scenario="full"')[1].split("</tr>")[0]
    assert "1,044" in full and "3,131" in full
    forty = page.split('data-scenario="extra"')[1].split("</tr>")[0]
    assert "40 %" in forty and "2,609" in forty and "7,827" in forty
    rate = _cleaning_rate(shkoder)
    assert Decimal(0) < rate < Decimal(100)
    ledger_row = page.split('data-scenario="ledger"')[1].split("</tr>")[0]
    expected = costing.tariffs(Decimal(12_000_000), 10_000, 500, rate, weight=Decimal(3))
    assert f"{expected.household:,.0f}" in ledger_row and "Ledger, 2026" in ledger_row
    entry = AuditEntry.objects.get(action="revenue.costing.saved")
    assert entry.data["cost"] == "12000000.00" and entry.data["extra_rates"] == ["40.00", "60.00"]
    assert AuditEntry.objects.filter(action="revenue.costing.created").count() == 1


def test_without_ledger_data_only_full_and_staff_rates_are_shown(
    package, shkoder, officer, verified_client
):
    head = TaxHead.objects.get(municipality=shkoder, code="cleaning")
    plan = CostingPlan.objects.create(municipality=shkoder, tax_head=head, year=2027)
    client = verified_client(officer)
    client.post(url("revenue-staff:costing-plan", shkoder, pk=plan.pk), FORM)
    page = client.get("/en" + url("revenue-staff:costing-plan", shkoder, pk=plan.pk))
    text = page.content.decode()
    assert re.findall(r'data-scenario="(\w+)"', text) == ["full", "extra", "extra"]
    assert "The ledger has no collection rate for this tax in 2026" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": ["-100", "2500000", "3500000", ""]}, "a cost cannot be negative"),
        ({"amount": ["abc", "2500000", "3500000", ""]}, "is not a number"),
        ({"households": "0", "businesses": "0"}, "There are no payers"),
        ({"households": "dhjetë"}, "must be a whole number"),
        ({"extra_rates": "0"}, "more than 0 % and at most 100 %"),
        ({"extra_rates": "150"}, "more than 0 % and at most 100 %"),
        ({"label": ["", "", "", ""], "amount": ["", "", "", ""]}, "at least one cost"),
        ({"label": ["", "Karburant", "Landfill", ""]}, "enter what the cost is for"),
        ({"business_weight": "0"}, "share must be more than 0"),
    ],
)
def test_bad_input_shows_a_clear_error_and_saves_nothing(
    package, shkoder, officer, verified_client, change, message
):
    head = TaxHead.objects.get(municipality=shkoder, code="cleaning")
    plan = CostingPlan.objects.create(municipality=shkoder, tax_head=head, year=2027)
    client = verified_client(officer)
    response = client.post(
        "/en" + url("revenue-staff:costing-plan", shkoder, pk=plan.pk), {**FORM, **change}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="costing-errors"' in text and message in text
    assert not CostItem.objects.exists()
    assert not AuditEntry.objects.filter(action="revenue.costing.saved").exists()


def test_errors_are_in_albanian_first(package, shkoder, officer, verified_client):
    head = TaxHead.objects.get(municipality=shkoder, code="cleaning")
    plan = CostingPlan.objects.create(municipality=shkoder, tax_head=head, year=2027)
    client = verified_client(officer)
    response = client.post(
        url("revenue-staff:costing-plan", shkoder, pk=plan.pk),
        {**FORM, "households": "0", "businesses": "0", "extra_rates": "0"},
    )
    text = response.content.decode()
    assert response.status_code == 400
    assert "Nuk ka paguesit" in text and "Shkalla e arkëtimit" in text


def test_a_bad_new_plan_is_refused(package, shkoder, officer, verified_client):
    client = verified_client(officer)
    response = client.post("/en" + url("revenue-staff:costing", shkoder), {"year": "27"})
    text = response.content.decode()
    assert response.status_code == 400
    assert "Choose the tax or fee" in text and "four digits" in text
    assert not CostingPlan.objects.exists()


def test_a_manager_reads_but_does_not_save(package, shkoder, make_staff, verified_client):
    head = TaxHead.objects.get(municipality=shkoder, code="cleaning")
    plan = CostingPlan.objects.create(municipality=shkoder, tax_head=head, year=2027)
    client = verified_client(make_staff(shkoder, "manager"))
    page = client.get(url("revenue-staff:costing-plan", shkoder, pk=plan.pk))
    assert page.status_code == 200 and 'id="costing-form"' not in page.content.decode()
    assert (
        client.post(url("revenue-staff:costing-plan", shkoder, pk=plan.pk), FORM).status_code == 403
    )
    assert not CostItem.objects.exists()


def test_a_resident_and_lezhes_staff_are_refused(
    package, shkoder, lezhe, make_staff, verified_client, client
):
    from sportel.accounts.models import User

    head = TaxHead.objects.get(municipality=shkoder, code="cleaning")
    plan = CostingPlan.objects.create(municipality=shkoder, tax_head=head, year=2027)
    where = url("revenue-staff:costing-plan", shkoder, pk=plan.pk)
    resident = User.objects.create_user("r@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z")
    client.force_login(resident)
    assert client.get(where).status_code == 403
    assert client.post(where, FORM).status_code == 403
    assert client.get(url("revenue-staff:costing", shkoder)).status_code == 403
    other = verified_client(make_staff(lezhe, "tax_officer"))
    assert other.get(where).status_code == 403
    assert other.post(where, FORM).status_code == 403
    # Lezhë's own path does not show Shkodër's plan either.
    assert other.get(url("revenue-staff:costing-plan", lezhe, pk=plan.pk)).status_code == 404
    assert not CostItem.objects.exists()


def test_a_year_with_nothing_collected_says_so_and_shows_no_zero_rate_scenario(
    assessed, shkoder, officer, verified_client
):
    head = TaxHead.objects.get(municipality=shkoder, code="cleaning")
    plan = CostingPlan.objects.create(municipality=shkoder, tax_head=head, year=2027)
    client = verified_client(officer)
    client.post(url("revenue-staff:costing-plan", shkoder, pk=plan.pk), FORM)
    text = client.get(url("revenue-staff:costing-plan", shkoder, pk=plan.pk)).content.decode()
    assert "nuk u arkëtua asgjë" in text and "me 0 % asnjë tarifë" in text
    assert re.findall(r'data-scenario="(\w+)"', text) == ["full", "extra", "extra"]
