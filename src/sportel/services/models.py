"""The services domain: catalogue (life events, versioned service types), applications, cases.

A service type is configured per municipality; what an applicant files is bound to the *version*
in force at that moment, so changing a fee or a deadline never rewrites an open case. A case's
history is :class:`CaseEvent` rows, appended and never edited; the case row holds pointers and
derived values (current status, assignee, deadlines) that each event updates.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sportel.core.models import AdministrativeUnit, Business, Person, TenantScoped
from sportel.core.uploads import ACCEPTED_UPLOADS

from .workflow import OPEN_STATE_LIST


def _in_language(obj, field: str, language: str | None = None) -> str:
    """``obj.<field>_en`` when the language is English and it is filled, else ``<field>_sq``."""
    language = (language or get_language() or "sq")[:2]
    value = getattr(obj, f"{field}_{language}", "") if language in ("sq", "en") else ""
    return value or getattr(obj, f"{field}_sq")


class LifeEvent(TenantScoped):
    """Something that happens in a person's or a business's life (birth, moving home...).

    The catalogue is organised by these, the way e-Albania reorganised its services.
    """

    code = models.SlugField(_("code"), max_length=50)
    name_sq = models.CharField(_("name (Albanian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_sq = models.TextField(_("description (Albanian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="life_event_code_per_municipality"
            )
        ]
        verbose_name = _("life event")
        verbose_name_plural = _("life events")

    def __str__(self) -> str:
        return self.name_sq

    def name(self, language: str | None = None) -> str:
        return _in_language(self, "name", language)


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("Person")
    BUSINESS = "business", _("Business")
    EITHER = "either", _("Person or business")


APPLICANT_WORDS = {
    "person": _("Residents (individuals)"),
    "business": _("Businesses"),
    "either": _("Residents and businesses"),
}


class AssuranceLevel(models.TextChoices):
    """eIDAS levels of assurance, mapped to what Sportel knows about an account."""

    LOW = "low", _("Low: a confirmed account")
    SUBSTANTIAL = (
        "substantial",
        _("Substantial: identity proven by the national eID or at the counter"),
    )
    HIGH = "high", _("High: identity asserted by the national eID")


class IdentityDocument(models.TextChoices):
    """What a clerk saw at the counter to know who the applicant is."""

    ID_CARD = "id_card", _("identity card")
    PASSPORT = "passport", _("passport")


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")
    KIOSK = "kiosk", _("At a kiosk")


class ServiceType(TenantScoped):
    """A service the municipality offers (e.g. residence certificate), stable across versions."""

    code = models.SlugField(_("code"), max_length=80)
    life_events = models.ManyToManyField(
        LifeEvent, blank=True, related_name="service_types", verbose_name=_("life events")
    )
    current_version = models.ForeignKey(
        "ServiceTypeVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version in force"),
        help_text=_("New applications are filed under this version."),
    )
    is_active = models.BooleanField(_("offered"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    department = models.CharField(
        _("department"),
        max_length=120,
        blank=True,
        help_text=_(
            "The municipal department that handles this service (e.g. Civil Registry). Shown "
            "beside the service in the open data on deadline punctuality."
        ),
    )

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="service_code_per_municipality"
            )
        ]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")

    def __str__(self) -> str:
        return self.current_version.name_sq if self.current_version_id else self.code


class ServiceTypeVersion(TenantScoped):
    """Everything that defines a service at one point in time. Never edited once a case uses it.

    ``statuses`` is the ordered list the applicant sees: ``[{"code": <workflow state>, "sq": ...,
    "en": ..., "notify": bool}]``; ``form_schema`` is a JSON Schema rendered by
    ``sportel.core.jsonforms``; ``required_documents`` is ``[{"sq": ..., "en": ...}]``.
    """

    service_type = models.ForeignKey(
        ServiceType, on_delete=models.CASCADE, related_name="versions", verbose_name=_("service")
    )
    number = models.PositiveIntegerField(_("version"), default=1)
    name_sq = models.CharField(_("name (Albanian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_sq = models.TextField(_("description (Albanian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    sources_note = models.TextField(
        _("sources and research notes"),
        blank=True,
        help_text=_(
            "For administrators only, never shown to residents: where each fee and deadline "
            "comes from, and what the sources do not say."
        ),
    )
    apply_elsewhere_url = models.URLField(
        _("apply elsewhere (address)"),
        blank=True,
        help_text=_(
            "When the service can only be requested on another platform (e.g. e-Albania), "
            "its address: the service page links there instead of offering to apply here."
        ),
    )
    search_text = models.TextField(
        _("search text"),
        blank=True,
        editable=False,
        help_text=_("Names and descriptions folded and stemmed for search (computed)."),
    )
    legal_basis = models.TextField(
        _("legal basis"), blank=True, help_text=_("Baza ligjore: the laws and decisions.")
    )
    applicant_kind = models.CharField(
        _("who may apply"), max_length=10, choices=ApplicantKind.choices, default="person"
    )
    assurance_level = models.CharField(
        _("identity assurance level"),
        max_length=12,
        choices=AssuranceLevel.choices,
        default=AssuranceLevel.LOW,
    )
    channels = models.JSONField(
        _("channels"), default=list, help_text=_("Any of: online, counter, kiosk.")
    )
    required_documents = models.JSONField(_("required documents"), default=list, blank=True)
    fee = models.DecimalField(
        _("fee (ALL)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty when the fee is not known; 0 when the service is free."),
    )
    legal_deadline_days = models.PositiveSmallIntegerField(
        _("legal deadline (working days)"),
        null=True,
        blank=True,
        help_text=_("Afati ligjor: the latest the municipality may answer."),
    )
    service_norm_days = models.PositiveSmallIntegerField(
        _("service norm (working days)"),
        null=True,
        blank=True,
        help_text=_("Normativa e shërbimit: when the municipality plans to answer."),
    )
    suspension_allowed = models.BooleanField(_("may be suspended"), default=True)
    extension_allowed = models.BooleanField(_("may be extended"), default=False)
    max_extension_days = models.PositiveSmallIntegerField(
        _("maximum extension (working days)"), default=0
    )
    statuses = models.JSONField(_("statuses shown to the applicant"), default=list)
    form_schema = models.JSONField(_("application form (JSON Schema)"), default=dict)
    output_document_type = models.CharField(_("output document type"), max_length=80, blank=True)
    output_title_sq = models.CharField(_("output title (Albanian)"), max_length=200, blank=True)
    output_title_en = models.CharField(_("output title (English)"), max_length=200, blank=True)
    instant = models.BooleanField(
        _("instant"),
        default=False,
        help_text=_("Decided automatically when the data check passes."),
    )
    instant_check = models.CharField(
        _("instant check"),
        max_length=50,
        blank=True,
        help_text=_("The name of the check in services.checks that makes it instant."),
    )
    allows_relationship = models.BooleanField(
        _("a parent or guardian may obtain it for a minor"),
        default=False,
        help_text=_(
            "Online and at a kiosk, the document may be issued to an account holding a "
            "relationship to the child verified by a clerk (decision 0010). Off: the case about "
            "another person waits for staff."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["service_type", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_type", "number"], name="one_number_per_service_version"
            )
        ]
        verbose_name = _("service type version")
        verbose_name_plural = _("service type versions")

    def __str__(self) -> str:
        return f"{self.name_sq} (v{self.number})"

    def name(self, language: str | None = None) -> str:
        return _in_language(self, "name", language)

    def description(self, language: str | None = None) -> str:
        return _in_language(self, "description", language)

    def applicant_text(self) -> str:
        """Who may apply, in plain words ("Residents (individuals)", not "Person")."""
        return str(APPLICANT_WORDS.get(self.applicant_kind, self.get_applicant_kind_display()))

    def save(self, *args, **kwargs):
        from .search import document

        self.search_text = document(
            self.name_sq, self.name_en, self.description_sq, self.description_en
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def output_title(self, language: str | None = None) -> str:
        return _in_language(self, "output_title", language)

    def status_text(self, code: str, language: str | None = None) -> str:
        """The applicant's wording of a workflow state for this service."""
        language = (language or get_language() or "sq")[:2]
        for status in self.statuses:
            if status["code"] == code:
                return status.get(language) or status.get("sq") or code
        from .workflow import state_label

        return str(state_label(code))

    def notifies(self, code: str) -> bool:
        return any(s["code"] == code and s.get("notify") for s in self.statuses)

    def documents(self, language: str | None = None) -> list[str]:
        language = (language or get_language() or "sq")[:2]
        return [d.get(language) or d.get("sq", "") for d in self.required_documents]

    def clean(self) -> None:
        from .workflow import STATES

        unknown = [c for c in self.channels if c not in Channel.values]
        if unknown:
            raise ValidationError({"channels": _("Unknown channel: %s") % ", ".join(unknown)})
        bad = [s.get("code") for s in self.statuses if s.get("code") not in STATES]
        if bad:
            raise ValidationError({"statuses": _("Unknown status: %s") % ", ".join(map(str, bad))})
        if self.instant and not self.instant_check:
            raise ValidationError({"instant_check": _("An instant service needs a check.")})
        if self.instant and self.fee is None:
            # Issued on the spot, it would be issued free although nobody said it is free.
            raise ValidationError(
                {"fee": _("An instant service needs a published fee (0 when it is free).")}
            )


