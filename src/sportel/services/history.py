"""How a case changes: lock the row, append the event, audit, notify, signal on commit.

Every write in :mod:`.applications`, :mod:`.instant` and :mod:`.casework` goes through these
helpers, so a status change is always one appended :class:`CaseEvent`, one audit entry in the
same transaction, the applicant's notification where the service says so, and
:data:`case_changed` once the transaction commits.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone, translation

from sportel.core import audit, prepared

from . import workflow
from .models import Case, CaseEvent

# Sent on commit after every change of a case: case_changed.send(sender=Case, case=, action=).
case_changed = Signal()


def lock(case: Case) -> Case:
    """Re-read the case under a row lock (only the case row: of=self)."""
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related(
            "service_version", "municipality", "applicant_person", "applicant_user", "service_type"
        )
        .get(pk=case.pk)
    )
    locked._last_event_seq = None  # locked: append_event may count events on from its first read
    return locked


_RELATED = ("service_version", "municipality", "applicant_person", "applicant_user", "service_type")


def lock_own_row(case: Case) -> Case:
    """Re-read only the case's own row under its lock, its related rows taken from ``case``.

    For a case opened or read earlier in the same request (an instant decision): the related
    rows :func:`lock` would join in again (service version and type, municipality, applicant)
    are the ones this request already holds, kept wherever the locked row still points at the
    same ones; anything else loads on use as usual. One plain row read instead of a five-table
    join (about 2 ms of CPU per instant certificate). The case's last event number comes
    with the row (the events that follow are numbered from it while the lock is held): one
    statement instead of two, written out (the ORM would spend more building it than the
    round trip costs)."""
    q = connection.ops.quote_name
    case_table, event_table = q(Case._meta.db_table), q(CaseEvent._meta.db_table)
    lock_clause = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT {prepared.columns(Case, 'c')}, (SELECT MAX(e.{q('seq')}) FROM {event_table} e"  # noqa: S608 -- our tables
        f" WHERE e.{q('case_id')} = c.{q('id')})"
        f" FROM {case_table} c WHERE c.{q('id')} = %s{lock_clause}"
    )
    # Read as prepared.instance reads a row: a raw queryset would spend ~0.5 ms of CPU
    # working out, for every call, which column is which field.
    with prepared.cursor() as cursor:
        cursor.execute(sql, [case.pk])
        row = cursor.fetchone()
    if row is None:
        raise Case.DoesNotExist(f"case {case.pk}")
    locked, end = prepared.instance(Case, row)
    last_event_seq = row[end] or 0
    version = case.service_version if Case.service_version.field.is_cached(case) else None
    for name in _RELATED:
        field = Case._meta.get_field(name)
        if getattr(locked, field.attname) != getattr(case, field.attname):
            continue
        if field.is_cached(case):
            field.set_cached_value(locked, field.get_cached_value(case))
        elif name == "service_type" and version is not None:
            cached = version._meta.get_field("service_type")
            if cached.is_cached(version) and version.service_type_id == locked.service_type_id:
                field.set_cached_value(locked, version.service_type)
    locked._last_event_seq = last_event_seq
    return locked


def refresh_caller(original: Case, locked: Case) -> Case:
    """Copy the saved state back into the caller's instance so it sees the change (not the
    locked instance's event count, which holds only while the lock does)."""
    original.__dict__.update(
        {
            k: v
            for k, v in locked.__dict__.items()
            if not k.startswith("_state") and k != "_last_event_seq"
        }
    )
    original._state.fields_cache = dict(locked._state.fields_cache)
    return original


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def user_or_none(actor):
    return actor if actor is not None and not isinstance(actor, str) else None


def _last_event_seq(case_id) -> int:
    """The case's last event number (0 before its first). Written out: on every change of a
    case, and the ORM spends ~0.4 ms of CPU building the aggregate."""
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    sql = f'SELECT MAX("seq") FROM {table} WHERE "case_id" = %s'  # noqa: S608 -- our own table
    with connection.cursor() as cursor:
        cursor.execute(sql, [case_id])
        row = cursor.fetchone()
    return (row[0] if row else None) or 0


def append_event(
    case: Case,
    *,
    actor,
    kind: str,
    action: str,
    from_status: str = "",
    to_status: str = "",
    visibility: str = CaseEvent.Visibility.PUBLIC,
    text: str = "",
    data: dict | None = None,
    first: bool = False,
    idempotency_key: str = "",
) -> CaseEvent:
    # On an instance from lock() the last number read stays the last while the lock is held:
    # read it once and count on from there (any other instance reads it every time).
    locked = "_last_event_seq" in case.__dict__
    last = 0 if first else (case._last_event_seq if locked else None)
    if last is None:
        last = _last_event_seq(case.pk)
    if locked:
        case._last_event_seq = last + 1
    event = CaseEvent(
        municipality_id=case.municipality_id,
        case=case,
        seq=last + 1,
        at=timezone.now(),
        actor=user_or_none(actor),
        actor_label=_actor_label(actor),
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        visibility=visibility,
        text=text,
        data=data or {},
        idempotency_key=idempotency_key,
    )
    batch = case.__dict__.get("_event_batch")
    if batch is not None:
        batch.events.append(event)  # written by batched_events() when its block ends
    else:
        event.save(force_insert=True)
    return event


class _EventBatch:
    def __init__(self):
        self.events: list[CaseEvent] = []
        self.fields: list[str] = []
        self.current: CaseEvent | None = None


