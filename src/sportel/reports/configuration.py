"""The administrator's writes on how reports are set up: categories (Open311 services), their
questions (Open311 attributes), routing rules (category and administrative unit -> team), area weights for the priority list, and the
ban list.

Each function checks ``reports.configure`` for the municipality, validates everything against
that municipality (a unit, a category or a report of another one is refused), writes in one
transaction and records an audit entry saying what changed. Refusals are ``ValidationError``
keyed by field; nothing is written then. A category's code is its Open311 ``service_code``: it
is fixed when the category is created, so clients that stored it keep working; a category is
retired (hidden from residents and Open311), never deleted.

A question's code (the Open311 attribute ``code``) and a list value's ``key`` follow the same
rule: fixed at creation; once a report answered with them they are retired, never deleted, so
they can never mean something else; and a question with answers keeps its datatype (the stored
answers were checked against it).
"""

import re
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit
from sportel.core.calendar import local_today
from sportel.core.models import AdministrativeUnit, Municipality

from .models import AreaWeight, BannedReporter, Category, CategoryAttribute, Report, RoutingRule

CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# (field, lowest, highest) of a category's whole numbers.
NUMBERS = (
    ("deadline_working_days", 1, 250),
    ("severity", 1, 5),
    ("duplicate_radius_m", 5, 5000),
    ("cluster_window_days", 1, 730),
    ("order", 0, 999),
)
TEXTS = (
    ("name_sq", 200),
    ("name_en", 200),
    ("description_sq", 2000),
    ("description_en", 2000),
    ("keywords", 300),
    ("team", 120),
)
WEIGHT_RANGE = (Decimal("0.50"), Decimal("5.00"))


def _unit(municipality: Municipality, value) -> AdministrativeUnit | None:
    if isinstance(value, AdministrativeUnit):
        return value if value.municipality_id == municipality.pk else None
    if not str(value or "").isdigit():
        return None
    return AdministrativeUnit.objects.filter(municipality=municipality, pk=int(value)).first()


# --- categories -------------------------------------------------------------------------------


def save_category(
    municipality: Municipality, *, actor, data: dict, category: Category | None = None
) -> Category:
    """Create (``category`` None) or change a category. ``data``: code (on creation only),
    parent (a group's id, or empty for a group), the names, descriptions, keywords, team and
    the numbers in :data:`NUMBERS`.

    The code never changes after creation; a group cannot become a service with reports, nor
    a service with reports a group (Open311 clients and stored reports depend on both)."""
    role = require(actor, municipality, "reports.configure")
    errors: dict[str, list] = {}
    fields: dict = {}
    for name, length in TEXTS:
        fields[name] = (data.get(name) or "").strip()[:length]
    if not fields["name_sq"]:
        errors["name_sq"] = [_("Give the name in Albanian.")]
    for name, low, high in NUMBERS:
        try:
            fields[name] = int(str(data.get(name, "")).strip())
        except (TypeError, ValueError):
            fields[name] = None
        if fields[name] is None or not low <= fields[name] <= high:
            errors[name] = [
                _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            ]
    parent = None
    if data.get("parent"):
        wanted = str(data.get("parent"))
        parent = (
            Category.objects.filter(
                municipality=municipality, pk=int(wanted), parent__isnull=True
            ).first()
            if wanted.isdigit()
            else None
        )
        if parent is None or (category is not None and parent.pk == category.pk):
            errors["parent"] = [_("Choose a group of this municipality's categories.")]
    if category is not None:
        if category.parent_id is None and parent is not None and category.children.exists():
            errors["parent"] = [_("This group has categories in it; it stays a group.")]
        if category.parent_id is not None and parent is None and category.reports.exists():
            errors["parent"] = [_("Reports were filed in this category; it stays in a group.")]
        code = category.code
    else:
        code = (data.get("code") or "").strip().lower()
        if not CODE.match(code) or len(code) > 60:
            errors["code"] = [
                _("The code is lower-case letters, digits and dashes, e.g. blocked-channel.")
            ]
        elif Category.objects.filter(municipality=municipality, code=code).exists():
            errors["code"] = [_("Another category of this municipality has this code.")]
    if errors:
        raise ValidationError(errors)
    fields["parent"] = parent
    with transaction.atomic():
        if category is None:
            category = Category.objects.create(municipality=municipality, code=code, **fields)
            changed = sorted(fields)
            action = "reports.category_create"
        else:
            category = Category.objects.select_for_update().get(pk=category.pk)
            changed = [k for k, v in fields.items() if getattr(category, k) != v]
            for key, value in fields.items():
                setattr(category, key, value)
            category.save()
            action = "reports.category_change"
        audit.record(
            action,
            actor=actor,
            role=role,
            municipality=municipality,
            obj=category,
            data={"code": category.code, "changed": changed},
        )
    return category


