"""Staff pages of the floor under ``/<municipality_slug>/staff/floor/``: the clerk's counter
screen, the manager's office status and reports, the administrator's devices.

Views are thin: they parse, call ``services``/``actions``/``selectors`` and render. Actions are
POST forms followed by a redirect; a refusal (a colleague called the ticket a moment before, a
transfer to another office) is shown as the services' message and changes nothing.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportel.accounts.decorators import staff_required
from sportel.services.forms import add_service_errors

from . import actions, configuration, reports, selectors, services, workflow
from .forms import (
    CategoryForm,
    CounterForm,
    DeviceForm,
    OfficeForm,
    TicketForm,
    TransferForm,
)
from .models import Channel, Counter, Device, Office, QueueCategory


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You do not have permission to do this in this municipality.")


def _to_counter(slug: str):
    return redirect("floor-staff:counter", municipality_slug=slug)


# --- the counter screen -----------------------------------------------------------------------


def _counter_context(request, session, ticket_form=None) -> dict:
    municipality = request.municipality
    if session is None:
        offices = list(selectors.offices_of(municipality))
        taken = {s.counter_id: s for s in selectors.open_sessions_in(municipality)}
        return {
            "session": None,
            "offices": [{"office": o, "counters": list(selectors.counters_of(o))} for o in offices],
            "taken": taken,
        }
    counter = session.counter
    office = counter.office
    current = selectors.current_at(counter)
    now = timezone.now()
    waiting = list(selectors.waiting_for(counter).select_related("category")[:50])
    current_actions = (
        [
            a
            for a in actions.available_actions(current, request.user, counter)
            if a.name != "transfer"
        ]
        if current
        else []
    )
    counter_form_url = ""
    if current is not None:
        query = {"nid": current.nid} if current.nid else {}
        if current.service_id:
            query["service"] = current.service.code
        counter_form_url = reverse(
            "services-staff:counter", kwargs={"municipality_slug": municipality.slug}
        ) + (f"?{urlencode(query)}" if query else "")
    return {
        "session": session,
        "counter": counter,
        "office": office,
        "current": current,
        "current_state": workflow.state_label(current.state) if current else "",
        "current_actions": current_actions,
        "can_transfer": current is not None
        and actions.refusal(current, request.user, "transfer", counter) is None,
        "transfer_form": TransferForm(
            categories=selectors.categories_of(office),
            counters=selectors.counters_of(office).exclude(pk=counter.pk),
        ),
        "counter_form_url": counter_form_url,
        "cases": list(current.cases.select_related("case")) if current else [],
        "waiting": [
            {"ticket": t, "minutes": int((now - t.issued_at).total_seconds() // 60)}
            for t in waiting
        ],
        "on_hold": list(selectors.on_hold_at(counter).select_related("category")),
        "ticket_form": ticket_form
        or TicketForm(categories=selectors.categories_of(office), prefix="reception"),
        "waits": selectors.category_waits(office),
    }


@staff_required("floor.counter")
def counter(request, municipality_slug: str):
    """Sign in at a counter; then who waits, the ticket at hand and its actions."""
    session = selectors.session_of(request.user, request.municipality)
    return render(request, "floor/staff/counter.html", _counter_context(request, session))


def _counter_of(request, pk) -> Counter:
    found = (
        Counter.objects.filter(municipality=request.municipality, pk=pk, is_active=True)
        .select_related("office")
        .first()
    )
    if found is None:
        raise Http404(_("There is no such counter."))
    return found


@staff_required("floor.counter")
@require_POST
def sign_in(request, municipality_slug: str):
    try:
        desk = _counter_of(request, int(request.POST.get("counter") or 0))
    except ValueError:
        raise Http404 from None
    try:
        services.open_session(desk, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("You are at counter %(number)s.") % {"number": desk.number})
    return _to_counter(municipality_slug)


@staff_required("floor.counter")
@require_POST
def sign_out(request, municipality_slug: str):
    session = selectors.session_of(request.user, request.municipality)
    if session is not None:
        services.close_session(session, actor=request.user)
        messages.success(request, _("You have left the counter."))
    return _to_counter(municipality_slug)


def _session_or_redirect(request):
    session = selectors.session_of(request.user, request.municipality)
    if session is None:
        messages.error(request, _("Sign in at a counter first."))
    return session


@staff_required("floor.counter")
@require_POST
def call_next(request, municipality_slug: str):
    session = _session_or_redirect(request)
    if session is not None:
        try:
            ticket = services.call_next(session.counter, actor=request.user)
        except ValidationError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("Ticket %(number)s is called.") % {"number": ticket.number})
    return _to_counter(municipality_slug)


@staff_required("floor.counter")
@require_POST
def ticket_action(request, municipality_slug: str, pk: int, action: str):
    """One of the action table's actions on one ticket, from this clerk's counter."""
    ticket = selectors.ticket_of(request.municipality, pk)
    if ticket is None:
        raise Http404(_("There is no such ticket."))
    if action not in actions.ACTIONS:
        raise Http404
    session = _session_or_redirect(request)
    if session is None:
        return _to_counter(municipality_slug)
    params = {}
    if action == "transfer":
        params = _transfer_params(request, ticket)
    try:
        done = actions.perform(
            ticket, action, actor=request.user, counter=session.counter, **params
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, actions.ACTIONS[action].done % {"number": done.number})
    return _to_counter(municipality_slug)


def _transfer_params(request, ticket) -> dict:
    """The transfer's target, looked up in the whole municipality so that a counter of another
    office is refused by the service with its reason (not silently ignored)."""
    params = {}
    for field, model in (("category", QueueCategory), ("to_counter", Counter)):
        raw = request.POST.get(field) or ""
        if raw:
            try:
                found = model.objects.filter(municipality=request.municipality, pk=int(raw)).first()
            except ValueError:
                found = None
            if found is None:
                raise Http404
            params[field] = found
    return params


@staff_required("floor.counter")
def reception(request, municipality_slug: str):
    """A clerk at reception hands out a ticket (the same queue as the kiosk's)."""
    session = selectors.session_of(request.user, request.municipality)
    if session is None or request.method != "POST":
        return _to_counter(municipality_slug)
    office = session.counter.office
    categories = selectors.categories_of(office)
    form = TicketForm(request.POST, categories=categories, prefix="reception")
    if form.is_valid():
        try:
            ticket = services.issue_ticket(
                office,
                category=categories.get(pk=form.cleaned_data["category"]),
                channel=Channel.RECEPTION,
                priority=form.cleaned_data["priority"],
                nid=form.cleaned_data["nid"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s is issued.") % {"number": ticket.number})
            return _to_counter(municipality_slug)
    context = _counter_context(request, session, ticket_form=form)
    return render(request, "floor/staff/counter.html", context, status=400)


# --- the manager's office status and reports --------------------------------------------------


def _office(request, slug) -> Office:
    office = selectors.office_by_slug(request.municipality, slug)
    if office is None:
        raise Http404(_("There is no such office."))
    return office


@staff_required("floor.status")
def offices(request, municipality_slug: str):
    return render(
        request,
        "floor/staff/offices.html",
        {"offices": list(selectors.offices_of(request.municipality))},
    )


@staff_required("floor.status")
def office_status(request, municipality_slug: str, office: str):
    found = _office(request, office)
    return render(
        request,
        "floor/staff/status.html",
        {"office": found, "status": selectors.office_status(found)},
    )


@staff_required("floor.status")
def report(request, municipality_slug: str, fmt: str):
    """Waits and service times per day, hour, office, queue, service and clerk (CSV or XLSX)."""
    today = timezone.localdate()
    try:
        start = dt.date.fromisoformat(
            request.GET.get("from") or (today - dt.timedelta(days=28)).isoformat()
        )
        end = dt.date.fromisoformat(request.GET.get("to") or today.isoformat())
    except ValueError:
        return HttpResponse(
            _("Give the dates as YYYY-MM-DD."), status=400, content_type="text/plain; charset=utf-8"
        )
    if end < start or (end - start).days > 366:
        return HttpResponse(
            _("Choose a period of at most one year, ending after it starts."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    rows = selectors.report_rows(request.municipality, start=start, end=end)
    name = f"floor-{request.municipality.slug}-{start}-{end}"
    if fmt == "xlsx":
        response = HttpResponse(
            reports.xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    else:
        response = HttpResponse(reports.csv_text(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# --- the administrator's devices --------------------------------------------------------------


@staff_required("floor.configure")
def devices(request, municipality_slug: str):
    municipality = request.municipality
    office_list = list(selectors.offices_of(municipality))
    form = DeviceForm(request.POST or None, offices=office_list)
    new_token = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        office = next(o for o in office_list if o.pk == data["office"])
        try:
            device, token = services.register_device(
                office,
                kind=data["kind"],
                name=data["name"],
                functions=data["functions"],
                idle_seconds=data["idle_seconds"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            name = "floor:screen" if device.kind == Device.Kind.SCREEN else "floor:kiosk"
            new_token = {
                "device": device,
                "url": request.build_absolute_uri(
                    reverse(name, kwargs={"municipality_slug": municipality.slug, "token": token})
                ),
            }
            form = DeviceForm(offices=office_list)
    return render(
        request,
        "floor/staff/devices.html",
        {
            "form": form,
            "new_token": new_token,
            "devices": Device.objects.filter(municipality=municipality)
            .select_related("office")
            .order_by("revoked_at", "office__name_sq", "name"),
        },
        status=400 if form.errors else 200,
    )


@staff_required("floor.configure")
@require_POST
def revoke_device(request, municipality_slug: str, pk: int):
    device = Device.objects.filter(municipality=request.municipality, pk=pk).first()
    if device is None:
        raise Http404
    services.revoke_device(device, actor=request.user)
    messages.success(request, _("%(name)s can no longer be used.") % {"name": device.name})
    return redirect("floor-staff:devices", municipality_slug=municipality_slug)


# --- the administrator's office set-up --------------------------------------------------------


def _office_form(request, office=None, data=None):
    initial = {}
    if office is not None:
        initial = {
            "name_sq": office.name_sq,
            "name_en": office.name_en,
            "unit": office.unit_id,
            "address": office.address,
        }
        for day in range(7):
            initial[f"hours_{day}"] = configuration.hours_as_text(office, day)
        for place, group in enumerate(office.priority_order or [], start=1):
            initial[f"priority_{place}"] = group
    return OfficeForm(
        data,
        initial=initial,
        units=request.municipality.units.all(),
        creating=office is None,
        priorities=configuration.priority_choices(),
    )


def _save_office(request, form, office=None):
    """The service's refusal on the form (None), or the saved office."""
    if not form.is_valid():
        return None
    try:
        return configuration.save_office(
            request.municipality, actor=request.user, data=form.service_data(), office=office
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


@staff_required("floor.configure")
def configure_offices(request, municipality_slug: str):
    """The municipality's offices, and a new one."""
    form = _office_form(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        office = _save_office(request, form)
        if office is not None:
            messages.success(request, _("%(name)s is created.") % {"name": office.name})
            return redirect(
                "floor-staff:configure-office",
                municipality_slug=municipality_slug,
                office=office.slug,
            )
    return render(
        request,
        "floor/staff/configure_offices.html",
        {
            "form": form,
            "offices": list(
                Office.objects.filter(municipality=request.municipality).select_related("unit")
            ),
        },
        status=400 if form.errors else 200,
    )


def _configured_office(request, slug) -> Office:
    found = Office.objects.filter(municipality=request.municipality, slug=slug).first()
    if found is None:
        raise Http404(_("There is no such office."))
    return found


@staff_required("floor.configure")
def configure_office(request, municipality_slug: str, office: str):
    """One office: its unit, hours and priority order; its queues and counters."""
    found = _configured_office(request, office)
    form = _office_form(request, found, request.POST if request.method == "POST" else None)
    if request.method == "POST" and _save_office(request, form, found) is not None:
        messages.success(request, _("The office is saved."))
        return redirect(
            "floor-staff:configure-office", municipality_slug=municipality_slug, office=found.slug
        )
    return render(
        request,
        "floor/staff/configure_office.html",
        {
            "office": found,
            "form": form,
            "categories": list(
                selectors.categories_of(found).prefetch_related("services__current_version")
            ),
            "counters": list(Counter.objects.filter(office=found).prefetch_related("categories")),
        },
        status=400 if form.errors else 200,
    )


def _services_of(municipality):
    from sportel.services.models import ServiceType

    return ServiceType.objects.filter(municipality=municipality, is_active=True).select_related(
        "current_version"
    )


@staff_required("floor.configure")
def configure_category(request, municipality_slug: str, office: str, pk: int | None = None):
    """A new queue of the office, or one of its queues: letter, names, services, minutes, slots."""
    found = _configured_office(request, office)
    category = None
    if pk is not None:
        category = QueueCategory.objects.filter(office=found, pk=pk).first()
        if category is None:
            raise Http404
    initial = {"default_service_minutes": 6, "slot_minutes": 15, "slot_capacity": 0, "order": 10}
    if category is not None:
        initial = {
            "letter": category.letter,
            "name_sq": category.name_sq,
            "name_en": category.name_en,
            "services": list(category.services.values_list("pk", flat=True)),
            "default_service_minutes": category.default_service_minutes,
            "slot_minutes": category.slot_minutes,
            "slot_capacity": category.slot_capacity,
            "order": category.order,
        }
    form = CategoryForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        services=_services_of(request.municipality),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = configuration.save_category(
                found, actor=request.user, data=form.cleaned_data, category=category
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Queue %(letter)s is saved.") % {"letter": saved.letter})
            return redirect(
                "floor-staff:configure-office",
                municipality_slug=municipality_slug,
                office=found.slug,
            )
    return render(
        request,
        "floor/staff/configure_item.html",
        {
            "office": found,
            "form": form,
            "heading": _("Queue %(letter)s") % {"letter": category.letter}
            if category
            else _("A new queue"),
        },
        status=400 if form.errors else 200,
    )


@staff_required("floor.configure")
def configure_counter(request, municipality_slug: str, office: str, pk: int | None = None):
    """A new counter of the office, or one of its counters: number, queues, open or closed."""
    found = _configured_office(request, office)
    desk = None
    if pk is not None:
        desk = Counter.objects.filter(office=found, pk=pk).first()
        if desk is None:
            raise Http404
    initial = {"is_active": True}
    if desk is not None:
        initial = {
            "number": desk.number,
            "categories": list(desk.categories.values_list("pk", flat=True)),
            "is_active": desk.is_active,
        }
    form = CounterForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        categories=selectors.categories_of(found),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = configuration.save_counter(
                found, actor=request.user, data=form.cleaned_data, counter=desk
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Counter %(number)s is saved.") % {"number": saved.number})
            return redirect(
                "floor-staff:configure-office",
                municipality_slug=municipality_slug,
                office=found.slug,
            )
    return render(
        request,
        "floor/staff/configure_item.html",
        {
            "office": found,
            "form": form,
            "heading": _("Counter %(number)s") % {"number": desk.number}
            if desk
            else _("A new counter"),
        },
        status=400 if form.errors else 200,
    )
