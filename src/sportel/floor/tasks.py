"""The floor's background work: ending a kiosk resident's session at the eID provider when the
provider was down as the kiosk session ended.

At the kiosk the browser is sent to the provider's logout (RP-initiated logout, kiosk_eid.end).
When the provider does not answer then, the kiosk's next person must not wait, so the row keeps
the ID token and this task asks the provider itself, from the server (the same end_session
endpoint with the ``id_token_hint``; the provider ends what it holds for that token), again and
again with a growing wait, until the provider takes it or the ID token expires (the provider
then no longer accepts it as a hint, and what it held for it has expired too). Idempotent: a
row no longer pending is left alone, so a re-run after a worker was killed does nothing twice.
"""

import base64
import json
import logging
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.utils import timezone
from django_tasks import task

from .eid_provider import end_session_endpoint

logger = logging.getLogger(__name__)

# Waits between attempts: 30 s, 1 min, 2 min, ... capped at 30 min (an ID token lives hours).
BACKOFF_SECONDS = 30
BACKOFF_MAX_SECONDS = 30 * 60

PENDING, SENT, EXPIRED, REFUSED = "pending", "sent", "expired", "refused"


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt`` (1, 2, ...)."""
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS))


def token_expiry(id_token: str) -> datetime | None:
    """The ``exp`` of an ID token (a JWT), read without checking its signature: Sportel checked
    it when the token came; here it only says until when the provider would take it back."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def schedule_provider_logout(session_id: int, *, attempt: int = 1, run_after=None) -> None:
    """Queue attempt ``attempt`` to end a kiosk session at the provider (in the caller's
    transaction: the worker sees it once the session's end commits)."""
    task_ = (
        end_provider_session
        if run_after is None
        else end_provider_session.using(run_after=run_after)
    )
    task_.enqueue(session_id, attempt)


@task()
def end_provider_session(session_id: int, attempt: int = 1) -> str:
    """Ask the provider to end the session of a kiosk's ended eID sign-in; on failure queue the
    next attempt after :func:`backoff`, until the ID token expires. Returns the outcome."""
    from sportel.core import audit

    from .models import KioskEidSession

    row = (
        KioskEidSession.objects.select_related("device__office__municipality", "user")
        .filter(pk=session_id, provider_logout=PENDING)
        .first()
    )
    if row is None or not row.id_token:
        return "nothing"
    now = timezone.now()
    expires = token_expiry(row.id_token)
    outcome = None
    if expires is None or expires <= now:
        outcome = EXPIRED
    else:
        endpoint = end_session_endpoint()
        if endpoint is not None:
            outcome = _ask(endpoint, row.id_token)
    if outcome is None:  # not reached: try again later, but not after the token expired
        run_after = min(now + backoff(attempt), expires)
        schedule_provider_logout(row.pk, attempt=attempt + 1, run_after=run_after)
        return "retry"
    # Only one run finishes the row (a duplicate run finds it no longer pending).
    done = KioskEidSession.objects.filter(pk=row.pk, provider_logout=PENDING).update(
        provider_logout=outcome, id_token=""
    )
    if done:
        audit.record(
            "floor.kiosk_provider_logout",
            actor=row.user,
            municipality=row.device.office.municipality,
            obj=row,
            data={"device": row.device_id, "provider_logout": outcome, "attempt": attempt},
        )
    return outcome


def _ask(endpoint: str, id_token: str) -> str | None:
    """The provider's end_session endpoint, from the server: SENT when it took the request,
    REFUSED when it answered that it will never take it (a 4xx), None when it did not answer."""
    try:
        answer = requests.get(
            endpoint,
            params={"id_token_hint": id_token, "client_id": settings.OIDC_RP_CLIENT_ID},
            allow_redirects=False,  # it sends the browser on; there is none here
            timeout=settings.SPORTEL_KIOSK_EID_LOGOUT_TIMEOUT,
        )
    except requests.RequestException as exc:
        logger.warning("eID provider logout failed: %s", type(exc).__name__)
        return None
    if answer.status_code < 400:
        return SENT
    if answer.status_code < 500:
        logger.warning("eID provider refused the logout: %s", answer.status_code)
        return REFUSED
    return None
