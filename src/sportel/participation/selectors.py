"""Read queries of the participation module, always through the request's municipality."""

from django.http import Http404

from .models import Budget, BudgetResult, Project


def budgets_of(municipality):
    return Budget.objects.filter(municipality=municipality).select_related("unit", "result")


def budget(municipality, slug: str) -> Budget:
    found = budgets_of(municipality).filter(slug=slug).first()
    if found is None:
        raise Http404
    return found


def ballot_projects(budget: Budget):
    return list(
        Project.objects.filter(budget=budget, review=Project.Review.FEASIBLE)
        .select_related("unit")
        .order_by("number")
    )


def result_of(budget: Budget) -> BudgetResult | None:
    return BudgetResult.objects.filter(budget=budget).first()


def result_rows(budget: Budget, result: BudgetResult) -> list[dict]:
    """One row per project: the fair outcome, the greedy one, and why."""
    rows = []
    for project in budget.projects.filter(review=Project.Review.FEASIBLE).order_by("number"):
        why = result.explanation.get(project.pb_id, {})
        rows.append(
            {
                "project": project,
                "votes": why.get("votes", 0),
                "funded": why.get("funded", False),
                "order": why.get("order"),
                "greedy": project.pb_id in result.greedy,
                "payment": why.get("payment_per_supporter"),
                "paying_all": why.get("supporters_paying_all", 0),
                "covered": why.get("share_covered"),
            }
        )
    rows.sort(key=lambda r: (not r["funded"], r["order"] or 0, -r["votes"]))
    return rows
