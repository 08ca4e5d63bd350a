"""The year's assessment: from the register and the fiscal package to demands in the ledger.

``compute`` is pure (same package + same register → the same amounts, so re-running a past year
reproduces its bills). ``run_batch`` writes one batch of taxpayers in one transaction together
with the run's progress, so a worker killed half-way loses nothing and, resumed, posts nothing
twice: each demand's ledger posting has the demand's own idempotency key, and an unchanged
amount writes nothing. A changed amount is a new revision that supersedes the previous one; the
ledger carries only the difference.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sportel.core import audit
from sportel.core.money import to_money

from . import ledger, rf
from .models import (
    Account,
    AssessmentRun,
    Demand,
    FiscalPackage,
    Invoice,
    LedgerTransaction,
    Ownership,
    Premises,
    Property,
    TaxHead,
    Use,
)

BATCH = 200


@dataclass(frozen=True)
class Computed:
    payer: str  # "P:<person id>" or "B:<business id>"
    tax_head_id: int
    property_id: int | None
    premises_id: int | None
    amount: Decimal
    basis: dict


def payer_key(person_id=None, business_id=None) -> str:
    return f"P:{person_id}" if person_id else f"B:{business_id}"


def invoice_reference(municipality, year: int, payer: str) -> str:
    kind, _, number = payer.partition(":")
    return rf.make(f"{municipality.code}{year % 100:02d}{kind}{int(number):010d}")


class Tables:
    """The package's tariffs as dictionaries, loaded once per run."""

    def __init__(self, package: FiscalPackage):
        self.package = package
        self.zones = {z.zone: z.price_per_m2 for z in package.zones.all()}
        self.tariffs = defaultdict(list)  # (basis, use) -> [(tax head, tariff)]
        for tariff in package.tariffs.select_related("tax_head"):
            self.tariffs[(tariff.tax_head.basis, tariff.use)].append(tariff)
        self.due_date = max(i.due_date for i in package.instalments.all())


def compute_property(tables: Tables, prop: Property, owners: list[Ownership]) -> list[Computed]:
    out = []
    for (basis, use), tariffs in tables.tariffs.items():
        if use != prop.use:
            continue
        for tariff in tariffs:
            if tariff.exempt_before_year and (prop.year_built or 0) < tariff.exempt_before_year:
                continue
            if basis == TaxHead.Basis.BUILDING_VALUE:
                price = tables.zones.get(prop.cadastral_zone)
                if price is None:
                    continue
                whole = price * prop.area_m2 * tariff.rate
                how = {
                    "price_m2": str(price),
                    "area_m2": str(prop.area_m2),
                    "rate": str(tariff.rate),
                }
            elif basis == TaxHead.Basis.PER_M2:
                if prop.use != Use.LAND:
                    continue  # per m² of an economic use is the premises' sign, not the building
                whole = prop.area_m2 * tariff.rate
                how = {"area_m2": str(prop.area_m2), "rate": str(tariff.rate)}
            elif basis == TaxHead.Basis.FLAT:
                # A household tariff: one per dwelling, billed to the largest owner (businesses
                # pay theirs per premises).
                if prop.use != Use.RESIDENTIAL:
                    continue
                main = max(owners, key=lambda o: (o.share, -o.pk)) if owners else None
                if main is not None:
                    out.append(
                        Computed(
                            payer_key(main.person_id, main.business_id),
                            tariff.tax_head_id,
                            prop.pk,
                            None,
                            to_money(tariff.rate),
                            {"flat": str(tariff.rate)},
                        )
                    )
                continue
            else:
                continue
            for owner in owners:
                out.append(
                    Computed(
                        payer_key(owner.person_id, owner.business_id),
                        tariff.tax_head_id,
                        prop.pk,
                        None,
                        to_money(whole * owner.share),
                        {**how, "share": str(owner.share)},
                    )
                )
    return out


def compute_premises(tables: Tables, premises: Premises) -> list[Computed]:
    out = []
    for (basis, use), tariffs in tables.tariffs.items():
        if use != Use.ECONOMIC:
            continue
        for tariff in tariffs:
            if basis == TaxHead.Basis.FLAT:
                amount, how = to_money(tariff.rate), {"flat": str(tariff.rate)}
            elif basis == TaxHead.Basis.PER_M2 and premises.sign_m2 > 0:
                amount = to_money(premises.sign_m2 * tariff.rate)
                how = {"sign_m2": str(premises.sign_m2), "rate": str(tariff.rate)}
            else:
                continue
            out.append(
                Computed(
                    payer_key(business_id=premises.business_id),
                    tariff.tax_head_id,
                    None,
                    premises.pk,
                    amount,
                    how,
                )
            )
    return out


def payers(municipality) -> list[str]:
    """Every taxpayer of the municipality, in a fixed order (runs resume by position)."""
    keys = set()
    for person_id, business_id in Ownership.objects.filter(
        property__municipality=municipality
    ).values_list("person_id", "business_id"):
        keys.add(payer_key(person_id, business_id))
    for business_id in Premises.objects.filter(municipality=municipality).values_list(
        "business_id", flat=True
    ):
        keys.add(payer_key(business_id=business_id))
    return sorted(keys, key=lambda k: (k[0], int(k[2:])))


