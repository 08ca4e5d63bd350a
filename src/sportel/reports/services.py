"""Every write of the reports module: filing, voices, staff actions, funding, Open311 updates.

Each function validates first (nothing is written on bad input), then works inside one
transaction with the report's (or cluster's) row locked, appends history rather than editing it,
writes an audit entry, and queues notifications to go out after commit.
"""

import contextlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit
from sportel.core.calendar import add_working_days, local_today
from sportel.core.models import AdministrativeUnit, Municipality
from sportel.core.notifications import NoRecipient, send_notification
from sportel.core.uploads import check_upload

from . import geo, sql, workflow
from .keys import ban_hash, reporter_key
from .models import (
    AreaSubscription,
    Category,
    CategoryAttribute,
    Cluster,
    ClusterVoice,
    FundingDecision,
    Open311Key,
    Report,
    ReportEvent,
    ReportPhoto,
)
from .subscriptions import covering_unit, report_link, send_subscription
from .tasks import notify_area_subscribers

MAX_PHOTOS = 5
# How long after a fix the reporter may still reopen it (days).
REOPEN_DAYS = getattr(settings, "SPORTEL_REPORTS_REOPEN_DAYS", 30)


# --- who the reporter is ---------------------------------------------------------------------


def refuse_banned(municipality, *, key, email="", phone="", device="", client_ip="") -> None:
    """PermissionDenied when the reporter, or any email, phone, device or address they send
    from, is on the municipality's ban list (bans that expired or were lifted do not count)."""
    _check_sender(
        municipality, key=key, email=email, phone=phone, device=device, client_ip=client_ip
    )


def _check_sender(
    municipality, *, key, email="", phone="", device="", client_ip="", area=False
) -> bool:
    """:func:`refuse_banned`, and in the same statement whether anyone is subscribed to the
    area ``area`` (an administrative unit's id, None for none; False: not asked)."""
    hashes = {key}
    if email:
        hashes.add(reporter_key(email=email))
    if phone:
        hashes.add(reporter_key(phone=phone))
    if device:
        hashes.add(reporter_key(device=device))
    if client_ip:
        hashes.add(ban_hash(f"ip:{client_ip}"))
    banned, subscribed = sql.sender_check(
        getattr(municipality, "pk", municipality), hashes, area=area
    )
    if banned:
        raise PermissionDenied(_("Reports from this sender are not accepted."))
    return subscribed


# --- moderation: personal data hidden before text is public ------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(\+?355|0)[\s-]?6[789](?:[\s-]?\d){7}(?!\d)")
_NID = re.compile(r"\b[A-T0-9][0-9]{8}[A-Z]\b")


def public_text(text: str) -> str:
    """The text with emails, Albanian mobile numbers and personal numbers (NID) hidden."""
    text = _EMAIL.sub("[email]", text or "")
    text = _PHONE.sub("[phone]", text)
    return _NID.sub("[id]", text)


# --- input ------------------------------------------------------------------------------------


@dataclass
class Place:
    lat: Decimal | None = None
    long: Decimal | None = None
    address: str = ""
    unit: AdministrativeUnit | None = None


def parse_place(municipality: Municipality, *, lat="", long="", address="", unit="") -> Place:
    """Coordinates, or a typed address, or an administrative unit: at least one. Coordinates
    must lie inside the municipality. Errors keyed by field."""
    errors: dict[str, str] = {}
    place = Place(address=(address or "").strip()[:250])
    if unit:
        found = (
            unit
            if isinstance(unit, AdministrativeUnit)
            else AdministrativeUnit.objects.filter(
                municipality=municipality, slug=str(unit)
            ).first()
        )
        if found is None or found.municipality_id != municipality.pk:
            errors["unit"] = _("Choose an administrative unit of this municipality.")
        place.unit = found
    lat, long = str(lat or "").strip(), str(long or "").strip()
    if lat or long:
        try:
            place.lat = Decimal(lat).quantize(Decimal("0.000001"))
            place.long = Decimal(long).quantize(Decimal("0.000001"))
            if not (-90 <= place.lat <= 90 and -180 <= place.long <= 180):
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["lat"] = _("Latitude and longitude must be numbers, e.g. 41.9826 and 19.4233.")
        else:
            if not geo.inside(municipality.slug, place.lat, place.long):
                errors["lat"] = _("This place is outside the municipality of %(name)s.") % {
                    "name": municipality.name
                }
    elif place.unit is not None and not errors:
        centre = geo.unit_centre(municipality.slug, place.unit.slug)
        if centre:
            place.lat, place.long = centre
    if not errors and place.lat is None and not place.address and place.unit is None:
        errors["lat"] = _(
            "Say where the problem is: put a pin on the map, type the coordinates, or type an "
            "address or choose the administrative unit."
        )
    if errors:
        raise ValidationError(errors)
    return place


