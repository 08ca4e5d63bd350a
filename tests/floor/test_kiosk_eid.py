"""Signing in at a managed kiosk with the national eID, against a real OpenID Connect provider
(tests/oidc_provider/, run as a server): fresh authentication every time, the callback bound to
the kiosk and browser that started it and used once, a kiosk session like the NID and SMS code,
and the provider's session ended with Sportel's (or Sportel's alone when the provider is down).

A requests session plays the kiosk's browser; Sportel runs as pytest-django's live server.
"""

import datetime as dt
import sqlite3
import time
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from sportel.accounts.identity import level_of
from sportel.accounts.models import IdentityVerification, User
from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.floor import services
from sportel.floor.models import Device, KioskEidSession

from .eid import (
    CITIZEN,
    callback_after_login,
    eid_fixture,  # noqa: F401  (the fixture "eid")
    eid_provider_fixture,  # noqa: F401  (the fixture "eid_provider")
    follow_leaving,
    provider_log_in,
    set_back_provider_login,
    signed_in_at_provider,
    start_at_kiosk,
)
from .factories import make_office


@pytest.fixture
def kiosks(transactional_db, shkoder, lezhe, make_staff):
    """A Shkodër kiosk offering the eID (and apply), one without it, and a Lezhë kiosk."""
    from django.core.cache import cache

    cache.clear()
    found = {}
    for municipality, name, functions in (
        (shkoder, "with", ["ticket", "apply", "eid"]),
        (shkoder, "without", ["ticket", "apply"]),
        (lezhe, "lezhe", ["ticket", "apply", "pay", "eid"]),
    ):
        office = make_office(municipality, slug=f"zyra-{name}")
        admin = make_staff(municipality, Role.ADMINISTRATOR)
        device, token = services.register_device(
            office, kind="kiosk", name=name, actor=admin, functions=functions
        )
        found[name] = (device, token)
    return found


def kiosk_url(live_server, token, path="", *, slug="shkoder", lang="en") -> str:
    prefix = "/en" if lang == "en" else ""
    return f"{live_server.url}{prefix}/{slug}/floor/kiosk/{token}/{path}"


def browser() -> requests.Session:
    return requests.Session()


def sign_in(live_server, provider, token, **kwargs):
    """A whole eID sign-in at the kiosk: the landing page after the callback."""
    kiosk = browser()
    authorize = start_at_kiosk(kiosk, kiosk_url(live_server, token, "sign-in/eid/", **kwargs))
    callback = callback_after_login(kiosk, provider, authorize)
    return kiosk, callback, kiosk.get(callback, timeout=30)


def test_resident_signs_in_with_the_eid_at_the_kiosk_with_fresh_authentication(
    live_server, eid, kiosks
):
    device, token = kiosks["with"]
    resident = User.objects.create_user(
        "drita@test.sportel.al",
        "x-long-password-1",
        confirmed_at="2026-01-01T00:00:00Z",
        nid=CITIZEN["nid"],
        nid_verified=True,
        nid_verified_via="counter",
    )
    assert level_of(resident) == "substantial"
    start = browser().get(kiosk_url(live_server, token), timeout=10)
    assert "Print my certificates (sign in with eID)" in start.text

    kiosk = browser()
    page = kiosk.get(kiosk_url(live_server, token, "sign-in/eid/"), timeout=10)
    # The form's answer goes on to the provider: the page's CSP lets a form go there, only.
    assert f"form-action 'self' {eid.url};" in page.headers["Content-Security-Policy"]
    authorize = start_at_kiosk(kiosk, kiosk_url(live_server, token, "sign-in/eid/"))
    asked = parse_qs(urlparse(authorize).query)
    assert asked["prompt"] == ["login"] and asked["max_age"] == ["0"]
    assert asked["redirect_uri"] == [f"{live_server.url}/oidc/kiosk/callback/"]
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]
    landing = kiosk.get(callback_after_login(kiosk, eid, authorize), timeout=30)

    # Back on this kiosk, in English, on the resident's certificates: a kiosk session.
    assert landing.url == kiosk_url(live_server, token, "documents/"), landing.url
    assert "Your certificates" in landing.text
    resident.refresh_from_db()
    assert resident.nid_verified_via == "eid" and level_of(resident) == "high"
    assert IdentityVerification.objects.filter(user=resident, method="eid").exists()
    entry = AuditEntry.objects.get(action="floor.kiosk_sign_in", data__method="eid")
    assert entry.data == {"device": device.pk, "method": "eid", "level": "high"}
    row = KioskEidSession.objects.get()
    assert (row.device, row.user, row.level, row.ended_at) == (device, resident, "high", None)
    assert row.id_token.count(".") == 2
    # Only what this kiosk offers: it does not take payments.
    assert kiosk.get(kiosk_url(live_server, token, "pay/"), timeout=10).status_code == 404
    # The session is a kiosk's: it ends after the idle time, not after a working day.
    session = kiosk.cookies.get("sessionid")
    from django.contrib.sessions.backends.db import SessionStore

    assert SessionStore(session_key=session).get_expiry_age() <= 120


