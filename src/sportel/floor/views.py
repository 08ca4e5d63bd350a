"""Pages of the floor without a staff login, under ``/<municipality_slug>/floor/``.

- The information screen (``screen/<token>/``) and its state (``state.json``), polled every few
  hundred milliseconds: a device token, no login, public information only (ticket numbers,
  counters, waits, the panels of ``core.screens``).
- The kiosk (``kiosk/<token>/``): take a ticket with a priority, check in to an appointment, and
  the existing apply flow (``/<slug>/kiosk/``). A device token, no login; it keeps nothing of
  the resident between two people (no session data; the pages go back to the start screen).
- A ticket's own page by its unguessable code (its place in the queue, the expected wait).
- Appointments: a logged-in resident books, cancels and rebooks a slot.

A token of one municipality opens nothing under another's path (404); a revoked token is
refused with a message saying so (403).
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sportel.core.screens import panels
from sportel.services.forms import add_service_errors

from . import kiosk_eid, selectors, services, workflow
from . import kiosk_sign_in as kiosk_sign_in_service
from .forms import BookingForm, CheckInForm, KioskCodeForm, KioskNidForm, TicketForm
from .models import Appointment, Channel, Device, QueueCategory

PANELS_TTL = 30  # seconds: the other modules' panels change slowly; the calls never wait on them
WAITS_TTL = 3  # seconds: the waits per queue on a screen


class DeviceRefused(Exception):
    pass


def _device(request, token: str, kind: str) -> Device:
    device = selectors.device_by_token(request.municipality, token, kind=kind)
    if device is None or not device.office.is_active:
        raise Http404(_("There is no such device."))
    if device.revoked_at is not None:
        raise DeviceRefused(device)
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > dt.timedelta(minutes=1):
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
    return device


def _refused(request, device: Device):
    return render(
        request,
        "floor/device_refused.html",
        {"device": device, "kiosk": device.kind == Device.Kind.KIOSK},
        status=403,
    )


def device_page(kind: str):
    """The view needs a device token of ``kind`` in the path's municipality."""

    def decorator(view):
        def wrapped(request, municipality_slug: str, token: str, *args, **kwargs):
            try:
                device = _device(request, token, kind)
            except DeviceRefused as refused:
                if request.path.endswith(".json"):
                    return JsonResponse(
                        {"detail": _("This device has been revoked."), "code": "device_revoked"},
                        status=403,
                    )
                return _refused(request, refused.args[0])
            response = view(request, device, *args, **kwargs)
            response["Cache-Control"] = "no-store"
            return response

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorator


# --- the information screen -------------------------------------------------------------------


@device_page(Device.Kind.SCREEN)
def screen(request, device: Device):
    """The full-screen page for a TV by the counters."""
    return render(
        request,
        "floor/screen.html",
        {"device": device, "office": device.office, "state": _screen_state(device)},
    )


def _waits(office) -> list[dict]:
    key = f"floor:screen-waits:{office.pk}:{get_language()}"
    found = cache.get(key)
    if found is None:
        found = [
            {
                "letter": row["letter"],
                "name": row["name"],
                "waiting": row["waiting"],
                "minutes": row["expected_wait_minutes"],
            }
            for row in selectors.category_waits(office)
        ]
        cache.set(key, found, WAITS_TTL)
    return found


def _panels(municipality) -> list[dict]:
    key = f"floor:screen-panels:{municipality.pk}:{get_language()}"
    found = cache.get(key)
    if found is None:
        found = [
            {
                "key": p.key,
                "title": str(p.title),
                "subtitle": str(p.subtitle),
                "rows": [[str(a), str(b)] for a, b in p.rows[:8]],
            }
            for p in panels(municipality)
        ]
        cache.set(key, found, PANELS_TTL)
    return found


def _screen_state(device: Device) -> dict:
    office = device.office
    return {
        "calls": selectors.screen_calls(office),
        "waits": _waits(office),
        "panels": _panels(office.municipality),
        "open": selectors.is_open(office),
    }


