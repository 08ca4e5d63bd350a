"""The year's assessment: from the register and the fiscal package to demands in the ledger.

``compute`` is pure (same package + same register → the same amounts, so re-running a past year
reproduces its bills). ``run_batch`` writes one batch of taxpayers in one transaction together
with the run's progress, so a worker killed half-way loses nothing and, resumed, posts nothing
twice: the batch's demands and its ledger posting (one transaction per batch, decision 0027)
commit together with the run's position, and an unchanged amount writes nothing. A changed amount is a new revision that supersedes the previous one; the
ledger carries only the difference.
"""

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from sportel.core import audit
from sportel.core.money import to_money

from . import bulk, ledger, rf
from .models import (
    Account,
    AssessmentRun,
    AssessmentShard,
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

BATCH = 5000


class Computed(NamedTuple):
    payer: str  # "P:<person id>" or "B:<business id>"
    tax_head_id: int
    property_id: int | None
    premises_id: int | None
    amount: Decimal
    basis: dict


class _Unit:
    """The fields of a Property that ``compute_property`` reads, from a plain row (building a
    model instance per unit cost more than the arithmetic)."""

    __slots__ = ("area_m2", "cadastral_zone", "pk", "use", "year_built")

    def __init__(self, pk, cadastral_zone, area_m2, use, year_built):
        self.pk, self.cadastral_zone, self.area_m2 = pk, cadastral_zone, area_m2
        self.use, self.year_built = use, year_built


class _Owner:
    """The fields of an Ownership that ``compute_property`` reads."""

    __slots__ = ("business_id", "person_id", "pk", "share")

    def __init__(self, pk, person_id, business_id, share):
        self.pk, self.person_id, self.business_id, self.share = pk, person_id, business_id, share


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
    if connection.vendor == "postgresql":
        # The same list, sorted and made distinct by the database and sent as one text (each
        # worker of a run reads it: 800 000 rows through the ORM and a sort by a Python key
        # cost seconds per worker).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT string_agg(kind || ':' || id, ',' ORDER BY kind, id) FROM ("
                " SELECT CASE WHEN o.person_id IS NOT NULL THEN 'P' ELSE 'B' END AS kind,"
                " coalesce(o.person_id, o.business_id) AS id"
                " FROM revenue_ownership o JOIN revenue_property p ON p.id = o.property_id"
                " WHERE p.municipality_id = %s"
                " UNION SELECT 'B', business_id FROM revenue_premises WHERE municipality_id = %s"
                ") payer",
                [municipality.pk, municipality.pk],
            )
            joined = cursor.fetchone()[0]
        return joined.split(",") if joined else []
    return payers_orm(municipality)


def payers_orm(municipality) -> list[str]:
    """``payers`` through the ORM (SQLite's; the reference for PostgreSQL's, in the tests)."""
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


def shard_of(payer: str, shards: int) -> int:
    """The shard of a parallel run that assesses ``payer`` (decision 0029): by its id, so a
    taxpayer stays in its shard when others join the register while the run goes on."""
    return int(payer[2:]) % shards