def set_category_active(category: Category, *, actor, active: bool) -> Category:
    """Retire a category (residents and Open311 clients no longer see it; its reports and
    clusters stay as they are) or bring it back. A group's categories go with it."""
    role = require(actor, category.municipality, "reports.configure")
    with transaction.atomic():
        locked = Category.objects.select_for_update().get(pk=category.pk)
        if locked.is_active == active:
            return locked
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit.record(
            "reports.category_retire" if not active else "reports.category_restore",
            actor=actor,
            role=role,
            municipality=locked.municipality,
            obj=locked,
            data={"code": locked.code},
        )
    return locked


# --- questions (Open311 attributes) ------------------------------------------------------------

# Open311 attribute codes and value keys travel in form field names (attribute[code]) and URLs.
QUESTION_CODE = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
VALUE_KEY = re.compile(r"^[A-Za-z0-9]+(?:[_.-][A-Za-z0-9]+)*$")
QUESTION_TEXTS = (
    ("description_sq", 300),
    ("description_en", 300),
    ("datatype_description_sq", 300),
    ("datatype_description_en", 300),
)
MAX_QUESTIONS = 30  # in use, per category
MAX_VALUES = 60  # per list, retired ones included
_TEMPORARY = 10000  # orders are renumbered through values above every real one


def question_answered(question: CategoryAttribute) -> bool:
    """Did any report of the category answer ``question``?"""
    return Report.objects.filter(
        category_id=question.category_id, attributes__has_key=question.code
    ).exists()


def value_used(question: CategoryAttribute, key: str) -> bool:
    """Did any report choose ``key`` in ``question``? For a multivaluelist the stored list is
    searched as JSON text (``"key"`` with its quotes: keys are letters, digits, ``_.-``), which
    PostgreSQL and SQLite both do (SQLite has no JSON containment); the match ignores case, and
    a false match only retires a value that could have gone."""
    answers = Report.objects.filter(category_id=question.category_id)
    if question.datatype == CategoryAttribute.Datatype.MULTIVALUELIST:
        return answers.filter(**{f"attributes__{question.code}__icontains": f'"{key}"'}).exists()
    return answers.filter(**{f"attributes__{question.code}": key}).exists()


def _renumber(category_id: int, ordered: list[int]) -> None:
    """Orders 1..n in ``ordered`` (questions in use first, then the retired). Two steps, so the
    unique (category, order) constraint holds after each statement on both databases."""
    from django.db.models import F

    CategoryAttribute.objects.filter(category_id=category_id).update(order=F("order") + _TEMPORARY)
    for n, pk in enumerate(ordered, start=1):
        CategoryAttribute.objects.filter(pk=pk).update(order=n)


def _ordered_ids(category_id: int, *, last: int | None = None) -> list[int]:
    rows = list(
        CategoryAttribute.objects.filter(category_id=category_id)
        .order_by("order", "pk")
        .values_list("pk", "is_active")
    )
    active = [pk for pk, on in rows if on and pk != last]
    if last is not None:
        active.append(last)
    return active + [pk for pk, on in rows if not on]


