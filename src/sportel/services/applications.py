"""Drafts, attachments and submission: an application becomes a case (number, deadlines)."""

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit, prepared, rowcache
from sportel.core.identifiers import check_identifier
from sportel.core.models import AdministrativeUnit, Municipality
from sportel.core.services import register_business, register_person
from sportel.core.uploads import check_upload

from . import deadlines, fees, workflow
from .attachments import MAX_ATTACHMENTS, store_attachment
from .casework import _assign_by_rule
from .history import append_event, audit_case, notify_applicant, signal_on_commit
from .identity import _check_assurance, on_behalf_person, person_for_user
from .instant import run_instant
from .models import (
    ApplicantKind,
    Application,
    AssignmentRule,
    Bundle,
    Case,
    CaseEvent,
    Channel,
    IdentityDocument,
    ServiceType,
    ServiceTypeVersion,
)
from .numbering import new_tracking_code, next_case_number


def validate_form(version: ServiceTypeVersion, data: dict, *, language: str | None = None) -> None:
    """Server-side validation of the answers against the service's JSON Schema form."""
    from sportel.core import jsonforms  # jsonschema and the form classes: loaded when needed

    language = (language or translation.get_language() or "sq")[:2]
    if not isinstance(data, dict):
        raise ValidationError(_("The answers must be an object of field names and values."))
    errors = jsonforms.validate(version.form_schema, data, language=language)
    if errors:
        raise ValidationError(dict(errors))


def known_fields(version: ServiceTypeVersion, data: dict) -> dict:
    fields = set((version.form_schema or {}).get("properties", {}))
    return {k: v for k, v in (data or {}).items() if k in fields or k.endswith("__confirm")}


def version_for(municipality: Municipality, service: "ServiceType | str") -> ServiceTypeVersion:
    if isinstance(service, ServiceType):
        if service.municipality_id != municipality.pk:
            raise ValidationError({"service": _("There is no such service here.")})
        service_type = service
    else:
        # Whether the service has assignment rules comes with the same row: a submission then
        # looks for a rule only where there is one (one statement fewer for most services).
        # This process's copy while no service, version or rule was edited (core.rowcache).
        service_type = rowcache.cached(
            ("service", municipality.pk, service),
            lambda: (
                ServiceType.objects.filter(municipality=municipality, code=service, is_active=True)
                .select_related("current_version")
                .annotate(
                    has_assignment_rules=Exists(
                        AssignmentRule.objects.filter(service_type=OuterRef("pk"))
                    )
                )
                .first()
            ),
        )
    if service_type is None or not service_type.is_active or service_type.current_version is None:
        raise ValidationError({"service": _("There is no such service here.")})
    version = service_type.current_version
    version.service_type = service_type  # the same row: spare the query
    return version


