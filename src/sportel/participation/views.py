"""Public pages of participatory budgets under ``/<municipality_slug>/participation/``.

Reading is public; voting needs a verified resident of the budget's area (services.cast_ballot
says why not, in the page's language, and nothing is counted).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import rules, selectors, services
from .models import Ballot, Phase


def _context(request, budget, **extra):
    role = services.role_in(budget, request.user)
    if not rules.may(role, "view", budget.phase):
        raise Http404
    return {
        "municipality": request.municipality,
        "budget": budget,
        "phase": budget.phase,
        "phase_label": Phase(budget.phase).label,
        "role": role,
        "may_vote": rules.may(role, "vote", budget.phase),
        "see_results": rules.may(role, "see_results", budget.phase),
        **extra,
    }


def budgets(request, municipality_slug: str):
    items = [
        b
        for b in selectors.budgets_of(request.municipality)
        if rules.may(services.role_in(b, request.user), "view", b.phase)
    ]
    return render(
        request,
        "participation/budgets.html",
        {"municipality": request.municipality, "budgets": items},
    )


def budget_detail(request, municipality_slug: str, slug: str):
    budget = selectors.budget(request.municipality, slug)
    return render(
        request,
        "participation/budget.html",
        _context(
            request,
            budget,
            projects=selectors.ballot_projects(budget),
            result=selectors.result_of(budget),
        ),
    )


@require_http_methods(["GET", "POST"])
def vote(request, municipality_slug: str, slug: str):
    budget = selectors.budget(request.municipality, slug)
    context = _context(request, budget, projects=selectors.ballot_projects(budget))
    current = []
    if request.user.is_authenticated:
        ballot = Ballot.objects.filter(budget=budget, voter=request.user).first()
        if ballot is not None:
            current = [str(p.pk) for p in ballot.projects.all()]
    chosen = request.POST.getlist("projects") if request.method == "POST" else current
    error = None
    status = 200
    if request.method == "POST":
        try:
            services.cast_ballot(budget, voter=request.user, projects=chosen)
        except PermissionDenied as refused:
            error, status = str(refused), 403
        except ValidationError as refused:
            error = refused.messages[0]
            status = 403 if refused.code in ("unverified", "not_resident") else 200
        else:
            messages.success(
                request,
                _("Your ballot is recorded. You can change it until the vote closes."),
            )
            return redirect(
                "participation:vote", municipality_slug=request.municipality.slug, slug=budget.slug
            )
    elif not context["may_vote"] and budget.phase == Phase.VOTING:
        if not request.user.is_authenticated:
            error = _("Sign in to vote.")
        else:
            error = _(
                "Only residents whose identity was verified (national eID, or a clerk at the "
                "counter) can vote here."
            )
    context.update(chosen=chosen, error=error, has_ballot=bool(current))
    return render(request, "participation/vote.html", context, status=status)


def results(request, municipality_slug: str, slug: str):
    budget = selectors.budget(request.municipality, slug)
    context = _context(request, budget)
    result = selectors.result_of(budget)
    if not context["see_results"] or result is None:
        raise Http404
    rows = selectors.result_rows(budget, result)
    context.update(
        result=result,
        rows=rows,
        spent=sum(r["project"].cost for r in rows if r["funded"]),
        greedy_spent=sum(r["project"].cost for r in rows if r["greedy"]),
        differs=sorted(result.winners) != sorted(result.greedy),
    )
    return render(request, "participation/results.html", context)


def ballots_file(request, municipality_slug: str, slug: str):
    """The anonymised ballots of a closed vote as a pabulib ``.pb`` file."""
    budget = selectors.budget(request.municipality, slug)
    result = selectors.result_of(budget)
    role = services.role_in(budget, request.user)
    if result is None or not rules.may(role, "see_results", budget.phase):
        raise Http404
    response = HttpResponse(result.pb_text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{request.municipality.slug}-{budget.slug}.pb"'
    )
    response["X-Content-SHA256"] = result.pb_sha256
    return response