def clean_attributes(category: Category, raw: dict) -> dict:
    """The answers to the category's questions, checked by their Open311 datatype.

    ``raw`` maps an attribute code to a string (or a list for multivaluelist). Errors are keyed
    ``attribute[code]``, the name Open311 clients send them under."""
    answers: dict = {}
    errors: dict[str, str] = {}
    for attribute in category.questions():
        if not attribute.variable:
            continue
        key = f"attribute[{attribute.code}]"
        value = raw.get(attribute.code)
        if isinstance(value, list | tuple) and attribute.datatype != "multivaluelist":
            value = value[0] if value else ""
        if value in (None, "", [], ()):
            if attribute.required:
                errors[key] = _("Answer the question: %(q)s") % {"q": attribute.description()}
            continue
        allowed = {k for k, _name in attribute.value_names()}
        kind = attribute.datatype
        if kind == CategoryAttribute.Datatype.NUMBER:
            try:
                number = Decimal(str(value).strip().replace(",", "."))
                if not number.is_finite():
                    raise InvalidOperation
                answers[attribute.code] = str(number)
            except (InvalidOperation, ValueError):
                errors[key] = _("%(q)s: give a number.") % {"q": attribute.description()}
        elif kind == CategoryAttribute.Datatype.DATETIME:
            parsed = parse_datetime(str(value).strip()) if len(str(value)) < 40 else None
            if parsed is None:
                errors[key] = _("%(q)s: give a date and time, e.g. 2026-05-01T08:30.") % {
                    "q": attribute.description()
                }
            else:
                if timezone.is_naive(parsed):
                    parsed = timezone.make_aware(parsed)
                answers[attribute.code] = parsed.isoformat()
        elif kind == CategoryAttribute.Datatype.SINGLEVALUELIST:
            if str(value) not in allowed:
                errors[key] = _("%(q)s: choose one of the listed answers.") % {
                    "q": attribute.description()
                }
            else:
                answers[attribute.code] = str(value)
        elif kind == CategoryAttribute.Datatype.MULTIVALUELIST:
            values = [value] if isinstance(value, str) else list(value)
            if any(str(v) not in allowed for v in values):
                errors[key] = _("%(q)s: choose among the listed answers.") % {
                    "q": attribute.description()
                }
            else:
                answers[attribute.code] = sorted({str(v) for v in values})
        else:
            text = str(value)
            if kind == CategoryAttribute.Datatype.STRING and ("\n" in text or "\r" in text):
                errors[key] = _("%(q)s: one line only.") % {"q": attribute.description()}
            elif len(text) > 2000:
                errors[key] = _("%(q)s: at most 2000 characters.") % {"q": attribute.description()}
            else:
                answers[attribute.code] = text.strip()
    if errors:
        raise ValidationError(errors)
    return answers


def check_photos(uploads) -> list:
    """Each upload checked by core/uploads.py (size, type sniffed, pixels, re-encoded): images
    only. Errors under ``media``."""
    uploads = [u for u in uploads or [] if u]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({"media": _("At most %(n)d photos.") % {"n": MAX_PHOTOS}})
    checked = []
    for upload in uploads:
        try:
            photo = check_upload(upload)
        except ValidationError as exc:
            raise ValidationError(
                {"media": exc.message_dict.get("attachments", exc.messages)}
            ) from exc
        if not photo.content_type.startswith("image/"):
            raise ValidationError(
                {"media": _("%(name)s is not a photo (PNG or JPEG).") % {"name": photo.name}}
            )
        checked.append(photo)
    return checked


def _store_photo(report: Report, photo, *, after=False, event=None) -> ReportPhoto:
    row = ReportPhoto(
        municipality_id=report.municipality_id,
        report=report,
        event=event,
        content_type=photo.content_type,
        after=after,
        uploaded_at=timezone.now(),
    )
    extension = "png" if photo.content_type == "image/png" else "jpg"
    row.file.save(f"{secrets.token_hex(12)}.{extension}", ContentFile(photo.content), save=False)
    row.save()
    return row


def _route(category: Category, unit) -> str:
    rules = {rule.unit_id: rule.team for rule in category.routes.all()}
    if unit is not None and unit.pk in rules:
        return rules[unit.pk]
    return rules.get(None) or category.team


def _deadline(category: Category) -> datetime:
    day = add_working_days(local_today(), category.deadline_working_days)
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


# --- filing -------------------------------------------------------------------------------------


@dataclass
class Filed:
    report: Report
    # Only for an anonymous reporter: the code sent to confirm (tests and the counter read it).
    confirmation_code: str = ""
    photos: list = field(default_factory=list)


def file_report(
    municipality: Municipality,
    *,
    category: Category,
    place: Place,
    description: str = "",
    answers: dict | None = None,
    channel: str = Report.Channel.WEB,
    account=None,
    person=None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    device_id: str = "",
    language: str = "sq",
    photos=(),
    api_key: Open311Key | None = None,
    filed_by=None,
    confirmed: bool | None = None,
    client_ip: str = "",
    idempotency_key: str = "",
) -> Filed:
    """File a report (validated input: a :class:`Place`, cleaned answers, checked photos).

    A report from an account, a clerk, or an Open311 application is open at once; an anonymous
    web report waits for its reporter to confirm the email or phone given. The report joins (or
    starts) the cluster of its category nearby and adds its reporter's voice.

    An Open311 application's ``idempotency_key`` returns the report first filed with that key
    (also when two requests race to the insert), never a second one."""
    key_of_client = f"k{api_key.pk}:{idempotency_key}" if idempotency_key and api_key else ""
    if key_of_client:
        first = _first_filed(municipality, key_of_client)
        if first is not None:
            return first
    if category.municipality_id != municipality.pk or category.parent_id is None:
        raise ValidationError({"service_code": _("Unknown category.")})
    if filed_by is not None:
        require(filed_by, municipality, "reports.counter")
    if len(description or "") > 5000:
        raise ValidationError({"description": _("At most 5000 characters.")})
    if not (description or "").strip() and not answers:
        raise ValidationError({"description": _("Describe the problem.")})
    key = reporter_key(account=account, person=person, email=email, phone=phone, device=device_id)
    if confirmed is None:
        confirmed = account is not None or filed_by is not None or api_key is not None
    # The ban list, and for a report public at once whether the area has subscribers (told
    # when it joins its cluster), in one statement.
    subscribed = _check_sender(
        municipality, key=key, email=email, phone=phone, device=device_id, client_ip=client_ip,
        area=getattr(place.unit, "pk", None) if confirmed else False,
    )  # fmt: skip
    if not confirmed and not (email or phone):
        raise ValidationError(
            {"email": _("Give an email address or a phone number, so we can confirm the report.")}
        )
    try:
        return _file(
            municipality, category, place, description, answers, channel, account, person,
            first_name, last_name, email, phone, device_id, language, photos, api_key, filed_by,
            confirmed, key, key_of_client, subscribed,
        )  # fmt: skip
    except IntegrityError:
        first = _first_filed(municipality, key_of_client) if key_of_client else None
        if first is None:
            raise
        return first


