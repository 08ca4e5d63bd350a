"""Problem reports: categories (Open311 services), reports, their history, clusters, funding.

A report's history is :class:`ReportEvent` rows, appended and never edited; the report row holds
the current status and pointers that each event updates. A cluster groups reports of one
category near each other; its voices (:class:`ClusterVoice`) are unique per reporter, so one
person reporting ten times counts once.
"""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sportel.core.models import AdministrativeUnit, Person, TenantScoped

from . import workflow


def in_language(obj, field: str, language: str | None = None) -> str:
    """``obj.<field>_en`` when the language is English and it is filled, else ``<field>_sq``."""
    language = (language or get_language() or "sq")[:2]
    value = getattr(obj, f"{field}_en", "") if language == "en" else ""
    return value or getattr(obj, f"{field}_sq")


class Category(TenantScoped):
    """A kind of problem; a top-level category is a group, its children are Open311 services."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.SlugField(_("service code"), max_length=60)
    name_sq = models.CharField(_("name (Albanian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_sq = models.TextField(_("description (Albanian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    team = models.CharField(
        _("team"), max_length=120, blank=True, help_text=_("The department or team it routes to.")
    )
    deadline_working_days = models.PositiveSmallIntegerField(
        _("deadline (working days)"), default=10
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), default=2, help_text=_("1 (minor) to 5 (danger to people).")
    )
    duplicate_radius_m = models.PositiveIntegerField(
        _("duplicate radius (m)"),
        default=50,
        help_text=_("Larger for linear things such as channels and roads."),
    )
    cluster_window_days = models.PositiveSmallIntegerField(_("grouping window (days)"), default=90)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="report_category_code")
        ]
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")

    def __str__(self) -> str:
        return self.name_sq

    def name(self, language: str | None = None) -> str:
        return in_language(self, "name", language)

    def description(self, language: str | None = None) -> str:
        return in_language(self, "description", language)

    def questions(self) -> list["CategoryAttribute"]:
        """The questions in use, in their order (retired ones keep their answers, unasked).
        Filtered here rather than in SQL so a ``prefetch_related("attributes")`` serves it."""
        return [a for a in self.attributes.all() if a.is_active]


class CategoryAttribute(models.Model):
    """A question a category asks (an Open311 service attribute).

    Its ``code`` is the Open311 attribute code that clients send answers under
    (``attribute[code]``): fixed at creation, unique within the category, and never given to
    another question once reports answered it (an answered question is retired, not deleted).
    The same holds for the ``key`` of each value of a list."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Text on one line")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Text")
        SINGLEVALUELIST = "singlevaluelist", _("One choice")
        MULTIVALUELIST = "multivaluelist", _("Several choices")

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("code"), max_length=60)
    datatype = models.CharField(_("type"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    variable = models.BooleanField(_("asks for input"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    is_active = models.BooleanField(
        _("in use"),
        default=True,
        help_text=_("A retired question is no longer asked; the answers reports gave stay."),
    )
    description_sq = models.CharField(_("question (Albanian)"), max_length=300)
    description_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    datatype_description_sq = models.CharField(_("hint (Albanian)"), max_length=300, blank=True)
    datatype_description_en = models.CharField(_("hint (English)"), max_length=300, blank=True)
    # [{"key": "k", "name_sq": "...", "name_en": "...", "retired": true (once retired)}]
    values = models.JSONField(_("values"), default=list, blank=True)

    class Meta:
        ordering = ["category", "order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="report_attribute_code"),
            models.UniqueConstraint(fields=["category", "order"], name="report_attribute_order"),
        ]
        verbose_name = _("category question")
        verbose_name_plural = _("category questions")

    def __str__(self) -> str:
        return self.code

    def description(self, language: str | None = None) -> str:
        return in_language(self, "description", language)

    def datatype_description(self, language: str | None = None) -> str:
        return in_language(self, "datatype_description", language)

    @property
    def is_list(self) -> bool:
        return self.datatype in (self.Datatype.SINGLEVALUELIST, self.Datatype.MULTIVALUELIST)

    def value_names(
        self, language: str | None = None, *, retired: bool = False
    ) -> list[tuple[str, str]]:
        """(key, name) of the values a resident may choose; with ``retired``, also those
        retired (to show answers given before)."""
        lang = (language or get_language() or "sq")[:2]
        return [
            (str(v["key"]), (v.get("name_en") if lang == "en" else "") or v.get("name_sq", ""))
            for v in self.values
            if retired or not v.get("retired")
        ]


class RoutingRule(TenantScoped):
    """Where reports of a category (in one administrative unit, or anywhere) go."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routes")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, null=True, blank=True)
    team = models.CharField(_("team"), max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "unit"], name="report_route_per_unit")
        ]


class AreaWeight(TenantScoped):
    """The priority list's weight for a vulnerable area (an administrative unit)."""

    unit = models.OneToOneField(AdministrativeUnit, on_delete=models.CASCADE, related_name="+")
    weight = models.DecimalField(_("weight"), max_digits=4, decimal_places=2, default=1)
    reason = models.CharField(_("reason"), max_length=200, blank=True)


class Cluster(TenantScoped):
    """Reports of one category about the same place; the unit the priority list ranks."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="clusters")
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, null=True, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # For reports placed by a typed address only (no coordinates): grouped by unit and address.
    address_key = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField()
    last_report_at = models.DateTimeField()
    # Derived counters, kept by services.py under the cluster's row lock or by F() updates.
    voices = models.PositiveIntegerField(default=0)
    reopenings = models.PositiveIntegerField(default=0)
    is_open = models.BooleanField(default=True)
    fixed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["municipality", "category", "is_open"]),
            # The nearby lookup (services.nearby_clusters): open groups of one category in a
            # lat/long box, with a million reports stored.
            models.Index(
                fields=["category", "lat", "long"],
                condition=models.Q(is_open=True),
                name="reports_cluster_open_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category.code}#{self.pk}"


class Open311Key(TenantScoped):
    """An Open311 api_key: one per application and municipality; only its hash is stored."""

    app_name = models.CharField(_("application"), max_length=120)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Report(TenantScoped):
    """One resident's report of one problem at one place."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        OPEN311 = "open311", _("Open311 application")
        COUNTER = "counter", _("At the counter")
        PHONE = "phone", _("By phone")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    cluster = models.ForeignKey(
        Cluster, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    status = models.CharField(max_length=30, choices=workflow.STATE_LABELS.items())
    channel = models.CharField(max_length=10, choices=Channel.choices)
    description = models.TextField(_("description"), blank=True)
    # What the public sees: the description with personal data (emails, phones, NIDs) hidden.
    public_description = models.TextField(blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.PROTECT, null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    team = models.CharField(max_length=120, blank=True)
    # The optional links' indexes are partial (Meta.indexes): most reports have none of them,
    # and every query through them asks for one value, never for NULL.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The reporter: an account, a person a clerk found or typed, or an anonymous contact.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, db_index=False
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=5, default="sq")
    # Who the reporter is, for counting unique voices (a hash; never shown).
    reporter_key = models.CharField(max_length=64)
    confirmation_code = models.CharField(max_length=12, blank=True)
    api_key = models.ForeignKey(Open311Key, on_delete=models.PROTECT, null=True, blank=True)
    # An Open311 client's Idempotency-Key, prefixed with its api_key's id ("k12:<key>"): the same
    # key from the same application returns the first report, never a second one.
    idempotency_key = models.CharField(max_length=120, blank=True, default="")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A secret the reporter's links carry to confirm, confirm a fix or reopen without an account.
    reporter_secret = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    expected_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        db_index=False,
    )

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["municipality", "requested_at"]),
            models.Index(fields=["municipality", "updated_at"]),
            models.Index(fields=["municipality", "category", "status"]),
            *(
                models.Index(
                    fields=[link],
                    condition=models.Q(**{f"{link}__isnull": False}),
                    name=f"report_{link}_set",
                )
                for link in ("assignee", "account", "person", "filed_by", "duplicate_of")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="report_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.status in workflow.PUBLIC_STATES

    @property
    def open311_status(self) -> str:
        return workflow.OPEN311_STATUS[self.status]


class ReportEvent(TenantScoped):
    """One line of a report's history. Appended, never edited or deleted."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30, blank=True)
    public = models.BooleanField(default=True)
    text = models.TextField(blank=True)
    # An Open311 client's own id for an update it POSTed (servicerequestupdates), for replays.
    external_id = models.CharField(max_length=100, blank=True)
    # An Open311 client's Idempotency-Key for an update it POSTed ("k12:<key>", as on Report).
    idempotency_key = models.CharField(max_length=120, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["municipality", "at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="reportevent_idempotency_key",
            )
        ]


class ReportPhoto(TenantScoped):
    """A checked, re-encoded photo (metadata stripped) of a report, or of its fix."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="photos")
    event = models.ForeignKey(ReportEvent, on_delete=models.PROTECT, null=True, blank=True)
    file = models.FileField(upload_to="reports/%Y/%m/")
    content_type = models.CharField(max_length=40)
    after = models.BooleanField(default=False, help_text=_("A photo of the fix."))
    uploaded_at = models.DateTimeField()


class ClusterVoice(TenantScoped):
    """One reporter behind a cluster (a report, or "me too"); unique per reporter."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="voice_rows")
    reporter_key = models.CharField(max_length=64)
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True)
    # Who to tell when the cluster is fixed (a "me too" without a report of its own).
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=5, default="sq")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "reporter_key"], name="one_voice_per_reporter"
            )
        ]


class FundingDecision(TenantScoped):
    """The council funds a cluster's work. Appended: a correction is a new decision."""

    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="funding")
    amount = models.DecimalField(_("amount (lek)"), max_digits=14, decimal_places=2)
    budget_line = models.CharField(_("budget line"), max_length=100)
    decision_number = models.CharField(_("council decision number"), max_length=50)
    decision_date = models.DateField(_("council decision date"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]


class BannedReporter(TenantScoped):
    """A reporter, an email, a phone, a device or an IP address that may no longer file reports
    here, until ``expires_at`` (never, when empty) or until staff lift the ban. A lifted or
    expired ban stays as a row (who, why, until when); banning the same sender again is a new row.
    """

    class Kind(models.TextChoices):
        REPORTER = "reporter", _("The reporter of a report")
        EMAIL = "email", _("Email address")
        PHONE = "phone", _("Phone number")
        DEVICE = "device", _("Device (an Open311 device_id)")
        IP = "ip", _("IP address")

    value_hash = models.CharField(max_length=64)
    kind = models.CharField(_("what is banned"), max_length=10, choices=Kind.choices, blank=True)
    # What staff see in the list: masked (``s***@x.al``, ``…4567``), or "the reporter of #12".
    label = models.CharField(max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("until"), null=True, blank=True)
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "value_hash"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_ban_per_value",
            )
        ]


class AreaSubscription(TenantScoped):
    """A resident who wants an email for each new public report in an area (a unit, or the
    whole municipality). Active once confirmed from the emailed link; stopped from any email."""

    email = models.EmailField()
    unit = models.ForeignKey(AdministrativeUnit, on_delete=models.CASCADE, null=True, blank=True)
    secret = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=5, default="sq")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)


class AreaNotice(TenantScoped):
    """One area subscriber was told about one new report: the worker's proof of work, so a task
    retried after its worker died tells nobody twice."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(AreaSubscription, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "subscription"], name="one_area_notice_per_subscriber"
            )
        ]