def warm_instant_services() -> int:
    """This process's copies (core.rowcache) of every active municipality with an instant
    service and of those services, read at worker start: the first resident to ask a worker
    for a certificate does not pay for them. Returns how many services."""
    from sportel.core.selectors import municipality_by_slug

    rows = ServiceType.objects.filter(
        is_active=True, municipality__is_active=True, current_version__instant=True
    ).values_list("municipality__slug", "code")
    warmed = 0
    for slug, code in rows:
        municipality = municipality_by_slug(slug)
        if municipality is not None:
            version_for(municipality, code)
            warmed += 1
    return warmed


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
    version = version_for(municipality, service)
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
        draft.data = {**(draft.data or {}), **known_fields(version, data)}
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
    on_behalf_of: str = "",
) -> Case:
    """Submit an application and open its case: number, tracking code, deadlines, receipt.

    - ``online``/``kiosk``: ``actor`` is the signed-in citizen (or business representative) and
      must meet the service's identity assurance level.
    - ``counter``: ``actor`` is a clerk of this municipality; ``walk_in`` identifies the person
      by NID (``nid``, ``first_name``, ``last_name``, optional contact details); a check-letter
      mismatch needs ``override_check``. ``fee_paid`` records the cash the clerk took.
    - ``on_behalf_of`` (online/kiosk): the personal number of the person the citizen applies
      for (their child). The case is about that person only through a relationship a clerk
      verified (``accounts.kin``); otherwise it is the citizen's own and shows the claim to staff.
      Either way it is issued at once only as ``identity.identity_proven`` says.
    - The same ``idempotency_key`` from the same actor returns the first case, never a second one.
    - The answers are validated against the service's JSON Schema; attachments are checked. Any
      error is raised before anything is written.
    - Instant services are then decided and their document issued in the same call.
    """
    version = version_for(municipality, service)
    form_language = (translation.get_language() or "sq")[:2]
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if version.apply_elsewhere_url:
        raise ValidationError(
            {
                "service": _("This service is requested only at %(url)s.")
                % {"url": version.apply_elsewhere_url}
            },
            code="apply_elsewhere",
        )
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
        require(actor, municipality, "cases.counter")
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
        if walk_in.get("identity_document") not in IdentityDocument.values:
            raise ValidationError(
                {
                    "identity_document": _(
                        "Say which identity document of the applicant you saw: identity card "
                        "or passport."
                    )
                }
            )
    else:
        _check_assurance(actor, version.assurance_level)
    on_behalf_nid = ""
    if on_behalf_of and channel != Channel.COUNTER:
        check = check_identifier(on_behalf_of, kind="nid")
        if check.error:
            raise ValidationError({"on_behalf_of": check.error})
        if version.applicant_kind == ApplicantKind.BUSINESS:
            raise ValidationError(
                {"on_behalf_of": _("A business service is not requested on behalf of a person.")}
            )
        if not (actor.nid_verified and actor.nid == check.value):
            on_behalf_nid = check.value

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
    data = known_fields(version, data or {})
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
                on_behalf_nid=on_behalf_nid,
            )
    except IntegrityError:
        # The same idempotency key raced us to the insert: answer with the first case.
        existing = _idempotent_case(municipality, key)
        if existing is None:
            raise
        return existing
    if version.instant:
        if channel == Channel.COUNTER:
            run_instant(case, actor=actor, role="clerk")
        else:
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
    on_behalf_nid="",
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
        person = on_behalf_person(municipality, actor, on_behalf_nid) if on_behalf_nid else None
        person = person or person_for_user(municipality, actor, actor=actor)
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
        if channel == Channel.COUNTER:
            # The clerk saw the papers that make this person the business's representative
            # (decision 0010: a relationship staff verified). Online, a typed NIPT is a claim:
            # it links nothing, or anyone could read a business's taxes (decision 0028).
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
    if draft is None:
        prepared.insert(application)
    else:
        application.save()
    for checked in uploads:
        store_attachment(application, checked, actor=actor)

    planned, legal = deadlines.initial_ends(version, today)
    fee = version.fee or Decimal("0")
    case = Case(
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
        identity_document=(walk_in or {}).get("identity_document", "") if clerk else "",
        applicant_person=person,
        on_behalf_nid=on_behalf_nid,
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
    prepared.insert(case)
    event = append_event(
        case,
        actor=actor,
        kind=CaseEvent.Kind.TRANSITION,
        action="submit",
        to_status=workflow.SUBMITTED,
        data={"channel": channel, "fee_due": str(fee)},
        first=True,
    )
    case.current_event = event
    prepared.update(case, ["current_event"])
    role = "clerk" if clerk else ""
    audit_case(
        case,
        "submit",
        actor=actor,
        role=role,
        data={
            "service": version.service_type.code,
            "version": version.number,
            "channel": channel,
            **({"on_behalf": True} if on_behalf_nid else {}),
        },
    )
    if case.fee_paid:
        append_event(
            case, actor=actor, kind=CaseEvent.Kind.FEE, action="fee_paid", data={"fee": str(fee)}
        )
        fees.fee_taken(case, actor=actor)  # the ledger's entry, in this same transaction
    notify_applicant(case, workflow.SUBMITTED)
    signal_on_commit(case, "submit")
    if getattr(version.service_type, "has_assignment_rules", True):
        _assign_by_rule(case)
    return case
