"""Demo data for Shkodër: a register of properties and businesses, the 2026 fiscal package, its
assessment, a few payments at the counter and from the bank, and the late-payment penalties
accrued through the day the demo is seeded. ``data/demo-camt053.xml`` is a
statement to try the import with (its lines match by NIPT, by name, or not at all)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sportel.core.demo import register_demo, register_demo_notes
from sportel.core.identifiers import with_check_letter
from sportel.core.models import Business, Municipality, Person

from . import assessment, fiscal, ledger, payments, penalties
from .models import FiscalPackage, Invoice, Ownership, Payment, Premises, Property

FIRST = ["Arben", "Blerina", "Dritan", "Elira", "Fatmir", "Gentiana", "Ilir", "Jonida", "Kujtim"]
LAST = ["Marku", "Gjoka", "Pali", "Dushi", "Lleshi", "Kola", "Prendi", "Shkreli", "Bushati"]
ZONES = ["8601", "8602", "8603", "8610"]
BUSINESSES = [
    ("L61234501", "Furra Rozafa shpk"),
    ("L61234502", "Hotel Tradita shpk"),
    ("L61234503", "Farmacia Buna"),
    ("L61234504", "Kafe Piazza"),
    ("L61234505", "Dyqani Marubi"),
]


def _person(shkoder, n: int) -> Person:
    nid = with_check_letter(f"I{80101000 + n}")
    person, _created = Person.objects.get_or_create(
        municipality=shkoder,
        nid=nid,
        defaults={"first_name": FIRST[n % len(FIRST)], "last_name": LAST[(n * 7) % len(LAST)]},
    )
    return person


@register_demo
def seed_revenue() -> None:
    shkoder = Municipality.objects.filter(slug="shkoder").first()
    if shkoder is None or FiscalPackage.objects.filter(municipality=shkoder).exists():
        return
    units = list(shkoder.units.all())
    with transaction.atomic():
        package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
        owners = [_person(shkoder, n) for n in range(40)]
        citizen = Person.objects.filter(municipality=shkoder, nid="J00101001C").first()
        if citizen is not None:
            owners[0] = citizen  # the demo resident sees her bill in "My taxes"
        for n, owner in enumerate(owners):
            prop = Property.objects.create(
                municipality=shkoder,
                cadastral_zone=ZONES[n % len(ZONES)],
                property_number=f"{100 + n}/{n % 9 + 1}",
                unit=units[n % len(units)] if units else None,
                area_m2=Decimal(55 + (n * 13) % 90),
                use="residential",
                year_built=1975 + (n * 3) % 48,
            )
            Ownership.objects.create(property=prop, person=owner, share=Decimal(1))
        for n, (nipt, name) in enumerate(BUSINESSES):
            business, _created = Business.objects.get_or_create(
                municipality=shkoder, nipt=with_check_letter(nipt), defaults={"name": name}
            )
            Premises.objects.create(
                municipality=shkoder,
                business=business,
                address=f"Rruga Kolë Idromeno {n + 3}",
                unit=units[0] if units else None,
                sign_m2=Decimal(n % 3),
            )
            shop = Property.objects.create(
                municipality=shkoder,
                cadastral_zone="8601",
                property_number=f"900/{n + 1}",
                unit=units[0] if units else None,
                area_m2=Decimal(40 + 15 * n),
                use="economic",
                year_built=2008,
            )
            Ownership.objects.create(property=shop, business=business, share=Decimal(1))
    run = assessment.start_run(package)
    assessment.run_to_end(run.pk)
    # Some bills paid in full at the bank, some in part, most not yet; the demo resident's stays
    # open, so she has something to pay online or at the kiosk.
    for n, invoice in enumerate(Invoice.objects.filter(municipality=shkoder).order_by("pk")):
        if n % 3 or (citizen is not None and invoice.person_id == citizen.pk):
            continue
        owed = ledger.taxpayer_owed(
            shkoder,
            **({"person": invoice.person} if invoice.person_id else {"business": invoice.business}),
        )
        amount = owed if n % 2 == 0 else (owed / 2).quantize(Decimal("0.01"))
        if amount > 0:
            payments.receive(
                shkoder,
                channel=Payment.Channel.BANK,
                amount=amount,
                key=f"demo:{invoice.reference}",
                received_on=date(2026, 4, 20 + n % 10),
                invoice=invoice,
                reference=invoice.reference,
                score=100,
                reason="rf",
                reason_params={"reference": invoice.reference},
            )
    # Late-payment penalties through today, as the nightly `sportel revenue accrue-penalties`
    # would have booked them: the bills still open past their due dates show what they cost.
    penalties.accrue_municipality(shkoder, on=timezone.localdate())


@register_demo_notes
def notes() -> list[str]:
    return [
        "Revenue: /shkoder/staff/revenue/ (tatime.shkoder@demo.sportel.al); try importing "
        "src/sportel/revenue/data/demo-camt053.xml, or "
        "`sportel revenue import-statement shkoder src/sportel/revenue/data/demo-camt053.xml`"
    ]
