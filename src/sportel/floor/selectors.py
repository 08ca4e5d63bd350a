"""Reads of the floor: opening hours, queues, expected waits, what the screens and the office
status show. Nothing here writes; nothing here returns personal data unless its name says so."""

import datetime as dt
import math
import statistics

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import workflow
from .models import (
    CHECK_IN_LATE,
    Appointment,
    ClerkSession,
    Counter,
    Device,
    Office,
    QueueCategory,
    SlotLoad,
    Ticket,
)

# The expected wait reads the service times of the last four weeks; below this many measured
# tickets it uses the category's configured minutes.
MEASURE_WEEKS = 4
MIN_MEASURED = 5
MEASURED_LIMIT = 500  # the most recent this-many tickets are plenty for a median
SERVICE_MINUTES_TTL = 60  # seconds: a median over weeks does not move within a minute

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


# --- offices and hours ------------------------------------------------------------------------


def offices_of(municipality):
    return Office.objects.filter(municipality=municipality, is_active=True).select_related("unit")


def office_by_slug(municipality, slug: str) -> Office | None:
    return offices_of(municipality).filter(slug=slug).first()


def _intervals(office: Office, weekday: int) -> list[tuple[dt.time, dt.time]]:
    out = []
    for start, end in (office.opening_hours or {}).get(str(weekday), []):
        out.append((dt.time.fromisoformat(start), dt.time.fromisoformat(end)))
    return out


def is_open(office: Office, at: dt.datetime | None = None) -> bool:
    local = timezone.localtime(at or timezone.now())
    now = local.time()
    return any(start <= now < end for start, end in _intervals(office, local.weekday()))


def opening_hours(office: Office) -> list[dict]:
    """[{"day": 0, "name": "Monday", "hours": [["08:00", "16:00"]]}, ...] (closed days empty)."""
    return [
        {
            "day": day,
            "name": str(WEEKDAYS[day]),
            "hours": [list(i) for i in (office.opening_hours or {}).get(str(day), [])],
        }
        for day in range(7)
    ]


def hours_text(office: Office) -> str:
    parts = []
    for row in opening_hours(office):
        if row["hours"]:
            spans = ", ".join(f"{a}–{b}" for a, b in row["hours"])
            parts.append(f"{row['name']} {spans}")
    return "; ".join(parts) or _("no opening hours set")


# --- counters and queues ----------------------------------------------------------------------


def categories_of(office: Office):
    return QueueCategory.objects.filter(office=office)


def counters_of(office: Office):
    return Counter.objects.filter(office=office, is_active=True).prefetch_related("categories")


def open_sessions(office: Office):
    return ClerkSession.objects.filter(
        counter__office=office, ended_at__isnull=True
    ).select_related("counter", "clerk")


def open_sessions_in(municipality):
    return ClerkSession.objects.filter(municipality=municipality, ended_at__isnull=True)


# Seconds: a burst of tickets asks the database once. Signing in or out clears the entry on
# commit; with Redis (SPORTEL_REDIS_URL) that reaches every app server at once. With the
# per-process default cache another server's entry may be up to this old, so only a non-empty
# answer is trusted from the cache: "no counter open" (which refuses a ticket) is always asked
# of the database, and a counter that closed elsewhere is at worst counted for 2 more seconds
# (a ticket taken then waits for the next clerk, like one taken just before the clerk left).
OPEN_COUNTERS_TTL = 2


def _open_counters_key(category_id: int) -> str:
    return f"floor:open-counters:{category_id}"


def open_counter_ids(category: QueueCategory) -> list[int]:
    """Counters serving ``category`` with a clerk signed in now (see :data:`OPEN_COUNTERS_TTL`:
    an empty answer is never taken from the cache)."""
    key = _open_counters_key(category.pk)
    found = cache.get(key)
    if not found:
        found = list(
            ClerkSession.objects.filter(
                ended_at__isnull=True, counter__categories=category, counter__is_active=True
            ).values_list("counter_id", flat=True)
        )
        cache.set(key, found, OPEN_COUNTERS_TTL)
    return found


def forget_open_counters(counter: Counter) -> None:
    cache.delete_many(
        [_open_counters_key(pk) for pk in counter.categories.values_list("pk", flat=True)]
    )


