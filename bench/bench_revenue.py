"""Benchmark of the revenue module: assessment of property units and reconciliation of bank
statement lines, each next to its floor.

    .venv/bin/python bench/bench_revenue.py [--units 800000] [--lines 100000]
        [--orm-taxpayers 1000] [--orm-lines 2000] [--database URL] [--no-record] [--no-floor]
        [--workers 2] [--assessment-only]

``--database`` runs the end-to-end parts on that (empty, scratch) database instead of a fresh
SQLite file, e.g. ``postgres://postgres@127.0.0.1:5432/sportel_bench``: its revenue tables are
written to and its ledger rows deleted and re-inserted for the floor.

* Assessment, compute: ``assessment.compute_property`` for every unit, in memory, against the
  floor "the same arithmetic in plain SQL" (SQLite, one ``SELECT SUM(ROUND(...))`` over a table
  of the units). Assessment, end to end: ``run_to_end`` on a SQLite database (demands, invoices
  with RF references and balanced ledger postings), per taxpayer, extrapolated to ``--units``.
* Reconciliation, parse: ``camt053.parse`` of a ``--lines`` statement against the floor "plain
  lxml" (iterparse pulling each amount and reference). Reconciliation, end to end:
  ``statements.import_camt053`` of ``--orm-lines`` lines that all match by RF (payment,
  receipt and allocation postings, statement lines), extrapolated to ``--lines``.
* Writes floor, for both end-to-end rows: the very rows the step wrote (read back, deleted, and
  inserted again) with plain SQL alone: COPY on PostgreSQL, executemany on SQLite, then the
  same sealing UPDATE. The ledger's triggers fire for the floor as for us: they are part of the
  work. ``ours ÷ floor`` is what the code adds to the database's own cost.

Prints the figures and rewrites its own section of docs/benchmarks.md.
"""

import argparse
import io
import os
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

DATA_DIR = tempfile.mkdtemp(prefix="sportel-bench-revenue-")
os.environ["SPORTEL_DATA_DIR"] = DATA_DIR
os.environ.pop("SPORTEL_DATABASE_URL", None)
if "--database" in sys.argv:
    os.environ["SPORTEL_DATABASE_URL"] = sys.argv[sys.argv.index("--database") + 1]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportel.settings")
os.environ.setdefault("SPORTEL_LOG_LEVEL", "WARNING")


def setup():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def camt(lines: int, refs: list[str]) -> bytes:
    out = io.StringIO()
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>BENCH</MsgId></GrpHdr><Stmt><Id>BENCH-1</Id>"
        "<Acct><Id><IBAN>AL47212110090000000235698741</IBAN></Id><Ccy>ALL</Ccy></Acct>"
    )
    for i in range(lines):
        ref = refs[i % len(refs)]
        out.write(
            f'<Ntry><Amt Ccy="ALL">{100 + i % 900}.50</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-05-04</Dt></BookgDt>"
            f"<AcctSvcrRef>B{i}</AcctSvcrRef><NtryDtls><TxDtls>"
            f'<Amt Ccy="ALL">{100 + i % 900}.50</Amt>'
            f"<RltdPties><Dbtr><Pty><Nm>Pagues {i}</Nm></Pty></Dbtr></RltdPties>"
            f"<RmtInf><Strd><CdtrRefInf><Ref>{ref}</Ref></CdtrRefInf></Strd></RmtInf>"
            f"</TxDtls></NtryDtls></Ntry>"
        )
    out.write("</Stmt></BkToCstmrStmt></Document>")
    return out.getvalue().encode()


def lxml_floor(data: bytes) -> int:
    from lxml import etree

    total, n = Decimal(0), 0
    ns = "{urn:iso:std:iso:20022:tech:xsd:camt.053.001.08}"
    for _event, node in etree.iterparse(io.BytesIO(data), tag=f"{ns}TxDtls"):
        total += Decimal(node.findtext(f"{ns}Amt"))
        node.findtext(f"{ns}RmtInf/{ns}Strd/{ns}CdtrRefInf/{ns}Ref")
        n += 1
        node.clear()
    return n


# What each end-to-end step writes, in the order rows must go in (foreign keys first).
ASSESSMENT_TABLES = (
    "revenue_invoice",
    "revenue_demand",
    "revenue_ledgertransaction",
    "revenue_ledgerline",
)
IMPORT_TABLES = (
    "revenue_statement",
    "revenue_payment",
    "revenue_statementline",
    "revenue_ledgertransaction",
    "revenue_ledgerline",
)


