"""A business's representative (core's Business.representatives, recorded by a clerk at the
counter) sees the business's bills on My taxes and appeals them online under the same rules
as a person (paid or guaranteed first, within the deadline); anyone else gets 404."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sportel.core.models import AuditEntry
from sportel.revenue import appeals, payments
from sportel.revenue.models import Appeal, Demand, Invoice
from tests.services.factories import CitizenFactory


def url(name, **kwargs):
    return reverse(name, kwargs={"municipality_slug": "shkoder", **kwargs})


def building(invoice) -> Demand:
    return Demand.objects.get(
        invoice=invoice, tax_head__code="building", superseded_by__isnull=True
    )


@pytest.fixture
def representative(assessed, register, shkoder):
    """A citizen a clerk recorded as the bakery's representative."""
    from sportel.core.models import Person

    citizen = CitizenFactory()
    person = Person.objects.get(municipality=shkoder, nid=citizen.nid)
    register["bakery"].representatives.add(person)
    return citizen


@pytest.fixture
def bakery_bill(register):
    return Invoice.objects.get(business=register["bakery"])


def test_the_representative_sees_the_business_bills_and_appeals_once_paid(
    representative, bakery_bill, register, shkoder, client, make_staff
):
    client.force_login(representative)
    mine = client.get(url("revenue:mine")).content.decode()
    assert register["bakery"].nipt in mine and bakery_bill.reference[:4] in mine
    form_url = url("revenue:appeal", reference=bakery_bill.reference)
    page = client.get(form_url).content.decode()
    assert page.count(register["bakery"].nipt) >= 1 and "Drejtoria e të ardhurave vendore" in page
    demand = building(bakery_bill)
    # Not paid, no guarantee: refused, clearly, as the law wants.
    refused = client.post(form_url, {"demand": demand.pk, "reason": "Gabim.", "key": "b1"})
    assert refused.status_code == 400 and "garancinë bankare" in refused.content.decode()
    assert not Appeal.objects.exists()
    clerk = make_staff(shkoder, "clerk")
    payments.take_cash(
        shkoder, actor=clerk, invoice=bakery_bill, amount=str(bakery_bill_owed(bakery_bill)),
        token="paid",
    )  # fmt: skip
    sent = client.post(
        form_url, {"demand": demand.pk, "reason": "Sipërfaqja është 40 m².", "key": "b2"}
    )
    assert sent.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.invoice.business == register["bakery"] and appeal.filed_by == representative
    assert appeal.rules["decision_days"] == 60 and appeal.rules["payment_first"] is True
    entry = AuditEntry.objects.get(action="revenue.appeal.file")
    assert entry.data["business"] == register["bakery"].nipt
    mine = client.get(url("revenue:mine")).content.decode()
    assert "ankim në pritje të vendimit" in mine


def bakery_bill_owed(invoice):
    from sportel.revenue import selectors

    return sum((line["outstanding"] for line in selectors.invoice_lines(invoice)), 0)


def test_after_the_deadline_the_representative_is_refused(representative, bakery_bill):
    demand = building(bakery_bill)
    later = timezone.now() + timedelta(days=appeals.APPEAL_DAYS + 2)
    with time_machine.travel(later), pytest.raises(ValidationError) as refused:
        appeals.file_appeal(
            demand, actor=representative, reason="Gabim.", key="late", guarantee=False
        )
    assert (
        "Afati për t'u ankuar për këtë vlerësim mbaroi" in refused.value.message_dict["demand"][0]
    )


def test_someone_who_does_not_represent_the_business_gets_404(
    assessed, register, bakery_bill, client, shkoder
):
    """The attacker: signed in, knows the NIPT and the RF reference, even filed an online
    application naming the business. Nothing of the business's taxes is theirs."""
    from sportel.services.catalogue import seed_catalogue
    from tests.services.factories import submit

    attacker = CitizenFactory()
    seed_catalogue(shkoder)
    submit(
        shkoder,
        attacker,
        "tax-clearance-certificate",
        business={"nipt": register["bakery"].nipt, "name": "Furra"},
    )
    assert not register["bakery"].representatives.exists()  # a typed NIPT links nothing
    client.force_login(attacker)
    for path in (
        url("revenue:appeal", reference=bakery_bill.reference),
        url("revenue:pay", reference=bakery_bill.reference),
        url("revenue:notice", reference=bakery_bill.reference),
    ):
        assert client.get(path).status_code == 404, path
    demand = building(bakery_bill)
    posted = client.post(
        url("revenue:appeal", reference=bakery_bill.reference),
        {"demand": demand.pk, "reason": "x", "key": "evil"},
    )
    assert posted.status_code == 404
    mine = client.get(url("revenue:mine")).content.decode()
    assert register["bakery"].nipt not in mine and bakery_bill.reference[-6:] not in mine
    with pytest.raises(ValidationError):
        appeals.file_appeal(demand, actor=attacker, reason="x", key="evil2", guarantee=False)
    assert not Appeal.objects.exists()


def test_a_representative_of_another_business_gets_404(assessed, register, shkoder, client):
    from sportel.core.models import Person
    from tests.revenue.conftest import make_business

    other = make_business(shkoder, "Tjetër shpk")
    citizen = CitizenFactory()
    other.representatives.add(Person.objects.get(municipality=shkoder, nid=citizen.nid))
    client.force_login(citizen)
    bill = Invoice.objects.get(business=register["bakery"])
    assert client.get(url("revenue:appeal", reference=bill.reference)).status_code == 404