def start_run(package: FiscalPackage, *, actor=None, shards: int = 1) -> AssessmentRun:
    """A new run of ``package``'s year. ``shards`` > 1 splits it into that many shards, each
    assessed by its own worker (``run_shard_to_end``) in transactions of its own."""
    if not 1 <= shards <= 64:
        raise ValueError("a run has between 1 and 64 shards")
    keys = payers(package.municipality)
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            municipality=package.municipality,
            package=package,
            total=len(keys),
            created_by=actor if getattr(actor, "pk", None) else None,
            shards=shards,
        )
        if shards > 1:
            sizes = defaultdict(int)
            for key in keys:
                sizes[shard_of(key, shards)] += 1
            AssessmentShard.objects.bulk_create(
                AssessmentShard(run=run, number=number, total=sizes[number])
                for number in range(shards)
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
    """What ``compute_for`` gives for each payer of the batch, read set-wise as plain rows:
    the batch's ownerships with their properties, every owner of those properties, and the
    businesses' premises, three queries in all."""
    municipality = tables.package.municipality
    people = [int(p[2:]) for p in batch if p[0] == "P"]
    businesses = [int(p[2:]) for p in batch if p[0] == "B"]
    pg = connection.vendor == "postgresql"
    if pg:
        # The same reads as below in plain SQL with the ids as one array parameter each
        # (``= ANY(%s)``): the ORM's IN lists cost a Python call per id to build and psycopg a
        # scan of the long statement (profiled, docs/benchmarks.md 2026-12-07). numeric comes
        # back as Decimal, as through the ORM.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT o.person_id, o.business_id, o.property_id, p.cadastral_zone,"
                " p.area_m2, p.use, p.year_built"
                " FROM revenue_ownership o JOIN revenue_property p ON p.id = o.property_id"
                " WHERE p.municipality_id = %s"
                " AND (o.person_id = ANY(%s) OR o.business_id = ANY(%s)) ORDER BY o.id",
                [municipality.pk, people, businesses],
            )
            owned = cursor.fetchall()
    else:
        owned = (
            Ownership.objects.filter(property__municipality=municipality)
            .filter(Q(person_id__in=people) | Q(business_id__in=businesses))
            .order_by("pk")
            .values_list(
                "person_id",
                "business_id",
                "property_id",
                "property__cadastral_zone",
                "property__area_m2",
                "property__use",
                "property__year_built",
            )
        )
    properties = {}
    mine = defaultdict(list)
    for person_id, business_id, property_id, *unit in owned:
        properties[property_id] = _Unit(property_id, *unit)
        mine[payer_key(person_id, business_id)].append(property_id)
    owners = defaultdict(list)
    ids = list(properties)
    if pg:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, property_id, person_id, business_id, share FROM revenue_ownership"
                " WHERE property_id = ANY(%s) ORDER BY id",
                [ids],
            )
            for pk, property_id, person_id, business_id, share in cursor.fetchall():
                owners[property_id].append(_Owner(pk, person_id, business_id, share))
        ids = []
    for start in range(0, len(ids), bulk.CHUNK):
        for pk, property_id, person_id, business_id, share in (
            Ownership.objects.filter(property_id__in=ids[start : start + bulk.CHUNK])
            .order_by("pk")
            .values_list("pk", "property_id", "person_id", "business_id", "share")
        ):
            owners[property_id].append(_Owner(pk, person_id, business_id, share))
    out = {payer: [] for payer in batch}
    for payer in batch:
        for property_id in mine.get(payer, []):
            out[payer] += [
                c
                for c in compute_property(tables, properties[property_id], owners[property_id])
                if c.payer == payer
            ]
    for premises in Premises.objects.filter(
        municipality=municipality, business_id__in=businesses
    ).order_by("pk"):
        out[payer_key(business_id=premises.business_id)] += compute_premises(tables, premises)
    return out


_INVOICE_COLUMNS = (
    "id",
    "municipality_id",
    "year",
    "person_id",
    "business_id",
    "reference",
    "created_at",
)
_DEMAND_COLUMNS = (
    "id",
    "municipality_id",
    "invoice_id",
    "tax_head_id",
    "property_id",
    "premises_id",
    "run_id",
    "revision",
    "supersedes_id",
    "amount",
    "due_date",
    "basis",
    "reason",
    "created_at",
)


# Decision 0033: on PostgreSQL a batch is computed and written by the database itself, in one
# statement (below); ``SET_BASED = False`` takes the Python path there too (the benchmark's
# "before", and the tests' reference).
SET_BASED = True

