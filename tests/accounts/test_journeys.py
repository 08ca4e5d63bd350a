"""Issue 8: English stays English through login, logout, sign-up confirmation, 2FA and every
redirect; the account page and the 403 page lead somewhere."""

import pytest
from django.test import Client

from .factories import PASSWORD, UserFactory
from .helpers import current_totp
from .outbox import confirmation_link

pytestmark = pytest.mark.django_db


def english(response) -> str:
    text = response.content.decode()
    assert '<html lang="en"' in text
    return text


def test_logout_from_english_lands_on_the_english_home(client):
    client.force_login(UserFactory())
    response = client.post("/en/account/logout/")
    assert response.url == "/en/"
    english(client.get(response.url))


def test_signup_and_email_confirmation_from_english_stay_english(client):
    response = client.post(
        "/en/account/signup/",
        {
            "full_name": "Ana Smith",
            "contact": "ana@example.al",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "language": "en",
        },
    )
    assert response.url == "/en/account/signup/sent/"
    english(client.get(response.url))
    link = confirmation_link("ana@example.al")
    assert "/en/account/confirm/email/" in link
    page = english(client.get(link[link.index("/en/") :]))
    assert "/en/account/login/" in page


def test_staff_login_and_second_factor_from_english_end_on_the_english_staff_home(
    shkoder, make_staff
):
    clerk = make_staff(shkoder, "clerk")
    client = Client()
    # A staff page asked for in English sends to the English login, then the English 2FA.
    response = client.get("/en/shkoder/staff/")
    assert response.url.startswith("/en/account/login/?next=/en/shkoder/staff/")
    response = client.post(
        response.url, {"username": clerk.username, "password": "a-long-test-password"}
    )
    assert response.url == "/en/shkoder/staff/"
    response = client.get(response.url)
    assert response.url.startswith("/en/account/2fa/")
    page = english(client.get(response.url))
    assert "Two-step verification" in page
    response = client.post(
        response.url, {"token": current_totp(clerk), "next": "/en/shkoder/staff/"}
    )
    assert response.url == "/en/shkoder/staff/"
    english(client.get(response.url))


def test_the_account_page_links_to_applications_services_and_data_accesses(client, shkoder):
    user = UserFactory()
    client.force_login(user)
    page = english(client.get("/en/account/"))
    assert "/en/account/accesses/" in page  # who accessed my data
    assert 'href="/en/"' in page  # no applications yet: choose a municipality
    from sportel.services.catalogue import seed_catalogue
    from sportel.services.services import save_draft

    seed_catalogue(shkoder)
    save_draft(shkoder, service="public-information-request", actor=user, data={})
    page = english(client.get("/en/account/"))
    assert "/en/shkoder/services/mine/" in page
    assert "/en/shkoder/services/" in page


def test_the_403_page_sends_signed_in_staff_to_their_own_staff_home(
    shkoder, lezhe, make_staff, verified_client
):
    client = verified_client(make_staff(lezhe, "clerk"))
    response = client.get("/en/shkoder/staff/")
    assert response.status_code == 403
    page = english(response)
    assert 'href="/en/lezhe/staff/"' in page
    assert "list of municipalities" not in page


def test_the_403_page_sends_a_signed_in_citizen_to_their_account(shkoder, client):
    client.force_login(UserFactory())
    response = client.get("/en/shkoder/staff/")
    assert response.status_code == 403
    assert 'href="/en/account/"' in english(response)
