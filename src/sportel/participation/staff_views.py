"""Staff pages: the counter (a clerk records a ballot, identity document seen), and the pages of
organisers (budgets, projects, results, answers, consultations) and moderators."""

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
from sportel.accounts.permissions import has_permission
from sportel.core.identifiers import check_identifier
from sportel.core.models import Person
from sportel.core.selectors import units_of

from . import comments, consultations, organising, proposals, selectors, services
from .models import (
    PHASE_STARTS,
    Budget,
    BudgetResult,
    Channel,
    Comment,
    Consultation,
    ModerationDecision,
    Phase,
    Project,
    Proposal,
)


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


def _budget_of(request, slug: str) -> Budget:
    """Staff see budgets still being prepared, which the public pages hide."""
    return get_object_or_404(Budget, municipality=request.municipality, slug=slug)


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
    accepted = (
        Proposal.objects.filter(municipality=request.municipality, status=Proposal.Status.ACCEPTED)
        .annotate(on_ballot=Exists(Project.objects.filter(proposal=OuterRef("pk"))))
        .order_by("created_at")
    )
    return render(
        request,
        "participation/staff/index.html",
        {
            "municipality": request.municipality,
            "budgets": budgets,
            "waiting": waiting,
            "accepted": accepted,
            # Moderation is the specialists' (roles.py): the link only for one who holds both.
            "may_moderate": has_permission(
                request.user, request.municipality, "participation.moderate"
            ),
            "consultations": Consultation.objects.filter(
                municipality=request.municipality
            ).order_by("-opens"),
        },
    )


@staff_required("participation.manage")
@require_POST
def publish(request, municipality_slug: str, slug: str):
    budget = _budget_of(request, slug)
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


