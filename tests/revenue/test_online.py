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


def _apply_for_clearance(client, start_url):
    """A resident's request, from ``start_url`` through the service's own form to its case."""
    from sportel.services.models import Application, Case

    first = client.get(start_url)
    apply_url = reverse(
        "services:apply",
        kwargs={"municipality_slug": "shkoder", "code": "tax-clearance-certificate"},
    )
    assert first.status_code in (200, 303) and (first.status_code == 200 or first.url == apply_url)
    client.post(apply_url, {"continue": "1", "purpose": "Për tenderin"})
    draft = Application.objects.latest("pk")
    response = client.post(
        reverse("services:draft-review", kwargs={"municipality_slug": "shkoder", "pk": draft.pk})
    )
    assert response.status_code == 302
    return Case.objects.latest("pk")


@pytest.mark.parametrize(
    "start",
    [
        # The revenue module's own address (My taxes' link) and the catalogue's service page.
        "/shkoder/taxes/clearance/",
        "/shkoder/services/tax-clearance-certificate/apply/",
    ],
)
def test_both_paths_to_a_clearance_open_a_case_refused_then_issued_once_paid(
    shkoder, client, seal_keys, start
):
    from sportel.core.models import Person
    from sportel.documents.models import IssuedDocument
    from sportel.revenue import assessment, fiscal
    from sportel.services import workflow
    from sportel.services.catalogue import seed_catalogue
    from sportel.services.models import Case
    from tests.revenue.conftest import make_property
    from tests.services.factories import CitizenFactory

    seed_catalogue(shkoder)
    citizen = CitizenFactory()
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    make_property(shkoder, [(person, "1")], area="70")
    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    assessment.run_to_end(assessment.start_run(package).pk)
    client.force_login(citizen)
    # A POST to the old address issues nothing and opens nothing: it sends to the form.
    old = client.post("/shkoder/taxes/clearance/")
    assert old.status_code == 303 and old.url.endswith("/tax-clearance-certificate/apply/")
    assert not Case.objects.exists() and not IssuedDocument.objects.exists()

    refused = _apply_for_clearance(client, start)
    assert refused.applicant_person == person and refused.status == workflow.CLOSED
    assert refused.events.filter(action="auto_reject").exists()
    assert not IssuedDocument.objects.exists()
    case_page = client.get(f"/shkoder/services/cases/{refused.number}/").content.decode()
    assert "Taksa mbi ndërtesën" in case_page

    invoice = Invoice.objects.get(person=person)
    body, headers = SANDBOX.callback(
        event(invoice, amount=str(ledger.taxpayer_owed(shkoder, person=person)))
    )
    post(client, shkoder, body, headers)
    issued = _apply_for_clearance(client, start)
    assert issued.pk != refused.pk and issued.events.filter(action="auto_approve").exists()
    assert not issued.events.filter(action="auto_reject").exists()
    assert IssuedDocument.objects.count() == 1  # the sealed certificate, on the new case


def test_without_the_catalogue_service_the_clearance_address_issues_nothing(
    assessed, register, shkoder, client
):
    from sportel.accounts.models import User
    from sportel.documents.models import IssuedDocument

    user = User.objects.create_user("arta@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z")
    register["arta"].user = user
    register["arta"].save(update_fields=["user"])
    client.force_login(user)
    url = reverse("revenue:clearance", kwargs={"municipality_slug": "shkoder"})
    for prefix, words in (("", "nuk ofron"), ("/en", "does not offer")):
        response = client.post(prefix + url)
        assert response.status_code == 404 and words in response.content.decode()
    assert not IssuedDocument.objects.exists()
