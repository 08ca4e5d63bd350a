"""Every write of the participation module: validation, one transaction, audit, events.

Refusals are ``ValidationError`` with a ``code`` (the API's error code) and a message for the
person, or ``PermissionDenied``; nothing is half-written.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.accounts.permissions import has_permission
from sportel.core import audit
from sportel.core.models import Person

from . import fair, follows, pabulib, rules
from .models import Ballot, Budget, BudgetResult, Channel, Phase, Project


def resident_person(budget: Budget, user) -> Person | None:
    """The register entry proving ``user`` lives in the budget's area, or None.

    Only a *verified* identity counts (decision 0010): the national eID or a clerk who saw the
    identity document; a personal number the account typed itself never makes a voter.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not (user.nid_verified and user.nid):
        return None
    # (municipality, nid) is unique: no ORDER BY, and only the columns the checks read.
    person = next(
        iter(
            Person.objects.filter(municipality_id=budget.municipality_id, nid=user.nid).only(
                "pk", "municipality_id", "unit_id"
            )[:1]
        ),
        None,
    )
    if person is None:
        return None
    if budget.unit_id is not None and person.unit_id != budget.unit_id:
        return None
    return person


def role_in(budget: Budget, user, *, author_of=None) -> str:
    """The user's role in ``budget`` for the rules table (see rules.py)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return rules.ANONYMOUS
    if has_permission(user, budget.municipality, "participation.manage"):
        return rules.STAFF
    if has_permission(user, budget.municipality, "participation.moderate"):
        return rules.MODERATOR
    if resident_person(budget, user) is None:
        return rules.ANONYMOUS
    if author_of is not None and author_of.author_id == user.pk:
        return rules.AUTHOR
    return rules.RESIDENT


def _lek(value: Decimal) -> int:
    value = Decimal(value)
    if value != value.to_integral_value():
        raise ValidationError(_("Amounts are in whole lek."), code="invalid")
    return int(value)


def _refuse_phase(budget: Budget, now) -> None:
    phase = budget.phase_at(now)
    if phase != Phase.VOTING:
        if phase in (Phase.RESULTS, Phase.IMPLEMENTATION):
            message = _("The vote closed on %(date)s; ballots can no longer be cast or changed.")
        else:
            message = _("The vote opens on %(date)s; you cannot vote before then.")
        date = (
            budget.voting_ends
            if phase in (Phase.RESULTS, Phase.IMPLEMENTATION)
            else (budget.voting_starts)
        )
        raise ValidationError(
            message % {"date": timezone.localtime(date).strftime("%d.%m.%Y %H:%M")}, code="phase"
        )


def check_ballot(budget: Budget, project_ids) -> list[Project]:
    """The projects of a ballot (ids as in the ``.pb`` file), or a refusal saying which rule it
    breaks."""
    numbers = []
    for raw in project_ids:
        try:
            numbers.append(int(str(raw).strip()))
        except ValueError:
            raise ValidationError(
                _("A ballot can only hold projects of this budget."), code="unknown_project"
            ) from None
    numbers = sorted(set(numbers))
    if not numbers:
        raise ValidationError(_("Choose at least one project."), code="empty")
    projects = list(
        # No ORDER BY: Project's default ordering ("budget", ...) would join the budget table.
        Project.objects.filter(budget=budget, pk__in=numbers, review=Project.Review.FEASIBLE)
        .order_by()
        .only("pk", "cost")
    )
    if len(projects) != len(numbers):
        raise ValidationError(
            _(
                "A ballot can only hold projects on this budget's ballot; a project of another "
                "unit or budget cannot be chosen here."
            ),
            code="unknown_project",
        )
    if budget.max_projects and len(projects) > budget.max_projects:
        raise ValidationError(
            _("You chose %(n)s projects; at most %(max)s are allowed.")
            % {"n": len(projects), "max": budget.max_projects},
            code="over_limit",
        )
    limit = budget.max_cost if budget.max_cost is not None else budget.amount
    total = sum((p.cost for p in projects), Decimal(0))
    if total > limit:
        raise ValidationError(
            _("Your projects cost %(total)s ALL together; at most %(limit)s ALL are allowed.")
            % {"total": f"{total:,.0f}", "limit": f"{limit:,.0f}"},
            code="over_limit",
        )
    return projects


def cast_ballot(
    budget: Budget,
    *,
    voter=None,
    projects,
    channel: str = Channel.ONLINE,
    clerk=None,
    person: Person | None = None,
    now=None,
) -> Ballot:
    """Record (or replace) a resident's ballot. One ballot per resident, even when the same
    person votes twice at once: the unique constraint and the row lock make the second request
    change the first ballot instead of adding one.

    Online (and at a kiosk) the resident is ``voter``, an account whose identity was verified;
    at the counter a clerk who saw the identity document passes the register entry ``person``."""
    now = now or timezone.now()
    if channel not in Channel.values:
        raise ValidationError(_("Unknown voting channel."), code="invalid")
    if channel == Channel.COUNTER and (
        clerk is None or not has_permission(clerk, budget.municipality, "participation.counter")
    ):
        raise PermissionDenied(_("Only a clerk can record a ballot at the counter or kiosk."))
    _refuse_phase(budget, now)
    area = budget.unit.name if budget.unit else budget.municipality.name
    if person is not None:
        if channel != Channel.COUNTER:
            raise PermissionDenied(_("Only a clerk can record a ballot at the counter or kiosk."))
        if person.municipality_id != budget.municipality_id or (
            budget.unit_id is not None and person.unit_id != budget.unit_id
        ):
            raise ValidationError(
                _("Only residents of %(area)s can vote in this budget.") % {"area": area},
                code="not_resident",
            )
    else:
        if voter is None or not getattr(voter, "is_authenticated", True):
            raise PermissionDenied(_("Sign in to vote."))
        if not (voter.nid_verified and voter.nid):
            raise ValidationError(
                _(
                    "Only residents whose identity was verified (national eID, or a clerk at the "
                    "counter) can vote. A personal number typed into the account is not enough."
                ),
                code="unverified",
            )
        person = resident_person(budget, voter)
        if person is None:
            raise ValidationError(
                _("Only residents of %(area)s can vote in this budget.") % {"area": area},
                code="not_resident",
            )
    chosen = check_ballot(budget, projects)
    # The hot path (bench/bench_participation_cast.py): one unordered lookup by the unique
    # (budget, person) under a row lock, and the ballot's projects written directly (a new
    # ballot has none to compare with, a changed one has all its rows replaced) rather than
    # through ``projects.set()``, which reads them first.
    through = Ballot.projects.through
    with transaction.atomic():
        ballot = next(
            iter(Ballot.objects.select_for_update().filter(budget=budget, person=person)[:1]), None
        )
        created = False
        if ballot is None:
            try:
                with transaction.atomic():
                    ballot = Ballot.objects.create(
                        budget=budget, person=person, voter=voter, channel=channel, cast_at=now
                    )
                    created = True
            except IntegrityError:
                # Cast a moment ago (the same person, another tab or channel): change that one.
                ballot = Ballot.objects.select_for_update().get(budget=budget, person=person)
        if not created:
            Ballot.objects.filter(pk=ballot.pk).update(
                changes=ballot.changes + 1, channel=channel, cast_at=now
            )
            ballot.changes += 1
            through.objects.filter(ballot_id=ballot.pk).delete()
        through.objects.bulk_create(
            [through(ballot_id=ballot.pk, project_id=project.pk) for project in chosen]
        )
        audit.record(
            "participation.ballot_cast" if created else "participation.ballot_changed",
            actor=clerk or voter,
            municipality=budget.municipality,
            obj=budget,
            role="clerk" if clerk else "",
            # No projects and no ballot id: the audit log must not link a voter to a ballot.
            data={"channel": channel},
        )
    return ballot


def election_of(budget: Budget) -> tuple[fair.Election, list[Project]]:
    projects = list(budget.projects.filter(review=Project.Review.FEASIBLE).order_by("number"))
    costs = {p.pb_id: _lek(p.cost) for p in projects}
    number = {p.pk: p.pb_id for p in projects}
    ballots: dict[int, list[str]] = {}
    for ballot_id, project_id in Ballot.projects.through.objects.filter(
        ballot__budget=budget
    ).values_list("ballot_id", "project_id"):
        if project_id in number:
            ballots.setdefault(ballot_id, []).append(number[project_id])
    return fair.Election(costs, _lek(budget.amount), list(ballots.values())), projects


def pb_meta(budget: Budget) -> dict[str, str]:
    return {
        "description": budget.title,
        "country": "Albania",
        "unit": budget.municipality.name,
        "subunit": budget.unit.name if budget.unit else "",
        "instance": budget.slug,
        "budget": str(_lek(budget.amount)),
        "currency": "ALL",
        "date_begin": timezone.localtime(budget.voting_starts).strftime("%d.%m.%Y"),
        "date_end": timezone.localtime(budget.voting_ends).strftime("%d.%m.%Y"),
        **({"max_length": str(budget.max_projects)} if budget.max_projects else {}),
        **({"max_sum_cost": str(_lek(budget.max_cost))} if budget.max_cost is not None else {}),
    }


def explanation_json(result: fair.Result) -> dict:
    out = {}
    for name, why in result.explanation.items():
        out[name] = {
            "funded": why.funded,
            "votes": why.votes,
            "order": why.order,
            "payment_per_supporter": (
                str(round(float(why.payment_per_supporter), 2))
                if why.payment_per_supporter is not None
                else None
            ),
            "supporters_paying_all": why.supporters_paying_all,
            "share_covered": (
                round(float(why.share_covered) * 100, 1) if why.share_covered is not None else None
            ),
        }
    return out


def publish_result(budget: Budget, *, actor, now=None) -> BudgetResult:
    """Count a closed vote and publish the result with its ``.pb`` file (idempotent).

    The count runs outside any transaction (it may take seconds); the result is written once.
    """
    now = now or timezone.now()
    existing = BudgetResult.objects.filter(budget=budget).first()
    if existing is not None:
        return existing
    if (
        actor is not None
        and not isinstance(actor, str)
        and not has_permission(actor, budget.municipality, "participation.manage")
    ):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    if budget.phase_at(now) not in (Phase.RESULTS, Phase.IMPLEMENTATION):
        raise ValidationError(_("The vote has not closed yet."), code="phase")
    election, projects = election_of(budget)
    result = fair.equal_shares(election)
    most_votes = fair.greedy(election)
    text = pabulib.write_pb(
        pb_meta(budget),
        [
            {
                "project_id": p.pb_id,
                "cost": election.costs[p.pb_id],
                "name": p.title,
                "selected": int(p.pb_id in result.winners),
            }
            for p in projects
        ],
        election.ballots,
    )
    with transaction.atomic():
        row, created = BudgetResult.objects.get_or_create(
            budget=budget,
            defaults={
                "rule": fair.RULE,
                "winners": result.winners,
                "greedy": most_votes,
                "explanation": explanation_json(result),
                "ballots": len(election.ballots),
                "budget_steps": result.budget_steps,
                "pb_text": text,
                "pb_sha256": pabulib.sha256(text),
                "computed_at": now,
            },
        )
        if created:
            audit.record(
                "participation.result_published",
                actor=actor,
                municipality=budget.municipality,
                obj=budget,
                data={"winners": result.winners, "sha256": row.pb_sha256},
            )
            follows.notify(
                municipality=budget.municipality,
                title=budget.title,
                what=follows.PHASE_CHANGED["results"],
                path=follows.budget_path(budget),
                budget=budget,
            )
    return row
