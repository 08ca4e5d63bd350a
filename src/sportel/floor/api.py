"""Floor JSON API: offices and their waits (public), ticket issuing, calling and check-in for
kiosks and screens built by others.

Kiosks and screens authenticate with their device token in the ``X-Device-Token`` header (a
revoked token is refused with ``device_revoked``); clerks with their session (``StaffAuth``),
signed in at a counter. Errors have the one shape of ``core.api_errors``; a ticket a colleague
called a moment before answers 409 ``already_called``.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import APIKeyHeader

from sportel.accounts.api_auth import StaffAuth
from sportel.core.api_errors import Refused, responses
from sportel.core.tenancy import request_municipality

from . import actions, selectors, services
from .models import Channel, Counter, Device, QueueCategory

router = Router(tags=["floor"])

# Refusals that mean "not now, someone or something got there first": 409, not 400.
CONFLICTS = frozenset(
    {"already_called", "nobody_waiting", "illegal_transition", "other_counter", "not_booked"}
)


class DeviceAuth(APIKeyHeader):
    """A registered kiosk or screen of the path's municipality (``X-Device-Token``)."""

    param_name = "X-Device-Token"

    def __init__(self, kind: str, function: str = ""):
        self.kind, self.function = kind, function
        super().__init__()

    def authenticate(self, request, key):
        device = selectors.device_by_token(request_municipality(request), key or "", kind=self.kind)
        if device is None:
            return None
        if device.revoked_at is not None:
            raise Refused(_("This device has been revoked."), code="device_revoked")
        if self.function and self.function not in device.functions:
            raise Refused(_("This kiosk does not offer that."), code="function_not_allowed")
        request.device = device
        return device


def _conflict(exc: ValidationError):
    code = getattr(exc, "code", None)
    if code in CONFLICTS:
        return Status(409, {"detail": " ".join(exc.messages), "code": code})
    raise exc


# --- offices (public) -------------------------------------------------------------------------


class CategoryOut(Schema):
    letter: str
    name: dict[str, str]
    waiting: int
    counters_open: int
    expected_wait_minutes: int | None


class HoursOut(Schema):
    day: int
    hours: list[list[str]]


class OfficeOut(Schema):
    slug: str
    name: dict[str, str]
    unit: str
    address: str
    open_now: bool
    opening_hours: list[HoursOut]
    categories: list[CategoryOut]


@router.get(
    "/municipalities/{slug}/offices",
    response=responses({200: list[OfficeOut]}),
    summary="One-stop-shop offices: opening hours, and per queue the people waiting and the "
    "expected wait in minutes (public, no personal data)",
)
def list_offices(request, slug: str):
    out = []
    for office in selectors.offices_of(request_municipality(request)):
        out.append(
            {
                "slug": office.slug,
                "name": {"sq": office.name_sq, "en": office.name_en or office.name_sq},
                "unit": office.unit.name,
                "address": office.address,
                "open_now": selectors.is_open(office),
                "opening_hours": [
                    {"day": row["day"], "hours": row["hours"]}
                    for row in selectors.opening_hours(office)
                ],
                "categories": [
                    {
                        "letter": row["letter"],
                        "name": {
                            "sq": row["category"].name_sq,
                            "en": row["category"].name_en or row["category"].name_sq,
                        },
                        "waiting": row["waiting"],
                        "counters_open": row["counters_open"],
                        "expected_wait_minutes": row["expected_wait_minutes"],
                    }
                    for row in selectors.category_waits(office)
                ],
            }
        )
    return Status(200, out)


# --- tickets ----------------------------------------------------------------------------------


class TicketIn(Schema):
    category: str
    priority: str = ""
    nid: str = ""
    service: str = ""


class TicketOut(Schema):
    number: str
    code: str
    office: str
    category: str
    priority: str
    state: str
    counter: int | None
    issued_at: dt.datetime
    called_at: dt.datetime | None
    expected_wait_minutes: int | None
    allowed_actions: list[str] = []


def ticket_json(ticket, *, allowed: list[str] | None = None) -> dict:
    return {
        "number": ticket.number,
        "code": ticket.code,
        "office": ticket.office.slug,
        "category": ticket.category.letter,
        "priority": ticket.priority,
        "state": ticket.state,
        "counter": ticket.counter.number if ticket.counter_id else None,
        "issued_at": ticket.issued_at,
        "called_at": ticket.called_at,
        "expected_wait_minutes": ticket.expected_wait_minutes,
        "allowed_actions": allowed or [],
    }