def test_an_open_provider_session_of_someone_before_does_not_sign_the_next_person_in(
    live_server, eid, kiosks
):
    _device, token = kiosks["with"]
    kiosk = browser()
    # Someone signed in at the provider in this browser a moment ago (say, at its own site).
    login_page = kiosk.get(f"{eid.url}/login/", timeout=10)
    assert provider_log_in(kiosk, login_page).status_code == 302
    assert signed_in_at_provider(kiosk, eid, live_server.url)
    authorize = start_at_kiosk(kiosk, kiosk_url(live_server, token, "sign-in/eid/"))
    # The provider asks for the login again (prompt=login): callback_after_login asserts it.
    landing = kiosk.get(callback_after_login(kiosk, eid, authorize), timeout=30)
    assert landing.url.endswith("/documents/")


def test_the_test_provider_honours_max_age_alone(live_server, eid, kiosks):
    """max_age=0 without prompt=login also asks again (OpenID Connect Core 3.1.2.1)."""
    kiosk = browser()
    assert provider_log_in(kiosk, kiosk.get(f"{eid.url}/login/", timeout=10)).status_code == 302
    answer = kiosk.get(
        f"{eid.url}/o/authorize/",
        params={
            "response_type": "code",
            "client_id": "sportel-kiosk-test",
            "scope": "openid",
            "redirect_uri": f"{live_server.url}/oidc/kiosk/callback/",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "max_age": "0",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert "/login/" in answer.headers["Location"]
    assert "max_age" not in answer.headers["Location"]


@pytest.mark.parametrize("lang", ["en", "sq"])
def test_a_token_without_fresh_authentication_is_refused(live_server, eid, kiosks, lang):
    """A provider that ignores prompt=login and max_age hands back an old login: Sportel reads
    the ID token's auth_time and refuses, saying why in the kiosk's language."""
    _device, token = kiosks["with"]
    eid.set_mode("lax")
    kiosk = browser()
    assert provider_log_in(kiosk, kiosk.get(f"{eid.url}/login/", timeout=10)).status_code == 302
    set_back_provider_login(eid, 600)
    authorize = start_at_kiosk(kiosk, kiosk_url(live_server, token, "sign-in/eid/", lang=lang))
    callback = kiosk.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    assert callback.startswith(f"{live_server.url}/oidc/kiosk/callback/")  # no login asked
    answer = kiosk.get(callback, timeout=30)
    assert answer.url == kiosk_url(live_server, token, "sign-in/eid/", lang=lang)
    assert answer.status_code == 400
    expected = {
        "en": "The eID did not confirm that you signed in just now",
        "sq": "eID-ja nuk konfirmoi se sapo u identifikuat",
    }[lang]
    assert expected in answer.text
    assert not KioskEidSession.objects.exists()
    assert kiosk.get(kiosk_url(live_server, token, "documents/"), timeout=10).url.endswith(
        "/sign-in/"
    )
    assert AuditEntry.objects.filter(action="floor.kiosk_eid_refused").count() == 1


def test_a_token_without_auth_time_is_refused(live_server, eid, kiosks):
    _device, token = kiosks["with"]
    eid.set_mode("no_auth_time")
    _kiosk, _callback, answer = sign_in(live_server, eid, token)
    assert answer.status_code == 400
    assert "The eID did not confirm that you signed in just now" in answer.text
    assert not KioskEidSession.objects.exists()


def test_a_callback_is_used_once_and_only_in_the_browser_and_kiosk_that_started_it(
    live_server, eid, kiosks
):
    _device, token = kiosks["with"]
    _lezhe, lezhe_token = kiosks["lezhe"]
    kiosk = browser()
    authorize = start_at_kiosk(kiosk, kiosk_url(live_server, token, "sign-in/eid/"))
    callback = callback_after_login(kiosk, eid, authorize)

    # Carried to another kiosk (another municipality's, which started its own sign-in) or to
    # a phone that started nothing: refused there, nobody signed in.
    other = browser()
    start_at_kiosk(other, kiosk_url(live_server, lezhe_token, "sign-in/eid/", slug="lezhe"))
    for stranger, shown_at in (
        (other, kiosk_url(live_server, lezhe_token, "sign-in/eid/", slug="lezhe")),
        (browser(), f"{live_server.url}/oidc/kiosk/callback/"),  # in Albanian: no kiosk known
    ):
        answer = stranger.get(callback, timeout=30)
        assert answer.status_code == 400
        assert answer.url.split("?")[0] == shown_at
        assert (
            "was not started on this kiosk, or it was already used" in answer.text
            or "nuk u nis në këtë kioskë, ose është përdorur tashmë" in answer.text
        )
        documents = stranger.get(kiosk_url(live_server, token, "documents/"), timeout=10)
        assert documents.url.endswith("/sign-in/")
    assert not KioskEidSession.objects.exists()

    # In the browser that started it: signed in, once.
    assert kiosk.get(callback, timeout=30).url.endswith(f"/kiosk/{token}/documents/")
    replay = kiosk.get(callback, timeout=30)
    assert replay.status_code == 400
    assert replay.url == kiosk_url(live_server, token, "sign-in/eid/")
    assert "already used" in replay.text
    assert KioskEidSession.objects.count() == 1


def test_finishing_ends_the_session_at_sportel_and_at_the_provider(live_server, eid, kiosks):
    _device, token = kiosks["with"]
    kiosk, _callback, landing = sign_in(live_server, eid, token)
    assert landing.url.endswith("/documents/")
    assert signed_in_at_provider(kiosk, eid, live_server.url)
    csrf = kiosk.cookies["csrftoken"]
    finished = kiosk.post(
        kiosk_url(live_server, token, "finish/"),
        data={"csrfmiddlewaretoken": csrf},
        headers={"Referer": landing.url},
        allow_redirects=False,
        timeout=30,
    )
    assert finished.headers["Location"] == kiosk_url(live_server, token).removeprefix(
        live_server.url
    )
    # Logged out at Sportel at once, even before the browser reaches the start screen.
    assert AuditEntry.objects.filter(action="floor.kiosk_sign_out").count() == 0
    assert (
        kiosk.get(kiosk_url(live_server, token, "documents/"), allow_redirects=False, timeout=10)
        .headers["Location"]
        .endswith("/sign-in/")
    )
    answer = kiosk.get(kiosk_url(live_server, token), timeout=30)
    # The start screen says it is logging out and moves on to the provider's end-session
    # endpoint, which comes back to the kiosk's start screen.
    assert answer.url == kiosk_url(live_server, token)
    assert "Logging you out" in answer.text
    answer = follow_leaving(kiosk, answer)
    hops = [r.url for r in answer.history]
    assert any(h.startswith(f"{eid.url}/o/logout/") for h in hops), hops
    assert any("id_token_hint=" in h for h in hops), hops
    assert answer.url == kiosk_url(live_server, token), answer.url
    assert "Welcome. What would you like to do?" in answer.text
    assert not signed_in_at_provider(kiosk, eid, live_server.url)
    # The next person finds nobody signed in at Sportel either.
    assert kiosk.get(kiosk_url(live_server, token, "documents/"), timeout=10).url.endswith(
        "/sign-in/"
    )
    row = KioskEidSession.objects.get()
    assert row.ended_at is not None and row.id_token == "" and row.provider_logout == "sent"


def test_the_idle_kiosk_and_the_next_person_end_the_provider_session(live_server, eid, kiosks):
    """The idle timer brings the kiosk back to its start screen, which ends the session at both
    ends; and when Sportel's session has already expired on its own, the next person's start
    screen still ends the provider's (the device keeps the ID token until then)."""
    _device, token = kiosks["with"]
    kiosk, _callback, _landing = sign_in(live_server, eid, token)
    start = follow_leaving(kiosk, kiosk.get(kiosk_url(live_server, token), timeout=30))
    assert start.url == kiosk_url(live_server, token)
    assert start.history[0].url.startswith(f"{eid.url}/o/logout/")
    assert not signed_in_at_provider(kiosk, eid, live_server.url)

    kiosk, _callback, _landing = sign_in(live_server, eid, token)
    kiosk.cookies.set("sessionid", None)  # Sportel's session expired with the idle time
    assert signed_in_at_provider(kiosk, eid, live_server.url)
    start = follow_leaving(kiosk, kiosk.get(kiosk_url(live_server, token), timeout=30))
    assert "Welcome. What would you like to do?" in start.text
    assert not signed_in_at_provider(kiosk, eid, live_server.url)
    assert KioskEidSession.objects.filter(ended_at__isnull=True).count() == 0


def test_with_the_provider_down_finishing_still_ends_sportels_session(live_server, eid, kiosks):
    _device, token = kiosks["with"]
    kiosk, _callback, landing = sign_in(live_server, eid, token)
    eid.stop()
    try:
        started = time.monotonic()
        answer = kiosk.post(
            kiosk_url(live_server, token, "finish/"),
            data={"csrfmiddlewaretoken": kiosk.cookies["csrftoken"]},
            headers={"Referer": landing.url},
            timeout=30,
        )
        assert time.monotonic() - started < 10
        assert answer.url == kiosk_url(live_server, token)
        assert "Welcome. What would you like to do?" in answer.text
        assert kiosk.get(kiosk_url(live_server, token, "documents/"), timeout=10).url.endswith(
            "/sign-in/"
        )
        row = KioskEidSession.objects.get()
        # The provider's session is ended later, by the worker (the next test).
        assert row.ended_at is not None and row.provider_logout == "pending"
        assert row.id_token != ""
    finally:
        eid.start()


def _queued_provider_logouts():
    from django_tasks_db.models import DBTaskResult

    return list(
        DBTaskResult.objects.filter(
            task_path="sportel.floor.tasks.end_provider_session", status="READY"
        ).order_by("pk")
    )


def _run(queued):
    """Run one queued attempt as the worker would (taken off the queue first)."""
    from sportel.floor.tasks import end_provider_session

    queued.delete()
    return end_provider_session.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])


