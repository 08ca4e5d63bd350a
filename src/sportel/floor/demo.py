"""Demo data of the floor: an office per demo municipality with counters, queues, a screen and a
kiosk, and four weeks of past tickets with their history, so that the expected waits, the
office status and the reports a newcomer sees are computed, not typed in.

The past tickets are written in bulk (they describe days that have gone by, which the services
cannot be asked to live through); today's queue is made through the services like any other.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from sportel.core.demo import DEMO_MUNICIPALITIES, register_demo, register_demo_notes

from . import workflow

# A real office keeps office hours; the demo's is open whenever someone looks at it.
HOURS = {str(day): [["07:00", "22:00"]] for day in range(7)}
CATEGORIES = (
    (
        "A",
        "Gjendja civile",
        "Civil status",
        5,
        (
            "residence-certificate",
            "family-certificate",
            "personal-certificate",
            "civil-record-certificate",
            "resident-registration",
        ),
    ),
    (
        "B",
        "Taksat dhe tarifat",
        "Taxes and fees",
        8,
        ("tax-clearance-certificate", "waste-tariff-transfer", "business-tax-registration"),
    ),
    (
        "C",
        "Ndihma sociale dhe strehimi",
        "Social assistance and housing",
        12,
        ("economic-assistance", "disability-benefit", "social-housing", "rent-subsidy"),
    ),
)
COUNTERS = ((1, "A"), (2, "A"), (3, "AB"), (4, "B"), (5, "C"))
# Known tokens for the demo's devices only (a real device gets a random one, shown once).
DEMO_TOKEN = "demo-{kind}-{slug}"  # noqa: S105 -- published demo tokens


def _tokens(slug: str) -> dict[str, str]:
    return {kind: DEMO_TOKEN.format(kind=kind, slug=slug) for kind in ("screen", "kiosk")}


@register_demo
def seed_floor() -> None:
    from sportel.core.models import Municipality

    for slug in sorted(DEMO_MUNICIPALITIES):
        municipality = Municipality.objects.filter(slug=slug).first()
        if municipality is not None:
            seed_office(municipality)


@transaction.atomic
def seed_office(municipality, *, weeks: int = 4, seed: int = 10):
    from sportel.services.models import ServiceType

    from .models import Counter, Device, Office, QueueCategory

    office = Office.objects.filter(municipality=municipality, slug="zyra-qendrore").first()
    if office is not None:
        return office
    units = municipality.units.order_by("pk")
    unit = units.filter(name=municipality.name).first() or units.first()
    office = Office.objects.create(
        municipality=municipality,
        unit=unit,
        slug="zyra-qendrore",
        name_sq=f"Zyra me Një Ndalesë {municipality.name}",
        name_en=f"{municipality.name} one-stop shop",
        address=municipality.address or "",
        opening_hours=HOURS,
        priority_order=["disability", "elderly", "pregnant", "infant"],
    )
    categories = {}
    for order, (letter, name_sq, name_en, minutes, codes) in enumerate(CATEGORIES):
        category = QueueCategory.objects.create(
            municipality=municipality,
            office=office,
            letter=letter,
            name_sq=name_sq,
            name_en=name_en,
            default_service_minutes=minutes,
            slot_capacity=2 if letter == "A" else 1,
            order=order,
        )
        category.services.set(ServiceType.objects.filter(municipality=municipality, code__in=codes))
        categories[letter] = category
    for number, letters in COUNTERS:
        counter = Counter.objects.create(municipality=municipality, office=office, number=number)
        counter.categories.set([categories[letter] for letter in letters])
    tokens = _tokens(municipality.slug)
    for kind, name, functions in (
        (Device.Kind.SCREEN, "Ekrani i sallës", []),
        (Device.Kind.KIOSK, "Kioska e hyrjes", list(Device.Function.values)),
    ):
        Device.objects.create(
            municipality=municipality,
            office=office,
            kind=kind,
            name=name,
            token_hash=Device.hash_token(tokens[kind]),
            token_hint=tokens[kind][:6],
            functions=functions,
            idle_seconds=60,
        )
    seed_history(office, weeks=weeks, seed=seed)
    return office


def seed_history(office, *, weeks: int, seed: int) -> int:
    """Past working days of tickets: arrivals through the day, priorities, no-shows, waits and
    service times around each queue's typical minutes."""
    from sportel.accounts.models import User

    from .models import Counter, Ticket, TicketEvent

    rng = random.Random(f"{office.municipality.slug}-{seed}")  # noqa: S311 -- demo data
    clerk = (
        User.objects.filter(
            staff_roles__municipality=office.municipality, staff_roles__role="clerk"
        )
        .order_by("pk")
        .first()
    )
    counters = {c.number: c for c in Counter.objects.filter(office=office)}
    by_letter = {c.letter: c for c in office.categories.all()}
    serving = {"A": [1, 2, 3], "B": [3, 4], "C": [5]}
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    tickets, events = [], []
    for back in range(weeks * 7, 0, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for letter, category in by_letter.items():
            free = {n: dt.datetime.combine(day, dt.time(8, 0), tzinfo=tz) for n in serving[letter]}
            arrivals = sorted(
                dt.datetime.combine(day, dt.time(8, 0), tzinfo=tz)
                + dt.timedelta(minutes=rng.uniform(0, 420))
                for _ in range(rng.randint(18, 34) if letter == "A" else rng.randint(6, 16))
            )
            for seq, issued in enumerate(arrivals, start=1):
                number = min(free, key=free.get)
                called = max(issued + dt.timedelta(seconds=30), free[number])
                minutes = max(1.5, rng.gauss(category.default_service_minutes, 2))
                no_show = rng.random() < 0.05
                finished = called + dt.timedelta(minutes=1 if no_show else minutes)
                free[number] = finished
                priority = rng.choice(["", "", "", "", "", "", "elderly", "disability", "infant"])
                tickets.append(
                    Ticket(
                        municipality_id=office.municipality_id,
                        office=office,
                        category=category,
                        day=day,
                        seq=seq,
                        number=f"{letter}-{seq:03d}",
                        code=f"D{office.pk}{letter}{day:%y%m%d}{seq:03d}",
                        channel=rng.choice(["kiosk", "kiosk", "kiosk", "reception", "online"]),
                        priority=priority,
                        order_at=issued,
                        # No forecast is made up for the past: accuracy counts real tickets.
                        expected_wait_minutes=None,
                        state=workflow.NO_SHOW if no_show else workflow.DONE,
                        state_changed_at=finished,
                        counter=counters[number],
                        clerk=clerk,
                        issued_at=issued,
                        first_called_at=called,
                        called_at=called,
                        calls=1,
                        serving_since=None if no_show else called + dt.timedelta(seconds=40),
                        finished_at=finished,
                    )
                )
    Ticket.objects.bulk_create(tickets, batch_size=1000)
    for t in Ticket.objects.filter(office=office).only(
        "pk", "issued_at", "called_at", "finished_at", "state", "counter_id", "serving_since"
    ):
        steps = [
            ("issue", "", workflow.WAITING, t.issued_at),
            ("call", workflow.WAITING, workflow.CALLED, t.called_at),
        ]
        if t.state == workflow.DONE:
            steps += [
                ("serve", workflow.CALLED, workflow.SERVING, t.serving_since),
                ("done", workflow.SERVING, workflow.DONE, t.finished_at),
            ]
        else:
            steps.append(("no_show", workflow.CALLED, workflow.NO_SHOW, t.finished_at))
        for action, src, dst, at in steps:
            events.append(
                TicketEvent(
                    municipality_id=office.municipality_id,
                    ticket_id=t.pk,
                    at=at,
                    action=action,
                    from_state=src,
                    to_state=dst,
                    counter_id=None if action == "issue" else t.counter_id,
                    actor_label="demo",
                )
            )
    TicketEvent.objects.bulk_create(events, batch_size=2000)
    return len(tickets)


@register_demo_notes
def floor_notes() -> list[str]:
    from django.conf import settings

    base = settings.SPORTEL_PUBLIC_URL.rstrip("/")
    lines = []
    for slug in sorted(DEMO_MUNICIPALITIES):
        tokens = _tokens(slug)
        lines.append(f"Floor {slug}: screen {base}/{slug}/floor/screen/{tokens['screen']}/")
        lines.append(f"Floor {slug}: kiosk  {base}/{slug}/floor/kiosk/{tokens['kiosk']}/")
        lines.append(f"Floor {slug}: counter {base}/{slug}/staff/floor/counter/")
    return lines
