"""Tickets by SMS: a signed, replay-safe webhook; the answer goes back by SMS."""

import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse

from sportel.core.models import Notification
from sportel.floor.models import InboundSms, Ticket

SECRET = "test-inbound-secret"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SPORTEL_SMS_INBOUND_SECRET = SECRET


def post(client, municipality, payload, *, secret=SECRET, skew=0):
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()) + skew)
    signature = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return client.post(
        reverse("floor:sms-inbound", kwargs={"municipality_slug": municipality.slug}),
        body,
        content_type="application/json",
        headers={"X-Sportel-Timestamp": stamp, "X-Sportel-Signature": signature},
    )


def sms(text, message_id="m-1"):
    return {"id": message_id, "from": "+355691234567", "text": text}


def test_an_sms_takes_a_ticket_and_is_answered_once(at_counter, client, shkoder):
    response = post(client, shkoder, sms("ZYRA-QENDRORE a"))
    assert response.status_code == 200
    assert response.json()["ticket"] == "A-001"
    ticket = Ticket.objects.get()
    assert ticket.channel == "sms"
    reply = Notification.objects.get(channel="sms")
    assert reply.recipient == "+355691234567"
    assert "A-001" in reply.body and "minuta" in reply.body
    # The gateway retries (or someone replays the request): the same answer, nothing new.
    again = post(client, shkoder, sms("ZYRA-QENDRORE a"))
    assert again.json() == response.json()
    assert Ticket.objects.count() == 1 and Notification.objects.count() == 1
    assert "+355691234567" not in InboundSms.objects.get().sender_hash


@pytest.mark.parametrize(("secret", "skew"), [("wrong-secret", 0), (SECRET, -3600), (SECRET, 3600)])
def test_forged_or_stale_requests_are_refused(at_counter, client, shkoder, secret, skew):
    response = post(client, shkoder, sms("zyra-qendrore A"), secret=secret, skew=skew)
    assert response.status_code == 403
    assert response.json()["code"] == "bad_signature"
    assert not Ticket.objects.exists() and not Notification.objects.exists()


def test_no_secret_configured_refuses_everything(at_counter, client, shkoder, settings):
    settings.SPORTEL_SMS_INBOUND_SECRET = ""
    assert post(client, shkoder, sms("zyra-qendrore A"), secret="").status_code == 403
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zyra-qendrore Z", "Nuk e njohim"),
        ("hello", "Shkruani kodin e zyrës"),
        ("x A", "Nuk e njohim"),
    ],
)
def test_a_wrong_text_gets_an_explaining_sms_and_no_ticket(
    at_counter, client, shkoder, text, expected
):
    response = post(client, shkoder, sms(text, message_id=text))
    assert response.status_code == 200 and response.json()["ticket"] is None
    assert expected in Notification.objects.get().body
    assert not Ticket.objects.exists()


def test_another_municipalitys_office_code_is_unknown(at_counter, client, lezhe):
    response = post(client, lezhe, sms("zyra-qendrore A"))
    assert response.json()["ticket"] is None
    assert not Ticket.objects.exists()