def watermarks(tables) -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            out[table] = cursor.fetchone()[0]
    return out


def writes_floor(marks: dict[str, int]) -> float:
    """Read back the rows written since ``marks``, delete them, and time inserting them again
    with plain SQL (transactions open, then lines, then the sealing UPDATE), in one
    transaction."""

    from django.db import connection, transaction

    pg = connection.vendor == "postgresql"
    saved = {}
    with connection.cursor() as cursor:
        for table, mark in marks.items():
            where = "transaction_id" if table == "revenue_ledgerline" else "id"
            if table == "revenue_ledgerline":
                mark = marks["revenue_ledgertransaction"]
            cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            columns = [c[0] for c in cursor.description]
            if pg:
                # COPY out and back in as the server's own text (no Python per row: a stricter
                # floor, and the rows of an 800 000-unit run fit in memory).
                select = ", ".join("FALSE" if c == "sealed" else c for c in columns)
                data = io.BytesIO()
                with cursor.cursor.copy(
                    f"COPY (SELECT {select} FROM {table} WHERE {where} > {int(mark)} ORDER BY id)"
                    " TO STDOUT"
                ) as copy:
                    for block in copy:
                        data.write(block)
                saved[table] = (columns, data.getvalue())
                continue
            cursor.execute(f"SELECT * FROM {table} WHERE {where} > %s ORDER BY id", [mark])
            rows = cursor.fetchall()
            if table == "revenue_ledgertransaction":
                at = columns.index("sealed")
                rows = [(*r[:at], False, *r[at + 1 :]) for r in rows]
            saved[table] = (columns, rows)
        if pg:
            cursor.execute("ALTER TABLE revenue_ledgerline DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE revenue_ledgertransaction DISABLE TRIGGER USER")
        for table in reversed(list(marks)):
            where = "transaction_id" if table == "revenue_ledgerline" else "id"
            mark = marks["revenue_ledgertransaction" if table == "revenue_ledgerline" else table]
            cursor.execute(f"DELETE FROM {table} WHERE {where} > %s", [mark])
        if pg:
            cursor.execute("ALTER TABLE revenue_ledgerline ENABLE TRIGGER USER")
            cursor.execute("ALTER TABLE revenue_ledgertransaction ENABLE TRIGGER USER")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table, (columns, rows) in saved.items():
            names = ", ".join(columns)
            if pg:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    copy.write(rows)
            else:
                marks_sql = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks_sql})", rows)
        cursor.execute(
            "UPDATE revenue_ledgertransaction SET sealed = TRUE WHERE id > %s",
            [marks["revenue_ledgertransaction"]],
        )
    return time.perf_counter() - start


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench_compute(units: int):
    """compute_property over ``units`` unsaved units vs the same arithmetic in plain SQL."""
    from sportel.revenue.assessment import Tables, compute_property
    from sportel.revenue.models import Ownership, Property

    class FakeTables(Tables):
        def __init__(self):
            self.zones = {"8601": Decimal(52000), "8602": Decimal(45000)}
            from collections import defaultdict

            from sportel.revenue.models import Tariff, TaxHead

            head = TaxHead(pk=1, basis=TaxHead.Basis.BUILDING_VALUE)
            tariff = Tariff(tax_head=head, use="residential", rate=Decimal("0.0005"))
            tariff.tax_head_id = 1
            self.tariffs = defaultdict(list)
            self.tariffs[(head.basis, "residential")].append(tariff)

    tables = FakeTables()
    props = [
        Property(
            pk=i,
            cadastral_zone="8601" if i % 2 else "8602",
            area_m2=Decimal(40 + i % 120),
            use="residential",
            year_built=2000,
        )
        for i in range(units)
    ]
    owner = [Ownership(pk=1, person_id=1, share=Decimal(1))]

    def ours():
        return sum(compute_property(tables, p, owner)[0].amount for p in props)

    def floor():
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE p (zone TEXT, area NUMERIC)")
        db.execute("CREATE TABLE z (zone TEXT PRIMARY KEY, price NUMERIC)")
        db.executemany("INSERT INTO z VALUES (?, ?)", [("8601", 52000), ("8602", 45000)])
        db.executemany(
            "INSERT INTO p VALUES (?, ?)",
            (("8601" if i % 2 else "8602", 40 + i % 120) for i in range(units)),
        )
        start = time.perf_counter()
        total = db.execute(
            "SELECT SUM(ROUND(z.price * p.area * 0.0005, 2)) FROM p JOIN z USING (zone)"
        ).fetchone()[0]
        return time.perf_counter() - start, total

    ours_s, ours_total = timed(ours)
    floor_s, floor_total = floor()
    assert abs(float(ours_total) - floor_total) < 1, (ours_total, floor_total)
    return ours_s, floor_s


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backend_pid():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "")
        return cursor.fetchone()[0] if connection.vendor == "postgresql" else None