def _hold_questions(category: Category, answers: dict) -> None:
    """Keep the questions answered from being deleted until this report commits, and refuse
    the answers when one of them was deleted meanwhile (they were checked before this
    transaction). Deleting a question locks its row for update
    (``configuration.set_question_active``) and looks for answers in a later statement; on
    PostgreSQL a key-share lock on each answered question's row, taken by the statement that
    writes the report's rows (``sql.insert_filed``), makes the deletion wait for this report,
    which it then finds, and retires the question instead; and a report whose statement waited
    for a deletion finds the row gone and is refused. This is the check on other databases
    (SQLite: one writer at a time already)."""
    codes = list(answers)
    asked = set(
        CategoryAttribute.objects.filter(category=category, code__in=codes).values_list(
            "code", flat=True
        )
    )
    if asked != set(codes):
        raise _questions_changed()


def _questions_changed() -> ValidationError:
    return ValidationError(
        _("The questions of this category changed meanwhile: check your answers and send again.")
    )


def _first_filed(municipality: Municipality, key: str) -> Filed | None:
    report = Report.objects.filter(municipality=municipality, idempotency_key=key).first()
    return None if report is None else Filed(report=report, confirmation_code="", photos=[])


def _file(
    municipality, category, place, description, answers, channel, account, person, first_name,
    last_name, email, phone, device_id, language, photos, api_key, filed_by, confirmed, key,
    key_of_client, subscribed,
) -> Filed:  # fmt: skip
    now = timezone.now()
    code = "" if confirmed else f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        if answers and connection.vendor != "postgresql":
            _hold_questions(category, answers)  # on PostgreSQL: in sql.insert_filed's statement
        # A confirmed report joins its cluster as it is written (no second UPDATE of the row).
        cluster, created = (
            _cluster_for(municipality.pk, category, place.lat, place.long, place.address,
                         place.unit, save=connection.vendor != "postgresql")
            if confirmed
            else (None, False)
        )  # fmt: skip
        report = Report(
            municipality=municipality,
            category=category,
            cluster=cluster,
            status=workflow.OPEN if confirmed else workflow.UNCONFIRMED,
            channel=channel,
            description=(description or "").strip(),
            public_description=public_text((description or "").strip()),
            lat=place.lat,
            long=place.long,
            address=place.address,
            unit=place.unit,
            attributes=answers or {},
            team=_route(category, place.unit),
            account=account,
            person=person,
            first_name=first_name[:100],
            last_name=last_name[:100],
            email=email,
            phone=phone,
            device_id=device_id[:100],
            language=language,
            reporter_key=key,
            confirmation_code=code,
            api_key=api_key,
            idempotency_key=key_of_client,
            filed_by=filed_by,
            reporter_secret=secrets.token_urlsafe(24),
            requested_at=now,
            updated_at=now,
            expected_at=_deadline(category),
        )
        event = _event(report, actor=filed_by, action="file", to_status=report.status)
        if connection.vendor == "postgresql":
            # The cluster (when new), the report, its history row and the reporter's voice in
            # one statement (reports/sql.py); elsewhere one statement each.
            voice = _voice_row(report, cluster, created) if cluster is not None else None
            # With the key-share locks on the questions answered and the check they are there.
            if not sql.insert_filed(
                report, event, cluster=cluster, created=created, voice=voice,
                answered=list(answers) if answers else None,
            ):  # fmt: skip
                raise _questions_changed()
            if cluster is not None:
                _notify_subscribers(report, subscribed=subscribed)
        else:
            report.save(force_insert=True)
            event.report = report
            event.save(force_insert=True)
            if cluster is not None:
                _joined(report, cluster, created, subscribed=subscribed)
        stored = [_store_photo(report, photo, event=event) for photo in photos]
        audit.record(
            "report.file",
            actor=filed_by or account,
            municipality=municipality,
            obj=report,
            data={"channel": channel, "category": category.code, "photos": len(stored)},
        )
        if not confirmed:
            _notify(report, "reports_confirm", {"code": code})
    return Filed(report=report, confirmation_code=code, photos=stored)


def confirm_report(report: Report, code: str) -> Report:
    """The anonymous reporter types the code sent to them: the report becomes public."""
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.status != workflow.UNCONFIRMED:
            raise workflow.IllegalTransition(locked.status, "confirm")
        if not code or not hmac.compare_digest(locked.confirmation_code, code.strip()):
            raise ValidationError({"code": _("That is not the code we sent.")})
        _move(locked, "confirm", actor=None)
        locked.confirmation_code = ""
        locked.save(update_fields=["confirmation_code"])
        _join_cluster(locked)
    return locked


# --- clusters -----------------------------------------------------------------------------------


