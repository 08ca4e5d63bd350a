"""The one-stop shop's floor in a real browser, axe-core on every page visited:

- a resident takes a ticket with a priority at a portrait kiosk (1080×1920); the 1920×1080
  screen calls it within a second of the clerk's "call next"; the clerk serves it, files an
  instant certificate through the services counter form (the walk-in's NID pre-filled, the case
  linked to the ticket) and finishes; the manager's office status shows the service;
- an appointment checked in at the kiosk is called before an earlier walk-in; the screen keeps
  working through a lost connection; a kiosk left idle is back at its start screen with the
  previous person's input gone (English, 320 px and 1920×1080).
"""

import datetime as dt
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportel.accounts.roles import Role
from sportel.floor import services as floor
from sportel.floor.models import Appointment, Device, Ticket, TicketCase
from sportel.services.models import Case, ServiceType
from tests.accounts.helpers import browser_staff_login
from tests.floor.factories import category, counter, make_office
from tests.services.factories import new_nid

PORTRAIT = {"width": 1080, "height": 1920}
TV = {"width": 1920, "height": 1080}


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def floor_office(transactional_db, shkoder, seal_keys, make_staff):
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    office = make_office(shkoder)
    category(office, "A").services.set(
        ServiceType.objects.filter(municipality=shkoder, code="family-certificate")
    )
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    _screen, screen_token = floor.register_device(office, kind="screen", name="Ekrani", actor=admin)
    _kiosk, kiosk_token = floor.register_device(office, kind="kiosk", name="Kioska", actor=admin)
    office.tokens = {"screen": screen_token, "kiosk": kiosk_token}
    return office


def device_page(browser, live_server, viewport, *, locale="sq-AL"):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    return page


def test_ticket_at_the_kiosk_called_on_the_screen_served_at_the_counter(
    page, browser, live_server, accessible, floor_office, make_staff, shkoder
):
    office = floor_office
    clerk = make_staff(shkoder, Role.CLERK)
    # The clerk signs in at counter 1 (the kiosk refuses tickets for a queue nobody serves).
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_staff_login(page, clerk)
    page.wait_for_url("**/shkoder/staff/")
    page.goto("/shkoder/staff/floor/counter/")
    accessible(page)
    page.locator("form", has=page.locator(f"input[value='{counter(office, 1).pk}']")).get_by_role(
        "button"
    ).click()
    expect(page.locator("h1")).to_contain_text("Sporteli 1", use_inner_text=True)
    accessible(page)

    screen = device_page(browser, live_server, TV)
    screen.goto(f"/shkoder/floor/screen/{office.tokens['screen']}/")
    accessible(screen)

    kiosk = device_page(browser, live_server, PORTRAIT)
    kiosk.goto(f"/shkoder/floor/kiosk/{office.tokens['kiosk']}/")
    accessible(kiosk)
    kiosk.get_by_role("link", name="Merrni një biletë").click()
    accessible(kiosk)
    kiosk.get_by_label("A — Gjendja civile").check()
    kiosk.get_by_label("Person i moshuar").check()
    nid = new_nid()
    kiosk.locator("#id_nid").fill(nid)
    kiosk.get_by_role("button", name="Printo biletën time").click()
    kiosk.wait_for_url("**/tickets/**")
    assert kiosk.locator("#slip-number").inner_text().endswith("A-001")
    accessible(kiosk)
    ticket = Ticket.objects.get()
    assert (ticket.priority, ticket.nid, ticket.channel) == ("elderly", nid, "kiosk")

    # "Call next": the screen shows A-001 at counter 1 within a second.
    page.reload()
    page.get_by_role("button", name="Thirr tjetrin").click()
    page.wait_for_load_state()
    called = time.monotonic()
    screen.locator("tr[data-call] td", has_text="A-001").wait_for(timeout=1000)
    assert time.monotonic() - called < 1.0
    row = screen.locator("tr.floor-screen__latest")
    assert row.locator("td").nth(1).inner_text() == "1"
    accessible(screen)

    # The clerk serves: the services counter form opens with the walk-in's NID filled in.
    page.get_by_role("button", name="Fillo shërbimin").click()
    accessible(page)
    page.locator("#counter-form").click()
    expect(page.locator("#id_nid")).to_have_value(nid)
    page.locator("#id_first_name").fill("Drita")
    page.locator("#id_last_name").fill("Marku")
    page.get_by_label("letërnjoftim").check()
    page.get_by_role("button", name="Vazhdo").click()
    # The kiosk's ticket named no service: the clerk picks it with the resident.
    page.wait_for_url("**/counter/services/")
    page.get_by_role("link", name="Certifikatë familjare").click()
    page.wait_for_url("**/counter/apply/family-certificate/")
    page.locator("#id_purpose").fill("Për shkollën")
    page.locator("#id_fee_paid").check()
    page.get_by_role("button", name="Dërgo për aplikantin").click()
    page.wait_for_url("**/receipt/")
    case = Case.objects.get()
    assert case.document_code  # the instant certificate is issued
    assert TicketCase.objects.get().case == case  # and filed on the ticket's visit

    page.goto("/shkoder/staff/floor/counter/")
    assert case.number in page.locator("#ticket-cases").inner_text()
    page.get_by_role("button", name="Përfundo").click()
    assert Ticket.objects.get().state == "done"
    accessible(page)

    manager = make_staff(shkoder, Role.MANAGER)
    status = device_page(browser, live_server, {"width": 1280, "height": 900})
    browser_staff_login(status, manager)
    status.wait_for_url("**/shkoder/staff/")
    status.goto(f"/shkoder/staff/floor/offices/{office.slug}/")
    assert status.locator("#served-today").inner_text() == "1"
    assert status.locator("#median-wait").inner_text() != "—"
    assert "1" in status.locator("#counters").inner_text()
    accessible(status)


