"""The API's ``Idempotency-Key``: at most 100 characters, and a replay that says it is one.

Services own idempotency itself (the same key from the same account returns the first result,
also when two requests race to the insert). What the API adds is at its edge: a key over the
documented length is refused with a 400 on every database (it used to be a 500 on PostgreSQL and
silently accepted on SQLite), and an answer that replays an earlier result carries
``Idempotent-Replayed: true``.

Whether the answer is a replay is decided by what the call wrote, not by a look-up before it: a
look-up would miss the request that loses a race to the insert (the service then answers with
the winner's row). :func:`writes` records the rows inserted by this thread while it is open.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db.models.signals import post_save
from django.utils.translation import gettext as _

from .api_errors import BadRequest

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_LENGTH = 100

# For a create operation's ``openapi_extra``: the replay header in the OpenAPI document.
OPENAPI = {
    "responses": {
        201: {
            "headers": {
                REPLAYED: {
                    "description": "Present, and true, when this answer replays the first result "
                    "sent for the same Idempotency-Key (nothing new was created).",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        }
    }
}

_inserted: ContextVar[set | None] = ContextVar("sportel_inserted", default=None)


def checked_key(key: str) -> str:
    """The header's value, or a 400 naming the header when it is longer than allowed."""
    key = key or ""
    if len(key) > MAX_LENGTH:
        raise BadRequest(
            HEADER,
            _("The Idempotency-Key header is at most %(n)d characters long.") % {"n": MAX_LENGTH},
            code="too_long",
        )
    return key


KEY_REUSED = "idempotency_key_reused"


class KeyReused(ValidationError):
    """The same Idempotency-Key sent again with another request (another body, or for another
    object): answered with 422 and this code, as the IETF's Idempotency-Key draft asks, and
    nothing is written."""

    def __init__(self):
        super().__init__(
            {
                HEADER: ValidationError(
                    _(
                        "This Idempotency-Key was already used for another request: "
                        "send a new key for a new request."
                    ),
                    code=KEY_REUSED,
                )
            }
        )


class Inserted:
    def __init__(self, rows: set):
        self._rows = rows

    def __contains__(self, obj) -> bool:
        return (obj._meta.label, obj.pk) in self._rows

    def any_of(self, model) -> bool:
        """Whether a row of ``model`` was inserted (a note, whose row the call does not return)."""
        return any(label == model._meta.label for label, _pk in self._rows)


@contextmanager
def writes():
    """``with writes() as inserted: obj = create(...)``; then ``obj in inserted`` is False for
    a replayed result."""
    rows: set = set()
    token = _inserted.set(rows)
    try:
        yield Inserted(rows)
    finally:
        _inserted.reset(token)


def replayed(response, obj, inserted: Inserted) -> None:
    """Mark ``response`` as a replay when ``obj`` was not created by this request."""
    if obj not in inserted:
        response[REPLAYED] = "true"


def mark_replayed(response) -> None:
    """Mark ``response`` as a replay (the caller decided it is one)."""
    response[REPLAYED] = "true"


def _record(sender, instance, created, **kwargs):
    rows = _inserted.get()
    if rows is not None and created:
        rows.add((instance._meta.label, instance.pk))


post_save.connect(_record, dispatch_uid="sportel.core.idempotency")