def _shard_worker(run_id: int, number: int, out) -> None:
    """One worker process of a sharded run (decision 0029): its shard to the end, then its own
    CPU and its PostgreSQL backend's."""
    from django.db import connection

    from sportel.revenue import assessment

    backend = _backend_pid()
    before = _cpu_seconds(backend) if backend else 0.0
    assessment.run_shard_to_end(run_id, number)
    out.put((_cpu_seconds(os.getpid()), (_cpu_seconds(backend) - before) if backend else 0.0))
    connection.close()


def assess(run_id: int, workers: int) -> dict:
    """Run the assessment (``workers`` processes for a sharded run) and return the CPU seconds
    of the Python side and of the PostgreSQL backends that did the work."""
    from django.db import connection, connections

    from sportel.revenue import assessment

    if workers <= 1:
        backend = _backend_pid()
        py0 = time.process_time()
        db0 = _cpu_seconds(backend) if backend else 0.0
        assessment.run_to_end(run_id)
        return {
            "python": time.process_time() - py0,
            "database": (_cpu_seconds(backend) - db0) if backend else float("nan"),
        }
    import multiprocessing

    connections.close_all()  # each forked worker opens its own connection
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    procs = [
        context.Process(target=_shard_worker, args=(run_id, number, out))
        for number in range(workers)
    ]
    for proc in procs:
        proc.start()
    import queue

    results = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=2))
        except queue.Empty:
            failed = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if failed:
                for proc in procs:
                    proc.terminate()
                raise SystemExit(f"a worker failed (exit codes {failed})") from None
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0, proc.exitcode
    connection.connect()
    return {
        "python": sum(r[0] for r in results),
        "database": sum(r[1] for r in results)
        if connection.vendor == "postgresql"
        else float("nan"),
    }


def check_billed_once(shkoder, units: int) -> None:
    """Every unit billed exactly once (four demands and four receivable lines each), every
    ledger transaction sealed and balanced."""
    from django.db.models import Count, Sum

    from sportel.revenue.models import Account, Demand, LedgerLine, LedgerTransaction

    demands = Demand.objects.filter(municipality=shkoder)
    assert demands.count() == 4 * units, demands.count()
    assert demands.values("property_id").distinct().count() == units
    per_unit = demands.values("property_id", "tax_head_id").annotate(n=Count("id"))
    assert not per_unit.filter(n__gt=1).exists()
    receivable = LedgerLine.objects.filter(account=Account.RECEIVABLE, demand__isnull=False)
    assert receivable.count() == 4 * units
    assert not LedgerTransaction.objects.filter(sealed=False).exists()
    assert not LedgerTransaction.objects.annotate(total=Sum("lines__cents")).exclude(total=0)


def bench_orm_assessment(taxpayers: int, *, floor: bool = True, workers: int = 1):
    from django.db import connection

    from sportel.core.models import Municipality, Person
    from sportel.core.tenancy import load_municipalities
    from sportel.revenue import assessment, fiscal
    from sportel.revenue.models import Ownership, Property

    load_municipalities({"shkoder"})
    shkoder = Municipality.objects.get(slug="shkoder")
    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    people = Person.objects.bulk_create(
        [
            Person(municipality=shkoder, first_name="A", last_name=str(i), nid=None)
            for i in range(taxpayers)
        ]
    )
    props = Property.objects.bulk_create(
        [
            Property(
                municipality=shkoder,
                cadastral_zone="8601",
                property_number=str(i),
                area_m2=Decimal(50 + i % 90),
                use="residential",
            )
            for i in range(taxpayers)
        ]
    )
    Ownership.objects.bulk_create(
        [
            Ownership(property=p, person=person, share=Decimal(1))
            for p, person in zip(props, people, strict=True)
        ]
    )
    if connection.vendor == "postgresql":
        # A register of this size has been analysed long before its first assessment.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE core_person, revenue_property, revenue_ownership")
    run = assessment.start_run(package, **({"shards": workers} if workers > 1 else {}))
    marks = watermarks(ASSESSMENT_TABLES)
    load = os.getloadavg()[0]
    seconds, cpu = timed(lambda: assess(run.pk, workers))
    cpu["load"] = (load + os.getloadavg()[0]) / 2
    check_billed_once(shkoder, taxpayers)
    print(
        f"assessment of {taxpayers} units, {workers} worker(s): {seconds:.2f} s wall, "
        f"CPU Python {cpu['python']:.2f} s, PostgreSQL backends {cpu['database']:.2f} s, "
        f"load average {cpu['load']:.1f}",
        flush=True,
    )
    return shkoder, seconds, writes_floor(marks) if floor else float("nan"), cpu


