"""The kiosk (issue 8): its own login without sign-up, a session that ends when the screen is
left idle, and a resident's document shown to print or sent to them, never downloaded."""

import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sportel.core.models import Notification
from sportel.services import workflow
from sportel.services.models import Application, Case

pytestmark = pytest.mark.django_db


def url(name, **kwargs):
    with translation.override("sq"):
        return reverse(name, kwargs={"municipality_slug": "shkoder", **kwargs})


def kiosk_login(client, user, next_url=""):
    return client.post(
        url("kiosk-accounts:login") + (f"?next={next_url}" if next_url else ""),
        {"username": user.username, "password": "a-long-test-password", "next": next_url},
    )


def test_the_kiosk_sends_residents_to_its_own_login_without_sign_up(citizen):
    client = Client()
    page = client.get("/en" + url("kiosk:service", code="residence-certificate")).content.decode()
    assert "/en/shkoder/kiosk/login/?next=/en/shkoder/kiosk/residence-certificate/apply/" in page
    apply = url("kiosk:apply", code="residence-certificate")
    response = client.get(apply)
    assert response.url == f"{url('kiosk-accounts:login')}?next={apply}"
    login_page = client.get(response.url).content.decode()
    assert "sportel-kiosk" in login_page
    assert reverse("accounts:signup") not in login_page
    assert 'autocomplete="off"' in login_page
    response = kiosk_login(client, citizen, apply)
    assert response.url == apply
    # A "next" that leaves the kiosk is not followed.
    client.post(url("kiosk:finish"))
    response = kiosk_login(client, citizen, "/account/profile/")
    assert response.url == url("kiosk:catalogue")


def test_a_kiosk_session_ends_on_the_server_after_the_idle_time(citizen, settings):
    settings.SPORTEL_KIOSK_IDLE_SECONDS = 2
    client = Client()
    kiosk_login(client, citizen)
    mine = url("services:mine")
    assert client.get(mine).status_code == 200  # each request pushes the expiry on
    time.sleep(1.2)
    assert client.get(mine).status_code == 200
    time.sleep(1.2)
    assert client.get(mine).status_code == 200  # 2.4 s after login, but active
    time.sleep(2.5)
    response = client.get(mine)
    assert response.status_code == 302 and "/login/" in response.url
    # The kiosk pages carry the client-side timer that returns to the start screen.
    page = client.get(url("kiosk:catalogue")).content.decode()
    assert 'data-sportel-kiosk-idle="2"' in page and "accounts/kiosk.js" in page


def test_an_online_login_session_is_not_cut_short(citizen, settings):
    settings.SPORTEL_KIOSK_IDLE_SECONDS = 1
    client = Client()
    client.post(
        "/account/login/", {"username": citizen.username, "password": "a-long-test-password"}
    )
    time.sleep(1.5)
    assert client.get(url("services:mine")).status_code == 200


def test_at_the_kiosk_a_document_is_shown_to_print_or_sent_never_offered_as_a_download(citizen):
    client = Client()
    kiosk_login(client, citizen)
    client.post(url("kiosk:apply", code="residence-certificate"), {"continue": "1", "purpose": "x"})
    response = client.post(url("kiosk:draft-review", pk=Application.objects.get().pk))
    case = Case.objects.get()
    assert case.status == workflow.CLOSED and case.document_code
    receipt = client.get(response.url).content.decode()
    assert url("services:case-document", number=case.number) not in receipt
    assert "Shkarko" not in receipt and "Download" not in receipt
    printable = client.get(url("kiosk:document", number=case.number))
    assert printable["Content-Disposition"] == "inline"
    assert printable["Cache-Control"] == "no-store"
    assert b"".join(printable.streaming_content).startswith(b"%PDF")
    response = client.post(url("kiosk:send-document", number=case.number))
    assert response.url == url("kiosk:receipt", number=case.number)
    sent = Notification.objects.get(template="services_document_link")
    assert sent.recipient == citizen.email
    assert f"/shkoder/services/cases/{case.number}/" in sent.body
    assert citizen.email in client.get(response.url).content.decode()
