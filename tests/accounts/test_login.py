"""Login with email or phone, lockout after too many attempts, staff second factor."""

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from sportel.accounts import services
from sportel.core.models import AuditEntry

from .factories import PASSWORD, UserFactory
from .helpers import current_totp

pytestmark = pytest.mark.django_db


def post_login(client, username, password=PASSWORD, prefix=""):
    return client.post(f"{prefix}/account/login/", {"username": username, "password": password})


def test_citizen_logs_in_with_email_in_any_case_and_lands_on_the_account_page(client):
    UserFactory(username="arta@example.al")
    response = post_login(client, "  ARTA@example.al")
    assert response.url == reverse("accounts:after-login")
    response = client.get(response.url)
    assert response.url == "/account/"
    assert "arta@example.al" in client.get("/account/").content.decode()


def test_citizen_logs_in_with_a_phone_number_in_local_format(client):
    UserFactory(username="+355691234567", email="")
    response = post_login(client, "069 123 45 67")
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_english_chosen_in_the_address_stays_after_login_whatever_the_preference(client):
    # Issue 8: a person reading /en/ chose English; their account's preference (for messages)
    # is Albanian, and they must not land on an Albanian page.
    UserFactory(username="sq@example.al", language="sq")
    response = post_login(client, "sq@example.al", prefix="/en")
    assert response.url == "/en/account/after-login/"
    response = client.get(response.url)
    assert response.url == "/en/account/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(response.url).content.decode()
    assert "Your account" in page and "Llogaria juaj" not in page
    client.post("/en/account/logout/")
    # From a page in the default language (no choice in the address), the account's preferred
    # language takes over.
    UserFactory(username="en@example.al", language="en")
    post_login(client, "en@example.al")
    response = client.get(reverse("accounts:after-login"))
    assert response.url == "/en/account/"
    assert "Your account" in client.get(response.url).content.decode()


def test_too_many_login_attempts_lock_the_account_with_a_429_page(client):
    UserFactory(username="target@example.al")
    statuses = [
        post_login(client, "Target@example.al", "wrong-password").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    # Even the right password is refused now, in both languages.
    response = post_login(client, "target@example.al")
    assert response.status_code == 429
    assert "Shumë përpjekje" in response.content.decode()
    response = post_login(client, "target@example.al", prefix="/en")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    lockouts = AuditEntry.objects.filter(action="account.lockout")
    assert lockouts.count() >= 1
    assert "wrong-password" not in str(list(lockouts.values_list("data", flat=True)))


def test_wrong_password_message_does_not_say_which_part_was_wrong(client):
    UserFactory(username="a@example.al")
    text = post_login(client, "a@example.al", "nope-nope-nope", prefix="/en").content.decode()
    assert "do not match an account" in text
    text = post_login(client, "nobody@example.al", "nope-nope-nope", prefix="/en").content.decode()
    assert "do not match an account" in text


def test_staff_without_2fa_are_sent_to_the_second_step_before_the_staff_home(
    client, shkoder, make_staff
):
    clerk = make_staff(shkoder, "clerk")
    client.post("/account/login/", {"username": clerk.username, "password": "a-long-test-password"})
    response = client.get("/shkoder/staff/")
    assert response.status_code == 302
    assert response.url == "/account/2fa/?next=%2Fshkoder%2Fstaff%2F"
    assert client.get(reverse("accounts:after-login")).url == "/account/2fa/"
    # With the code from the device, the staff home opens.
    response = client.post(
        "/account/2fa/?next=/shkoder/staff/",
        {"token": current_totp(clerk), "next": "/shkoder/staff/"},
    )
    assert response.url == "/shkoder/staff/"
    assert client.get("/shkoder/staff/").status_code == 200
    assert AuditEntry.objects.filter(action="staff.login", actor=clerk, chain="shkoder").exists()


def test_wrong_totp_code_is_refused(client, shkoder, make_staff):
    clerk = make_staff(shkoder, "clerk")
    client.post(
        "/en/account/login/", {"username": clerk.username, "password": "a-long-test-password"}
    )
    good = current_totp(clerk)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    response = client.post("/en/account/2fa/", {"token": bad})
    assert response.status_code == 200
    assert "This code is not valid" in response.content.decode()
    assert client.get("/shkoder/staff/").status_code == 302


def test_staff_with_no_device_enrol_with_a_qr_code_then_land_on_their_staff_home(
    client, lezhe, make_staff
):
    clerk = make_staff(lezhe, "manager")
    TOTPDevice.objects.filter(user=clerk).delete()
    client.post(
        "/en/account/login/", {"username": clerk.username, "password": "a-long-test-password"}
    )
    page = client.get("/en/account/2fa/")
    text = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in text
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    response = client.post("/en/account/2fa/", {"token": current_totp(clerk)})
    assert response.url == "/en/account/after-login/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(response.url).url == "/en/lezhe/staff/"  # the language stays
    assert AuditEntry.objects.filter(action="staff.2fa_enrol", actor=clerk).exists()


def test_staff_of_several_municipalities_land_on_the_first_by_name(
    client, shkoder, lezhe, make_staff
):
    user = make_staff(shkoder, "clerk")
    services.grant_role(user, lezhe, "specialist")
    client.post("/account/login/", {"username": user.username, "password": "a-long-test-password"})
    client.post("/account/2fa/", {"token": current_totp(user)})
    assert client.get(reverse("accounts:after-login")).url == "/lezhe/staff/"


def test_platform_operator_must_pass_2fa_for_the_admin(client):
    operator = UserFactory(
        username="op@example.al", is_platform_operator=True, is_staff=True, is_superuser=True
    )
    TOTPDevice.objects.create(user=operator, name="op", confirmed=True)
    post_login(client, "op@example.al")
    assert client.get("/admin/").status_code == 302
    client.post("/account/2fa/", {"token": current_totp(operator)})
    assert client.get(reverse("accounts:after-login")).url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_sessions_expire(client):
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    UserFactory(username="a@example.al")
    post_login(client, "a@example.al")
    assert 0 < client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE


def test_demo_otp_command_prints_the_current_code(shkoder, make_staff, capsys):
    from django.core.management import call_command

    clerk = make_staff(shkoder, "clerk")
    call_command("demo-otp", clerk.username)
    assert capsys.readouterr().out.strip() == current_totp(clerk)