@device_page(Device.Kind.SCREEN)
def screen_state(request, device: Device):
    """What the screen shows now, as JSON (public information only)."""
    return JsonResponse(_screen_state(device))


# --- the kiosk --------------------------------------------------------------------------------


def _kiosk_context(device: Device, **extra) -> dict:
    return {"device": device, "office": device.office, "kiosk": True, **extra}


@device_page(Device.Kind.KIOSK)
@never_cache
def kiosk(request, device: Device):
    """The start screen: what this kiosk offers. Arriving here ends the kiosk session of the
    person before (Finish, the idle timer and "Back to the start" all lead here), at the eID
    provider too when they signed in with the eID (the provider comes back here)."""
    leave = _end_kiosk_session(request, device)
    if leave:
        # A page that moves on to the provider's logout by itself (a meta refresh, no script):
        # a redirect would be refused by the browser when a form led here (CSP form-action).
        return render(request, "floor/kiosk/leaving.html", _kiosk_context(device, leave=leave))
    return render(
        request,
        "floor/kiosk/start.html",
        _kiosk_context(
            device,
            functions=set(device.functions),
            waits=_waits(device.office),
            eid=kiosk_eid.offered(device),
        ),
    )


def _start_path(request, device: Device) -> str:
    return reverse(
        "floor:kiosk",
        kwargs={
            "municipality_slug": device.office.municipality.slug,
            "token": request.resolver_match.kwargs["token"],
        },
    )


def _end_kiosk_session(request, device: Device) -> str | None:
    """End whatever kiosk session this browser or this device still has; the provider's logout
    URL when the browser must go there (it comes back to the start screen)."""
    return kiosk_eid.end(
        request, device, back_to=_start_path(request, device), language=get_language()
    )


def _needs(device: Device, function: str) -> None:
    if function not in device.functions:
        raise Http404(_("This kiosk does not offer that."))


