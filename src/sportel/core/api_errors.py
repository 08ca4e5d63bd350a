"""One error shape for the whole JSON API: ``{"detail": str, "code": str}``, plus ``errors``
(messages by field) for bad input.

Handlers raise Django's own exceptions — ``PermissionDenied``, ``ValidationError``, ``Http404``,
a model's ``DoesNotExist`` — and django-ninja raises its own for a failed login, a failed CSRF
check, a body it cannot parse and a request that does not match the operation's parameters.
:func:`install` maps every one of them to the shape once, for every router, and
:func:`responses` declares the same statuses in the OpenAPI document, so a client reads the
statuses an operation can answer from ``/api/v1/openapi.json``.

Messages are in the caller's language (:func:`api_language`): ``?lang=``, else
``Accept-Language``, else Albanian.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError


class Error(Schema):
    """Every 4xx answer of the API."""

    detail: str
    code: str
    errors: dict[str, list[str]] | None = None


# Codes of a ValidationError that mean "not now, in this state" rather than "bad input": 409.
CONFLICT_CODES = frozenset({"illegal_transition", "not_allowed", "fee_unpaid", "already_paid"})


# Codes of field errors that clients act on (override a check letter, shorten a key): passed on.
FIELD_CODES = frozenset({"check_letter", "too_long", "idempotency_key_reused"})

# An Idempotency-Key reused for another request: 422, as the IETF's Idempotency-Key draft asks.
UNPROCESSABLE_CODES = frozenset({"idempotency_key_reused"})


class Refused(PermissionDenied):
    """A 403 with a code of its own (``csrf_failed``, ``second_factor_required``...)."""

    def __init__(self, message: str, *, code: str = "forbidden"):
        super().__init__(message)
        self.code = code


class BadRequest(ValidationError):
    """A 400 about one request field (a header, a query parameter), named in ``errors``."""

    def __init__(self, field: str, message: str, *, code: str = "invalid"):
        super().__init__({field: ValidationError(message, code=code)})


def responses(
    ok: dict,
    *,
    auth: str = "",
    body: bool = False,
    refuses: bool = False,
    lookup: bool = True,
    conflict: bool = False,
) -> dict:
    """The ``response=`` of an operation: its successes and every error status it can answer.

    Always 422, a parameter of the wrong type. ``lookup``: 404, an unknown municipality or
    object in the path. ``auth="session"``: 401 without a session, and 403 when a ``body`` is
    sent (no CSRF token, or the domain refuses this account); ``auth="staff"``: 401 and 403 (no
    second factor, no role here). ``body`` or ``refuses``: 400, an unparsable body or a value
    the domain refuses. ``conflict``: 409, an action the object's state does not allow now.
    """
    out = {**ok, 422: Error}
    if lookup:
        out[404] = Error
    if auth:
        out[401] = Error
    if auth == "staff" or (auth and body):
        out[403] = Error
    if body or refuses:
        out[400] = Error
    if conflict:
        out[409] = Error
    return out


def api_language(request) -> str:
    """The caller's language: ``?lang=``, else Accept-Language, else Albanian.

    (LocaleMiddleware pins every path outside i18n_patterns, such as /api/, to Albanian.)
    """
    wanted = request.GET.get("lang", "")
    if wanted in ("sq", "en"):
        return wanted
    for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code.split("-")[0] in ("sq", "en"):
            return code.split("-")[0]
    return "sq"


def in_callers_language(run):
    """Wrap an operation's whole run (auth, parsing, the handler, the error) in its language."""

    @wraps(run)
    def wrapped(request, *args, **kwargs):
        with translation.override(api_language(request)):
            return run(request, *args, **kwargs)

    return wrapped