def bench_orm_import(shkoder, lines: int, *, floor: bool = True):
    from sportel.revenue import statements
    from sportel.revenue.models import Invoice

    refs = list(Invoice.objects.filter(municipality=shkoder).values_list("reference", flat=True))
    data = camt(lines, refs)
    marks = watermarks(IMPORT_TABLES)
    backend = backend_pid()
    cpu_before, backend_before = time.process_time(), backend_cpu(backend)
    parser_before = _children_cpu()
    seconds, summary = timed(lambda: statements.import_camt053(shkoder, data))
    IMPORT_CPU.update(
        python=time.process_time() - cpu_before,
        parser=_children_cpu() - parser_before,
        database=backend_cpu(backend) - backend_before,
        load=os.getloadavg(),
    )
    assert summary.applied == lines, summary.line()
    return seconds, writes_floor(marks) if floor else float("nan")


IMPORT_CPU: dict = {}


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the statement's parser process)."""
    times = os.times()
    return times.children_user + times.children_system


def backend_pid() -> int | None:
    """The PostgreSQL backend serving this connection, when it runs on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def backend_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) the backend has used so far, from /proc (0 without one)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def extrapolated(measured: int, size: int) -> str:
    return "" if measured >= size else ", extrapolated"


def measured_on(measured: int, size: int) -> str:
    return "" if measured >= size else f" (measured on {measured:,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=800_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--orm-taxpayers", type=int, default=1_000)
    parser.add_argument("--orm-lines", type=int, default=2_000)
    parser.add_argument("--database", default="", help="scratch database URL (default SQLite)")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the end-to-end floors (they re-insert a whole run in one transaction, whose "
        "commit did not finish in 5 minutes for 100 000 units here)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="assess in a run of this many shards, one worker process each (decision 0029)",
    )
    parser.add_argument(
        "--assessment-only",
        action="store_true",
        help="the end-to-end assessment alone (its wall and CPU figures printed), nothing else",
    )
    parser.add_argument(
        "--python-path",
        action="store_true",
        help="on PostgreSQL too, compute the bills in Python and COPY them (the path before "
        "decision 0033; the SQL path is the default there)",
    )
    args = parser.parse_args()
    setup()
    if args.python_path:
        from sportel.revenue import assessment

        assessment.SET_BASED = False  # forked workers inherit it
    if args.assessment_only:
        _shkoder, seconds, floor_s, _cpu = bench_orm_assessment(
            args.orm_taxpayers, floor=not args.no_floor, workers=args.workers
        )
        print(
            f"path {'Python' if args.python_path else 'SQL on PostgreSQL'}; "
            f"floor {floor_s:.2f} s; ours ÷ floor {seconds / floor_s:.2f}; per unit "
            f"{seconds / args.orm_taxpayers * 1e6:.0f} µs, {args.units:,} units at that rate "
            f"{seconds / args.orm_taxpayers * args.units:.0f} s; load average "
            + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        )
        return
    from sportel.revenue import camt053

    compute_s, compute_floor_s = bench_compute(args.units)
    data = camt(args.lines, ["RF18539007547034"])
    parse_s, parsed = timed(lambda: camt053.parse(data))
    assert len(parsed.lines) == args.lines
    floor_parse_s, n = timed(lambda: lxml_floor(data))
    assert n == args.lines
    from django.db import connection

    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    shkoder, orm_assess_s, assess_floor_s, _cpu = bench_orm_assessment(
        args.orm_taxpayers, floor=not args.no_floor, workers=args.workers
    )
    orm_import_s, import_floor_s = bench_orm_import(
        shkoder, args.orm_lines, floor=not args.no_floor
    )

    per_taxpayer = orm_assess_s / args.orm_taxpayers
    per_line = orm_import_s / args.orm_lines
    rows = [
        (
            "Assessment, compute only",
            f"{args.units:,} units",
            compute_s,
            compute_floor_s,
            "plain SQL",
        ),
        (
            f"Assessment, end to end ({vendor}{extrapolated(args.orm_taxpayers, args.units)})",
            f"{args.units:,} units" + measured_on(args.orm_taxpayers, args.units),
            per_taxpayer * args.units,
            assess_floor_s / args.orm_taxpayers * args.units,
            "the same rows inserted with plain SQL",
        ),
        ("Reconciliation, parse", f"{args.lines:,} lines", parse_s, floor_parse_s, "plain lxml"),
        (
            f"Reconciliation, end to end ({vendor}{extrapolated(args.orm_lines, args.lines)})",
            f"{args.lines:,} lines" + measured_on(args.orm_lines, args.lines),
            per_line * args.lines,
            import_floor_s / args.orm_lines * args.lines,
            "the same rows inserted with plain SQL",
        ),
    ]
    table = [
        "| what | size | ours | floor | floor is | ours ÷ floor |",
        "|---|---|---:|---:|---|---:|",
    ]
    for what, size, ours, floor, kind in rows:
        table.append(
            f"| {what} | {size} | {ours:.2f} s | {floor:.2f} s | {kind} | {ours / floor:.1f} |"
            if floor == floor  # not NaN (--no-floor)
            else f"| {what} | {size} | {ours:.2f} s | not measured | {kind} | — |"
        )
    if IMPORT_CPU:
        table.append("")
        table.append(
            f"Reconciliation of {args.orm_lines:,} lines: {orm_import_s:.2f} s wall, "
            f"{IMPORT_CPU['python']:.2f} s CPU in Python (and {IMPORT_CPU['parser']:.2f} s in "
            f"its parser process), {IMPORT_CPU['database']:.2f} s CPU in "
            "the PostgreSQL backend (0 on SQLite, or when the server is elsewhere), load "
            f"average {IMPORT_CPU['load'][0]:.2f} at its end."
        )
    text = "\n".join(table)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(text)
    print(f"load average: {load}")
    if not args.no_record:
        from run import machine, today, write_section

        write_section(
            "Revenue: assessment and reconciliation"
            + (" (PostgreSQL)" if vendor == "PostgreSQL" else ""),
            f"""- Date: {today()}
