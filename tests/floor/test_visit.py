"""A ticket's visit: the services counter form opened from the ticket, the cases linked to it,
and the statistics feed without personal data."""

import pytest
from django.urls import reverse

from sportel.core.feeds import get_feed, suppressed_rows
from sportel.floor import services
from sportel.floor.models import TicketCase
from sportel.services.models import Case, ServiceType

from .factories import category, counter

NID = "J00101001C"


@pytest.fixture
def catalogue(shkoder, lezhe, seal_keys):
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    return shkoder


def test_counter_form_opens_for_the_tickets_service_and_the_case_is_linked(
    catalogue, at_counter, clerk, verified_client, shkoder, django_capture_on_commit_callbacks
):
    cat = category(at_counter, "A")
    family = ServiceType.objects.get(municipality=shkoder, code="family-certificate")
    cat.services.add(family)
    ticket = services.issue_ticket(
        at_counter, category=cat, channel="reception", nid=NID, service=family
    )
    desk = counter(at_counter, 1)
    services.serve(services.call(ticket, actor=clerk, counter=desk), actor=clerk, counter=desk)
    client = verified_client(clerk)
    page = client.get(reverse("floor-staff:counter", kwargs={"municipality_slug": "shkoder"}))
    link = page.context["counter_form_url"]
    assert link.endswith(f"?nid={NID}&service=family-certificate")
    form = client.get(link)
    assert form.context["form"]["nid"].value() == NID
    response = client.post(
        link,
        {
            "nid": NID,
            "first_name": "Drita",
            "last_name": "Marku",
            "identity_document": "id_card",
            "language": "sq",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/counter/apply/family-certificate/")
    with django_capture_on_commit_callbacks(execute=True):
        apply = client.post(
            response["Location"],
            {"purpose": "Për shkollën", "fee_paid": "on", "idempotency_key": "k1"},
        )
    assert apply.status_code == 302, apply.content[:2000]
    case = Case.objects.get()
    assert TicketCase.objects.get().ticket == ticket
    assert TicketCase.objects.get().case == case


def test_a_case_filed_by_a_clerk_not_at_a_counter_links_to_no_ticket(
    catalogue, office, make_staff, shkoder, django_capture_on_commit_callbacks
):
    from sportel.accounts.roles import Role
    from sportel.services import services as case_services

    clerk = make_staff(shkoder, Role.CLERK)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.submit_application(
            shkoder,
            service="family-certificate",
            data={"purpose": "Për shkollën"},
            actor=clerk,
            channel="counter",
            walk_in={
                "nid": NID,
                "first_name": "Drita",
                "last_name": "Marku",
                "identity_document": "id_card",
            },
            language="sq",
        )
    assert Case.objects.count() == 1
    assert not TicketCase.objects.exists()


def test_the_statistics_feed_has_no_personal_data_and_suppresses_small_counts(at_counter, clerk):
    desk = counter(at_counter, 1)
    for _ in range(6):
        ticket = services.issue_ticket(
            at_counter, category=category(at_counter, "A"), channel="kiosk", nid=NID
        )
        for step in (services.call, services.serve, services.done):
            ticket = step(ticket, actor=clerk, counter=desk)
    rows = suppressed_rows(get_feed("floor-waits-per-office-month"), at_counter.municipality)
    civil = next(r for r in rows if r["category"] == "Gjendja civile")
    assert civil["tickets"] == 6
    assert civil["median_service_minutes"] is not None
    assert NID not in str(rows)
    assert set(civil) == {
        "month",
        "office",
        "category",
        "tickets",
        "median_wait_minutes",
        "median_service_minutes",
    }