def test_appointment_first_screen_recovers_and_the_idle_kiosk_forgets(
    browser, live_server, accessible, floor_office, make_staff, shkoder
):
    office = floor_office
    clerk = make_staff(shkoder, Role.CLERK)
    floor.open_session(counter(office, 1), actor=clerk)
    Device.objects.filter(kind="kiosk").update(idle_seconds=2)
    walk_in = floor.issue_ticket(office, category=category(office, "A"), channel="kiosk")
    appointment = Appointment.objects.create(
        municipality=shkoder,
        office=office,
        category=category(office, "A"),
        slot_start=timezone.now() + dt.timedelta(minutes=10),
        code="BOOK42",
    )

    # English, on a narrow phone-sized kiosk window: check in with the booking code.
    kiosk = device_page(browser, live_server, {"width": 320, "height": 640}, locale="en-GB")
    kiosk.goto(f"/en/shkoder/floor/kiosk/{office.tokens['kiosk']}/")
    accessible(kiosk)
    kiosk.get_by_role("link", name="I have an appointment").click()
    kiosk.locator("#id_code").fill("nope")
    kiosk.get_by_role("button", name="Check in").click()
    expect(kiosk.locator("main")).to_contain_text(
        "cannot find this booking code", use_inner_text=True
    )
    accessible(kiosk)
    kiosk.locator("#id_code").fill(appointment.code.lower())
    kiosk.get_by_role("button", name="Check in").click()
    kiosk.wait_for_url("**/tickets/**")
    accessible(kiosk)
    assert floor.call_next(counter(office, 1), actor=clerk).appointment == Appointment.objects.get()

    # A screen in English that loses its server for a while says so, then carries on.
    screen = device_page(browser, live_server, TV, locale="en-GB")
    screen.goto(f"/en/shkoder/floor/screen/{office.tokens['screen']}/")
    accessible(screen)
    screen.route("**/state.json", lambda route: route.abort())
    screen.locator("#screen-status", has_text="Reconnecting").wait_for()
    floor.call(walk_in, actor=clerk, counter=counter(office, 2))
    screen.unroute("**/state.json")
    screen.locator("tr[data-call] td", has_text=walk_in.number).wait_for(timeout=6000)
    assert screen.locator("#screen-status").inner_text() == ""

    # Idle: the next person finds the start screen, not the previous person's half-typed ticket.
    kiosk.goto(f"/en/shkoder/floor/kiosk/{office.tokens['kiosk']}/ticket/")
    kiosk.locator("#id_nid").fill("J00101001C")
    kiosk.wait_for_url(f"**/en/shkoder/floor/kiosk/{office.tokens['kiosk']}/", timeout=5000)
    assert kiosk.locator("#id_nid").count() == 0
    assert "Welcome" in kiosk.locator("h1").inner_text()
    accessible(kiosk)

    # The portrait kiosk and the TV screen in Albanian read as well.
    portrait = device_page(browser, live_server, PORTRAIT)
    portrait.goto(f"/shkoder/floor/kiosk/{office.tokens['kiosk']}/check-in/")
    accessible(portrait)
    tv = device_page(browser, live_server, PORTRAIT)
    tv.goto(f"/shkoder/floor/screen/{office.tokens['screen']}/")
    accessible(tv)


