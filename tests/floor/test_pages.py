"""The floor's pages and API as clerks, kiosks, screens and residents see them."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from sportel.accounts.roles import Role
from sportel.floor import selectors, services, workflow
from sportel.floor.models import Appointment, Device, Ticket

from .factories import category, counter, make_office


def url(name, municipality, **kwargs):
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


def device(office, kind, *, functions=None, admin):
    return services.register_device(
        office, kind=kind, name=f"{kind} 1", actor=admin, functions=functions
    )


@pytest.fixture
def admin(make_staff, shkoder):
    return make_staff(shkoder, Role.ADMINISTRATOR)


# --- the counter screen ---------------------------------------------------------------------


def test_clerk_signs_in_calls_next_and_serves(office, clerk, verified_client, shkoder):
    client = verified_client(clerk)
    page = client.get(url("floor-staff:counter", shkoder))
    assert "Zgjidhni sportelin tuaj" in page.content.decode() or page.status_code == 200
    response = client.post(url("floor-staff:sign-in", shkoder), {"counter": counter(office, 1).pk})
    assert response.status_code == 302
    services.issue_ticket(office, category=category(office, "A"), channel="kiosk", nid="J00101001C")
    page = client.get(url("floor-staff:counter", shkoder)).content.decode()
    assert "A-001" in page
    client.post(url("floor-staff:call-next", shkoder))
    page = client.get(url("floor-staff:counter", shkoder)).content.decode()
    assert 'data-ticket="A-001"' in page
    # The counter form of the services module, with the walk-in's NID filled in.
    assert "/staff/counter/?nid=J00101001C" in page
    ticket = Ticket.objects.get()
    client.post(url("floor-staff:ticket-action", shkoder, pk=ticket.pk, action="serve"))
    client.post(url("floor-staff:ticket-action", shkoder, pk=ticket.pk, action="done"))
    assert Ticket.objects.get().state == workflow.DONE


def test_second_counter_calling_the_same_ticket_gets_a_clear_message(
    at_counter, clerk, clerk2, verified_client, shkoder, client
):
    ticket = services.issue_ticket(at_counter, category=category(at_counter, "A"), channel="kiosk")
    services.call(ticket, actor=clerk, counter=counter(at_counter, 1))
    second = verified_client(clerk2)
    response = second.post(
        url("floor-staff:ticket-action", shkoder, pk=ticket.pk, action="call"), follow=True
    )
    assert "u thirr sapo te sporteli 1" in response.content.decode()
    assert Ticket.objects.get().counter.number == 1


def test_english_counter_message(at_counter, clerk, clerk2, verified_client, shkoder):
    ticket = services.issue_ticket(at_counter, category=category(at_counter, "A"), channel="kiosk")
    services.call(ticket, actor=clerk, counter=counter(at_counter, 1))
    response = verified_client(clerk2).post(
        "/en" + url("floor-staff:ticket-action", shkoder, pk=ticket.pk, action="call"), follow=True
    )
    assert "was just called at counter 1" in response.content.decode()


def test_reception_ticket_for_a_closed_queue_redisplays_with_the_error(
    office, clerk, verified_client, shkoder
):
    services.open_session(counter(office, 1), actor=clerk)  # serves A only
    response = verified_client(clerk).post(
        "/en" + url("floor-staff:reception", shkoder),
        {"reception-category": category(office, "B").pk, "reception-nid": "J00101001C"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "No counter serving" in body
    assert 'value="J00101001C"' in body  # nothing the clerk typed is lost
    assert not Ticket.objects.exists()


def test_transfer_to_a_counter_of_another_office_is_refused_on_the_page(
    at_counter, clerk, verified_client, shkoder
):
    other = make_office(shkoder, slug="zyra-2", name="Zyra Dy")
    ticket = services.issue_ticket(at_counter, category=category(at_counter, "A"), channel="kiosk")
    services.call(ticket, actor=clerk, counter=counter(at_counter, 1))
    response = verified_client(clerk).post(
        "/en" + url("floor-staff:ticket-action", shkoder, pk=ticket.pk, action="transfer"),
        {"to_counter": counter(other, 2).pk},
        follow=True,
    )
    assert "only transfer to a counter of the same office" in response.content.decode()
    assert Ticket.objects.get().state == workflow.CALLED


def test_office_status_and_reports(at_counter, clerk, make_staff, verified_client, shkoder):
    ticket = services.issue_ticket(at_counter, category=category(at_counter, "A"), channel="kiosk")
    for name in ("call", "serve", "done"):
        ticket = getattr(services, name)(ticket, actor=clerk, counter=counter(at_counter, 1))
    manager = verified_client(make_staff(shkoder, Role.MANAGER))
    page = manager.get(url("floor-staff:office-status", shkoder, office=at_counter.slug))
    assert page.status_code == 200
    assert page.context["status"]["served_today"] == 1
    csv = manager.get(url("floor-staff:report", shkoder, fmt="csv")).content.decode("utf-8-sig")
    assert "zyra-qendrore" in csv.splitlines()[1]
    assert "J0010" not in csv
    xlsx = manager.get(url("floor-staff:report", shkoder, fmt="xlsx"))
    assert xlsx.content[:2] == b"PK"
    bad = manager.get(url("floor-staff:report", shkoder, fmt="csv") + "?from=yesterday")
    assert bad.status_code == 400


# --- devices: screens and kiosks --------------------------------------------------------------


def test_screen_shows_the_call_and_the_waits(at_counter, clerk, admin, client, shkoder):
    _screen, token = device(at_counter, "screen", admin=admin)
    services.issue_ticket(at_counter, category=category(at_counter, "A"), channel="kiosk")
    services.call_next(counter(at_counter, 1), actor=clerk)
    state = client.get(url("floor:screen-state", shkoder, token=token)).json()
    assert state["calls"][0]["number"] == "A-001"
    assert state["calls"][0]["counter"] == 1
    assert {w["letter"] for w in state["waits"]} == {"A", "B"}
    page = client.get(url("floor:screen", shkoder, token=token))
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert "A-001" in page.content.decode()


def test_a_shkoder_screen_token_shows_nothing_of_lezhe(at_counter, admin, client, lezhe, shkoder):
    _screen, token = device(at_counter, "screen", admin=admin)
    assert client.get(url("floor:screen", lezhe, token=token)).status_code == 404
    assert client.get(url("floor:screen-state", lezhe, token=token)).status_code == 404
    api = client.get(f"/api/v1/municipalities/{lezhe.slug}/screen", HTTP_X_DEVICE_TOKEN=token)
    assert api.status_code == 401


def test_a_revoked_screen_is_refused_with_a_message(at_counter, admin, client, shkoder):
    screen, token = device(at_counter, "screen", admin=admin)
    services.revoke_device(screen, actor=admin)
    page = client.get("/en" + url("floor:screen", shkoder, token=token))
    assert page.status_code == 403
    assert "revoked" in page.content.decode()
    assert (
        client.get(url("floor:screen-state", shkoder, token=token)).json()["code"]
        == "device_revoked"
    )


def test_kiosk_takes_a_ticket_with_a_priority_and_prints_it(at_counter, admin, client, shkoder):
    _kiosk, token = device(at_counter, "kiosk", admin=admin)
    start = client.get(url("floor:kiosk", shkoder, token=token))
    assert start.status_code == 200
    response = client.post(
        url("floor:kiosk-ticket", shkoder, token=token),
        {"category": category(at_counter, "A").pk, "priority": "elderly"},
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert (ticket.priority, ticket.channel, ticket.rank) == ("elderly", "kiosk", 2)
    slip = client.get(response["Location"])
    assert "A-001" in slip.content.decode()
    assert slip["Cache-Control"] == "no-store"
    assert "sessionid" not in client.cookies  # nothing of the resident is kept on the kiosk


def test_kiosk_without_the_ticket_function_does_not_offer_it(at_counter, admin, client, shkoder):
    _kiosk, token = device(at_counter, "kiosk", admin=admin, functions=["check_in"])
    assert client.get(url("floor:kiosk-ticket", shkoder, token=token)).status_code == 404


def test_revoked_kiosk_takes_no_ticket(at_counter, admin, client, shkoder):
    kiosk, token = device(at_counter, "kiosk", admin=admin)
    services.revoke_device(kiosk, actor=admin)
    response = client.post(
        url("floor:kiosk-ticket", shkoder, token=token), {"category": category(at_counter, "A").pk}
    )
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_admin_registers_a_device_and_sees_its_address_once(
    admin, office, verified_client, shkoder
):
    client = verified_client(admin)
    response = client.post(
        url("floor-staff:devices", shkoder),
        {"office": office.pk, "kind": "screen", "name": "Ekrani 1", "idle_seconds": 60},
    )
    assert response.status_code == 200
    device_url = response.context["new_token"]["url"]
    assert "/shkoder/floor/screen/" in device_url
    token = device_url.rstrip("/").rsplit("/", 1)[1]
    assert Device.objects.get().token_hash == Device.hash_token(token)
    again = client.get(url("floor-staff:devices", shkoder)).content.decode()
    assert token not in again


# --- appointments -----------------------------------------------------------------------------


def _future_slot(cat, *, days=1, index=4):
    return selectors.slots(cat, timezone.localdate() + dt.timedelta(days=days))[index]


def test_booking_over_capacity_is_refused(office):
    cat = category(office, "A")  # two per slot
    slot = _future_slot(cat)
    services.book_appointment(cat, slot_start=slot)
    services.book_appointment(cat, slot_start=slot)
    with pytest.raises(Exception) as refused:
        services.book_appointment(cat, slot_start=slot)
    assert refused.value.error_dict["slot"][0].code == "slot_full"
    assert Appointment.objects.count() == 2


def test_booking_in_the_past_is_refused(office):
    cat = category(office, "A")
    with pytest.raises(Exception) as refused:
        services.book_appointment(cat, slot_start=_future_slot(cat, days=-1))
    assert refused.value.error_dict["slot"][0].code == "past"


def test_cancel_and_rebook_free_the_slot(office):
    cat = category(office, "A")
    first, second = _future_slot(cat, index=4), _future_slot(cat, index=5)
    booked = services.book_appointment(cat, slot_start=first)
    moved = services.rebook_appointment(booked, slot_start=second)
    assert Appointment.objects.get(pk=booked.pk).state == "cancelled"
    assert moved.rebooked_from_id == booked.pk
    assert dict(selectors.free_slots(cat, first.date()))[first] == 2


def test_checked_in_appointment_is_called_before_walk_ins(at_counter, clerk):
    cat = category(at_counter, "A")
    now = timezone.now()
    walk_in = services.issue_ticket(
        at_counter, category=cat, channel="kiosk", priority="disability"
    )
    slot = now + dt.timedelta(minutes=10)
    appointment = Appointment.objects.create(
        municipality=at_counter.municipality,
        office=at_counter,
        category=cat,
        slot_start=slot,
        code="BOOK01",
    )
    ticket = services.check_in(appointment)
    assert ticket.rank == 0
    called = services.call_next(counter(at_counter, 1), actor=clerk)
    assert called.pk == ticket.pk
    assert services.call_next(counter(at_counter, 1), actor=clerk).pk == walk_in.pk


def test_check_in_too_late_is_refused(at_counter):
    cat = category(at_counter, "A")
    appointment = Appointment.objects.create(
        municipality=at_counter.municipality,
        office=at_counter,
        category=cat,
        slot_start=timezone.now() - dt.timedelta(hours=1),
        code="LATE01",
    )
    with pytest.raises(Exception) as refused:
        services.check_in(appointment)
    assert refused.value.error_dict["code"][0].code == "too_late"
    assert not Ticket.objects.exists()


def test_resident_books_on_the_page(office, verified_client, shkoder):
    from tests.services.factories import CitizenFactory

    citizen = CitizenFactory()
    client = verified_client(citizen)
    page = client.get(url("floor:appointments", shkoder))
    assert page.status_code == 200
    slot = page.context["form"].fields["slot"].choices[0][0]
    response = client.post(
        url("floor:appointments", shkoder), {"category": category(office, "A").pk, "slot": slot}
    )
    assert response.status_code == 302
    assert Appointment.objects.get().user == citizen


# --- the API ----------------------------------------------------------------------------------


def test_offices_api_lists_hours_and_waits_without_personal_data(at_counter, client, shkoder):
    services.issue_ticket(
        at_counter, category=category(at_counter, "A"), channel="kiosk", nid="J00101001C"
    )
    body = client.get(f"/api/v1/municipalities/{shkoder.slug}/offices").json()
    assert body[0]["slug"] == "zyra-qendrore"
    assert body[0]["opening_hours"][0]["hours"] == [["00:00", "23:59:59"]]
    queue_a = body[0]["categories"][0]
    assert (queue_a["letter"], queue_a["waiting"], queue_a["counters_open"]) == ("A", 1, 2)
    assert queue_a["expected_wait_minutes"] == 3  # 1 × 6 min / 2 counters
    assert "J00101001C" not in json.dumps(body)


def test_kiosk_api_issues_and_a_revoked_token_is_refused(at_counter, admin, client, shkoder):
    kiosk, token = device(at_counter, "kiosk", admin=admin)
    path = f"/api/v1/municipalities/{shkoder.slug}/offices/{at_counter.slug}/tickets"
    made = client.post(
        path,
        {"category": "A", "priority": "infant"},
        content_type="application/json",
        HTTP_X_DEVICE_TOKEN=token,
    )
    assert made.status_code == 201
    assert made.json()["number"] == "A-001"
    services.revoke_device(kiosk, actor=admin)
    refused = client.post(
        path, {"category": "A"}, content_type="application/json", HTTP_X_DEVICE_TOKEN=token
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "device_revoked"
    assert Ticket.objects.count() == 1


def test_api_ticket_for_a_closed_queue_is_a_400_in_the_error_shape(
    office, clerk, admin, client, shkoder
):
    services.open_session(counter(office, 1), actor=clerk)
    _kiosk, token = device(office, "kiosk", admin=admin)
    path = f"/api/v1/municipalities/{shkoder.slug}/offices/{office.slug}/tickets?lang=en"
    response = client.post(
        path, {"category": "B"}, content_type="application/json", HTTP_X_DEVICE_TOKEN=token
    )
    assert response.status_code == 400
    assert "No counter serving" in response.json()["errors"]["category"][0]


def test_api_double_call_is_a_409(at_counter, clerk, clerk2, verified_client, shkoder):
    ticket = services.issue_ticket(at_counter, category=category(at_counter, "A"), channel="kiosk")
    services.call(ticket, actor=clerk, counter=counter(at_counter, 1))
    response = verified_client(clerk2).post(
        f"/api/v1/municipalities/{shkoder.slug}/tickets/{ticket.code}/actions/call",
        {"counter_id": counter(at_counter, 2).pk},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_called"


def test_resident_joins_the_queue_online_and_follows_the_ticket(
    at_counter, verified_client, shkoder
):
    from tests.services.factories import CitizenFactory

    client = verified_client(CitizenFactory())
    join = "/en/shkoder/floor/join/"
    page = client.get(join)
    assert "Civil status" in page.content.decode()
    response = client.post(join, {"category": category(at_counter, "A").pk})
    ticket = Ticket.objects.get()
    assert ticket.channel == "online"
    assert response["Location"].endswith(f"/floor/tickets/{ticket.code}/")
    followed = client.get(response["Location"])
    assert followed.status_code == 200, followed.status_code
    assert followed.context["ticket"].number == "A-001"
    assert "Ahead of you" in followed.content.decode()


def test_joining_a_queue_with_no_counter_open_says_so(office, verified_client, shkoder):
    from tests.services.factories import CitizenFactory

    client = verified_client(CitizenFactory())
    response = client.post(
        "/en" + url("floor:join", shkoder), {"category": category(office, "A").pk}, follow=True
    )
    assert "No counter serving" in response.content.decode()
    assert not Ticket.objects.exists()