def _clean_values(question, datatype: str, rows: list[dict], errors: dict) -> tuple[list, dict]:
    """The list's values after the change, and what changed (added, renamed, retired, removed,
    restored). ``rows``: the existing values by ``key`` (names, ``remove``, ``restore``) and new
    ones (``new``: True) with a key and names; a new row left empty is ignored."""
    before = {str(v["key"]): v for v in (question.values if question else [])}
    changes: dict[str, list] = {
        "added": [],
        "renamed": [],
        "retired": [],
        "removed": [],
        "restored": [],
    }
    if datatype not in (
        CategoryAttribute.Datatype.SINGLEVALUELIST,
        CategoryAttribute.Datatype.MULTIVALUELIST,
    ):
        changes["removed"] = sorted(before)
        return [], changes
    values: list[dict] = []
    problems: list[str] = []
    given = {str(r.get("key")): r for r in rows if not r.get("new")}
    for key, old in before.items():
        row = given.get(key, {})
        name_sq = (row.get("name_sq", old.get("name_sq", "")) or "").strip()[:200]
        name_en = (row.get("name_en", old.get("name_en", "")) or "").strip()[:200]
        if not name_sq:
            problems.append(_("Give the answer %(key)s a name in Albanian.") % {"key": key})
        value = {"key": key, "name_sq": name_sq, "name_en": name_en}
        retired = bool(old.get("retired"))
        if retired and row.get("restore"):
            retired = False
            changes["restored"].append(key)
        elif not retired and row.get("remove"):
            if question is not None and question.datatype == datatype and value_used(question, key):
                retired = True
                changes["retired"].append(key)
            else:
                changes["removed"].append(key)
                continue
        if (name_sq, name_en) != (old.get("name_sq", ""), old.get("name_en", "")):
            changes["renamed"].append(key)
        if retired:
            value["retired"] = True
        values.append(value)
    taken = {key.lower() for key in before}
    for row in rows:
        if not row.get("new"):
            continue
        key = (row.get("key") or "").strip()
        name_sq = (row.get("name_sq") or "").strip()[:200]
        name_en = (row.get("name_en") or "").strip()[:200]
        if not (key or name_sq or name_en):
            continue
        if not VALUE_KEY.match(key) or len(key) > 60:
            problems.append(
                _(
                    "The key of a new answer is letters, digits and . _ - (e.g. primary): "
                    "“%(key)s” is not."
                )
                % {"key": key[:60]}
            )
            continue
        if key.lower() in taken:
            problems.append(
                _("Another answer of this question has (or had) the key %(key)s.") % {"key": key}
            )
            continue
        if not name_sq:
            problems.append(_("Give the answer %(key)s a name in Albanian.") % {"key": key})
        taken.add(key.lower())
        values.append({"key": key, "name_sq": name_sq, "name_en": name_en})
        changes["added"].append(key)
    if len(values) > MAX_VALUES:
        problems.append(_("A list has at most %(n)s answers.") % {"n": MAX_VALUES})
    if not any(not v.get("retired") for v in values):
        problems.append(_("A list needs at least one answer to choose: add one."))
    if problems:
        errors["values"] = problems
    return values, changes


def _type_is_fixed() -> str:
    return _(
        "Reports already answered this question, so its type cannot change (their answers "
        "were checked against it). Retire it and add a new question instead."
    )