def compute_for(tables: Tables, payer: str) -> list[Computed]:
    kind, number = payer[0], int(payer[2:])
    owned = Ownership.objects.filter(
        property__municipality=tables.package.municipality,
        **({"person_id": number} if kind == "P" else {"business_id": number}),
    ).select_related("property")
    out = []
    for ownership in owned:
        prop = ownership.property
        all_owners = list(prop.owners.all())
        out += [c for c in compute_property(tables, prop, all_owners) if c.payer == payer]
    if kind == "B":
        for premises in Premises.objects.filter(
            municipality=tables.package.municipality, business_id=number
        ):
            out += compute_premises(tables, premises)
    return out


def _payer_fields(payer: str) -> dict:
    return {"person_id": int(payer[2:])} if payer[0] == "P" else {"business_id": int(payer[2:])}


def write_demands(run: AssessmentRun, tables: Tables, payer: str, computed: list[Computed]):
    """Write one taxpayer's demands (revisions where an amount changed) and post them."""
    package = tables.package
    municipality = package.municipality
    reference = invoice_reference(municipality, package.year, payer)
    invoice, _created = Invoice.objects.get_or_create(
        municipality=municipality,
        reference=reference,
        defaults={"year": package.year, **_payer_fields(payer)},
    )
    current = {}
    for demand in Demand.objects.filter(invoice=invoice, superseded_by__isnull=True):
        current[(demand.tax_head_id, demand.property_id, demand.premises_id)] = demand
    for item in computed:
        key = (item.tax_head_id, item.property_id, item.premises_id)
        previous = current.get(key)
        if previous is not None and previous.amount == item.amount:
            continue
        demand = Demand.objects.create(
            municipality=municipality,
            invoice=invoice,
            tax_head_id=item.tax_head_id,
            property_id=item.property_id,
            premises_id=item.premises_id,
            run=run,
            revision=previous.revision + 1 if previous else 1,
            supersedes=previous,
            amount=item.amount,
            due_date=tables.due_date,
            basis=item.basis,
            reason="reassessment" if previous else "",
        )
        difference = item.amount - (previous.amount if previous else Decimal(0))
        refs = {"tax_head_id": item.tax_head_id, **_payer_fields(payer)}
        if difference:
            kind = (
                LedgerTransaction.Kind.REVISION if previous else LedgerTransaction.Kind.ASSESSMENT
            )
            # What is still owed on the old revision moves to the new one; a reduction below
            # what was already paid becomes the taxpayer's credit.
            still_owed = ledger.demand_outstanding(previous) if previous else Decimal(0)
            new_owed = still_owed + difference
            lines = [
                ledger.credit(
                    Account.RECEIVABLE, still_owed, demand_id=getattr(previous, "pk", None), **refs
                ),
                ledger.debit(
                    Account.RECEIVABLE, max(new_owed, Decimal(0)), demand_id=demand.pk, **refs
                ),
                ledger.credit(Account.CREDIT, max(-new_owed, Decimal(0)), **_payer_fields(payer)),
                ledger.credit(Account.INCOME, difference, tax_head_id=item.tax_head_id),
            ]
            ledger.post(
                municipality,
                kind,
                lines,
                key=f"demand:{demand.pk}",
                booked_on=timezone.localdate(),
                memo=f"{package.year} {reference}",
            )


def start_run(package: FiscalPackage, *, actor=None) -> AssessmentRun:
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            municipality=package.municipality,
            package=package,
            total=len(payers(package.municipality)),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            "revenue.assessment.start",
            actor=actor,
            municipality=package.municipality,
            obj=run,
            data={"year": package.year},
        )
    return run


def run_batch(run_id: int, size: int = BATCH) -> bool:
    """Assess the next ``size`` taxpayers of the run; True when the run is finished."""
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().select_related("package").get(pk=run_id)
        if run.status in (AssessmentRun.Status.DONE, AssessmentRun.Status.FAILED):
            return True
        keys = payers(run.municipality)
        tables = Tables(run.package)
        batch = keys[run.done : run.done + size]
        for payer in batch:
            write_demands(run, tables, payer, compute_for(tables, payer))
        finished = run.done + len(batch) >= len(keys)
        AssessmentRun.objects.filter(pk=run.pk).update(
            done=F("done") + len(batch),
            total=len(keys),
            status=AssessmentRun.Status.DONE if finished else AssessmentRun.Status.RUNNING,
            finished_at=timezone.now() if finished else None,
        )
        if finished:
            audit.record(
                "revenue.assessment.done",
                municipality=run.municipality,
                obj=run,
                data={"year": run.package.year, "taxpayers": len(keys)},
            )
    return finished


def run_to_end(run_id: int, size: int = BATCH) -> AssessmentRun:
    while not run_batch(run_id, size):
        pass
    return AssessmentRun.objects.get(pk=run_id)
