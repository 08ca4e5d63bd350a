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
