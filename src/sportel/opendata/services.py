"""Every write of the open data catalogue: validation, one transaction, an audit entry.

Files are written to storage before the transaction that points at them (a file nobody points
at is harmless; a row pointing at no file is not), and the datastore table is loaded in the same
transaction as the version row, so a failed load leaves nothing half published.
"""

import csv
import hashlib
import io
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sportel.core import audit, feeds
from sportel.core.models import Municipality

from . import datastore, search_index
from .models import Dataset, Resource, ResourceVersion, StagedUpload, Tag, Theme
from .vocabularies import FORMATS, LICENSES, THEMES


def csv_bytes(schema: dict, rows: Iterable[dict]) -> tuple[bytes, int]:
    names = [f["name"] for f in schema["fields"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    count = 0
    for row in rows:
        writer.writerow(["" if row.get(n) is None else row.get(n) for n in names])
        count += 1
    return buffer.getvalue().encode("utf-8"), count


def _store(path_hint: str, content: bytes) -> str:
    return default_storage.save(path_hint, ContentFile(content))


def feed_dataset_name(municipality: Municipality, feed_name: str) -> str:
    return f"{municipality.slug}-{feed_name}"[:100]


def _temporal(schema: dict, rows: list[dict]):
    from datetime import date

    for f in schema["fields"]:
        if f["type"] in {"yearmonth", "date"}:
            values = sorted(str(r[f["name"]]) for r in rows if r.get(f["name"]))
            if not values:
                return None, None
            start, end = values[0], values[-1]
            start = date.fromisoformat(start + "-01" if len(start) == 7 else start)
            end_parts = end + "-01" if len(end) == 7 else end
            end = date.fromisoformat(end_parts)
            if len(values[-1]) == 7:  # the last day of that month
                end = (end.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
                end -= timezone.timedelta(days=1)
            return start, end
    return None, None


def publish_feed(municipality: Municipality, feed: feeds.Feed) -> ResourceVersion | None:
    """Publish one feed's suppressed rows as the municipality's dataset: a new version when the
    data changed, nothing when it did not (so the worker can run it as often as it likes)."""
    rows = feeds.suppressed_rows(feed, municipality)
    with translation.override("sq"):
        schema = feed.table_schema()
        title, notes = str(feed.title), str(feed.description)
    with translation.override("en"):
        schema_en = feed.table_schema()
        title_en, notes_en = str(feed.title), str(feed.description)
    for field, field_en in zip(schema["fields"], schema_en["fields"], strict=True):
        field["title_en"] = field_en["title"]
    content, count = csv_bytes(schema, rows)
    digest = hashlib.sha256(content).hexdigest()
    name = feed_dataset_name(municipality, feed.name)

    dataset = Dataset.objects.filter(municipality=municipality, feed=feed.name).first()
    if dataset is not None:
        resource = dataset.resources.select_related("current").first()
        if resource is not None and resource.current and resource.current.sha256 == digest:
            return None
    stored = _store(f"opendata/{municipality.pk}/feeds/{feed.name}-{digest[:16]}.csv", content)
    start, end = _temporal(schema, rows)
    now = timezone.now()
    with transaction.atomic():
        dataset, _new = Dataset.objects.select_for_update().get_or_create(
            municipality=municipality,
            feed=feed.name,
            defaults={"name": name, "title": title, "modified_at": now},
        )
        dataset.title, dataset.title_en, dataset.notes, dataset.notes_en = (
            title,
            title_en,
            notes,
            notes_en,
        )
        dataset.license_id = "CC-BY-4.0"
        dataset.frequency = feed.frequency
        dataset.temporal_start, dataset.temporal_end = start, end
        dataset.state = Dataset.State.ACTIVE
        dataset.modified_at = now
        dataset.save()
        theme, _created = Theme.objects.get_or_create(code=feed.theme)
        dataset.themes.set([theme])
        dataset.tags.set([Tag.objects.get_or_create(name=k)[0] for k in feed.keywords])
        resource = dataset.resources.first()
        if resource is None:
            resource = Resource.objects.create(
                municipality=municipality,
                dataset=dataset,
                name=f"{feed.name}.csv",
                format="CSV",
                modified_at=now,
            )
        version = _new_version(
            resource,
            stored,
            f"{feed.name}.csv",
            "CSV",
            content,
            schema,
            count,
            actor_label="sportel",
            note="automatic publication",
        )
        datastore.load(resource.pk, schema, rows)
        resource.datastore_active = True
        resource.modified_at = now
        resource.save(update_fields=["current", "datastore_active", "modified_at"])
        search_index.reindex([dataset.pk])
        audit.record(
            "opendata.published",
            municipality=municipality,
            obj=dataset,
            data={"feed": feed.name, "version": version.number, "rows": count},
        )
    return version


def _new_version(resource, stored, filename, fmt, content, schema, count, *, actor_label, note):
    last = resource.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = ResourceVersion(
        municipality_id=resource.municipality_id,
        resource=resource,
        number=last + 1,
        filename=filename,
        format=fmt,
        mediatype=FORMATS[fmt][0],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        schema=schema,
        row_count=count,
        note=note,
        created_by=actor_label,
    )
    version.file.name = stored
    version.save()
    resource.current = version
    return version


def publish_feeds(municipality: Municipality) -> list[str]:
    """Every registered feed for one municipality; the names of the datasets that changed."""
    changed = []
    for feed in feeds.feeds():
        if publish_feed(municipality, feed) is not None:
            changed.append(feed_dataset_name(municipality, feed.name))
    return changed


# --- Staff publishing ------------------------------------------------------------------------
def create_dataset(
    municipality,
    actor,
    *,
    title,
    name="",
    notes="",
    title_en="",
    notes_en="",
    license_id="CC-BY-4.0",
    frequency="IRREG",
    themes=(),
    tags=(),
    spatial_units=(),
) -> Dataset:
    """A draft dataset of ``municipality``; ``spatial_units``: ids of its administrative units
    the data covers (none: the whole municipality)."""
    name = slugify(name or f"{municipality.slug}-{title}")[:100]
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the dataset a title.")
    if not name:
        errors["name"] = _("Give the dataset a name made of letters, digits and hyphens.")
    elif Dataset.objects.filter(name=name).exists():
        errors["name"] = _("Another dataset already has this name.")
    if license_id not in LICENSES:
        errors["license_id"] = _("Choose a licence from the list.")
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        errors["themes"] = _("Choose themes from the list.")
    units = list(municipality.units.filter(pk__in=[int(u) for u in spatial_units]))
    if len(units) != len(set(spatial_units)):
        errors["spatial_units"] = _("Choose administrative units of this municipality.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        dataset = Dataset.objects.create(
            municipality=municipality,
            name=name,
            title=title.strip(),
            title_en=title_en.strip(),
            notes=notes,
            notes_en=notes_en,
            license_id=license_id,
            frequency=frequency,
            modified_at=timezone.now(),
        )
        dataset.themes.set([Theme.objects.get_or_create(code=c)[0] for c in themes])
        dataset.tags.set(
            [Tag.objects.get_or_create(name=t.strip()[:100])[0] for t in tags if t.strip()]
        )
        dataset.spatial_units.set(units)
        audit.record(
            "opendata.dataset_created",
            actor=actor,
            municipality=municipality,
            obj=dataset,
            data={"name": name},
        )
    return dataset


def publish_upload(
    upload: StagedUpload, actor, *, dataset: Dataset, resource_name: str = "", rows: list[dict]
) -> ResourceVersion:
    """Publish a validated staged upload as a new resource or a new version of one."""
    if not upload.valid:
        raise ValidationError(_("Fix the errors the validation found before publishing."))
    if dataset.municipality_id != upload.municipality_id:
        raise ValidationError(_("No dataset of this municipality has that name."))
    with upload.file.open("rb") as handle:
        content = handle.read()
    now = timezone.now()
    with transaction.atomic():
        locked = StagedUpload.objects.select_for_update().get(pk=upload.pk)
        if locked.published_at is not None:
            raise ValidationError(_("This upload is already published."))
        resource = upload.resource
        if resource is None:
            resource = Resource.objects.create(
                municipality_id=dataset.municipality_id,
                dataset=dataset,
                name=resource_name or upload.filename,
                format=upload.format,
                modified_at=now,
                position=dataset.resources.count(),
            )
        elif resource.dataset_id != dataset.pk:
            raise ValidationError(_("No dataset of this municipality has that name."))
        stored = upload.file.name
        version = _new_version(
            resource,
            stored,
            upload.filename,
            upload.format,
            content,
            upload.schema,
            len(rows),
            actor_label=actor if isinstance(actor, str) else actor.get_username(),
            note="upload",
        )
        datastore.load(resource.pk, upload.schema, rows)
        resource.datastore_active = True
        resource.format = upload.format
        resource.modified_at = now
        resource.save(update_fields=["current", "datastore_active", "modified_at", "format"])
        dataset.state = Dataset.State.ACTIVE
        dataset.modified_at = now
        dataset.save(update_fields=["state", "modified_at"])
        locked.published_at = now
        locked.dataset = dataset
        locked.resource = resource
        locked.save(update_fields=["published_at", "dataset", "resource"])
        search_index.reindex([dataset.pk])
        audit.record(
            "opendata.resource_published",
            actor=actor,
            municipality=dataset.municipality,
            obj=resource,
            data={
                "dataset": dataset.name,
                "version": version.number,
                "rows": len(rows),
                "sha256": version.sha256,
            },
        )
    return version
