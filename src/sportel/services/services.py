"""Every write on applications and cases goes through this module (one door).

Each function validates, runs in ``transaction.atomic()``, locks the case row it changes
(``select_for_update``), appends a :class:`CaseEvent` (history is never edited), records the
change in the audit log (``core.audit.record``) in the same transaction, notifies the applicant
where the service's statuses say so, and sends :data:`case_changed` once the transaction commits.

Errors are Django ``ValidationError`` (bad input, messages in the active language, keyed by field
where there is one), ``workflow.IllegalTransition`` (a ``ValidationError`` with code
``illegal_transition``) and ``PermissionDenied``. Whatever the error, nothing is written.

Staff reads of a case with personal data go through :func:`read_case`, which audits the read.
"""

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.accounts.roles import roles_with
from sportel.core import audit
from sportel.core.calendar import local_today
from sportel.core.identifiers import check_identifier
from sportel.core.models import AdministrativeUnit, Municipality, Person
from sportel.core.services import register_business, register_person

from . import deadlines, workflow
from .models import (
    ApplicantKind,
    Application,
    AssignmentRule,
    AssuranceLevel,
    Attachment,
    Bundle,
    Case,
    CaseEvent,
    Channel,
    ServiceType,
    ServiceTypeVersion,
)
from .numbering import new_tracking_code, next_case_number

logger = logging.getLogger(__name__)

# Sent on commit after every change of a case: case_changed.send(sender=Case, case=, action=).
case_changed = Signal()

MAX_ATTACHMENTS = 10
ACCEPTED_UPLOADS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


# --- helpers -----------------------------------------------------------------------------------


def _roles(actor, municipality: Municipality) -> set[str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return set()
    return actor.roles_in(municipality)


def has_permission(actor, municipality: Municipality, permission: str) -> bool:
    """Does ``actor`` hold ``permission`` (accounts/roles.py) in ``municipality``?"""
    allowed = {role.value for role in roles_with(permission)}
    return bool(_roles(actor, municipality) & allowed)


def _require(actor, municipality: Municipality, permission: str) -> str:
    """The actor's role that grants ``permission`` here, or PermissionDenied."""
    allowed = {role.value for role in roles_with(permission)}
    held = _roles(actor, municipality) & allowed
    if not held:
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    return sorted(held)[0]


def _is_applicant(actor, case: Case) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if case.applicant_user_id == actor.pk:
        return True
    person = case.applicant_person
    return person is not None and person.user_id == actor.pk


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock (only the case row: of=self)."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("service_version", "municipality", "applicant_person", "service_type")
        .get(pk=case.pk)
    )


def _refresh_caller(original: Case, locked: Case) -> Case:
    """Copy the saved state back into the caller's instance so it sees the change."""
    original.__dict__.update(
        {k: v for k, v in locked.__dict__.items() if not k.startswith("_state")}
    )
    original._state.fields_cache = dict(locked._state.fields_cache)
    return original


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def _user_or_none(actor):
    return actor if actor is not None and not isinstance(actor, str) else None


def _append(
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
) -> CaseEvent:
    last = 0 if first else CaseEvent.objects.filter(case=case).aggregate(m=Max("seq"))["m"] or 0
    return CaseEvent.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        seq=last + 1,
        at=timezone.now(),
        actor=_user_or_none(actor),
        actor_label=_actor_label(actor),
        kind=kind,
        action=action,
        from_status=from_status,
        to_status=to_status,
        visibility=visibility,
        text=text,
        data=data or {},
    )


def _audit(case: Case, action: str, *, actor, role: str = "", data: dict | None = None) -> None:
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


def _on_commit(case: Case, action: str) -> None:
    transaction.on_commit(lambda: case_changed.send(sender=Case, case=case, action=action))


def _notify(case: Case, status: str, *, note: str = "") -> None:
    """Tell the applicant about a notifying status, in their language (email/SMS outbox)."""
    version = case.service_version
    if not version.notifies(status):
        return
    from sportel.core.notifications import send_notification

    person = case.applicant_person
    user = case.applicant_user
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


