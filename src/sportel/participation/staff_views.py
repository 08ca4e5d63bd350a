"""Staff pages: a clerk records a resident's ballot at the counter (identity document seen)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sportel.accounts.decorators import staff_required
from sportel.core.identifiers import check_identifier
from sportel.core.models import Person

from . import comments, proposals, selectors, services
from .models import BudgetResult, Channel, Comment, ModerationDecision, Phase, Proposal


class CounterBallotForm(forms.Form):
    nid = forms.CharField(
        label=gettext_lazy("Resident's personal number (NID)"),
        max_length=10,
        help_text=gettext_lazy("As printed on the identity document you have in front of you."),
    )
    document_seen = forms.BooleanField(
        label=gettext_lazy("I have seen the resident's identity document"),
    )


@staff_required("participation.counter")
def counter_vote(request, municipality_slug: str, slug: str):
    budget = selectors.budget(request.municipality, slug)
    form = CounterBallotForm(request.POST or None)
    chosen = request.POST.getlist("projects") if request.method == "POST" else []
    error = None
    if request.method == "POST" and form.is_valid():
        checked = check_identifier(form.cleaned_data["nid"])
        person = Person.objects.filter(municipality=request.municipality, nid=checked.value).first()
        if checked.error:
            form.add_error("nid", checked.error)
        elif person is None:
            form.add_error(
                "nid", _("No resident with this personal number is in the municipality's register.")
            )
        else:
            try:
                services.cast_ballot(
                    budget,
                    person=person,
                    projects=chosen,
                    channel=Channel.COUNTER,
                    clerk=request.user,
                )
            except ValidationError as refused:
                error = refused.messages[0]
            else:
                messages.success(request, _("The ballot is recorded."))
                return redirect(
                    "participation-staff:counter-vote",
                    municipality_slug=request.municipality.slug,
                    slug=budget.slug,
                )
    return render(
        request,
        "participation/staff/counter_vote.html",
        {
            "municipality": request.municipality,
            "budget": budget,
            "phase": budget.phase,
            "form": form,
            "projects": selectors.ballot_projects(budget),
            "chosen": chosen,
            "error": error,
        },
    )


# --- organisers and moderators ----------------------------------------------------------------
# Thin views: every write goes through proposals/comments/services, which check the permission
# again, lock, audit and notify. A refused write redisplays the page with the service's message.


def _proposal_of(request, pk: int) -> Proposal:
    return get_object_or_404(Proposal, municipality=request.municipality, pk=pk)


def _back(request, name: str, **kwargs):
    return redirect(name, municipality_slug=request.municipality.slug, **kwargs)


@staff_required("participation.manage")
def index(request, municipality_slug: str):
    """The organiser's desk: budgets (publish a closed vote's result) and proposals to answer."""
    now = timezone.now()
    budgets = [
        {
            "budget": b,
            "phase": Phase(b.phase_at(now)).label,
            "published": b.has_result,
            "can_publish": b.phase_at(now) in (Phase.RESULTS, Phase.IMPLEMENTATION)
            and not b.has_result,
        }
        for b in selectors.budgets_of(request.municipality).annotate(
            has_result=Exists(BudgetResult.objects.filter(budget=OuterRef("pk")))
        )
    ]
    waiting = (
        Proposal.objects.filter(
            municipality=request.municipality,
            status__in=(Proposal.Status.PUBLISHED, Proposal.Status.EVALUATING),
        )
        .annotate(supporters=Count("supports"))
        .order_by("created_at")
    )
    return render(
        request,
        "participation/staff/index.html",
        {"municipality": request.municipality, "budgets": budgets, "waiting": waiting},
    )


@staff_required("participation.manage")
@require_POST
def publish(request, municipality_slug: str, slug: str):
    budget = selectors.budget(request.municipality, slug)
    try:
        services.publish_result(budget, actor=request.user)
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, _("The result is published with its ballots file."))
    return _back(request, "participation-staff:index")


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Answer"),
        choices=[
            (Proposal.Status.EVALUATING, gettext_lazy("Being evaluated")),
            (Proposal.Status.ACCEPTED, gettext_lazy("Accepted")),
            (Proposal.Status.REJECTED, gettext_lazy("Rejected")),
        ],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=gettext_lazy("Reasons"),
        help_text=gettext_lazy("Residents read these on the proposal's page."),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
    )


@staff_required("participation.manage")
def answer(request, municipality_slug: str, pk: int):
    proposal = _proposal_of(request, pk)
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposals.answer(
                proposal,
                by=request.user,
                status=form.cleaned_data["status"],
                reasons=form.cleaned_data["reasons"],
            )
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(request, _("The answer is published."))
            return _back(request, "participation-staff:index")
    return render(
        request,
        "participation/staff/answer.html",
        {
            "municipality": request.municipality,
            "proposal": proposal,
            "answers": proposal.answers.order_by("at"),
            "form": form,
        },
    )


def _add_errors(form, refused: ValidationError) -> None:
    if hasattr(refused, "error_dict"):
        for field, errors in refused.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, refused.messages)


@staff_required("participation.moderate")
def moderation(request, municipality_slug: str):
    """Hidden comments waiting for a decision, oldest first; and merging proposals."""
    queue = (
        Comment.objects.filter(
            proposal__municipality=request.municipality, hidden=True, removed=False
        )
        .select_related("proposal")
        .annotate(report_count=Count("reports"))
        .order_by("created_at")
    )
    return render(
        request,
        "participation/staff/moderation.html",
        {
            "municipality": request.municipality,
            "queue": queue,
            "decisions": ModerationDecision.Decision.choices,
            "merge_form": MergeForm(),
        },
    )


@staff_required("participation.moderate")
@require_POST
def decide(request, municipality_slug: str, comment: int):
    row = get_object_or_404(Comment, proposal__municipality=request.municipality, pk=comment)
    try:
        comments.decide(
            row,
            moderator=request.user,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
    else:
        messages.success(request, _("The decision is recorded."))
    return _back(request, "participation-staff:moderation")


class MergeForm(forms.Form):
    proposal = forms.IntegerField(
        label=gettext_lazy("Merge proposal number"), min_value=1, widget=forms.TextInput
    )
    into = forms.IntegerField(
        label=gettext_lazy("Into proposal number"),
        min_value=1,
        widget=forms.TextInput,
        help_text=gettext_lazy("Its supports move to this one; each resident counts once."),
    )


@staff_required("participation.moderate")
@require_POST
def merge(request, municipality_slug: str):
    form = MergeForm(request.POST)
    if form.is_valid():
        source = Proposal.objects.filter(
            municipality=request.municipality, pk=form.cleaned_data["proposal"]
        ).first()
        target = Proposal.objects.filter(
            municipality=request.municipality, pk=form.cleaned_data["into"]
        ).first()
        if source is None or target is None:
            messages.error(request, _("Choose another proposal of this municipality."))
        else:
            try:
                moved = proposals.merge(source, into=target, by=request.user)
            except ValidationError as refused:
                messages.error(request, refused.messages[0])
            else:
                messages.success(
                    request,
                    _("The proposals are merged; %(moved)s supports moved.") % {"moved": moved},
                )
    else:
        messages.error(request, _("Type the numbers of two proposals."))
    return _back(request, "participation-staff:moderation")
