"""Online payment providers behind one small, typed interface, and their callbacks.

A provider tells us a bill was paid by calling back with a signed message. ``handle_callback``
posts a payment only when the signature is the provider's, the message is fresh, the bill is
the municipality's and the amount is a valid lek amount; the provider's own event id is the
payment's idempotency key, so a replayed callback (the same event again) posts nothing. A
forged, stale or malformed one raises :class:`InvalidCallback` and posts nothing.

The sandbox provider signs with HMAC-SHA256 over ``"<timestamp>.<body>"`` with a key derived
from the deployment's secret (or ``SPORTEL_PAYMENT_SANDBOX_SECRET``), like common card
gateways do. It exists so the whole path — checkout, callback, ledger — runs without a bank.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.conf import settings

from . import payments
from .models import Invoice, Payment, clean_amount

MAX_AGE_SECONDS = 300


class InvalidCallback(ValueError):
    """The callback is not genuine, not fresh or not about a bill of this municipality."""


@dataclass(frozen=True)
class Event:
    event_id: str
    reference: str
    amount: str
    paid_on: date


class Provider(Protocol):
    name: str

    def verify(self, body: bytes, headers: dict[str, str], *, now: float | None = None) -> Event:
        """The event a genuine callback carries, or InvalidCallback."""
        ...


class SandboxProvider:
    name = "sandbox"

    def _key(self) -> bytes:
        secret = getattr(settings, "SPORTEL_PAYMENT_SANDBOX_SECRET", "") or settings.SECRET_KEY
        return hashlib.sha256(f"revenue-sandbox:{secret}".encode()).digest()

    def sign(self, body: bytes, timestamp: int) -> str:
        return hmac.new(self._key(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()

    def callback(self, event: dict, *, timestamp: int | None = None) -> tuple[bytes, dict]:
        """What the sandbox sends: a body and its headers (used by the sandbox checkout)."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        body = json.dumps(event, sort_keys=True).encode()
        return body, {
            "X-Sandbox-Timestamp": str(timestamp),
            "X-Sandbox-Signature": self.sign(body, timestamp),
        }

    def verify(self, body: bytes, headers: dict[str, str], *, now: float | None = None) -> Event:
        try:
            timestamp = int(headers.get("X-Sandbox-Timestamp", ""))
        except ValueError:
            raise InvalidCallback("no timestamp") from None
        signature = headers.get("X-Sandbox-Signature", "")
        if not hmac.compare_digest(self.sign(body, timestamp), signature):
            raise InvalidCallback("bad signature")
        if abs((time.time() if now is None else now) - timestamp) > MAX_AGE_SECONDS:
            raise InvalidCallback("stale callback")
        try:
            data = json.loads(body)
            return Event(
                event_id=str(data["event_id"])[:100],
                reference=str(data["reference"]),
                amount=str(data["amount"]),
                paid_on=date.fromisoformat(data["paid_on"]),
            )
        except (ValueError, KeyError, TypeError):
            raise InvalidCallback("malformed body") from None


PROVIDERS: dict[str, Provider] = {}


def register_provider(provider: Provider) -> Provider:
    PROVIDERS[provider.name] = provider
    return provider


register_provider(SandboxProvider())


def handle_callback(municipality, provider_name: str, body: bytes, headers: dict) -> Payment:
    provider = PROVIDERS.get(provider_name)
    if provider is None:
        raise InvalidCallback("unknown provider")
    event = provider.verify(body, headers)
    invoice = Invoice.objects.filter(municipality=municipality, reference=event.reference).first()
    if invoice is None:
        raise InvalidCallback("unknown reference")
    try:
        amount = clean_amount(event.amount)
    except Exception:
        raise InvalidCallback("bad amount") from None
    payment, _created = payments.receive(
        municipality,
        channel=Payment.Channel.ONLINE,
        amount=amount,
        key=f"online:{provider_name}:{event.event_id}",
        received_on=event.paid_on,
        invoice=invoice,
        reference=invoice.reference,
        score=100,
        reason="online",
        reason_params={"provider": provider_name},
        actor=f"provider:{provider_name}",
    )
    return payment
