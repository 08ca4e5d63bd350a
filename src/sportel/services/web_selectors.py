"""Reads the HTML pages need beyond ``selectors.py``; every query is scoped by a municipality.

Kept next to the views (and apart from the domain's selectors) so the pages can grow without
touching the API's reads. Reads of a person's data by staff are audited here as everywhere.
"""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from sportel.accounts.models import User
from sportel.accounts.roles import roles_with
from sportel.core import audit
from sportel.core.models import Municipality, Person

from . import selectors
from .identity import _check_assurance
from .models import Application, Attachment, Bundle, Case, ServiceType, ServiceTypeVersion


def services_for_channel(municipality: Municipality, channel: str) -> list[ServiceType]:
    """The services that can be requested through ``channel`` (channels is a JSON list, so the
    filter runs in Python: a municipality offers tens of services, not thousands)."""
    return [
        service
        for service in selectors.active_services(municipality)
        if channel in (service.current_version.channels or [])
    ]


def assurance_problem(user, version: ServiceTypeVersion) -> str | None:
    """Why this user may not apply online for this service yet, or None when they may."""
    if user is None or not user.is_authenticated:
        return None
    try:
        # The rule lives in the services module; the page only shows it before the form.
        _check_assurance(user, version.assurance_level)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def application_of(user, municipality: Municipality, pk: int) -> Application | None:
    """One of the user's own applications (draft or submitted), never someone else's."""
    return (
        Application.objects.filter(municipality=municipality, created_by=user, pk=pk)
        .select_related("service_version__service_type")
        .first()
    )


def bundle_of(user, municipality: Municipality, pk: int) -> Bundle | None:
    return selectors.bundles_of(user, municipality).filter(pk=pk).first()


def specialists(municipality: Municipality) -> QuerySet[User]:
    """Staff of this municipality who may be assigned cases (``cases.process``)."""
    roles = [role.value for role in roles_with("cases.process")]
    return (
        User.objects.filter(
            staff_roles__municipality=municipality, staff_roles__role__in=roles, is_active=True
        )
        .distinct()
        .order_by("full_name", "username")
    )


def person_by_nid(municipality: Municipality, nid: str, *, actor, role: str) -> Person | None:
    """The counter looks a walk-in up by NID; finding them is a read of personal data (audited)."""
    person = Person.objects.filter(municipality=municipality, nid=nid).first()
    if person is not None:
        audit.record_read(actor, person, reason="counter: identify walk-in", role=role)
    return person


def attachment_of(case: Case, pk: int) -> Attachment | None:
    return Attachment.objects.filter(
        municipality_id=case.municipality_id, application_id=case.application_id, pk=pk
    ).first()


def issued_document(case: Case):
    """The sealed document a case produced, if any (documents module's registry row)."""
    if not case.document_code:
        return None
    from sportel.documents.selectors import document_of

    return document_of(case.municipality, case.document_code)


def automatic_refusal(case: Case):
    """The decision event of a case an instant check refused (its text says why and what to
    do), shown on the receipt at once; None otherwise."""
    if case.decision != "rejected":
        return None
    return case.events.filter(action="auto_reject").first()


def case_on_tracking_page(municipality: Municipality, code: str) -> Case | None:
    """The case a tracking code names, only if it belongs to this municipality."""
    case = selectors.case_by_tracking_code(code)
    if case is None or case.municipality_id != municipality.pk:
        return None
    return case


def last_information_request(case: Case):
    """The open request for information the applicant must answer (the latest suspension)."""
    return (
        selectors.timeline(case, public_only=True)
        .filter(action="request_info")
        .order_by("-seq")
        .first()
    )
