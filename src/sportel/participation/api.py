"""Participation JSON API: ``GET /api/v1/municipalities/{slug}/budgets`` (DESIGN.md).

Budgets with their phase; for closed ones (a published result) the winners, as project ids of
the ``.pb`` file, and ``ballots_url``, the ``.pb`` file itself, with its SHA-256.
"""

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from ninja import Router, Schema

from sportel.core.api_errors import responses
from sportel.core.tenancy import request_municipality

from . import rules, selectors, services

router = Router(tags=["participation"])


class ProjectOut(Schema):
    id: str
    title: str
    cost: Decimal


class BudgetOut(Schema):
    slug: str
    title: str
    unit: str | None
    amount: Decimal
    currency: str = "ALL"
    phase: str
    voting_starts: dt.datetime
    voting_ends: dt.datetime
    projects: list[ProjectOut]
    rule: str | None = None
    winners: list[str] | None = None
    most_votes: list[str] | None = None
    ballots: int | None = None
    ballots_url: str | None = None
    ballots_sha256: str | None = None


@router.get(
    "/municipalities/{slug}/budgets",
    response=responses({200: list[BudgetOut]}),
    summary="Participatory budgets, with the winners and ballots of closed votes",
)
def budgets(request, slug: str):
    municipality = request_municipality(request)
    out = []
    for budget in selectors.budgets_of(municipality):
        role = services.role_in(budget, request.user)
        if not rules.may(role, "view", budget.phase):
            continue
        item = {
            "slug": budget.slug,
            "title": budget.title,
            "unit": budget.unit.name if budget.unit else None,
            "amount": budget.amount,
            "phase": budget.phase,
            "voting_starts": budget.voting_starts,
            "voting_ends": budget.voting_ends,
            "projects": [
                {"id": p.pb_id, "title": p.title, "cost": p.cost}
                for p in selectors.ballot_projects(budget)
            ],
        }
        result = selectors.result_of(budget)
        if result is not None and rules.may(role, "see_results", budget.phase):
            path = reverse(
                "participation:ballots",
                kwargs={"municipality_slug": municipality.slug, "slug": budget.slug},
            )
            item.update(
                rule=result.rule,
                winners=result.winners,
                most_votes=result.greedy,
                ballots=result.ballots,
                ballots_url=request.build_absolute_uri(path),
                ballots_sha256=result.pb_sha256,
            )
        out.append(item)
    return out
