"""Penalties and allocation, as properties."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from sportel.revenue.allocation import Open, allocate
from sportel.revenue.models import clean_amount
from sportel.revenue.penalty import aging_bucket, penalty

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2)
days = st.integers(min_value=-100, max_value=3000)


@given(money, days)
def test_the_penalty_stops_at_the_cap(principal, late):
    due = date(2026, 4, 30)
    on = due + timedelta(days=late)
    owed = penalty(principal, due, on)
    capped = penalty(principal, due, due + timedelta(days=365))
    assert owed <= capped
    if late >= 365:
        assert owed == capped
    if late <= 0:
        assert owed == 0
    assert owed == owed.quantize(Decimal("0.01"))


def test_the_penalty_to_the_lek():
    # 10 000 ALL unpaid 100 days: 10 000 × 0.06 % × 100 = 600 ALL; a year and more: 2 190 ALL.
    assert penalty(Decimal("10000"), date(2026, 1, 1), date(2026, 4, 11)) == Decimal("600.00")
    assert penalty(Decimal("10000"), date(2024, 1, 1), date(2026, 1, 1)) == Decimal("2190.00")
    assert aging_bucket(date(2026, 1, 1), date(2026, 3, 1)) == "31-90"


items = st.lists(
    st.builds(
        Open,
        demand_id=st.integers(min_value=1, max_value=10**6),
        priority=st.integers(min_value=1, max_value=100),
        due_date=st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 1, 1)),
        outstanding=money,
    ),
    max_size=12,
    unique_by=lambda i: i.demand_id,
)


@given(money, items)
def test_allocation_never_exceeds_the_payment_or_a_demand(amount, open_items):
    applied, credit = allocate(amount, open_items)
    owed = {i.demand_id: i.outstanding for i in open_items}
    assert sum(part for _d, part in applied) + credit == amount
    assert credit >= 0
    assert all(0 < part <= owed[d] for d, part in applied)
    if credit > 0:  # money left over only when everything is paid
        assert sum(part for _d, part in applied) == sum(owed.values())


def test_allocation_follows_the_tax_head_order():
    old = Open(1, priority=30, due_date=date(2025, 4, 30), outstanding=Decimal("500"))
    building = Open(2, priority=10, due_date=date(2026, 4, 30), outstanding=Decimal("1000"))
    applied, credit = allocate(Decimal("1200"), [old, building])
    assert applied == [(2, Decimal("1000.00")), (1, Decimal("200.00"))]
    assert credit == 0


@pytest.mark.parametrize("bad", ["-5", "0", "12.345", "abc", "NaN", "Infinity"])
def test_bad_amounts_are_refused(bad):
    with pytest.raises(ValidationError):
        clean_amount(bad)
