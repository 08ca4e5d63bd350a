"""Issuing, revoking and re-issuing sealed documents: the one door for writes to the registry.

An issuance is render → seal → store the file → register and log, in that order, and either all
of it happens or none of it: the slow part (render and seal, ~10 ms) runs before the
transaction, so the transparency log's head row is locked only for the few inserts that
register the document; if the registration fails the stored file is deleted again. A missing
or unusable seal key stops the issuance before anything is written
(:class:`~sportel.documents.keys.SealKeyError`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core import prepared as prepared_statements

from . import metrics, translog
from .codes import display, new_code
from .keys import SealKeyError
from .models import (
    DocumentEvent,
    DocumentStatus,
    IssuedDocument,
    SealCertificate,
    SealingFailure,
)

__all__ = [
    "SealKeyError",
    "discard_prepared",
    "holder_pseudonym",
    "issue_document",
    "prepare_document",
    "register_prepared",
    "reissue_document",
    "revoke_document",
]

logger = logging.getLogger(__name__)
LANGUAGES = ("sq", "en")
_TYPE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def holder_pseudonym(municipality, person) -> str:
    """HMAC of the holder's NID with a server secret: links a person's documents, reveals nobody."""
    if person is None:
        return ""
    nid = getattr(person, "nid", None)
    nipt = getattr(person, "nipt", None)
    if nid:
        value = f"nid:{nid}"
    elif nipt:
        value = f"nipt:{nipt}"
    else:
        value = f"{type(person).__name__.lower()}:{municipality.pk}:{person.pk}"
    return salted_hmac("sportel.documents.holder", value, algorithm="sha256").hexdigest()


def _is_person(holder) -> bool:
    from sportel.core.models import Person

    return isinstance(holder, Person) and holder.pk is not None


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def _clean(document_type: str, title: dict, fields, language: str) -> list[tuple[str, str]]:
    errors = {}
    if not isinstance(document_type, str) or not _TYPE.match(document_type):
        errors["document_type"] = _("Use lower-case letters, digits, dots or dashes.")
    if not isinstance(title, dict) or not str(title.get("sq") or "").strip():
        errors["title"] = _("A title in Albanian is required.")
    if language not in LANGUAGES:
        errors["language"] = _("The document language must be Albanian or English.")
    cleaned = []
    try:
        for label, value in fields:
            cleaned.append((str(label), str(value)))
    except (TypeError, ValueError):
        errors["fields"] = _("Fields must be (label, value) pairs.")
    if len(cleaned) > 20:
        errors["fields"] = _("A certificate holds at most 20 fields.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _certificate(municipality, *, code, issued_at, title, language, holder_text, content, sample):
    from .pdf.certificate import Certificate

    local = timezone.localtime(issued_at)
    with translation.override(language):
        name = municipality.name
        verify_url = f"{_public_url()}/verify/{code}"
        contact = " · ".join(
            part
            for part in (
                municipality.address,
                municipality.phone,
                municipality.email,
                municipality.website,
            )
            if part
        )
        return Certificate(
            language=language,
            country=_("REPUBLIC OF ALBANIA"),
            issuer=_("MUNICIPALITY OF %(name)s") % {"name": name.upper()},
            issuer_code=municipality.code,
            # Without contact details the county, not the municipality's name a second time.
            issuer_contact=contact
            or (
                _("County of %(county)s") % {"county": municipality.county}
                if municipality.county
                else ""
            ),
            title=title,
            code=display(code),
            code_label=_("Document code"),
            issued_label=_("Issued on"),
            issued_at=local.strftime("%d.%m.%Y %H:%M"),
            case_label=_("Case number"),
            case_reference=content["case_reference"],
            holder_label=_("Issued to"),
            holder=holder_text,
            fields=[tuple(pair) for pair in content["fields"]],
            body=content["body"],
            verify_url=verify_url,
            verify_caption=_("Scan to check this document"),
            footer=_(
                "This document was issued electronically and sealed with the electronic seal of "
                "the Municipality of %(name)s; it needs no handwritten signature or stamp. Anyone "
                "can check that it is authentic and still valid by scanning the QR code or at "
                "%(url)s."
            )
            % {"name": name, "url": verify_url},
            seal_lines=[
                _("ELECTRONIC SEAL"),
                _("Municipality of %(name)s") % {"name": name},
                local.strftime("%d.%m.%Y %H:%M:%S %Z"),
                _("Electronic seal, PAdES (ETSI EN 319 142)"),
            ],
            sample_banner=_("SAMPLE - NOT A VALID DOCUMENT") if sample else "",
            pdf_title=title,
            pdf_author=_("Municipality of %(name)s") % {"name": name},
            created=local,
            emblem=emblem_of(municipality),
            qr_alt=_("QR code that opens the verification page %(url)s") % {"url": verify_url},
            emblem_alt=_("Emblem of the Municipality of %(name)s") % {"name": name},
            seal_alt=_("Electronic seal of the Municipality of %(name)s") % {"name": name},
        )


def emblem_of(municipality):
    """The municipality's emblem from ``$SPORTEL_DATA_DIR/emblems/<slug>.png`` (or .jpg), if any."""
    from django.conf import settings

    from .pdf.drawing import load_emblem

    for suffix in (".png", ".jpg", ".jpeg"):
        path = settings.DATA_DIR / "emblems" / f"{municipality.slug}{suffix}"
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            continue
        key = (str(path), stamp)
        if key not in _emblems:
            _emblems[key] = load_emblem(path)
        return _emblems[key]
    return None


