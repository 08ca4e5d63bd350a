"""Staff uploads before publication: size and type checks, encoding detection (CSV is stored as
UTF-8 whatever it came in), Table Schema inference and validation with frictionless, row by row.
Nothing here touches a published dataset; ``services.publish_upload`` does, in one transaction."""

import contextlib
import os
import tempfile
from datetime import date, datetime

from charset_normalizer import from_bytes
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from frictionless import Resource, Schema, describe, system, validate

from sportel.core import audit

from .models import StagedUpload
from .problems import problem

EDITABLE_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "year", "yearmonth")
MAX_REPORTED = 200


def max_bytes() -> int:
    return settings.SPORTEL_OPEN_DATA_MAX_UPLOAD_MB * 1024 * 1024


def _decode_csv(content: bytes) -> tuple[str, str]:
    if b"\x00" in content[:65536]:
        raise problem("binary")
    try:
        return content.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(content[:1_000_000]).best()
    if best is None or best.encoding in {"utf_8", "utf_8_sig"}:
        raise problem("encoding")
    try:
        return content.decode(best.encoding), best.encoding
    except (UnicodeDecodeError, LookupError):
        raise problem("encoding") from None


def sniff(filename: str, content: bytes) -> tuple[str, bytes, str]:
    """(format, bytes to store, encoding found) or a ValidationError in the user's language."""
    if len(content) > max_bytes():
        raise problem("too_big", mb=settings.SPORTEL_OPEN_DATA_MAX_UPLOAD_MB)
    if not content:
        raise problem("empty")
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        if not content.startswith(b"PK\x03\x04"):
            raise problem("not_xlsx")
        return "XLSX", content, ""
    if lower.endswith(".csv") or lower.endswith(".txt"):
        text, encoding = _decode_csv(content)
        return "CSV", text.encode("utf-8"), encoding
    raise problem("wrong_type")


@contextlib.contextmanager
def local_copy(fmt: str, content: bytes):
    handle, path = tempfile.mkstemp(suffix=".xlsx" if fmt == "XLSX" else ".csv")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        yield path
    finally:
        os.unlink(path)


def _safe():
    # The path is our own temporary copy (absolute, so frictionless must trust it); a CSV or an
    # XLSX file cannot name other paths, and no descriptor from the upload is ever read.
    return system.use_context(trusted=True)


def infer_schema(path: str) -> dict:
    with _safe():
        resource = describe(path, type="resource")
    fields = []
    for field in resource.schema.fields:
        kind = field.type if field.type in EDITABLE_TYPES else "string"
        fields.append({"name": field.name, "type": kind, "title": field.name})
    return {"fields": fields, "missingValues": [""]}


def _frictionless_schema(schema: dict) -> Schema:
    return Schema.from_descriptor(
        {
            "fields": [{"name": f["name"], "type": f["type"]} for f in schema["fields"]],
            "missingValues": schema.get("missingValues", [""]),
        }
    )


def check(path: str, schema: dict) -> dict:
    """Validate against the schema: a report of every problem (up to 200), row by row."""
    with _safe():
        report = validate(path, schema=_frictionless_schema(schema), limit_errors=MAX_REPORTED)
    errors = []
    for task in report.tasks:
        for error in task.errors:
            errors.append(
                {
                    "row": getattr(error, "row_number", None),
                    "field": getattr(error, "field_name", "") or "",
                    "cell": str(getattr(error, "cell", "") or "")[:100],
                    "type": error.type,
                    "message": error.message[:300],
                }
            )
    for error in report.errors:
        errors.append(
            {
                "row": None,
                "field": "",
                "cell": "",
                "type": error.type,
                "message": error.message[:300],
            }
        )
    return {
        "valid": report.valid,
        "errors": errors[:MAX_REPORTED],
        "rows": sum(t.stats.get("rows", 0) or 0 for t in report.tasks),
    }


