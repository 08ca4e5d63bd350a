"""Organisers set budgets up: dates, rule and amount; projects on the ballot; review and costing.

Every write checks ``participation.manage``, validates, runs in one transaction and is audited.
The rules and dates cannot change once voting has begun: a vote is counted under the rules it
was cast under.
"""

from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.accounts.permissions import has_permission
from sportel.core import audit

from . import follows
from .models import PHASE_STARTS, Budget, Phase, Project
from .proposals import _plain

FIELDS = (
    "slug",
    "title",
    "description",
    "unit",
    "amount",
    "max_projects",
    "max_cost",
    *(field for _phase, field in PHASE_STARTS),
)


def _optional(field: str, value: str, limit: int) -> str:
    return _plain(field, value, limit) if (value or "").strip() else ""


def _allowed(by, municipality) -> None:
    if not has_permission(by, municipality, "participation.manage"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))


def _lek(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check(municipality, data: dict) -> dict:
    errors = {}
    data = dict(data)
    data["title"] = _plain("title", data.get("title", ""), 200)
    data["description"] = _optional("description", data.get("description", ""), 5000)
    unit = data.get("unit")
    if unit is not None and unit.municipality_id != municipality.pk:
        errors["unit"] = _("Choose an administrative unit of this municipality.")
    if data.get("amount") is None or data["amount"] <= 0:
        errors["amount"] = _("The amount must be more than 0 ALL.")
    else:
        data["amount"] = _lek(data["amount"])
    if data.get("max_projects") is not None and data.get("max_cost") is not None:
        errors["max_cost"] = _("Choose one rule: a most number of projects or a cost limit.")
    if data.get("max_cost") is not None:
        if data["max_cost"] <= 0:
            errors["max_cost"] = _("The cost limit must be more than 0 ALL.")
        else:
            data["max_cost"] = _lek(data["max_cost"])
    if data.get("max_projects") == 0:
        errors["max_projects"] = _("A ballot must allow at least one project.")
    dates = [(field, data.get(field)) for _phase, field in PHASE_STARTS]
    for (_earlier, first), (field, then) in pairwise(dates):
        if first and then and then <= first:
            errors[field] = _("Each phase must begin after the one before it.")
    if errors:
        raise ValidationError(errors)
    return data


def save_budget(municipality, *, by, data: dict, budget: Budget | None = None, now=None) -> Budget:
    """Create a budget, or change one whose voting has not begun."""
    _allowed(by, municipality)
    now = now or timezone.now()
    data = _check(municipality, {k: v for k, v in data.items() if k in FIELDS})
    with transaction.atomic():
        if budget is None:
            if Budget.objects.filter(municipality=municipality, slug=data["slug"]).exists():
                raise ValidationError({"slug": _("Another budget already has this address.")})
            budget = Budget.objects.create(municipality=municipality, **data)
            action = "participation.budget_created"
        else:
            locked = Budget.objects.select_for_update().get(pk=budget.pk, municipality=municipality)
            if locked.phase_at(now) not in (
                Phase.DRAFT,
                Phase.INFORMATION,
                Phase.PROPOSALS,
                Phase.REVIEW,
            ):
                raise ValidationError(
                    _("Voting has begun: the budget's rules and dates can no longer change."),
                    code="phase",
                )
            data.pop("slug", None)
            for field, value in data.items():
                setattr(locked, field, value)
            locked.save()
            budget = locked
            action = "participation.budget_changed"
        audit.record(
            action,
            actor=by,
            municipality=municipality,
            obj=budget,
            data={
                "amount": str(budget.amount),
                "max_projects": budget.max_projects,
                "max_cost": str(budget.max_cost) if budget.max_cost is not None else None,
            },
        )
    return budget


def _before_voting(budget: Budget, now) -> None:
    if budget.phase_at(now) not in (Phase.DRAFT, Phase.INFORMATION, Phase.PROPOSALS, Phase.REVIEW):
        raise ValidationError(
            _("Voting has begun: the projects on the ballot can no longer change."), code="phase"
        )


def add_project(
    budget: Budget, *, by, title: str, cost, description: str = "", unit=None, now=None
) -> Project:
    """Put a project forward for review (not on the ballot until reviewed as feasible)."""
    _allowed(by, budget.municipality)
    now = now or timezone.now()
    title = _plain("title", title, 200)
    description = _optional("description", description, 5000)
    if cost is None or Decimal(cost) <= 0:
        raise ValidationError({"cost": _("The cost must be more than 0 ALL.")})
    if unit is not None and unit.municipality_id != budget.municipality_id:
        raise ValidationError({"unit": _("Choose an administrative unit of this municipality.")})
    if budget.unit_id and unit is not None and unit.pk != budget.unit_id:
        raise ValidationError({"unit": _("This budget is for one unit only.")})
    with transaction.atomic():
        locked = Budget.objects.select_for_update().get(pk=budget.pk)
        _before_voting(locked, now)
        number = (locked.projects.aggregate(n=Max("number"))["n"] or 0) + 1
        project = Project.objects.create(
            budget=locked,
            number=number,
            title=title,
            description=description,
            cost=_lek(cost),
            unit=unit or locked.unit,
        )
        audit.record(
            "participation.project_added",
            actor=by,
            municipality=budget.municipality,
            obj=project,
            data={"budget": budget.pk, "cost": str(project.cost)},
        )
    return project


def review_project(project: Project, *, by, review: str, cost, reason: str, now=None) -> Project:
    """Technical review and costing: the staff's cost and whether it goes on the ballot."""
    budget = project.budget
    _allowed(by, budget.municipality)
    now = now or timezone.now()
    if review not in (Project.Review.FEASIBLE, Project.Review.UNFEASIBLE):
        raise ValidationError({"review": _("Choose feasible or not feasible.")})
    if cost is None or Decimal(cost) <= 0:
        raise ValidationError({"cost": _("The cost must be more than 0 ALL.")})
    reason = _optional("review_reason", reason, 5000)
    if review == Project.Review.UNFEASIBLE and not reason:
        raise ValidationError({"review_reason": _("Say why the project is not feasible.")})
    with transaction.atomic():
        Budget.objects.select_for_update().get(pk=budget.pk)
        _before_voting(budget, now)
        Project.objects.filter(pk=project.pk).update(
            review=review, cost=_lek(cost), review_reason=reason
        )
        audit.record(
            "participation.project_reviewed",
            actor=by,
            municipality=budget.municipality,
            obj=project,
            data={"review": review, "cost": str(_lek(cost))},
        )
    project.refresh_from_db()
    return project


def budgets_open_for_projects(municipality, *, now=None) -> list[Budget]:
    """The budgets whose ballot can still take a project (voting has not begun)."""
    now = now or timezone.now()
    return [
        budget
        for budget in Budget.objects.filter(municipality=municipality, voting_starts__gt=now)
        .select_related("unit")
        .order_by("voting_starts", "pk")
        if budget.phase_at(now) in (Phase.DRAFT, Phase.INFORMATION, Phase.PROPOSALS, Phase.REVIEW)
    ]


def put_on_ballot(proposal, *, budget: Budget, by, cost, note: str, now=None) -> Project:
    """Put an accepted proposal on a budget's ballot as a costed, feasible project, and tell
    the proposer (and the proposal's followers).

    Only an accepted proposal, of the budget's municipality (and unit, for a unit's budget),
    once per budget, before voting begins; the feasibility note is what residents read."""
    from .models import Proposal

    _allowed(by, budget.municipality)
    now = now or timezone.now()
    if proposal.municipality_id != budget.municipality_id:
        raise ValidationError(
            {"budget": _("Choose a budget of the proposal's municipality.")}, code="invalid"
        )
    if proposal.status != Proposal.Status.ACCEPTED:
        raise ValidationError(
            _("Only an accepted proposal can be put on a budget's ballot."), code="not_accepted"
        )
    if budget.unit_id is not None and proposal.unit_id != budget.unit_id:
        raise ValidationError(
            {
                "budget": _("This budget is for %(unit)s only; the proposal is for another place.")
                % {"unit": budget.unit.name}
            },
            code="other_unit",
        )
    if cost is None or Decimal(cost) <= 0:
        raise ValidationError({"cost": _("The cost must be more than 0 ALL.")})
    note = _plain("note", note, 5000)
    with transaction.atomic():
        locked = Budget.objects.select_for_update().get(pk=budget.pk)
        _before_voting(locked, now)
        if Project.objects.filter(budget=locked, proposal=proposal).exists():
            raise ValidationError(
                _("This proposal is already on this budget's ballot."), code="duplicate"
            )
        number = (locked.projects.aggregate(n=Max("number"))["n"] or 0) + 1
        project = Project.objects.create(
            budget=locked,
            number=number,
            title=proposal.title[:200],
            description=proposal.body[:5000],
            cost=_lek(cost),
            unit=proposal.unit or locked.unit,
            review=Project.Review.FEASIBLE,
            review_reason=note,
            proposal=proposal,
        )
        audit.record(
            "participation.proposal_on_ballot",
            actor=by,
            municipality=budget.municipality,
            obj=project,
            data={"budget": locked.pk, "proposal": proposal.pk, "cost": str(project.cost)},
        )
        follows.notify(
            municipality=budget.municipality,
            title=proposal.title,
            what=(
                f"u vu në fletën e votimit të «{locked.title}»",
                f"it is on the ballot of “{locked.title}”",
            ),
            path=follows.proposal_path(proposal),
            proposal=proposal,
            also=proposal.author,
        )
    return project