# One statement per batch: the batch's taxpayers with their RF references, their invoices (found
# or made), what each owes (``compute_property`` / ``compute_premises`` in SQL), the current
# demands it supersedes, the new demands, and one ledger transaction per kind with its lines
# (``write_computed``'s postings). Every sub-statement sees the snapshot taken before any of
# them ran; the rows go from one to the next through RETURNING and the CTEs. The sealing is a
# second statement (a row cannot be updated by the statement that inserts it).
# Every read of a table the runs fill (invoices, demands, ledger lines) or of the register is a
# lookup by key per row of the batch: a LATERAL subquery the planner cannot flatten (OFFSET 0,
# LIMIT or an aggregate). Joined freely, the planner costs them by statistics taken before the
# run filled those tables, and chose at 800 000 units to hash the whole register or to sort
# every receivable line of the municipality (on disk) once per batch: ~1 s of a 1.5 s batch.
_BATCH_SQL = """
WITH payer AS (
  SELECT x AS person_id, NULL::bigint AS business_id, x AS payer,
    revenue_rf(%(prefix_p)s || lpad(x::text, greatest(10, length(x::text)), '0')) AS reference
  FROM unnest(%(people)s::bigint[]) x
  UNION ALL
  SELECT NULL::bigint, x, -x,
    revenue_rf(%(prefix_b)s || lpad(x::text, greatest(10, length(x::text)), '0'))
  FROM unnest(%(businesses)s::bigint[]) x
), found AS MATERIALIZED (
  SELECT payer.*, i.id AS invoice_id FROM payer
  LEFT JOIN LATERAL (
    SELECT i.id FROM revenue_invoice i
    WHERE i.municipality_id = %(municipality)s AND i.reference = payer.reference OFFSET 0
  ) i ON true
), made AS (
  INSERT INTO revenue_invoice (municipality_id, year, person_id, business_id, reference, created_at)
  SELECT %(municipality)s, %(year)s, person_id, business_id, reference, %(now)s
  FROM found WHERE invoice_id IS NULL
  ORDER BY person_id NULLS FIRST, business_id
  RETURNING id, coalesce(person_id, -business_id) AS payer
), invoice AS (
  SELECT payer, invoice_id FROM found WHERE invoice_id IS NOT NULL
  UNION ALL SELECT payer, id FROM made
), tariff AS MATERIALIZED (
  SELECT t.id, t.tax_head_id, t.use, t.rate, t.exempt_before_year, h.basis
  FROM revenue_tariff t JOIN revenue_taxhead h ON h.id = t.tax_head_id
  WHERE t.package_id = %(package)s
), owned AS MATERIALIZED (
  SELECT o.id AS ownership_id, coalesce(o.person_id, -o.business_id) AS payer, o.person_id,
    o.business_id, o.share, p.id AS property_id, p.cadastral_zone, p.area_m2, p.use,
    p.year_built
  FROM revenue_ownership o
  CROSS JOIN LATERAL (
    SELECT p.* FROM revenue_property p
    WHERE p.id = o.property_id AND p.municipality_id = %(municipality)s OFFSET 0
  ) p
  WHERE o.person_id = ANY(%(people)s) OR o.business_id = ANY(%(businesses)s)
), largest AS (
  -- A household tariff is billed to the largest owner: max by (share, -id), as in Python.
  SELECT u.property_id, o.id AS ownership_id
  FROM (SELECT DISTINCT property_id FROM owned WHERE use = 'residential') u
  CROSS JOIN LATERAL (
    SELECT o.id FROM revenue_ownership o WHERE o.property_id = u.property_id
    ORDER BY o.share DESC, o.id LIMIT 1
  ) o
), item AS (
  SELECT u.payer, u.person_id, u.business_id, t.tax_head_id, u.property_id,
    NULL::bigint AS premises_id,
    CASE t.basis
      WHEN 'building_value' THEN round(z.price_per_m2 * u.area_m2 * t.rate * u.share, 2)
      WHEN 'per_m2' THEN round(u.area_m2 * t.rate * u.share, 2)
      ELSE round(t.rate, 2)
    END AS amount,
    CASE t.basis
      WHEN 'building_value' THEN jsonb_build_object(
        'price_m2', z.price_per_m2::text, 'area_m2', u.area_m2::text, 'rate', t.rate::text,
        'share', u.share::text)
      WHEN 'per_m2' THEN jsonb_build_object(
        'area_m2', u.area_m2::text, 'rate', t.rate::text, 'share', u.share::text)
      ELSE jsonb_build_object('flat', t.rate::text)
    END AS basis,
    u.ownership_id AS first, t.id AS second
  FROM owned u
  JOIN tariff t ON t.use = u.use
  LEFT JOIN revenue_zoneprice z
    ON t.basis = 'building_value' AND z.package_id = %(package)s AND z.zone = u.cadastral_zone
  LEFT JOIN largest l ON t.basis = 'flat' AND l.property_id = u.property_id
  WHERE NOT (coalesce(t.exempt_before_year, 0) <> 0
             AND coalesce(u.year_built, 0) < t.exempt_before_year)
    AND CASE t.basis
      WHEN 'building_value' THEN z.price_per_m2 IS NOT NULL
      WHEN 'per_m2' THEN u.use = 'land'
      WHEN 'flat' THEN u.use = 'residential' AND l.ownership_id = u.ownership_id
      ELSE false
    END
  UNION ALL
  SELECT -pr.business_id, NULL, pr.business_id, t.tax_head_id, NULL, pr.id,
    CASE t.basis WHEN 'flat' THEN round(t.rate, 2) ELSE round(pr.sign_m2 * t.rate, 2) END,
    CASE t.basis
      WHEN 'flat' THEN jsonb_build_object('flat', t.rate::text)
      ELSE jsonb_build_object('sign_m2', pr.sign_m2::text, 'rate', t.rate::text)
    END,
    pr.id, t.id
  FROM revenue_premises pr
  JOIN tariff t ON t.use = 'economic' AND (t.basis = 'flat' OR (t.basis = 'per_m2' AND pr.sign_m2 > 0))
  WHERE pr.municipality_id = %(municipality)s AND pr.business_id = ANY(%(businesses)s)
), current AS MATERIALIZED (
  SELECT d.id, f.invoice_id, d.tax_head_id, coalesce(d.property_id, 0) AS property_id,
    coalesce(d.premises_id, 0) AS premises_id, d.amount, d.revision
  FROM found f
  CROSS JOIN LATERAL (
    SELECT d.* FROM revenue_demand d
    WHERE d.invoice_id = f.invoice_id
      AND NOT EXISTS (SELECT 1 FROM revenue_demand n WHERE n.supersedes_id = d.id)
    OFFSET 0
  ) d
  WHERE f.invoice_id IS NOT NULL
), new AS MATERIALIZED (
  SELECT nextval(%(demand_sequence)s::regclass) AS id, v.invoice_id, i.*,
    c.id AS previous_id, c.amount AS previous_amount, c.revision AS previous_revision
  FROM item i
  JOIN invoice v ON v.payer = i.payer
  LEFT JOIN current c
    ON c.invoice_id = v.invoice_id AND c.tax_head_id = i.tax_head_id
    AND c.property_id = coalesce(i.property_id, 0) AND c.premises_id = coalesce(i.premises_id, 0)
  WHERE c.id IS NULL OR c.amount <> i.amount
  ORDER BY i.person_id NULLS FIRST, i.business_id, i.first, i.second
), demand AS (
  INSERT INTO revenue_demand (id, municipality_id, invoice_id, tax_head_id, property_id,
    premises_id, run_id, revision, supersedes_id, amount, due_date, basis, reason, created_at)
  SELECT id, %(municipality)s, invoice_id, tax_head_id, property_id, premises_id, %(run)s,
    coalesce(previous_revision + 1, 1), previous_id, amount, %(due_date)s, basis,
    CASE WHEN previous_id IS NULL THEN '' ELSE 'reassessment' END, %(now)s
  FROM new
), still AS MATERIALIZED (
  -- What is still owed on the revised demands (sealed lines only, as ``ledger.lines_of``).
  SELECT n.previous_id AS demand_id, s.cents
  FROM new n
  CROSS JOIN LATERAL (
    SELECT coalesce(sum(l.cents), 0)::bigint AS cents
    FROM revenue_ledgerline l JOIN revenue_ledgertransaction t ON t.id = l.transaction_id
    WHERE l.demand_id = n.previous_id AND l.municipality_id = %(municipality)s AND t.sealed
      AND l.account = %(receivable)s
  ) s
  WHERE n.previous_id IS NOT NULL
), moved AS MATERIALIZED (
  SELECT n.id, n.previous_id, n.tax_head_id, n.person_id, n.business_id,
    CASE WHEN n.previous_id IS NULL THEN %(assessment)s ELSE %(revision)s END AS kind,
    (n.amount * 100)::bigint - coalesce((n.previous_amount * 100)::bigint, 0) AS difference,
    coalesce(s.cents, 0) AS still
  FROM new n LEFT JOIN still s ON s.demand_id = n.previous_id
  WHERE n.amount <> coalesce(n.previous_amount, 0)
), posted AS (
  INSERT INTO revenue_ledgertransaction (municipality_id, kind, booked_on, posted_at, memo, key,
    sealed, reverses_id)
  SELECT %(municipality)s, kind, %(today)s, %(now)s, %(memo)s,
    kind || %(key_run)s || (SELECT min(id) FROM new), false, NULL
  FROM (SELECT DISTINCT kind FROM moved) k
  ORDER BY kind
  RETURNING id, kind
), line AS (
  INSERT INTO revenue_ledgerline (transaction_id, municipality_id, account, cents, tax_head_id,
    demand_id, person_id, business_id, payment_id)
  SELECT p.id, %(municipality)s, x.account, x.cents, x.tax_head_id, x.demand_id, x.person_id,
    x.business_id, NULL
  FROM posted p JOIN (
    -- What was still owed on the old revision moves to the new one; a reduction below what
    -- was already paid becomes the taxpayer's credit; the income per tax head.
    SELECT kind, %(receivable)s AS account, -still AS cents, tax_head_id, previous_id AS demand_id,
      person_id, business_id
    FROM moved WHERE previous_id IS NOT NULL
    UNION ALL
    SELECT kind, %(receivable)s, greatest(still + difference, 0), tax_head_id, id, person_id,
      business_id
    FROM moved
    UNION ALL
    SELECT kind, %(credit)s, -greatest(-(still + difference), 0), NULL, NULL, person_id,
      business_id
    FROM moved
    UNION ALL
    SELECT kind, %(income)s, -sum(difference)::bigint, tax_head_id, NULL, NULL, NULL
    FROM moved GROUP BY kind, tax_head_id
  ) x ON x.kind = p.kind
  WHERE x.cents <> 0
)
SELECT array_agg(id) FROM posted
"""

