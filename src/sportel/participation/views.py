"""Public pages of participatory budgets under ``/<municipality_slug>/participation/``.

Reading is public; voting needs a verified resident of the budget's area (services.cast_ballot
says why not, in the page's language, and nothing is counted).
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sportel.accounts.permissions import has_permission

from . import comments, consultations, follows, proposals, rules, selectors, services
from .forms import ProposalForm
from .models import (
    AbuseReport,
    Ballot,
    Comment,
    Consultation,
    Follow,
    Phase,
    Project,
    Proposal,
)


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
            following=request.user.is_authenticated
            and Follow.objects.filter(user=request.user, budget=budget).exists(),
        ),
    )


@require_http_methods(["GET", "POST"])
def vote(request, municipality_slug: str, slug: str):
    budget = selectors.budget(request.municipality, slug)
    context = _context(request, budget, projects=selectors.ballot_projects(budget))
    current = []
    if request.user.is_authenticated:
        person = services.resident_person(budget, request.user)
        ballot = Ballot.objects.filter(budget=budget, person=person).first() if person else None
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


# --- proposals ----------------------------------------------------------------------------------


def _proposal(request, pk: int) -> Proposal:
    found = Proposal.objects.filter(municipality=request.municipality, pk=pk).first()
    if found is None:
        raise Http404
    return found


def proposal_list(request, municipality_slug: str):
    items = (
        Proposal.objects.filter(municipality=request.municipality)
        .exclude(status=Proposal.Status.MERGED)
        .annotate(support_count=Count("supports"))
        .select_related("unit")[:200]
    )
    return render(
        request,
        "participation/proposals.html",
        {"municipality": request.municipality, "proposals": items},
    )


def proposal_detail(request, municipality_slug: str, pk: int):
    proposal = _proposal(request, pk)
    if proposal.status == Proposal.Status.MERGED and proposal.merged_into_id:
        return redirect(
            "participation:proposal",
            municipality_slug=request.municipality.slug,
            pk=proposal.merged_into_id,
        )
    supporters = proposal.supports.count()
    supported = (
        request.user.is_authenticated and proposal.supports.filter(user=request.user).exists()
    )
    return render(
        request,
        "participation/proposal.html",
        {
            "municipality": request.municipality,
            "proposal": proposal,
            "supporters": supporters,
            "supported": supported,
            "percent": min(100, supporters * 100 // max(1, proposal.threshold)),
            "answers": proposal.answers.all(),
            "milestones": proposal.milestones.all(),
            # Budgets still being prepared stay hidden from the public, like their pages.
            "on_ballots": Project.objects.filter(
                proposal=proposal, budget__information_starts__lte=timezone.now()
            )
            .select_related("budget")
            .order_by("budget__voting_starts"),
            "images": proposal.images.only("pk"),
            "may_support": proposals.resident_of(request.municipality, request.user) is not None,
            "thread": _thread(proposal),
            "report_reasons": AbuseReport.Reason.choices,
            "following": request.user.is_authenticated
            and Follow.objects.filter(user=request.user, proposal=proposal).exists(),
        },
    )


@require_http_methods(["POST"])
def proposal_support(request, municipality_slug: str, pk: int):
    proposal = _proposal(request, pk)
    try:
        proposals.support(proposal, user=request.user)
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, _("Thank you: your support is counted."))
    return redirect("participation:proposal", municipality_slug=request.municipality.slug, pk=pk)


def proposal_image(request, municipality_slug: str, pk: int, image: int):
    proposal = _proposal(request, pk)
    row = proposal.images.filter(pk=image).first()
    if row is None:
        raise Http404
    try:
        response = FileResponse(row.file.open("rb"), content_type=row.content_type)
    except FileNotFoundError:
        raise Http404 from None
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_http_methods(["GET", "POST"])
def proposal_new(request, municipality_slug: str):
    """Write a proposal. The first submit shows similar proposals (so support gathers on one);
    the second publishes. Works without JavaScript; nothing typed is lost on an error."""
    municipality = request.municipality
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if proposals.resident_of(municipality, request.user) is None:
        raise PermissionDenied(
            _("Only residents whose identity was verified can make proposals here.")
        )
    form = ProposalForm(municipality, request.POST or None, request.FILES or None)
    similar = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        similar = proposals.similar(municipality, f"{data['title']} {data['body']}")
        if request.POST.get("step") == "publish" or not similar:
            try:
                proposal = proposals.create_proposal(
                    municipality,
                    author=request.user,
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    unit=data["unit"],
                    image=data["image"],
                )
            except ValidationError as refused:
                for field, errors in refused.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("Your proposal is published."))
                return redirect(
                    "participation:proposal", municipality_slug=municipality.slug, pk=proposal.pk
                )
    return render(
        request,
        "participation/proposal_new.html",
        {"municipality": municipality, "form": form, "similar": similar},
    )


def _may_follow(request) -> None:
    """Residents (verified) and the municipality's own staff follow its proposals and budgets."""
    user, municipality = request.user, request.municipality
    if proposals.resident_of(municipality, user) is None and not has_permission(
        user, municipality, "staff.home"
    ):
        raise PermissionDenied(
            _("Residents of this municipality whose identity was verified can follow it.")
        )