class BallotForm(forms.Form):
    budget = forms.ModelChoiceField(
        label=gettext_lazy("Participatory budget"),
        queryset=Budget.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Budgets whose vote has not begun."),
    )
    cost = forms.DecimalField(
        label=gettext_lazy("Cost estimate (ALL)"),
        max_digits=14,
        decimal_places=2,
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Feasibility note"),
        help_text=gettext_lazy(
            "What the technical review found: residents read it next to the project on the ballot."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )

    def __init__(self, *args, budgets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget"].queryset = Budget.objects.filter(pk__in=[b.pk for b in budgets])


@staff_required("participation.manage")
def proposal_ballot(request, municipality_slug: str, pk: int):
    """Put an accepted proposal on a budget's ballot: cost estimate and feasibility note."""
    proposal = _proposal_of(request, pk)
    budgets = organising.budgets_open_for_projects(request.municipality)
    form = BallotForm(request.POST or None, budgets=budgets)
    if request.method == "POST" and proposal.status == Proposal.Status.ACCEPTED and form.is_valid():
        try:
            project = organising.put_on_ballot(
                proposal,
                budget=form.cleaned_data["budget"],
                by=request.user,
                cost=form.cleaned_data["cost"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(
                request,
                _("The proposal is on the ballot of %(budget)s as project %(number)s.")
                % {"budget": project.budget.title, "number": project.number},
            )
            return _back(request, "participation-staff:projects", slug=project.budget.slug)
    return render(
        request,
        "participation/staff/proposal_ballot.html",
        {
            "municipality": request.municipality,
            "proposal": proposal,
            "accepted": proposal.status == Proposal.Status.ACCEPTED,
            "on_ballots": Project.objects.filter(proposal=proposal)
            .select_related("budget")
            .order_by("budget__voting_starts"),
            "budgets": budgets,
            "form": form,
        },
        status=400 if form.errors else 200,
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


# --- setting a budget up ----------------------------------------------------------------------

_DATE_FIELDS = [field for _phase, field in PHASE_STARTS]


class BudgetForm(forms.ModelForm):
    class Meta:
        model = Budget
        fields = list(organising.FIELDS)
        widgets = {
            **{f: forms.DateTimeInput(attrs={"type": "datetime-local"}) for f in _DATE_FIELDS},
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, municipality, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_of(municipality)
        if editing:
            del self.fields["slug"]
        for name in _DATE_FIELDS:
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M"]

    def validate_unique(self):
        """The service checks the address within the municipality."""


@staff_required("participation.manage")
def budget_edit(request, municipality_slug: str, slug: str | None = None):
    budget = _budget_of(request, slug) if slug else None
    form = BudgetForm(
        request.POST or None,
        instance=budget,
        municipality=request.municipality,
        editing=budget is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = organising.save_budget(
                request.municipality, by=request.user, data=form.cleaned_data, budget=budget
            )
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(request, _("The budget is saved."))
            return _back(request, "participation-staff:projects", slug=saved.slug)
    return render(
        request,
        "participation/staff/budget_form.html",
        {"municipality": request.municipality, "budget": budget, "form": form},
    )


class ProjectForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    cost = forms.DecimalField(
        label=gettext_lazy("Estimated cost (ALL)"), max_digits=14, decimal_places=2
    )


class ReviewForm(forms.Form):
    review = forms.ChoiceField(
        label=gettext_lazy("Review"),
        choices=[
            (Project.Review.FEASIBLE, gettext_lazy("Feasible, on the ballot")),
            (Project.Review.UNFEASIBLE, gettext_lazy("Not feasible")),
        ],
        widget=forms.RadioSelect,
    )
    cost = forms.DecimalField(
        label=gettext_lazy("Cost after costing (ALL)"), max_digits=14, decimal_places=2
    )
    review_reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        help_text=gettext_lazy("Required when the project is not feasible; residents read it."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@staff_required("participation.manage")
def projects(request, municipality_slug: str, slug: str):
    """A budget's projects: add one, review and cost each (before voting begins)."""
    budget = _budget_of(request, slug)
    form = ProjectForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            organising.add_project(budget, by=request.user, **form.cleaned_data)
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(request, _("The project is added; review and cost it below."))
            return _back(request, "participation-staff:projects", slug=budget.slug)
    rows = [
        (project, ReviewForm(initial={"cost": project.cost}, prefix=f"p{project.pk}"))
        for project in budget.projects.order_by("number")
    ]
    return render(
        request,
        "participation/staff/projects.html",
        {
            "municipality": request.municipality,
            "budget": budget,
            "phase": Phase(budget.phase).label,
            "form": form,
            "rows": rows,
        },
    )


@staff_required("participation.manage")
@require_POST
def review(request, municipality_slug: str, slug: str, pk: int):
    budget = _budget_of(request, slug)
    project = get_object_or_404(Project, budget=budget, pk=pk)
    form = ReviewForm(request.POST, prefix=f"p{project.pk}")
    if form.is_valid():
        try:
            organising.review_project(
                project,
                by=request.user,
                review=form.cleaned_data["review"],
                cost=form.cleaned_data["cost"],
                reason=form.cleaned_data["review_reason"],
            )
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        else:
            messages.success(request, _("The review is saved."))
    else:
        messages.error(request, _("Choose a review and type the cost."))
    return _back(request, "participation-staff:projects", slug=budget.slug)


# --- consultations ----------------------------------------------------------------------------


class ConsultationForm(forms.Form):
    slug = forms.SlugField(label=gettext_lazy("Address (letters, digits and dashes)"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    question = forms.CharField(
        label=gettext_lazy("Question to residents"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    text = forms.CharField(
        label=gettext_lazy("Text put to consultation"),
        help_text=gettext_lazy("Separate paragraphs with a blank line; each is commented on."),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    opens = forms.DateTimeField(
        label=gettext_lazy("Open from"),
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    closes = forms.DateTimeField(
        label=gettext_lazy("Open until"),
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("What residents said"), widget=forms.Textarea(attrs={"rows": 6})
    )
    decision = forms.CharField(
        label=gettext_lazy("What the municipality decided"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )


@staff_required("participation.manage")
def consultation_new(request, municipality_slug: str):
    form = ConsultationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = consultations.create(request.municipality, by=request.user, **form.cleaned_data)
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(request, _("The consultation is saved."))
            return _back(request, "participation-staff:consultation-summary", slug=made.slug)
    return render(
        request,
        "participation/staff/consultation_form.html",
        {"municipality": request.municipality, "form": form},
    )


@staff_required("participation.manage")
def consultation_summary(request, municipality_slug: str, slug: str):
    consultation = get_object_or_404(Consultation, municipality=request.municipality, slug=slug)
    form = SummaryForm(
        request.POST or None,
        initial={"summary": consultation.summary, "decision": consultation.decision},
    )
    if request.method == "POST" and form.is_valid():
        try:
            consultations.publish_summary(consultation, by=request.user, **form.cleaned_data)
        except ValidationError as refused:
            _add_errors(form, refused)
        else:
            messages.success(request, _("The summary is published."))
            return _back(request, "participation-staff:consultation-summary", slug=slug)
    return render(
        request,
        "participation/staff/consultation_summary.html",
        {
            "municipality": request.municipality,
            "consultation": consultation,
            "paragraphs": consultation.paragraphs.order_by("number").annotate(
                comment_count=Count("comments")
            ),
            "form": form,
        },
    )
