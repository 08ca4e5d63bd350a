"""Signing a resident in at a managed kiosk with the national eID (OpenID Connect), safely for a
shared screen.

The older services kiosk (``accounts.KioskLoginView``) offers no eID because a shared screen
would keep the resident's session open at the identity provider for the next person. Here the
kiosk is a registered device, so Sportel can close both ends:

- **Fresh authentication.** The authorization request asks for ``prompt=login`` and
  ``max_age=0``, and Sportel itself checks that the ID token's ``auth_time`` is present and not
  older than the moment the request started (less :setting:`SPORTEL_KIOSK_EID_SKEW_SECONDS`):
  a provider session left open by someone earlier never signs the next person in.
- **Bound to the device and the browser.** The state, nonce and PKCE verifier live in this
  browser's session together with the device and a hash of its token; the callback pops them
  before anything else (a replayed callback finds nothing), and a callback carried to another
  kiosk or device finds no matching state there.
- **A kiosk session.** The same scope and idle time as signing in with the NID and an SMS code
  (``accounts.middleware.start_kiosk_session``); the ID token is kept on a
  :class:`~sportel.floor.models.KioskEidSession` row of the device.
- **Ended at both ends.** When the kiosk session ends (Finish, the idle timer's return to the
  start screen, the next person starting), :func:`end` logs Sportel's session out and sends
  the browser to the provider's ``end_session_endpoint`` (from discovery) with the
  ``id_token_hint``; the provider comes back to ``post_logout_redirect_uri`` and the kiosk
  shows its start screen. A provider that does not answer within
  :setting:`SPORTEL_KIOSK_EID_LOGOUT_TIMEOUT` is skipped: Sportel's session ends anyway, and
  the worker ends the provider's from the server, retried with backoff until the provider
  answers or the ID token expires (``floor/tasks.py``).
- **Assurance.** The claims go through the same backend as the eID login
  (``accounts.oidc.EIDBackend``): the NID it asserts is recorded as proven by the eID, the
  account reaches the *high* level, and the sign-in is audited with that level.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _lazy
from mozilla_django_oidc.utils import generate_code_challenge

from sportel.accounts.oidc import EIDBackend
from sportel.core import audit

from .eid_provider import end_session_endpoint
from .models import Device, KioskEidSession
from .tasks import schedule_provider_logout

logger = logging.getLogger(__name__)

PENDING = "floor_kiosk_eid"  # session: the one sign-in this browser has started
SIGNED_IN = "floor_kiosk_eid_session"  # session: the KioskEidSession of the signed-in resident
RETURN = "floor_kiosk_eid_return"  # session: where the provider's logout comes back to
KIOSK = "floor_kiosk_eid_kiosk"  # session: the kiosk this browser last started a sign-in on
FLOW_LIFETIME = 10 * 60  # seconds from the kiosk's request to the provider's answer


# Why a sign-in was refused, for the resident (in the language of the page that shows it).
MESSAGES = {
    "state": _lazy(
        "This eID sign-in was not started on this kiosk, or it was already used. "
        "Start again from the kiosk's screen."
    ),
    "device": _lazy("This kiosk no longer offers signing in with the eID."),
    "provider_error": _lazy("The eID sign-in was cancelled or did not succeed. You can try again."),
    "expired": _lazy("The eID sign-in took too long. Please start again."),
    "auth_time": _lazy(
        "The eID did not confirm that you signed in just now, so this kiosk cannot sign you "
        "in. Please try again; if it happens again, ask at reception."
    ),
    "failed": _lazy(
        "The eID sign-in did not succeed. You can try again, or use your personal number."
    ),
}


class Refused(Exception):
    """The eID sign-in did not sign anyone in; ``code`` names why (:data:`MESSAGES`)."""

    def __init__(self, code: str, pending: dict | None = None):
        super().__init__(code)
        self.code = code
        self.device = (pending or {}).get("device_obj")
        self.token = (pending or {}).get("token", "") if self.device else ""
        self.language = (pending or {}).get("language", "")


class StaleAuthentication(SuspiciousOperation):
    pass


def enabled() -> bool:
    """Is the national eID configured (client and endpoints)?"""
    return bool(
        getattr(settings, "OIDC_RP_CLIENT_ID", "")
        and getattr(settings, "OIDC_OP_AUTHORIZATION_ENDPOINT", "")
        and getattr(settings, "OIDC_OP_TOKEN_ENDPOINT", "")
    )


def offered(device: Device) -> bool:
    """Does this kiosk offer the eID? It must be one of its allowed functions, and signing in
    must serve something it offers (printing one's certificates or paying)."""
    functions = set(device.functions)
    return (
        enabled()
        and Device.Function.EID in functions
        and bool({Device.Function.APPLY, Device.Function.PAY} & functions)
    )


def _absolute(request, name: str) -> str:
    # As the eID login's own callback (mozilla-django-oidc): the address this request came to.
    return request.build_absolute_uri(reverse(name))


def callback_uri(request) -> str:
    return _absolute(request, "floor-eid:callback")


def logged_out_uri(request) -> str:
    return _absolute(request, "floor-eid:logged-out")


def authorization_url(request, device: Device, *, token: str, then: str, language: str) -> str:
    """Start a sign-in on this kiosk: the provider's authorization URL, with the state bound to
    this browser's session and this device. A new start replaces an unfinished one.

    The session (server-side) keeps the device's token for the flow's few minutes, so that the
    callback, which is one address for every kiosk, can send the browser back to this kiosk;
    the callback checks it against the device's stored hash."""
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)[:96]
    request.session[PENDING] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "device": device.pk,
        "token": token,
        "started": time.time(),
        "then": then,
        "language": language,
    }
    # Kept after the callback: a refused callback is explained on this kiosk, in its language.
    request.session[KIOSK] = {"device": device.pk, "token": token, "language": language}
    request.session.set_expiry(max(device.idle_seconds, FLOW_LIFETIME))
    params = {
        "response_type": "code",
        "scope": settings.OIDC_RP_SCOPES,
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "redirect_uri": callback_uri(request),
        "state": state,
        "nonce": nonce,
        "code_challenge": generate_code_challenge(verifier, "S256"),
        "code_challenge_method": "S256",
        # A shared screen: whoever signed in before, the provider asks again.
        "prompt": "login",
        "max_age": "0",
        "ui_locales": language,
    }
    return f"{settings.OIDC_OP_AUTHORIZATION_ENDPOINT}?{urlencode(params)}"