_SEQUENCES: dict[str, str] = {}


def _write_batch_sql(run: AssessmentRun, tables: Tables, batch: list[str]) -> None:
    """``write_computed(run, tables, _compute_batch(tables, batch))`` as one statement on
    PostgreSQL (decision 0033): no row of the register, the bills or the ledger passes through
    Python. Then the batch's ledger transactions are sealed (the database checks each one's
    balance then, as for ``ledger.post_many``)."""
    if not batch:
        return
    package = tables.package
    municipality = package.municipality
    people = [int(p[2:]) for p in batch if p[0] == "P"]
    businesses = [int(p[2:]) for p in batch if p[0] == "B"]
    # The references' shape is checked here, with ``rf.make``'s own error: the longest id of
    # each kind makes the longest body.
    for kind, ids in (("P", people), ("B", businesses)):
        if ids:
            invoice_reference(municipality, package.year, f"{kind}:{max(ids)}")
    prefix = rf.compact(f"{municipality.code}{package.year % 100:02d}")
    if "demand" not in _SEQUENCES:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence('revenue_demand', 'id')")
            _SEQUENCES["demand"] = cursor.fetchone()[0]
    now = timezone.now()
    with connection.cursor() as cursor:
        # Compiling the statement's expressions to machine code (PostgreSQL's JIT, chosen by
        # the plan's cost) took ~125 ms of every 5 000-unit batch at 800 000 units and is
        # never reused: the statement runs once per batch. Off for this transaction only.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            _BATCH_SQL,
            {
                "prefix_p": prefix + "P",
                "prefix_b": prefix + "B",
                "people": people,
                "businesses": businesses,
                "municipality": municipality.pk,
                "year": package.year,
                "package": package.pk,
                "run": run.pk,
                "due_date": tables.due_date,
                "now": now,
                "today": timezone.localdate(),
                "memo": f"{package.year} run {run.pk}"[:300],
                "key_run": f":run{run.pk}:demand",
                "demand_sequence": _SEQUENCES["demand"],
                "receivable": Account.RECEIVABLE.value,
                "credit": Account.CREDIT.value,
                "income": Account.INCOME.value,
                "assessment": LedgerTransaction.Kind.ASSESSMENT.value,
                "revision": LedgerTransaction.Kind.REVISION.value,
            },
        )
        posted = cursor.fetchone()[0]
    if posted:
        bulk.update_ids("revenue_ledgertransaction", "sealed = TRUE", posted)