def save_question(
    category: Category, *, actor, data: dict, question: CategoryAttribute | None = None
) -> CategoryAttribute:
    """Add (``question`` None) or change a question of the Open311 service ``category``.
    ``data``: code (on creation only), datatype, required, variable, the texts in
    :data:`QUESTION_TEXTS` and, for lists, ``values`` (rows as :func:`_clean_values` reads).

    The code never changes after creation and is unique within the category, retired
    questions included; a question that reports answered keeps its datatype."""
    role = require(actor, category.municipality, "reports.configure")
    if question is not None and question.category_id != category.pk:
        raise ValidationError(_("This question belongs to another category."))
    errors: dict[str, list] = {}
    fields: dict = {}
    if category.parent_id is None:
        errors["__all__"] = [_("A group asks no questions; its categories do.")]
    for name, length in QUESTION_TEXTS:
        fields[name] = (data.get(name) or "").strip()[:length]
    if not fields["description_sq"]:
        errors["description_sq"] = [_("Write the question in Albanian.")]
    datatype = str(data.get("datatype") or "")
    if datatype not in CategoryAttribute.Datatype.values:
        errors["datatype"] = [_("Choose the type of answer.")]
    elif question is not None and datatype != question.datatype and question_answered(question):
        errors["datatype"] = [_type_is_fixed()]
    fields["datatype"] = datatype
    fields["required"] = bool(data.get("required"))
    fields["variable"] = bool(data.get("variable", True))
    if not fields["variable"]:
        fields["required"] = False  # information only: nothing to answer
    if question is None:
        code = (data.get("code") or "").strip().lower()
        if not QUESTION_CODE.match(code) or len(code) > 60:
            errors["code"] = [
                _("The code is lower-case letters, digits, _ and -, e.g. channel_type.")
            ]
        elif CategoryAttribute.objects.filter(category=category, code=code).exists():
            errors["code"] = [_("Another question of this category has (or had) this code.")]
    else:
        code = question.code
    values, value_changes = _clean_values(question, datatype, data.get("values") or [], errors)
    fields["values"] = values
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The category's row lock orders concurrent edits of its questions (codes, orders).
        Category.objects.select_for_update().get(pk=category.pk)
        if question is None:
            in_use = CategoryAttribute.objects.filter(category=category, is_active=True).count()
            if in_use >= MAX_QUESTIONS:
                raise ValidationError(
                    {
                        "__all__": [
                            _("A category asks at most %(n)s questions.") % {"n": MAX_QUESTIONS}
                        ]
                    }
                )
            if CategoryAttribute.objects.filter(category=category, code=code).exists():
                raise ValidationError(
                    {"code": [_("Another question of this category has (or had) this code.")]}
                )
            top = CategoryAttribute.objects.filter(category=category).order_by("-order").first()
            question = CategoryAttribute.objects.create(
                category=category,
                code=code,
                order=(top.order if top else 0) + 1,
                **fields,
            )
            _renumber(category.pk, _ordered_ids(category.pk, last=question.pk))
            action, changed = "reports.question_create", sorted(fields)
        else:
            locked = CategoryAttribute.objects.select_for_update().get(pk=question.pk)
            if locked.datatype != datatype and question_answered(locked):
                # Answered between the check above and the lock.
                raise ValidationError({"datatype": [_type_is_fixed()]})
            changed = [k for k, v in fields.items() if getattr(locked, k) != v]
            for key, value in fields.items():
                setattr(locked, key, value)
            locked.save()
            question, action = locked, "reports.question_change"
        audit.record(
            action,
            actor=actor,
            role=role,
            municipality=category.municipality,
            obj=question,
            data={
                "category": category.code,
                "code": question.code,
                "changed": changed,
                "values": {k: v for k, v in value_changes.items() if v},
            },
        )
    question.refresh_from_db()
    return question


def move_question(question: CategoryAttribute, *, actor, up: bool) -> CategoryAttribute:
    """One place up or down among the questions in use (Open311 ``order`` 1 is asked first)."""
    category = question.category
    role = require(actor, category.municipality, "reports.configure")
    with transaction.atomic():
        Category.objects.select_for_update().get(pk=category.pk)
        ids = _ordered_ids(category.pk)
        active = list(
            CategoryAttribute.objects.filter(category=category, is_active=True).values_list(
                "pk", flat=True
            )
        )
        ordered_active = [pk for pk in ids if pk in active]
        if question.pk not in ordered_active:
            raise ValidationError(_("A retired question has no place in the order."))
        at = ordered_active.index(question.pk)
        to = at - 1 if up else at + 1
        if not 0 <= to < len(ordered_active):
            return question
        ordered_active[at], ordered_active[to] = ordered_active[to], ordered_active[at]
        _renumber(category.pk, ordered_active + [pk for pk in ids if pk not in active])
        codes = dict(
            CategoryAttribute.objects.filter(pk__in=ordered_active).values_list("pk", "code")
        )
        audit.record(
            "reports.question_move",
            actor=actor,
            role=role,
            municipality=category.municipality,
            obj=question,
            data={
                "category": category.code,
                "code": question.code,
                "order": [codes[pk] for pk in ordered_active],
            },
        )
    question.refresh_from_db()
    return question


