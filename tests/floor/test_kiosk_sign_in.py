"""Signing in at a kiosk with the NID and a code sent by SMS to the verified account's phone,
then printing one's own certificates."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from sportel.accounts.models import User
from sportel.accounts.roles import Role
from sportel.core.identifiers import with_check_letter
from sportel.core.models import Notification
from sportel.floor import kiosk_sign_in, services
from sportel.floor.models import KioskSignInCode

NID = with_check_letter("J05101996")
OTHER_NID = with_check_letter("J05101997")
SAME_ANSWER = "If this personal number belongs to a verified account with a phone on record"


def url(name, municipality, **kwargs):
    with translation.override("sq"):
        return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


def en(name, municipality, **kwargs):
    with translation.override("en"):
        return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@pytest.fixture
def kiosk(office, make_staff, shkoder):
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    device, token = services.register_device(office, kind="kiosk", name="K", actor=admin)
    return device, token


def resident(nid=NID, *, verified=True, phone="+355691234567", login=None):
    return User.objects.create_user(
        login or f"{nid.lower()}@test.sportel.al",
        password="x-long-password-1",
        full_name="Banor Testi",
        confirmed_at="2026-01-01T00:00:00Z",
        nid=nid,
        nid_verified=verified,
        nid_verified_at=timezone.now() if verified else None,
        phone=phone,
        language="en",
    )


def refused(device, nid, code) -> str:
    with pytest.raises(ValidationError) as caught:
        kiosk_sign_in.sign_in(device, nid, code)
    return caught.value.error_dict["code"][0].code


def sent_code(phone="+355691234567") -> str:
    body = Notification.objects.filter(recipient=phone, channel="sms").latest("pk").body
    return re.search(r"\b(\d{6})\b", body).group(1)


def ask(client, shkoder, token, nid):
    client.cookies["django_language"] = "en"
    return client.post(en("floor:kiosk-sign-in", shkoder, token=token), {"nid": nid})


@pytest.fixture
def catalogue(shkoder, seal_keys):
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    return shkoder


def test_resident_signs_in_with_nid_and_sms_code_and_sees_only_their_certificates(
    catalogue, kiosk, client, shkoder
):
    from sportel.services.models import Case

    device, token = kiosk
    person = resident()
    start = client.get(url("floor:kiosk", shkoder, token=token)).content.decode()
    assert url("floor:kiosk-sign-in", shkoder, token=token) in start
    response = ask(client, shkoder, token, NID)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert SAME_ANSWER in page.content.decode()
    code = sent_code()
    assert not KioskSignInCode.objects.filter(code_hash__contains=code).exists()  # hashed
    wrong = client.post(en("floor:kiosk-sign-in-code", shkoder, token=token), {"code": "000000"})
    assert wrong.status_code == 400 and "This code is not valid" in wrong.content.decode()
    response = client.post(en("floor:kiosk-sign-in-code", shkoder, token=token), {"code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == person.pk
    assert client.session.get_expiry_age() <= 900  # a kiosk session: it ends when left idle
    documents = client.get(response["Location"])
    assert documents.status_code == 200
    assert "You have no certificate issued" in documents.content.decode()
    # A certificate of theirs is offered to print; someone else's is not.
    from tests.services.factories import submit

    other = resident(OTHER_NID, login="other@test.sportel.al", phone="+355691111111")
    mine = submit(shkoder, person, "public-information-request")
    theirs = submit(shkoder, other, "public-information-request")
    Case.objects.filter(pk__in=[mine.pk, theirs.pk]).update(document_code="DOC")
    page = client.get(response["Location"]).content.decode()
    assert url("kiosk:document", shkoder, number=mine.number) in page
    assert theirs.number not in page
    # The code cannot be used twice.
    client.post(url("kiosk:finish", shkoder))
    assert refused(device, NID, code) == "invalid_code"


@pytest.mark.parametrize("who", ["nobody", "unverified", "no_phone"])
def test_unknown_unverified_or_phoneless_get_the_same_answer_and_no_sms(
    kiosk, client, shkoder, who
):
    _device, token = kiosk
    if who == "unverified":
        resident(verified=False)
    elif who == "no_phone":
        resident(phone="")
    response = ask(client, shkoder, token, NID)
    assert response.status_code == 302
    assert SAME_ANSWER in client.get(response["Location"]).content.decode()
    assert not Notification.objects.exists()
    refused = client.post(en("floor:kiosk-sign-in-code", shkoder, token=token), {"code": "123456"})
    assert refused.status_code == 400
    assert "This code is not valid" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_malformed_nid_is_refused_on_the_form(kiosk, client, shkoder):
    _device, token = kiosk
    response = ask(client, shkoder, token, "J0510")
    assert response.status_code == 400
    assert not Notification.objects.exists()


def test_codes_expire_allow_few_guesses_and_are_rate_limited(kiosk, shkoder):
    device, _token = kiosk
    resident()
    kiosk_sign_in.send_code(device, NID)
    code = sent_code()
    KioskSignInCode.objects.update(expires_at=timezone.now())
    assert refused(device, NID, code) == "invalid_code"
    kiosk_sign_in.send_code(device, NID)
    code = sent_code()
    for _ in range(kiosk_sign_in.MAX_ATTEMPTS):
        assert refused(device, NID, "999999" if code != "999999" else "111111") == "invalid_code"
    assert refused(device, NID, code) == "invalid_code"  # the right code, too late
    kiosk_sign_in.send_code(device, NID)
    assert Notification.objects.count() == 3
    kiosk_sign_in.send_code(device, NID)  # a fourth within the hour: silently not sent
    assert Notification.objects.count() == 3
    KioskSignInCode.objects.update(created_at=timezone.now())
    for n in range(kiosk_sign_in.PER_DEVICE_PER_HOUR - 3):
        resident(
            with_check_letter(f"J0{n:02d}01998"),
            login=f"r{n}@test.sportel.al",
            phone=f"+3556900000{n:02d}",
        )
        kiosk_sign_in.send_code(device, with_check_letter(f"J0{n:02d}01998"))
    with pytest.raises(ValidationError) as caught:
        kiosk_sign_in.send_code(device, NID)
    assert caught.value.code == "rate_limited"


def test_a_code_from_another_kiosk_does_not_sign_in_here(kiosk, office, make_staff, shkoder):
    device, _token = kiosk
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    other, _ = services.register_device(office, kind="kiosk", name="K2", actor=admin)
    resident()
    kiosk_sign_in.send_code(device, NID)
    assert refused(other, NID, sent_code()) == "invalid_code"