class AssignmentRule(TenantScoped):
    """Cases of this service (from this administrative unit, or any unit) go to this person."""

    service_type = models.ForeignKey(
        ServiceType, on_delete=models.CASCADE, related_name="assignment_rules"
    )
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every unit without a rule of its own."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service_type", "unit"], name="one_rule_per_service_and_unit"
            ),
            models.UniqueConstraint(
                fields=["service_type"],
                condition=models.Q(unit__isnull=True),
                name="one_default_rule_per_service",
            ),
        ]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return f"{self.service_type} / {self.unit or '*'} → {self.assignee}"


class Bundle(TenantScoped):
    """A proactive life-event bundle: one consent opens every case a life event implies."""

    kind = models.CharField(_("life event"), max_length=50, default="moving_home")
    applicant = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    consent_text = models.TextField(_("consent given"))
    consented_at = models.DateTimeField(_("consented"))
    data = models.JSONField(_("answers"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("life-event bundle")
        verbose_name_plural = _("life-event bundles")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Application(TenantScoped):
    """What an applicant fills in: a draft until submitted, then frozen behind its case."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    service_version = models.ForeignKey(
        ServiceTypeVersion, on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    applicant_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applicant_business = models.ForeignKey(
        Business, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(_("answers"), default=dict, blank=True)
    language = models.CharField(max_length=2, default="sq")
    idempotency_key = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The client's Idempotency-Key, prefixed with who sent it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="application_idempotency_key",
            )
        ]
        indexes = [models.Index(fields=["created_by", "status"])]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"{self.service_version.name_sq} #{self.pk} ({self.status})"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Never the uploaded name: it may carry personal data; the original is kept in a field. The
    # extension is the sniffed type's (core.uploads), never the one the file was sent with.
    extension = ACCEPTED_UPLOADS.get(instance.content_type, "bin")
    return (
        f"services/{instance.municipality_id}/{instance.sha256[:2]}/{instance.sha256}.{extension}"
    )


class Attachment(TenantScoped):
    """A file attached to an application, size-checked, type-sniffed, images re-encoded."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class CaseCounter(TenantScoped):
    """The last case number given in one municipality and year (locked while numbering)."""

    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="one_counter_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}/{self.year}: {self.last}"


# The workflow's open states, for the partial indexes below.
OPEN = models.Q(status__in=list(OPEN_STATE_LIST))


class Case(TenantScoped):
    """A submitted application as the municipality works it, from receipt to closure.

    ``status``, ``assignee`` and the deadlines are derived from the :class:`CaseEvent` history
    (kept here so the staff queue is one indexed query); only ``services.py`` changes them, in
    the same transaction as the event it appends.
    """

    number = models.CharField(
        _("case number"), max_length=20, help_text=_("Numri i protokollit, e.g. SHK-2026-000123.")
    )
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="case")
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="cases")
    service_version = models.ForeignKey(
        ServiceTypeVersion, on_delete=models.PROTECT, related_name="cases"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The clerk who filed it at the counter."),
    )
    identity_document = models.CharField(
        _("identity document seen"),
        max_length=10,
        blank=True,
        choices=IdentityDocument.choices,
        help_text=_("At the counter: the document the clerk saw (decision 0010)."),
    )
    on_behalf_nid = models.CharField(
        _("on behalf of (personal number)"),
        max_length=10,
        blank=True,
        help_text=_(
            "Online and at a kiosk: the person the applicant said they apply for. The case is "
            "that person's only through a relationship a clerk verified (decision 0010)."
        ),
    )
    applicant_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    applicant_business = models.ForeignKey(
        Business, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_cases",
        help_text=_("The account that follows the case online."),
    )
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(_("applicant's language"), max_length=2, default="sq")
    bundle = models.ForeignKey(
        Bundle, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    fee_due = models.DecimalField(_("fee due (ALL)"), max_digits=12, decimal_places=2, default=0)
    fee_paid = models.BooleanField(_("fee paid"), default=False)
    fee_paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    fee_paid_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, db_index=True)
    status_changed_at = models.DateTimeField()
    current_event = models.ForeignKey(
        "CaseEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"))
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    legal_end = models.DateField(_("legal end"), null=True, blank=True)
    suspended_since = models.DateField(null=True, blank=True)
    suspended_days = models.PositiveIntegerField(default=0)
    extension_days = models.PositiveIntegerField(default=0)
    decision = models.CharField(_("decision"), max_length=10, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    document_code = models.CharField(_("document"), max_length=40, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="case_number_unique"),
            models.UniqueConstraint(
                fields=["municipality", "year", "seq"], name="case_seq_per_year"
            ),
        ]
        indexes = [
            # The staff queue reads one municipality's open cases by legal end, optionally for
            # one service, assignee or unit. Open cases are a few per cent of all cases, so
            # partial indexes on them stay small and give the first page without a sort.
            models.Index(
                fields=["municipality", "legal_end", "id"], condition=OPEN, name="case_open_queue"
            ),
            models.Index(
                fields=["municipality", "service_type", "legal_end", "id"],
                condition=OPEN,
                name="case_open_service",
            ),
            models.Index(
                fields=["municipality", "assignee", "legal_end", "id"],
                condition=OPEN,
                name="case_open_assignee",
            ),
            models.Index(
                fields=["municipality", "unit", "legal_end", "id"],
                condition=OPEN,
                name="case_open_unit",
            ),
            # One status, closed ones included.
            models.Index(fields=["municipality", "status", "legal_end"], name="case_queue"),
            models.Index(fields=["applicant_user", "submitted_at"], name="case_applicant"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        from .workflow import OPEN_STATES

        return self.status in OPEN_STATES

    @property
    def tracking_code_display(self) -> str:
        code = self.tracking_code
        return "-".join(code[i : i + 4] for i in range(0, len(code), 4))

    def status_text(self, language: str | None = None) -> str:
        return self.service_version.status_text(self.status, language)

    def deadline_state(self, today=None) -> str:
        from .deadlines import deadline_state

        return deadline_state(self, today)


class CaseEvent(TenantScoped):
    """One line of a case's history. Appended, never edited or deleted."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("Status change")
        ASSIGNMENT = "assignment", _("Assignment")
        NOTE = "note", _("Note")
        SUSPENSION = "suspension", _("Suspension")
        RESUMPTION = "resumption", _("Resumption")
        EXTENSION = "extension", _("Extension")
        DECISION = "decision", _("Decision")
        DOCUMENT = "document", _("Document issued")
        FEE = "fee", _("Fee")

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        PUBLIC = "public", _("Shown to the applicant")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # An API client's Idempotency-Key for the note it POSTed, prefixed with its account's id
    # ("u12:<key>", as on Application): the same key again returns this note, never a second.
    # db_default: rows written by SQL alone (bench/, data loads) need not name it.
    idempotency_key = models.CharField(max_length=120, blank=True, default="", db_default="")

    class Meta:
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq"),
            models.UniqueConstraint(
                fields=["municipality", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="caseevent_idempotency_key",
            ),
        ]
        verbose_name = _("case event")
        verbose_name_plural = _("case history")

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("Case history is appended, never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Case history is appended, never deleted.")