def nearby_clusters(
    category: Category, lat, long, *, limit: int = 5
) -> list[tuple[Cluster, float]]:
    """Open clusters of ``category`` within its duplicate radius of the point, nearest first."""
    if lat is None or long is None:
        return []
    south, west, north, east = geo.box_around(lat, long, category.duplicate_radius_m)
    since = timezone.now() - timezone.timedelta(days=category.cluster_window_days)
    candidates = sql.open_clusters_in_box(category, south, west, north, east, since)
    found = [
        (cluster, geo.distance_m(lat, long, cluster.lat, cluster.long)) for cluster in candidates
    ]
    found = [(c, d) for c, d in found if d <= category.duplicate_radius_m]
    return sorted(found, key=lambda pair: pair[1])[:limit]


def _join_cluster(report: Report) -> None:
    """Put a public report into the nearest open cluster of its category, or a new one."""
    cluster, created = _cluster_for(
        report.municipality_id, report.category, report.lat, report.long, report.address,
        report.unit,
    )  # fmt: skip
    report.cluster = cluster
    report.save(update_fields=["cluster"])
    _joined(report, cluster, created)


def _cluster_for(
    municipality_id, category, lat, long, address, unit, *, save=True
) -> tuple[Cluster, bool]:
    """The open cluster of ``category`` a report at this place joins (the nearest within the
    category's radius and window, by the indexed bounding box), or a new one, created with the
    reporter's voice already counted: (cluster, created). ``save=False`` leaves a new cluster
    unsaved (the caller inserts it with the report)."""
    cluster = None
    if lat is not None:
        near = nearby_clusters(category, lat, long, limit=1)
        cluster = near[0][0] if near else None
    elif address or unit is not None:
        cluster = Cluster.objects.filter(
            municipality_id=municipality_id,
            category=category,
            is_open=True,
            lat__isnull=True,
            unit=unit,
            address_key=address.lower(),
        ).first()
    if cluster is not None:
        return cluster, False
    now = timezone.now()
    cluster = Cluster(
        municipality_id=municipality_id,
        category=category,
        unit=unit,
        lat=lat,
        long=long,
        address_key="" if lat is not None else address.lower(),
        created_at=now,
        last_report_at=now,
        voices=1,
    )
    if save:
        cluster.save(force_insert=True)
    return cluster, True


def _voice_row(report: Report, cluster: Cluster, created: bool) -> ClusterVoice:
    """The reporter's voice in ``cluster`` (unsaved): at the cluster's creation when it starts
    it."""
    return ClusterVoice(
        municipality_id=cluster.municipality_id,
        cluster=cluster,
        reporter_key=report.reporter_key,
        report=report,
        email=report.email,
        phone=report.phone,
        account=report.account,
        language=report.language,
        at=cluster.created_at if created else timezone.now(),
    )


def _joined(report: Report, cluster: Cluster, created: bool, *, subscribed=None) -> None:
    """After ``report`` joined ``cluster``: its reporter's voice (one row; on an existing
    cluster the counter and the time of the last report move in one statement), and the
    residents subscribed to the area are told."""
    _notify_subscribers(report, subscribed=subscribed)
    voice = {
        "key": report.reporter_key,
        "report": report,
        "email": report.email,
        "phone": report.phone,
        "account": report.account,
        "language": report.language,
    }
    if created:  # counted at creation; nobody else can see the cluster yet
        ClusterVoice.objects.create(
            municipality_id=cluster.municipality_id,
            cluster=cluster,
            reporter_key=voice["key"],
            report=report,
            email=voice["email"],
            phone=voice["phone"],
            account=voice["account"],
            language=voice["language"],
            at=cluster.created_at,
        )
        return
    now = timezone.now()
    if not _add_voice_row(cluster, touch=now, **voice):
        Cluster.objects.filter(pk=cluster.pk).update(last_report_at=now)


def _add_voice_row(
    cluster: Cluster,
    *,
    key,
    report=None,
    email="",
    phone="",
    account=None,
    language="sq",
    touch=None,
) -> bool:
    """One voice per reporter per cluster; the counter moves only when the row is new (and
    ``touch``, when given, becomes the cluster's time of the last report in the same
    statement)."""
    try:
        with transaction.atomic():
            ClusterVoice.objects.create(
                municipality_id=cluster.municipality_id,
                cluster=cluster,
                reporter_key=key,
                report=report,
                email=email,
                phone=phone,
                account=account,
                language=language,
                at=timezone.now(),
            )
    except IntegrityError:
        return False
    changes = {"voices": F("voices") + 1}
    if touch is not None:
        changes["last_report_at"] = touch
    Cluster.objects.filter(pk=cluster.pk).update(**changes)
    return True


def add_voice(
    cluster: Cluster, *, account=None, email: str = "", phone: str = "", language: str = "sq"
) -> bool:
    """ "Me too": a resident adds their voice to an open cluster instead of a new report.
    Returns False when this reporter had already been counted (nothing changes then)."""
    if not cluster.is_open:
        raise ValidationError({"cluster": _("This problem is no longer open.")})
    if account is None and not (email or phone):
        raise ValidationError({"email": _("Give an email address or a phone number.")})
    key = reporter_key(account=account, email=email, phone=phone)
    refuse_banned(cluster.municipality_id, key=key, email=email, phone=phone)
    with transaction.atomic():
        added = _add_voice_row(
            cluster, key=key, email=email, phone=phone, account=account, language=language
        )
        if added:
            audit.record(
                "report.voice", actor=account, municipality=cluster.municipality, obj=cluster
            )
    return added


