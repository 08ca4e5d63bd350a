"""Login throttling (issue 8): per account and client address, the address read through trusted
proxies only, a slower per-address cap, the owner's way back in, and staff told of attempts."""

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory

from sportel.accounts.client_ip import client_ip
from sportel.core.models import AuditEntry, Notification

from .factories import PASSWORD, UserFactory
from .helpers import current_totp
from .outbox import last_message

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"  # the documented nginx on the same machine (a default trusted proxy)
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"


def through_proxy(client_address: str) -> Client:
    """A browser at ``client_address`` reaching Sportel through the trusted reverse proxy."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def login(client, username, password=PASSWORD, prefix=""):
    return client.post(f"{prefix}/account/login/", {"username": username, "password": password})


def fail_until_locked(client, username):
    return [
        login(client, username, "wrong-password-1").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]


# --- the client address -----------------------------------------------------------------------


def request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy():
    assert client_ip(request("198.51.100.50", "10.9.9.9")) == "198.51.100.50"


def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client(settings):
    settings.SPORTEL_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # The client wrote "1.2.3.4" itself; nginx appended its real address; a load balancer
    # (10.0.0.5) appended nginx's. Only the proxies' own entries are believed.
    forwarded = "1.2.3.4, 203.0.113.9, 10.0.0.5"
    assert client_ip(request("127.0.0.1", forwarded)) == "203.0.113.9"
    assert client_ip(request("10.0.0.7", "2001:db8::5")) == "2001:db8::5"
    assert client_ip(request("127.0.0.1")) == "127.0.0.1"  # no header: the peer
    assert client_ip(request("127.0.0.1", "garbage")) == "127.0.0.1"


def test_with_no_trusted_proxy_every_forwarded_header_is_ignored(settings):
    settings.SPORTEL_TRUSTED_PROXIES = []
    assert client_ip(request("127.0.0.1", "203.0.113.9")) == "127.0.0.1"


# --- lockouts ----------------------------------------------------------------------------------


def test_guessing_a_clerks_password_locks_the_guesser_not_the_clerk(shkoder, make_staff):
    clerk = make_staff(shkoder, "clerk")
    attacker = through_proxy(ATTACKER)
    assert fail_until_locked(attacker, clerk.username)[-1] == 429
    assert login(attacker, clerk.username, "a-long-test-password").status_code == 429
    # The clerk, at their own address behind the same proxy, logs in as usual.
    response = login(through_proxy(OWNER), clerk.username, "a-long-test-password")
    assert response.status_code == 302 and response.url == "/account/after-login/"


def test_a_forged_forwarded_header_from_an_untrusted_peer_does_not_escape_the_lockout():
    UserFactory(username="target@example.al")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client = Client(REMOTE_ADDR="198.51.100.50", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        last = login(client, "target@example.al", "wrong-password-1")
    assert last.status_code == 429
    forged = Client(REMOTE_ADDR="198.51.100.50", HTTP_X_FORWARDED_FOR="10.1.1.1")
    assert login(forged, "target@example.al").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.50"}


def test_password_spraying_from_one_address_is_capped_across_accounts(settings):
    settings.SPORTEL_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    users = [UserFactory() for _ in range(7)]
    sprayer = through_proxy(ATTACKER)
    for user in users[:6]:
        assert login(sprayer, user.username, "Password123!").status_code == 200
    # The seventh account, even with its right password, is refused from that address ...
    response = login(sprayer, users[6].username)
    assert response.status_code == 429
    # ... and only from there.
    assert login(through_proxy(OWNER), users[6].username).status_code == 302


def test_a_locked_out_owner_gets_back_in_with_a_code_sent_to_their_email():
    owner = UserFactory(username="owner@example.al")
    shared = through_proxy(ATTACKER)  # the attacker and the owner share an office's address
    fail_until_locked(shared, owner.username)
    page = login(shared, owner.username, prefix="/en")
    assert page.status_code == 429
    text = page.content.decode()
    assert "Too many attempts" in text and "Send me a code" in text
    assert 'value="owner@example.al"' in text
    response = shared.post("/en/account/unlock/", {"login": owner.username})
    assert response.url == "/en/account/unlock/code/"
    body = last_message(owner.email, "accounts_unlock_code").body
    code = re.search(r"\b(\d{6})\b", body).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page = shared.post("/en/account/unlock/code/", {"code": wrong}).content.decode()
    assert "This code is not valid" in page
    response = shared.post("/en/account/unlock/code/", {"code": code})
    assert response.url == "/en/account/login/?login=owner%40example.al"
    page = shared.get(response.url).content.decode()
    assert "Your account is unlocked on this device" in page
    assert 'value="owner@example.al"' in page
    assert not AccessAttempt.objects.filter(username=owner.username).exists()
    response = login(shared, owner.username, prefix="/en")
    assert response.status_code == 302 and response.url == "/en/account/after-login/"
    assert AuditEntry.objects.filter(action="account.unlock", actor=owner).exists()
    # The code worked once: it is gone from the session.
    assert shared.get("/en/account/unlock/code/").url == "/en/account/unlock/"


def test_an_unlock_grant_is_not_a_free_pass_for_guessing():
    owner = UserFactory(username="owner2@example.al")
    client = through_proxy(ATTACKER)
    fail_until_locked(client, owner.username)
    client.post("/account/unlock/", {"login": owner.username})
    code = re.search(r"\b(\d{6})\b", last_message(owner.email, "accounts_unlock_code").body)
    client.post("/account/unlock/code/", {"code": code.group(1)})
    statuses = fail_until_locked(client, owner.username)  # the grant's attempts are counted
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1) and statuses[-1] == 429
    assert login(client, owner.username).status_code == 429  # the lock is back


def test_asking_for_a_code_for_an_unknown_login_looks_the_same_and_sends_nothing():
    client = Client()
    response = client.post("/en/account/unlock/", {"login": "nobody@example.al"})
    assert response.url == "/en/account/unlock/code/"
    assert "nobody@example.al" in client.get(response.url).content.decode()
    assert not Notification.objects.filter(template="accounts_unlock_code").exists()
    page = client.post(response.url, {"code": "123456"}).content.decode()
    assert "This code is not valid" in page


def test_no_more_than_three_codes_an_hour():
    owner = UserFactory(username="owner3@example.al")
    client = Client()
    for _ in range(3):
        assert client.post("/en/account/unlock/", {"login": owner.username}).status_code == 302
    page = client.post("/en/account/unlock/", {"login": owner.username})
    assert page.status_code == 200
    assert "already sent 3 codes" in page.content.decode()
    assert Notification.objects.filter(template="accounts_unlock_code").count() == 3


# --- staff are told ----------------------------------------------------------------------------


def test_staff_get_one_message_about_failed_attempts_and_a_notice_at_their_next_login(
    shkoder, make_staff
):
    clerk = make_staff(shkoder, "clerk")
    attacker = through_proxy(ATTACKER)
    for _ in range(3):
        login(attacker, clerk.username, "wrong-password-1")
    messages = Notification.objects.filter(template="accounts_failed_login", user=clerk)
    assert messages.count() == 1  # one message for the run, not one per guess
    assert ATTACKER in messages.get().body
    # At the clerk's next login (from /en/), before the second step: the count and from where.
    clerk_client = through_proxy(OWNER)
    response = login(clerk_client, clerk.username, "a-long-test-password", prefix="/en")
    response = clerk_client.get(response.url)
    assert response.url == "/en/account/2fa/"
    page = clerk_client.get(response.url).content.decode()
    assert f"3 failed login attempts since your last login, from {ATTACKER}" in page
    clerk_client.post("/en/account/2fa/", {"token": current_totp(clerk)})
    clerk_client.post("/en/account/logout/")
    # The next login has nothing to report.
    login(clerk_client, clerk.username, "a-long-test-password", prefix="/en")
    assert "failed login attempt" not in clerk_client.get("/en/account/2fa/").content.decode()


def test_citizens_are_not_messaged_for_each_failed_attempt():
    citizen = UserFactory()
    login(through_proxy(ATTACKER), citizen.username, "wrong-password-1")
    assert not Notification.objects.filter(template="accounts_failed_login").exists()


def test_within_a_second_factor_wait_the_page_says_wait_not_invalid(
    client, shkoder, make_staff, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30  # 30 s after the first wrong code
    clerk = make_staff(shkoder, "clerk")
    login(client, clerk.username, "a-long-test-password", prefix="/en")
    good = current_totp(clerk)
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    page = client.post("/en/account/2fa/", {"token": bad}).content.decode()
    assert "This code is not valid" in page and "before trying again" in page
    page = client.post("/en/account/2fa/", {"token": good}).content.decode()
    assert re.search(r"Wait \d+ seconds before trying again", page)
    assert "This code is not valid" not in page
    assert client.get("/shkoder/staff/").status_code == 302