def _plain(value):
    if value is None:
        return None
    if isinstance(value, tuple) and hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def read_rows(path: str, schema: dict) -> list[dict]:
    with _safe(), Resource(path, schema=_frictionless_schema(schema)) as resource:
        return [{k: _plain(v) for k, v in row.items()} for row in resource.row_stream]


def stage(municipality, user, uploaded, *, dataset=None, resource=None) -> StagedUpload:
    """Check, store, infer and validate an uploaded file; nothing is published yet."""
    if uploaded.size > max_bytes():
        raise problem("too_big", mb=settings.SPORTEL_OPEN_DATA_MAX_UPLOAD_MB)
    content = uploaded.read(max_bytes() + 1)
    filename = os.path.basename(uploaded.name or "data.csv")[:150]
    fmt, stored, encoding = sniff(filename, content)
    with local_copy(fmt, stored) as path:
        try:
            schema = infer_schema(path)
        except Exception:  # frictionless raises its own errors on unreadable files
            raise problem("unreadable") from None
        if not schema["fields"]:
            raise problem("unreadable")
        report = check(path, schema)
    if fmt == "CSV" and not filename.lower().endswith(".csv"):
        filename = filename.rsplit(".", 1)[0] + ".csv"
    with transaction.atomic():
        upload = StagedUpload(
            municipality=municipality,
            filename=filename,
            format=fmt,
            encoding=encoding,
            schema=schema,
            report=report,
            valid=report["valid"],
            dataset=dataset,
            resource=resource,
            created_by=user,
        )
        upload.file.save(filename, ContentFile(stored), save=False)
        upload.save()
        audit.record(
            "opendata.upload_staged",
            actor=user,
            municipality=municipality,
            obj=upload,
            data={"format": fmt, "size": len(stored)},
        )
    return upload


def revise_schema(upload: StagedUpload, user, changes: dict[str, dict]) -> StagedUpload:
    """Apply staff's edits (type and title per field) and validate again."""
    fields = []
    errors = {}
    for f in upload.schema["fields"]:
        change = changes.get(f["name"], {})
        kind = change.get("type", f["type"])
        if kind not in EDITABLE_TYPES:
            errors[f["name"]] = _("Choose a type from the list.")
        title = (change.get("title") or f.get("title") or f["name"]).strip()[:200]
        fields.append({**f, "type": kind, "title": title})
    if errors:
        raise ValidationError(errors)
    schema = {**upload.schema, "fields": fields}
    with upload.file.open("rb") as handle:
        content = handle.read()
    with local_copy(upload.format, content) as path:
        report = check(path, schema)
    with transaction.atomic():
        StagedUpload.objects.filter(pk=upload.pk).update(
            schema=schema, report=report, valid=report["valid"]
        )
        audit.record(
            "opendata.schema_revised",
            actor=user,
            municipality=upload.municipality,
            obj=upload,
            data={"valid": report["valid"]},
        )
    upload.refresh_from_db()
    return upload


def rows_of(upload: StagedUpload) -> list[dict]:
    with upload.file.open("rb") as handle:
        content = handle.read()
    with local_copy(upload.format, content) as path:
        return read_rows(path, upload.schema)


def remove_stale(older_than=None) -> int:
    """Delete staged uploads never published and older than a day (default), with their files.
    A published upload's file is a version's file: it is never touched. The row goes first, the
    file after the commit (a file nobody points at is harmless; a row pointing at none is not)."""
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from .models import ResourceVersion

    cutoff = timezone.now() - (older_than or timedelta(days=1))
    stale = StagedUpload.objects.filter(published_at__isnull=True, created_at__lt=cutoff)
    removed = 0
    for upload in stale.iterator():
        name = upload.file.name
        with transaction.atomic():
            deleted, _detail = StagedUpload.objects.filter(
                pk=upload.pk, published_at__isnull=True
            ).delete()
        if not deleted:
            continue
        removed += 1
        if name and not ResourceVersion.objects.filter(file=name).exists():
            default_storage.delete(name)
    return removed