_emblems: dict = {}


def _public_url() -> str:
    from django.conf import settings

    return settings.SPORTEL_PUBLIC_URL.rstrip("/")


def _holder_text(holder, language: str) -> str:
    if holder is None:
        return ""
    name = getattr(holder, "full_name", None) or getattr(holder, "name", "") or str(holder)
    with translation.override(language):
        if getattr(holder, "nid", None):
            return _("%(name)s, personal number %(nid)s") % {"name": name, "nid": holder.nid}
        if getattr(holder, "nipt", None):
            return _("%(name)s, NIPT %(nipt)s") % {"name": name, "nipt": holder.nipt}
        return name


def _failure(municipality, document_type: str, stage: str, message: str) -> None:
    """Count the failure, log it and keep a row of it for the monitoring page.

    The row is written in the caller's transaction, if any: the issuance paths (services'
    instant, staff and fee-paid issuance) prepare documents outside any transaction, so a
    failure there is committed at once and survives whatever the case's transaction does
    afterwards (see docs/decisions/0012-issue-outside-the-lock.md). The counter and the log
    line survive in every case.
    """
    metrics.FAILURES.labels(municipality.slug, stage).inc()
    logger.warning(
        "sealing failure: %s %s at %s: %s", municipality.slug, document_type, stage, message
    )
    try:
        with transaction.atomic():
            SealingFailure.objects.create(
                municipality=municipality,
                document_type=str(document_type)[:80],
                stage=stage,
                message=str(message)[:500],
            )
    except Exception:  # monitoring must never hide the original error
        logger.exception("could not record a sealing failure")


