"""Paying a tax bill at a kiosk, through the configured payment provider.

The resident signed in at the kiosk (NID + SMS code) sees the bills of the people linked to
their account and pays one. The provider is asked to charge outside any transaction and with a
timeout (``SPORTEL_KIOSK_PAYMENT_TIMEOUT``); its approval is the provider's *signed event*, the
same message its server-to-server callback carries, and it is posted through revenue's
``handle_callback`` — so the ledger, the idempotency and the signature checks are revenue's own.
The event id is ``kiosk-<checkout>``: if the provider's callback arrives too (or instead, after
a timeout), it finds the same payment and posts nothing twice.

- ``SPORTEL_KIOSK_PAYMENT_URL`` empty (the demo): the sandbox provider approves in-process.
- Set: the charge is POSTed there as JSON ``{event_id, reference, amount, paid_on}``; a 200
  answer is the provider's signed event (verified), 402 a decline, a refused connection "not
  reached" (nothing charged), and a timeout, a 5xx or an answer that does not verify "not
  confirmed": the card may have been charged, so the same bill cannot be paid again at a kiosk
  for :data:`HOLD` unless the provider's callback settles it first.

A double tap submits the same checkout token: it finds the same row, and the provider is asked
once. Attempts on one kiosk are serialised (its row is locked), so two taps with two tokens
cannot both charge either.
"""

import datetime as dt
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.core import audit

from .models import Device, KioskPayment

HOLD = dt.timedelta(minutes=15)
CHECKOUT_LENGTH = 32


@dataclass(frozen=True)
class Charge:
    """What the provider answered: ``approved`` with its signed event, or why not."""

    status: str  # approved | declined | failed | unknown
    body: bytes = b""
    headers: dict | None = None
    detail: str = ""


def provider_name() -> str:
    return getattr(settings, "SPORTEL_KIOSK_PAYMENT_PROVIDER", "sandbox") or "sandbox"


def is_sandbox() -> bool:
    """No money moves: the sandbox provider approving in-process (the demo)."""
    return provider_name() == "sandbox" and not getattr(settings, "SPORTEL_KIOSK_PAYMENT_URL", "")


def bills(user, municipality) -> list[dict]:
    """The open bills of the people linked to ``user`` in ``municipality`` (most recent first),
    each with what is still owed on it."""
    from sportel.revenue import rf, selectors

    found = []
    for person in user.persons.filter(municipality=municipality):
        for invoice in selectors.invoices_of_person(municipality, person):
            owed = sum(
                (line["outstanding"] for line in selectors.invoice_lines(invoice)), Decimal("0")
            )
            if owed > 0:
                found.append(
                    {
                        "invoice": invoice,
                        "grouped": rf.grouped(invoice.reference),
                        "owed": owed,
                        "held": _held(municipality, invoice.reference),
                    }
                )
    return found


def _held(municipality, reference: str) -> bool:
    """A kiosk payment of this bill may still be confirmed by the provider (see :data:`HOLD`)."""
    return any(
        settle(attempt).state != KioskPayment.State.PAID
        for attempt in KioskPayment.objects.filter(
            municipality=municipality,
            reference=reference,
            state__in=[KioskPayment.State.PENDING, KioskPayment.State.UNKNOWN],
            created_at__gte=timezone.now() - HOLD,
        )
    )


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def settle(attempt: KioskPayment) -> KioskPayment:
    """An attempt left pending or not confirmed is paid once the provider's callback has posted
    its event (looked up by the payment key revenue gives it)."""
    from sportel.revenue.models import Payment

    if attempt.state not in (KioskPayment.State.PENDING, KioskPayment.State.UNKNOWN):
        return attempt
    payment = Payment.objects.filter(
        municipality_id=attempt.municipality_id,
        key=f"online:{attempt.provider}:{attempt.event_id}",
    ).first()
    if payment is not None:
        _finish(attempt, KioskPayment.State.PAID, payment_pk=payment.pk)
    return attempt


def _finish(attempt: KioskPayment, state: str, *, detail: str = "", payment_pk=None) -> None:
    attempt.state, attempt.detail, attempt.finished_at = state, detail[:40], timezone.now()
    attempt.payment_pk = payment_pk
    KioskPayment.objects.filter(pk=attempt.pk).update(
        state=state, detail=attempt.detail, finished_at=attempt.finished_at, payment_pk=payment_pk
    )


