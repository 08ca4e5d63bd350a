"""The open data catalogue: datasets (CKAN packages) owned by a municipality (the CKAN
organisation), grouped by DCAT-AP data themes (CKAN groups), tagged and licensed, with resources
whose file versions are appended, never edited. A tabular resource's current version is also
loaded into a datastore table of its own (see ``datastore.py``)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from sportel.core.models import AdministrativeUnit, TenantScoped

from .vocabularies import FORMATS, FREQUENCIES, LICENSES, THEMES


class Theme(models.Model):
    """A DCAT-AP data theme; CKAN calls it a group. Titles come from ``vocabularies.THEMES``."""

    code = models.CharField(_("code"), max_length=8, primary_key=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return str(THEMES.get(self.code, self.code))


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Dataset(TenantScoped):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Published")
        DELETED = "deleted", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(_("name"), max_length=100, unique=True)
    title = models.CharField(_("title (Albanian)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    notes = models.TextField(_("description (Albanian)"), blank=True)
    notes_en = models.TextField(_("description (English)"), blank=True)
    license_id = models.CharField(
        _("licence"),
        max_length=20,
        choices=[(k, v[0]) for k, v in LICENSES.items()],
        default="CC-BY-4.0",
    )
    frequency = models.CharField(
        _("update frequency"), max_length=12, choices=list(FREQUENCIES.items()), default="MONTHLY"
    )
    temporal_start = models.DateField(_("covers from"), null=True, blank=True)
    temporal_end = models.DateField(_("covers until"), null=True, blank=True)
    spatial_units = models.ManyToManyField(
        AdministrativeUnit, blank=True, related_name="+", verbose_name=_("administrative units")
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="datasets")
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    feed = models.CharField(
        _("statistics feed"),
        max_length=100,
        blank=True,
        help_text=_("Set when Sportel publishes this dataset by itself from a module's feed."),
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["state", "municipality", "modified_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "feed"],
                condition=~models.Q(feed=""),
                name="opendata_one_dataset_per_feed",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def title_in(self, language: str) -> str:
        return (self.title_en if language == "en" else "") or self.title

    def notes_in(self, language: str) -> str:
        return (self.notes_en if language == "en" else "") or self.notes


class Resource(TenantScoped):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    format = models.CharField(
        _("format"), max_length=10, choices=[(k, k) for k in FORMATS], default="CSV"
    )
    position = models.PositiveSmallIntegerField(default=0)
    current = models.ForeignKey(
        "ResourceVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    datastore_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def mediatype(self) -> str:
        return FORMATS[self.format][0]


def _version_path(version, filename):
    return f"opendata/{version.municipality_id}/{version.resource_id}/{version.number}-{filename}"


class ResourceVersion(TenantScoped):
    """One file of a resource; a new file is a new version, the old ones stay downloadable."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=_version_path, max_length=300)
    filename = models.CharField(max_length=200)
    format = models.CharField(max_length=10)
    mediatype = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    schema = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="opendata_version_number")
        ]


def _staged_path(upload, filename):
    return f"opendata-staging/{upload.municipality_id}/{uuid.uuid4().hex}-{filename}"


class StagedUpload(TenantScoped):
    """A file staff uploaded and are checking (schema, validation, preview) before publishing."""

    file = models.FileField(upload_to=_staged_path, max_length=300)
    filename = models.CharField(max_length=200)
    format = models.CharField(max_length=10)
    encoding = models.CharField(max_length=30, blank=True)
    schema = models.JSONField(default=dict)
    report = models.JSONField(default=dict, blank=True)
    valid = models.BooleanField(default=False)
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)


class Refresh(TenantScoped):
    """A resource refreshed on a schedule by the worker, from a URL or a registered feed."""

    class Source(models.TextChoices):
        URL = "url", _("A URL")
        FEED = "feed", _("A Sportel statistics feed")

    resource = models.OneToOneField(Resource, on_delete=models.CASCADE, related_name="refresh")
    source = models.CharField(_("source"), max_length=4, choices=Source.choices)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    feed = models.CharField(_("feed"), max_length=100, blank=True)
    every_hours = models.PositiveIntegerField(_("every (hours)"), default=24)
    next_run_at = models.DateTimeField(db_index=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class RefreshRun(TenantScoped):
    """One attempt of a scheduled refresh and its outcome; appended, never edited."""

    class Outcome(models.TextChoices):
        PUBLISHED = "published", _("New version published")
        UNCHANGED = "unchanged", _("Unchanged")
        FAILED = "failed", _("Failed")

    refresh = models.ForeignKey(Refresh, on_delete=models.CASCADE, related_name="runs")
    at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.CharField(
        max_length=500, blank=True, help_text="text of runs recorded before ``problems``"
    )
    problems = models.JSONField(
        default=list,
        blank=True,
        help_text="what went wrong, as codes and parameters (opendata.problems)",
    )
    version = models.ForeignKey(
        ResourceVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]

    @property
    def text(self) -> str:
        """What went wrong, in the active language (the reader's, not the worker's)."""
        from .problems import render

        return render(self.problems) or self.message


class SearchDocument(models.Model):
    """A published dataset as the public search reads it: one row per dataset of the public
    catalogue (active, of an active municipality), its text lowercased into one column and its
    facet values in :class:`SearchFacet`, so a search, its count and its facets need no join.
    Written by ``search_index.reindex`` in the same transaction as the change it follows."""

    dataset = models.OneToOneField(
        Dataset, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    organization = models.CharField(max_length=100, db_index=True)
    name = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    license_id = models.CharField(max_length=20)
    frequency = models.CharField(max_length=12)
    text = models.TextField(help_text="name, titles, descriptions and tags, lowercased")
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField(db_index=True)
    indexed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.name


class SearchFacet(models.Model):
    """One facet value of a search document (``tags``/``ndihme``, ``res_format``/``CSV``...);
    a dataset holds each value once."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="facets")
    field = models.CharField(max_length=12)
    value = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["field", "value", "document"])]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "field", "value"], name="opendata_facet_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.field}:{self.value}"
