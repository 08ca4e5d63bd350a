"""A run split into shards (decision 0029): each shard assessed by its own worker, the run
resumable and idempotent, and the bills identical to the single, sequential computation."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from sportel.revenue import assessment, fiscal, ledger
from sportel.revenue.models import (
    Account,
    AssessmentRun,
    AssessmentShard,
    Demand,
    Invoice,
    LedgerLine,
    LedgerTransaction,
    Premises,
    Property,
    TaxHead,
)

from .conftest import make_business, make_person, make_property


@pytest.fixture
def package_with_exemption(shkoder):
    """Shkodër's 2026 package, with the residential building tax waived for buildings from
    before 1960 (an exemption the computation must honour)."""
    data = fiscal.seed_data("shkoder-2026")
    for tariff in data["tariffs"]:
        if tariff["tax_head"] == "building" and tariff["use"] == "residential":
            tariff["exempt_before_year"] = 1960
    return fiscal.create_package(shkoder, data)


@pytest.fixture
def larger_register(shkoder):
    """Twenty-odd taxpayers with every case the computation handles: sole and shared owners
    (uneven shares, a tie for the largest), an old building (exempt), land, an economic
    building owned by a business, premises with and without a sign, a zone without a price."""
    people = [make_person(shkoder, "Emri", f"Mbiemri{i}") for i in range(14)]
    firms = [make_business(shkoder, f"Firma {i} shpk") for i in range(5)]
    for i, person in enumerate(people[:8]):
        make_property(shkoder, [(person, "1")], area=f"{45 + i * 7}.5", year=1950 + i * 3)
    make_property(shkoder, [(people[8], "0.5"), (people[9], "0.5")], zone="8603", area="120")
    make_property(shkoder, [(people[10], "0.25"), (people[11], "0.75")], zone="8602", area="99.99")
    make_property(
        shkoder,
        [(people[12], "0.3333"), (people[13], "0.3333"), (people[0], "0.3334")],
        area="77.7",
    )
    make_property(shkoder, [(people[1], "1")], use="land", area="1234.56")
    make_property(shkoder, [(people[2], "1")], zone="9999", area="60")  # no price for the zone
    make_property(shkoder, [(firms[0], "1")], zone="8602", area="50", use="economic")
    make_property(shkoder, [(firms[1], "0.6"), (people[3], "0.4")], area="300", use="economic")
    for i, firm in enumerate(firms):
        Premises.objects.create(
            municipality=shkoder,
            business=firm,
            address=f"Rruga {i}",
            sign_m2=Decimal(i) / 2,
        )
    return {"people": people, "firms": firms}


def _comparable(row):
    return tuple(-1 if value is None else value for value in row)


def bills():
    """Every current demand as (payer, tax head, property, premises, amount, basis)."""
    return sorted(
        _comparable(
            (
                d.invoice.person_id,
                d.invoice.business_id,
                d.tax_head.code,
                d.property_id,
                d.premises_id,
                d.amount,
                tuple(sorted(d.basis.items())),
            )
        )
        for d in Demand.objects.filter(superseded_by__isnull=True).select_related(
            "invoice", "tax_head"
        )
    )


def receivable_by_demand(municipality):
    return {
        row["demand"]: row["total"]
        for row in ledger.lines_of(municipality)
        .filter(account=Account.RECEIVABLE)
        .values("demand")
        .annotate(total=Sum("cents"))
    }


def expected(package):
    """The existing per-taxpayer computation (``compute_for``, through the ORM) for every
    taxpayer of the register."""
    tables = assessment.Tables(package)
    out = []
    for payer in assessment.payers(package.municipality):
        for item in assessment.compute_for(tables, payer):
            person = int(payer[2:]) if payer[0] == "P" else None
            business = None if person else int(payer[2:])
            out.append(
                (
                    person,
                    business,
                    item.tax_head_id,
                    item.property_id,
                    item.premises_id,
                    item.amount,
                    tuple(sorted(item.basis.items())),
                )
            )
    return out


def test_a_sharded_run_bills_what_the_existing_computation_gives(
    package_with_exemption, larger_register, shkoder
):
    run = assessment.start_run(package_with_exemption, shards=3)
    assert AssessmentShard.objects.filter(run=run).count() == 3
    for number in (2, 0, 1):  # the shards' workers, in any order
        assessment.run_shard_to_end(run.pk, number, size=2)
    run.refresh_from_db()
    assert run.status == AssessmentRun.Status.DONE and run.done == run.total == 19
    heads = dict(TaxHead.objects.values_list("pk", "code"))
    want = sorted(
        _comparable((p, b, heads[h], prop, prem, amount, basis))
        for p, b, h, prop, prem, amount, basis in expected(package_with_exemption)
    )
    assert bills() == want
    # The exemption was applied: the buildings from before 1960 pay no building tax, the
    # others do.
    old = Property.objects.filter(year_built__lt=1960, use="residential")
    assert old.count() == 4
    building = Demand.objects.filter(tax_head__code="building")
    assert not building.filter(property__in=old).exists()
    assert building.filter(property__year_built__gte=1960).exists()
    # Each demand owes its amount in the ledger, once; every transaction balances.
    owed = receivable_by_demand(shkoder)
    for demand in Demand.objects.all():
        assert owed[demand.pk] == int(demand.amount * 100)
    for txn in LedgerTransaction.objects.all():
        assert sum(txn.lines.values_list("cents", flat=True)) == 0
        assert txn.sealed


def test_the_taxpayer_list_is_the_same_read_either_way(larger_register, shkoder):
    keys = assessment.payers(shkoder)
    assert keys == assessment.payers_orm(shkoder)
    assert keys[0].startswith("B:") and keys[-1].startswith("P:") and len(keys) == 19


def test_a_sharded_run_and_a_sequential_run_bill_the_same(
    package_with_exemption, larger_register, shkoder
):
    run = assessment.start_run(package_with_exemption)
    assessment.run_to_end(run.pk, size=4)
    sequential = bills()
    balances = ledger.trial_balance(shkoder)
    # A sharded run over the same register afterwards finds everything billed: nothing new.
    again = assessment.start_run(package_with_exemption, shards=2)
    assessment.run_to_end(again.pk)
    assert bills() == sequential and ledger.trial_balance(shkoder) == balances
    assert AssessmentRun.objects.get(pk=again.pk).status == AssessmentRun.Status.DONE


def test_a_shard_whose_worker_is_killed_resumes_and_bills_nobody_twice(
    package_with_exemption, larger_register, shkoder, monkeypatch
):
    run = assessment.start_run(package_with_exemption, shards=2)
    real = assessment.write_batch
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        real(*args, **kwargs)
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")  # after the batch's rows, before its commit

    monkeypatch.setattr(assessment, "write_batch", dies_on_the_second_batch)
    with pytest.raises(SystemExit):
        assessment.run_shard_to_end(run.pk, 0, size=3)
    shard = AssessmentShard.objects.get(run=run, number=0)
    assert shard.done == 3 and not shard.finished
    written = Demand.objects.count()
    assert written > 0
    monkeypatch.setattr(assessment, "write_batch", real)
    # The other shard's worker finishes its own; the run is not done until shard 0 is.
    assessment.run_shard_to_end(run.pk, 1, size=3)
    assert AssessmentRun.objects.get(pk=run.pk).status == AssessmentRun.Status.RUNNING
    # The re-queued task resumes shard 0 where its last commit left it, and once more:
    # a finished shard does nothing.
    assessment.run_shard_to_end(run.pk, 0, size=3)
    assessment.run_shard_to_end(run.pk, 0, size=3)
    run.refresh_from_db()
    assert run.status == AssessmentRun.Status.DONE and run.done == run.total
    want = expected(package_with_exemption)
    assert len(bills()) == len(want) == Demand.objects.count()
    lines = LedgerLine.objects.filter(account=Account.RECEIVABLE, demand__isnull=False)
    assert lines.count() == Demand.objects.count()  # one receivable line per demand, once
    assert ledger.trial_balance(shkoder)[Account.RECEIVABLE] == sum(
        d.amount for d in Demand.objects.all()
    )


def test_a_run_refuses_a_silly_number_of_shards(package_with_exemption):
    for shards in (0, 65):
        with pytest.raises(ValueError, match="shards"):
            assessment.start_run(package_with_exemption, shards=shards)
    sharded = assessment.start_run(package_with_exemption, shards=2)
    with pytest.raises(ValueError, match="shard by shard"):
        assessment.run_batch(sharded.pk)  # the sequential cursor would mix with the shards'


def test_a_run_started_from_the_page_is_split_into_one_task_per_shard(
    package,
    register,
    shkoder,
    make_staff,
    verified_client,
    settings,
    django_capture_on_commit_callbacks,
):
    from django.urls import reverse
    from django_tasks_db.models import DBTaskResult

    from sportel.revenue.tasks import run_assessment, run_assessment_shard

    settings.SPORTEL_ASSESSMENT_SHARDS = 2
    client = verified_client(make_staff(shkoder, "tax_officer"))
    page = reverse("revenue-staff:assessment", kwargs={"municipality_slug": shkoder.slug})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page, {"package": package.pk})
    run = AssessmentRun.objects.get()
    assert run.shards == 2 and response.status_code == 302
    assert run_assessment.call(run.pk) == "2 shards queued"  # what the worker does with it
    queued = DBTaskResult.objects.filter(task_path__endswith="run_assessment_shard")
    assert sorted(row.args_kwargs["args"][1] for row in queued) == [0, 1]
    run_assessment_shard.call(run.pk, 1)
    assert "of 4 taxpayers assessed" in client.get("/en" + response["Location"]).content.decode()
    run_assessment_shard.call(run.pk, 0)
    done = client.get("/en" + response["Location"]).content.decode()
    assert "4 of 4 taxpayers assessed" in done and 'data-going="false"' in done
    assert ledger.trial_balance(shkoder)[Account.RECEIVABLE] == Decimal("51600.00")


class _Undo(Exception):
    """Leaves a savepoint with what was measured inside it."""


def _in_savepoint(fn):
    from django.db import transaction

    try:
        with transaction.atomic():
            raise _Undo(fn())
    except _Undo as undone:
        return undone.args[0]


def _ledger_and_bills(municipality):
    """The bills and the whole ledger with every id replaced by what it names (the ids of rows
    made by two runs of the same scenario differ)."""
    number = dict(Property.objects.values_list("pk", "property_number"))
    heads = dict(TaxHead.objects.values_list("pk", "code"))

    def demand(d):
        if d is None:
            return None
        return (
            d.invoice.person_id,
            d.invoice.business_id,
            heads[d.tax_head_id],
            number.get(d.property_id),
            d.premises_id,
            d.revision,
        )

    demands = sorted(
        _comparable(
            (
                *demand(d),
                d.amount,
                tuple(sorted(d.basis.items())),
                d.reason,
                demand(d.supersedes) and _comparable(demand(d.supersedes)),
                d.due_date,
            )
        )
        for d in Demand.objects.select_related("invoice", "supersedes__invoice")
    )
    lines = sorted(
        _comparable(
            (
                line.transaction.kind,
                line.transaction.sealed,
                line.account,
                line.cents,
                heads.get(line.tax_head_id),
                line.demand and _comparable(demand(line.demand)),
                line.person_id,
                line.business_id,
            )
        )
        for line in LedgerLine.objects.select_related("transaction", "demand__invoice")
    )
    invoices = sorted(
        _comparable(row)
        for row in Invoice.objects.filter(municipality=municipality).values_list(
            "person_id", "business_id", "reference", "year"
        )
    )
    return demands, lines, invoices


def test_the_sql_path_and_the_python_path_bill_and_post_the_same_also_on_revision(
    package_with_exemption, larger_register, shkoder, monkeypatch
):
    """On PostgreSQL a batch is computed and written in SQL (decision 0033); the Python path
    (SQLite's) is the reference. The same scenario through each, rows compared one by one:
    a first run, payments (one demand paid in full, one in part), then a new tariff (lower
    building tax, higher cleaning tariff, a zone's price changed, a narrower exemption), a new
    property, and a second run: revisions posting differences, credit where a reduction falls
    below what was paid, new demands beside them."""
    from datetime import date

    from sportel.revenue.models import Ownership, Tariff, ZonePrice

    people = larger_register["people"]
    package = package_with_exemption

    def scenario():
        run = assessment.start_run(package, shards=2)
        assessment.run_to_end(run.pk, size=3)
        building = Demand.objects.get(tax_head__code="building", invoice__person=people[4])
        cleaning = Demand.objects.get(tax_head__code="cleaning", invoice__person=people[5])
        for i, (d, amount) in enumerate(((building, building.amount), (cleaning, Decimal("7")))):
            ledger.post(
                shkoder,
                LedgerTransaction.Kind.RECEIPT,
                [
                    ledger.debit(Account.BANK, amount),
                    ledger.credit(
                        Account.RECEIVABLE,
                        amount,
                        demand_id=d.pk,
                        tax_head_id=d.tax_head_id,
                        person_id=d.invoice.person_id,
                    ),
                ],
                key=f"paid-{i}",
                booked_on=date(2026, 3, 1),
            )
        tariffs = Tariff.objects.filter(package=package, use="residential")
        tariffs.filter(tax_head__code="building").update(
            rate=Decimal("0.0002"), exempt_before_year=1955
        )
        tariffs.filter(tax_head__code="cleaning").update(rate=Decimal("1999.985"))
        ZonePrice.objects.filter(package=package, zone="8603").update(price_per_m2=Decimal("7"))
        prop = Property.objects.create(
            municipality=shkoder,
            cadastral_zone="8601",
            property_number="new-1",
            area_m2=Decimal("33.33"),
            use="residential",
            year_built=2020,
        )
        Ownership.objects.create(property=prop, person=people[6], share=Decimal("1"))
        again = assessment.start_run(package)
        assessment.run_to_end(again.pk, size=4)
        assert AssessmentRun.objects.get(pk=again.pk).status == AssessmentRun.Status.DONE
        heads = dict(TaxHead.objects.values_list("pk", "code"))
        want = sorted(
            _comparable((p, b, heads[h], prop, prem, amount, basis))
            for p, b, h, prop, prem, amount, basis in expected(package)
        )
        assert bills() == want
        for txn in LedgerTransaction.objects.all():
            assert txn.sealed and sum(txn.lines.values_list("cents", flat=True)) == 0
        return _ledger_and_bills(shkoder)

    monkeypatch.setattr(assessment, "SET_BASED", False)
    python = _in_savepoint(scenario)
    monkeypatch.setattr(assessment, "SET_BASED", True)
    sql = _in_savepoint(scenario)
    demands, lines, _invoices = python
    assert any(d[-3] == "reassessment" for d in demands)  # revisions were made
    assert any(line[2] == Account.CREDIT for line in lines)  # and a credit
    assert sql == python