class _Prepared:
    """A rendered, sealed and stored document waiting to be registered."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _prepare(
    municipality,
    *,
    document_type,
    title,
    fields,
    language,
    holder,
    body,
    case_reference,
    sample,
    holder_text=None,
    pseudonym=None,
) -> _Prepared:
    from .pdf.certificate import DoesNotFit, render
    from .sealing import load_seal

    started = time.perf_counter()
    try:
        fields = _clean(document_type, title, fields, language)
    except ValidationError:
        _failure(municipality, document_type, "input", "invalid input")
        raise
    try:
        seal = load_seal(municipality)
    except SealKeyError as exc:
        _failure(municipality, document_type, "key", str(exc))
        raise
    code = new_code()
    issued_at = timezone.now()
    title_text = str(title.get(language) or title.get("sq"))
    if holder_text is None:
        holder_text = _holder_text(holder, language)
    content = {
        "fields": [list(pair) for pair in fields],
        "body": str(body or ""),
        "case_reference": str(case_reference or "")[:64],
        "holder": holder_text,
        "holder_id": holder.pk if _is_person(holder) else None,
    }
    try:
        pdf = render(
            _certificate(
                municipality,
                code=code,
                issued_at=issued_at,
                title=title_text,
                language=language,
                holder_text=holder_text,
                content=content,
                sample=sample,
            )
        )
        sealed = seal.seal(pdf)
    except DoesNotFit as exc:
        _failure(municipality, document_type, "input", str(exc))
        raise ValidationError(
            {"fields": _("The document does not fit on one page: shorten the fields or the text.")}
        ) from None
    except Exception as exc:
        _failure(municipality, document_type, "seal", f"{type(exc).__name__}: {exc}")
        raise
    seal_ms = (time.perf_counter() - started) * 1000
    metrics.LATENCY.labels("render_seal").observe(seal_ms / 1000)
    return _Prepared(
        municipality=municipality,
        code=code,
        issued_at=issued_at,
        document_type=document_type,
        title={k: str(v) for k, v in title.items() if k in LANGUAGES},
        language=language,
        case_reference=content["case_reference"],
        pseudonym=holder_pseudonym(municipality, holder) if pseudonym is None else pseudonym,
        holder=holder,
        sealed=sealed,
        sha256=hashlib.sha256(sealed).hexdigest(),
        seal=seal,
        sample=sample,
        content=content,
        seal_ms=seal_ms,
        started=started,
    )


def _certificate_id(prepared) -> int:
    """The registry row of the seal's certificate, looked up once per loaded seal."""
    seal = prepared.seal
    cert_id = seal.registry_id
    if cert_id is None:
        cert, _created = SealCertificate.objects.get_or_create(
            fingerprint=seal.fingerprint,
            defaults={
                "municipality": prepared.municipality,
                "subject": seal.subject[:500],
                "der": seal.certificate_der,
                "not_after": seal.not_after,
            },
        )
        cert_id = cert.pk
        # Remember the row only once it is committed: if the caller's transaction rolls back,
        # a cached id would point at a row that never existed and fail every later issuance.
        # The id lives on the loaded seal, so a reloaded key (or a restored database, after
        # which processes restart) looks it up again.
        transaction.on_commit(lambda seal=seal, pk=cert.pk: setattr(seal, "registry_id", pk))
    return cert_id


def _register(prepared, *, actor) -> IssuedDocument:
    """Inside the caller's transaction: registry row, log leaf, event, audit entry."""
    municipality = prepared.municipality
    index = translog.append(
        {
            "event": "issued",
            "code": prepared.code,
            "sha256": prepared.sha256,
            "at": prepared.issued_at.isoformat(),
            "issuer": municipality.slug,
            "type": prepared.document_type,
            "sample": prepared.sample,
        },
        code=prepared.code,
    )
    document = IssuedDocument(
        municipality=municipality,
        code=prepared.code,
        document_type=prepared.document_type,
        title=prepared.title,
        language=prepared.language,
        case_reference=prepared.case_reference,
        holder_pseudonym=prepared.pseudonym,
        issued_at=prepared.issued_at,
        sha256=prepared.sha256,
        size=len(prepared.sealed),
        pdf=prepared.pdf_name,
        seal_certificate_id=prepared.cert_id,
        timestamped=prepared.seal.timestamped,
        sample=prepared.sample,
        issued_by=_actor_label(actor),
        content=prepared.content,
        seal_ms=prepared.seal_ms,
        log_index=index,
    )
    event = DocumentEvent(
        municipality=municipality,
        document=document,
        kind=DocumentEvent.Kind.ISSUED,
        at=prepared.issued_at,
        actor_label=_actor_label(actor),
        log_index=index,
    )
    if prepared_statements.enabled():
        _insert_issued(document, event)
    else:
        document.save(force_insert=True)
        event.document = document  # its id, known only now
        event.save(force_insert=True)
    holder = prepared.holder
    audit.record(
        "document.issued",
        actor=actor,
        municipality=municipality,
        obj=document,
        subject=holder if _is_person(holder) else None,
        subject_user=holder.user_id if _is_person(holder) else None,
        data={
            "code": document.code,
            "type": document.document_type,
            "case": document.case_reference,
            "sample": document.sample,
        },
    )
    return document


def _insert_issued(document: IssuedDocument, event: DocumentEvent) -> None:
    """PostgreSQL: the registry row and its "issued" event in one prepared statement (a
    data-modifying ``WITH``) instead of two built by the ORM; ``post_save`` sent for both as
    ``save()`` would."""
    columns, params = prepared_statements.row(document)
    event_columns, values = prepared_statements.row(event)
    quote = connection.ops.quote_name
    # The event's document_id is the new row's id: its placeholder becomes that subquery.
    at = event_columns.split(",").index(quote(DocumentEvent._meta.get_field("document").column))
    slots = ["%s"] * len(values)
    slots[at] = "(SELECT id FROM d)"
    del values[at]
    sql = (
        f"WITH d AS (INSERT INTO {quote(IssuedDocument._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {prepared_statements.placeholders(len(params))} RETURNING id) "
        f"INSERT INTO {quote(DocumentEvent._meta.db_table)} ({event_columns}) "
        f"VALUES ({','.join(slots)}) RETURNING document_id, id"
    )
    with prepared_statements.cursor() as cursor:
        cursor.execute(sql, [*params, *values])
        document.pk, event.pk = cursor.fetchone()
    event.document = document
    prepared_statements.saved(document, event)


