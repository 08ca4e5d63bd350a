"""Services JSON API: the public catalogue, citizens' applications, tracking, staff cases.

Handlers are thin: they parse, call ``services``/``selectors``, and shape the answer. They raise
Django's exceptions; ``core.api_errors`` turns them into ``{"detail", "code"}`` (+ ``errors`` by
field for bad input) in the caller's language, once for the whole API. Creates take an
``Idempotency-Key`` header (``core.idempotency``): the same key from the same account returns
the first result, marked ``Idempotent-Replayed: true``.

Staff endpoints use ``StaffAuth(permission)`` (accounts/api_auth.py): a session, the second
factor passed, and the permission in the path's municipality (403 otherwise, also for staff of
another municipality); a case number the municipality does not have is 404 whoever asks.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, File, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile

from sportel.accounts.api_auth import StaffAuth, session
from sportel.core import idempotency
from sportel.core.api_errors import BadRequest, responses
from sportel.core.models import AdministrativeUnit
from sportel.core.money import to_money
from sportel.core.tenancy import request_municipality

from . import actions, deadlines, selectors, services
from .identity import identity_summary
from .models import Application, Case, CaseEvent, ServiceType

router = Router(tags=["services"])


def _lang() -> str:
    return (get_language() or "sq")[:2]


# --- public catalogue --------------------------------------------------------------------------


class LifeEventOut(Schema):
    code: str
    name: dict[str, str]


class ServiceOut(Schema):
    code: str
    version: int
    name: dict[str, str]
    description: dict[str, str]
    life_events: list[LifeEventOut]
    applicant_kind: str
    assurance_level: str
    channels: list[str]
    fee: Decimal | None
    currency: str = "ALL"
    legal_deadline_days: int | None
    service_norm_days: int | None
    instant: bool


class StatusOut(Schema):
    code: str
    text: dict[str, str]
    notify: bool


class DocumentRequirement(Schema):
    sq: str
    en: str


class ServiceDetail(ServiceOut):
    legal_basis: str
    required_documents: list[DocumentRequirement]
    suspension_allowed: bool
    extension_allowed: bool
    max_extension_days: int
    statuses: list[StatusOut]
    form_schema: dict[str, Any]
    output_document: dict[str, str] | None


def service_json(service_type: ServiceType, *, detail: bool = False) -> dict:
    v = service_type.current_version
    out = {
        "code": service_type.code,
        "version": v.number,
        "name": {"sq": v.name_sq, "en": v.name_en or v.name_sq},
        "description": {"sq": v.description_sq, "en": v.description_en or v.description_sq},
        "life_events": [
            {"code": e.code, "name": {"sq": e.name_sq, "en": e.name_en or e.name_sq}}
            for e in service_type.life_events.all()
        ],
        "applicant_kind": v.applicant_kind,
        "assurance_level": v.assurance_level,
        "channels": v.channels,
        "fee": v.fee,
        "legal_deadline_days": v.legal_deadline_days,
        "service_norm_days": v.service_norm_days,
        "instant": v.instant,
    }
    if detail:
        out.update(
            legal_basis=v.legal_basis,
            required_documents=[
                {"sq": d.get("sq", ""), "en": d.get("en") or d.get("sq", "")}
                for d in v.required_documents
            ],
            suspension_allowed=v.suspension_allowed,
            extension_allowed=v.extension_allowed,
            max_extension_days=v.max_extension_days,
            statuses=[
                {
                    "code": s["code"],
                    "text": {"sq": s.get("sq", ""), "en": s.get("en") or s.get("sq", "")},
                    "notify": bool(s.get("notify")),
                }
                for s in v.statuses
            ],
            form_schema=v.form_schema,
            output_document=(
                {"type": v.output_document_type, "sq": v.output_title_sq, "en": v.output_title_en}
                if v.output_document_type
                else None
            ),
        )
    return out


@router.get(
    "/municipalities/{slug}/services",
    response=responses({200: list[ServiceOut]}),
    summary="The municipality's service catalogue",
)
def list_services(request, slug: str, life_event: str = "", q: str = ""):
    municipality = request_municipality(request)
    query = (
        selectors.search_services(municipality, q) if q else selectors.active_services(municipality)
    )
    if life_event:
        query = query.filter(life_events__code=life_event)
    return Status(200, [service_json(s) for s in query])


@router.get(
    "/municipalities/{slug}/services/{code}",
    response=responses({200: ServiceDetail}),
    summary="One service: documents, fee, deadlines, statuses and its form (JSON Schema)",
)
def get_service(request, slug: str, code: str):
    service_type = selectors.service_by_code(request_municipality(request), code)
    if service_type is None:
        raise Http404
    return Status(200, service_json(service_type, detail=True))


@router.get("/municipalities/{slug}/life-events", response=responses({200: list[LifeEventOut]}))
def list_life_events(request, slug: str):
    return Status(
        200,
        [
            {"code": e.code, "name": {"sq": e.name_sq, "en": e.name_en or e.name_sq}}
            for e in selectors.life_events_with_services(request_municipality(request))
        ],
    )


# --- tracking (no login, no personal data) -----------------------------------------------------


class StepOut(Schema):
    status: str
    text: str
    at: dt.datetime


class TrackOut(Schema):
    number: str
    municipality: str
    service: dict[str, str]
    status: str
    status_text: str
    submitted_at: dt.datetime
    planned_end: dt.date | None
    legal_end: dt.date | None
    deadline_state: str
    steps: list[StepOut]


@router.get("/track/{code}", response=responses({200: TrackOut}), summary="Track a case by code")
def track(request, code: str):
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise Http404
    version = case.service_version
    planned, legal = deadlines.effective_ends(case)
    language = _lang()
    return Status(
        200,
        {
            "number": case.number,
            "municipality": case.municipality.name,
            "service": {"sq": version.name_sq, "en": version.name_en or version.name_sq},
            "status": case.status,
            "status_text": version.status_text(case.status, language),
            "submitted_at": case.submitted_at,
            "planned_end": planned,
            "legal_end": legal,
            "deadline_state": deadlines.deadline_state(case),
            "steps": [
                {
                    "status": e.to_status,
                    "text": version.status_text(e.to_status, language),
                    "at": e.at,
                }
                for e in selectors.timeline(case).exclude(to_status="")
                if e.from_status != e.to_status
            ],
        },
    )


# --- citizens ---------------------------------------------------------------------------------


class BusinessIn(Schema):
    nipt: str
    name: str = ""


class WalkInIn(Schema):
    nid: str
    first_name: str
    last_name: str
    identity_document: Literal["id_card", "passport"] = Field(
        ..., description="The identity document the clerk saw (decision 0010); required."
    )
    email: str = ""
    phone: str = ""
    language: Literal["sq", "en"] | None = None


class ApplicationIn(Schema):
    service: str
    data: dict[str, Any] = {}
    channel: Literal["online", "counter", "kiosk"] = "online"
    draft_id: int | None = None
    unit: str | None = None
    business: BusinessIn | None = None
    walk_in: WalkInIn | None = None
    override_check: bool = False
    fee_paid: bool = False
    language: Literal["sq", "en"] | None = None
    on_behalf_of: str | None = Field(
        None,
        description="Online or kiosk: the personal number (NID) of the minor the account applies "
        "for. Issued at once only through a relationship a clerk verified (decision 0010).",
    )


class DraftIn(Schema):
    service: str
    data: dict[str, Any] = {}
    unit: str | None = None


class DraftOut(Schema):
    id: int
    service: str
    data: dict[str, Any]
    attachments: list[dict[str, Any]]
    updated_at: dt.datetime


class EventOut(Schema):
    seq: int
    at: dt.datetime
    kind: str
    action: str
    from_status: str
    to_status: str
    text: str
    visibility: str


class CaseOut(Schema):
    number: str
    municipality: str
    service: str
    service_name: dict[str, str]
    status: str
    status_text: str
    channel: str
    tracking_code: str
    submitted_at: dt.datetime
    planned_end: dt.date | None
    legal_end: dt.date | None
    deadline_state: str
    fee_due: Decimal
    fee_paid: bool
    document_code: str
    bundle_id: int | None


class CaseDetailOut(CaseOut):
    data: dict[str, Any]
    events: list[EventOut]


def case_json(case: Case, *, events: bool = False, public_only: bool = True) -> dict:
    version = case.service_version
    planned, legal = deadlines.effective_ends(case)
    out = {
        "number": case.number,
        "municipality": case.municipality.slug,
        "service": case.service_type.code,
        "service_name": {"sq": version.name_sq, "en": version.name_en or version.name_sq},
        "status": case.status,
        "status_text": version.status_text(case.status, _lang()),
        "channel": case.channel,
        "tracking_code": case.tracking_code,
        "submitted_at": case.submitted_at,
        "planned_end": planned,
        "legal_end": legal,
        "deadline_state": deadlines.deadline_state(case),
        # Money always with its two decimals: a case just created holds the Decimal it was
        # given ("0"), one read back from the database "0.00"; a replay must answer the same.
        "fee_due": to_money(case.fee_due),
        "fee_paid": case.fee_paid,
        "document_code": case.document_code,
        "bundle_id": case.bundle_id,
    }
    if events:
        out["data"] = case.application.data
        out["events"] = [
            {
                "seq": e.seq,
                "at": e.at,
                "kind": e.kind,
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "text": e.text,
                "visibility": e.visibility,
            }
            for e in selectors.timeline(case, public_only=public_only)
        ]
    return out


def _unit(municipality, slug: str | None):
    if not slug:
        return None
    unit = AdministrativeUnit.objects.filter(municipality=municipality, slug=slug).first()
    if unit is None:
        raise ValidationError({"unit": _("There is no such administrative unit here.")})
    return unit


def draft_json(draft: Application) -> dict:
    return {
        "id": draft.pk,
        "service": draft.service_version.service_type.code,
        "data": draft.data,
        "attachments": [
            {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size}
            for a in draft.attachments.all()
        ],
        "updated_at": draft.updated_at,
    }


@router.post(
    "/municipalities/{slug}/drafts",
    response=responses({201: DraftOut}, auth="session", body=True),
    auth=session,
    summary="Save a new draft application",
    openapi_extra=idempotency.OPENAPI,
)
def create_draft(
    request,
    slug: str,
    payload: DraftIn,
    response: HttpResponse,
    idempotency_key: str = Header("", alias=idempotency.HEADER),
):
    municipality = request_municipality(request)
    with idempotency.writes() as inserted:
        draft = services.save_draft(
            municipality,
            service=payload.service,
            actor=request.user,
            data=payload.data,
            unit=_unit(municipality, payload.unit),
            idempotency_key=idempotency.checked_key(idempotency_key),
        )
    idempotency.replayed(response, draft, inserted)
    return Status(201, draft_json(draft))


@router.put(
    "/municipalities/{slug}/drafts/{draft_id}",
    response=responses({200: DraftOut}, auth="session", body=True),
    auth=session,
)
def update_draft(request, slug: str, draft_id: int, payload: DraftIn):
    municipality = request_municipality(request)
    draft = selectors.draft_of(request.user, municipality, draft_id)
    if draft is None:
        raise Http404
    draft = services.save_draft(
        municipality,
        service=payload.service,
        actor=request.user,
        data=payload.data,
        draft=draft,
        unit=_unit(municipality, payload.unit),
    )
    return Status(200, draft_json(draft))


@router.post(
    "/municipalities/{slug}/drafts/{draft_id}/attachments",
    response=responses({201: DraftOut}, auth="session", body=True),
    auth=session,
    summary="Attach a PDF, PNG or JPEG to a draft",
    description="Idempotent by content: the same file sent again (a retry) is attached once.",
)
def attach(request, slug: str, draft_id: int, file: File[UploadedFile]):
    draft = selectors.draft_of(request.user, request_municipality(request), draft_id)
    if draft is None:
        raise Http404
    services.add_attachment(draft, actor=request.user, upload=file)
    return Status(201, draft_json(draft))


@router.post(
    "/municipalities/{slug}/applications",
    response=responses({201: CaseOut}, auth="session", body=True),
    auth=session,
    summary="Submit an application (online, kiosk, or by a clerk at the counter)",
    openapi_extra=idempotency.OPENAPI,
)
def submit(
    request,
    slug: str,
    payload: ApplicationIn,
    response: HttpResponse,
    idempotency_key: str = Header("", alias=idempotency.HEADER),
):
    municipality = request_municipality(request)
    draft = None
    if payload.draft_id is not None:
        draft = selectors.draft_of(request.user, municipality, payload.draft_id)
        if draft is None:
            raise Http404
    with idempotency.writes() as inserted:
        case = services.submit_application(
            municipality,
            service=payload.service,
            data=payload.data,
            actor=request.user,
            channel=payload.channel,
            idempotency_key=idempotency.checked_key(idempotency_key),
            draft=draft,
            walk_in=payload.walk_in.dict() if payload.walk_in else None,
            business=payload.business.dict() if payload.business else None,
            unit=_unit(municipality, payload.unit),
            # At the counter the walk-in's language counts, not the clerk's.
            language=payload.language or (None if payload.channel == "counter" else _lang()),
            override_check=payload.override_check,
            fee_paid=payload.fee_paid,
            on_behalf_of=payload.on_behalf_of or "",
        )
    idempotency.replayed(response, case, inserted)
    return Status(201, case_json(case))


@router.get(
    "/me/applications",
    response=responses({200: list[CaseOut]}, auth="session", lookup=False),
    auth=session,
)
def my_applications(request):
    cases = selectors.cases_of(request.user).select_related("service_type")
    return Status(200, [case_json(c) for c in cases])


@router.get(
    "/municipalities/{slug}/applications/{number}",
    response=responses({200: CaseDetailOut}, auth="session"),
    auth=session,
)
def my_application(request, slug: str, number: str):
    case = selectors.case_of(request.user, request_municipality(request), number)
    if case is None:
        raise Http404
    return Status(200, case_json(case, events=True))


class AnswerIn(Schema):
    message: str


class WithdrawIn(Schema):
    reason: str = ""


@router.post(
    "/municipalities/{slug}/applications/{number}/answer",
    response=responses({200: CaseDetailOut}, auth="session", body=True, conflict=True),
    auth=session,
    summary="Answer a request for more information (the clock runs again)",
)
def answer(request, slug: str, number: str, payload: AnswerIn):
    case = selectors.case_of(request.user, request_municipality(request), number)
    if case is None:
        raise Http404
    services.answer_info(case, actor=request.user, message=payload.message)
    return Status(200, case_json(case, events=True))


@router.post(
    "/municipalities/{slug}/applications/{number}/withdraw",
    response=responses({200: CaseDetailOut}, auth="session", body=True, conflict=True),
    auth=session,
)
def withdraw(request, slug: str, number: str, payload: WithdrawIn):
    case = selectors.case_of(request.user, request_municipality(request), number)
    if case is None:
        raise Http404
    services.withdraw(case, actor=request.user, reason=payload.reason)
    return Status(200, case_json(case, events=True))


class AccessOut(Schema):
    at: dt.datetime
    who: str
    role: str
    action: str


@router.get(
    "/municipalities/{slug}/applications/{number}/accesses",
    response=responses({200: list[AccessOut]}, auth="session"),
    auth=session,
    summary="Who accessed my case (from the audit log)",
)
def accesses(request, slug: str, number: str):
    case = selectors.case_of(request.user, request_municipality(request), number)
    if case is None:
        raise Http404
    return Status(
        200,
        [
            {"at": e.at, "who": e.actor_label, "role": e.actor_role, "action": e.action}
            for e in selectors.case_accesses(case)
        ],
    )


class MovingHomeIn(Schema):
    new_address: str
    previous_address: str = ""
    unit: str | None = None
    moving_date: str = ""
    household_members: int = 1
    has_car: bool = False
    vehicle_plate: str = ""
    consent: bool = False


class BundleOut(Schema):
    id: int
    kind: str
    consent_text: str
    consented_at: dt.datetime
    cases: list[CaseOut]


@router.post(
    "/municipalities/{slug}/life-events/moving-home",
    response=responses({201: BundleOut}, auth="session", body=True),
    auth=session,
    summary="Moving home: one consent opens every case it implies",
    openapi_extra=idempotency.OPENAPI,
)
def moving_home(
    request,
    slug: str,
    payload: MovingHomeIn,
    response: HttpResponse,
    idempotency_key: str = Header("", alias=idempotency.HEADER),
):
    municipality = request_municipality(request)
    with idempotency.writes() as inserted:
        bundle = services.open_moving_home_bundle(
            municipality,
            actor=request.user,
            new_address=payload.new_address,
            previous_address=payload.previous_address,
            unit=_unit(municipality, payload.unit),
            moving_date=payload.moving_date,
            household_members=payload.household_members,
            has_car=payload.has_car,
            vehicle_plate=payload.vehicle_plate,
            consent=payload.consent,
            language=_lang(),
            idempotency_key=idempotency.checked_key(idempotency_key),
        )
    idempotency.replayed(response, bundle, inserted)
    return Status(
        201,
        {
            "id": bundle.pk,
            "kind": bundle.kind,
            "consent_text": bundle.consent_text,
            "consented_at": bundle.consented_at,
            "cases": [case_json(c) for c in selectors.bundle_overview(bundle)],
        },
    )


# --- staff --------------------------------------------------------------------------------------


class QueueRow(Schema):
    number: str
    service: str
    service_name: str
    status: str
    channel: str
    unit: str | None
    assignee: str | None
    assignee_id: int | None
    submitted_at: dt.datetime
    planned_end: dt.date | None
    legal_end: dt.date | None
    deadline_state: str
    fee_due: Decimal
    fee_paid: bool


class QueueOut(Schema):
    count: int
    items: list[QueueRow]


class QueueFilters(Schema):
    service: str = ""
    status: str = ""
    unit: str = ""
    assignee: str = ""
    include_closed: bool = False
    limit: int = 50
    offset: int = 0


@router.get(
    "/municipalities/{slug}/cases",
    response=responses({200: QueueOut}, auth="staff", refuses=True),
    auth=StaffAuth("cases.read"),
    summary="Staff queue, by legal end; filters: service, status, unit, assignee",
)
def queue(request, slug: str, filters: Query[QueueFilters]):
    municipality = request.municipality
    assignee = filters.assignee
    if assignee not in ("", "none") and not assignee.isdigit():
        raise BadRequest(
            "assignee",
            _("Give the assignee as a user id, or “none” for cases nobody is assigned to."),
        )
    cases = selectors.staff_queue(
        municipality,
        service=filters.service or None,
        status=filters.status or None,
        unit=filters.unit or None,
        assignee=assignee or None,
        open_only=not filters.include_closed,
    ).select_related("service_type")
    limit = max(1, min(filters.limit, 200))
    offset = max(0, filters.offset)
    language = _lang()
    page = list(cases[offset : offset + limit])
    return Status(
        200,
        {
            "count": cases.count(),
            "items": [
                {
                    "number": c.number,
                    "service": c.service_type.code,
                    "service_name": c.service_version.name(language),
                    "status": c.status,
                    "channel": c.channel,
                    "unit": c.unit.slug if c.unit else None,
                    "assignee": str(c.assignee) if c.assignee else None,
                    "assignee_id": c.assignee_id,
                    "submitted_at": c.submitted_at,
                    "planned_end": deadlines.effective_ends(c)[0],
                    "legal_end": deadlines.effective_ends(c)[1],
                    "deadline_state": deadlines.deadline_state(c),
                    "fee_due": to_money(c.fee_due),
                    "fee_paid": c.fee_paid,
                }
                for c in page
            ],
        },
    )


class ApplicantOut(Schema):
    name: str
    nid: str | None
    email: str
    phone: str
    business: str | None
    nipt: str | None


class IdentityOut(Schema):
    """Who filed the case and whether their identity is proven (decision 0010)."""

    filed_by: str = Field(description="the account's login, or the clerk at the counter")
    proven: bool
    method: str = Field(description="counter_document, eid, counter or '' when not proven")
    claimed_nid: str | None = Field(description="a personal number the account only typed")
    on_behalf_of: dict[str, Any] | None = Field(
        None,
        description="the minor the account applied for: nid, relationship (parent, guardian or "
        "null when none was verified), relationship_in_force, service_allows_relationship",
    )


class StaffCaseOut(CaseDetailOut):
    applicant: ApplicantOut
    identity: IdentityOut
    assignee: str | None
    clerk: str | None
    unit: str | None
    allowed_actions: list[str]


def _identity_json(case: Case) -> dict:
    summary = identity_summary(case)
    counter = summary["channel"] == "counter"
    method = ""
    if summary["proven"]:
        method = "counter_document" if counter else summary["method"]
    return {
        "filed_by": summary["clerk"] if counter else summary["login"],
        "proven": summary["proven"],
        "method": method,
        "claimed_nid": summary["claimed_nid"] or None,
        "on_behalf_of": _on_behalf_json(summary["on_behalf"]),
    }


def _on_behalf_json(on_behalf: dict | None) -> dict | None:
    if on_behalf is None:
        return None
    return {
        "nid": on_behalf["nid"],
        "relationship": on_behalf["relationship"].kind if on_behalf["relationship"] else None,
        "relationship_in_force": on_behalf["in_force"],
        "service_allows_relationship": on_behalf["allowed"],
    }


def staff_case_json(case: Case, actor) -> dict:
    person = case.applicant_person
    business = case.applicant_business
    out = case_json(case, events=True, public_only=False)
    out.update(
        applicant={
            "name": person.full_name if person else "",
            "nid": person.nid if person else None,
            "email": person.email if person else "",
            "phone": person.phone if person else "",
            "business": business.name if business else None,
            "nipt": business.nipt if business else None,
        },
        identity=_identity_json(case),
        assignee=str(case.assignee) if case.assignee else None,
        clerk=str(case.clerk) if case.clerk else None,
        unit=case.unit.slug if case.unit else None,
        # The same selector as the staff page: role, workflow and the service's preconditions.
        allowed_actions=[action.name for action in actions.available_actions(case, actor)],
    )
    return out


@router.get(
    "/municipalities/{slug}/cases/{number}",
    response=responses({200: StaffCaseOut}, auth="staff"),
    auth=StaffAuth("cases.read"),
    summary="A case file with the applicant's data (the read is audited)",
)
def staff_case(request, slug: str, number: str):
    municipality = request.municipality
    case = services.read_case(municipality, number, actor=request.user)
    return Status(200, staff_case_json(case, request.user))


# The replay header of a note's answer (a 200, not a create's 201), in the OpenAPI document.
NOTE_IDEMPOTENCY = {"responses": {200: idempotency.OPENAPI["responses"][201]}}


class TransitionIn(Schema):
    action: str
    assignee: int | None = None
    message: str = ""
    days: int | None = None
    reason: str = ""
    legal_basis: str = ""
    text: str = ""
    public: bool = False
    receipt: str = ""


@router.post(
    "/municipalities/{slug}/cases/{number}/transitions",
    response=responses({200: StaffCaseOut}, auth="staff", body=True, conflict=True),
    auth=StaffAuth("cases.read"),
    summary="Move a case along the workflow (assign, start, request_info, extend, approve...)",
    description="A note (`action: note`) takes an `Idempotency-Key` header: the same key again "
    "returns the same answer and adds no second note (`Idempotent-Replayed: true`); the same key "
    "with another note, or for another case, is refused with 422 `idempotency_key_reused`.",
    openapi_extra=NOTE_IDEMPOTENCY,
)
def transition(
    request,
    slug: str,
    number: str,
    payload: TransitionIn,
    response: HttpResponse,
    idempotency_key: str = Header("", alias=idempotency.HEADER),
):
    """Only what ``allowed_actions`` lists is done; anything else is refused with its reason
    (403 without the role, 409 when the workflow or the service's rules do not allow it)."""
    municipality = request.municipality
    action = actions.ACTIONS.get(payload.action)
    if action is None:
        raise ValidationError({"action": _("Unknown action.")})
    case = (
        Case.objects.filter(municipality=municipality, number=number)
        .select_related("service_version", "applicant_person", "municipality")
        .get()
    )
    refused = actions.refusal(case, request.user, payload.action)
    if refused is not None:  # before the payload is read: what is not available is refused as such
        raise refused
    params = action.api_params(payload)
    key = idempotency.checked_key(idempotency_key)
    if payload.action == "note" and key:
        params["idempotency_key"] = key
    with idempotency.writes() as inserted:
        actions.perform(case, payload.action, actor=request.user, **params)
    if "idempotency_key" in params and not inserted.any_of(CaseEvent):
        idempotency.mark_replayed(response)
    case = services.read_case(municipality, number, actor=request.user)
    return Status(200, staff_case_json(case, request.user))
