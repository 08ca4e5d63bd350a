"""The eID provider's end-session endpoint, for the kiosk's logout (kiosk_eid.py) and the
worker's retries of it (tasks.py): a module of its own, so that those two need not import each
other."""

import logging

import requests
from django.conf import settings

logger = logging.getLogger("sportel.floor.kiosk_eid")


def end_session_endpoint() -> str | None:
    """The provider's end_session_endpoint, or None when the provider does not answer (the
    discovery document is fetched with a short timeout: it is also the check that the provider
    is reachable before the kiosk's browser is sent there)."""
    explicit = getattr(settings, "OIDC_OP_END_SESSION_ENDPOINT", "")
    discovery = getattr(settings, "OIDC_OP_DISCOVERY_ENDPOINT", "")
    if not discovery:
        return explicit or None
    try:
        answer = requests.get(discovery, timeout=settings.SPORTEL_KIOSK_EID_LOGOUT_TIMEOUT)
        answer.raise_for_status()
        endpoint = answer.json().get("end_session_endpoint") or explicit
    except (requests.RequestException, ValueError) as exc:
        logger.warning("eID provider discovery failed at kiosk logout: %s", type(exc).__name__)
        return None
    return endpoint or None
