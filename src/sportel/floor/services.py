"""Every write on the floor: tickets, calls, clerk sessions, appointments, devices.

Each function validates, runs in one transaction, locks what two people could change at once
(the ticket row, the day's ticket counter, the slot's load), appends the ticket's history row and
an audit entry, and tells listeners on commit (:data:`ticket_changed`). Refusals are
``ValidationError`` with a code and a message for the person; nothing is written then.
"""

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.accounts.permissions import has_permission
from sportel.core import audit
from sportel.core.identifiers import check_identifier

from . import selectors, workflow
from .models import (
    CHECK_IN_EARLY,
    CHECK_IN_LATE,
    RANK_APPOINTMENT,
    RANK_NONE,
    Appointment,
    Channel,
    ClerkSession,
    Counter,
    Device,
    Office,
    Priority,
    QueueCategory,
    SlotLoad,
    Ticket,
    TicketCase,
    TicketCounter,
    TicketEvent,
)
from .rules import precondition_refusal

# Sent on commit after every change of a ticket: ticket_changed.send(sender=Ticket, ticket=,
# action=). The screens and dashboards listen; a refusal or a rollback sends nothing.
ticket_changed = Signal()

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _code(length: int = 12) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def _refuse(message: str, code: str, field: str | None = None) -> ValidationError:
    return ValidationError(
        {field: [ValidationError(message, code=code)]} if field else message, code=code
    )


# --- numbering --------------------------------------------------------------------------------


