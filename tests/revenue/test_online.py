"""Online payments through the sandbox provider: signed, fresh, idempotent callbacks."""

import json
import time
from decimal import Decimal

import pytest
from django.urls import reverse

from sportel.revenue import ledger, providers
from sportel.revenue.models import Invoice, LedgerTransaction, Payment

SANDBOX = providers.PROVIDERS["sandbox"]


def event(invoice, amount="4820.00", event_id="evt-1"):
    return {
        "event_id": event_id,
        "reference": invoice.reference,
        "amount": amount,
        "paid_on": "2026-05-04",
    }


def callback_url(municipality):
    return reverse(
        "revenue:callback", kwargs={"municipality_slug": municipality.slug, "provider": "sandbox"}
    )


def post(client, municipality, body, headers):
    return client.post(
        callback_url(municipality),
        data=body,
        content_type="application/json",
        headers=headers,
    )


def test_a_genuine_callback_posts_once_and_a_replay_posts_nothing(
    assessed, register, shkoder, client
):
    invoice = Invoice.objects.get(person=register["arta"])
    body, headers = SANDBOX.callback(event(invoice))
    first = post(client, shkoder, body, headers)
    assert first.status_code == 200 and first.json()["status"] == "applied"
    before = LedgerTransaction.objects.count()
    replay = post(client, shkoder, body, headers)
    assert replay.status_code == 200 and replay.json()["payment"] == first.json()["payment"]
    assert LedgerTransaction.objects.count() == before and Payment.objects.count() == 1
    assert ledger.taxpayer_owed(shkoder, person=register["arta"]) == 0


@pytest.mark.parametrize(
    "tamper",
    [
        "amount",  # the body changed after signing
        "signature",  # signed with another key
        "stale",  # an old, captured callback
        "no-headers",
    ],
)
def test_a_forged_or_stale_callback_posts_nothing(assessed, register, shkoder, client, tamper):
    invoice = Invoice.objects.get(person=register["arta"])
    body, headers = SANDBOX.callback(event(invoice))
    if tamper == "amount":
        body = json.dumps({**json.loads(body), "amount": "999999.00"}).encode()
    elif tamper == "signature":
        headers["X-Sandbox-Signature"] = "0" * 64
    elif tamper == "stale":
        body, headers = SANDBOX.callback(event(invoice), timestamp=int(time.time()) - 3600)
    else:
        headers = {}
    response = post(client, shkoder, body, headers)
    assert response.status_code == 400 and response.json()["code"] == "invalid_callback"
    assert not Payment.objects.exists()


def test_a_callback_for_another_municipalitys_bill_posts_nothing(
    assessed, register, shkoder, lezhe, client
):
    invoice = Invoice.objects.get(person=register["arta"])
    body, headers = SANDBOX.callback(event(invoice))
    response = post(client, lezhe, body, headers)
    assert response.status_code == 400 and not Payment.objects.exists()


def test_a_resident_pays_an_own_bill_in_the_sandbox(assessed, register, shkoder, client):
    from sportel.accounts.models import User

    user = User.objects.create_user("arta@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z")
    register["arta"].user = user
    register["arta"].save(update_fields=["user"])
    client.force_login(user)
    mine = Invoice.objects.get(person=register["arta"])
    other = Invoice.objects.get(person=register["besnik"])
    url = reverse(
        "revenue:pay", kwargs={"municipality_slug": "shkoder", "reference": mine.reference}
    )
    page = client.get(url).content.decode()
    assert "820,00" in page and "Sandbox" not in page  # Albanian page
    assert client.post(url, {"checkout": "c1"}).status_code == 302
    assert client.post(url, {"checkout": "c1"}).status_code == 200  # nothing owed any more
    assert Payment.objects.get().amount == Decimal("4820.00")
    other_url = reverse(
        "revenue:pay", kwargs={"municipality_slug": "shkoder", "reference": other.reference}
    )
    assert client.get(other_url).status_code == 404  # someone else's bill


def test_a_resident_gets_a_clearance_certificate_once_paid(
    assessed, register, shkoder, client, seal_keys
):
    from sportel.accounts.models import User

    user = User.objects.create_user("arta@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z")
    register["arta"].user = user
    register["arta"].save(update_fields=["user"])
    client.force_login(user)
    url = reverse("revenue:clearance", kwargs={"municipality_slug": "shkoder"})
    refused = client.post(url)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Taksa mbi ndërtesën" in page and "820,00" in page
    invoice = Invoice.objects.get(person=register["arta"])
    body, headers = SANDBOX.callback(event(invoice))
    post(client, shkoder, body, headers)
    issued = client.post("/en" + url)
    assert issued.status_code == 200 and 'id="clearance-code"' in issued.content.decode()
