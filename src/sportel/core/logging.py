"""Structured JSON logs that never carry personal data.

Log records are scrubbed of anything shaped like a NID/NIPT, an email address or a phone number
before they are written, so a careless ``logger.info(f"... {person.nid}")`` does not leak.
"""

import json
import logging
import re
import time

PATTERNS = [
    (re.compile(r"\b[A-T0-9][0-9]{8}[A-Z]\b"), "[nid]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
    (re.compile(r"\+?\b(?:355|0)\s?6[0-9][\s-]?[0-9]{3}[\s-]?[0-9]{4}\b"), "[phone]"),
    # Any other number written internationally (a diaspora resident's +39..., +44...).
    (re.compile(r"\+[1-9](?:[\s-]?[0-9]){7,14}\b"), "[phone]"),
]


def scrub(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in (
            "event",
            "municipality",
            "method",
            "route",
            "status",
            "duration_ms",
            "user_id",
            "task",
        ):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info:
            payload["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


request_logger = logging.getLogger("sportel.request")


def _is_static(path: str) -> bool:
    from django.conf import settings

    return path.startswith(settings.STATIC_URL)


def _loaded_user(request):
    """The user if the request already loaded it; logging alone must not cost a session query."""
    from django.utils.functional import empty

    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user


class RequestLogMiddleware:
    """One INFO line per request: method, route pattern, status, duration, municipality and the
    numeric user id. Never the raw path or query string: they can carry names, NIDs or tokens.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        if route in ("healthz", "metrics"):
            return response  # scraped every few seconds: counted in /metrics, not logged
        if match is None and response.status_code < 400 and _is_static(request.path):
            return response  # CSS, scripts, fonts served by whitenoise: one page, many files
        user = _loaded_user(request)
        municipality = getattr(request, "municipality", None)
        status = response.status_code
        request_logger.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "%s %s %s",
            request.method,
            route or "/",
            status,
            extra={
                "event": "request",
                "method": request.method,
                "route": route or "/",
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "municipality": municipality.slug if municipality is not None else None,
            },
        )
        return response