def _charge(attempt: KioskPayment) -> Charge:
    """Ask the provider to charge (never inside a transaction; bounded by the timeout)."""
    from sportel.revenue import providers

    event = {
        "event_id": attempt.event_id,
        "reference": attempt.reference,
        "amount": str(attempt.amount),
        "paid_on": timezone.localdate().isoformat(),
    }
    url = getattr(settings, "SPORTEL_KIOSK_PAYMENT_URL", "")
    if not url:
        provider = providers.PROVIDERS.get(provider_name())
        if not hasattr(provider, "callback"):
            return Charge("failed", detail="no_checkout")
        body, headers = provider.callback(event)
        return Charge("approved", body, headers)
    if not url.startswith(("https://", "http://")):
        return Charge("failed", detail="bad_url")
    request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
        url,
        data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    timeout = float(getattr(settings, "SPORTEL_KIOSK_PAYMENT_TIMEOUT", 20))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (operator's URL)
            return Charge("approved", response.read(65536), dict(response.headers.items()))
    except urllib.error.HTTPError as exc:
        if exc.code == 402:
            return Charge("declined", detail="declined")
        if exc.code >= 500:
            return Charge("unknown", detail=f"http_{exc.code}")
        return Charge("failed", detail=f"http_{exc.code}")
    except TimeoutError:
        return Charge("unknown", detail="timeout")
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return Charge("unknown", detail="timeout")
        return Charge("failed", detail="unreachable")
    except OSError:
        return Charge("unknown", detail="connection_lost")


def _start(device: Device, user, *, bill: dict, checkout: str) -> tuple[KioskPayment, bool]:
    with transaction.atomic():
        Device.objects.select_for_update().get(pk=device.pk)  # one attempt at a time per kiosk
        existing = KioskPayment.objects.filter(
            municipality_id=device.municipality_id, checkout=checkout
        ).first()
        if existing is not None:
            return existing, False
        for earlier in KioskPayment.objects.filter(
            municipality_id=device.municipality_id,
            reference=bill["invoice"].reference,
            state__in=[KioskPayment.State.PENDING, KioskPayment.State.UNKNOWN],
            created_at__gte=timezone.now() - HOLD,
        ):
            if settle(earlier).state != KioskPayment.State.PAID:
                raise _refuse(
                    _(
                        "A payment of this bill is still waiting for the payment provider's "
                        "confirmation. Do not pay again now: ask at reception."
                    ),
                    "payment_in_progress",
                )
        attempt = KioskPayment.objects.create(
            municipality_id=device.municipality_id,
            device=device,
            user=user,
            checkout=checkout,
            reference=bill["invoice"].reference,
            amount=bill["owed"],
            provider=provider_name(),
            created_at=timezone.now(),
        )
        audit.record(
            "floor.kiosk_payment.start",
            actor=user,
            municipality=device.office.municipality,
            obj=attempt,
            data={"device": device.pk, "amount": str(attempt.amount)},
        )
    return attempt, True


def pay(device: Device, user, *, reference: str, checkout: str) -> KioskPayment:
    """Charge what is owed on one of ``user``'s bills through the configured provider; the
    attempt, whatever came of it. A checkout seen before returns its attempt, charging nothing."""
    from sportel.revenue import providers, rf

    checkout = (checkout or "").strip().lower()
    if len(checkout) != CHECKOUT_LENGTH or any(c not in "0123456789abcdef" for c in checkout):
        raise _refuse(_("This payment page has expired. Please start again."), "bad_checkout")
    municipality = device.office.municipality
    seen = KioskPayment.objects.filter(municipality=municipality, checkout=checkout).first()
    if seen is not None:
        if seen.user_id != user.pk:
            raise _refuse(_("This payment page has expired. Please start again."), "bad_checkout")
        return settle(seen)
    bill = next(
        (b for b in bills(user, municipality) if b["invoice"].reference == rf.compact(reference)),
        None,
    )
    if bill is None:
        raise _refuse(_("There is nothing to pay on this bill."), "nothing_owed")
    try:
        attempt, created = _start(device, user, bill=bill, checkout=checkout)
    except IntegrityError:  # the other tap of a double tap inserted it first
        attempt = KioskPayment.objects.get(municipality=municipality, checkout=checkout)
        created = False
    if not created:
        return settle(attempt)
    charge = _charge(attempt)
    if charge.status == "approved":
        try:
            payment = providers.handle_callback(
                municipality, attempt.provider, charge.body, charge.headers or {}
            )
        except providers.InvalidCallback as exc:
            _finish(attempt, KioskPayment.State.UNKNOWN, detail=f"invalid:{exc}")
        else:
            _finish(attempt, KioskPayment.State.PAID, payment_pk=payment.pk)
    else:
        _finish(attempt, charge.status, detail=charge.detail)
    audit.record(
        "floor.kiosk_payment.finish",
        actor=user,
        municipality=municipality,
        obj=attempt,
        data={"state": attempt.state, "detail": attempt.detail},
    )
    return attempt


def receipt(device: Device, user, checkout: str) -> dict | None:
    """The paid attempt of ``user`` with this checkout at this kiosk's municipality, with its
    payment, for the printed receipt; None otherwise."""
    from sportel.revenue import rf
    from sportel.revenue.models import Payment

    attempt = KioskPayment.objects.filter(
        municipality_id=device.municipality_id, checkout=checkout, user=user
    ).first()
    if attempt is None or settle(attempt).state != KioskPayment.State.PAID:
        return None
    payment = Payment.objects.filter(pk=attempt.payment_pk).first()
    return {"attempt": attempt, "payment": payment, "grouped": rf.grouped(attempt.reference)}