def write_batch(run: AssessmentRun, tables: Tables, batch: list[str]) -> None:
    """Assess the taxpayers ``batch`` (payer keys) inside the caller's transaction: on
    PostgreSQL set-based in SQL (``_write_batch_sql``, decision 0033), elsewhere computed in
    Python (``_compute_batch``) and written by ``write_computed``. The two give the same rows
    (tests/revenue/test_assessment_shards.py compares them)."""
    if SET_BASED and connection.vendor == "postgresql":
        _write_batch_sql(run, tables, batch)
    else:
        write_computed(run, tables, _compute_batch(tables, batch))


def write_computed(run: AssessmentRun, tables: Tables, computed: dict[str, list[Computed]]):
    """``write_demands`` for a whole batch, set-wise, inside the caller's transaction: the
    batch's invoices and current demands read in one query each; new invoices, demands
    (revisions where an amount changed) and their ledger postings written as plain rows
    (``bulk``: COPY on PostgreSQL, executemany on SQLite) with their ids reserved up front."""
    package = tables.package
    municipality = package.municipality
    mid = municipality.pk
    now = timezone.now()
    references = {payer: invoice_reference(municipality, package.year, payer) for payer in computed}
    invoices = {}  # reference -> id
    wanted = list(references.values())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reference, id FROM revenue_invoice"
                " WHERE municipality_id = %s AND reference = ANY(%s)",
                [mid, wanted],
            )
            invoices.update(cursor.fetchall())
        wanted = []
    for start in range(0, len(wanted), bulk.CHUNK):
        invoices.update(
            Invoice.objects.filter(
                municipality=municipality, reference__in=wanted[start : start + bulk.CHUNK]
            ).values_list("reference", "pk")
        )
    existing = list(invoices.values())
    missing = [(payer, ref) for payer, ref in references.items() if ref not in invoices]
    ids = bulk.reserve_ids("revenue_invoice", len(missing))
    rows = []
    for pk, (payer, ref) in zip(ids, missing, strict=True):
        person = int(payer[2:]) if payer[0] == "P" else None
        business = None if person else int(payer[2:])
        rows.append((pk, mid, package.year, person, business, ref, now))
        invoices[ref] = pk
    bulk.insert("revenue_invoice", _INVOICE_COLUMNS, rows)
    current = {}  # (invoice, tax head, property, premises) -> (id, amount, revision)
    if connection.vendor == "postgresql" and existing:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT d.id, d.invoice_id, d.tax_head_id, d.property_id, d.premises_id,"
                " d.amount, d.revision FROM revenue_demand d WHERE d.invoice_id = ANY(%s)"
                " AND NOT EXISTS (SELECT 1 FROM revenue_demand n WHERE n.supersedes_id = d.id)",
                [existing],
            )
            for pk, invoice_id, head, prop, premises, amount, revision in cursor.fetchall():
                current[(invoice_id, head, prop, premises)] = (pk, amount, revision)
        existing = []
    for start in range(0, len(existing), bulk.CHUNK):
        for pk, invoice_id, head, prop, premises, amount, revision in Demand.objects.filter(
            invoice_id__in=existing[start : start + bulk.CHUNK], superseded_by__isnull=True
        ).values_list(
            "pk", "invoice_id", "tax_head_id", "property_id", "premises_id", "amount", "revision"
        ):
            current[(invoice_id, head, prop, premises)] = (pk, amount, revision)
    new = []  # (payer, reference, item, previous)
    for payer, items in computed.items():
        reference = references[payer]
        invoice_id = invoices[reference]
        for item in items:
            previous = current.get(
                (invoice_id, item.tax_head_id, item.property_id, item.premises_id)
            )
            if previous is not None and previous[1] == item.amount:
                continue
            new.append((payer, reference, invoice_id, item, previous))
    if not new:
        return
    demand_ids = bulk.reserve_ids("revenue_demand", len(new))
    bulk.insert(
        "revenue_demand",
        _DEMAND_COLUMNS,
        [
            (
                pk,
                mid,
                invoice_id,
                item.tax_head_id,
                item.property_id,
                item.premises_id,
                run.pk,
                previous[2] + 1 if previous else 1,
                previous[0] if previous else None,
                item.amount,
                tables.due_date,
                item.basis,
                "reassessment" if previous else "",
                now,
            )
            for pk, (_payer, _ref, invoice_id, item, previous) in zip(demand_ids, new, strict=True)
        ],
    )
    revised = [previous[0] for *_rest, previous in new if previous is not None]
    still = defaultdict(Decimal)
    for start in range(0, len(revised), bulk.CHUNK):
        rows = (
            ledger.lines_of(municipality)
            .filter(account=Account.RECEIVABLE, demand_id__in=revised[start : start + bulk.CHUNK])
            .values("demand")
            .annotate(total=Sum("cents"))
        )
        for row in rows:
            still[row["demand"]] = cents_to_money(row["total"])
    today = timezone.localdate()
    # One ledger transaction per batch and kind (decision 0027), not one per demand: a
    # receivable line per demand (naming it, its tax head and its payer: every balance per
    # demand, taxpayer and tax head is still read from the ledger) and one income line per tax
    # head for the whole batch. Nine rows per residential unit instead of seventeen.
    postings = {}  # kind -> (receivable and credit lines, {tax head: income difference})
    for pk, (payer, _reference, _invoice_id, item, previous) in zip(demand_ids, new, strict=True):
        difference = item.amount - (previous[1] if previous else Decimal(0))
        if not difference:
            continue
        kind = LedgerTransaction.Kind.REVISION if previous else LedgerTransaction.Kind.ASSESSMENT
        lines, income = postings.setdefault(kind, ([], defaultdict(Decimal)))
        payer_refs = _payer_fields(payer)
        refs = {"tax_head_id": item.tax_head_id, **payer_refs}
        # What is still owed on the old revision moves to the new one; a reduction below what
        # was already paid becomes the taxpayer's credit.
        still_owed = still[previous[0]] if previous else Decimal(0)
        new_owed = still_owed + difference
        if previous:
            lines.append(
                ledger.credit(Account.RECEIVABLE, still_owed, demand_id=previous[0], **refs)
            )
        lines.append(
            ledger.debit(Account.RECEIVABLE, max(new_owed, Decimal(0)), demand_id=pk, **refs)
        )
        lines.append(ledger.credit(Account.CREDIT, max(-new_owed, Decimal(0)), **payer_refs))
        income[item.tax_head_id] += difference
    entries = []
    for kind, (lines, income) in postings.items():
        lines += [
            ledger.credit(Account.INCOME, amount, tax_head_id=head)
            for head, amount in sorted(income.items())
        ]
        entries.append(
            ledger.Entry(
                kind,
                lines,
                # The batch's first new demand names it: created just now, so the key is new.
                key=f"{kind}:run{run.pk}:demand{demand_ids[0]}",
                booked_on=today,
                memo=f"{package.year} run {run.pk}",
            )
        )
    ledger.post_many(municipality, entries, fresh_keys=True)