class KioskEIDBackend(EIDBackend):
    """The eID login's backend, for a kiosk: the token exchange names the kiosk's callback, and
    the ID token must be for this client and show an authentication made for this request."""

    def __init__(self, *args, started: float, redirect_uri: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = started
        self.redirect_uri = redirect_uri
        self.id_token = ""
        self.claims: dict = {}

    def authenticate(self, request, **kwargs):
        # The base class builds the token request's redirect_uri from the login's own callback;
        # the kiosk's is another, so the token request is patched here (the code is bound to it).
        original = self.get_token

        def get_token(payload):
            payload["redirect_uri"] = self.redirect_uri
            return original(payload)

        self.get_token = get_token
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if kwargs.get("nonce") is None:
            return payload  # a userinfo answer signed as a JWT: no auth_time to check there
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is for another client.")
        auth_time = payload.get("auth_time")
        skew = settings.SPORTEL_KIOSK_EID_SKEW_SECONDS
        if not isinstance(auth_time, int | float) or auth_time < self.started - skew:
            raise StaleAuthentication("The ID token shows no fresh authentication.")
        self.id_token = token
        self.claims = payload
        return payload

    def store_tokens(self, access_token, id_token):
        pass  # the kiosk keeps the ID token on its KioskEidSession row, not in the session


@dataclass
class SignedIn:
    device: Device
    user: object
    session: KioskEidSession
    token: str
    then: str
    language: str


def _kiosk_device(started: dict) -> Device | None:
    """The kiosk a sign-in was started on, if it still offers the eID (its token still valid)."""
    if not started.get("device") or not started.get("token"):
        return None
    device = (
        Device.objects.select_related("office__municipality")
        .filter(
            pk=started["device"],
            kind=Device.Kind.KIOSK,
            token_hash=Device.hash_token(started["token"]),
            revoked_at__isnull=True,
            office__is_active=True,
        )
        .first()
    )
    return device if device is not None and offered(device) else None


def complete(request) -> SignedIn:
    """The provider's answer at the callback: the account signed in, or :class:`Refused`.

    The pending sign-in is taken out of the session first, so a callback is used once."""
    from sportel.accounts import identity

    pending = request.session.pop(PENDING, None)
    request.session.save()
    state = request.GET.get("state", "")
    if not pending or not state or not constant_time_compare(state, pending.get("state", "")):
        kiosk = request.session.get(KIOSK) or {}
        device = _kiosk_device(kiosk)
        raise Refused("state", {**kiosk, "device_obj": device} if device else None)
    device = _kiosk_device(pending)
    if device is None:
        raise Refused("device", {"language": pending.get("language", "")})
    pending["device_obj"] = device
    if request.GET.get("error"):
        raise Refused("provider_error", pending)
    if time.time() - pending["started"] > FLOW_LIFETIME:
        raise Refused("expired", pending)
    backend = KioskEIDBackend(started=pending["started"], redirect_uri=callback_uri(request))
    try:
        user = backend.authenticate(
            request, nonce=pending["nonce"], code_verifier=pending["verifier"]
        )
    except StaleAuthentication:
        audit.record(
            "floor.kiosk_eid_refused",
            municipality=device.office.municipality,
            obj=device,
            data={"device": device.pk, "reason": "auth_time"},
        )
        raise Refused("auth_time", pending) from None
    except SuspiciousOperation as exc:
        logger.warning("kiosk eID sign-in refused: %s", exc)
        user = None
    if user is None or not user.is_active:
        raise Refused("failed", pending)
    level = identity.level_of(user)
    with transaction.atomic():
        row = KioskEidSession.objects.create(
            municipality_id=device.municipality_id,
            device=device,
            user=user,
            id_token=backend.id_token,
            level=level,
            started_at=timezone.now(),
        )
        audit.record(
            "floor.kiosk_sign_in",
            actor=user,
            municipality=device.office.municipality,
            obj=row,
            data={"device": device.pk, "method": "eid", "level": level},
        )
    return SignedIn(
        device, user, row, pending["token"], pending.get("then", ""), pending.get("language", "")
    )


def session_open(request, device: Device) -> bool:
    """Is someone still signed in on this kiosk (this browser's kiosk session, or an eID
    session of the device not yet ended at the provider)?"""
    from sportel.accounts.middleware import kiosk_of

    return bool(
        (request.user.is_authenticated and kiosk_of(request))
        or KioskEidSession.objects.filter(device=device, ended_at__isnull=True).exists()
    )


def content_security_policy() -> str:
    """The site's policy, with the provider's origin allowed as a form's destination."""
    from urllib.parse import urlsplit

    from sportel.core.middleware import CSP

    url = urlsplit(settings.OIDC_OP_AUTHORIZATION_ENDPOINT)
    return CSP.replace("form-action 'self'", f"form-action 'self' {url.scheme}://{url.netloc}")


def end(request, device: Device, *, back_to: str, language: str) -> str | None:
    """End the kiosk session on this device: Sportel's (always) and, when a resident signed in
    with the eID here and the provider answers, the provider's. Returns the provider's logout
    URL to send the browser to, or None (show the start screen)."""
    from django.contrib.auth import logout

    from sportel.accounts.middleware import kiosk_of

    if request.user.is_authenticated and kiosk_of(request):
        logout(request)
    elif request.session.get(SIGNED_IN) or request.session.get(PENDING):
        request.session.flush()
    open_rows = KioskEidSession.objects.filter(device=device, ended_at__isnull=True)
    if not open_rows.exists():
        return None
    now = timezone.now()
    with transaction.atomic():
        rows = list(open_rows.select_for_update().order_by("-started_at"))
        # Only one request ends these rows (a double tap, two tabs): the others find them ended.
        ended = KioskEidSession.objects.filter(
            pk__in=[r.pk for r in rows], ended_at__isnull=True
        ).update(ended_at=now, id_token="")
    if not ended or not rows[0].id_token:
        return None
    row = rows[0]
    endpoint = end_session_endpoint()
    if endpoint:
        outcome = "sent"
        KioskEidSession.objects.filter(pk=row.pk).update(provider_logout=outcome)
    else:
        # The provider is down: the row keeps the ID token and the worker asks the provider
        # itself, with backoff, until it answers or the token expires (floor/tasks.py).
        outcome = "pending"
        with transaction.atomic():
            KioskEidSession.objects.filter(pk=row.pk).update(
                provider_logout=outcome, id_token=row.id_token
            )
            schedule_provider_logout(row.pk)
    audit.record(
        "floor.kiosk_sign_out",
        actor=row.user,
        municipality=device.office.municipality,
        obj=row,
        data={"device": device.pk, "method": "eid", "provider_logout": outcome},
    )
    if endpoint is None:
        return None
    state = secrets.token_urlsafe(24)
    request.session[RETURN] = {"state": state, "to": back_to}
    params = {
        "id_token_hint": row.id_token,
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": logged_out_uri(request),
        "state": state,
        "ui_locales": language,
    }
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(params)}"


def returned(request) -> str | None:
    """Where the kiosk goes when the provider's logout comes back (its start screen), or None
    when this browser did not send anyone to the provider's logout."""
    back = request.session.pop(RETURN, None)
    state = request.GET.get("state")
    if not back:
        return None
    # A provider that does not echo the state still brings the kiosk back to its start screen
    # (nothing is at stake here: the address comes from this browser's own session).
    if state is not None and not constant_time_compare(state, back.get("state", "")):
        return None
    return back["to"]