def set_question_active(question: CategoryAttribute, *, actor, active: bool) -> str:
    """Retire a question (no longer asked, gone from the Open311 service definition) or bring
    it back (asked last). A question no report answered is deleted instead of retired, so its
    code is free again; one that was answered stays, retired, with its answers shown on the
    reports. Returns what happened: "retired", "deleted", "restored" or "unchanged"."""
    category = question.category
    role = require(actor, category.municipality, "reports.configure")
    with transaction.atomic():
        Category.objects.select_for_update().get(pk=category.pk)
        # The question's own row, for update: a report being filed holds a key-share lock on
        # the rows of the questions it answers, so this waits for it to commit, and the
        # answers looked for below (a later statement) include it.
        locked = CategoryAttribute.objects.select_for_update().filter(pk=question.pk).first()
        if locked is None or locked.is_active == active:
            return "unchanged"
        if active:
            if CategoryAttribute.objects.filter(category=category, is_active=True).count() >= (
                MAX_QUESTIONS
            ):
                raise ValidationError(
                    _("A category asks at most %(n)s questions.") % {"n": MAX_QUESTIONS}
                )
            locked.is_active = True
            locked.save(update_fields=["is_active"])
            _renumber(category.pk, _ordered_ids(category.pk, last=locked.pk))
            outcome = "restored"
        elif question_answered(locked):
            locked.is_active = False
            locked.save(update_fields=["is_active"])
            _renumber(category.pk, _ordered_ids(category.pk))
            outcome = "retired"
        else:
            outcome = "deleted"
        audit.record(
            f"reports.question_{'restore' if active else 'retire'}",
            actor=actor,
            role=role,
            municipality=category.municipality,
            obj=locked,
            data={"category": category.code, "code": locked.code, "outcome": outcome},
        )
        if outcome == "deleted":
            locked.delete()
            _renumber(category.pk, _ordered_ids(category.pk))
    return outcome


# --- routing ------------------------------------------------------------------------------------


