"""Participatory budgets, their projects, ballots and published results; proposals and supports.

A ballot belongs to its voter only so that one person has one ballot, changeable until the vote
closes (a unique constraint, written under a row lock). What is published is the ``.pb`` file of
:class:`BudgetResult`: the ballots' contents in a canonical order, numbered from 1, with nothing
that points back to a ballot row, a voter or the order in which people voted.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportel.core.models import AdministrativeUnit, TenantScoped


class Phase(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    INFORMATION = "information", _("Information")
    PROPOSALS = "proposals", _("Proposals")
    REVIEW = "review", _("Technical review and costing")
    VOTING = "voting", _("Voting")
    RESULTS = "results", _("Results")
    IMPLEMENTATION = "implementation", _("Implementation")


# The order of the phases and the date field on which each begins.
PHASE_STARTS = (
    (Phase.INFORMATION, "information_starts"),
    (Phase.PROPOSALS, "proposals_start"),
    (Phase.REVIEW, "review_starts"),
    (Phase.VOTING, "voting_starts"),
    (Phase.RESULTS, "voting_ends"),
    (Phase.IMPLEMENTATION, "implementation_starts"),
)


class Budget(TenantScoped):
    """A participatory budget: city-wide (no unit) or for one administrative unit."""

    slug = models.SlugField(_("slug"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("administrative unit"),
        help_text=_("Empty: the whole municipality votes."),
    )
    amount = models.DecimalField(_("amount (ALL)"), max_digits=14, decimal_places=2)
    max_projects = models.PositiveSmallIntegerField(
        _("most projects on a ballot"), null=True, blank=True
    )
    max_cost = models.DecimalField(
        _("most a ballot's projects may cost together (ALL)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    information_starts = models.DateTimeField(_("information from"))
    proposals_start = models.DateTimeField(_("proposals from"))
    review_starts = models.DateTimeField(_("review and costing from"))
    voting_starts = models.DateTimeField(_("voting from"))
    voting_ends = models.DateTimeField(_("voting until"))
    implementation_starts = models.DateTimeField(_("implementation from"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("participatory budget")
        verbose_name_plural = _("participatory budgets")
        ordering = ("-voting_starts", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("municipality", "slug"), name="participation_budget_slug_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def phase_at(self, when=None) -> str:
        when = when or timezone.now()
        current = Phase.DRAFT
        for phase, field in PHASE_STARTS:
            if getattr(self, field) <= when:
                current = phase
        return current

    @property
    def phase(self) -> str:
        return self.phase_at()


class Project(models.Model):
    """A costed project on a budget's ballot. Its id in the ``.pb`` file (and in the API) is its
    primary key, unique across budgets, so a project of another budget can never be taken for one
    of this; ``number`` is only the order on the ballot."""

    class Review(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        FEASIBLE = "feasible", _("Feasible, on the ballot")
        UNFEASIBLE = "unfeasible", _("Not feasible")

    budget = models.ForeignKey(
        Budget, on_delete=models.CASCADE, related_name="projects", verbose_name=_("budget")
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    cost = models.DecimalField(_("cost (ALL)"), max_digits=14, decimal_places=2)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    review = models.CharField(
        _("review"), max_length=12, choices=Review.choices, default=Review.PENDING
    )
    review_reason = models.TextField(_("reason"), blank=True)
    proposal = models.ForeignKey(
        "Proposal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from the proposal"),
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ("budget", "number")
        constraints = [
            models.UniqueConstraint(
                fields=("budget", "number"), name="participation_project_number_unique"
            ),
            models.CheckConstraint(condition=models.Q(cost__gt=0), name="participation_cost_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def pb_id(self) -> str:
        return str(self.pk)


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    KIOSK = "kiosk", _("At a kiosk")
    COUNTER = "counter", _("At the counter, with a clerk")


class Ballot(models.Model):
    """One verified resident's approval ballot in one budget (changeable until the vote closes).

    It belongs to the resident's register entry (``core.Person``), so one person has one ballot
    whether they vote online with their account or at the counter without one."""

    budget = models.ForeignKey(
        Budget, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("budget")
    )
    person = models.ForeignKey(
        "core.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("resident")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account that voted"),
    )
    projects = models.ManyToManyField(Project, related_name="+", verbose_name=_("projects"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    changes = models.PositiveIntegerField(_("times changed"), default=0)
    cast_at = models.DateTimeField(_("cast"), default=timezone.now)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(
                fields=("budget", "person"), name="participation_one_ballot_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget} #{self.pk}"


class BudgetResult(models.Model):
    """The published result of a closed vote: winners, the greedy list, and the ``.pb`` file."""

    budget = models.OneToOneField(
        Budget, on_delete=models.PROTECT, related_name="result", verbose_name=_("budget")
    )
    rule = models.CharField(_("rule"), max_length=50)
    winners = models.JSONField(_("winners (project ids)"))
    greedy = models.JSONField(_("most votes (project ids)"))
    explanation = models.JSONField(_("explanation"))
    ballots = models.PositiveIntegerField(_("ballots"))
    budget_steps = models.PositiveIntegerField(_("budget raised by 1%, times"))
    pb_text = models.TextField(_("ballots (.pb file)"))
    pb_sha256 = models.CharField(_("SHA-256 of the .pb file"), max_length=64)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.budget}: {self.pb_sha256[:12]}"


class Proposal(TenantScoped):
    """A resident's proposal to improve the town; supported, answered, maybe built."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Collecting support")
        EVALUATING = "evaluating", _("Being evaluated")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        MERGED = "merged", _("Merged into another proposal")

    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("description"))
    category = models.CharField(_("category"), max_length=40, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PUBLISHED
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    supports_until = models.DateTimeField(_("supports until"))
    threshold = models.PositiveIntegerField(_("supports needed"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return self.title


class Support(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("proposal", "user"), name="participation_one_support")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.pk}"


class Answer(models.Model):
    """The municipality's official answer to a proposal (appended; the latest one stands)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="answers")
    status = models.CharField(max_length=12, choices=Proposal.Status.choices)
    reasons = models.TextField(_("reasons"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.status}"


class Follow(models.Model):
    """A resident follows a proposal or a budget, to hear when it changes."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, null=True, blank=True)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("user", "proposal"), name="participation_follow_proposal"
            ),
            models.UniqueConstraint(fields=("user", "budget"), name="participation_follow_budget"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.proposal_id or self.budget_id}"


def image_name(municipality_id: int, filename: str) -> str:
    """``participation/<municipality>/<year>/<random>.<ext>``: the name says nothing of the
    person who sent it (the extension is the sniffed type's, given by the service)."""
    return f"participation/{municipality_id}/{timezone.now():%Y}/{filename}"


def proposal_image_path(instance, filename: str) -> str:
    return image_name(instance.proposal.municipality_id, filename)


class ProposalImage(models.Model):
    """A photo of a proposal, re-encoded on upload (core.uploads: metadata dropped, bombs
    refused), kept in the project's file storage (local disk, or S3 when configured)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="images")
    content_type = models.CharField(max_length=20)
    file = models.FileField(upload_to=proposal_image_path, max_length=200)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.pk}"


class Comment(models.Model):
    """A threaded comment on a proposal. Hidden once enough residents report it, pending a
    moderator's decision (``ModerationDecision``, appended and audited)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    hidden = models.BooleanField(_("hidden"), default=False)
    removed = models.BooleanField(_("removed by a moderator"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.pk}"


class AbuseReport(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        OFFENSIVE = "offensive", _("Offensive or hateful")
        OFF_TOPIC = "off_topic", _("Off topic")
        PERSONAL_DATA = "personal_data", _("Someone's personal data")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("comment", "reporter"), name="participation_one_report")
        ]

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.reason}"


