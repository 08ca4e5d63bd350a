"""The output document of a case: what it prints, and its issuance in two steps.

Rendering and sealing take tens of milliseconds; the case row and the transparency log's head
row (one for every municipality) must not stay locked meanwhile. So an issuance is
:func:`prepare_output` first — render, seal, store the file, with no transaction and no lock —
and then :func:`register_output` inside the case's own short transaction, after the case was
locked and found still waiting for its document. A case that changed in between (another
request issued first, the applicant withdrew) keeps what it has and the prepared file is
discarded: a case ends with exactly one document. See docs/decisions/0012-issue-outside-the-lock.md.
"""

from collections.abc import Callable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from .history import move, user_or_none
from .identity import require_proven_identity
from .models import Case, CaseEvent

# Form answers that say what a document is for, or which language it is in: they shape the
# document (a sentence of its text, its language) and are never printed as official fields.
PURPOSE_FIELD = "purpose"
NOT_PRINTED = {PURPOSE_FIELD, "certificate_language"}

# Output document type → content(case) giving (fields, body), or None to leave it to the form's
# answers: the module whose records a document states writes what it says (revenue: the tax
# clearance certificate, where the municipality keeps its taxes in Sportel).
OUTPUT_CONTENT: dict[str, Callable[[Case], tuple[list[tuple[str, str]], str] | None]] = {}


def output_content(document_type: str):
    """Register the function that writes the content of ``document_type`` documents."""

    def register(func):
        OUTPUT_CONTENT[document_type] = func
        return func

    return register


def document_content(case: Case) -> tuple[list[tuple[str, str]], str]:
    """(fields, body) printed on the case's output document, in the applicant's language.

    The holder's name and personal number and the case number are printed by the documents
    module's layout, once each. Civil-status certificates state what their paper counterparts
    state (documents.contents); other documents print the form's answers.
    """
    from sportel.documents.contents import CIVIL_STATUS_TYPES, civil_status_content, purpose_line

    version = case.service_version
    if version.output_document_type in OUTPUT_CONTENT:
        content = OUTPUT_CONTENT[version.output_document_type](case)
        if content is not None:  # None: the registered module has nothing to say here
            return content
    language = case.language
    data = case.application.data or {}
    purpose = str(data.get(PURPOSE_FIELD) or "")
    if version.output_document_type in CIVIL_STATUS_TYPES:
        return civil_status_content(
            version.output_document_type,
            municipality=case.municipality,
            person=case.applicant_person,
            language=language,
            purpose=purpose,
        )
    schema = version.form_schema or {}
    properties = schema.get("properties", {})
    order = schema.get("x-order") or list(properties)
    with translation.override(language):
        lines: list[tuple[str, str]] = []
        if case.applicant_business is not None:
            lines.append((_("Business"), case.applicant_business.name))
            lines.append((_("NIPT"), case.applicant_business.nipt))
        for key in order:
            if key in NOT_PRINTED or key not in data or key not in properties:
                continue
            if data[key] in ("", None):
                continue
            spec = properties[key]
            label = (spec.get("x-title") or {}).get(language) or spec.get("title") or key
            lines.append((label, _display_value(spec, data[key], language)))
        body = purpose_line(purpose, language) if PURPOSE_FIELD in data else ""
    return lines, body


def document_fields(case: Case) -> list[tuple[str, str]]:
    """The (label, value) lines of the case's output document (see :func:`document_content`)."""
    return document_content(case)[0]


def _display_value(spec: dict, value: Any, language: str) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if "enum" in spec and value in spec["enum"]:
        labels = (spec.get("x-enum-labels") or {}).get(language)
        if labels:
            return str(labels[spec["enum"].index(value)])
    return str(value)


def prepare_output(case: Case):
    """Render, seal and store the case's document; no transaction, no lock (the slow half)."""
    from sportel.documents.services import prepare_document

    require_proven_identity(case)  # the one door every issuance passes (decision 0010)
    version = case.service_version
    fields, body = document_content(case)
    return prepare_document(
        case.municipality,
        document_type=version.output_document_type,
        title={
            "sq": version.output_title_sq,
            "en": version.output_title_en or version.output_title_sq,
        },
        fields=fields,
        body=body,
        language=case.language,
        holder=case.applicant_person,
        case_reference=case.number,
    )


def register_output(locked: Case, prepared, *, actor, role: str = "") -> None:
    """Inside the case's transaction, ``locked`` locked: append the case's document event and
    register the prepared document (registry row, log leaf, audit)."""
    record_output_event(locked, prepared, actor=actor, role=role)
    register_document(prepared, actor=actor)


def record_output_event(locked: Case, prepared, *, actor, role: str = "") -> None:
    """The case's "document issued" event for a prepared document (its code is known before it
    is registered); :func:`register_document` must follow in the same transaction."""
    move(
        locked,
        "issue_document",
        actor=actor,
        role=role,
        kind=CaseEvent.Kind.DOCUMENT,
        data={"document": prepared.code},
        update={"document_code": prepared.code},
    )


def register_document(prepared, *, actor) -> None:
    """Registry row, transparency-log leaf and audit entry for a prepared document. The log's
    head is one row for the whole platform, locked until the transaction ends: callers do this
    as the last write of their transaction."""
    from sportel.documents.services import register_prepared

    register_prepared(prepared, actor=user_or_none(actor))


def discard_output(prepared) -> None:
    """The case changed while its document was prepared: the file is deleted, nothing else
    was written."""
    from sportel.documents.services import discard_prepared

    if prepared is not None:
        discard_prepared(prepared)