def add_route(municipality: Municipality, *, actor, category, unit, team: str) -> RoutingRule:
    """Reports of ``category`` in ``unit`` (or anywhere, when ``unit`` is empty) go to
    ``team``; one rule per category and unit (a second one replaces the team, audited)."""
    role = require(actor, municipality, "reports.configure")
    errors: dict[str, list] = {}
    wanted = str(getattr(category, "pk", category) or "")
    found = (
        Category.objects.filter(municipality=municipality, pk=int(wanted)).first()
        if wanted.isdigit()
        else None
    )
    if found is None or found.parent_id is None:
        errors["category"] = [_("Choose a category of this municipality.")]
    place = None
    if unit:
        place = _unit(municipality, unit)
        if place is None:
            errors["unit"] = [_("Choose an administrative unit of this municipality.")]
    team = (team or "").strip()[:120]
    if not team:
        errors["team"] = [_("Name the team or department.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # A unique constraint cannot hold (category, NULL) on PostgreSQL; the lock on the
        # category makes "one rule for anywhere" hold under concurrent requests too.
        Category.objects.select_for_update().get(pk=found.pk)
        rule = RoutingRule.objects.filter(category=found, unit=place).first()
        before = rule.team if rule else ""
        if rule is None:
            rule = RoutingRule.objects.create(
                municipality=municipality, category=found, unit=place, team=team
            )
        else:
            rule.team = team
            rule.save(update_fields=["team"])
        audit.record(
            "reports.route_set",
            actor=actor,
            role=role,
            municipality=municipality,
            obj=rule,
            data={
                "category": found.code,
                "unit": place.slug if place else None,
                "team": team,
                "before": before,
            },
        )
    return rule


def remove_route(rule: RoutingRule, *, actor) -> None:
    """Reports of the rule's category and unit go to the category's own team again."""
    role = require(actor, rule.municipality, "reports.configure")
    with transaction.atomic():
        audit.record(
            "reports.route_remove",
            actor=actor,
            role=role,
            municipality=rule.municipality,
            obj=rule,
            data={
                "category": rule.category.code,
                "unit": rule.unit.slug if rule.unit else None,
                "team": rule.team,
            },
        )
        RoutingRule.objects.filter(pk=rule.pk).delete()


# --- area weights -------------------------------------------------------------------------------


def set_area_weight(municipality: Municipality, *, actor, unit, weight, reason: str) -> AreaWeight:
    """The priority list multiplies the scores of ``unit``'s clusters by ``weight`` (0.50 to
    5.00; 1 is neutral), for the public ``reason`` shown beside them."""
    role = require(actor, municipality, "reports.configure")
    errors: dict[str, list] = {}
    place = _unit(municipality, unit)
    if place is None:
        errors["unit"] = [_("Choose an administrative unit of this municipality.")]
    try:
        value = Decimal(str(weight).strip().replace(",", ".")).quantize(Decimal("0.01"))
        if not WEIGHT_RANGE[0] <= value <= WEIGHT_RANGE[1]:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        value = None
        errors["weight"] = [
            _("Give a weight from %(low)s to %(high)s (1 changes nothing).")
            % {"low": "0.50", "high": "5.00"}
        ]
    reason = (reason or "").strip()[:200]
    if not reason:
        errors["reason"] = [_("Say why this area weighs more or less: it is shown publicly.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row, created = AreaWeight.objects.select_for_update().get_or_create(
            unit=place,
            defaults={"municipality": municipality, "weight": value, "reason": reason},
        )
        before = None if created else str(row.weight)
        if not created:
            row.weight, row.reason = value, reason
            row.save(update_fields=["weight", "reason"])
        audit.record(
            "reports.area_weight_set",
            actor=actor,
            role=role,
            municipality=municipality,
            obj=row,
            data={"unit": place.slug, "weight": str(value), "before": before},
        )
    return row


def remove_area_weight(row: AreaWeight, *, actor) -> None:
    """The unit weighs 1 again on the priority list."""
    role = require(actor, row.municipality, "reports.configure")
    with transaction.atomic():
        audit.record(
            "reports.area_weight_remove",
            actor=actor,
            role=role,
            municipality=row.municipality,
            obj=row,
            data={"unit": row.unit.slug, "weight": str(row.weight)},
        )
        AreaWeight.objects.filter(pk=row.pk).delete()


# --- the ban list -------------------------------------------------------------------------------


def active_bans(municipality_id, now=None):
    now = now or timezone.now()
    return BannedReporter.objects.filter(
        municipality_id=municipality_id, lifted_at__isnull=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _mask(kind: str, value: str) -> str:
    if kind == BannedReporter.Kind.EMAIL:
        local, _at, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind in (BannedReporter.Kind.PHONE, BannedReporter.Kind.DEVICE):
        return f"…{value[-4:]}"
    return value  # an IP address


def ban(
    municipality: Municipality, *, actor, kind: str, value: str, reason: str, until=None
) -> BannedReporter:
    """Ban a sender: ``kind`` is one of :class:`BannedReporter.Kind`; ``value`` is a report's
    number (its reporter is banned, whoever they are), an email, a phone, a device_id or an IP.
    ``until`` is a date (the ban ends at its close) or empty (until lifted). Only a keyed hash
    of the value is stored; the list shows it masked."""
    from . import keys

    role = require(actor, municipality, "reports.configure")
    errors: dict[str, list] = {}
    value = (value or "").strip()
    value_hash = label = ""
    if kind == BannedReporter.Kind.REPORTER:
        report = (
            Report.objects.filter(municipality=municipality, pk=int(value)).first()
            if value.isdigit() and len(value) < 12
            else None
        )
        if report is None:
            errors["value"] = [_("Give the number of a report of this municipality.")]
        else:
            value_hash = report.reporter_key
            label = _("the reporter of report %(n)s") % {"n": report.pk}
    elif kind == BannedReporter.Kind.EMAIL:
        from django.core.validators import validate_email

        try:
            validate_email(value)
        except ValidationError:
            errors["value"] = [_("Give a valid email address.")]
        else:
            value_hash = keys.reporter_key(email=value)
    elif kind == BannedReporter.Kind.PHONE:
        if len(re.sub(r"\D", "", value)) < 8:
            errors["value"] = [_("Give the phone number, e.g. 069 123 4567.")]
        else:
            value_hash = keys.reporter_key(phone=value)
    elif kind == BannedReporter.Kind.DEVICE:
        if not value or len(value) > 100:
            errors["value"] = [
                _("Give the device_id the application sent (at most 100 characters).")
            ]
        else:
            value_hash = keys.reporter_key(device=value)
    elif kind == BannedReporter.Kind.IP:
        import ipaddress

        try:
            value = str(ipaddress.ip_address(value))
        except ValueError:
            errors["value"] = [_("Give an IP address, e.g. 192.0.2.10.")]
        else:
            value_hash = keys.ban_hash(f"ip:{value}")
    else:
        errors["kind"] = [_("Choose what to ban.")]
    reason = (reason or "").strip()[:200]
    if not reason:
        errors["reason"] = [_("Give the reason; other staff read it.")]
    expires_at = None
    if until:
        if until <= local_today():
            errors["until"] = [_("The ban must end after today; leave it empty for no end.")]
        else:
            expires_at = timezone.make_aware(datetime.combine(until, time(23, 59, 59)))
    if errors:
        raise ValidationError(errors)
    label = str(label or _mask(kind, value))
    with transaction.atomic():
        held = (
            BannedReporter.objects.select_for_update()
            .filter(municipality=municipality, value_hash=value_hash, lifted_at__isnull=True)
            .first()
        )
        if held is not None:
            if held.expires_at is None or held.expires_at > timezone.now():
                raise ValidationError({"value": [_("This sender is already banned.")]})
            # An expired ban ends at its own time, so the new one can be the active row.
            held.lifted_at = held.expires_at
            held.save(update_fields=["lifted_at"])
        row = BannedReporter.objects.create(
            municipality=municipality,
            value_hash=value_hash,
            kind=kind,
            label=label[:120],
            reason=reason,
            expires_at=expires_at,
            banned_by=actor,
        )
        audit.record(
            "reports.ban",
            actor=actor,
            role=role,
            municipality=municipality,
            obj=row,
            data={
                "kind": kind,
                "label": row.label,
                "until": expires_at.isoformat() if expires_at else None,
            },
        )
    return row


def lift_ban(row: BannedReporter, *, actor) -> BannedReporter:
    """The sender may file reports again; the row stays, with who lifted it and when."""
    role = require(actor, row.municipality, "reports.configure")
    with transaction.atomic():
        locked = BannedReporter.objects.select_for_update().get(pk=row.pk)
        if locked.lifted_at is not None:
            return locked
        locked.lifted_at = timezone.now()
        locked.lifted_by = actor
        locked.save(update_fields=["lifted_at", "lifted_by"])
        audit.record(
            "reports.ban_lift",
            actor=actor,
            role=role,
            municipality=locked.municipality,
            obj=locked,
            data={"kind": locked.kind, "label": locked.label},
        )
    return locked