def merge_into(report: Report, cluster: Cluster, *, actor) -> Report:
    """Staff correct the grouping: the report (and its reporter's voice) moves to ``cluster``."""
    role = require(actor, report.municipality, "reports.triage")
    if (
        cluster.municipality_id != report.municipality_id
        or cluster.category_id != report.category_id
    ):
        raise ValidationError({"cluster": _("Choose a group of the same category.")})
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if not locked.is_public:
            raise ValidationError({"cluster": _("The report is not confirmed yet.")})
        old = locked.cluster_id
        if old == cluster.pk:
            return locked
        _leave_cluster(locked)
        # An open report reopens the group it joins (a fixed group gets new work).
        Cluster.objects.filter(pk=cluster.pk).update(is_open=True)
        _regroup(locked, cluster, old=old, action="merge", actor=actor, role=role)
    return locked


def split(report: Report, *, actor) -> Cluster:
    """Staff take a report out of its cluster into a new one of its own."""
    role = require(actor, report.municipality, "reports.triage")
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.cluster_id is None:
            raise ValidationError({"cluster": _("The report is not in a group.")})
        old = locked.cluster_id
        _leave_cluster(locked)
        now = timezone.now()
        cluster = Cluster.objects.create(
            municipality_id=locked.municipality_id,
            category=locked.category,
            unit=locked.unit,
            lat=locked.lat,
            long=locked.long,
            address_key=locked.address.lower(),
            created_at=now,
            last_report_at=now,
            is_open=locked.status in workflow.OPEN_STATES,
        )
        _regroup(locked, cluster, old=old, action="split", actor=actor, role=role)
    return cluster


def _regroup(locked: Report, cluster: Cluster, *, old, action: str, actor, role) -> None:
    """The shared end of :func:`merge_into` and :func:`split`, once the locked report has left
    its old group: it points at ``cluster``, its reporter's voice is counted there (once), and
    the move is an internal history line and an audit entry. Not for reports that join a group
    as they are filed or confirmed: :func:`_joined` does that, with the subscribers' notice."""
    locked.cluster = cluster
    locked.save(update_fields=["cluster"])
    _add_voice_row(
        cluster,
        key=locked.reporter_key,
        report=locked,
        email=locked.email,
        phone=locked.phone,
        account=locked.account,
        language=locked.language,
    )
    _append(
        locked,
        actor=actor,
        action=action,
        public=False,
        data={"from_cluster": old, "to_cluster": cluster.pk},
    )
    audit.record(
        f"report.{action}",
        actor=actor,
        role=role,
        municipality=locked.municipality,
        obj=locked,
        data={"from": old, "to": cluster.pk},
    )


def _leave_cluster(report: Report) -> None:
    if report.cluster_id is None:
        return
    others = Report.objects.filter(
        cluster_id=report.cluster_id, reporter_key=report.reporter_key
    ).exclude(pk=report.pk)
    if not others.exists():
        deleted, _rows = ClusterVoice.objects.filter(
            cluster_id=report.cluster_id, reporter_key=report.reporter_key
        ).delete()
        if deleted:
            Cluster.objects.filter(pk=report.cluster_id).update(voices=F("voices") - deleted)
    _refresh_cluster_state(report.cluster_id, exclude=report.pk)


def _refresh_cluster_state(cluster_id, *, exclude=None) -> None:
    """A cluster is open while any of its reports is; fixed when all of them are fixed."""
    reports = Report.objects.filter(cluster_id=cluster_id)
    if exclude:
        reports = reports.exclude(pk=exclude)
    statuses = set(reports.values_list("status", flat=True))
    is_open = bool(statuses & workflow.OPEN_STATES) or not statuses
    fixed_at = timezone.now() if statuses and statuses <= {workflow.FIXED} else None
    Cluster.objects.filter(pk=cluster_id).update(is_open=is_open, fixed_at=fixed_at)


# --- history ------------------------------------------------------------------------------------


def _append(
    report,
    *,
    actor,
    action,
    to_status="",
    from_status="",
    public=True,
    text="",
    data=None,
    external_id="",
) -> ReportEvent:
    event = _event(
        report,
        actor=actor,
        action=action,
        to_status=to_status,
        from_status=from_status,
        public=public,
        text=text,
        data=data,
        external_id=external_id,
    )
    event.save(force_insert=True)
    return event


def _event(
    report,
    *,
    actor,
    action,
    to_status="",
    from_status="",
    public=True,
    text="",
    data=None,
    external_id="",
) -> ReportEvent:
    """A history row of ``report``, not yet saved."""
    return ReportEvent(
        municipality_id=report.municipality_id,
        report=report,
        at=timezone.now(),
        actor=actor if actor is not None and not isinstance(actor, str) else None,
        actor_label=(actor if isinstance(actor, str) else getattr(actor, "full_name", "") or "")[
            :200
        ],
        action=action,
        from_status=from_status,
        to_status=to_status,
        public=public,
        text=text,
        data=data or {},
        external_id=external_id,
    )


def _move(
    report: Report, action: str, *, actor, text: str = "", data=None, public=True
) -> ReportEvent:
    """Apply one workflow edge to a locked report: the history row, the pointer, the audit."""
    before = report.status
    after = workflow.next_state(before, action)
    now = timezone.now()
    event = _append(
        report,
        actor=actor,
        action=action,
        from_status=before,
        to_status=after,
        text=text,
        data=data,
        public=public,
    )
    report.status = after
    report.updated_at = now
    fields = ["status", "updated_at"]
    if after in workflow.CLOSED_STATES and before not in workflow.CLOSED_STATES:
        report.resolved_at = now
        fields.append("resolved_at")
    if action == "reopen":
        report.resolved_at = None
        fields.append("resolved_at")
    report.save(update_fields=fields)
    audit.record(
        f"report.{action}",
        actor=actor,
        municipality=report.municipality,
        obj=report,
        data={"from": before, "to": after},
    )
    if report.cluster_id:
        if action == "reopen":
            Cluster.objects.filter(pk=report.cluster_id).update(reopenings=F("reopenings") + 1)
        _refresh_cluster_state(report.cluster_id)
    if (public and after != before) or action == "reopen":
        _notify_change(report, event)
    return event