@device_page(Device.Kind.KIOSK)
def kiosk_ticket(request, device: Device):
    """Take a ticket: a queue, a priority group if one applies, the NID if wanted."""
    _needs(device, Device.Function.TICKET)
    office = device.office
    categories = selectors.categories_of(office)
    form = TicketForm(request.POST or None, categories=categories)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.issue_ticket(
                office,
                category=categories.get(pk=form.cleaned_data["category"]),
                channel=Channel.KIOSK,
                priority=form.cleaned_data["priority"],
                nid=form.cleaned_data["nid"],
                actor=f"kiosk:{device.pk}",
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(
                "floor:kiosk-ticket-print",
                municipality_slug=office.municipality.slug,
                token=request.resolver_match.kwargs["token"],
                code=ticket.code,
            )
    return render(
        request,
        "floor/kiosk/ticket_form.html",
        _kiosk_context(device, form=form, waits=_waits(office)),
        status=400 if form.errors else 200,
    )


@device_page(Device.Kind.KIOSK)
def kiosk_ticket_print(request, device: Device, code: str):
    """The ticket, print-ready on an 80 mm receipt printer."""
    ticket = selectors.ticket_by_code(device.office.municipality, code)
    if ticket is None or ticket.office_id != device.office_id:
        raise Http404(_("There is no such ticket."))
    return render(
        request,
        "floor/kiosk/ticket.html",
        _kiosk_context(device, ticket=ticket, ahead=_ahead(ticket), print_ticket=True),
    )


@device_page(Device.Kind.KIOSK)
def kiosk_check_in(request, device: Device):
    """Check in to an appointment with the booking code: a ticket at the head of its queue."""
    _needs(device, Device.Function.CHECK_IN)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        appointment = selectors.appointment_by_code(
            device.office.municipality, form.cleaned_data["code"]
        )
        if appointment is None or appointment.office_id != device.office_id:
            form.add_error("code", _("We cannot find this booking code at this office."))
        else:
            try:
                ticket = services.check_in(appointment, actor=f"kiosk:{device.pk}")
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect(
                    "floor:kiosk-ticket-print",
                    municipality_slug=device.office.municipality.slug,
                    token=request.resolver_match.kwargs["token"],
                    code=ticket.code,
                )
    return render(
        request,
        "floor/kiosk/check_in.html",
        _kiosk_context(device, form=form),
        status=400 if form.errors else 200,
    )


# --- a ticket's own page ----------------------------------------------------------------------


def _ahead(ticket) -> int:
    return selectors.ahead_of(ticket)


@never_cache
def ticket_page(request, municipality_slug: str, code: str):
    """The resident's ticket: where it stands, how many are ahead, the expected wait."""
    ticket = selectors.ticket_by_code(request.municipality, code)
    if ticket is None:
        raise Http404(_("There is no such ticket."))
    ahead = _ahead(ticket)
    return render(
        request,
        "floor/ticket.html",
        {
            "ticket": ticket,
            "office": ticket.office,
            "ahead": ahead,
            "state": workflow.state_label(ticket.state),
            "minutes": selectors.expected_wait_minutes(ticket.category, ahead=ahead)
            if ticket.state == workflow.WAITING
            else None,
        },
    )


# --- joining the queue online -----------------------------------------------------------------


@login_required
def join(request, municipality_slug: str):
    """Join a queue from home: the waits per queue now, then a ticket at the back of one (the
    expected wait on it), followed on the ticket's own page."""
    municipality = request.municipality
    offices = list(selectors.offices_of(municipality))
    if request.method == "POST":
        category = (
            QueueCategory.objects.filter(
                municipality=municipality, office__in=offices, pk=request.POST.get("category") or 0
            ).first()
            if (request.POST.get("category") or "").isdigit()
            else None
        )
        if category is None:
            raise Http404
        try:
            ticket = services.issue_ticket(
                category.office,
                category=category,
                channel=Channel.ONLINE,
                nid=request.user.nid if request.user.nid_verified else "",
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("floor:ticket", municipality_slug=municipality_slug, code=ticket.code)
    return render(
        request,
        "floor/join.html",
        {"offices": [{"office": o, "waits": selectors.category_waits(o)} for o in offices]},
    )


# --- appointments -----------------------------------------------------------------------------


def _slot_choices(category, days: int = 7) -> list[tuple[str, str]]:
    today = timezone.localdate()
    out = []
    for offset in range(days):
        day = today + dt.timedelta(days=offset)
        for start, left in selectors.free_slots(category, day):
            local = timezone.localtime(start)
            out.append(
                (
                    start.isoformat(),
                    _("%(day)s at %(time)s (%(left)s free)")
                    % {
                        "day": local.strftime("%d.%m.%Y"),
                        "time": local.strftime("%H:%M"),
                        "left": left,
                    },
                )
            )
    return out


@login_required
def appointments(request, municipality_slug: str):
    """The resident's appointments in this municipality, and booking one."""
    municipality = request.municipality
    offices = list(selectors.offices_of(municipality))
    categories = [c for o in offices for c in selectors.categories_of(o) if c.slot_capacity]
    chosen = None
    raw = request.POST.get("category") or request.GET.get("category")
    if raw:
        chosen = next((c for c in categories if str(c.pk) == raw), None)
    chosen = chosen or (categories[0] if categories else None)
    slots = _slot_choices(chosen) if chosen else []
    form = BookingForm(
        request.POST or None,
        categories=categories,
        slots=slots,
        initial={"category": chosen.pk if chosen else None},
    )
    rebook = None
    code = request.POST.get("rebook") or request.GET.get("rebook") or ""
    if code:
        rebook = selectors.appointment_by_code(municipality, code)
        if rebook is None or rebook.user_id != request.user.pk:
            raise Http404
    if request.method == "POST" and chosen is not None and form.is_valid():
        slot = dt.datetime.fromisoformat(form.cleaned_data["slot"])
        try:
            if rebook is not None:
                booked = services.rebook_appointment(rebook, slot_start=slot, actor=request.user)
            else:
                booked = services.book_appointment(
                    chosen,
                    slot_start=slot,
                    user=request.user,
                    nid=request.user.nid or "",
                    actor=request.user,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Booked for %(time)s. Your booking code is %(code)s.")
                % {
                    "time": timezone.localtime(booked.slot_start).strftime("%d.%m.%Y %H:%M"),
                    "code": booked.code,
                },
            )
            return redirect("floor:appointments", municipality_slug=municipality_slug)
    mine = (
        Appointment.objects.filter(municipality=municipality, user=request.user)
        .select_related("office", "category")
        .order_by("-slot_start")[:20]
    )
    return render(
        request,
        "floor/appointments.html",
        {
            "form": form,
            "chosen": chosen,
            "has_slots": bool(slots),
            "appointments": mine,
            "rebook": rebook,
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def cancel_appointment(request, municipality_slug: str, code: str):
    appointment = selectors.appointment_by_code(request.municipality, code)
    if appointment is None or appointment.user_id != request.user.pk:
        raise Http404
    try:
        services.cancel_appointment(appointment, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your appointment is cancelled."))
    return redirect("floor:appointments", municipality_slug=municipality_slug)


# --- signing in at the kiosk with the NID and a code by SMS; the resident's certificates -------

KIOSK_NID = "floor_kiosk_nid"
KIOSK_NEXT = "floor_kiosk_next"


def _needs_sign_in(device: Device) -> None:
    """Signing in serves printing one's certificates (apply) and paying (pay)."""
    if not {Device.Function.APPLY, Device.Function.PAY} & set(device.functions):
        raise Http404(_("This kiosk does not offer that."))


@device_page(Device.Kind.KIOSK)
@never_cache
def kiosk_sign_in(request, device: Device):
    """Step 1: the NID. The answer is the same whether or not the number has an account."""
    _needs_sign_in(device)
    form = KioskNidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            nid = kiosk_sign_in_service.normalised_nid(form.cleaned_data["nid"])
            kiosk_sign_in_service.send_code(device, nid)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[KIOSK_NID] = nid
            if request.GET.get("next") == "pay":
                request.session[KIOSK_NEXT] = "pay"
            request.session.set_expiry(device.idle_seconds)
            return redirect(
                "floor:kiosk-sign-in-code",
                municipality_slug=device.office.municipality.slug,
                token=request.resolver_match.kwargs["token"],
            )
    return render(
        request,
        "floor/kiosk/sign_in.html",
        _kiosk_context(device, form=form, eid=kiosk_eid.offered(device)),
        status=400 if form.errors else 200,
    )


@device_page(Device.Kind.KIOSK)
@never_cache
def kiosk_sign_in_code(request, device: Device):
    """Step 2: the code from the SMS; then the kiosk session (it ends after the idle time)."""
    from django.contrib.auth import login

    from sportel.accounts.middleware import start_kiosk_session

    _needs_sign_in(device)
    token = request.resolver_match.kwargs["token"]
    slug = device.office.municipality.slug
    nid = request.session.get(KIOSK_NID)
    if not nid:
        return redirect("floor:kiosk-sign-in", municipality_slug=slug, token=token)
    form = KioskCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = kiosk_sign_in_service.sign_in(device, nid, form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session.pop(KIOSK_NID, None)
            then = request.session.pop(KIOSK_NEXT, None)
            login(request, user, backend="sportel.accounts.backends.LoginBackend")
            start_kiosk_session(request, slug)
            return _after_sign_in(device, token, then)
    return render(
        request,
        "floor/kiosk/sign_in_code.html",
        _kiosk_context(device, form=form),
        status=400 if form.errors else 200,
    )


KIOSK_EID_ERROR = "floor_kiosk_eid_error"


def _after_sign_in(device: Device, token: str, then: str | None):
    """Where a resident goes once signed in at the kiosk: paying when they came for it (or
    when the kiosk only offers that), their certificates otherwise."""
    slug = device.office.municipality.slug
    if Device.Function.PAY in device.functions and (
        then == "pay" or Device.Function.APPLY not in device.functions
    ):
        return redirect("floor:kiosk-pay", municipality_slug=slug, token=token)
    return redirect("floor:kiosk-documents", municipality_slug=slug, token=token)


@device_page(Device.Kind.KIOSK)
@never_cache
def kiosk_sign_in_eid(request, device: Device):
    """Sign in with the national eID: a page that says what happens, and a button that ends
    anything left of the person before and sends the kiosk's browser to the provider."""
    if not kiosk_eid.offered(device):
        raise Http404(_("This kiosk does not offer that."))
    token = request.resolver_match.kwargs["token"]
    then = "pay" if request.GET.get("next") == "pay" or request.POST.get("next") == "pay" else ""
    if request.method == "POST":
        if kiosk_eid.session_open(request, device):
            # Someone is still signed in here: the start screen ends that first.
            return redirect(_start_path(request, device))
        return redirect(
            kiosk_eid.authorization_url(
                request, device, token=token, then=then, language=get_language()
            )
        )
    error = kiosk_eid.MESSAGES.get(request.session.pop(KIOSK_EID_ERROR, None) or "")
    response = render(
        request,
        "floor/kiosk/sign_in_eid.html",
        _kiosk_context(device, error=error, then=then),
        status=400 if error else 200,
    )
    # The form's answer sends the browser on to the provider: CSP form-action must allow it.
    response["Content-Security-Policy"] = kiosk_eid.content_security_policy()
    return response


@never_cache
def eid_callback(request):
    """The provider's answer (``/oidc/kiosk/callback/``): the resident is signed in for a kiosk
    session on the kiosk that started it, or told why not on that kiosk's eID page."""
    from django.contrib.auth import login
    from django.utils import translation

    from sportel.accounts.middleware import start_kiosk_session

    try:
        done = kiosk_eid.complete(request)
    except kiosk_eid.Refused as refused:
        pending_token = refused.token
        if refused.device is not None and pending_token:
            request.session[KIOSK_EID_ERROR] = refused.code
            with translation.override(refused.language or get_language()):
                to = reverse(
                    "floor:kiosk-sign-in-eid",
                    kwargs={
                        "municipality_slug": refused.device.office.municipality.slug,
                        "token": pending_token,
                    },
                )
            return redirect(to)
        with translation.override(refused.language or get_language()):
            return render(
                request,
                "floor/eid_refused.html",
                {"message": kiosk_eid.MESSAGES[refused.code]},
                status=400,
            )
    device = done.device
    slug = device.office.municipality.slug
    login(request, done.user, backend="sportel.accounts.backends.LoginBackend")
    start_kiosk_session(request, slug)
    request.session[kiosk_eid.SIGNED_IN] = done.session.pk
    with translation.override(done.language or get_language()):
        return _after_sign_in(device, done.token, done.then)


@never_cache
def eid_logged_out(request):
    """The provider's logout came back (``/oidc/kiosk/logged-out/``): the kiosk's start screen."""
    return redirect(kiosk_eid.returned(request) or "/")


@device_page(Device.Kind.KIOSK)
@never_cache
def kiosk_documents(request, device: Device):
    """The signed-in resident's own certificates in this municipality, to print (opened in the
    kiosk's viewer, never cached; nothing is downloaded or kept on the kiosk)."""
    from sportel.accounts.middleware import kiosk_of
    from sportel.services.selectors import cases_of

    _needs(device, Device.Function.APPLY)
    slug = device.office.municipality.slug
    if not request.user.is_authenticated or kiosk_of(request) != slug:
        return redirect(
            "floor:kiosk-sign-in",
            municipality_slug=slug,
            token=request.resolver_match.kwargs["token"],
        )
    cases = list(cases_of(request.user, device.office.municipality).exclude(document_code=""))
    return render(request, "floor/kiosk/documents.html", _kiosk_context(device, cases=cases))


def _kiosk_user(request, device: Device):
    """The resident signed in on this kiosk's municipality (a kiosk session), or None."""
    from sportel.accounts.middleware import kiosk_of

    if request.user.is_authenticated and kiosk_of(request) == device.office.municipality.slug:
        return request.user
    return None


@device_page(Device.Kind.KIOSK)
@never_cache
def kiosk_pay(request, device: Device):
    """The signed-in resident's open tax bills, each paid through the configured provider; a
    paid one goes to its printable receipt, anything else says what happened and what to do."""
    import uuid

    from . import kiosk_payments

    _needs(device, Device.Function.PAY)
    token = request.resolver_match.kwargs["token"]
    slug = device.office.municipality.slug
    user = _kiosk_user(request, device)
    if user is None:
        return redirect(
            reverse("floor:kiosk-sign-in", kwargs={"municipality_slug": slug, "token": token})
            + "?next=pay"
        )
    attempt, error, status = None, None, 200
    if request.method == "POST":
        try:
            attempt = kiosk_payments.pay(
                device,
                user,
                reference=request.POST.get("reference", ""),
                checkout=request.POST.get("checkout", ""),
            )
        except ValidationError as exc:
            error, status = exc.messages[0], 400
        else:
            if attempt.state == attempt.State.PAID:
                return redirect(
                    "floor:kiosk-pay-receipt",
                    municipality_slug=slug,
                    token=token,
                    checkout=attempt.checkout,
                )
            status = 409 if attempt.state == attempt.State.PENDING else 502
    bills = kiosk_payments.bills(user, device.office.municipality)
    for bill in bills:
        bill["checkout"] = uuid.uuid4().hex  # one per bill and page: a double tap repeats it
    return render(
        request,
        "floor/kiosk/pay.html",
        _kiosk_context(
            device,
            bills=bills,
            attempt=attempt,
            error=error,
            sandbox=kiosk_payments.is_sandbox(),
        ),
        status=status,
    )


@device_page(Device.Kind.KIOSK)
@never_cache
def kiosk_pay_receipt(request, device: Device, checkout: str):
    """The receipt of a payment made at a kiosk, print-ready on the 80 mm printer; only for the
    resident who paid, while their kiosk session lasts."""
    from . import kiosk_payments

    _needs(device, Device.Function.PAY)
    user = _kiosk_user(request, device)
    if user is None:
        return redirect(
            "floor:kiosk",
            municipality_slug=device.office.municipality.slug,
            token=request.resolver_match.kwargs["token"],
        )
    found = kiosk_payments.receipt(device, user, checkout)
    if found is None:
        raise Http404(_("There is no such receipt."))
    return render(request, "floor/kiosk/pay_receipt.html", _kiosk_context(device, **found))


@device_page(Device.Kind.KIOSK)
@require_POST
def kiosk_finish(request, device: Device):
    """Finish: the resident is logged out here, and the start screen (where the kiosk goes)
    ends their session at the eID provider too when they signed in with it."""
    from django.contrib.auth import logout

    logout(request)
    return redirect(_start_path(request, device))


# --- tickets by SMS: the gateway's signed webhook ---------------------------------------------


@csrf_exempt
@require_POST
def sms_inbound(request, municipality_slug: str):
    """``{"id": <gateway message id>, "from": "+355…", "text": "<office code> <letter>"}``,
    signed (see ``sms_tickets``); answers ``{"reply": ...}`` and sends the reply by SMS."""
    import json

    from . import sms_tickets

    if not sms_tickets.signature_ok(
        request.body,
        request.headers.get("X-Sportel-Timestamp", ""),
        request.headers.get("X-Sportel-Signature", ""),
    ):
        return JsonResponse(
            {"detail": "The signature is missing, wrong or too old.", "code": "bad_signature"},
            status=403,
        )
    try:
        payload = json.loads(request.body)
        message_id, sender, text = str(payload["id"]), str(payload["from"]), str(payload["text"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {"detail": "Send id, from and text as JSON.", "code": "invalid"}, status=400
        )
    if not message_id or not sender:
        return JsonResponse({"detail": "id and from are required.", "code": "invalid"}, status=400)
    row = sms_tickets.handle(request.municipality, message_id=message_id, sender=sender, text=text)
    return JsonResponse({"reply": row.reply, "ticket": row.ticket.number if row.ticket else None})
