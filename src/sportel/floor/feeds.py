"""The floor's statistics feed for open data: tickets, waits and service times per office,
category and month. Aggregates only: no ticket numbers, no clerks, no personal numbers."""

import statistics
from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from sportel.core.feeds import Feed, Field, register_feed

from . import workflow
from .models import Ticket


def rows(municipality) -> list[dict]:
    groups: dict[tuple, dict] = defaultdict(lambda: {"tickets": 0, "waits": [], "services": []})
    tickets = (
        Ticket.objects.filter(municipality=municipality)
        .exclude(state=workflow.WAITING)
        .values_list(
            "day",
            "office__slug",
            "category__name_sq",
            "state",
            "issued_at",
            "first_called_at",
            "finished_at",
        )
    )
    for day, office, category, state, issued, called, finished in tickets.iterator(chunk_size=5000):
        group = groups[(day.strftime("%Y-%m"), office, category)]
        group["tickets"] += 1
        if called:
            group["waits"].append((called - issued).total_seconds() / 60)
        if state == workflow.DONE and called and finished:
            group["services"].append((finished - called).total_seconds() / 60)
    out = []
    for (month, office, category), g in sorted(groups.items()):
        out.append(
            {
                "month": month,
                "office": office,
                "category": category,
                "tickets": g["tickets"],
                "median_wait_minutes": round(statistics.median(g["waits"]), 1)
                if g["waits"]
                else None,
                "median_service_minutes": round(statistics.median(g["services"]), 1)
                if g["services"]
                else None,
            }
        )
    return out


FEED = register_feed(
    Feed(
        name="floor-waits-per-office-month",
        module="floor",
        title=_("Waiting and service times at the one-stop shops, per month"),
        description=_(
            "Tickets taken at each one-stop-shop office per queue and month, with the median "
            "minutes people waited until called and the median minutes at the counter."
        ),
        fields=[
            Field("month", "yearmonth", _("Month"), key=True),
            Field("office", "string", _("Office"), key=True),
            Field("category", "string", _("Queue"), key=True),
            Field("tickets", "integer", _("Tickets"), count=True),
            Field(
                "median_wait_minutes", "number", _("Median wait (minutes)"), population="tickets"
            ),
            Field(
                "median_service_minutes",
                "number",
                _("Median time at the counter (minutes)"),
                population="tickets",
            ),
        ],
        rows=rows,
        frequency="MONTHLY",
        keywords=("one-stop shop", "queue"),
    )
)
