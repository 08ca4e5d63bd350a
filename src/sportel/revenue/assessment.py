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
from django.db.models import F, Q, Sum
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
    cents_to_money,
)

BATCH = 2000


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


def _compute_batch(tables: Tables, batch: list[str]) -> dict[str, list[Computed]]:
    """What ``compute_for`` gives for each payer of the batch, read set-wise: the batch's
    ownerships with their properties, every owner of those properties, and the businesses'
    premises, three queries in all."""
    municipality = tables.package.municipality
    people = [int(p[2:]) for p in batch if p[0] == "P"]
    businesses = [int(p[2:]) for p in batch if p[0] == "B"]
    owned = (
        Ownership.objects.filter(property__municipality=municipality)
        .filter(Q(person_id__in=people) | Q(business_id__in=businesses))
        .select_related("property")
        .order_by("pk")
    )
    properties = {}
    mine = defaultdict(list)
    for ownership in owned:
        properties[ownership.property_id] = ownership.property
        mine[payer_key(ownership.person_id, ownership.business_id)].append(ownership.property_id)
    owners = defaultdict(list)
    for ownership in Ownership.objects.filter(property_id__in=list(properties)).order_by("pk"):
        owners[ownership.property_id].append(ownership)
    out = {payer: [] for payer in batch}
    for payer in batch:
        for property_id in mine.get(payer, []):
            prop = properties[property_id]
            out[payer] += [
                c for c in compute_property(tables, prop, owners[property_id]) if c.payer == payer
            ]
    for premises in Premises.objects.filter(
        municipality=municipality, business_id__in=businesses
    ).order_by("pk"):
        out[payer_key(business_id=premises.business_id)] += compute_premises(tables, premises)
    return out


def write_batch(run: AssessmentRun, tables: Tables, computed: dict[str, list[Computed]]):
    """``write_demands`` for a whole batch, set-wise: the invoices and current demands read in
    one query each, new invoices, demands (revisions where an amount changed) and their ledger
    postings written with one INSERT per table, inside the caller's transaction."""
    package = tables.package
    municipality = package.municipality
    references = {payer: invoice_reference(municipality, package.year, payer) for payer in computed}
    invoices = {
        invoice.reference: invoice
        for invoice in Invoice.objects.filter(
            municipality=municipality, reference__in=list(references.values())
        )
    }
    missing = [
        Invoice(municipality=municipality, reference=ref, year=package.year, **_payer_fields(payer))
        for payer, ref in references.items()
        if ref not in invoices
    ]
    for invoice in Invoice.objects.bulk_create(missing):
        invoices[invoice.reference] = invoice
    current = {}
    for demand in Demand.objects.filter(
        invoice__in=list(invoices.values()), superseded_by__isnull=True
    ):
        current[(demand.invoice_id, demand.tax_head_id, demand.property_id, demand.premises_id)] = (
            demand
        )
    new = []  # (payer, demand, previous)
    for payer, items in computed.items():
        invoice = invoices.get(references[payer])
        for item in items:
            previous = current.get(
                (invoice.pk, item.tax_head_id, item.property_id, item.premises_id)
            )
            if previous is not None and previous.amount == item.amount:
                continue
            demand = Demand(
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
            new.append((payer, demand, previous))
    if not new:
        return
    Demand.objects.bulk_create([demand for _p, demand, _prev in new])
    revised = [previous.pk for _p, _d, previous in new if previous is not None]
    still = defaultdict(Decimal)
    if revised:
        rows = (
            ledger.lines_of(municipality)
            .filter(account=Account.RECEIVABLE, demand_id__in=revised)
            .values("demand")
            .annotate(total=Sum("cents"))
        )
        for row in rows:
            still[row["demand"]] = cents_to_money(row["total"])
    today = timezone.localdate()
    entries = []
    for payer, demand, previous in new:
        difference = demand.amount - (previous.amount if previous else Decimal(0))
        if not difference:
            continue
        refs = {"tax_head_id": demand.tax_head_id, **_payer_fields(payer)}
        # What is still owed on the old revision moves to the new one; a reduction below what
        # was already paid becomes the taxpayer's credit.
        still_owed = still[previous.pk] if previous else Decimal(0)
        new_owed = still_owed + difference
        entries.append(
            ledger.Entry(
                LedgerTransaction.Kind.REVISION if previous else LedgerTransaction.Kind.ASSESSMENT,
                [
                    ledger.credit(
                        Account.RECEIVABLE,
                        still_owed,
                        demand_id=getattr(previous, "pk", None),
                        **refs,
                    ),
                    ledger.debit(
                        Account.RECEIVABLE, max(new_owed, Decimal(0)), demand_id=demand.pk, **refs
                    ),
                    ledger.credit(
                        Account.CREDIT, max(-new_owed, Decimal(0)), **_payer_fields(payer)
                    ),
                    ledger.credit(Account.INCOME, difference, tax_head_id=demand.tax_head_id),
                ],
                key=f"demand:{demand.pk}",
                booked_on=today,
                memo=f"{package.year} {demand.invoice.reference}",
            )
        )
    ledger.post_many(municipality, entries)


def run_batch(run_id: int, size: int = BATCH, *, keys: list[str] | None = None) -> bool:
    """Assess the next ``size`` taxpayers of the run; True when the run is finished. ``keys``
    is the run's taxpayer list when the caller read it already (``run_to_end`` reads it once
    per run, not once per batch)."""
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().select_related("package").get(pk=run_id)
        if run.status in (AssessmentRun.Status.DONE, AssessmentRun.Status.FAILED):
            return True
        if keys is None:
            keys = payers(run.municipality)
        tables = Tables(run.package)
        batch = keys[run.done : run.done + size]
        write_batch(run, tables, _compute_batch(tables, batch))
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
    run = AssessmentRun.objects.select_related("municipality").get(pk=run_id)
    keys = payers(run.municipality)  # once per run; each batch resumes by position in it
    while not run_batch(run_id, size, keys=keys):
        pass
    return AssessmentRun.objects.get(pk=run_id)