def _tokens_at_provider(provider) -> int:
    """The ID tokens the provider still holds for the citizen (its own database)."""
    with sqlite3.connect(provider.db) as db:
        return db.execute(
            "SELECT count(*) FROM oauth2_provider_idtoken t JOIN auth_user u ON u.id = t.user_id"
            " WHERE u.username = ?",
            (CITIZEN["username"],),
        ).fetchone()[0]


def _finish_with_the_provider_down(live_server, eid, kiosks) -> None:
    """A resident signs in with the eID, the provider goes down, the resident presses Finish
    (the caller starts the provider again)."""
    _device, token = kiosks["with"]
    kiosk, _callback, landing = sign_in(live_server, eid, token)
    assert _tokens_at_provider(eid) >= 1  # (an earlier test's may be there too)
    eid.stop()
    kiosk.post(
        kiosk_url(live_server, token, "finish/"),
        data={"csrfmiddlewaretoken": kiosk.cookies["csrftoken"]},
        headers={"Referer": landing.url},
        timeout=30,
    )


def test_with_the_provider_down_the_worker_ends_its_session_when_it_is_back(
    live_server, eid, kiosks
):
    from django.utils import timezone

    try:
        _finish_with_the_provider_down(live_server, eid, kiosks)
        (first,) = _queued_provider_logouts()
        # Still down: the attempt fails and the next one waits 30 s, then twice as long.
        before = timezone.now()
        assert _run(first) == "retry"
        (second,) = _queued_provider_logouts()
        assert 29 <= (second.run_after - before).total_seconds() <= 40
        assert _run(second) == "retry"
        (third,) = _queued_provider_logouts()
        assert 59 <= (third.run_after - before).total_seconds() <= 70
        row = KioskEidSession.objects.get()
        assert row.provider_logout == "pending" and row.id_token
    finally:
        eid.start()
    # Back: the next attempt ends the session at the provider (its tokens are gone), and the
    # ID token is no longer kept here.
    assert _tokens_at_provider(eid) >= 1
    assert _run(third) == "sent"
    assert _tokens_at_provider(eid) == 0
    row = KioskEidSession.objects.get()
    assert row.provider_logout == "sent" and row.id_token == ""
    assert _queued_provider_logouts() == []
    assert AuditEntry.objects.filter(action="floor.kiosk_provider_logout").count() == 1
    # A duplicate run (a worker killed after its work) does nothing again.
    from sportel.floor.tasks import end_provider_session

    assert end_provider_session.call(row.pk, 3) == "nothing"
    assert AuditEntry.objects.filter(action="floor.kiosk_provider_logout").count() == 1


