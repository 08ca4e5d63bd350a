"""Writes on accounts: sign-up, confirmation, profile, NID link, passwords, roles, staff 2FA.

Views call these and never save a user themselves. Every write is audited in the same
transaction (``core.audit.record``) without passwords, codes or tokens in the entry's data.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from sportel.core import audit
from sportel.core.identifiers import check_identifier
from sportel.core.models import Municipality

from .models import ConfirmationSent, PhoneConfirmation, StaffRole, User
from .normalize import is_phone, login_identifier
from .roles import Role

EMAIL_LINK_SALT = "sportel.accounts.confirm-email"
EMAIL_LINK_MAX_AGE = timedelta(days=3)
PHONE_CODE_SALT = "sportel.accounts.phone-code"
PHONE_CODE_LIFETIME = timedelta(minutes=15)
PHONE_CODE_MAX_ATTEMPTS = 5
# Each confirmation costs an email or an SMS (money, and a nuisance if someone else asks).
CONFIRMATIONS_PER_HOUR = 3


class ConfirmationError(Exception):
    """A confirmation link or code that cannot be accepted; the message is safe to show."""


class RateLimited(Exception):
    """Too many confirmations were asked for this account in the last hour."""


def duplicate_message() -> str:
    # Says no more than that the contact is taken: not whose it is, nor whether it is confirmed.
    return _(
        "An account already uses this email address or phone number. Log in instead, or ask "
        "for a new confirmation if you have not confirmed it yet."
    )


def _contact_taken(login: str) -> bool:
    return User.objects.filter(
        Q(username=login) | Q(email__iexact=login) | (Q(phone=login) & ~Q(phone=""))
    ).exists()


def is_phone_login(user: User) -> bool:
    return user.username.startswith("+")


@transaction.atomic
def sign_up(
    *, contact: str, password: str, full_name: str, language: str, base_url: str = ""
) -> User:
    """Create an unconfirmed citizen account and send its confirmation (link or code).

    The contact is normalised first (lower-cased email, +355 phone), so the same address or
    number in another case or format is a duplicate and is refused.
    """
    login = login_identifier(contact)
    if is_phone(contact):
        email, phone = "", login
    else:
        try:
            validate_email(login)
        except ValidationError:
            raise ValidationError(
                {
                    "contact": _(
                        "Enter an email address (like name@example.com) or a phone number "
                        "(like 069 123 4567)."
                    )
                }
            ) from None
        email, phone = login, ""
    if not full_name.strip():
        raise ValidationError({"full_name": _("Enter your full name.")})
    if _contact_taken(login):
        raise ValidationError({"contact": ValidationError(duplicate_message(), code="duplicate")})
    try:
        validate_password(password, User(username=login, full_name=full_name, email=email))
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                login,
                password,
                email=email,
                phone=phone,
                full_name=full_name.strip(),
                language=language,
            )
    except IntegrityError:  # the same contact signed up at the same moment
        raise ValidationError(
            {"contact": ValidationError(duplicate_message(), code="duplicate")}
        ) from None
    audit.record(
        "account.sign_up",
        actor=user,
        obj=user,
        subject_user=user,
        data={"channel": "sms" if phone else "email"},
    )
    send_confirmation(user, base_url=base_url)
    return user


def _code_hash(user: User, code: str) -> str:
    return salted_hmac(PHONE_CODE_SALT, f"{user.pk}:{code}", algorithm="sha256").hexdigest()


def email_confirmation_token(user: User) -> str:
    # Bound to the login, so a link stops working if the account's address changes.
    return signing.dumps({"u": user.pk, "l": user.username}, salt=EMAIL_LINK_SALT)


def _check_send_limit(user: User, now) -> None:
    """Refuse a 4th confirmation or unlock code within an hour (call inside a transaction)."""
    # Lock the user row so two concurrent requests cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if (
        ConfirmationSent.objects.filter(user=user, at__gte=now - timedelta(hours=1)).count()
        >= CONFIRMATIONS_PER_HOUR
    ):
        raise RateLimited


def send_confirmation(user: User, *, base_url: str = "") -> None:
    """Send a confirmation link (email) or a 6-digit code (SMS); at most 3 an hour per account."""
    from sportel.core.notifications import send_notification

    if user.confirmed_at is not None:
        return
    now = timezone.now()
    with transaction.atomic():
        _check_send_limit(user, now)
        if is_phone_login(user):
            code = f"{secrets.randbelow(1_000_000):06d}"
            PhoneConfirmation.objects.filter(user=user, used_at__isnull=True).update(
                superseded=True
            )
            PhoneConfirmation.objects.create(
                user=user,
                phone=user.phone,
                code_hash=_code_hash(user, code),
                expires_at=now + PHONE_CODE_LIFETIME,
            )
            send_notification(
                template="accounts_confirm_phone",
                context={"code": code, "name": user.full_name, "minutes": 15},
                language=user.language,
                to_phone=user.phone,
                user=user,
                sensitive=True,
            )
            channel = "sms"
        else:
            with translation.override(user.language):
                path = reverse("accounts:confirm-email", args=[email_confirmation_token(user)])
            base = (base_url or settings.SPORTEL_PUBLIC_URL).rstrip("/")
            send_notification(
                template="accounts_confirm_email",
                context={"link": base + path, "name": user.full_name, "days": 3},
                language=user.language,
                to_email=user.email,
                user=user,
                sensitive=True,
            )
            channel = "email"
        ConfirmationSent.objects.create(user=user, channel=channel, at=now)


def resend_confirmation(login: str, *, base_url: str = "") -> None:
    """Resend to an unconfirmed account; silently nothing if there is none (reveals nothing)."""
    user = User.objects.filter(username=login_identifier(login), confirmed_at__isnull=True).first()
    if user is not None:
        send_confirmation(user, base_url=base_url)


def _mark_confirmed(user: User, channel: str) -> None:
    user.confirmed_at = timezone.now()
    user.save(update_fields=["confirmed_at"])
    audit.record(
        "account.confirm", actor=user, obj=user, subject_user=user, data={"channel": channel}
    )


@transaction.atomic
def confirm_email(token: str) -> User:
    """Confirm the address a signed link was sent to; expired or forged links are refused."""
    try:
        data = signing.loads(
            token, salt=EMAIL_LINK_SALT, max_age=EMAIL_LINK_MAX_AGE.total_seconds()
        )
    except signing.SignatureExpired:
        raise ConfirmationError(
            _("This confirmation link has expired. Ask for a new one below.")
        ) from None
    except signing.BadSignature:
        raise ConfirmationError(
            _("This confirmation link is not valid. Check that you copied all of it.")
        ) from None
    user = User.objects.select_for_update().filter(pk=data.get("u"), username=data.get("l")).first()
    if user is None:
        raise ConfirmationError(_("This confirmation link is not valid."))
    if user.confirmed_at is None:
        _mark_confirmed(user, "email")
    return user


def confirm_phone(*, login: str, code: str) -> User:
    """Confirm a phone number with the last code sent to it (5 wrong tries, 15 minutes)."""
    invalid = _("This code is not valid. Check the last SMS we sent, or ask for a new code.")
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=login_identifier(login)).first()
        if user is None or not is_phone_login(user):
            raise ConfirmationError(invalid)
        if user.confirmed_at is not None:
            return user
        pending = (
            PhoneConfirmation.objects.filter(
                user=user, used_at__isnull=True, superseded=False, expires_at__gt=timezone.now()
            )
            .order_by("-created_at")
            .first()
        )
        if pending is None:
            raise ConfirmationError(_("This code has expired. Ask for a new one."))
        if pending.attempts >= PHONE_CODE_MAX_ATTEMPTS:
            raise ConfirmationError(_("Too many wrong codes. Ask for a new one."))
        if constant_time_compare(pending.code_hash, _code_hash(user, code)):
            pending.used_at = timezone.now()
            pending.save(update_fields=["used_at"])
            _mark_confirmed(user, "sms")
            return user
        # The wrong guess is counted and committed before the refusal is raised.
        PhoneConfirmation.objects.filter(pk=pending.pk).update(attempts=pending.attempts + 1)
    raise ConfirmationError(invalid)


@transaction.atomic
def update_profile(user: User, *, full_name: str, language: str, email: str, phone: str) -> User:
    """Change name, language and the contact that is not the login (the login stays as is)."""
    if not full_name.strip():
        raise ValidationError({"full_name": _("Enter your full name.")})
    values = {"full_name": full_name.strip(), "language": language}
    if is_phone_login(user):
        values["email"] = email.strip().lower()
    else:
        values["phone"] = login_identifier(phone) if phone.strip() else ""
        if values["phone"] and not is_phone(values["phone"]):
            raise ValidationError(
                {"phone": _("Enter a phone number like 069 123 4567 or +355 69 123 4567.")}
            )
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, values[name])
    if changed:
        user.save(update_fields=changed)
        audit.record(
            "account.profile_update",
            actor=user,
            obj=user,
            subject_user=user,
            data={"fields": changed},
        )
    return user


@dataclass
class NidLinked:
    user: User
    warning: str | None = None


@transaction.atomic
def link_nid(user: User, nid: str, *, accept_check_letter: bool = False) -> NidLinked:
    """Link a personal number to the account.

    A wrong layout is refused; a check letter that does not match is refused with code
    ``check_letter`` unless the citizen confirms the number explicitly. A number asserted by
    the national eID cannot be replaced here.
    """
    result = check_identifier(nid, kind="nid")
    if result.error:
        raise ValidationError({"nid": result.error})
    if result.warning and not accept_check_letter:
        raise ValidationError({"nid": ValidationError(result.warning, code="check_letter")})
    if user.nid_verified and user.nid != result.value:
        raise ValidationError(
            {
                "nid": _(
                    "Your personal number was confirmed by the national eID and cannot be "
                    "changed here."
                )
            }
        )
    if user.nid != result.value:
        user.nid = result.value
        user.save(update_fields=["nid"])
        audit.record(
            "account.nid_link",
            actor=user,
            obj=user,
            subject_user=user,
            data={"check_letter_accepted": bool(result.warning)},
        )
    return NidLinked(user, result.warning)


@transaction.atomic
def change_password(user: User, *, new_password: str) -> None:
    """Set a new password (already validated by the form, which checked the old one)."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record("account.password_change", actor=user, obj=user, subject_user=user)


