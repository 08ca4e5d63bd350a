"""What the reports module offers others: a statistics feed (open data) and a screen panel.

Neither carries personal data: counts, categories, units, months and scores only.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sportel.core.feeds import Feed, Field, register_feed
from sportel.core.screens import Panel, register_panel

from . import selectors


def _priority_rows(municipality) -> list[dict]:
    return [
        {
            "rank": n,
            "category": p.cluster.category.code,
            "unit": p.cluster.unit.name if p.cluster.unit else "",
            "reporters": p.reporters,
            "score": float(p.score),
            "state": p.state,
            "funded_amount": float(p.funding.amount) if p.funding else None,
        }
        for n, p in enumerate(selectors.priority_list(municipality), start=1)
    ]


register_feed(
    Feed(
        name="reports-per-category-month",
        module="reports",
        title=_("Problem reports per category, administrative unit and month"),
        description=_(
            "How many problems residents reported, by category, administrative unit and month, "
            "and the median number of days to resolve them."
        ),
        theme="GOVE",
        frequency="MONTHLY",
        fields=[
            Field("month", "date", _("Month"), key=True),
            Field("category", "string", _("Category"), key=True),
            Field("unit", "string", _("Administrative unit"), key=True),
            Field("reports", "integer", _("Reports"), count=True),
            Field("median_days", "number", _("Median days to resolve"), population="reports"),
        ],
        rows=selectors.reports_per_month,
    )
)

register_feed(
    Feed(
        name="reports-priority-list",
        module="reports",
        title=_("Priority list of reported problems"),
        description=_(
            "Groups of reports ranked by score (unique reporters and reopenings × severity × "
            "age × area weight), with the amount funded."
        ),
        theme="GOVE",
        frequency="DAILY",
        fields=[
            Field("rank", "integer", _("Rank"), key=True),
            Field("category", "string", _("Category"), key=True),
            Field("unit", "string", _("Administrative unit"), key=True),
            Field("reporters", "integer", _("Unique reporters"), count=True),
            Field("score", "number", _("Score"), population="reporters"),
            Field("state", "string", _("State")),
            Field("funded_amount", "number", _("Amount funded (lek)")),
        ],
        rows=_priority_rows,
    )
)


def priority_panel(municipality) -> list[Panel]:
    rows = selectors.priority_list(municipality, limit=8)
    if not rows:
        return []
    return [
        Panel(
            key="reports-priorities",
            title=_("Where reports ask for work first"),
            rows=[
                (
                    f"{p.cluster.category.name()} — {p.cluster.unit.name if p.cluster.unit else ''}",
                    _("%(n)d residents · score %(s)s") % {"n": p.reporters, "s": p.score},
                )
                for p in rows
            ],
            url=reverse("reports:priorities", kwargs={"municipality_slug": municipality.slug}),
        )
    ]


register_panel("reports", priority_panel)
