"""The proactive "moving home" bundle: one set of answers and one consent, several cases."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core.models import AdministrativeUnit, Municipality

from .applications import submit_application, validate_form, version_for
from .identity import person_for_user
from .models import Bundle

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
        validate_form(version_for(municipality, code), answers[code], language=language)
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