@router.post(
    "/municipalities/{slug}/offices/{office}/tickets",
    response=responses({201: TicketOut}, auth="staff", body=True),
    auth=[DeviceAuth(Device.Kind.KIOSK, Device.Function.TICKET), StaffAuth("floor.counter")],
    summary="Issue a ticket (a kiosk with its device token, or a clerk at reception)",
)
def issue(request, slug: str, office: str, payload: TicketIn):
    municipality = request_municipality(request)
    found = selectors.office_by_slug(municipality, office)
    device = getattr(request, "device", None)
    if found is None or (device is not None and device.office_id != found.pk):
        raise Http404
    category = QueueCategory.objects.filter(office=found, letter=payload.category).first()
    if category is None:
        raise ValidationError(
            {"category": ValidationError(_("Choose one of this office's queues."), code="invalid")}
        )
    service = None
    if payload.service:
        service = category.services.filter(code=payload.service).first()
        if service is None:
            raise ValidationError(
                {"service": ValidationError(_("This queue does not serve that service."))}
            )
    ticket = services.issue_ticket(
        found,
        category=category,
        channel=Channel.KIOSK if device else Channel.RECEPTION,
        priority=payload.priority,
        nid=payload.nid,
        service=service,
        actor=f"kiosk:{device.pk}" if device else request.user,
    )
    return Status(201, ticket_json(ticket))


@router.get(
    "/municipalities/{slug}/tickets/{code}",
    response=responses({200: TicketOut}),
    summary="A ticket by its code (from the slip): state, counter, expected wait",
)
def get_ticket(request, slug: str, code: str):
    ticket = selectors.ticket_by_code(request_municipality(request), code)
    if ticket is None:
        raise Http404
    return Status(200, ticket_json(ticket))


def _counter_of_clerk(request, counter_id: int) -> Counter:
    municipality = request_municipality(request)
    desk = Counter.objects.filter(municipality=municipality, pk=counter_id).first()
    if desk is None:
        raise Http404
    session = selectors.session_of(request.user, municipality)
    if session is None or session.counter_id != desk.pk:
        raise Refused(_("Sign in at this counter first."), code="not_at_counter")
    return desk


@router.post(
    "/municipalities/{slug}/counters/{counter_id}/call-next",
    response=responses({200: TicketOut}, auth="staff", conflict=True),
    auth=StaffAuth("floor.counter"),
    summary="Call the head of this counter's queue",
)
def call_next(request, slug: str, counter_id: int):
    desk = _counter_of_clerk(request, counter_id)
    try:
        ticket = services.call_next(desk, actor=request.user)
    except ValidationError as exc:
        return _conflict(exc)
    allowed = [a.name for a in actions.available_actions(ticket, request.user, desk)]
    return Status(200, ticket_json(ticket, allowed=allowed))


class ActionIn(Schema):
    counter_id: int
    category: str = ""
    to_counter: int | None = None


@router.post(
    "/municipalities/{slug}/tickets/{code}/actions/{name}",
    response=responses({200: TicketOut}, auth="staff", body=True, conflict=True),
    auth=StaffAuth("floor.counter"),
    summary="Call (pick), recall, serve, finish, hold, transfer or mark a no-show",
)
def ticket_action(request, slug: str, code: str, name: str, payload: ActionIn):
    municipality = request_municipality(request)
    ticket = selectors.ticket_by_code(municipality, code)
    if ticket is None or name not in actions.ACTIONS:
        raise Http404
    desk = _counter_of_clerk(request, payload.counter_id)
    params = {}
    if name == "transfer":
        if payload.category:
            params["category"] = QueueCategory.objects.filter(
                municipality=municipality, office=ticket.office, letter=payload.category
            ).first()
            if params["category"] is None:
                raise ValidationError(
                    {"category": ValidationError(_("Choose one of this office's queues."))}
                )
        if payload.to_counter is not None:
            params["to_counter"] = Counter.objects.filter(
                municipality=municipality, pk=payload.to_counter
            ).first()
            if params["to_counter"] is None:
                raise ValidationError(
                    {"to_counter": ValidationError(_("There is no such counter."))}
                )
    try:
        done = actions.perform(ticket, name, actor=request.user, counter=desk, **params)
    except ValidationError as exc:
        return _conflict(exc)
    allowed = [a.name for a in actions.available_actions(done, request.user, desk)]
    return Status(200, ticket_json(done, allowed=allowed))


@router.post(
    "/municipalities/{slug}/appointments/{code}/check-in",
    response=responses({201: TicketOut}, auth="staff", refuses=True, conflict=True),
    auth=[DeviceAuth(Device.Kind.KIOSK, Device.Function.CHECK_IN), StaffAuth("floor.counter")],
    summary="Check in to a booked appointment: a ticket at the head of its queue",
)
def check_in(request, slug: str, code: str):
    appointment = selectors.appointment_by_code(request_municipality(request), code)
    device = getattr(request, "device", None)
    if appointment is None or (device is not None and device.office_id != appointment.office_id):
        raise Http404
    try:
        ticket = services.check_in(
            appointment, actor=f"kiosk:{device.pk}" if device else request.user
        )
    except ValidationError as exc:
        return _conflict(exc)
    return Status(201, ticket_json(ticket))


class CallOut(Schema):
    id: str
    number: str
    counter: int
    called_at: str
    serving: bool


class ScreenOut(Schema):
    office: str
    calls: list[CallOut]


@router.get(
    "/municipalities/{slug}/screen",
    response=responses({200: ScreenOut}, auth="staff"),
    auth=DeviceAuth(Device.Kind.SCREEN),
    summary="What an information screen shows now: the tickets called and their counters",
)
def screen(request, slug: str):
    office = request.device.office
    return Status(200, {"office": office.slug, "calls": selectors.screen_calls(office)})
