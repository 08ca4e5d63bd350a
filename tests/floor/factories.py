"""Floor test data: an office with two queues and three counters, open around the clock."""

from sportel.floor.models import Counter, Office, QueueCategory

ALWAYS = {str(day): [["00:00", "23:59:59"]] for day in range(7)}


def make_office(municipality, *, slug="zyra-qendrore", hours=None, name="Zyra Qendrore"):
    office = Office.objects.create(
        municipality=municipality,
        unit=municipality.units.first(),
        slug=slug,
        name_sq=f"{name} {municipality.name}",
        name_en=f"Central office {municipality.name}",
        opening_hours=ALWAYS if hours is None else hours,
        priority_order=["disability", "elderly", "pregnant", "infant"],
    )
    civil = QueueCategory.objects.create(
        municipality=municipality,
        office=office,
        letter="A",
        name_sq="Gjendja civile",
        name_en="Civil status",
        slot_capacity=2,
    )
    taxes = QueueCategory.objects.create(
        municipality=municipality, office=office, letter="B", name_sq="Taksat", name_en="Taxes"
    )
    for number, categories in ((1, [civil]), (2, [civil, taxes]), (3, [taxes])):
        counter = Counter.objects.create(municipality=municipality, office=office, number=number)
        counter.categories.set(categories)
    return office


def counter(office, number):
    return office.counters.get(number=number)


def category(office, letter):
    return office.categories.get(letter=letter)