def _lock(report: Report) -> Report:
    return (
        Report.objects.select_related("municipality", "category")
        .select_for_update(of=("self",))
        .get(pk=report.pk)
    )


def _refresh(report: Report) -> Report:
    report.refresh_from_db()
    return report


# --- staff actions (called through actions.py) -------------------------------------------------


def _staff_move(
    report,
    action,
    *,
    actor,
    permission="reports.triage",
    text="",
    photo=None,
    require_text=False,
    data=None,
):
    role = require(actor, report.municipality, permission)
    if require_text and not (text or "").strip():
        raise ValidationError({"text": _("Write what was done: the reporter reads this note.")})
    photos = check_photos([photo]) if photo else []
    with transaction.atomic():
        locked = _lock(report)
        event = _move(
            locked,
            action,
            actor=actor,
            text=(text or "").strip(),
            data={**(data or {}), "role": role},
        )
        for checked in photos:
            _store_photo(locked, checked, after=True, event=event)
    return _refresh(report)


def start(report, *, actor, text=""):
    return _staff_move(report, "start", actor=actor, text=text)


def plan(report, *, actor, text=""):
    return _staff_move(report, "plan", actor=actor, text=text)


def schedule(report, *, actor, text="", date=None):
    return _staff_move(
        report, "schedule", actor=actor, text=text, data={"date": str(date)} if date else None
    )


def fix(report, *, actor, text="", photo=None):
    """Resolve with a required note (the reporter reads it) and an optional after-photo."""
    return _staff_move(report, "fix", actor=actor, text=text, photo=photo, require_text=True)


def close_not_responsible(report, *, actor, text=""):
    return _staff_move(report, "close_not_responsible", actor=actor, text=text, require_text=True)


def close_no_action(report, *, actor, text=""):
    return _staff_move(report, "close_no_action", actor=actor, text=text, require_text=True)


def mark_duplicate(report, *, actor, original=None, text=""):
    """Closed as a duplicate of ``original`` (same municipality), whose cluster it joins."""
    role = require(actor, report.municipality, "reports.triage")
    if (
        original is None
        or original.municipality_id != report.municipality_id
        or original.pk == report.pk
    ):
        raise ValidationError({"original": _("Choose the report this one duplicates.")})
    with transaction.atomic():
        locked = _lock(report)
        _move(
            locked,
            "mark_duplicate",
            actor=actor,
            text=(text or "").strip(),
            data={"original": original.pk},
        )
        locked.duplicate_of = original
        locked.save(update_fields=["duplicate_of"])
        if original.cluster_id and locked.cluster_id != original.cluster_id:
            _leave_cluster(locked)
            locked.cluster_id = original.cluster_id
            locked.save(update_fields=["cluster"])
            _add_voice_row(
                original.cluster,
                key=locked.reporter_key,
                report=locked,
                email=locked.email,
                phone=locked.phone,
                account=locked.account,
                language=locked.language,
            )
        audit.record(
            "report.duplicate_of",
            actor=actor,
            role=role,
            municipality=locked.municipality,
            obj=locked,
            data={"of": original.pk},
        )
    return _refresh(report)


def staff_reopen(report, *, actor, text=""):
    return _staff_move(report, "reopen", actor=actor, text=text, require_text=True)


def assign(report, *, actor, assignee=None, team: str = ""):
    """Give the report to a person (staff of this municipality) or a team; not a workflow edge."""
    role = require(actor, report.municipality, "reports.triage")
    if assignee is not None:
        from sportel.accounts.permissions import has_permission

        if not has_permission(assignee, report.municipality, "reports.triage"):
            raise ValidationError({"assignee": _("Choose a member of staff who works reports.")})
    if assignee is None and not team.strip():
        raise ValidationError({"assignee": _("Choose a person or a team.")})
    with transaction.atomic():
        locked = _lock(report)
        if locked.status not in workflow.OPEN_STATES:
            raise ValidationError({"assignee": _("Only an open report can be assigned.")})
        locked.assignee = assignee
        if team.strip():
            locked.team = team.strip()[:120]
        locked.updated_at = timezone.now()
        locked.save(update_fields=["assignee", "team", "updated_at"])
        _append(
            locked,
            actor=actor,
            action="assign",
            public=False,
            data={"assignee": getattr(assignee, "pk", None), "team": locked.team},
        )
        audit.record(
            "report.assign", actor=actor, role=role, municipality=locked.municipality, obj=locked
        )
    return _refresh(report)


def add_note(report, *, actor, text: str, public: bool = False):
    """A public note (the reporter is told, moderated) or an internal one."""
    role = require(actor, report.municipality, "reports.triage")
    if not (text or "").strip():
        raise ValidationError({"text": _("The note is empty.")})
    with transaction.atomic():
        locked = _lock(report)
        event = _append(
            locked,
            actor=actor,
            action="note",
            public=public,
            text=public_text(text.strip()) if public else text.strip(),
        )
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])
        audit.record(
            "report.note",
            actor=actor,
            role=role,
            municipality=locked.municipality,
            obj=locked,
            data={"public": public},
        )
        if public:
            _notify_change(locked, event)
    return _refresh(report)


# --- the reporter ---------------------------------------------------------------------------


def _reporter_may(report: Report, secret: str, account) -> bool:
    if account is not None and report.account_id == getattr(account, "pk", None):
        return True
    return bool(secret) and hmac.compare_digest(report.reporter_secret, secret)


