"""Sign-up and confirmation: email by signed link, phone by 6-digit code."""

import re

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from sportel.accounts import services
from sportel.accounts.models import PhoneConfirmation, User
from sportel.core.audit import verify_all
from sportel.core.models import AuditEntry, Notification

from .factories import PASSWORD
from .outbox import confirmation_code, confirmation_link, last_message

pytestmark = pytest.mark.django_db


def signup(client, contact, *, language="sq", name="Arta Krasniqi", password=PASSWORD):
    return client.post(
        reverse("accounts:signup"),
        {
            "full_name": name,
            "contact": contact,
            "password1": password,
            "password2": password,
            "language": language,
        },
    )


def login(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_email_sign_up_sends_a_link_that_confirms_the_account(client):
    response = signup(client, "Arta.K@Example.AL", language="en")
    assert response.status_code == 302
    user = User.objects.get(username="arta.k@example.al")
    assert user.confirmed_at is None and user.language == "en"
    message = last_message("arta.k@example.al", "accounts_confirm_email")
    assert message.language == "en" and "Confirm your Sportel account" in message.subject
    link = confirmation_link("arta.k@example.al")
    assert "/en/account/confirm/email/" in link
    response = client.get(link.split("testserver", 1)[1])
    assert response.status_code == 200
    assert "Account confirmed" in response.content.decode()
    user.refresh_from_db()
    assert user.confirmed_at is not None
    actions = list(AuditEntry.objects.filter(subject_user=user).values_list("action", flat=True))
    assert actions == ["account.sign_up", "account.confirm"]
    assert all("password" not in str(e.data) for e in AuditEntry.objects.all())
    assert all(report.broken_at is None for report in verify_all())


def test_phone_sign_up_confirms_with_the_sms_code(client):
    response = signup(client, "069 123 4567")
    assert response.status_code == 302
    user = User.objects.get(username="+355691234567")
    assert user.phone == "+355691234567" and user.email == ""
    code = confirmation_code("+355691234567")
    # Only a hash of the code is stored.
    stored = PhoneConfirmation.objects.get(user=user)
    assert len(stored.code_hash) == 64 and stored.code_hash == services._code_hash(user, code)
    assert code not in {stored.phone, stored.code_hash}
    assert client.get(reverse("accounts:signup-sent")).url == reverse("accounts:confirm-phone")
    response = client.post(reverse("accounts:confirm-phone"), {"login": "0691234567", "code": code})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.confirmed_at is not None
    assert AuditEntry.objects.filter(action="account.confirm", data__channel="sms").exists()
    assert code not in str(list(AuditEntry.objects.values_list("data", flat=True)))


@pytest.mark.django_db(transaction=True)
def test_the_sms_code_and_email_link_leave_the_outbox_once_delivered(settings, tmp_path):
    from django.core import mail

    from sportel.core.notifications import REDACTED, deliver

    settings.SPORTEL_SMS_PROVIDER = "file"
    settings.SPORTEL_SMS_FILE_PATH = tmp_path
    services.sign_up(contact="0682003333", password=PASSWORD, full_name="Besa", language="sq")
    services.sign_up(contact="besa@example.al", password=PASSWORD, full_name="Besa", language="sq")
    code = confirmation_code("+355682003333")
    link = confirmation_link("besa@example.al")

    for row in Notification.objects.all():
        assert deliver(row.pk) == "sent"

    (sms_file,) = tmp_path.glob("*.sms")
    assert code in sms_file.read_text()  # the citizen's phone got the code
    assert link in mail.outbox[0].body  # and the mailbox the link
    bodies = list(Notification.objects.values_list("body", flat=True))
    assert bodies == [REDACTED, REDACTED]
    assert not any(code in b or "confirm/email" in b for b in bodies)
    # The code still confirms the account: only the stored copy is gone.
    assert services.confirm_phone(login="0682003333", code=code).confirmed_at is not None


def test_wrong_codes_are_counted_and_the_sixth_try_is_refused_even_when_right():
    user = services.sign_up(
        contact="+355 68 200 1111", password=PASSWORD, full_name="Besa", language="sq"
    )
    code = confirmation_code("+355682001111")
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(services.PHONE_CODE_MAX_ATTEMPTS):
        with pytest.raises(services.ConfirmationError):
            services.confirm_phone(login="0682001111", code=wrong)
    with pytest.raises(services.ConfirmationError, match="Shumë kode të gabuara"):
        services.confirm_phone(login="0682001111", code=code)
    user.refresh_from_db()
    assert user.confirmed_at is None


def test_phone_code_expires_after_15_minutes():
    services.sign_up(contact="0682002222", password=PASSWORD, full_name="Besa", language="sq")
    code = confirmation_code("+355682002222")
    with (
        time_machine.travel(timezone.now() + services.PHONE_CODE_LIFETIME, tick=False),
        pytest.raises(services.ConfirmationError, match="ka skaduar"),
    ):
        services.confirm_phone(login="0682002222", code=code)


def test_confirmations_are_rate_limited_to_three_an_hour():
    user = services.sign_up(
        contact="0682003333", password=PASSWORD, full_name="Besa", language="sq"
    )
    services.send_confirmation(user)
    services.send_confirmation(user)
    with pytest.raises(services.RateLimited):
        services.send_confirmation(user)
    # A new code replaces the old ones: only the last is accepted.
    assert PhoneConfirmation.objects.filter(user=user, superseded=False).count() == 1
    with time_machine.travel(timezone.now() + services.timedelta(minutes=61), tick=False):
        services.send_confirmation(user)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("arta@example.al", "ARTA@Example.al"),
        ("arta@example.al", "  arta@example.al "),
        ("069 123 4567", "+355691234567"),
        ("0691234567", "00355 69 123 45 67"),
    ],
)
def test_duplicate_sign_up_is_refused_in_any_case_or_format(client, first, second):
    assert signup(client, first).status_code == 302
    response = signup(client, second, name="Someone Else")
    assert response.status_code == 200
    text = response.content.decode()
    # The sign-up page is in Albanian: the refusal is too (never English on an Albanian page).
    assert "Një llogari e përdor tashmë këtë adresë email-i ose numër telefoni" in text
    assert "Arta Krasniqi" not in text  # nothing about the existing account is shown
    assert User.objects.count() == 1