def run_batch(run_id: int, size: int = BATCH, *, keys: list[str] | None = None) -> bool:
    """Assess the next ``size`` taxpayers of the run; True when the run is finished. ``keys``
    is the run's taxpayer list when the caller read it already (``run_to_end`` reads it once
    per run, not once per batch)."""
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().select_related("package").get(pk=run_id)
        if run.status in (AssessmentRun.Status.DONE, AssessmentRun.Status.FAILED):
            return True
        if run.shards > 1:
            raise ValueError("a sharded run is assessed shard by shard (run_shard_batch)")
        if keys is None:
            keys = payers(run.municipality)
        tables = Tables(run.package)
        batch = keys[run.done : run.done + size]
        write_batch(run, tables, batch)
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
    if finished:
        _analyze()
    return finished


def _analyze() -> None:
    """Fresh planner statistics for the tables a run has just filled (PostgreSQL): a run writes
    millions of rows faster than autovacuum samples them, and the next statement import's
    matching reads invoices by payer (measured: a 100 000-line import planned against the
    statistics of an empty invoice table took minutes instead of seconds)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE revenue_invoice, revenue_demand, revenue_ledgertransaction, revenue_ledgerline"
        )


def run_to_end(run_id: int, size: int = BATCH) -> AssessmentRun:
    """Assess the whole run in this process (a sharded run: its shards one after the other;
    ``run_shard_to_end`` runs one shard, in as many workers as there are shards)."""
    run = AssessmentRun.objects.select_related("municipality").get(pk=run_id)
    keys = payers(run.municipality)  # once per run; each batch resumes by position in it
    if run.shards > 1:
        for number in range(run.shards):
            run_shard_to_end(run_id, number, size, keys=keys)
        return AssessmentRun.objects.get(pk=run_id)
    while not run_batch(run_id, size, keys=keys):
        pass
    return AssessmentRun.objects.get(pk=run_id)


_SHARD_KEYS: list = []  # [(keys, shards, number, the shard's keys)]: the last one computed


def _shard_keys(keys: list[str], shards: int, number: int) -> list[str]:
    """The taxpayers of shard ``number``, in ``keys``' order. Kept for the next batch of the
    same worker when it is given the same list (``run_shard_to_end`` passes one list to all its
    batches): picking them out again per batch cost a pass over the whole register per batch
    (at 800 000 taxpayers, 160 batches: ~10⁸ ``shard_of`` calls)."""
    if _SHARD_KEYS:
        last_keys, last_shards, last_number, mine = _SHARD_KEYS[0]
        if last_keys is keys and (last_shards, last_number) == (shards, number):
            return mine
    mine = [key for key in keys if shard_of(key, shards) == number]
    _SHARD_KEYS[:] = [(keys, shards, number, mine)]
    return mine


def run_shard_batch(
    run_id: int, number: int, size: int = BATCH, *, keys: list[str] | None = None
) -> bool:
    """Assess the next ``size`` taxpayers of shard ``number`` of a sharded run (decision 0029);
    True when the shard is finished. Like ``run_batch``, one transaction: the batch's rows,
    the shard's position and the run's progress commit together. The shard's row is locked,
    so two workers given the same shard take its batches in turn, never the same one; workers
    of different shards write different taxpayers' rows and run side by side. ``keys`` is the
    municipality's taxpayer list (``payers``) when the caller read it already."""
    with transaction.atomic():
        shard = (
            # Only the shard's row: without ``of``, FOR UPDATE would lock the run's, the
            # package's and the municipality's rows too, and the shards would run in turn.
            AssessmentShard.objects.select_for_update(of=("self",))
            .select_related("run__package", "run__municipality")
            .get(run_id=run_id, number=number)
        )
        run = shard.run
        if shard.finished or run.status in (
            AssessmentRun.Status.DONE,
            AssessmentRun.Status.FAILED,
        ):
            return True
        if keys is None:
            keys = payers(run.municipality)
        mine = _shard_keys(keys, run.shards, number)
        tables = Tables(run.package)
        batch = mine[shard.done : shard.done + size]
        write_batch(run, tables, batch)
        finished = shard.done + len(batch) >= len(mine)
        AssessmentShard.objects.filter(pk=shard.pk).update(
            done=F("done") + len(batch), total=len(mine), finished=finished
        )
        # Last, so the run's row stays locked only for the commit.
        AssessmentRun.objects.filter(pk=run.pk).update(
            done=F("done") + len(batch), status=AssessmentRun.Status.RUNNING
        )
        run_done = finished and _finish_if_complete(run)
    if run_done:
        _analyze()
    return finished