def _store_file(prepared) -> None:
    from .models import _pdf_path

    field = IssuedDocument._meta.get_field("pdf")
    probe = IssuedDocument(
        municipality=prepared.municipality, code=prepared.code, issued_at=prepared.issued_at
    )
    name = _pdf_path(probe, f"{prepared.code}.pdf")
    prepared.pdf_name = field.storage.save(name, ContentFile(prepared.sealed))
    prepared.storage = field.storage


def _finish(prepared, work):
    """Store the file, then run ``work`` in one transaction; remove the file if it fails."""
    prepared.cert_id = _certificate_id(prepared)
    _store_file(prepared)
    try:
        with transaction.atomic():
            result = work()
    except Exception as exc:
        prepared.storage.delete(prepared.pdf_name)
        _failure(prepared.municipality, prepared.document_type, "register", type(exc).__name__)
        raise
    metrics.ISSUED.labels(prepared.municipality.slug, prepared.document_type).inc()
    metrics.LATENCY.labels("total").observe(time.perf_counter() - prepared.started)
    return result


def prepare_document(
    municipality,
    *,
    document_type: str,
    title: dict[str, str],
    fields: list[tuple[str, str]],
    language: str = "sq",
    holder=None,
    body: str = "",
    case_reference: str = "",
    sample: bool = False,
) -> _Prepared:
    """Render, seal and store one document, registering nothing: the slow half of an issuance.

    Call it outside any transaction (it takes no lock and writes only the file and, on
    failure, a SealingFailure row). Then, in the caller's own short transaction, either
    :func:`register_prepared` it or, if the caller's state changed meanwhile (another request
    issued first), :func:`discard_prepared` it. Raises what :func:`issue_document` raises.
    """
    prepared = _prepare(
        municipality,
        document_type=document_type,
        title=title,
        fields=fields,
        language=language,
        holder=holder,
        body=body,
        case_reference=case_reference,
        sample=sample,
    )
    prepared.cert_id = _certificate_id(prepared)
    _store_file(prepared)
    return prepared


def register_prepared(prepared: _Prepared, *, actor) -> IssuedDocument:
    """Inside the caller's transaction: registry row, log leaf, event and audit entry for a
    prepared document. If the transaction then rolls back, the caller discards the file."""
    try:
        # No savepoint: a failure here aborts the caller's transaction too (it cannot go on as if
        # the document were registered), and the two statements a savepoint costs are saved.
        with transaction.atomic(savepoint=False):
            document = _register(prepared, actor=actor)
    except Exception as exc:
        _failure(prepared.municipality, prepared.document_type, "register", type(exc).__name__)
        raise

    def done():
        metrics.ISSUED.labels(prepared.municipality.slug, prepared.document_type).inc()
        metrics.LATENCY.labels("total").observe(time.perf_counter() - prepared.started)

    transaction.on_commit(done)
    return document


def discard_prepared(prepared: _Prepared) -> None:
    """Delete the stored file of a prepared document that will not be registered."""
    prepared.storage.delete(prepared.pdf_name)


def issue_document(
    municipality,
    *,
    document_type: str,
    title: dict[str, str],
    fields: list[tuple[str, str]],
    language: str = "sq",
    holder=None,
    body: str = "",
    case_reference: str = "",
    actor=None,
    sample: bool = False,
) -> IssuedDocument:
    """Render, seal, store, register and log one document; all of it or nothing.

    ``title`` is ``{"sq": ..., "en": ...}``; ``fields`` are (label, value) pairs already in
    ``language``; ``holder`` is a core Person (or Business): its name and NID (NIPT) are printed,
    the registry keeps only a pseudonym. Raises ValidationError on bad input and SealKeyError when
    the municipality's seal cannot be used.

    The registration transaction locks the transparency log's head row: call this outside long
    transactions (inside one, the lock is held until the caller commits).
    """
    prepared = _prepare(
        municipality,
        document_type=document_type,
        title=title,
        fields=fields,
        language=language,
        holder=holder,
        body=body,
        case_reference=case_reference,
        sample=sample,
    )
    return _finish(prepared, lambda: _register(prepared, actor=actor))


