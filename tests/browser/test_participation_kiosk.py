"""Voting at a kiosk in a real browser, axe-core on every page: a resident signs in with their
personal number and the SMS code, votes, and finishes (Albanian, portrait 1080×1920); in English
on a narrow kiosk, a kiosk left alone goes back to its start screen."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportel.accounts.roles import Role
from sportel.core.identifiers import with_check_letter
from sportel.floor import services as floor
from sportel.participation.models import Ballot, Budget, Project
from tests.floor.factories import make_office

PORTRAIT = {"width": 1080, "height": 1920}
PHONE = "+355691230000"
NID = with_check_letter("J12345682")


@pytest.fixture
def kiosk_setup(transactional_db, shkoder, make_staff):
    from django.core.cache import cache

    from sportel.accounts.models import User
    from sportel.core.models import Person

    cache.clear()
    user = User.objects.create_user(
        "arben.kiosk@test.sportel.al",
        password="a-long-test-password",
        full_name="Arben Kola",
        nid=NID,
        nid_verified=True,
        nid_verified_via="counter",
        nid_verified_at=timezone.now(),
        phone=PHONE,
        confirmed_at="2026-01-01T00:00:00Z",
    )
    Person.objects.create(municipality=shkoder, nid=NID, first_name="Arben", last_name="Kola")
    start = timezone.now() - timedelta(days=1)
    budget = Budget.objects.create(
        municipality=shkoder,
        slug="bp-kioske",
        title="Buxheti me pjesëmarrje 2027",
        amount=Decimal(10_000_000),
        max_projects=2,
        information_starts=start - timedelta(days=30),
        proposals_start=start - timedelta(days=20),
        review_starts=start - timedelta(days=10),
        voting_starts=start,
        voting_ends=start + timedelta(days=14),
        implementation_starts=start + timedelta(days=60),
    )
    for number, (title, cost) in enumerate(
        (("Ndriçim në rrugën e shkollës", 3_000_000), ("Kënd lojërash", 4_000_000)), start=1
    ):
        Project.objects.create(
            budget=budget,
            number=number,
            title=title,
            cost=Decimal(cost),
            review=Project.Review.FEASIBLE,
        )
    office = make_office(shkoder)
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    device, token = floor.register_device(office, kind="kiosk", name="Kioska", actor=admin)
    return {"user": user, "budget": budget, "device": device, "token": token}


def kiosk_page(browser, live_server, viewport, *, locale):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport)
    context.set_default_timeout(10_000)
    return context.new_page()


def sms_code() -> str:
    from sportel.core.models import Notification

    body = Notification.objects.filter(recipient=PHONE, channel="sms").latest("pk").body
    return re.search(r"\b(\d{6})\b", body).group(1)


def sign_in(kiosk, accessible):
    kiosk.locator("#id_nid").fill(NID)
    kiosk.locator("#send-code").click()
    kiosk.wait_for_url("**/sign-in/code/")
    accessible(kiosk)
    kiosk.locator("#id_code").fill(sms_code())
    kiosk.locator("#sign-in").click()
    kiosk.wait_for_url("**/documents/")


def test_a_resident_votes_at_a_portrait_kiosk_in_albanian(
    browser, live_server, accessible, kiosk_setup
):
    token, budget = kiosk_setup["token"], kiosk_setup["budget"]
    kiosk = kiosk_page(browser, live_server, PORTRAIT, locale="sq-AL")
    kiosk.goto(f"/shkoder/floor/kiosk/{token}/")
    accessible(kiosk)
    kiosk.get_by_role("link", name="Votoni në një buxhet me pjesëmarrje").click()
    kiosk.wait_for_url("**/sign-in/")
    accessible(kiosk)
    sign_in(kiosk, accessible)
    kiosk.get_by_role("link", name="Votoni në një buxhet me pjesëmarrje").click()
    kiosk.wait_for_url(f"**/participation/kiosk/{token}/")
    accessible(kiosk)
    kiosk.get_by_role("link", name=f"Votoni: {budget.title}").click()
    accessible(kiosk)
    kiosk.get_by_label("Ndriçim në rrugën e shkollës").check()
    kiosk.get_by_label("Kënd lojërash").check()
    kiosk.screenshot(path="docs/screenshots/participation-kiosk-vote-sq.png")
    kiosk.locator("#cast").click()
    kiosk.wait_for_url("**/done/")
    assert "Vota juaj u regjistrua" in kiosk.locator("#voted").inner_text()
    accessible(kiosk)
    ballot = Ballot.objects.get(budget=budget)
    assert ballot.channel == "kiosk" and ballot.projects.count() == 2
    kiosk.locator("#finish").click()
    kiosk.wait_for_url(f"**/shkoder/floor/kiosk/{token}/")
    # Logged out: the next person at the kiosk is asked to sign in again.
    kiosk.goto(f"/shkoder/participation/kiosk/{token}/")
    kiosk.wait_for_url("**/sign-in/")


def test_in_english_on_a_narrow_kiosk_a_refused_ballot_and_an_idle_kiosk(
    browser, live_server, accessible, kiosk_setup
):
    from sportel.floor.models import Device

    token, budget = kiosk_setup["token"], kiosk_setup["budget"]
    Budget.objects.filter(pk=budget.pk).update(max_projects=1)
    kiosk = kiosk_page(browser, live_server, {"width": 320, "height": 640}, locale="en-GB")
    kiosk.goto(f"/en/shkoder/participation/kiosk/{token}/")
    kiosk.wait_for_url("**/sign-in/")
    sign_in(kiosk, accessible)
    kiosk.goto(f"/en/shkoder/participation/kiosk/{token}/budgets/{budget.slug}/")
    accessible(kiosk)
    assert kiosk.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    kiosk.get_by_label("Ndriçim në rrugën e shkollës").check()
    kiosk.get_by_label("Kënd lojërash").check()
    kiosk.locator("#cast").click()
    expect(kiosk.locator(".govuk-error-summary")).to_contain_text(
        "You chose 2 projects; at most 1 are allowed.", use_inner_text=True
    )
    accessible(kiosk)
    assert not Ballot.objects.exists()
    # Left alone, the kiosk goes back to its start screen (the device's idle time).
    Device.objects.filter(pk=kiosk_setup["device"].pk).update(idle_seconds=2)
    kiosk.goto(f"/en/shkoder/participation/kiosk/{token}/budgets/{budget.slug}/")
    kiosk.wait_for_url(f"**/en/shkoder/floor/kiosk/{token}/", timeout=6000)
