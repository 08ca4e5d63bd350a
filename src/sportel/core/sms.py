"""SMS gateways behind one small interface, chosen by ``SPORTEL_SMS_PROVIDER``.

A real gateway (an Albanian operator's HTTP API, Twilio, ...) is a class with a ``send`` method
registered under a name::

    @register("mygateway")
    class MyGateway(SmsProvider):
        def send(self, *, to: str, body: str, reference: str, timeout: float) -> str:
            ...  # call the gateway; raise SmsError to have the attempt retried
            return gateway_message_id

``timeout`` (SPORTEL_SMS_TIMEOUT, seconds) must bound every network call the gateway makes
(e.g. ``requests.post(..., timeout=timeout)``): the worker waits on it. ``reference`` is the same
on every attempt at one notification; pass it to the gateway as its client reference (most take
one, and many refuse or flag a second message with the same reference), so a message that was
taken but whose answer was lost is recognisable when it is sent again.

Development uses ``file`` (one file per message under SPORTEL_DATA_DIR/outbox/sms) or
``console`` (printed to stdout).
"""

import sys
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.utils import timezone


class SmsError(Exception):
    """The gateway did not take the message; the delivery is retried with backoff."""


class SmsProvider(ABC):
    """What a gateway implements: deliver one text to one phone number, return its message id."""

    @abstractmethod
    def send(self, *, to: str, body: str, reference: str, timeout: float) -> str:
        """Hand the message to the gateway within ``timeout`` seconds; raise SmsError when it
        does not take it. ``reference`` identifies the notification across retries."""


_providers: dict[str, type[SmsProvider]] = {}
P = TypeVar("P", bound=type[SmsProvider])


def register(name: str) -> Callable[[P], P]:
    def decorate(cls: P) -> P:
        _providers[name] = cls
        return cls

    return decorate


def providers() -> list[str]:
    return sorted(_providers)


def get_provider(name: str | None = None) -> SmsProvider:
    """The configured gateway: a registered name, or the dotted path of an SmsProvider class."""
    name = name or settings.SPORTEL_SMS_PROVIDER
    if name not in _providers and "." in name:
        from django.utils.module_loading import import_string

        return import_string(name)()
    try:
        return _providers[name]()
    except KeyError:
        raise SmsError(
            f"Unknown SMS provider {name!r}; registered: {', '.join(providers())}"
        ) from None


def _message_text(to: str, body: str, message_id: str, reference: str) -> str:
    return (
        f"To: {to}\nDate: {timezone.now().isoformat()}\nMessage-Id: {message_id}\n"
        f"Reference: {reference}\n\n{body}\n"
    )


@register("console")
class ConsoleProvider(SmsProvider):
    def send(self, *, to: str, body: str, reference: str, timeout: float) -> str:
        message_id = uuid.uuid4().hex
        sys.stdout.write(_message_text(to, body, message_id, reference) + "-" * 40 + "\n")
        sys.stdout.flush()
        return message_id


@register("file")
class FileProvider(SmsProvider):
    """One ``.sms`` file per message, written atomically (tmp file + rename)."""

    def send(self, *, to: str, body: str, reference: str, timeout: float) -> str:
        directory = Path(settings.SPORTEL_SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        message_id = uuid.uuid4().hex
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        target = directory / f"{stamp}-{message_id}.sms"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(_message_text(to, body, message_id, reference), encoding="utf-8")
        tmp.rename(target)
        return message_id