def validation_body(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        detail = " ".join(m for msgs in errors.values() for m in msgs)
        codes = {e.code for errs in exc.error_dict.values() for e in errs if e.code}
        named = sorted(codes & FIELD_CODES)
        code = named[0] if named else "invalid"
        return {"detail": detail, "code": code, "errors": errors}
    messages = [str(m) for m in exc.messages]
    code = getattr(exc, "code", None) or "invalid"
    return {"detail": " ".join(messages), "code": code, "errors": None}


def _choices(error) -> str:
    # pydantic writes the choices in English ("'a', 'b' or 'c'"): keep only the values.
    return str((error.get("ctx") or {}).get("expected", "")).replace(" or ", ", ")


# pydantic's error types → a message in the caller's language (pydantic's own is English only).
REQUEST_MESSAGES = {
    "missing": lambda e: _("This field is required."),
    "int_parsing": lambda e: _("Enter a whole number."),
    "int_type": lambda e: _("Enter a whole number."),
    "bool_parsing": lambda e: _("Enter true or false."),
    "bool_type": lambda e: _("Enter true or false."),
    "string_type": lambda e: _("Enter text."),
    "literal_error": lambda e: _("Choose one of: %(choices)s.") % {"choices": _choices(e)},
    "dict_type": lambda e: _("Enter a JSON object."),
    "model_type": lambda e: _("Enter a JSON object."),
    "model_attributes_type": lambda e: _("Enter a JSON object."),
    "list_type": lambda e: _("Enter a JSON list."),
    "decimal_parsing": lambda e: _("Enter a number."),
    "float_parsing": lambda e: _("Enter a number."),
    "date_from_datetime_parsing": lambda e: _("Enter a date (YYYY-MM-DD)."),
    "date_parsing": lambda e: _("Enter a date (YYYY-MM-DD)."),
}


def _field(loc) -> str:
    """``("body", "payload", "walk_in", "nid")`` → ``"walk_in.nid"``; ``("query", "limit")`` →
    ``"limit"``. The first part says where; the body's parameter name means nothing to a client."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        where = parts.pop(0)
        if where == "body" and len(parts) > 1:
            parts.pop(0)
    return ".".join(parts) or "request"


def request_validation_body(exc: RequestValidationError) -> dict:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        describe = REQUEST_MESSAGES.get(error.get("type", ""))
        message = describe(error) if describe else str(error.get("msg", ""))
        errors.setdefault(_field(error.get("loc", ())), []).append(message)
    detail = _("The request is not valid: %(fields)s.") % {"fields": ", ".join(errors)}
    return {"detail": detail, "code": "invalid_request", "errors": errors}


def not_found_body() -> dict:
    return {"detail": _("Not found."), "code": "not_found", "errors": None}


def install(api) -> None:
    """Map every exception a handler or django-ninja raises to the error shape, once."""

    def answer(request, status: int, body: dict):
        return api.create_response(request, {"errors": None, **body}, status=status)

    @api.exception_handler(ValidationError)
    def bad_input(request, exc):
        body = validation_body(exc)
        if body["code"] in UNPROCESSABLE_CODES:
            return answer(request, 422, body)
        return answer(request, 409 if body["code"] in CONFLICT_CODES else 400, body)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        detail = str(exc) or _("You do not have permission to do this.")
        return answer(request, 403, {"detail": detail, "code": getattr(exc, "code", "forbidden")})

    def not_found(request, exc):
        return answer(request, 404, not_found_body())

    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ObjectDoesNotExist, not_found)

    @api.exception_handler(RequestValidationError)
    def invalid_request(request, exc):
        return answer(request, 422, request_validation_body(exc))

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request, exc):
        detail = _("Log in first: this needs an account.")
        return answer(request, 401, {"detail": detail, "code": "not_authenticated"})

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        # What django-ninja itself raises: a body it cannot parse (400), an auth class's
        # AuthorizationError (403), a throttle (429).
        if exc.status_code == 400:
            body = {"detail": _("The request body cannot be read as JSON."), "code": "bad_body"}
        elif exc.status_code == 403:
            body = {"detail": _("You do not have permission to do this."), "code": "forbidden"}
        elif exc.status_code == 429:
            body = {"detail": _("Too many requests: wait and try again."), "code": "throttled"}
        else:
            body = {"detail": str(exc), "code": "error"}
        return answer(request, exc.status_code, body)
