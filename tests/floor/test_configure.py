"""The administrator sets up offices, queues and counters on pages: validation, audit, tenancy."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.floor import configuration, selectors, services
from sportel.floor.models import Counter, Office, QueueCategory, Ticket
from sportel.services.models import ServiceType

from .factories import category, counter


def url(name, municipality, **kwargs):
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@pytest.fixture
def admin(make_staff, shkoder):
    return make_staff(shkoder, Role.ADMINISTRATOR)


def office_post(unit, **overrides):
    data = {
        "name_sq": "Zyra e Postribës",
        "name_en": "Postribë office",
        "slug": "postribe",
        "unit": unit.pk,
        "address": "Rruga Kryesore 1",
        "hours_0": "08:00-12:00, 13:00-16:00",
        "hours_4": "08:00-14:00",
        "priority_1": "elderly",
        "priority_2": "disability",
        "priority_3": "infant",
        "priority_4": "pregnant",
    }
    data.update(overrides)
    return data


def test_administrator_creates_an_office_with_hours_and_priority_order(
    admin, verified_client, shkoder
):
    client = verified_client(admin)
    unit = shkoder.units.first()
    page = client.get(url("floor-staff:configure", shkoder))
    assert page.status_code == 200
    response = client.post(url("floor-staff:configure", shkoder), office_post(unit))
    assert response.status_code == 302
    office = Office.objects.get(municipality=shkoder, slug="postribe")
    assert office.unit == unit
    assert office.opening_hours == {
        "0": [["08:00", "12:00"], ["13:00", "16:00"]],
        "4": [["08:00", "14:00"]],
    }
    assert office.priority_order == ["elderly", "disability", "infant", "pregnant"]
    entry = AuditEntry.objects.get(action="floor.office_create")
    assert entry.data["office"] == "postribe"
    page = client.get(response["Location"]).content.decode()
    assert "Zyra e Postribës" in page and "08:00-12:00, 13:00-16:00" in page
    # The public offices list shows the hours the administrator set.
    assert selectors.hours_text(office).count("08:00") == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours_0": "8 to 4"}, "08:00-16:00"),
        ({"hours_0": "16:00-08:00"}, "ends before it starts"),
        ({"hours_0": "08:00-12:00, 11:00-16:00"}, "overlap"),
        ({"priority_2": "elderly"}, "exactly once"),
        ({"name_sq": ""}, "name in Albanian"),
    ],
)
def test_bad_office_input_redisplays_with_the_error_and_writes_nothing(
    admin, verified_client, shkoder, overrides, message
):
    client = verified_client(admin)
    client.cookies["django_language"] = "en"
    response = client.post(
        "/en" + url("floor-staff:configure", shkoder),
        office_post(shkoder.units.first(), **overrides),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Rruga Kryesore 1" in page  # nothing the administrator typed is lost
    assert not Office.objects.filter(municipality=shkoder).exists()
    assert not AuditEntry.objects.filter(action="floor.office_create").exists()


def test_a_unit_of_another_municipality_is_refused(admin, shkoder, lezhe):
    with pytest.raises(ValidationError) as refused:
        configuration.save_office(
            shkoder,
            actor=admin,
            data={
                "name_sq": "Zyra",
                "unit": lezhe.units.first().pk,
                "hours": [""] * 7,
                "priority_order": ["elderly", "disability", "infant", "pregnant"],
            },
        )
    assert "unit" in refused.value.error_dict
    assert not Office.objects.exists()


def test_changing_the_priority_order_changes_who_is_called_first(office, admin, clerk):
    data = {
        "name_sq": office.name_sq,
        "name_en": office.name_en,
        "unit": office.unit_id,
        "hours": [configuration.hours_as_text(office, d) for d in range(7)],
        "priority_order": ["infant", "elderly", "disability", "pregnant"],
    }
    configuration.save_office(office.municipality, actor=admin, data=data, office=office)
    office.refresh_from_db()
    queue = category(office, "A")
    services.open_session(counter(office, 1), actor=clerk)
    disabled = services.issue_ticket(office, category=queue, channel="kiosk", priority="disability")
    infant = services.issue_ticket(office, category=queue, channel="kiosk", priority="infant")
    called = services.call_next(counter(office, 1), actor=clerk)
    assert called.pk == infant.pk != disabled.pk
    entry = AuditEntry.objects.get(action="floor.office_change")
    assert "priority_order" in entry.data["changed"] and "name_en" not in entry.data["changed"]


def test_administrator_adds_a_queue_with_its_services_and_a_counter_serving_it(
    office, admin, clerk, verified_client, shkoder
):
    service = ServiceType.objects.create(municipality=shkoder, code="residence-certificate")
    client = verified_client(admin)
    response = client.post(
        url("floor-staff:configure-new-category", shkoder, office=office.slug),
        {
            "letter": "c",
            "name_sq": "Vërtetime",
            "name_en": "Certificates",
            "services": [service.pk],
            "default_service_minutes": "5",
            "slot_minutes": "15",
            "slot_capacity": "2",
            "order": "30",
        },
    )
    assert response.status_code == 302
    queue = QueueCategory.objects.get(office=office, letter="C")
    assert list(queue.services.all()) == [service]
    response = client.post(
        url("floor-staff:configure-new-counter", shkoder, office=office.slug),
        {"number": "4", "categories": [queue.pk], "is_active": "on"},
    )
    assert response.status_code == 302
    desk = Counter.objects.get(office=office, number=4)
    assert list(desk.categories.all()) == [queue]
    page = client.get(url("floor-staff:configure-office", shkoder, office=office.slug))
    assert "Vërtetime" in page.content.decode()
    # The new queue works: a clerk at the new counter takes its tickets.
    services.open_session(desk, actor=clerk)
    ticket = services.issue_ticket(office, category=queue, channel="kiosk")
    assert ticket.number == "C-001"
    assert services.call_next(desk, actor=clerk).pk == ticket.pk
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"floor.category_create", "floor.counter_create"} <= actions


def test_queue_and_counter_refusals(office, lezhe_office, admin, clerk, lezhe):
    foreign_service = ServiceType.objects.create(municipality=lezhe, code="x")
    good = {
        "letter": "A",
        "name_sq": "Dyfish",
        "default_service_minutes": 6,
        "slot_minutes": 15,
        "slot_capacity": 0,
        "order": 10,
    }
    with pytest.raises(ValidationError) as refused:
        configuration.save_category(office, actor=admin, data=good)
    assert "letter" in refused.value.error_dict  # A is taken in this office
    with pytest.raises(ValidationError) as refused:
        configuration.save_category(
            office, actor=admin, data={**good, "letter": "D", "services": [foreign_service.pk]}
        )
    assert "services" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        configuration.save_counter(
            office,
            actor=admin,
            data={"number": 9, "categories": [category(lezhe_office, "A").pk]},
        )
    assert "categories" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        configuration.save_counter(
            office, actor=admin, data={"number": 2, "categories": [category(office, "A").pk]}
        )
    assert "number" in refused.value.error_dict
    desk = counter(office, 1)
    services.open_session(desk, actor=clerk)
    with pytest.raises(ValidationError) as refused:
        configuration.save_counter(
            office,
            actor=admin,
            counter=desk,
            data={"number": 1, "categories": [category(office, "A").pk], "is_active": False},
        )
    assert "is_active" in refused.value.error_dict
    assert Counter.objects.get(pk=desk.pk).is_active
    assert QueueCategory.objects.filter(office=office).count() == 2
    assert not Ticket.objects.exists()


def test_a_clerk_cannot_configure(office, clerk, verified_client, shkoder):
    client = verified_client(clerk)
    assert client.get(url("floor-staff:configure", shkoder)).status_code == 403
    with pytest.raises(PermissionDenied):
        configuration.save_counter(
            office, actor=clerk, data={"number": 7, "categories": [category(office, "A").pk]}
        )
    assert not Counter.objects.filter(office=office, number=7).exists()
