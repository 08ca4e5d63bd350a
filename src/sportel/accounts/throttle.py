"""Login throttling on top of django-axes.

Three rules, each with the reason it exists:

- **An account from one address** (``AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]``):
  5 wrong passwords for one login from one client address pause that pair for 15 minutes.
  Someone guessing a clerk's password locks only themselves out: the clerk, at another address,
  is not touched. The address is the real client's (``client_ip``), not the proxy's.
- **One address, any accounts** (``SPORTEL_LOGIN_ADDRESS_FAILURE_LIMIT``, default 50 in the same
  window): a slower cap against password spraying, one guess per account across many accounts.
  It only ever stops the address that made the failures.
- **The owner's way back in**: whoever shares the attacker's address (an office behind one NAT,
  a kiosk) asks for a code sent to the account's confirmed email or phone. The right code clears
  the account's lock-outs and lets this browser try its password again (``UNLOCK_GRANT`` in the
  session, a few attempts, a few minutes), whatever the address has done.
"""

import time

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum

from .normalize import login_identifier

UNLOCK_GRANT = "accounts_unlock_grant"
UNLOCK_GRANT_SECONDS = 15 * 60


def address_failures(request) -> int:
    """Failed logins from the request's client address, over every login, in the window."""
    ip_address = getattr(request, "axes_ip_address", "")
    if not ip_address:
        return 0
    total = AccessAttempt.objects.filter(
        ip_address=ip_address, attempt_time__gt=get_cool_off_threshold(request)
    ).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


class LoginThrottle(AxesDatabaseHandler):
    """axes' database handler, plus the per-address cap."""

    def is_locked(self, request, credentials=None) -> bool:
        # A live unlock grant lifts the locks for its login in this browser; its failures are
        # still counted, so once its attempts are used up the lock is back.
        if is_unlocked(request, credentials):
            return False
        if super().is_locked(request, credentials):
            return True
        limit = settings.SPORTEL_LOGIN_ADDRESS_FAILURE_LIMIT
        return bool(limit) and address_failures(request) >= limit


def grant_unlock(session, login: str) -> None:
    """This browser proved it holds the account's email or phone: let it try its password."""
    session[UNLOCK_GRANT] = {
        "login": login_identifier(login),
        "until": time.time() + UNLOCK_GRANT_SECONDS,
        "failures": 0,
    }


def _grant(request, login: str) -> dict | None:
    session = getattr(request, "session", None)
    grant = session.get(UNLOCK_GRANT) if session is not None else None
    if not grant or grant.get("login") != login_identifier(login or ""):
        return None
    if grant.get("until", 0) < time.time() or grant.get("failures", 0) >= (
        settings.AXES_FAILURE_LIMIT
    ):
        return None
    return grant


def is_unlocked(request, credentials=None) -> bool:
    """A live unlock grant for this login in this session."""
    if request is None:
        return False
    return _grant(request, get_client_username(request, credentials) or "") is not None


def count_failure_against_grant(request, login: str) -> None:
    """A wrong password under a grant uses one of its attempts (the grant is not a free pass)."""
    grant = _grant(request, login)
    if grant is not None:
        grant["failures"] = grant.get("failures", 0) + 1
        request.session[UNLOCK_GRANT] = grant


def end_grant(request) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(UNLOCK_GRANT, None)