@transaction.atomic
def grant_role(
    user: User, municipality: Municipality, role: Role | str, *, actor=None
) -> StaffRole:
    """Give a user a staff role in one municipality (idempotent); audited in its chain."""
    grant, created = StaffRole.objects.get_or_create(
        user=user, municipality=municipality, role=str(role)
    )
    if created:
        audit.record(
            "staff.role_grant",
            actor=actor,
            municipality=municipality,
            obj=grant,
            subject_user=user,
            data={"role": str(role), "user": user.pk},
        )
    return grant


@transaction.atomic
def revoke_role(user: User, municipality: Municipality, role: Role | str, *, actor=None) -> bool:
    """Take a staff role away; audited in the municipality's chain."""
    deleted, _rows = StaffRole.objects.filter(
        user=user, municipality=municipality, role=str(role)
    ).delete()
    if deleted:
        audit.record(
            "staff.role_revoke",
            actor=actor,
            municipality=municipality,
            subject_user=user,
            data={"role": str(role), "user": user.pk},
        )
    return bool(deleted)


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up (created on first visit, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(user: User, device: TOTPDevice, token: str) -> bool:
    """Confirm a new authenticator with its first code; audited (never the code itself)."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record("staff.2fa_enrol", actor=user, obj=device, subject_user=user)
    return True


def record_staff_login(user: User, *, method: str) -> None:
    """Staff and operator logins are audited, in the chain of each municipality they serve."""
    municipalities = list(
        Municipality.objects.filter(staff_roles__user=user).distinct().order_by("name")
    )
    with transaction.atomic():
        for municipality in municipalities or [None]:
            audit.record(
                "staff.login",
                actor=user,
                municipality=municipality,
                subject_user=user,
                data={"method": method},
            )


def record_lockout(login: str) -> None:
    """A login was locked after too many failures: audited against the account, if any."""
    user = User.objects.filter(username=login_identifier(login)).first()
    # obj, not subject_user: a lockout is nobody reading the citizen's data.
    audit.record("account.lockout", actor="anonymous", obj=user, data={})


# --- Locked out: the owner's way back in, and staff told of failed attempts -----------------

UNLOCK_CODE_SALT = "sportel.accounts.unlock-code"
UNLOCK_CODE_LIFETIME = timedelta(minutes=15)
UNLOCK_CODE_MAX_ATTEMPTS = 5
FAILED_LOGIN_NOTICE_EVERY = timedelta(hours=1)


@dataclass
class UnlockChallenge:
    """What the browser that asked keeps (in its session) to check the code typed back."""

    login: str
    code_hash: str
    expires_at: float
    attempts: int = 0


def _unlock_hash(login: str, code: str) -> str:
    return salted_hmac(UNLOCK_CODE_SALT, f"{login}:{code}", algorithm="sha256").hexdigest()


def send_unlock_code(login: str) -> UnlockChallenge:
    """Send a one-time code to the confirmed email or phone of the account ``login`` names.

    The answer looks the same whether or not there is such an account (a challenge no code
    matches), so the page reveals nothing; codes share the confirmations' limit of 3 an hour.
    Raises ``RateLimited`` past it.
    """
    from sportel.core.notifications import send_notification

    login = login_identifier(login)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    challenge = UnlockChallenge(
        login=login,
        code_hash=_unlock_hash(login, secrets.token_hex(16)),  # matches no six digits
        expires_at=(now + UNLOCK_CODE_LIFETIME).timestamp(),
    )
    user = User.objects.filter(username=login, confirmed_at__isnull=False, is_active=True).first()
    if user is None:
        return challenge
    to_email, to_phone = login_contact(user)
    if not (to_email or to_phone):
        return challenge
    channel = "sms" if to_phone else "email"
    with transaction.atomic():
        _check_send_limit(user, now)
        send_notification(
            template="accounts_unlock_code",
            context={"code": code, "name": user.full_name, "minutes": 15},
            language=user.language,
            to_phone=to_phone,
            to_email=to_email,
            user=user,
            sensitive=True,
        )
        ConfirmationSent.objects.create(user=user, channel=channel, at=now)
        audit.record("account.unlock_code", actor="anonymous", obj=user, data={"channel": channel})
    challenge.code_hash = _unlock_hash(login, code)
    return challenge


def check_unlock_code(challenge: UnlockChallenge, code: str) -> User:
    """Accept the code sent by ``send_unlock_code`` and clear every lock-out of the account.

    The caller counts a wrong code against the challenge (5 wrong codes end it) and forgets
    the challenge once it is used, so a code works once.
    """
    from axes.utils import reset

    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if challenge.expires_at < timezone.now().timestamp():
        raise ConfirmationError(_("This code has expired. Ask for a new one."))
    if challenge.attempts >= UNLOCK_CODE_MAX_ATTEMPTS:
        raise ConfirmationError(_("Too many wrong codes. Ask for a new one."))
    user = User.objects.filter(username=challenge.login, is_active=True).first()
    if user is None or not constant_time_compare(
        challenge.code_hash, _unlock_hash(challenge.login, code)
    ):
        raise ConfirmationError(
            _("This code is not valid. Check the last message we sent, or ask for a new code.")
        )
    reset(username=challenge.login)
    with transaction.atomic():
        audit.record("account.unlock", actor=user, obj=user, subject_user=user)
    return user


def notify_failed_login(login: str, *, ip_address: str) -> bool:
    """Tell a staff member (or operator) that someone failed to log in as them.

    At most one message an hour per account, so a guessing run is one message, not hundreds.
    Citizens are not messaged (an SMS each time would cost the municipality, and help an
    attacker annoy them); everyone sees the count after their next login.
    """
    from sportel.core.models import Notification
    from sportel.core.notifications import send_notification

    user = User.objects.filter(username=login_identifier(login)).first()
    if user is None or not user.needs_second_factor:
        return False
    since = timezone.now() - FAILED_LOGIN_NOTICE_EVERY
    if Notification.objects.filter(
        template="accounts_failed_login", user=user, created_at__gte=since
    ).exists():
        return False
    to_email, to_phone = login_contact(user)
    if not (to_email or to_phone):
        return False
    with transaction.atomic():
        send_notification(
            template="accounts_failed_login",
            context={"name": user.full_name, "address": ip_address or "?"},
            language=user.language,
            to_email=to_email,
            to_phone=to_phone,
            user=user,
        )
    return True


def login_contact(user: User) -> tuple[str, str]:
    """(email, phone) to reach the account's owner: its login, which was confirmed."""
    if is_phone_login(user):
        return "", user.phone or user.username
    return user.email or (user.username if "@" in user.username else ""), ""


@dataclass
class FailedLogins:
    count: int
    addresses: list[str]


def failed_logins_since_last_login(username: str, *, now) -> FailedLogins:
    """Failed password attempts on ``username`` since its previous successful login."""
    from axes.models import AccessFailureLog, AccessLog

    previous = (
        AccessLog.objects.filter(username=username, attempt_time__lt=now)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    failures = AccessFailureLog.objects.filter(username=username, attempt_time__lt=now)
    if previous is not None:
        failures = failures.filter(attempt_time__gt=previous)
    addresses: list[str] = []
    for address in failures.order_by("-attempt_time").values_list("ip_address", flat=True):
        if address and address not in addresses:
            addresses.append(address)
    return FailedLogins(failures.count(), addresses)