def test_the_worker_gives_up_when_the_id_token_has_expired(live_server, eid, kiosks):
    import time_machine
    from django.utils import timezone

    from sportel.floor.tasks import token_expiry

    try:
        _finish_with_the_provider_down(live_server, eid, kiosks)
        (first,) = _queued_provider_logouts()
        expires = token_expiry(KioskEidSession.objects.get().id_token)
        assert expires > timezone.now()
        # The waits never go past the token's expiry: the last attempt is at it.
        with time_machine.travel(expires - dt.timedelta(seconds=10), tick=False):
            assert _run(first) == "retry"
        (last,) = _queued_provider_logouts()
        assert last.run_after == expires
        with time_machine.travel(expires + dt.timedelta(seconds=1), tick=False):
            assert _run(last) == "expired"
    finally:
        eid.start()
    row = KioskEidSession.objects.get()
    assert row.provider_logout == "expired" and row.id_token == ""
    assert _queued_provider_logouts() == []


def test_a_kiosk_without_the_eid_function_neither_offers_nor_accepts_it(live_server, eid, kiosks):
    _device, token = kiosks["without"]
    start = browser().get(kiosk_url(live_server, token), timeout=10)
    assert start.status_code == 200 and "sign in with eID" not in start.text
    page = browser().get(kiosk_url(live_server, token, "sign-in/"), timeout=10)
    assert "Sign in with eID" not in page.text
    assert (
        browser().get(kiosk_url(live_server, token, "sign-in/eid/"), timeout=10).status_code == 404
    )
    # A kiosk's token opens its eID page only under its own municipality's path.
    _lezhe, lezhe_token = kiosks["lezhe"]
    foreign = browser().get(kiosk_url(live_server, lezhe_token, "sign-in/eid/"), timeout=10)
    assert foreign.status_code == 404
    own = browser().get(kiosk_url(live_server, lezhe_token, "sign-in/eid/", slug="lezhe"))
    assert own.status_code == 200


def test_no_eid_at_the_kiosk_when_the_eid_is_not_configured(client, kiosks):
    _device, token = kiosks["with"]
    client.cookies["django_language"] = "en"
    assert (
        "sign in with eID" not in client.get(f"/en/shkoder/floor/kiosk/{token}/").content.decode()
    )
    assert client.get(f"/en/shkoder/floor/kiosk/{token}/sign-in/eid/").status_code == 404


def test_a_kiosk_revoked_during_the_sign_in_signs_nobody_in(live_server, eid, kiosks, shkoder):
    device, token = kiosks["with"]
    kiosk = browser()
    authorize = start_at_kiosk(kiosk, kiosk_url(live_server, token, "sign-in/eid/"))
    callback = callback_after_login(kiosk, eid, authorize)
    from django.utils import timezone

    Device.objects.filter(pk=device.pk).update(revoked_at=timezone.now())
    answer = kiosk.get(callback, timeout=30)
    assert answer.status_code == 400
    assert "no longer offers signing in with the eID" in answer.text
    assert not KioskEidSession.objects.exists()
