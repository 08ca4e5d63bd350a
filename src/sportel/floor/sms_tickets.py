"""Tickets by SMS: the gateway posts each inbound SMS to ``/<slug>/floor/sms/inbound/``; the text
is "<office code> <queue letter>" (e.g. ``zyra-qendrore A``); the answer (ticket number and
expected wait, or why there is none) goes back by SMS through the outbox.

The gateway signs each request: ``X-Sportel-Timestamp`` (Unix seconds) and
``X-Sportel-Signature`` = hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with
SPORTEL_SMS_INBOUND_SECRET. A request older or newer than :data:`MAX_SKEW` seconds, or with a
wrong signature, is refused; a message id seen before gets the first answer again and nothing
else (no second ticket, no second SMS).
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportel.core.notifications import send_notification

from . import selectors, services
from .models import Channel, InboundSms, Office, QueueCategory

MAX_SKEW = 300


def signature_ok(body: bytes, timestamp: str, signature: str, *, now: float | None = None) -> bool:
    secret = getattr(settings, "SPORTEL_SMS_INBOUND_SECRET", "")
    if not secret or not timestamp or not signature:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((now or time.time()) - sent) > MAX_SKEW:
        return False
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def _answer(municipality, text: str):
    """(ticket or None, the reply text) for the SMS text, in Albanian."""
    parts = (text or "").split()
    if len(parts) != 2:
        return None, _("Write the office code and the queue letter, e.g.: %(example)s") % {
            "example": "zyra-qendrore A"
        }
    office = Office.objects.filter(
        municipality=municipality, slug=parts[0].lower(), is_active=True
    ).first()
    category = (
        QueueCategory.objects.filter(office=office, letter=parts[1].upper()).first()
        if office
        else None
    )
    if category is None:
        return None, _("We do not know this office code and queue letter.")
    try:
        ticket = services.issue_ticket(office, category=category, channel=Channel.SMS, actor="sms")
    except ValidationError as exc:
        return None, " ".join(exc.messages)
    minutes = selectors.expected_wait_minutes(category, ahead=ticket_ahead(ticket))
    return ticket, _(
        "Your ticket at %(office)s is %(number)s. Expected wait: about %(minutes)s minutes."
    ) % {"office": office.name_sq, "number": ticket.number, "minutes": minutes or 0}


def ticket_ahead(ticket) -> int:
    """People ahead of a ticket just issued, in the calling order."""
    return selectors.ahead_of(ticket)


def handle(municipality, *, message_id: str, sender: str, text: str) -> InboundSms:
    """Answer one inbound SMS once: a replay returns the stored answer and sends nothing."""
    message_id = (message_id or "").strip()[:100]
    seen = InboundSms.objects.filter(municipality=municipality, message_id=message_id).first()
    if seen is not None:
        return seen
    try:
        # One transaction: a duplicate racing this one rolls back its ticket with its row.
        with transaction.atomic(), translation.override("sq"):
            ticket, reply = _answer(municipality, text)
            row = InboundSms.objects.create(
                municipality=municipality,
                message_id=message_id,
                sender_hash=hashlib.sha256(sender.encode()).hexdigest(),
                ticket=ticket,
                reply=reply[:320],
                received_at=timezone.now(),
            )
            send_notification(
                template="floor_sms_ticket",
                context={"text": row.reply},
                language="sq",
                to_phone=sender,
                municipality=municipality,
            )
    except IntegrityError:
        # The same message id at the same moment from a retrying gateway: the first one answers.
        return InboundSms.objects.get(municipality=municipality, message_id=message_id)
    return row