def session_of(user, municipality) -> ClerkSession | None:
    """The clerk's open counter session in this municipality, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        ClerkSession.objects.filter(clerk=user, ended_at__isnull=True, municipality=municipality)
        .select_related("counter", "counter__office")
        .first()
    )


def waiting_for(counter: Counter):
    """The tickets this counter may call next, head first."""
    return (
        Ticket.objects.filter(
            office_id=counter.office_id,
            state=workflow.WAITING,
            category__in=counter.categories.all(),
        )
        .filter(Q(for_counter__isnull=True) | Q(for_counter=counter))
        .order_by("rank", "order_at", "pk")
    )


def on_hold_at(counter: Counter):
    return Ticket.objects.filter(
        office_id=counter.office_id, state=workflow.ON_HOLD, counter=counter
    ).order_by("state_changed_at")


def current_at(counter: Counter) -> Ticket | None:
    """The ticket this counter called or serves now."""
    return (
        Ticket.objects.filter(counter=counter, state__in=(workflow.CALLED, workflow.SERVING))
        .select_related("category", "service")
        .order_by("-called_at")
        .first()
    )


def ticket_by_code(municipality, code: str) -> Ticket | None:
    return (
        Ticket.objects.filter(municipality=municipality, code=(code or "").upper())
        .select_related("office", "category", "counter")
        .first()
    )


def ticket_of(municipality, pk) -> Ticket | None:
    return (
        Ticket.objects.filter(municipality=municipality, pk=pk)
        .select_related("office", "category", "counter")
        .first()
    )


# --- expected wait ----------------------------------------------------------------------------


def service_minutes(category: QueueCategory) -> float:
    """The median minutes a ticket of ``category`` took at the counter (called → done) over the
    last weeks; the category's configured minutes until enough were measured."""
    key = f"floor:service-minutes:{category.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    since = timezone.now() - dt.timedelta(weeks=MEASURE_WEEKS)
    rows = (
        Ticket.objects.filter(
            category=category,
            state=workflow.DONE,
            finished_at__gte=since,
            first_called_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("first_called_at", "finished_at")[:MEASURED_LIMIT]
    )
    durations = [(end - start).total_seconds() / 60 for start, end in rows if end > start]
    value = (
        statistics.median(durations)
        if len(durations) >= MIN_MEASURED
        else float(category.default_service_minutes)
    )
    cache.set(key, value, SERVICE_MINUTES_TTL)
    return value


def ahead_count(category: QueueCategory, *, rank: int, order_at, pk: int | None = None) -> int:
    """People waiting in ``category`` who are called before a ticket of ``rank`` and
    ``order_at``: the counters call by rank, then ``order_at``, then id (``waiting_for``), so a
    priority ticket taken later is ahead of a walk-in taken earlier."""
    before = Q(rank__lt=rank) | Q(rank=rank, order_at__lt=order_at)
    if pk is not None:
        before |= Q(rank=rank, order_at=order_at, pk__lt=pk)
    return Ticket.objects.filter(category=category, state=workflow.WAITING).filter(before).count()


def ahead_of(ticket: Ticket) -> int:
    """People ahead of a waiting ticket in its queue now, in the real calling order (0 once it
    is no longer waiting)."""
    if ticket.state != workflow.WAITING:
        return 0
    return ahead_count(ticket.category, rank=ticket.rank, order_at=ticket.order_at, pk=ticket.pk)


def waiting_count(category: QueueCategory, *, max_rank: int | None = None) -> int:
    tickets = Ticket.objects.filter(category=category, state=workflow.WAITING)
    if max_rank is not None:
        tickets = tickets.filter(rank__lte=max_rank)
    return tickets.count()


def expected_wait_minutes(
    category: QueueCategory, *, priority: str = "", counters: int | None = None, ahead=None
) -> int | None:
    """Minutes until a ticket taken now is called: the people ahead of it times the median
    service time, shared by the counters open now for the category. None: no counter is open."""
    from .models import RANK_NONE

    if counters is None:
        counters = len(set(open_counter_ids(category)))
    if counters == 0:
        return None
    if ahead is None:
        ahead = waiting_count(category, max_rank=None if not priority else RANK_NONE - 1)
    return math.ceil(ahead * service_minutes(category) / counters)


def category_waits(office: Office) -> list[dict]:
    """Per category of the office: people waiting, counters open, expected wait (no personal
    data: what the public API and the screens show)."""
    categories = list(categories_of(office))
    waiting = dict(
        Ticket.objects.filter(office=office, state=workflow.WAITING)
        .values_list("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )
    open_counts = dict(
        ClerkSession.objects.filter(counter__office=office, ended_at__isnull=True)
        .values_list("counter__categories")
        .annotate(n=Count("counter", distinct=True))
        .values_list("counter__categories", "n")
    )
    out = []
    for category in categories:
        ahead = waiting.get(category.pk, 0)
        counters = open_counts.get(category.pk, 0)
        out.append(
            {
                "category": category,
                "letter": category.letter,
                "name": category.name,
                "waiting": ahead,
                "counters_open": counters,
                "expected_wait_minutes": expected_wait_minutes(
                    category, counters=counters, ahead=ahead
                ),
            }
        )
    return out


# --- screens ----------------------------------------------------------------------------------

SCREEN_CALLS = 6


def screen_calls(office: Office) -> list[dict]:
    """The tickets called now (newest first) with their counter: what the screen shows large."""
    today = timezone.localdate()
    rows = (
        Ticket.objects.filter(
            office=office,
            day=today,
            state__in=(workflow.CALLED, workflow.SERVING),
            called_at__isnull=False,
        )
        .order_by("-called_at")
        .values("pk", "number", "calls", "called_at", "counter__number", "state")[:SCREEN_CALLS]
    )
    return [
        {
            "id": f"{row['pk']}-{row['calls']}",
            "number": row["number"],
            "counter": row["counter__number"],
            "called_at": row["called_at"].isoformat(),
            "serving": row["state"] == workflow.SERVING,
        }
        for row in rows
    ]


def device_by_token(municipality, token: str, *, kind: str) -> Device | None:
    """The device ``token`` opens in this municipality (revoked ones included: the caller says
    why it is refused), or None."""
    if not token or len(token) > 100:
        return None
    return (
        Device.objects.filter(
            municipality=municipality, kind=kind, token_hash=Device.hash_token(token)
        )
        .select_related("office", "office__municipality")
        .first()
    )


# --- appointments -----------------------------------------------------------------------------


def slots(category: QueueCategory, day: dt.date) -> list[dt.datetime]:
    """The slot starts of ``category`` on ``day`` within the office's opening hours."""
    if category.slot_capacity == 0:
        return []
    office = category.office
    tz = timezone.get_current_timezone()
    out = []
    step = dt.timedelta(minutes=category.slot_minutes)
    for start, end in _intervals(office, day.weekday()):
        at = dt.datetime.combine(day, start, tzinfo=tz)
        stop = dt.datetime.combine(day, end, tzinfo=tz)
        while at + step <= stop:
            out.append(at)
            at += step
    return out


def free_slots(category: QueueCategory, day: dt.date) -> list[tuple[dt.datetime, int]]:
    """(slot, places left) for the future slots of ``day`` that still have room."""
    now = timezone.now()
    starts = [s for s in slots(category, day) if s > now]
    booked = dict(
        SlotLoad.objects.filter(category=category, slot_start__in=starts).values_list(
            "slot_start", "booked"
        )
    )
    return [
        (s, category.slot_capacity - booked.get(s, 0))
        for s in starts
        if booked.get(s, 0) < category.slot_capacity
    ]


def appointment_by_code(municipality, code: str) -> Appointment | None:
    return (
        Appointment.objects.filter(municipality=municipality, code=(code or "").strip().upper())
        .select_related("office", "category")
        .first()
    )


# --- office status and reports ----------------------------------------------------------------


def office_status(office: Office) -> dict:
    """For the manager: counters open and who serves which ticket since when, waiting now, the
    longest wait, today's figures and how accurate the expected waits were."""
    now = timezone.now()
    today = timezone.localdate()
    sessions = list(open_sessions(office))
    current = {
        t.counter_id: t
        for t in Ticket.objects.filter(
            office=office, state__in=(workflow.CALLED, workflow.SERVING)
        ).select_related("category")
    }
    counters = []
    for session in sessions:
        ticket = current.get(session.counter_id)
        since = ticket and (ticket.serving_since or ticket.called_at)
        counters.append(
            {
                "counter": session.counter.number,
                "clerk": session.clerk.full_name or session.clerk.get_username(),
                "ticket": ticket.number if ticket else "",
                "state": workflow.state_label(ticket.state) if ticket else "",
                "minutes": int((now - since).total_seconds() // 60) if since else None,
            }
        )
    counters.sort(key=lambda row: row["counter"])
    oldest = (
        Ticket.objects.filter(office=office, state=workflow.WAITING).order_by("issued_at").first()
    )
    finished_today = Ticket.objects.filter(office=office, day=today, state=workflow.DONE)
    waits = [
        (t.first_called_at - t.issued_at).total_seconds() / 60
        for t in finished_today.only("first_called_at", "issued_at")
        if t.first_called_at
    ]
    return {
        "counters": counters,
        "categories": category_waits(office),
        "waiting": sum(row["waiting"] for row in category_waits(office)),
        "longest_wait_minutes": int((now - oldest.issued_at).total_seconds() // 60)
        if oldest
        else 0,
        "served_today": finished_today.count(),
        "no_show_today": Ticket.objects.filter(
            office=office, day=today, state=workflow.NO_SHOW
        ).count(),
        "median_wait_today": round(statistics.median(waits), 1) if waits else None,
        "accuracy": wait_accuracy(office),
    }


def wait_accuracy(office: Office, *, weeks: int = MEASURE_WEEKS) -> dict:
    """How far the expected wait printed on tickets was from the real one (called − issued),
    over the last weeks: the median absolute error in minutes and the share within 5 minutes."""
    since = timezone.now() - dt.timedelta(weeks=weeks)
    rows = Ticket.objects.filter(
        office=office,
        issued_at__gte=since,
        first_called_at__isnull=False,
        expected_wait_minutes__isnull=False,
    ).values_list("issued_at", "first_called_at", "expected_wait_minutes")[:5000]
    errors = [
        abs((called - issued).total_seconds() / 60 - expected) for issued, called, expected in rows
    ]
    if not errors:
        return {"tickets": 0, "median_error_minutes": None, "within_5_minutes": None}
    return {
        "tickets": len(errors),
        "median_error_minutes": round(statistics.median(errors), 1),
        "within_5_minutes": round(100 * sum(e <= 5 for e in errors) / len(errors)),
    }


def report_rows(municipality, *, start: dt.date, end: dt.date) -> list[dict]:
    """Per day, hour, office, category, service and clerk: tickets, no-shows, median wait and
    median service time in minutes (for the manager's CSV/XLSX; clerks by login name)."""
    tickets = (
        Ticket.objects.filter(municipality=municipality, day__gte=start, day__lte=end)
        .exclude(state__in=(workflow.WAITING,))
        .select_related("office", "category", "service", "clerk")
        .order_by("day", "issued_at")
    )
    groups: dict[tuple, dict] = {}
    for t in tickets.iterator(chunk_size=2000):
        hour = timezone.localtime(t.issued_at).hour
        key = (
            t.day.isoformat(),
            hour,
            t.office.slug,
            t.category.letter,
            t.service.code if t.service else "",
            t.clerk.get_username() if t.clerk else "",
        )
        group = groups.setdefault(key, {"tickets": 0, "no_show": 0, "waits": [], "services": []})
        group["tickets"] += 1
        if t.state == workflow.NO_SHOW:
            group["no_show"] += 1
        if t.first_called_at:
            group["waits"].append((t.first_called_at - t.issued_at).total_seconds() / 60)
        if t.state == workflow.DONE and t.first_called_at and t.finished_at:
            group["services"].append((t.finished_at - t.first_called_at).total_seconds() / 60)
    rows = []
    for (day, hour, office, category, service, clerk), g in groups.items():
        rows.append(
            {
                "day": day,
                "hour": hour,
                "office": office,
                "category": category,
                "service": service,
                "clerk": clerk,
                "tickets": g["tickets"],
                "no_show": g["no_show"],
                "median_wait_minutes": round(statistics.median(g["waits"]), 1)
                if g["waits"]
                else None,
                "median_service_minutes": round(statistics.median(g["services"]), 1)
                if g["services"]
                else None,
            }
        )
    return rows


def no_show_appointments(office: Office, *, since: dt.datetime) -> int:
    """Appointments whose slot passed (beyond the check-in window) without a check-in."""
    return Appointment.objects.filter(
        office=office,
        state=Appointment.State.BOOKED,
        slot_start__gte=since,
        slot_start__lt=timezone.now() - CHECK_IN_LATE,
    ).count()
