"""Kiosk sessions end after a short idle time (a kiosk is a shared screen)."""

from django.conf import settings

KIOSK_SESSION = "accounts_kiosk"


def start_kiosk_session(request, municipality_slug: str) -> None:
    """Mark this (just logged-in) session as a kiosk's: it expires after the idle time."""
    request.session[KIOSK_SESSION] = municipality_slug
    request.session.set_expiry(settings.SPORTEL_KIOSK_IDLE_SECONDS)


def kiosk_of(request) -> str | None:
    """The municipality slug of the kiosk this session was opened on, if any."""
    session = getattr(request, "session", None)
    return session.get(KIOSK_SESSION) if session is not None else None


class KioskSessionMiddleware:
    """Each request of a kiosk session pushes its expiry on by the idle time (the session is
    saved, so the server forgets it ``SPORTEL_KIOSK_IDLE_SECONDS`` after the last request)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.get(KIOSK_SESSION):
            session.set_expiry(settings.SPORTEL_KIOSK_IDLE_SECONDS)
        return response
