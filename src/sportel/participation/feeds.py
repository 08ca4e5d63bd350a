"""Statistics feeds for the open data module (core.feeds): aggregates only, no person, no text a
resident wrote (project titles are the municipality's own, written when costing)."""

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from sportel.core.feeds import Feed, Field, register_feed

from .models import Ballot, BudgetResult, Proposal, Support


def _results(municipality):
    for result in BudgetResult.objects.filter(budget__municipality=municipality).select_related(
        "budget"
    ):
        budget = result.budget
        for project in budget.projects.filter(review="feasible").order_by("number"):
            why = result.explanation.get(project.pb_id, {})
            yield {
                "budget": budget.slug,
                "project_id": project.pb_id,
                "project": project.title,
                "cost": float(project.cost),
                "votes": why.get("votes", 0),
                "funded": bool(why.get("funded")),
                "funded_by_most_votes": project.pb_id in result.greedy,
            }


def _ballots(municipality):
    rows = (
        Ballot.objects.filter(budget__municipality=municipality)
        .values("budget__slug", "channel")
        .annotate(n=Count("pk"))
        .order_by("budget__slug", "channel")
    )
    for row in rows:
        yield {"budget": row["budget__slug"], "channel": row["channel"], "ballots": row["n"]}


def _proposals(municipality):
    rows = (
        Proposal.objects.filter(municipality=municipality)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "category", "status")
        .annotate(n=Count("pk"))
        .order_by("month", "category", "status")
    )
    for row in rows:
        yield {
            "month": row["month"].date().isoformat(),
            "category": row["category"] or "other",
            "status": row["status"],
            "proposals": row["n"],
        }


def _supports(municipality):
    rows = (
        Support.objects.filter(proposal__municipality=municipality)
        .annotate(month=TruncMonth("at"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    for row in rows:
        yield {"month": row["month"].date().isoformat(), "supports": row["n"]}


def register() -> None:
    register_feed(
        Feed(
            name="participation-budget-results",
            module="participation",
            title=_("Participatory budget results per project"),
            description=_(
                "Votes per project and whether it was funded by the Method of Equal Shares and "
                "by most votes. The anonymised ballots are published with each result (.pb)."
            ),
            frequency="ANNUAL",
            fields=[
                Field("budget", "string", _("Budget"), key=True),
                Field("project_id", "string", _("Project id"), key=True),
                Field("project", "string", _("Project")),
                Field("cost", "number", _("Cost (ALL)")),
                Field("votes", "integer", _("Votes"), count=True),
                Field("funded", "boolean", _("Funded")),
                Field("funded_by_most_votes", "boolean", _("Funded by most votes")),
            ],
            rows=_results,
        )
    )
    register_feed(
        Feed(
            name="participation-ballots-per-channel",
            module="participation",
            title=_("Participatory budget ballots per channel"),
            description=_("Ballots cast online, at kiosks and at the counter, per budget."),
            frequency="ANNUAL",
            fields=[
                Field("budget", "string", _("Budget"), key=True),
                Field("channel", "string", _("Channel"), key=True),
                Field("ballots", "integer", _("Ballots"), count=True),
            ],
            rows=_ballots,
        )
    )
    register_feed(
        Feed(
            name="participation-proposals-per-month",
            module="participation",
            title=_("Proposals per month, category and status"),
            description=_("Residents' proposals by month, category and their status now."),
            fields=[
                Field("month", "date", _("Month"), key=True),
                Field("category", "string", _("Category"), key=True),
                Field("status", "string", _("Status"), key=True),
                Field("proposals", "integer", _("Proposals"), count=True),
            ],
            rows=_proposals,
        )
    )
    register_feed(
        Feed(
            name="participation-supports-per-month",
            module="participation",
            title=_("Supports of proposals per month"),
            description=_("How many supports residents gave proposals, per month."),
            fields=[
                Field("month", "date", _("Month"), key=True),
                Field("supports", "integer", _("Supports"), count=True),
            ],
            rows=_supports,
        )
    )
