"""Services JSON API: the public catalogue, citizens' applications, tracking, staff cases.

Handlers are thin: they parse, call ``services``/``selectors``, and shape the answer. Errors are
``{"detail", "code"}`` (+ ``errors`` by field for bad input), in the caller's language
(``Accept-Language``, Albanian by default). Creates take an ``Idempotency-Key`` header: the same
key from the same account returns the first result.

Staff endpoints need a staff role in the path's municipality (403 otherwise, also for staff of
another municipality) and a passed second factor; a case number the municipality does not have is
404 whoever asks.
"""

import datetime as dt
from decimal import Decimal
from functools import wraps
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from ninja import Field, File, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import django_auth

from sportel.accounts.models import User
from sportel.core.models import AdministrativeUnit
from sportel.core.selectors import municipality_by_slug

from . import deadlines, selectors, services, workflow
from .models import Application, Case, ServiceType

router = Router(tags=["services"])


class Error(Schema):
    detail: str
    code: str
    errors: dict[str, list[str]] | None = None


def _responses(ok: dict) -> dict:
    return {**ok, 400: Error, 403: Error, 404: Error, 409: Error}


def _validation_body(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        detail = " ".join(m for msgs in errors.values() for m in msgs)
        codes = {e.code for errs in exc.error_dict.values() for e in errs if e.code}
        code = "check_letter" if "check_letter" in codes else "invalid"
        return {"detail": detail, "code": code, "errors": errors}
    messages = [str(m) for m in exc.messages]
    code = getattr(exc, "code", None) or "invalid"
    return {"detail": " ".join(messages), "code": code, "errors": None}


def api_language(request) -> str:
    """The caller's language: ``?lang=``, else Accept-Language, else Albanian.

    (LocaleMiddleware pins every path outside i18n_patterns, such as /api/, to Albanian.)
    """
    wanted = request.GET.get("lang", "")
    if wanted in ("sq", "en"):
        return wanted
    for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code.split("-")[0] in ("sq", "en"):
            return code.split("-")[0]
    return "sq"


def errors_as_json(view):
    """Answer in the caller's language; map the domain's exceptions to the error shape."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with translation.override(api_language(request)):
            return _answer(view, request, *args, **kwargs)

    return wrapped


def _answer(view, request, *args, **kwargs):
    try:
        return view(request, *args, **kwargs)
    except workflow.IllegalTransition as exc:
        return Status(409, {"detail": " ".join(exc.messages), "code": "illegal_transition"})
    except ValidationError as exc:
        body = _validation_body(exc)
        status = 409 if body["code"] in {"not_allowed", "fee_unpaid", "already_paid"} else 400
        return Status(status, body)
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc) or _("Permission denied."), "code": "forbidden"})
    except (Http404, Case.DoesNotExist, Application.DoesNotExist):
        return Status(404, {"detail": _("Not found."), "code": "not_found"})


def _municipality(slug: str):
    municipality = municipality_by_slug(slug)
    if municipality is None:
        raise Http404
    return municipality


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
    response=_responses({200: list[ServiceOut]}),
    summary="The municipality's service catalogue",
)
@errors_as_json
def list_services(request, slug: str, life_event: str = "", q: str = ""):
    municipality = _municipality(slug)
    query = (
        selectors.search_services(municipality, q) if q else selectors.active_services(municipality)
    )
    if life_event:
        query = query.filter(life_events__code=life_event)
    return Status(200, [service_json(s) for s in query])


@router.get(
    "/municipalities/{slug}/services/{code}",
    response=_responses({200: ServiceDetail}),
    summary="One service: documents, fee, deadlines, statuses and its form (JSON Schema)",
)
@errors_as_json
def get_service(request, slug: str, code: str):
    service_type = selectors.service_by_code(_municipality(slug), code)
    if service_type is None:
        raise Http404
    return Status(200, service_json(service_type, detail=True))


@router.get("/municipalities/{slug}/life-events", response=_responses({200: list[LifeEventOut]}))
@errors_as_json
def list_life_events(request, slug: str):
    return Status(
        200,
        [
            {"code": e.code, "name": {"sq": e.name_sq, "en": e.name_en or e.name_sq}}
            for e in selectors.life_events_with_services(_municipality(slug))
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


@router.get("/track/{code}", response=_responses({200: TrackOut}), summary="Track a case by code")
@errors_as_json
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
        "fee_due": case.fee_due,
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
    response=_responses({201: DraftOut}),
    auth=django_auth,
    summary="Save a new draft application",
)
@errors_as_json
def create_draft(
    request,
    slug: str,
    payload: DraftIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    municipality = _municipality(slug)
    draft = services.save_draft(
        municipality,
        service=payload.service,
        actor=request.user,
        data=payload.data,
        unit=_unit(municipality, payload.unit),
        idempotency_key=idempotency_key,
    )
    return Status(201, draft_json(draft))


@router.put(
    "/municipalities/{slug}/drafts/{draft_id}",
    response=_responses({200: DraftOut}),
    auth=django_auth,
)
@errors_as_json
def update_draft(request, slug: str, draft_id: int, payload: DraftIn):
    municipality = _municipality(slug)
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
    response=_responses({201: DraftOut}),
    auth=django_auth,
    summary="Attach a PDF, PNG or JPEG to a draft",
    description="Idempotent by content: the same file sent again (a retry) is attached once.",
)
@errors_as_json
def attach(request, slug: str, draft_id: int, file: File[UploadedFile]):
    draft = selectors.draft_of(request.user, _municipality(slug), draft_id)
    if draft is None:
        raise Http404
    services.add_attachment(draft, actor=request.user, upload=file)
    return Status(201, draft_json(draft))


@router.post(
    "/municipalities/{slug}/applications",
    response=_responses({201: CaseOut, 200: CaseOut}),
    auth=django_auth,
    summary="Submit an application (online, kiosk, or by a clerk at the counter)",
)
@errors_as_json
def submit(
    request,
    slug: str,
    payload: ApplicationIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    municipality = _municipality(slug)
    draft = None
    if payload.draft_id is not None:
        draft = selectors.draft_of(request.user, municipality, payload.draft_id)
        if draft is None:
            raise Http404
    case = services.submit_application(
        municipality,
        service=payload.service,
        data=payload.data,
        actor=request.user,
        channel=payload.channel,
        idempotency_key=idempotency_key,
        draft=draft,
        walk_in=payload.walk_in.dict() if payload.walk_in else None,
        business=payload.business.dict() if payload.business else None,
        unit=_unit(municipality, payload.unit),
        # At the counter the walk-in's language counts, not the clerk's.
        language=payload.language or (None if payload.channel == "counter" else _lang()),
        override_check=payload.override_check,
        fee_paid=payload.fee_paid,
    )
    return Status(201, case_json(case))


@router.get("/me/applications", response=_responses({200: list[CaseOut]}), auth=django_auth)
@errors_as_json
def my_applications(request):
    cases = selectors.cases_of(request.user).select_related("service_type")
    return Status(200, [case_json(c) for c in cases])


@router.get(
    "/municipalities/{slug}/applications/{number}",
    response=_responses({200: CaseDetailOut}),
    auth=django_auth,
)
@errors_as_json
def my_application(request, slug: str, number: str):
    case = selectors.case_of(request.user, _municipality(slug), number)
    if case is None:
        raise Http404
    return Status(200, case_json(case, events=True))


class AnswerIn(Schema):
    message: str


class WithdrawIn(Schema):
    reason: str = ""


@router.post(
    "/municipalities/{slug}/applications/{number}/answer",
    response=_responses({200: CaseDetailOut}),
    auth=django_auth,
    summary="Answer a request for more information (the clock runs again)",
)
@errors_as_json
def answer(request, slug: str, number: str, payload: AnswerIn):
    case = selectors.case_of(request.user, _municipality(slug), number)
    if case is None:
        raise Http404
    services.answer_info(case, actor=request.user, message=payload.message)
    return Status(200, case_json(case, events=True))


@router.post(
    "/municipalities/{slug}/applications/{number}/withdraw",
    response=_responses({200: CaseDetailOut}),
    auth=django_auth,
)
@errors_as_json
def withdraw(request, slug: str, number: str, payload: WithdrawIn):
    case = selectors.case_of(request.user, _municipality(slug), number)
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
    response=_responses({200: list[AccessOut]}),
    auth=django_auth,
    summary="Who accessed my case (from the audit log)",
)
@errors_as_json
def accesses(request, slug: str, number: str):
    case = selectors.case_of(request.user, _municipality(slug), number)
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
    response=_responses({201: BundleOut}),
    auth=django_auth,
    summary="Moving home: one consent opens every case it implies",
)
@errors_as_json
def moving_home(
    request,
    slug: str,
    payload: MovingHomeIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    municipality = _municipality(slug)
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
        idempotency_key=idempotency_key,
    )
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


def _staff(request, slug: str):
    """The path's municipality, for a verified staff member who may read its cases."""
    municipality = _municipality(slug)
    user = request.user
    if user.needs_second_factor and not user.is_verified():
        raise PermissionDenied(_("Complete two-step verification first."))
    if not services.has_permission(user, municipality, "cases.read"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    return municipality


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
    response=_responses({200: QueueOut}),
    auth=django_auth,
    summary="Staff queue, by legal end; filters: service, status, unit, assignee",
)
@errors_as_json
def queue(request, slug: str, filters: Query[QueueFilters]):
    municipality = _staff(request, slug)
    cases = selectors.staff_queue(
        municipality,
        service=filters.service or None,
        status=filters.status or None,
        unit=filters.unit or None,
        assignee=filters.assignee or None,
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
                    "fee_due": c.fee_due,
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


class StaffCaseOut(CaseDetailOut):
    applicant: ApplicantOut
    assignee: str | None
    clerk: str | None
    unit: str | None
    allowed_actions: list[str]


def staff_case_json(case: Case) -> dict:
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
        assignee=str(case.assignee) if case.assignee else None,
        clerk=str(case.clerk) if case.clerk else None,
        unit=case.unit.slug if case.unit else None,
        allowed_actions=workflow.allowed_actions(case.status),
    )
    return out


@router.get(
    "/municipalities/{slug}/cases/{number}",
    response=_responses({200: StaffCaseOut}),
    auth=django_auth,
    summary="A case file with the applicant's data (the read is audited)",
)
@errors_as_json
def staff_case(request, slug: str, number: str):
    municipality = _staff(request, slug)
    case = services.read_case(municipality, number, actor=request.user)
    return Status(200, staff_case_json(case))


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


# action → how the request's fields map onto the service function's keyword arguments
PARAMS = {
    "assign": lambda p: {"assignee": _assignee(p.assignee), "note": p.text or p.reason},
    "start": lambda p: {},
    "request_info": lambda p: {"message": p.message},
    "answer_info": lambda p: {"message": p.message},
    "extend": lambda p: {"days": p.days, "reason": p.reason},
    "note": lambda p: {"text": p.text, "public": p.public},
    "approve": lambda p: {"reason": p.reason, "legal_basis": p.legal_basis},
    "reject": lambda p: {"reason": p.reason, "legal_basis": p.legal_basis},
    "issue_document": lambda p: {},
    "close": lambda p: {},
    "withdraw": lambda p: {"reason": p.reason},
    "mark_fee_paid": lambda p: {"receipt": p.receipt},
}


def _assignee(pk: int | None):
    user = User.objects.filter(pk=pk).first() if pk else None
    if user is None:
        raise ValidationError({"assignee": _("Choose the specialist to assign the case to.")})
    return user


@router.post(
    "/municipalities/{slug}/cases/{number}/transitions",
    response=_responses({200: StaffCaseOut}),
    auth=django_auth,
    summary="Move a case along the workflow (assign, start, request_info, extend, approve...)",
)
@errors_as_json
def transition(request, slug: str, number: str, payload: TransitionIn):
    municipality = _staff(request, slug)
    if payload.action not in PARAMS:
        raise ValidationError({"action": _("Unknown action.")})
    case = (
        Case.objects.filter(municipality=municipality, number=number)
        .select_related("service_version", "applicant_person")
        .get()
    )
    services.perform(case, payload.action, actor=request.user, **PARAMS[payload.action](payload))
    case = services.read_case(municipality, number, actor=request.user)
    return Status(200, staff_case_json(case))
