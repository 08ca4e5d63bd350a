"""How a payment is split over what the taxpayer owes: by tax-head order (the fiscal
package's priority), then the oldest due date first; what is left over becomes credit."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sportel.core.money import to_money


@dataclass(frozen=True)
class Open:
    demand_id: int
    priority: int
    due_date: date
    outstanding: Decimal


def allocate(amount: Decimal, open_items: list[Open]) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """``([(demand id, applied)], credit)``: never more than the payment in total, never more
    than a demand's outstanding amount on any demand."""
    remaining = to_money(amount)
    if remaining < 0:
        raise ValueError("a payment is never negative")
    applied: list[tuple[int, Decimal]] = []
    for item in sorted(open_items, key=lambda i: (i.priority, i.due_date, i.demand_id)):
        if remaining <= 0:
            break
        if item.outstanding <= 0:
            continue
        part = min(remaining, to_money(item.outstanding))
        applied.append((item.demand_id, part))
        remaining -= part
    return applied, remaining