@contextmanager
def batched_events(locked: Case):
    """Inside it, the events appended to ``locked`` (an instance from :func:`lock`) and the
    case's own changes by :func:`move` are kept, then written when the block ends: the events
    in one insert, the case in one update, in the same transaction. Several steps of one
    decision (approve, issue, close) then cost two statements instead of two per step. Nothing
    is written if the block raises (its transaction rolls back anyway). Inside the block an
    event has no primary key yet; everything else about it is as it will be stored."""
    if "_last_event_seq" not in locked.__dict__ or "_event_batch" in locked.__dict__:
        raise RuntimeError("batched_events() needs a case from lock(), not already batched")
    batch = locked._event_batch = _EventBatch()
    try:
        yield
    finally:
        del locked._event_batch
    if batch.events:
        _insert_events(batch.events)
        if batch.current is not None:
            locked.current_event = batch.current  # its id, known only now
    if batch.fields:
        prepared.update(locked, list(dict.fromkeys(batch.fields)))


def _insert_events(events: list[CaseEvent]) -> None:
    """``bulk_create`` of the events; on PostgreSQL one prepared statement written out (the
    ORM spends ~0.3-0.5 ms of CPU building it on every decision). No signals, as
    ``bulk_create``; the primary keys are set (RETURNING keeps the VALUES order)."""
    if not prepared.enabled():
        CaseEvent.objects.bulk_create(events)
        return
    params: list = []
    rows = []
    for event in events:
        columns, values = prepared.row(event)
        rows.append(prepared.placeholders(len(values)))
        params += values
    table = connection.ops.quote_name(CaseEvent._meta.db_table)
    with prepared.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {','.join(rows)} RETURNING id",  # noqa: S608
            params,
        )
        ids = [r[0] for r in cursor.fetchall()]
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding, event._state.db = False, connection.alias


def audit_case(case: Case, action: str, *, actor, role: str = "", data: dict | None = None) -> None:
    audit.record(
        f"case.{action}",
        actor=actor,
        municipality=case.municipality,
        obj=case,
        subject=case.applicant_person,
        subject_user=case.applicant_user,
        role=role,
        data={"number": case.number, **(data or {})},
    )


def signal_on_commit(case: Case, action: str) -> None:
    transaction.on_commit(lambda: case_changed.send(sender=Case, case=case, action=action))


def notify_applicant(case: Case, status: str, *, note: str = "") -> None:
    """Tell the applicant about a notifying status, in their language (email/SMS outbox)."""
    version = case.service_version
    if not version.notifies(status):
        return
    from sportel.core.notifications import send_notification

    person = case.applicant_person
    user = case.applicant_user
    if case.on_behalf_nid and user is not None:
        person = None  # a parent applied for their child: the parent's account hears of it
    business = case.applicant_business
    email = (person.email if person else "") or (user.email if user else "")
    phone = (person.phone if person else "") or (user.phone if user else "")
    if business is not None and not (email or phone):
        email, phone = business.email, business.phone
    if not (email or phone):
        return  # a walk-in without contact details follows the case at the counter
    # The same choice send_notification makes for the template: the person's language first.
    language = (
        (person.preferred_language if person else "")
        or (user.language if user else "")
        or case.language
    )
    with translation.override(language):
        context = {
            "number": case.number,
            "service": version.name(language),
            "status": version.status_text(status, language),
            "tracking_code": case.tracking_code_display,
            "track_url": f"{settings.SPORTEL_PUBLIC_URL}/{'en/' if language == 'en' else ''}"
            f"track/{case.tracking_code}",
            "legal_end": case.legal_end,
            "planned_end": case.planned_end,
            "municipality": case.municipality.name,
            "name": person.full_name if person else (business.name if business else ""),
            "note": note,
        }
    send_notification(
        template="case_status",
        context=context,
        language=language,
        to_email=email,
        to_phone=phone,
        municipality=case.municipality,
        person=person,
        user=user,
    )


def move(
    case: Case,
    action: str,
    *,
    actor,
    role: str = "",
    kind: str = CaseEvent.Kind.TRANSITION,
    visibility: str = CaseEvent.Visibility.PUBLIC,
    text: str = "",
    data: dict | None = None,
    update: dict | None = None,
) -> CaseEvent:
    """Apply one workflow edge to a locked case: event, pointer, audit, notification."""
    source = case.status
    target = workflow.next_state(source, action)
    event = append_event(
        case,
        actor=actor,
        kind=kind,
        action=action,
        from_status=source,
        to_status=target,
        visibility=visibility,
        text=text,
        data=data,
    )
    case.status = target
    case.status_changed_at = event.at
    case.current_event = event
    fields = ["status", "status_changed_at", "current_event"]
    for key, value in (update or {}).items():
        setattr(case, key, value)
        fields.append(key)
    batch = case.__dict__.get("_event_batch")
    if batch is not None:
        batch.fields.extend(fields)  # saved once when batched_events() ends
        batch.current = event
    else:
        case.save(update_fields=fields)
    audit_case(
        case, action, actor=actor, role=role, data={"from": source, "to": target, **(data or {})}
    )
    if target != source:
        # What the applicant is asked or told (a request, a rejection's reason) goes with it.
        notify_applicant(
            case, target, note=text if visibility == CaseEvent.Visibility.PUBLIC else ""
        )
    signal_on_commit(case, action)
    return event