- Machine: {machine()}
- Command: `.venv/bin/python bench/bench_revenue.py --units {args.units} --lines {args.lines} --orm-taxpayers {args.orm_taxpayers} --orm-lines {args.orm_lines}{f" --workers {args.workers}" if args.workers > 1 else ""}{" --no-floor" if args.no_floor else ""}{" --database postgres://…/<scratch database>" if args.database else ""}`
- Targets (issue 11): assessment of 800 000 units < 60 s; reconciliation of 100 000 lines < 10 s.

{text}

Load average (1, 5, 15 min) at the end of the run: {load}; the machine's 2 cores are shared,
so every figure above is a ceiling, not this code's own cost. Rows marked "extrapolated" are
scaled from the measured size; the others are the full size.

What the code does: an assessment run is split into shards (decision 0029), one worker process
each; a batch of 5 000 taxpayers is one SQL statement on PostgreSQL (decision 0033) that
computes the bills from the register and the fiscal package and writes invoices, demands and
one ledger transaction per batch — a receivable line per demand and one income line per tax
head (decision 0027) — then seals it, which checks its balance. Every read inside the batch
is a look-up by key per row, whatever the tables' statistics say, and the references are
checked once per statement by key (decisions 0036, 0038). A statement import matches in
memory after one read of what matching needs and writes payments, statement lines and, for a
matched line, one transaction from the bank to the demands. The floor is those very rows,
copied out after our run, deleted and copied in again with plain SQL alone (``COPY`` of the
server's own text on PostgreSQL, ``executemany`` on SQLite, the same sealing ``UPDATE``, the
same triggers): ``ours ÷ floor`` is what the code adds to the database's own cost.""",
        )


if __name__ == "__main__":
    main()