def may_reopen(report: Report) -> bool:
    return (
        report.status == workflow.FIXED
        and report.resolved_at is not None
        and (timezone.now() - report.resolved_at).days < REOPEN_DAYS
    )


def reporter_confirms_fix(report: Report, *, secret: str = "", account=None) -> Report:
    if not _reporter_may(report, secret, account):
        raise PermissionDenied(_("Only the reporter can confirm the fix."))
    with transaction.atomic():
        locked = _lock(report)
        _move(locked, "confirm_fix", actor=account or "reporter", public=True)
    return locked


def reporter_reopens(report: Report, *, text: str, secret: str = "", account=None) -> Report:
    """The reporter says it is not fixed, within the reopening window, with a reason."""
    if not _reporter_may(report, secret, account):
        raise PermissionDenied(_("Only the reporter can reopen the report."))
    if not (text or "").strip():
        raise ValidationError({"text": _("Say what is still wrong.")})
    with transaction.atomic():
        locked = _lock(report)
        if locked.status == workflow.FIXED and not may_reopen(locked):
            raise ValidationError(
                {"text": _("The time to reopen this report has passed; please file a new one.")}
            )
        if locked.status != workflow.FIXED:
            raise workflow.IllegalTransition(locked.status, "reopen")
        _move(locked, "reopen", actor=account or "reporter", text=public_text(text.strip()))
    return locked


# --- funding ------------------------------------------------------------------------------------