def _finish_if_complete(run: AssessmentRun) -> bool:
    """Mark a sharded run done when its last shard has just finished (inside that shard's
    transaction, which holds the run's row: two shards finishing at once take it in turn,
    and the second sees the first's shard finished)."""
    # FOR NO KEY UPDATE: the lock our UPDATE of ``done`` already holds. A plain FOR UPDATE
    # would wait for the other shards' key-share locks (their demands name the run) while
    # they wait for our UPDATE: a deadlock (measured with two workers).
    run = (
        AssessmentRun.objects.select_for_update(of=("self",), no_key=True)
        .select_related("package")
        .get(pk=run.pk)
    )
    if AssessmentShard.objects.filter(run=run, finished=False).exists():
        return False
    AssessmentRun.objects.filter(pk=run.pk).update(
        status=AssessmentRun.Status.DONE,
        total=run.done,  # every shard's taxpayers, as assessed
        finished_at=timezone.now(),
    )
    audit.record(
        "revenue.assessment.done",
        municipality=run.municipality,
        obj=run,
        data={"year": run.package.year, "taxpayers": run.done},
    )
    return True


def run_shard_to_end(
    run_id: int, number: int, size: int = BATCH, *, keys: list[str] | None = None
) -> None:
    """Assess shard ``number`` of a sharded run to its end (one worker's share)."""
    if keys is None:
        run = AssessmentRun.objects.select_related("municipality").get(pk=run_id)
        keys = payers(run.municipality)
    while not run_shard_batch(run_id, number, size, keys=keys):
        pass