def _move(
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
    event = _append(
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
    case.save(update_fields=fields)
    _audit(
        case, action, actor=actor, role=role, data={"from": source, "to": target, **(data or {})}
    )
    if target != source:
        # What the applicant is asked or told (a request, a rejection's reason) goes with it.
        _notify(case, target, note=text if visibility == CaseEvent.Visibility.PUBLIC else "")
    _on_commit(case, action)
    return event


# --- identity, forms and uploads ----------------------------------------------------------------


def _split_name(full_name: str) -> tuple[str, str]:
    parts = (full_name or "").split()
    if len(parts) >= 2:
        return " ".join(parts[:-1]), parts[-1]
    return (parts[0], "-") if parts else ("-", "-")


def person_for_user(municipality: Municipality, user, *, actor=None) -> Person:
    """The municipality's Person for a signed-in citizen, created from the account if needed."""
    person = Person.objects.filter(municipality=municipality, user=user).first()
    if person is None and user.nid:
        person = Person.objects.filter(municipality=municipality, nid=user.nid).first()
        if person is not None and person.user_id is None:
            Person.objects.filter(pk=person.pk).update(user=user)
            person.user = user
    if person is None:
        first, last = _split_name(user.full_name)
        person = register_person(
            municipality,
            nid=user.nid or None,
            first_name=first,
            last_name=last,
            actor=actor or user,
            override_check=True,
            email=user.email,
            phone=user.phone,
            user=user,
            preferred_language=user.language,
        ).obj
    return person


def _check_assurance(user, level: str) -> None:
    if level == AssuranceLevel.SUBSTANTIAL and not user.nid:
        raise ValidationError(
            _("This service needs your personal number (NID): link it to your account first."),
            code="assurance",
        )
    if level == AssuranceLevel.HIGH and not user.nid_verified:
        raise ValidationError(
            _(
                "This service needs an identity confirmed by the national eID: log in with "
                "e-Albania, or apply at the counter with your identity card."
            ),
            code="assurance",
        )


def validate_form(version: ServiceTypeVersion, data: dict, *, language: str | None = None) -> None:
    """Server-side validation of the answers against the service's JSON Schema form."""
    from sportel.web import jsonforms

    language = (language or translation.get_language() or "sq")[:2]
    if not isinstance(data, dict):
        raise ValidationError(_("The answers must be an object of field names and values."))
    errors = jsonforms.validate(version.form_schema, data, language=language)
    if errors:
        raise ValidationError(dict(errors))


def _known_fields(version: ServiceTypeVersion, data: dict) -> dict:
    fields = set((version.form_schema or {}).get("properties", {}))
    return {k: v for k, v in (data or {}).items() if k in fields or k.endswith("__confirm")}


@dataclass
class CheckedUpload:
    name: str
    content_type: str
    content: bytes


def check_upload(upload) -> CheckedUpload:
    """Size-limit, sniff the type from the bytes (never the name) and re-encode images.

    Accepts PDF, PNG and JPEG. Images are re-encoded with Pillow, which drops their metadata
    (EXIF GPS positions, camera serials).
    """
    name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
    limit = settings.SPORTEL_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            {
                "attachments": _("%(name)s is larger than %(max)d MB.")
                % {"name": name, "max": limit // (1024 * 1024)}
            }
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(
            {
                "attachments": _("%(name)s is larger than %(max)d MB.")
                % {"name": name, "max": limit // (1024 * 1024)}
            }
        )
    if not content:
        raise ValidationError({"attachments": _("%(name)s is empty.") % {"name": name}})
    if content.startswith(b"%PDF-"):
        if b"%%EOF" not in content[-2048:]:
            raise ValidationError(
                {"attachments": _("%(name)s is not a complete PDF file.") % {"name": name}}
            )
        return CheckedUpload(name, "application/pdf", content)
    if content.startswith(b"\x89PNG\r\n\x1a\n") or content.startswith(b"\xff\xd8\xff"):
        return CheckedUpload(name, *_reencode_image(name, content))
    raise ValidationError(
        {
            "attachments": _("%(name)s is not a PDF, PNG or JPEG file; only those are accepted.")
            % {"name": name}
        }
    )


def _reencode_image(name: str, content: bytes) -> tuple[str, bytes]:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            fmt = image.format
            out = io.BytesIO()
            if fmt == "PNG":
                image.save(out, format="PNG", optimize=False)
                return "image/png", out.getvalue()
            image.convert("RGB").save(out, format="JPEG", quality=90)
            return "image/jpeg", out.getvalue()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            {"attachments": _("%(name)s is a damaged or unreadable image.") % {"name": name}}
        ) from exc


def _store_attachment(application: Application, checked: CheckedUpload, *, actor) -> Attachment:
    digest = hashlib.sha256(checked.content).hexdigest()
    attachment = Attachment(
        municipality_id=application.municipality_id,
        application=application,
        original_name=checked.name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=digest,
        uploaded_by=_user_or_none(actor),
    )
    attachment.file.save(digest, ContentFile(checked.content), save=False)
    attachment.save()
    return attachment


# --- catalogue lookups used by writes -----------------------------------------------------------


def _version_for(municipality: Municipality, service: "ServiceType | str") -> ServiceTypeVersion:
    if isinstance(service, ServiceType):
        if service.municipality_id != municipality.pk:
            raise ValidationError({"service": _("There is no such service here.")})
        service_type = service
    else:
        # Whether the service has assignment rules comes with the same row: a submission then
        # looks for a rule only where there is one (one statement fewer for most services).
        service_type = (
            ServiceType.objects.filter(municipality=municipality, code=service, is_active=True)
            .select_related("current_version")
            .annotate(
                has_assignment_rules=Exists(
                    AssignmentRule.objects.filter(service_type=OuterRef("pk"))
                )
            )
            .first()
        )
    if service_type is None or not service_type.is_active or service_type.current_version is None:
        raise ValidationError({"service": _("There is no such service here.")})
    version = service_type.current_version
    version.service_type = service_type  # the same row: spare the query
    return version


# --- applications --------------------------------------------------------------------------------


def save_draft(
    municipality: Municipality,
    *,
    service: "ServiceType | str",
    actor,
    data: dict,
    draft: Application | None = None,
    channel: str = Channel.ONLINE,
    language: str | None = None,
    unit: AdministrativeUnit | None = None,
    idempotency_key: str = "",
) -> Application:
    """Create or update a draft application. Drafts may be incomplete; only known fields stay."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to save a draft."))
    version = _version_for(municipality, service)
    key = f"u{actor.pk}:{idempotency_key}" if idempotency_key else ""
    with transaction.atomic():
        if draft is None and key:
            existing = Application.objects.filter(
                municipality=municipality, idempotency_key=key
            ).first()
            if existing is not None:
                return existing
        if draft is not None:
            draft = Application.objects.select_for_update().get(
                pk=draft.pk, municipality=municipality
            )
            if draft.created_by_id != actor.pk:
                raise PermissionDenied(_("This draft belongs to someone else."))
            if draft.status != Application.Status.DRAFT:
                raise ValidationError(_("This application has already been submitted."))
        else:
            draft = Application(
                municipality=municipality,
                service_version=version,
                created_by=actor,
                channel=channel,
                idempotency_key=key,
            )
        draft.data = {**(draft.data or {}), **_known_fields(version, data)}
        draft.language = (language or translation.get_language() or "sq")[:2]
        if unit is not None:
            draft.unit = unit
        is_new = draft.pk is None
        draft.save()
        audit.record(
            "application.draft",
            actor=actor,
            municipality=municipality,
            obj=draft,
            subject_user=actor,
            data={"service": version.service_type.code, "created": is_new},
        )
    return draft


def add_attachment(application: Application, *, actor, upload) -> Attachment:
    """Attach a checked file to a draft (PDF, PNG, JPEG; size-limited; images re-encoded).

    Idempotent by content: the same file attached again returns the first attachment."""
    if application.status != Application.Status.DRAFT:
        raise ValidationError(_("This application has already been submitted."))
    if actor is None or application.created_by_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("This draft belongs to someone else."))
    checked = check_upload(upload)
    digest = hashlib.sha256(checked.content).hexdigest()
    with transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        same = application.attachments.filter(sha256=digest).first()
        if same is not None:
            return same  # the same file again (a retried upload): attached once, safe to retry
        if application.attachments.count() >= MAX_ATTACHMENTS:
            raise ValidationError(
                {"attachments": _("At most %(n)d files can be attached.") % {"n": MAX_ATTACHMENTS}}
            )
        attachment = _store_attachment(application, checked, actor=actor)
        audit.record(
            "application.attach",
            actor=actor,
            municipality=application.municipality,
            obj=application,
            data={"sha256": attachment.sha256, "size": attachment.size},
        )
    return attachment


def _idempotent_case(municipality: Municipality, key: str) -> Case | None:
    if not key:
        return None
    return (
        Case.objects.filter(municipality=municipality, application__idempotency_key=key)
        .select_related("service_version")
        .first()
    )


def submit_application(
    municipality: Municipality,
    *,
    service: "ServiceType | str",
    data: dict,
    actor=None,
    channel: str = Channel.ONLINE,
    idempotency_key: str = "",
    draft: Application | None = None,
    walk_in: dict | None = None,
    business: dict | None = None,
    unit: AdministrativeUnit | None = None,
    language: str | None = None,
    override_check: bool = False,
    fee_paid: bool = False,
    uploads: Iterable = (),
    bundle: Bundle | None = None,
) -> Case:
    """Submit an application and open its case: number, tracking code, deadlines, receipt.

    - ``online``/``kiosk``: ``actor`` is the signed-in citizen (or business representative) and
      must meet the service's identity assurance level.
    - ``counter``: ``actor`` is a clerk of this municipality; ``walk_in`` identifies the person
      by NID (``nid``, ``first_name``, ``last_name``, optional contact details); a check-letter
      mismatch needs ``override_check``. ``fee_paid`` records the cash the clerk took.
    - The same ``idempotency_key`` from the same actor returns the first case, never a second one.
    - The answers are validated against the service's JSON Schema; attachments are checked. Any
      error is raised before anything is written.
    - Instant services are then decided and their document issued in the same call.
    """
    version = _version_for(municipality, service)
    form_language = (translation.get_language() or "sq")[:2]
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if channel not in version.channels:
        raise ValidationError(
            {"channel": _("This service cannot be requested through this channel.")}
        )
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to apply."))
    key = f"u{actor.pk}:{idempotency_key}" if idempotency_key else ""
    existing = _idempotent_case(municipality, key)
    if existing is not None:
        return existing

    clerk = None
    if channel == Channel.COUNTER:
        _require(actor, municipality, "cases.counter")
        clerk = actor
        if not walk_in or not walk_in.get("nid"):
            raise ValidationError(
                {"nid": _("Identify the applicant by their personal number (NID).")}
            )
        check = check_identifier(walk_in["nid"], kind="nid")
        if check.error:
            raise ValidationError({"nid": check.error})
        if check.warning and not override_check:
            raise ValidationError({"nid": ValidationError(check.warning, code="check_letter")})
        if not (walk_in.get("first_name", "").strip() and walk_in.get("last_name", "").strip()):
            raise ValidationError({"first_name": _("First and last name are required.")})
    else:
        _check_assurance(actor, version.assurance_level)

    if version.applicant_kind == ApplicantKind.BUSINESS and not business:
        raise ValidationError({"nipt": _("This service is for businesses: give the NIPT.")})
    if version.applicant_kind == ApplicantKind.PERSON and business:
        raise ValidationError({"nipt": _("This service is for persons, not businesses.")})
    if business:
        check = check_identifier(business.get("nipt", ""), kind="nipt")
        if check.error:
            raise ValidationError({"nipt": check.error})
        if check.warning and not override_check:
            raise ValidationError({"nipt": ValidationError(check.warning, code="check_letter")})

    if draft is not None:
        if draft.municipality_id != municipality.pk or draft.created_by_id != actor.pk:
            raise PermissionDenied(_("This draft belongs to someone else."))
        if draft.status != Application.Status.DRAFT:
            raise ValidationError(_("This application has already been submitted."))
        data = {**(draft.data or {}), **(data or {})}
    data = _known_fields(version, data or {})
    validate_form(version, data, language=form_language)
    if language not in ("sq", "en"):
        language = getattr(actor, "language", "") if channel != Channel.COUNTER else ""
    language = language or form_language
    checked_uploads = [check_upload(upload) for upload in uploads]
    if len(checked_uploads) + (draft.attachments.count() if draft else 0) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("At most %(n)d files can be attached.") % {"n": MAX_ATTACHMENTS}}
        )

    try:
        with transaction.atomic():
            case = _open_case(
                municipality,
                version=version,
                data=data,
                actor=actor,
                channel=channel,
                clerk=clerk,
                key=key,
                draft=draft,
                walk_in=walk_in,
                business=business,
                unit=unit,
                language=language,
                override_check=override_check,
                fee_paid=fee_paid,
                uploads=checked_uploads,
                bundle=bundle,
            )
    except IntegrityError:
        # The same idempotency key raced us to the insert: answer with the first case.
        existing = _idempotent_case(municipality, key)
        if existing is None:
            raise
        return existing
    if version.instant:
        run_instant(case)
    return case


def _open_case(
    municipality,
    *,
    version,
    data,
    actor,
    channel,
    clerk,
    key,
    draft,
    walk_in,
    business,
    unit,
    language,
    override_check,
    fee_paid,
    uploads,
    bundle,
) -> Case:
    # The number first: every submission then takes its locks in the same order (case
    # counter, then people, then the audit chain head), so concurrent ones queue, never deadlock.
    now = timezone.now()
    today = deadlines.local_date(now)
    seq, number = next_case_number(municipality, today.year)
    if channel == Channel.COUNTER:
        details = {
            k: v
            for k, v in walk_in.items()
            if k in {"email", "phone", "address", "father_name", "birth_date"} and v
        }
        if walk_in.get("language") in ("sq", "en"):
            # A walk-in new to the register is written to in the language they asked for (the
            # outbox follows the person's preference); someone on record keeps theirs.
            details["preferred_language"] = walk_in["language"]
        person = register_person(
            municipality,
            nid=walk_in["nid"],
            first_name=walk_in["first_name"],
            last_name=walk_in["last_name"],
            actor=actor,
            override_check=override_check,
            **details,
        ).obj
        applicant_user = person.user
        # The walk-in's language, not the clerk's screen: as asked, else as on record.
        language = (
            walk_in.get("language") if walk_in.get("language") in ("sq", "en") else None
        ) or (person.preferred_language or language)
    else:
        person = person_for_user(municipality, actor, actor=actor)
        applicant_user = actor
    business_row = None
    if business:
        business_row = register_business(
            municipality,
            nipt=business["nipt"],
            name=business.get("name", ""),
            actor=actor,
            override_check=override_check,
        ).obj
        business_row.representatives.add(person)

    if draft is not None:
        application = Application.objects.select_for_update().get(pk=draft.pk)
        if application.status != Application.Status.DRAFT:
            raise ValidationError(_("This application has already been submitted."))
        application.idempotency_key = application.idempotency_key or key
    else:
        application = Application(
            municipality=municipality,
            service_version=version,
            created_by=actor,
            idempotency_key=key,
        )
    application.service_version = version
    application.status = Application.Status.SUBMITTED
    application.channel = channel
    application.applicant_person = person
    application.applicant_business = business_row
    application.unit = unit or application.unit
    application.data = data
    application.language = language
    application.submitted_at = now
    application.save()
    for checked in uploads:
        _store_attachment(application, checked, actor=actor)

    planned, legal = deadlines.initial_ends(version, today)
    fee = version.fee or Decimal("0")
    case = Case.objects.create(
        municipality=municipality,
        number=number,
        year=today.year,
        seq=seq,
        tracking_code=new_tracking_code(),
        application=application,
        service_type_id=version.service_type_id,
        service_version=version,
        channel=channel,
        clerk=clerk,
        applicant_person=person,
        applicant_business=business_row,
        applicant_user=applicant_user,
        unit=application.unit,
        language=language,
        bundle=bundle,
        fee_due=fee,
        fee_paid=bool(fee_paid and fee > 0),
        fee_paid_by=clerk if fee_paid and fee > 0 else None,
        fee_paid_at=now if fee_paid and fee > 0 else None,
        status=workflow.SUBMITTED,
        status_changed_at=now,
        submitted_at=now,
        planned_end=planned,
        legal_end=legal,
    )
    event = _append(
        case,
        actor=actor,
        kind=CaseEvent.Kind.TRANSITION,
        action="submit",
        to_status=workflow.SUBMITTED,
        data={"channel": channel, "fee_due": str(fee)},
        first=True,
    )
    case.current_event = event
    case.save(update_fields=["current_event"])
    role = "clerk" if clerk else ""
    _audit(
        case,
        "submit",
        actor=actor,
        role=role,
        data={"service": version.service_type.code, "version": version.number, "channel": channel},
    )
    if case.fee_paid:
        _append(
            case, actor=actor, kind=CaseEvent.Kind.FEE, action="fee_paid", data={"fee": str(fee)}
        )
    _notify(case, workflow.SUBMITTED)
    _on_commit(case, "submit")
    if getattr(version.service_type, "has_assignment_rules", True):
        _assign_by_rule(case)
    return case


# --- instant services ---------------------------------------------------------------------------

# name → check(case) returning None when the data check passes, else the reason it did not.
INSTANT_CHECKS: dict[str, Callable[[Case], str | None]] = {}


def instant_check(name: str):
    """Register a check that lets an instant service decide without a specialist."""

    def register(func):
        INSTANT_CHECKS[name] = func
        return func

    return register


@instant_check("civil_register")
def _civil_register(case: Case) -> str | None:
    """The applicant is in the municipality's register with a personal number that is trusted:
    asserted by the national eID, seen on the identity card at the counter, or on record here
    before this application."""
    person = case.applicant_person
    if person is None or not person.nid:
        return "no personal number"
    if person.nid_check_overridden:
        return "personal number with an overridden check letter"
    if case.channel == Channel.COUNTER:
        return None
    if case.applicant_user is not None and case.applicant_user.nid_verified:
        return None
    if person.created_at < case.submitted_at - dt.timedelta(seconds=1):
        return None
    return "person not yet in the municipality's register"


def run_instant(case: Case) -> Case:
    """Decide an instant case when its check passes: approve, issue the document, close.

    When the check fails, or the document cannot be issued, the case stays in the queue for a
    specialist with an internal note saying why; nothing of the failed attempt remains.
    """
    version = case.service_version
    check = INSTANT_CHECKS.get(version.instant_check)
    reason = check(case) if check else f"unknown check {version.instant_check!r}"
    if reason is None:
        try:
            with transaction.atomic():
                locked = _lock(case)
                if locked.status != workflow.SUBMITTED:
                    return _refresh_caller(case, locked)
                _move(
                    locked,
                    "auto_approve",
                    actor=None,
                    kind=CaseEvent.Kind.DECISION,
                    data={"decision": "approved", "check": version.instant_check},
                    update={"decision": "approved", "decided_at": timezone.now()},
                )
                if locked.fee_due and not locked.fee_paid:
                    # Payment first: mark_fee_paid issues the document.
                    return _refresh_caller(case, locked)
                if version.output_document_type:
                    _issue(locked, actor=None)
                _move(locked, "close", actor=None, update={"closed_at": timezone.now()})
                return _refresh_caller(case, locked)
        except Exception as exc:  # the document service failed: leave the case to a person
            logger.exception("instant decision of case %s failed", case.pk)
            reason = f"automatic decision failed: {type(exc).__name__}"
    with transaction.atomic():
        locked = _lock(case)
        _append(
            locked,
            actor=None,
            kind=CaseEvent.Kind.NOTE,
            action="note",
            visibility=CaseEvent.Visibility.INTERNAL,
            text=reason,
            data={"instant": False},
        )
        return _refresh_caller(case, locked)


# --- case work ------------------------------------------------------------------------------------


def _check_assignee(municipality: Municipality, assignee) -> None:
    if assignee is None or not has_permission(assignee, municipality, "cases.process"):
        raise ValidationError(
            {"assignee": _("Cases can only be assigned to a specialist of this municipality.")}
        )


def assign(case: Case, *, actor, assignee, note: str = "") -> Case:
    """Assign (or reassign) the case to a specialist of its municipality."""
    role = _require(actor, case.municipality, "cases.assign")
    _check_assignee(case.municipality, assignee)
    with transaction.atomic():
        locked = _lock(case)
        _move(
            locked,
            "assign",
            actor=actor,
            role=role,
            kind=CaseEvent.Kind.ASSIGNMENT,
            visibility=CaseEvent.Visibility.INTERNAL,
            text=note,
            data={"assignee": assignee.pk},
            update={"assignee": assignee},
        )
    return _refresh_caller(case, locked)


def matching_rule(case: Case) -> AssignmentRule | None:
    """The rule for the case's service and unit, else the service's default rule."""
    rules = AssignmentRule.objects.filter(
        municipality_id=case.municipality_id, service_type_id=case.service_type_id
    ).select_related("assignee")
    if not case.unit_id:
        return rules.filter(unit__isnull=True).first()
    # One statement: the unit's own rule sorts before the service's default rule.
    return (
        rules.filter(Q(unit_id=case.unit_id) | Q(unit__isnull=True))
        .order_by(F("unit_id").asc(nulls_last=True))
        .first()
    )


def _assign_by_rule(case: Case) -> None:
    rule = matching_rule(case)
    if rule is None or not has_permission(rule.assignee, case.municipality, "cases.process"):
        return
    _move(
        case,
        "assign",
        actor=None,
        kind=CaseEvent.Kind.ASSIGNMENT,
        visibility=CaseEvent.Visibility.INTERNAL,
        data={"assignee": rule.assignee_id, "rule": rule.pk},
        update={"assignee": rule.assignee},
    )


def assign_by_rule(case: Case, *, actor=None) -> Case:
    """Assign by the service's AssignmentRule (per administrative unit); no rule, no change."""
    if actor is not None:
        _require(actor, case.municipality, "cases.assign")
    with transaction.atomic():
        locked = _lock(case)
        _assign_by_rule(locked)
    return _refresh_caller(case, locked)


def start_work(case: Case, *, actor) -> Case:
    """The assignee opens the file: assigned → in progress."""
    role = _require(actor, case.municipality, "cases.process")
    with transaction.atomic():
        locked = _lock(case)
        taking_over = locked.status == workflow.ASSIGNED and locked.assignee_id != actor.pk
        if taking_over and not has_permission(actor, case.municipality, "cases.assign"):
            raise PermissionDenied(_("This case is assigned to someone else."))
        _move(
            locked,
            "start",
            actor=actor,
            role=role,
            update={"assignee": locked.assignee or actor},
        )
    return _refresh_caller(case, locked)


def request_info(case: Case, *, actor, message: str) -> Case:
    """Ask the applicant for more: the clock stops until they answer."""
    role = _require(actor, case.municipality, "cases.process")
    if not (message or "").strip():
        raise ValidationError({"message": _("Say what the applicant must provide.")})
    with transaction.atomic():
        locked = _lock(case)
        workflow.next_state(locked.status, "request_info")
        if not locked.service_version.suspension_allowed:
            raise ValidationError(_("This service cannot be suspended."), code="not_allowed")
        _move(
            locked,
            "request_info",
            actor=actor,
            role=role,
            kind=CaseEvent.Kind.SUSPENSION,
            text=message.strip(),
            update={"suspended_since": local_today()},
        )
    return _refresh_caller(case, locked)


def answer_info(case: Case, *, actor, message: str, uploads: Iterable = ()) -> Case:
    """The applicant (or the clerk on their behalf) answers: the clock runs again, both ends
    pushed by the working days it stood still."""
    counter_role = ""
    if not _is_applicant(actor, case):
        counter_role = _require(actor, case.municipality, "cases.counter")
    if not (message or "").strip() and not uploads:
        raise ValidationError({"message": _("Write an answer or attach a file.")})
    checked = [check_upload(upload) for upload in uploads]
    with transaction.atomic():
        locked = _lock(case)
        workflow.next_state(locked.status, "answer_info")
        days = deadlines.suspended_working_days(locked.suspended_since, local_today())
        stored = [_store_attachment(locked.application, c, actor=actor) for c in checked]
        _move(
            locked,
            "answer_info",
            actor=actor,
            role=counter_role,
            kind=CaseEvent.Kind.RESUMPTION,
            text=(message or "").strip(),
            data={"suspended_days": days, "attachments": [a.pk for a in stored]},
            update={
                "suspended_since": None,
                "suspended_days": locked.suspended_days + days,
                "planned_end": deadlines.push(locked.planned_end, days),
                "legal_end": deadlines.push(locked.legal_end, days),
            },
        )
    return _refresh_caller(case, locked)


def extend(case: Case, *, actor, days: int, reason: str) -> Case:
    """Extend the legal deadline where the service allows it, within its maximum, with a reason."""
    role = _require(actor, case.municipality, "cases.process")
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the extension.")})
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if days <= 0:
        raise ValidationError({"days": _("The extension must be at least one working day.")})
    with transaction.atomic():
        locked = _lock(case)
        workflow.next_state(locked.status, "extend")
        version = locked.service_version
        if not version.extension_allowed or locked.legal_end is None:
            raise ValidationError(
                _("This service's deadline cannot be extended."), code="not_allowed"
            )
        if locked.extension_days + days > version.max_extension_days:
            raise ValidationError(
                {
                    "days": _("At most %(max)d working days of extension; %(left)d remain.")
                    % {
                        "max": version.max_extension_days,
                        "left": version.max_extension_days - locked.extension_days,
                    }
                }
            )
        _move(
            locked,
            "extend",
            actor=actor,
            role=role,
            kind=CaseEvent.Kind.EXTENSION,
            text=reason.strip(),
            data={"days": days, "old_legal_end": locked.legal_end.isoformat()},
            update={
                "extension_days": locked.extension_days + days,
                "legal_end": deadlines.push(locked.legal_end, days),
            },
        )
    return _refresh_caller(case, locked)


def add_note(case: Case, *, actor, text: str, public: bool = False) -> CaseEvent:
    """An internal note for colleagues, or a public one the applicant sees in the timeline."""
    role = _require(actor, case.municipality, "cases.note")
    if not (text or "").strip():
        raise ValidationError({"text": _("The note is empty.")})
    with transaction.atomic():
        locked = _lock(case)
        event = _append(
            locked,
            actor=actor,
            kind=CaseEvent.Kind.NOTE,
            action="note",
            visibility=CaseEvent.Visibility.PUBLIC if public else CaseEvent.Visibility.INTERNAL,
            text=text.strip(),
        )
        _audit(locked, "note", actor=actor, role=role, data={"public": public})
    return event


def decide(case: Case, *, actor, approve: bool, reason: str = "", legal_basis: str = "") -> Case:
    """Approve, or reject with the legal reason the applicant is told."""
    role = _require(actor, case.municipality, "cases.process")
    if not approve and not ((reason or "").strip() and (legal_basis or "").strip()):
        raise ValidationError(
            {
                "reason": _("A rejection needs its reason and its legal basis."),
            }
        )
    action = "approve" if approve else "reject"
    with transaction.atomic():
        locked = _lock(case)
        _move(
            locked,
            action,
            actor=actor,
            role=role,
            kind=CaseEvent.Kind.DECISION,
            text=(reason or "").strip(),
            data={"decision": "approved" if approve else "rejected", "legal_basis": legal_basis},
            update={
                "decision": "approved" if approve else "rejected",
                "decided_at": timezone.now(),
            },
        )
    return _refresh_caller(case, locked)


def document_fields(case: Case) -> list[tuple[str, str]]:
    """The lines printed on the output document, in the applicant's language."""
    version = case.service_version
    language = case.language
    schema = version.form_schema or {}
    properties = schema.get("properties", {})
    order = schema.get("x-order") or list(properties)
    data = case.application.data or {}
    with translation.override(language):
        # The holder's name and personal number are printed by the documents module.
        lines: list[tuple[str, str]] = []
        if case.applicant_business is not None:
            lines.append((_("Business"), case.applicant_business.name))
            lines.append((_("NIPT"), case.applicant_business.nipt))
        for key in order:
            if key not in data or key not in properties or data[key] in ("", None):
                continue
            spec = properties[key]
            label = (spec.get("x-title") or {}).get(language) or spec.get("title") or key
            lines.append((label, _display_value(spec, data[key], language)))
        lines.append((_("Case number"), case.number))
    return lines


def _display_value(spec: dict, value: Any, language: str) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if "enum" in spec and value in spec["enum"]:
        labels = (spec.get("x-enum-labels") or {}).get(language)
        if labels:
            return str(labels[spec["enum"].index(value)])
    return str(value)


def _issue(case: Case, *, actor, role: str = "") -> None:
    from sportel.documents.services import issue_document as issue_sealed

    version = case.service_version
    document = issue_sealed(
        case.municipality,
        document_type=version.output_document_type,
        title={
            "sq": version.output_title_sq,
            "en": version.output_title_en or version.output_title_sq,
        },
        fields=document_fields(case),
        language=case.language,
        holder=case.applicant_person,
        case_reference=case.number,
        actor=_user_or_none(actor),
    )
    _move(
        case,
        "issue_document",
        actor=actor,
        role=role,
        kind=CaseEvent.Kind.DOCUMENT,
        data={"document": document.code},
        update={"document_code": document.code},
    )


def issue_document(case: Case, *, actor) -> Case:
    """Issue the sealed output document of an approved case (once its fee is paid)."""
    role = _require(actor, case.municipality, "cases.process")
    with transaction.atomic():
        locked = _lock(case)
        workflow.next_state(locked.status, "issue_document")
        if not locked.service_version.output_document_type:
            raise ValidationError(_("This service has no output document."), code="not_allowed")
        if locked.fee_due and not locked.fee_paid:
            raise ValidationError(
                _("The fee must be paid before the document is issued."), code="fee_unpaid"
            )
        _issue(locked, actor=actor, role=role)
    return _refresh_caller(case, locked)


def close(case: Case, *, actor) -> Case:
    """Close a decided case (after its document, if the service has one)."""
    role = _require(actor, case.municipality, "cases.process")
    with transaction.atomic():
        locked = _lock(case)
        workflow.next_state(locked.status, "close")
        if locked.status == workflow.APPROVED and locked.service_version.output_document_type:
            raise ValidationError(
                _("Issue the document before closing an approved case."), code="document_missing"
            )
        _move(locked, "close", actor=actor, role=role, update={"closed_at": timezone.now()})
    return _refresh_caller(case, locked)


def withdraw(case: Case, *, actor, reason: str = "") -> Case:
    """The applicant (or the clerk for them) withdraws a case nothing has been decided on."""
    role = ""
    if not _is_applicant(actor, case):
        role = _require(actor, case.municipality, "cases.counter")
    with transaction.atomic():
        locked = _lock(case)
        _move(
            locked,
            "withdraw",
            actor=actor,
            role=role,
            text=(reason or "").strip(),
            update={"closed_at": timezone.now(), "suspended_since": None},
        )
    return _refresh_caller(case, locked)


def mark_fee_paid(case: Case, *, actor, receipt: str = "") -> Case:
    """The clerk took the fee at the counter (until the revenue module takes payments).

    An instant case that was waiting for its fee gets its document now.
    """
    role = _require(actor, case.municipality, "cases.counter")
    with transaction.atomic():
        locked = _lock(case)
        if locked.status == workflow.WITHDRAWN:
            raise ValidationError(_("This case was withdrawn."), code="not_allowed")
        if not locked.fee_due:
            raise ValidationError(_("This service has no fee."), code="no_fee")
        if locked.fee_paid:
            raise ValidationError(_("The fee is already marked as paid."), code="already_paid")
        _append(
            locked,
            actor=actor,
            kind=CaseEvent.Kind.FEE,
            action="fee_paid",
            text=receipt,
            data={"fee": str(locked.fee_due)},
        )
        locked.fee_paid = True
        locked.fee_paid_by = actor
        locked.fee_paid_at = timezone.now()
        locked.save(update_fields=["fee_paid", "fee_paid_by", "fee_paid_at"])
        _audit(locked, "fee_paid", actor=actor, role=role, data={"fee": str(locked.fee_due)})
        version = locked.service_version
        if (
            version.instant
            and locked.status == workflow.APPROVED
            and version.output_document_type
            and locked.events.filter(action="auto_approve").exists()
        ):
            _issue(locked, actor=None)
            _move(locked, "close", actor=None, update={"closed_at": timezone.now()})
    return _refresh_caller(case, locked)


# The actions the staff API exposes: action → (function, parameters it takes).
ACTIONS: dict[str, Callable[..., Any]] = {
    "assign": assign,
    "start": start_work,
    "request_info": request_info,
    "answer_info": answer_info,
    "extend": extend,
    "note": add_note,
    "approve": lambda case, **kw: decide(case, approve=True, **kw),
    "reject": lambda case, **kw: decide(case, approve=False, **kw),
    "issue_document": issue_document,
    "close": close,
    "withdraw": withdraw,
    "mark_fee_paid": mark_fee_paid,
}


def perform(case: Case, action: str, *, actor, **params) -> Case:
    """Dispatch a named action (the API's POST transitions) to its service function."""
    func = ACTIONS.get(action)
    if func is None:
        raise ValidationError({"action": _("Unknown action.")}, code="unknown_action")
    result = func(case, actor=actor, **params)
    return case if isinstance(result, CaseEvent) else result


# --- staff reads --------------------------------------------------------------------------------


def read_case(municipality: Municipality, number: str, *, actor, reason: str = "") -> Case:
    """A staff member opens a case: permission checked, the read of personal data audited.

    Raises ``Case.DoesNotExist`` when the municipality has no such case (404, never a hint that
    another municipality has one) and PermissionDenied without a staff role here.
    """
    role = _require(actor, municipality, "cases.read")
    case = (
        Case.objects.select_related(
            "service_version",
            "service_type",
            "applicant_person",
            "applicant_business",
            "applicant_user",
            "assignee",
            "clerk",
            "unit",
            "application",
        )
        .filter(municipality=municipality, number=number)
        .get()
    )
    if case.applicant_person is not None:
        audit.record_read(
            actor, case.applicant_person, reason=reason or f"case {case.number}", role=role
        )
    else:
        _audit(case, "read", actor=actor, role=role)
    return case


# --- the proactive "moving home" bundle ---------------------------------------------------------

MOVING_HOME_SERVICES = ("resident-registration", "waste-tariff-transfer", "resident-parking-permit")


def moving_home_consent_text(language: str | None = None) -> str:
    with translation.override(language or translation.get_language() or "sq"):
        return _(
            "I agree that the municipality uses my answers once to open every request that "
            "moving home implies: updating my residence, transferring the waste-tariff account, "
            "and a resident parking permit if I have a car."
        )


def open_moving_home_bundle(
    municipality: Municipality,
    *,
    actor,
    new_address: str,
    previous_address: str = "",
    unit: AdministrativeUnit | None = None,
    moving_date: str = "",
    household_members: int = 1,
    has_car: bool = False,
    vehicle_plate: str = "",
    consent: bool = False,
    language: str | None = None,
    idempotency_key: str = "",
) -> Bundle:
    """Moving home: one set of answers and one consent open every case it implies.

    Opens the residence update, the waste-tariff account transfer and, where the applicant has
    a car, a resident parking permit — all or none, linked by one :class:`Bundle`.
    """
    language = (language or translation.get_language() or "sq")[:2]
    if not consent:
        raise ValidationError({"consent": _("Give your consent to open the requests.")})
    if not (new_address or "").strip():
        raise ValidationError({"new_address": _("Give the new address.")})
    if has_car and not (vehicle_plate or "").strip():
        raise ValidationError({"vehicle_plate": _("Give the car's registration plate.")})
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Log in to apply."))
    key = f"u{actor.pk}:{idempotency_key}" if idempotency_key else ""
    if key:
        existing = (
            Bundle.objects.filter(municipality=municipality, data__idempotency_key=key)
            .order_by("pk")
            .first()
        )
        if existing is not None:
            return existing
    answers = {
        "resident-registration": {
            "new_address": new_address.strip(),
            "previous_address": previous_address.strip(),
            "moving_date": moving_date,
            "household_members": int(household_members or 1),
            "registration_reason": "moving",
        },
        "waste-tariff-transfer": {
            "new_address": new_address.strip(),
            "previous_address": previous_address.strip(),
            "moving_date": moving_date,
            "account_holder": "household",
        },
        "resident-parking-permit": {
            "address": new_address.strip(),
            "vehicle_plate": (vehicle_plate or "").strip().upper(),
            "vehicle_owner": True,
        },
    }
    wanted = [code for code in MOVING_HOME_SERVICES if code != "resident-parking-permit" or has_car]
    for code in wanted:
        answers[code] = {k: v for k, v in answers[code].items() if v not in ("", None)}
        validate_form(_version_for(municipality, code), answers[code], language=language)
    with transaction.atomic():
        person = person_for_user(municipality, actor, actor=actor)
        bundle = Bundle.objects.create(
            municipality=municipality,
            kind="moving_home",
            applicant=person,
            user=actor,
            consent_text=moving_home_consent_text(language),
            consented_at=timezone.now(),
            data={"services": wanted, "has_car": has_car, "idempotency_key": key},
        )
        for code in wanted:
            submit_application(
                municipality,
                service=code,
                data=answers[code],
                actor=actor,
                unit=unit,
                language=language,
                idempotency_key=f"bundle{bundle.pk}:{code}",
                bundle=bundle,
            )
        audit.record(
            "bundle.open",
            actor=actor,
            municipality=municipality,
            obj=bundle,
            subject=person,
            subject_user=actor,
            data={"kind": "moving_home", "services": wanted},
        )
    return bundle


__all__ = [
    "ACTIONS",
    "INSTANT_CHECKS",
    "MOVING_HOME_SERVICES",
    "add_attachment",
    "add_note",
    "answer_info",
    "assign",
    "assign_by_rule",
    "case_changed",
    "check_upload",
    "close",
    "decide",
    "document_fields",
    "extend",
    "has_permission",
    "issue_document",
    "mark_fee_paid",
    "moving_home_consent_text",
    "open_moving_home_bundle",
    "perform",
    "person_for_user",
    "read_case",
    "request_info",
    "run_instant",
    "save_draft",
    "start_work",
    "submit_application",
    "validate_form",
    "withdraw",
]
