"""The administrator's writes on how an office is set up: the office (unit, opening hours, the
order of the priority groups), its queue categories (which services) and its counters (which
queues each serves).

Each function checks ``floor.configure``, validates everything against the office's own
municipality (a unit, a service or a queue of another municipality or office is refused), writes
in one transaction and records an audit entry with what changed. Refusals are
``ValidationError`` keyed by field; nothing is written then.
"""

import datetime as dt
import itertools
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sportel.accounts.permissions import has_permission
from sportel.core import audit
from sportel.core.models import AdministrativeUnit

from . import selectors
from .models import DEFAULT_PRIORITY_ORDER, ClerkSession, Counter, Office, Priority, QueueCategory

HOURS_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
LETTER = re.compile(r"^[A-Z]{1,2}$")


def _check(actor, municipality) -> None:
    if not has_permission(actor, municipality, "floor.configure"):
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))


def parse_hours(text: str) -> list[list[str]]:
    """``"08:00-12:00, 13:00-16:00"`` → ``[["08:00", "12:00"], ["13:00", "16:00"]]``; empty
    text is a closed day. Raises ``ValueError`` with the person's message."""
    spans = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        match = HOURS_SPAN.match(part)
        if not match:
            raise ValueError(_("Write the hours as 08:00-16:00, several separated by commas."))
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            raise ValueError(_("%(span)s is not a time of day.") % {"span": part}) from None
        if end <= start:
            raise ValueError(_("%(span)s ends before it starts.") % {"span": part})
        spans.append((start, end))
    spans.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
        if s2 < e1:
            raise ValueError(_("The opening hours overlap."))
    return [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in spans]


def hours_as_text(office: Office | None, weekday: int) -> str:
    if office is None:
        return ""
    return ", ".join(
        f"{a[:5]}-{b[:5]}" for a, b in (office.opening_hours or {}).get(str(weekday), [])
    )


def save_office(municipality, *, actor, data: dict, office: Office | None = None) -> Office:
    """Create (``office`` None) or change an office. ``data``: name_sq, name_en, slug (on
    creation), unit (an AdministrativeUnit id), address, hours (7 texts, Monday first),
    priority_order (the four groups, each once)."""
    _check(actor, municipality)
    errors: dict[str, list] = {}
    name_sq = (data.get("name_sq") or "").strip()
    if not name_sq:
        errors["name_sq"] = [_("Give the office's name in Albanian.")]
    unit = AdministrativeUnit.objects.filter(
        municipality=municipality, pk=data.get("unit") or 0
    ).first()
    if unit is None:
        errors["unit"] = [_("Choose an administrative unit of this municipality.")]
    hours = {}
    for day, text in enumerate(data.get("hours") or [""] * 7):
        try:
            spans = parse_hours(text)
        except ValueError as exc:
            errors[f"hours_{day}"] = [str(exc)]
            continue
        if spans:
            hours[str(day)] = spans
    order = [p for p in data.get("priority_order") or [] if p]
    if sorted(order) != sorted(DEFAULT_PRIORITY_ORDER):
        errors["priority_1"] = [_("Put each priority group in the order exactly once.")]
    slug = office.slug if office else slugify(data.get("slug") or name_sq)[:60]
    if office is None:
        if not slug:
            errors["slug"] = [_("Give the office a short address name (letters and dashes).")]
        elif Office.objects.filter(municipality=municipality, slug=slug).exists():
            errors["slug"] = [_("Another office of this municipality has this address name.")]
    if errors:
        raise ValidationError(errors)
    fields = {
        "name_sq": name_sq[:200],
        "name_en": (data.get("name_en") or "").strip()[:200],
        "unit": unit,
        "address": (data.get("address") or "").strip()[:200],
        "opening_hours": hours,
        "priority_order": order,
    }
    with transaction.atomic():
        if office is None:
            office = Office.objects.create(municipality=municipality, slug=slug, **fields)
            changed = sorted(fields)
            action = "floor.office_create"
        else:
            office = Office.objects.select_for_update().get(pk=office.pk)
            changed = [k for k, v in fields.items() if getattr(office, k) != v]
            for key, value in fields.items():
                setattr(office, key, value)
            office.save()
            action = "floor.office_change"
        audit.record(
            action,
            actor=actor,
            municipality=municipality,
            obj=office,
            data={"office": office.slug, "changed": changed, "unit": unit.slug},
        )
    return office