@require_http_methods(["POST"])
def proposal_follow(request, municipality_slug: str, pk: int):
    """Follow (or stop following) a proposal: messages when it is answered."""
    proposal = _proposal(request, pk)
    _may_follow(request)
    if request.POST.get("stop"):
        follows.unfollow(request.user, proposal=proposal)
        messages.success(request, _("You no longer follow this proposal."))
    else:
        follows.follow(request.user, proposal=proposal)
        messages.success(request, _("You follow this proposal: we write when it is answered."))
    return redirect("participation:proposal", municipality_slug=request.municipality.slug, pk=pk)


@require_http_methods(["POST"])
def budget_follow(request, municipality_slug: str, slug: str):
    """Follow (or stop following) a budget: a message when its results are published."""
    budget = selectors.budget(request.municipality, slug)
    _context(request, budget)
    _may_follow(request)
    if request.POST.get("stop"):
        follows.unfollow(request.user, budget=budget)
        messages.success(request, _("You no longer follow this budget."))
    else:
        follows.follow(request.user, budget=budget)
        messages.success(request, _("You follow this budget: we write when the results are out."))
    return redirect("participation:budget", municipality_slug=request.municipality.slug, slug=slug)


def _thread(proposal) -> list[tuple[Comment, int]]:
    """The proposal's comments, depth-first, each with its depth (shown up to 3 levels)."""
    children: dict[int | None, list[Comment]] = {}
    for comment in proposal.comments.all():
        children.setdefault(comment.parent_id, []).append(comment)
    out: list[tuple[Comment, int]] = []

    def walk(parent, depth):
        for comment in children.get(parent, []):
            out.append((comment, min(depth, 3)))
            walk(comment.pk, depth + 1)

    walk(None, 0)
    return out


@require_http_methods(["POST"])
def proposal_comment(request, municipality_slug: str, pk: int):
    proposal = _proposal(request, pk)
    parent = None
    if request.POST.get("parent"):
        parent = proposal.comments.filter(pk=request.POST["parent"]).first()
        if parent is None:
            raise Http404
    try:
        comments.add_comment(
            proposal, author=request.user, body=request.POST.get("body", ""), parent=parent
        )
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, _("Your comment is published."))
    return redirect("participation:proposal", municipality_slug=request.municipality.slug, pk=pk)


@require_http_methods(["POST"])
def comment_report(request, municipality_slug: str, pk: int, comment: int):
    proposal = _proposal(request, pk)
    target = proposal.comments.filter(pk=comment).first()
    if target is None:
        raise Http404
    try:
        comments.report(target, reporter=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, _("Thank you: a moderator will look at this comment."))
    return redirect("participation:proposal", municipality_slug=request.municipality.slug, pk=pk)


# --- consultations -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def consultation_detail(request, municipality_slug: str, slug: str):
    consultation = Consultation.objects.filter(municipality=request.municipality, slug=slug).first()
    if consultation is None:
        raise Http404
    if request.method == "POST":
        paragraph = consultation.paragraphs.filter(pk=request.POST.get("paragraph") or 0).first()
        if paragraph is None:
            raise Http404
        try:
            consultations.comment(paragraph, author=request.user, body=request.POST.get("body", ""))
        except ValidationError as refused:
            messages.error(request, refused.messages[0])
        else:
            messages.success(request, _("Your comment is published."))
        return redirect(
            "participation:consultation",
            municipality_slug=request.municipality.slug,
            slug=consultation.slug,
        )
    return render(
        request,
        "participation/consultation.html",
        {
            "municipality": request.municipality,
            "consultation": consultation,
            "paragraphs": consultation.paragraphs.prefetch_related("comments"),
            "is_open": consultation.is_open(),
            "may_comment": proposals.resident_of(request.municipality, request.user) is not None,
        },
    )