def next_ticket_number(
    category: QueueCategory, day: dt.date, *, ahead_of: tuple[int, dt.datetime] | None = None
) -> tuple[int, str, int | None]:
    """Take the next number of ``category`` on ``day`` (``A-001``); inside the caller's
    transaction. One ``UPDATE … RETURNING`` locks the day's counter row until the transaction
    ends, so a rollback gives the number back and two requests never share one (gap-free).

    With ``ahead_of=(rank, order_at)`` the same statement also counts the tickets waiting in
    the queue that will be called before such a ticket (``selectors.ahead_count``), read under
    the counter's lock: no second round trip, and no ticket of the queue slips in between."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_ticket_number must run inside the transaction that uses it")
    table = TicketCounter._meta.db_table
    returning, extra = '"last"', []
    if ahead_of is not None:
        rank, order_at = ahead_of
        returning += (
            f', (SELECT COUNT(*) FROM "{Ticket._meta.db_table}" WHERE "category_id" = %s'  # noqa: S608
            ' AND "state" = %s AND ("rank" < %s OR ("rank" = %s AND "order_at" < %s)))'
        )
        at = connection.ops.adapt_datetimefield_value(order_at)
        extra = [category.pk, workflow.WAITING, rank, rank, at]
    sql = (
        f'UPDATE "{table}" SET "last" = "last" + 1 '  # noqa: S608 -- our own table names
        f'WHERE "category_id" = %s AND "day" = %s RETURNING {returning}'
    )
    params = [category.pk, day, *extra]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    TicketCounter.objects.create(
                        municipality_id=category.municipality_id, category=category, day=day
                    )
            except IntegrityError:
                pass  # another request created today's row first: update theirs
            cursor.execute(sql, params)
            row = cursor.fetchone()
    seq = row[0]
    return seq, f"{category.letter}-{seq:03d}", (row[1] if ahead_of is not None else None)


# --- issuing ----------------------------------------------------------------------------------


def _rank(office: Office, priority: str) -> int:
    if not priority:
        return RANK_NONE
    order = office.priority_order or []
    return order.index(priority) + 1 if priority in order else RANK_NONE - 1


def issue_ticket(
    office: Office,
    *,
    category: QueueCategory,
    channel: str,
    priority: str = "",
    service=None,
    nid: str = "",
    actor=None,
    appointment: Appointment | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """A new ticket at the back of its category (a priority group or a checked-in appointment
    goes ahead of the rest). Refused when the office is closed or no counter serving the
    category is open now, since nobody would call it."""
    now = now or timezone.now()
    if category.office_id != office.pk or category.municipality_id != office.municipality_id:
        raise _refuse(_("Choose one of this office's queues."), "unknown_category", "category")
    if channel not in Channel.values:
        raise _refuse(_("Unknown channel."), "invalid", "channel")
    if priority not in Priority.values:
        raise _refuse(_("Choose one of the priority groups."), "invalid", "priority")
    nid = (nid or "").strip().upper()
    if nid:
        check = check_identifier(nid)
        if check.error:
            raise _refuse(check.error, "invalid_nid", "nid")
        nid = check.value
    if service is not None and not category.services.filter(pk=service.pk).exists():
        raise _refuse(_("This queue does not serve that service."), "unknown_service", "service")
    if not office.is_active or not selectors.is_open(office, now):
        raise _refuse(
            _("%(office)s is closed now. Opening hours: %(hours)s.")
            % {"office": office.name, "hours": selectors.hours_text(office)},
            "office_closed",
        )
    counters = len(set(selectors.open_counter_ids(category)))
    if not counters:
        raise _refuse(
            _("No counter serving “%(category)s” is open now. Please ask at reception.")
            % {"category": category.name},
            "no_counter_open",
            "category",
        )
    if appointment is not None:
        rank, order_at = RANK_APPOINTMENT, max(appointment.slot_start, now)
    else:
        rank, order_at = _rank(office, priority), now
    day = timezone.localdate(now)
    selectors.service_minutes(category)  # read (or cached) before the counter row is locked
    with transaction.atomic(), audit.deferred():
        seq, number, ahead = next_ticket_number(category, day, ahead_of=(rank, order_at))
        wait = selectors.expected_wait_minutes(category, counters=counters, ahead=ahead)
        ticket = Ticket(
            municipality_id=office.municipality_id,
            office=office,
            category=category,
            day=day,
            seq=seq,
            number=number,
            code=_code(),
            channel=channel,
            priority=priority,
            rank=rank,
            order_at=order_at,
            service=service,
            nid=nid,
            expected_wait_minutes=wait,
            state=workflow.WAITING,
            state_changed_at=now,
            issued_at=now,
        )
        _insert_with_event(
            ticket,
            _event_row(
                ticket,
                "issue",
                "",
                workflow.WAITING,
                actor=actor,
                now=now,
                data={"channel": channel},
            ),
        )
        audit.record(
            "ticket.issue",
            actor=actor,
            municipality=office.municipality,
            obj=ticket,
            data={"number": number, "office": office.slug, "channel": channel},
        )
    _signal(ticket, "issue")
    return ticket


def _insert_with_event(ticket: Ticket, event: TicketEvent) -> None:
    """Insert a new ticket and its first history row. On PostgreSQL one statement does both
    (a data-modifying ``WITH``: one round trip fewer per ticket issued); elsewhere two inserts.
    The columns are the models' own, prepared by their fields, so the two paths write the same."""
    if connection.vendor != "postgresql":
        ticket.save(force_insert=True)
        event.ticket = ticket
        event.save(force_insert=True)
        return

    def columns(model, obj, skip=()):
        fields = [
            f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in skip
        ]
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
        return names, values

    ticket_columns, ticket_values = columns(Ticket, ticket)
    event_columns, event_values = columns(TicketEvent, event, skip=("ticket_id",))
    sql = (
        f"WITH t AS (INSERT INTO {connection.ops.quote_name(Ticket._meta.db_table)} "  # noqa: S608
        f"({ticket_columns}) VALUES ({', '.join(['%s'] * len(ticket_values))}) RETURNING id) "
        f"INSERT INTO {connection.ops.quote_name(TicketEvent._meta.db_table)} "
        f'({event_columns}, "ticket_id") '
        f"SELECT {', '.join(['%s'] * len(event_values))}, t.id FROM t RETURNING ticket_id, id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ticket_values, *event_values])
        ticket.pk, event.pk = cursor.fetchone()
    event.ticket = ticket
    for obj in (ticket, event):
        obj._state.adding, obj._state.db = False, connection.alias


def _event_row(
    ticket, action, from_state, to_state, *, actor=None, counter=None, now, data=None
) -> TicketEvent:
    """A history row of ``ticket``, not yet saved."""
    label = actor if isinstance(actor, str) else (actor.get_username() if actor else "")
    return TicketEvent(
        municipality_id=ticket.municipality_id,
        ticket_id=ticket.pk,
        at=now,
        action=action,
        from_state=from_state,
        to_state=to_state,
        counter=counter,
        actor=None if isinstance(actor, str) else actor,
        actor_label=label,
        data=data or {},
    )


def _event(ticket, action, from_state, to_state, *, actor=None, counter=None, now, data=None):
    label = actor if isinstance(actor, str) else (actor.get_username() if actor else "")
    return TicketEvent.objects.create(
        municipality_id=ticket.municipality_id,
        ticket=ticket,
        at=now,
        action=action,
        from_state=from_state,
        to_state=to_state,
        counter=counter,
        actor=None if isinstance(actor, str) else actor,
        actor_label=label,
        data=data or {},
    )


def _signal(ticket: Ticket, action: str) -> None:
    transaction.on_commit(lambda: ticket_changed.send(sender=Ticket, ticket=ticket, action=action))


# --- clerk sessions ---------------------------------------------------------------------------


def open_session(counter: Counter, *, actor) -> ClerkSession:
    """The clerk signs in at ``counter`` for a shift (leaving any other counter they were at)."""
    if not has_permission(actor, counter.office.municipality, "floor.counter"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    now = timezone.now()
    with transaction.atomic():
        taken = (
            ClerkSession.objects.select_for_update()
            .filter(counter=counter, ended_at__isnull=True)
            .exclude(clerk=actor)
            .first()
        )
        if taken is not None:
            raise _refuse(
                _("Counter %(number)s is taken by a colleague. Choose another counter.")
                % {"number": counter.number},
                "counter_taken",
            )
        current = ClerkSession.objects.filter(clerk=actor, ended_at__isnull=True).first()
        if current is not None and current.counter_id == counter.pk:
            return current
        if current is not None:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        try:
            with transaction.atomic():
                session = ClerkSession.objects.create(
                    municipality_id=counter.municipality_id,
                    counter=counter,
                    clerk=actor,
                    started_at=now,
                )
        except IntegrityError:
            raise _refuse(
                _("Counter %(number)s is taken by a colleague. Choose another counter.")
                % {"number": counter.number},
                "counter_taken",
            ) from None
        audit.record(
            "floor.session_open",
            actor=actor,
            municipality=counter.office.municipality,
            obj=session,
            data={"office": counter.office.slug, "counter": counter.number},
        )
    transaction.on_commit(lambda: selectors.forget_open_counters(counter))
    return session


def close_session(session: ClerkSession, *, actor) -> None:
    if session.ended_at is not None:
        return
    with transaction.atomic():
        session.ended_at = timezone.now()
        session.save(update_fields=["ended_at"])
        audit.record(
            "floor.session_close",
            actor=actor,
            municipality=session.counter.office.municipality,
            obj=session,
            data={"counter": session.counter.number},
        )
        transaction.on_commit(lambda: selectors.forget_open_counters(session.counter))


# --- calling and serving ----------------------------------------------------------------------


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("counter", "office", "category")
        .get(pk=ticket.pk)
    )


def _move(
    ticket: Ticket, action: str, *, actor, counter: Counter | None, now=None, data=None, **fields
):
    """Lock the ticket, check the table again on the locked row, write state, event and audit."""
    now = now or timezone.now()
    locked = _locked(ticket)
    refused = precondition_refusal(locked, action, counter)
    if refused is not None:
        raise refused
    to_state = workflow.next_state(locked.state, action)
    from_state = locked.state
    locked.state = to_state
    locked.state_changed_at = now
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    _event(locked, action, from_state, to_state, actor=actor, counter=counter, now=now, data=data)
    audit.record(
        f"ticket.{action}",
        actor=actor,
        municipality=locked.office.municipality,
        obj=locked,
        role="clerk",
        data={
            "number": locked.number,
            "counter": counter.number if counter else None,
            **(data or {}),
        },
    )
    _signal(locked, action)
    return locked


def call(ticket: Ticket, *, actor, counter: Counter) -> Ticket:
    """Call ``ticket`` to ``counter``: the screens show and announce it. If another counter
    called it a moment before, this one is refused with that counter's number."""
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(ticket)
        return _move(
            locked,
            "call",
            actor=actor,
            counter=counter,
            now=now,
            counter_id=counter.pk,
            clerk=actor,
            called_at=now,
            first_called_at=locked.first_called_at or now,
            calls=locked.calls + 1,
            for_counter=None,
        )


def call_next(counter: Counter, *, actor) -> Ticket:
    """Call the head of this counter's queue: checked-in appointments, then priority groups in
    the office's order, then everyone else by the time they came. Two counters calling next at
    once get two different tickets (the head is taken with ``SKIP LOCKED`` on PostgreSQL)."""
    now = timezone.now()
    with transaction.atomic():
        head = (
            selectors.waiting_for(counter).select_for_update(skip_locked=True, of=("self",)).first()
        )
        if head is None:
            raise _refuse(_("Nobody is waiting for this counter."), "nobody_waiting")
        return _move(
            head,
            "call",
            actor=actor,
            counter=counter,
            now=now,
            counter_id=counter.pk,
            clerk=actor,
            called_at=now,
            first_called_at=head.first_called_at or now,
            calls=head.calls + 1,
            for_counter=None,
        )


def recall(ticket: Ticket, *, actor, counter: Counter) -> Ticket:
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(ticket)
        return _move(
            locked,
            "recall",
            actor=actor,
            counter=counter,
            now=now,
            called_at=now,
            calls=locked.calls + 1,
        )


def serve(ticket: Ticket, *, actor, counter: Counter) -> Ticket:
    now = timezone.now()
    with transaction.atomic():
        return _move(ticket, "serve", actor=actor, counter=counter, now=now, serving_since=now)


def hold(ticket: Ticket, *, actor, counter: Counter) -> Ticket:
    with transaction.atomic():
        return _move(ticket, "hold", actor=actor, counter=counter)


def no_show(ticket: Ticket, *, actor, counter: Counter) -> Ticket:
    now = timezone.now()
    with transaction.atomic():
        return _move(ticket, "no_show", actor=actor, counter=counter, now=now, finished_at=now)


def done(ticket: Ticket, *, actor, counter: Counter) -> Ticket:
    now = timezone.now()
    with transaction.atomic():
        return _move(ticket, "done", actor=actor, counter=counter, now=now, finished_at=now)


def transfer(
    ticket: Ticket,
    *,
    actor,
    counter: Counter | None,
    category: QueueCategory | None = None,
    to_counter: Counter | None = None,
) -> Ticket:
    """Send the ticket to another category or counter of the same office, where it waits again
    (at its old place in the order: the person has waited already)."""
    if category is None and to_counter is None:
        raise _refuse(_("Choose the queue or the counter to transfer to."), "required", "category")
    office_id = ticket.office_id
    if category is not None and category.office_id != office_id:
        raise _refuse(
            _("You can only transfer to a queue of the same office."), "other_office", "category"
        )
    if to_counter is not None and to_counter.office_id != office_id:
        raise _refuse(
            _("You can only transfer to a counter of the same office."),
            "other_office",
            "to_counter",
        )
    target_category = category or ticket.category
    if to_counter is not None and not to_counter.categories.filter(pk=target_category.pk).exists():
        raise _refuse(
            _("Counter %(number)s does not serve “%(category)s”.")
            % {"number": to_counter.number, "category": target_category.name},
            "not_served",
            "to_counter",
        )
    with transaction.atomic():
        return _move(
            ticket,
            "transfer",
            actor=actor,
            counter=counter,
            data={
                "category": target_category.letter,
                "to_counter": to_counter.number if to_counter else None,
            },
            category=target_category,
            for_counter=to_counter,
            counter_id=None,
            serving_since=None,
        )


def link_case(ticket: Ticket, case) -> TicketCase | None:
    """Record that ``case`` was filed while ``ticket`` was served (idempotent)."""
    with transaction.atomic():
        link, created = TicketCase.objects.get_or_create(
            case=case, defaults={"ticket": ticket, "municipality_id": ticket.municipality_id}
        )
        if created:
            audit.record(
                "ticket.link_case",
                actor="floor",
                municipality=ticket.office.municipality,
                obj=ticket,
                data={"number": ticket.number, "case": case.number},
            )
    return link


# --- appointments -----------------------------------------------------------------------------


def book_appointment(
    category: QueueCategory, *, slot_start: dt.datetime, user=None, nid: str = "", actor=None
) -> Appointment:
    """Book a slot, within the slot's capacity (the slot's load row is locked to count)."""
    office = category.office
    now = timezone.now()
    if category.slot_capacity == 0:
        raise _refuse(_("This queue takes no appointments."), "no_appointments", "category")
    if slot_start <= now:
        raise _refuse(_("Choose a time in the future."), "past", "slot")
    if slot_start not in selectors.slots(category, timezone.localdate(slot_start)):
        raise _refuse(_("Choose one of the offered times."), "not_a_slot", "slot")
    if nid:
        check = check_identifier(nid)
        if check.error:
            raise _refuse(check.error, "invalid_nid", "nid")
        nid = check.value
    with transaction.atomic():
        load, _created = SlotLoad.objects.get_or_create(
            category=category,
            slot_start=slot_start,
            defaults={"municipality_id": category.municipality_id},
        )
        load = SlotLoad.objects.select_for_update().get(pk=load.pk)
        if load.booked >= category.slot_capacity:
            raise _refuse(_("This time is fully booked. Choose another time."), "slot_full", "slot")
        load.booked += 1
        load.save(update_fields=["booked"])
        appointment = Appointment.objects.create(
            municipality_id=category.municipality_id,
            office=office,
            category=category,
            slot_start=slot_start,
            code=_code(8),
            user=user,
            nid=nid,
        )
        audit.record(
            "appointment.book",
            actor=actor or user,
            municipality=office.municipality,
            obj=appointment,
            data={
                "office": office.slug,
                "category": category.letter,
                "slot": slot_start.isoformat(),
            },
        )
    return appointment


def cancel_appointment(appointment: Appointment, *, actor=None) -> Appointment:
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.state != Appointment.State.BOOKED:
            raise _refuse(_("This appointment can no longer be cancelled."), "not_booked")
        SlotLoad.objects.select_for_update().filter(
            category=locked.category, slot_start=locked.slot_start
        ).update(booked=models_F_minus_one())
        locked.state = Appointment.State.CANCELLED
        locked.save(update_fields=["state"])
        audit.record(
            "appointment.cancel",
            actor=actor,
            municipality=locked.office.municipality,
            obj=locked,
            data={"code": locked.code},
        )
    return locked


def models_F_minus_one():
    from django.db.models import F

    return F("booked") - 1


def rebook_appointment(
    appointment: Appointment, *, slot_start: dt.datetime, actor=None
) -> Appointment:
    """Move a booking to another slot: the new one is booked and the old one cancelled together."""
    with transaction.atomic():
        new = book_appointment(
            appointment.category,
            slot_start=slot_start,
            user=appointment.user,
            nid=appointment.nid,
            actor=actor,
        )
        cancel_appointment(appointment, actor=actor)
        new.rebooked_from = appointment
        new.save(update_fields=["rebooked_from"])
    return new


def check_in(appointment: Appointment, *, actor=None, channel: str = Channel.APPOINTMENT) -> Ticket:
    """The resident is here: a ticket at the head of its category from its slot on."""
    now = timezone.now()
    if appointment.state != Appointment.State.BOOKED:
        raise _refuse(_("This appointment is not open for check-in."), "not_booked", "code")
    if now < appointment.slot_start - CHECK_IN_EARLY:
        raise _refuse(
            _("Check-in opens 30 minutes before your time (%(time)s).")
            % {"time": timezone.localtime(appointment.slot_start).strftime("%H:%M")},
            "too_early",
            "code",
        )
    if now > appointment.slot_start + CHECK_IN_LATE:
        raise _refuse(
            _("Your appointment time has passed. Please take a ticket."), "too_late", "code"
        )
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.state != Appointment.State.BOOKED:
            raise _refuse(_("This appointment is not open for check-in."), "not_booked", "code")
        ticket = issue_ticket(
            locked.office,
            category=locked.category,
            channel=channel,
            nid=locked.nid,
            actor=actor,
            appointment=locked,
            now=now,
        )
        locked.state = Appointment.State.CHECKED_IN
        locked.ticket = ticket
        locked.save(update_fields=["state", "ticket"])
        audit.record(
            "appointment.check_in",
            actor=actor,
            municipality=locked.office.municipality,
            obj=locked,
            data={"code": locked.code, "ticket": ticket.number},
        )
    return ticket


# --- devices ----------------------------------------------------------------------------------


def register_device(
    office: Office,
    *,
    kind: str,
    name: str,
    actor,
    functions: list[str] | None = None,
    idle_seconds: int = 60,
) -> tuple[Device, str]:
    """Register a kiosk or a screen; returns the device and its token (shown once, stored
    hashed)."""
    if not has_permission(actor, office.municipality, "floor.configure"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    if kind not in Device.Kind.values:
        raise _refuse(_("Choose a kiosk or a screen."), "invalid", "kind")
    functions = list(functions or ([] if kind == Device.Kind.SCREEN else Device.Function.values))
    if any(f not in Device.Function.values for f in functions):
        raise _refuse(_("Unknown kiosk function."), "invalid", "functions")
    if not 15 <= idle_seconds <= 900:
        raise _refuse(
            _("The idle time must be between 15 and 900 seconds."), "invalid", "idle_seconds"
        )
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        device = Device.objects.create(
            municipality_id=office.municipality_id,
            office=office,
            kind=kind,
            name=name.strip()[:100] or kind,
            token_hash=Device.hash_token(token),
            token_hint=token[:6],
            functions=functions,
            idle_seconds=idle_seconds,
        )
        audit.record(
            "floor.device_register",
            actor=actor,
            municipality=office.municipality,
            obj=device,
            data={"kind": kind, "office": office.slug, "functions": functions},
        )
    return device, token


def revoke_device(device: Device, *, actor) -> Device:
    if not has_permission(actor, device.office.municipality, "floor.configure"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    with transaction.atomic():
        locked = Device.objects.select_for_update().get(pk=device.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit.record(
                "floor.device_revoke",
                actor=actor,
                municipality=device.office.municipality,
                obj=locked,
                data={"kind": locked.kind},
            )
    return locked