def test_a_resident_pays_a_bill_at_the_portrait_kiosk_and_a_hung_provider_is_explained(
    browser, live_server, accessible, floor_office, shkoder, settings, tmp_path
):
    """Albanian at the 1080×1920 kiosk: sign in with the NID and the SMS code, pay, print the
    receipt; English: the provider hangs, the kiosk says not to pay again; axe on every page."""
    from sportel.floor.models import KioskPayment
    from sportel.revenue.models import Payment
    from tests.floor.test_kiosk_pay import Acquirer, owner_with_bill
    from tests.floor.test_kiosk_sign_in import NID, resident, sent_code

    user = resident()
    bill = owner_with_bill(shkoder, user)
    token = floor_office.tokens["kiosk"]

    kiosk = device_page(browser, live_server, PORTRAIT)
    kiosk.goto(f"/shkoder/floor/kiosk/{token}/")
    kiosk.locator("#pay-taxes").click()
    kiosk.locator("#id_nid").fill(NID)
    kiosk.locator("#send-code").click()
    kiosk.locator("#id_code").fill(sent_code())
    accessible(kiosk)
    kiosk.locator("#sign-in").click()
    kiosk.wait_for_url(f"**/shkoder/floor/kiosk/{token}/pay/")
    assert "Paguani taksat dhe tarifat tuaja" in kiosk.locator("h1").inner_text()
    assert bill.reference[:4] in kiosk.locator("#kiosk-bills").inner_text().replace(" ", "")
    accessible(kiosk)
    kiosk.screenshot(path=str(tmp_path / "kiosk-pay-sq.png"))
    kiosk.locator("#kiosk-bills button").first.click()
    kiosk.wait_for_url("**/receipt/")
    assert "Mandat pagese" in kiosk.locator(".floor-slip").inner_text()
    accessible(kiosk)
    kiosk.screenshot(path=str(tmp_path / "kiosk-receipt-sq.png"), full_page=True)
    assert Payment.objects.count() == 1
    kiosk.locator("#finish").click()
    kiosk.wait_for_url(f"**/shkoder/floor/kiosk/{token}/")

    # English, a second bill, and a provider that hangs past the timeout.
    other = owner_with_bill(shkoder, user)
    acquirer = Acquirer()
    acquirer.mode = "hang"
    settings.SPORTEL_KIOSK_PAYMENT_URL = acquirer.url
    settings.SPORTEL_KIOSK_PAYMENT_TIMEOUT = 0.5
    try:
        english = device_page(browser, live_server, PORTRAIT, locale="en-GB")
        english.goto(f"/en/shkoder/floor/kiosk/{token}/pay/")
        english.locator("#id_nid").fill(NID)
        english.locator("#send-code").click()
        english.locator("#id_code").fill(sent_code())
        english.locator("#sign-in").click()
        english.wait_for_url(f"**/en/shkoder/floor/kiosk/{token}/pay/")
        english.locator("#kiosk-bills button").first.click()
        english.locator("#pay-outcome").wait_for()
        assert "Do not pay this bill again now" in english.locator("#pay-outcome").inner_text()
        accessible(english)
        english.screenshot(path=str(tmp_path / "kiosk-hung-en.png"), full_page=True)
    finally:
        acquirer.server.shutdown()
        acquirer.server.server_close()
    assert KioskPayment.objects.get(reference=other.reference).state == "unknown"
    assert Payment.objects.count() == 1
    print("screenshots in", tmp_path)