def orphan_files(*, older_than_seconds: int = 3600) -> list[str]:
    """Stored PDFs no registry row points to (left when a caller's outer transaction rolled back
    after the file was written); only files older than ``older_than_seconds``, so an issuance
    in flight is never touched."""
    import datetime as dt

    storage = IssuedDocument._meta.get_field("pdf").storage
    known = set(IssuedDocument.objects.values_list("pdf", flat=True))
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    found: list[str] = []

    def walk(folder: str) -> None:
        try:
            folders, files = storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return
        for name in files:
            path = f"{folder}/{name}"
            unknown = name.endswith(".pdf") and path not in known
            if unknown and storage.get_modified_time(path) < cutoff:
                found.append(path)
        for sub in folders:
            walk(f"{folder}/{sub}")

    walk("documents")
    return found


def _change_status(locked, kind: str, *, reason: str, actor, replaced_by=None) -> None:
    """Revoked or replaced: a log leaf, an appended event, the row's status and an audit entry,
    inside the caller's transaction (``locked`` is the row locked for update)."""
    now = timezone.now()
    index = translog.append(
        {
            "event": kind,
            "code": locked.code,
            "sha256": locked.sha256,
            "at": now.isoformat(),
            "issuer": locked.municipality.slug,
        },
        code=locked.code,
    )
    DocumentEvent.objects.create(
        municipality=locked.municipality,
        document=locked,
        kind=kind,
        at=now,
        reason=reason[:300],
        actor_label=_actor_label(actor),
        log_index=index,
    )
    locked.status = kind  # DocumentStatus.REVOKED / REPLACED share the event's value
    locked.status_reason = reason[:300]
    locked.replaced_by = replaced_by
    locked.save(update_fields=["status", "status_reason", "replaced_by"])
    data = {"code": locked.code}
    if replaced_by is not None:
        data["replaced_by"] = replaced_by.code
    audit.record(
        f"document.{kind}",
        actor=actor,
        municipality=locked.municipality,
        obj=locked,
        reason=reason[:200],
        data=data,
    )


def revoke_document(document: IssuedDocument, *, reason: str, actor) -> IssuedDocument:
    """Revoke a valid document: an appended event and log leaf, audited; never an edit of history."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the revocation.")})
    with transaction.atomic():
        locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status != DocumentStatus.VALID:
            raise ValidationError(_("Only a valid document can be revoked."), code="not_valid")
        _change_status(locked, DocumentEvent.Kind.REVOKED, reason=reason, actor=actor)
    return locked


def reissue_document(
    document: IssuedDocument,
    *,
    reason: str,
    actor,
    fields: list[tuple[str, str]] | None = None,
    body: str | None = None,
) -> IssuedDocument:
    """Issue a corrected copy and mark the old one replaced by it, in one transaction."""
    from sportel.core.models import Person

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the re-issue.")})
    if document.status != DocumentStatus.VALID:
        raise ValidationError(_("Only a valid document can be re-issued."), code="not_valid")
    content = document.content or {}
    holder = None
    if content.get("holder_id"):
        holder = Person.objects.filter(
            pk=content["holder_id"], municipality=document.municipality
        ).first()
    prepared = _prepare(
        document.municipality,
        document_type=document.document_type,
        title=document.title,
        fields=fields if fields is not None else [tuple(p) for p in content.get("fields", [])],
        language=document.language,
        holder=holder,
        body=body if body is not None else content.get("body", ""),
        case_reference=document.case_reference,
        sample=document.sample,
        holder_text=content.get("holder", ""),
        pseudonym=document.holder_pseudonym,
    )

    def work():
        old = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if old.status != DocumentStatus.VALID:
            raise ValidationError(_("Only a valid document can be re-issued."), code="not_valid")
        new = _register(prepared, actor=actor)
        _change_status(
            old, DocumentEvent.Kind.REPLACED, reason=reason, actor=actor, replaced_by=new
        )
        return new

    return _finish(prepared, work)