def record_funding(
    cluster: Cluster, *, actor, amount, budget_line: str, decision_number: str, decision_date
) -> FundingDecision:
    """The council funds the work on a cluster: amount in lek (2 decimals, ROUND_HALF_UP)."""
    from sportel.core.money import to_money

    role = require(actor, cluster.municipality, "reports.fund")
    errors = {}
    try:
        value = to_money(amount)
        if value <= 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors["amount"] = _("Give the amount in lek, more than zero.")
    if not (budget_line or "").strip():
        errors["budget_line"] = _("Give the budget line.")
    if not (decision_number or "").strip():
        errors["decision_number"] = _("Give the council decision's number.")
    if not decision_date:
        errors["decision_date"] = _("Give the council decision's date.")
    elif decision_date > local_today():
        errors["decision_date"] = _("The decision's date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
        decision = FundingDecision.objects.create(
            municipality_id=locked.municipality_id,
            cluster=locked,
            amount=value,
            budget_line=budget_line.strip()[:100],
            decision_number=decision_number.strip()[:50],
            decision_date=decision_date,
            decided_by=actor,
            at=timezone.now(),
        )
        audit.record(
            "report.fund",
            actor=actor,
            role=role,
            municipality=locked.municipality,
            obj=locked,
            data={"amount": str(value), "decision": decision.decision_number},
        )
        for report in Report.objects.filter(
            cluster=locked, status__in=(workflow.OPEN, workflow.IN_PROGRESS)
        ):
            _move(
                report,
                "plan",
                actor=actor,
                text=_("Funded by council decision %(n)s.") % {"n": decision.decision_number},
                data={"funding": decision.pk},
            )
    return decision


def fix_cluster(cluster: Cluster, *, actor, text: str, photo=None) -> int:
    """Resolve every working report of a cluster at once (one crew cleared the channel);
    returns how many were fixed. Every reporter is told."""
    require(actor, cluster.municipality, "reports.triage")
    if not (text or "").strip():
        raise ValidationError({"text": _("Write what was done: the reporters read this note.")})
    photos = check_photos([photo]) if photo else []
    fixed = 0
    with transaction.atomic():
        Cluster.objects.select_for_update().get(pk=cluster.pk)
        for report in Report.objects.select_for_update().filter(
            cluster=cluster, status__in=workflow.WORKING
        ):
            event = _move(report, "fix", actor=actor, text=text.strip())
            for checked in photos:
                _store_photo(report, checked, after=True, event=event)
            fixed += 1
        if not fixed:
            raise ValidationError({"text": _("Nothing in this group is open.")})
        # Voices without a report of their own ("me too") are told too.
        for voice in ClusterVoice.objects.filter(cluster=cluster, report__isnull=True):
            _notify_voice(voice, cluster, text.strip())
    return fixed


# --- Open311 keys and updates -----------------------------------------------------------------


def add_api_key(municipality: Municipality, app_name: str, *, actor=None) -> str:
    """A new Open311 api_key for an application here; returned once, stored as a hash."""
    if not (app_name or "").strip():
        raise ValidationError({"app_name": _("Name the application.")})
    key = f"o311_{secrets.token_urlsafe(30)}"
    with transaction.atomic():
        row = Open311Key.objects.create(
            municipality=municipality,
            app_name=app_name.strip()[:120],
            key_hash=Open311Key.hash(key),
            prefix=key[:12],
        )
        audit.record(
            "open311.add_key",
            actor=actor,
            municipality=municipality,
            obj=row,
            data={"app": row.app_name},
        )
    return key


def key_for(municipality: Municipality, key: str) -> Open311Key | None:
    if not key:
        return None
    return Open311Key.objects.filter(
        municipality=municipality, key_hash=Open311Key.hash(key), revoked_at__isnull=True
    ).first()


def post_update(
    report: Report,
    *,
    api_key: Open311Key,
    status: str,
    description: str,
    external_id: str = "",
    photos=(),
    idempotency_key: str = "",
) -> ReportEvent:
    """An Open311 client's update (mySociety's servicerequestupdates): a public comment from
    the reporter's side; CLOSED on a fixed report confirms the fix, OPEN reopens it.

    The same ``idempotency_key`` from the same application returns the first update."""
    if api_key.municipality_id != report.municipality_id:
        raise PermissionDenied(_("Invalid api_key"))
    key = f"k{api_key.pk}:{idempotency_key}" if idempotency_key else ""
    if key:
        first = ReportEvent.objects.filter(
            municipality_id=report.municipality_id, idempotency_key=key
        ).first()
        if first is not None:
            return first
    try:
        return _post_update(report, api_key, status, description, external_id, photos, key)
    except IntegrityError:
        first = (
            ReportEvent.objects.filter(
                municipality_id=report.municipality_id, idempotency_key=key
            ).first()
            if key
            else None
        )
        if first is None:
            raise
        return first


def _post_update(report, api_key, status, description, external_id, photos, key) -> ReportEvent:
    status = (status or "").upper()
    if status not in ("OPEN", "CLOSED"):
        raise ValidationError({"status": _("status must be OPEN or CLOSED.")})
    if not (description or "").strip():
        raise ValidationError({"description": _("description is required.")})
    with transaction.atomic():
        locked = _lock(report)
        if external_id:
            seen = ReportEvent.objects.filter(report=locked, external_id=external_id[:100]).first()
            if seen is not None:
                return seen
        actor = f"open311:{api_key.app_name}"
        text = public_text(description.strip())
        if status == "OPEN" and locked.status == workflow.FIXED:
            event = _move(locked, "reopen", actor=actor, text=text)
        elif status == "CLOSED" and locked.status == workflow.FIXED:
            event = _move(locked, "confirm_fix", actor=actor, text=text)
        else:
            event = _append(locked, actor=actor, action="comment", text=text)
            locked.updated_at = timezone.now()
            locked.save(update_fields=["updated_at"])
        if external_id or key:
            ReportEvent.objects.filter(pk=event.pk).update(
                external_id=external_id[:100], idempotency_key=key
            )
            event.external_id = external_id[:100]
            event.idempotency_key = key
        for checked in photos:
            _store_photo(locked, checked, event=event)
        audit.record(
            "report.open311_update", actor=actor, municipality=locked.municipality, obj=locked
        )
    return event


# --- notifications -----------------------------------------------------------------------------


def _notify(report: Report, template: str, context: dict) -> None:
    context = {
        "number": report.pk,
        "category": report.category.name(report.language),
        "link": report_link(report, "reports:reporter", secret=True),
        **context,
    }
    with contextlib.suppress(NoRecipient):  # a caller at the counter who left no contact
        send_notification(
            template=template,
            context={"report": report, "municipality": report.municipality, **context},
            language=report.language,
            to_email=report.email,
            to_phone=report.phone if not report.email else "",
            municipality=report.municipality,
            user=report.account,
            person=report.person,
        )


def _notify_change(report: Report, event: ReportEvent) -> None:
    """At every public change the reporter is told (after commit, through the outbox)."""
    _notify(
        report,
        "reports_status",
        {
            "status": str(workflow.state_label(report.status)),
            "status_code": report.status,
            "note": event.text,
            "may_reopen": report.status == workflow.FIXED,
        },
    )


def _notify_voice(voice: ClusterVoice, cluster: Cluster, note: str) -> None:
    with contextlib.suppress(NoRecipient):
        send_notification(
            template="reports_voice_fixed",
            context={
                "category": cluster.category.name(voice.language),
                "municipality": cluster.municipality,
                "note": note,
            },
            language=voice.language,
            to_email=voice.email,
            to_phone=voice.phone if not voice.email else "",
            municipality=cluster.municipality,
            user=voice.account,
        )


# --- area subscriptions ----------------------------------------------------------------------


def subscribe(municipality: Municipality, *, email: str, unit=None, language: str = "sq"):
    """Ask for an email at each new public report in ``unit`` (or anywhere here): the
    confirmation link is emailed first, so nobody subscribes someone else."""
    from django.core.validators import validate_email

    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Give a valid email address.")}) from None
    if unit is not None and unit.municipality_id != municipality.pk:
        raise ValidationError({"unit": _("Choose an administrative unit of this municipality.")})
    with transaction.atomic():
        row = AreaSubscription.objects.create(
            municipality=municipality,
            email=email,
            unit=unit,
            language=language,
            secret=secrets.token_urlsafe(32),
        )
        send_subscription(row, "reports_subscribe", {})
    return row


def change_subscription(municipality: Municipality, secret: str, action: str):
    """Confirm or stop a subscription by the secret its emails carry; None if unknown."""
    row = AreaSubscription.objects.filter(municipality=municipality, secret=secret or "-").first()
    if row is None or action not in ("confirm", "stop"):
        return None
    now = timezone.now()
    if action == "confirm" and row.confirmed_at is None and row.stopped_at is None:
        row.confirmed_at = now
        row.save(update_fields=["confirmed_at"])
    elif action == "stop" and row.stopped_at is None:
        row.stopped_at = now
        row.save(update_fields=["stopped_at"])
    return row


def _notify_subscribers(report: Report, *, subscribed: bool | None = None) -> None:
    """The residents subscribed to the report's area are told by the worker: when anyone is
    subscribed there, the task is queued in this transaction (a transactional outbox: the
    worker sees it only once the report commits, and a rolled-back report queues nothing).
    ``subscribed``: already looked up (with the ban list, :func:`_check_sender`)."""
    if subscribed is not None:
        if subscribed:
            notify_area_subscribers.enqueue(report.pk)
        return
    if (
        AreaSubscription.objects.filter(
            municipality_id=report.municipality_id,
            confirmed_at__isnull=False,
            stopped_at__isnull=True,
        )
        .filter(covering_unit(report.unit_id))
        .exists()
    ):
        notify_area_subscribers.enqueue(report.pk)