class ModerationDecision(models.Model):
    class Decision(models.TextChoices):
        RESTORE = "restore", _("Restore: the comment breaks no rule")
        REMOVE = "remove", _("Remove: the comment breaks the rules")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="decisions")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.decision}"


class Consultation(TenantScoped):
    """A question or a draft document put to residents, commented paragraph by paragraph within
    dates, closed by a published summary of what was said and what the municipality decided."""

    slug = models.SlugField(_("slug"))
    title = models.CharField(_("title"), max_length=200)
    question = models.TextField(_("question"), blank=True)
    opens = models.DateTimeField(_("open from"))
    closes = models.DateTimeField(_("open until"))
    summary = models.TextField(_("summary of the comments"), blank=True)
    decision = models.TextField(_("what the municipality decided"), blank=True)
    summary_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-opens", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("municipality", "slug"), name="participation_consultation_slug_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens <= now < self.closes


class Paragraph(models.Model):
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="paragraphs"
    )
    number = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ("consultation", "number")
        constraints = [
            models.UniqueConstraint(
                fields=("consultation", "number"), name="participation_paragraph_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}.{self.number}"


class ParagraphComment(models.Model):
    paragraph = models.ForeignKey(Paragraph, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.paragraph_id}/{self.pk}"


class Milestone(models.Model):
    """Progress of an accepted proposal being built, reported by staff (appended, public)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.progress}%"