def save_category(
    office: Office, *, actor, data: dict, category: QueueCategory | None = None
) -> QueueCategory:
    """Create or change a queue category of ``office``. ``data``: letter, name_sq, name_en,
    services (ServiceType ids of this municipality), default_service_minutes, slot_minutes,
    slot_capacity, order."""
    from sportel.services.models import ServiceType

    municipality = office.municipality
    _check(actor, municipality)
    errors: dict[str, list] = {}
    letter = (data.get("letter") or "").strip().upper()
    if not LETTER.match(letter):
        errors["letter"] = [_("The letter is one or two capital letters A–Z, e.g. A.")]
    elif (
        QueueCategory.objects.filter(office=office, letter=letter)
        .exclude(pk=category.pk if category else None)
        .exists()
    ):
        errors["letter"] = [
            _("Another queue of this office has the letter %(letter)s.") % {"letter": letter}
        ]
    name_sq = (data.get("name_sq") or "").strip()
    if not name_sq:
        errors["name_sq"] = [_("Give the queue's name in Albanian.")]
    wanted = {int(pk) for pk in data.get("services") or []}
    services = list(ServiceType.objects.filter(municipality=municipality, pk__in=wanted))
    if len(services) != len(wanted):
        errors["services"] = [_("Choose services of this municipality.")]
    numbers = {}
    for field, low, high in (
        ("default_service_minutes", 1, 240),
        ("slot_minutes", 5, 240),
        ("slot_capacity", 0, 50),
        ("order", 0, 999),
    ):
        try:
            numbers[field] = int(data.get(field))
        except (TypeError, ValueError):
            numbers[field] = None
        if numbers[field] is None or not low <= numbers[field] <= high:
            errors[field] = [
                _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            ]
    if errors:
        raise ValidationError(errors)
    fields = {
        "letter": letter,
        "name_sq": name_sq[:200],
        "name_en": (data.get("name_en") or "").strip()[:200],
        **numbers,
    }
    with transaction.atomic():
        if category is None:
            category = QueueCategory.objects.create(
                municipality_id=office.municipality_id, office=office, **fields
            )
            changed = sorted(fields)
            action = "floor.category_create"
        else:
            category = QueueCategory.objects.select_for_update().get(pk=category.pk)
            changed = [k for k, v in fields.items() if getattr(category, k) != v]
            for key, value in fields.items():
                setattr(category, key, value)
            category.save()
            action = "floor.category_change"
        before = set(category.services.values_list("pk", flat=True))
        if before != {s.pk for s in services}:
            category.services.set(services)
            changed.append("services")
        audit.record(
            action,
            actor=actor,
            municipality=municipality,
            obj=category,
            data={
                "office": office.slug,
                "letter": letter,
                "changed": changed,
                "services": sorted(s.code for s in services),
            },
        )
    return category


def save_counter(office: Office, *, actor, data: dict, counter: Counter | None = None) -> Counter:
    """Create or change a counter of ``office``. ``data``: number, categories (QueueCategory ids
    of this office), is_active. A counter with a clerk signed in cannot be closed."""
    municipality = office.municipality
    _check(actor, municipality)
    errors: dict[str, list] = {}
    try:
        number = int(data.get("number"))
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 999:
        errors["number"] = [_("Give the counter's number, from 1 to 999.")]
    elif (
        Counter.objects.filter(office=office, number=number)
        .exclude(pk=counter.pk if counter else None)
        .exists()
    ):
        errors["number"] = [_("This office already has a counter %(number)s.") % {"number": number}]
    wanted = {int(pk) for pk in data.get("categories") or []}
    categories = list(QueueCategory.objects.filter(office=office, pk__in=wanted))
    if not wanted:
        errors["categories"] = [_("Choose at least one queue this counter serves.")]
    elif len(categories) != len(wanted):
        errors["categories"] = [_("Choose queues of this office.")]
    is_active = bool(data.get("is_active", True))
    if (
        counter is not None
        and not is_active
        and ClerkSession.objects.filter(counter=counter, ended_at__isnull=True).exists()
    ):
        errors["is_active"] = [
            _("A clerk is signed in at this counter: they must leave it before it is closed.")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if counter is None:
            counter = Counter.objects.create(
                municipality_id=office.municipality_id,
                office=office,
                number=number,
                is_active=is_active,
            )
            changed = ["number", "is_active"]
            action = "floor.counter_create"
        else:
            counter = Counter.objects.select_for_update().get(pk=counter.pk)
            changed = [
                k
                for k, v in (("number", number), ("is_active", is_active))
                if getattr(counter, k) != v
            ]
            counter.number, counter.is_active = number, is_active
            counter.save(update_fields=["number", "is_active"])
            action = "floor.counter_change"
        selectors.forget_open_counters(counter)  # the queues it served before
        before = set(counter.categories.values_list("pk", flat=True))
        if before != {c.pk for c in categories}:
            counter.categories.set(categories)
            changed.append("categories")
        selectors.forget_open_counters(counter)  # and the ones it serves now
        audit.record(
            action,
            actor=actor,
            municipality=municipality,
            obj=counter,
            data={
                "office": office.slug,
                "number": number,
                "changed": changed,
                "categories": sorted(c.letter for c in categories),
            },
        )
    return counter


def priority_choices() -> list[tuple[str, str]]:
    return [(value, label) for value, label in Priority.choices if value]
