"""The output document of a case: the lines it prints and its issuance by the documents module."""

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from .history import move, user_or_none
from .identity import require_proven_identity
from .models import Case, CaseEvent


def document_fields(case: Case) -> list[tuple[str, str]]:
    """The lines printed on the output document, in the applicant's language."""
    version = case.service_version
    language = case.language
    schema = version.form_schema or {}
    properties = schema.get("properties", {})
    order = schema.get("x-order") or list(properties)
    data = case.application.data or {}
    with translation.override(language):
        # The holder's name and personal number are printed by the documents module.
        lines: list[tuple[str, str]] = []
        if case.applicant_business is not None:
            lines.append((_("Business"), case.applicant_business.name))
            lines.append((_("NIPT"), case.applicant_business.nipt))
        for key in order:
            if key not in data or key not in properties or data[key] in ("", None):
                continue
            spec = properties[key]
            label = (spec.get("x-title") or {}).get(language) or spec.get("title") or key
            lines.append((label, _display_value(spec, data[key], language)))
        lines.append((_("Case number"), case.number))
    return lines


def _display_value(spec: dict, value: Any, language: str) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if "enum" in spec and value in spec["enum"]:
        labels = (spec.get("x-enum-labels") or {}).get(language)
        if labels:
            return str(labels[spec["enum"].index(value)])
    return str(value)


def _issue(case: Case, *, actor, role: str = "") -> None:
    from sportel.documents.services import issue_document as issue_sealed

    require_proven_identity(case)  # the one door every issuance passes (decision 0010)
    version = case.service_version
    document = issue_sealed(
        case.municipality,
        document_type=version.output_document_type,
        title={
            "sq": version.output_title_sq,
            "en": version.output_title_en or version.output_title_sq,
        },
        fields=document_fields(case),
        language=case.language,
        holder=case.applicant_person,
        case_reference=case.number,
        actor=user_or_none(actor),
    )
    move(
        case,
        "issue_document",
        actor=actor,
        role=role,
        kind=CaseEvent.Kind.DOCUMENT,
        data={"document": document.code},
        update={"document_code": document.code},
    )