def test_duplicate_sign_up_message_in_english(client):
    signup(client, "arta@example.al")
    response = client.post(
        "/en/account/signup/",
        {
            "full_name": "X",
            "contact": "Arta@example.al",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "language": "en",
        },
    )
    assert "An account already uses this email address or phone number" in response.content.decode()


def test_sign_up_refuses_a_weak_password_and_mismatched_confirmation(client):
    response = signup(client, "a@example.al", password="1234567890")
    assert response.status_code == 200 and not User.objects.exists()
    response = client.post(
        "/en/account/signup/",
        {
            "full_name": "A",
            "contact": "a@example.al",
            "password1": PASSWORD,
            "password2": PASSWORD + "x",
            "language": "sq",
        },
    )
    assert "The two passwords are not the same." in response.content.decode()
    assert not User.objects.exists()


def test_unconfirmed_user_cannot_log_in_and_is_offered_a_resend(client):
    signup(client, "besa@example.al", language="en")
    response = client.post(
        "/en/account/login/", {"username": "besa@example.al", "password": PASSWORD}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "You have not confirmed this account yet" in text
    assert "/en/account/confirm/resend/?login=besa%40example.al" in text
    assert "_auth_user_id" not in client.session
    response = client.post("/en/account/confirm/resend/", {"login": "besa@example.al"})
    assert response.status_code == 302
    assert User.objects.get(username="besa@example.al").confirmations_sent.count() == 2


def test_resend_for_an_unknown_login_answers_the_same(client):
    response = client.post(
        "/en/account/confirm/resend/", {"login": "nobody@example.al"}, follow=True
    )
    assert "If an unconfirmed account uses this email" in response.content.decode()


def test_expired_confirmation_link_is_refused(client):
    signup(client, "vera@example.al", language="en")
    path = confirmation_link("vera@example.al").split("testserver", 1)[1]
    with time_machine.travel(timezone.now() + services.EMAIL_LINK_MAX_AGE, tick=False):
        response = client.get(path)
    assert response.status_code == 400
    assert "This confirmation link has expired" in response.content.decode()
    assert User.objects.get(username="vera@example.al").confirmed_at is None


def test_forged_confirmation_link_is_refused(client):
    signup(client, "vera@example.al", language="en")
    victim = User.objects.get(username="vera@example.al")
    token = services.email_confirmation_token(victim)
    # The same payload signed with another key (an attacker does not know the SECRET_KEY).
    forged = signing.dumps(
        {"u": victim.pk, "l": victim.username}, key="x" * 50, salt=services.EMAIL_LINK_SALT
    )
    tampered = re.sub(r"^[^:]+", signing.b64_encode(b'{"u":1,"l":"x"}').decode(), token)
    for bad in (forged, tampered, "not-a-token"):
        response = client.get(f"/en/account/confirm/email/{bad}/")
        assert response.status_code == 400
        assert "This confirmation link is not valid" in response.content.decode()
    victim.refresh_from_db()
    assert victim.confirmed_at is None
