"""Signing a resident in at a kiosk with what they carry: their NID and a one-time code sent by
SMS to the phone on record of the account whose NID was verified (decision 0010: the eID or a
clerk who saw the document; a typed NID is a claim and never signs anyone in).

The kiosk never tells whether a person exists: a wrong NID, an account whose NID is not verified
or one without a phone gets exactly the answer a real person gets ("if this number belongs to
a verified account with a phone, we sent a code"), and then "this code is not valid". Codes
expire after :data:`CODE_LIFETIME`, allow :data:`MAX_ATTEMPTS` wrong guesses, and a new code
replaces the earlier ones; at most :data:`PER_PERSON_PER_HOUR` codes go to one person an hour
(more are silently not sent, so a stranger at a kiosk cannot flood someone's phone) and at most
:data:`PER_DEVICE_PER_HOUR` from one kiosk.
"""

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from sportel.core import audit
from sportel.core.identifiers import check_identifier

from .models import Device, KioskSignInCode

CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 5
PER_PERSON_PER_HOUR = 3
PER_DEVICE_PER_HOUR = 30


def normalised_nid(nid: str) -> str:
    """The NID in its canonical form, or a ValidationError on ``nid`` (format only)."""
    check = check_identifier((nid or "").strip().upper())
    if check.error:
        raise ValidationError({"nid": [ValidationError(check.error, code="invalid_nid")]})
    return check.value


def _account(nid: str):
    from sportel.accounts.models import User

    return (
        User.objects.filter(nid=nid, nid_verified=True, is_active=True)
        .exclude(phone="")
        .order_by("-nid_verified_at")
        .first()
    )


def send_code(device: Device, nid: str) -> None:
    """Send a sign-in code to the phone on record of ``nid``'s verified account, if there is
    one; say nothing either way. Refuses only when this kiosk has sent too many codes."""
    from sportel.core.notifications import send_notification

    nid = normalised_nid(nid)
    now = timezone.now()
    hour_ago = now - dt.timedelta(hours=1)
    if (
        KioskSignInCode.objects.filter(device=device, created_at__gte=hour_ago).count()
        >= PER_DEVICE_PER_HOUR
    ):
        raise ValidationError(
            _("This kiosk has sent many codes in the last hour. Please ask at reception."),
            code="rate_limited",
        )
    user = _account(nid)
    if user is None:
        return
    with transaction.atomic():
        if (
            KioskSignInCode.objects.filter(user=user, created_at__gte=hour_ago).count()
            >= PER_PERSON_PER_HOUR
        ):
            return
        KioskSignInCode.objects.filter(user=user, used_at__isnull=True).update(superseded=True)
        code = f"{secrets.randbelow(1_000_000):06d}"
        row = KioskSignInCode.objects.create(
            municipality_id=device.municipality_id,
            device=device,
            user=user,
            code_hash=KioskSignInCode.hash_code(user.pk, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
        send_notification(
            template="floor_kiosk_sign_in",
            context={"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)},
            language=user.language,
            to_phone=user.phone,
            user=user,
            municipality=device.office.municipality,
            sensitive=True,
        )
        audit.record(
            "floor.kiosk_sign_in_code",
            actor=user,
            municipality=device.office.municipality,
            obj=row,
            data={"device": device.pk},
        )


def sign_in(device: Device, nid: str, code: str):
    """The account the code signs in, or a ValidationError that says the same for every failure
    (no such person, no code, wrong, expired or too many wrong guesses)."""
    invalid = ValidationError(
        {
            "code": [
                ValidationError(
                    _(
                        "This code is not valid, or no longer. Check the last SMS, or ask for a new code."
                    ),
                    code="invalid_code",
                )
            ]
        }
    )
    try:
        nid = normalised_nid(nid)
    except ValidationError:
        raise invalid from None
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    user = _account(nid)
    if user is None:
        raise invalid
    now = timezone.now()
    with transaction.atomic():
        pending = (
            KioskSignInCode.objects.select_for_update()
            .filter(user=user, device=device, used_at__isnull=True, superseded=False)
            .order_by("-created_at")
            .first()
        )
        if pending is None:
            raise invalid
        if pending.expires_at <= now or pending.attempts >= MAX_ATTEMPTS:
            raise invalid
        if constant_time_compare(pending.code_hash, KioskSignInCode.hash_code(user.pk, code)):
            pending.used_at = now
            pending.save(update_fields=["used_at"])
            audit.record(
                "floor.kiosk_sign_in",
                actor=user,
                municipality=device.office.municipality,
                obj=pending,
                data={"device": device.pk},
            )
            return user
        # The wrong guess is counted and committed before the refusal is raised.
        KioskSignInCode.objects.filter(pk=pending.pk).update(attempts=pending.attempts + 1)
    raise invalid
