"""Account pages: profile, NID link with the check-letter warning, password, data accesses."""

import pytest

from sportel.core.audit import record_read
from sportel.core.identifiers import with_check_letter
from sportel.core.models import AuditEntry
from sportel.core.services import register_person

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

VALID_NID = with_check_letter("J00101001")
WRONG_LETTER = VALID_NID[:9] + ("A" if VALID_NID[9] != "A" else "B")


@pytest.fixture
def citizen(client):
    user = UserFactory(username="arta@example.al", full_name="Arta Krasniqi")
    client.force_login(user)
    return user


def test_account_page_needs_login(client):
    response = client.get("/account/")
    assert response.status_code == 302 and "/account/login/" in response.url


def test_account_page_shows_name_contact_and_language(client, citizen):
    text = client.get("/en/account/").content.decode()
    assert "Arta Krasniqi" in text and "arta@example.al" in text and "Albanian" in text


def test_profile_change_switches_the_pages_to_the_new_language(client, citizen):
    response = client.post(
        "/account/profile/",
        {"full_name": "Arta K.", "phone": "069 111 2222", "language": "en"},
    )
    assert response.url == "/en/account/"
    citizen.refresh_from_db()
    assert (citizen.full_name, citizen.phone, citizen.language) == (
        "Arta K.",
        "+355691112222",
        "en",
    )
    assert citizen.username == "arta@example.al"  # the login does not change here
    assert "Your details are saved." in client.get(response.url).content.decode()


def test_linking_a_valid_nid(client, citizen):
    response = client.post("/en/account/nid/", {"nid": VALID_NID.lower()})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.nid == VALID_NID and not citizen.nid_verified
    entry = AuditEntry.objects.get(action="account.nid_link")
    assert VALID_NID not in str(entry.data)


def test_malformed_nid_is_an_error(client, citizen):
    text = client.post("/en/account/nid/", {"nid": "12345"}).content.decode()
    assert "must be 10 characters" in text
    citizen.refresh_from_db()
    assert citizen.nid == ""


def test_wrong_check_letter_needs_explicit_confirmation(client, citizen):
    text = client.post("/en/account/nid/", {"nid": WRONG_LETTER}).content.decode()
    assert "does not match its check letter" in text
    assert 'name="accept_check_letter"' in text
    citizen.refresh_from_db()
    assert citizen.nid == ""
    response = client.post("/en/account/nid/", {"nid": WRONG_LETTER, "accept_check_letter": "on"})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.nid == WRONG_LETTER
    assert AuditEntry.objects.get(action="account.nid_link").data == {"check_letter_accepted": True}


def test_nid_from_the_eid_cannot_be_replaced_by_hand(client, citizen):
    citizen.nid, citizen.nid_verified = VALID_NID, True
    citizen.save()
    other = with_check_letter("K00101001")
    text = client.post("/en/account/nid/", {"nid": other}).content.decode()
    assert "confirmed by the national eID" in text
    citizen.refresh_from_db()
    assert citizen.nid == VALID_NID


def test_change_password_keeps_the_session_and_is_audited(client, citizen):
    new = "Nje-fjalekalim-i-ri-2026"
    response = client.post(
        "/en/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert client.get("/en/account/").status_code == 200
    citizen.refresh_from_db()
    assert citizen.check_password(new)
    entry = AuditEntry.objects.get(action="account.password_change")
    assert new not in str(entry.data) and PASSWORD not in str(entry.data)


def test_who_accessed_my_data_lists_staff_reads(client, citizen, shkoder, make_staff):
    person = register_person(
        shkoder, nid=VALID_NID, first_name="Arta", last_name="Krasniqi", user=citizen
    ).obj
    clerk = make_staff(shkoder, "clerk")
    clerk.full_name = "Blerim Hoxha"
    clerk.save()
    record_read(clerk, person, reason="counter: identify walk-in", role="clerk")
    text = client.get("/en/account/accesses/").content.decode()
    assert "Blerim Hoxha" in text
    assert "Looked up your personal data" in text
    assert "Shkodër" in text and "Front-office clerk" in text
    # The log's internal words stay in the log.
    assert "identify walk-in" not in text and "person.read" not in text


def test_nobody_accessed_yet(client, citizen):
    text = client.get("/en/account/accesses/").content.decode()
    assert "Nobody from the municipality has accessed your data." in text


def test_logout_is_a_post(client, citizen):
    assert client.get("/account/logout/").status_code == 405
    assert client.post("/account/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
