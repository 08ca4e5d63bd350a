"""Services benchmark: application submissions per second, and the staff queue's p95 with
1,000,000 cases in PostgreSQL — each next to its floor.

- Submissions: ``services.submit_application`` (online, public information request: form
  validation, person lookup, gap-free number under a row lock, application + case + history
  row, deadlines in working days, audit-chain entry, outbox notification) in one process,
  sequentially and from 4 threads. Floor: the same rows written by plain SQL through psycopg in
  one transaction each (counter UPDATE ... RETURNING, application, case, case event, audit
  entry + audit head, notification).
- Staff queue: one page as the staff queue serves it (``selectors.staff_queue``: count + the
  first 50 open cases by legal end) for five filter combinations. Floor: the very same SQL
  statements (taken from the querysets) run through a psycopg cursor.

The 1 M cases are bulk-loaded with ``INSERT ... SELECT generate_series`` (95 % closed, 5 % open,
spread over the catalogue's services, 10 specialists, the units and two years of deadlines)
into a dedicated database, ``sportel_bench_services`` (dropped and re-created unless --reuse).

    .venv/bin/python bench/bench_services.py [--cases 1000000] [--submissions 300] [--reuse]
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from bench.run import in_threads, machine, median, setup_django, today, write_section  # noqa: E402

DB_NAME = os.environ.get("SPORTEL_BENCH_SERVICES_DB", "sportel_bench_services")


def seed(n_cases: int) -> dict:
    """Catalogue, staff and citizens with Django; the million cases with generate_series."""
    from django.db import connection

    from sportel.accounts.models import StaffRole, User
    from sportel.core.models import Municipality, Person
    from sportel.core.tenancy import load_municipalities
    from sportel.services.catalogue import seed_catalogue
    from sportel.services.models import Case, ServiceType

    load_municipalities({"shkoder", "lezhe"})
    shkoder = Municipality.objects.get(slug="shkoder")
    if not ServiceType.objects.filter(municipality=shkoder).exists():
        seed_catalogue(shkoder)
    specialists = []
    for i in range(10):
        user, _ = User.objects.get_or_create(username=f"specialist{i}@bench.sportel.al")
        StaffRole.objects.get_or_create(user=user, municipality=shkoder, role="specialist")
        specialists.append(user.pk)
    person, _ = Person.objects.get_or_create(
        municipality=shkoder, nid="J00101001C", defaults={"first_name": "A", "last_name": "K"}
    )
    existing = Case.objects.filter(municipality=shkoder).count()
    if existing < n_cases:
        load_cases(shkoder, person, specialists, n_cases - existing, start=existing)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        # Spread the open cases over the open states (an earlier version of this loader put
        # them all in "submitted"); then VACUUM so counts can use index-only scans.
        cursor.execute(
            "UPDATE services_case SET "
            "status = (ARRAY['submitted','assigned','in_progress','awaiting_applicant'])"
            "[1 + (seq / 20) %% 4], "
            "assignee_id = CASE WHEN (seq / 20) %% 3 = 0 THEN NULL "
            "ELSE (%s::bigint[])[1 + (seq / 60) %% %s] END "
            "WHERE year = 2000 AND status <> 'closed'",
            [specialists, len(specialists)],
        )
    connection.connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE services_case")
    connection.close()
    return {"municipality": shkoder, "specialists": specialists}


def load_cases(municipality, person, specialists, n: int, *, start: int) -> None:
    from django.db import connection, transaction

    from sportel.services.models import ServiceType

    versions = list(
        ServiceType.objects.filter(municipality=municipality).values_list(
            "pk", "current_version_id"
        )
    )
    units = list(municipality.units.values_list("pk", flat=True))
    m = municipality.pk
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_versions (i int, service_id bigint, version_id bigint)"
        )
        cursor.executemany(
            "INSERT INTO bench_versions VALUES (%s, %s, %s)",
            [(i, s, v) for i, (s, v) in enumerate(versions)],
        )
        cursor.execute("CREATE TEMP TABLE bench_units (i int, unit_id bigint)")
        cursor.executemany("INSERT INTO bench_units VALUES (%s, %s)", list(enumerate(units)))
        cursor.execute("CREATE TEMP TABLE bench_staff (i int, user_id bigint)")
        cursor.executemany("INSERT INTO bench_staff VALUES (%s, %s)", list(enumerate(specialists)))
        params = {
            "m": m,
            "start": start,
            "n": n,
            "nv": len(versions),
            "nu": len(units),
            "ns": len(specialists),
            "person": person.pk,
        }
        cursor.execute(
            """
            INSERT INTO services_application
              (municipality_id, service_version_id, status, channel, applicant_person_id,
               data, language, idempotency_key, created_at, updated_at, submitted_at, unit_id)
            SELECT %(m)s, v.version_id, 'submitted', 'online', %(person)s, '{}'::jsonb, 'sq',
                   '', ts, ts, ts, u.unit_id
            FROM (SELECT g, now() - (g %% 730) * interval '1 day' AS ts
                  FROM generate_series(%(start)s + 1, %(start)s + %(n)s) g) s
            JOIN bench_versions v ON v.i = s.g %% %(nv)s
            JOIN bench_units u ON u.i = s.g %% %(nu)s
            ORDER BY g
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO services_case
              (municipality_id, number, year, seq, tracking_code, application_id, service_type_id,
               service_version_id, channel, applicant_person_id, unit_id, language, fee_due,
               fee_paid, status, status_changed_at, submitted_at, planned_end, legal_end,
               suspended_days, extension_days, decision, document_code, assignee_id,
               identity_document, on_behalf_nid)
            SELECT a.municipality_id,
                   'SHK-BENCH-' || lpad(r.rn::text, 7, '0'), 2000, r.rn,
                   'B' || lpad(r.rn::text, 11, '0'), a.id, v.service_id, a.service_version_id,
                   'online', a.applicant_person_id, a.unit_id, 'sq', 0, false,
                   CASE WHEN r.rn %% 20 = 0 THEN
                     (ARRAY['submitted','assigned','in_progress','awaiting_applicant'])
                       [1 + (r.rn / 20) %% 4]
                   ELSE 'closed' END,
                   a.submitted_at, a.submitted_at,
                   (a.submitted_at + interval '14 days')::date,
                   (a.submitted_at + ((r.rn %% 30) + 5) * interval '1 day')::date,
                   0, 0, '', '',
                   CASE WHEN (r.rn / 20) %% 3 = 0 THEN NULL ELSE st.user_id END,
                   '', ''
            FROM (SELECT id, %(start)s + row_number() OVER (ORDER BY id) AS rn
                  FROM services_application
                  WHERE municipality_id = %(m)s AND id > coalesce(
                    (SELECT max(application_id) FROM services_case), 0)) r
            JOIN services_application a ON a.id = r.id
            JOIN bench_versions v ON v.version_id = a.service_version_id
            JOIN bench_staff st ON st.i = (r.rn / 60) %% %(ns)s
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO services_caseevent
              (municipality_id, case_id, seq, at, actor_label, kind, action, from_status,
               to_status, visibility, text, data)
            SELECT municipality_id, id, 1, submitted_at, 'bench', 'transition', 'submit', '',
                   'submitted', 'public', '', '{}'::jsonb
            FROM services_case WHERE municipality_id = %(m)s AND year = 2000
              AND seq > %(start)s
            """,
            params,
        )
    print(f"loaded {n:,} cases in {time.perf_counter() - started:.0f} s", flush=True)


# --- submissions ---------------------------------------------------------------------------


_numbers = itertools.count(secrets.randbelow(90_000_000))  # fresh citizens on every run


def make_citizens(municipality, count: int) -> list:
    """Citizens with verified NIDs already in the municipality's register."""
    from django.utils import timezone

    from sportel.accounts.models import User
    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import Person

    users = []
    for _ in range(count):
        n = next(_numbers)
        nid = with_check_letter(f"G{n % 100_000_000:08d}")
        user = User.objects.create(
            username=f"c{n}@bench.sportel.al",
            email=f"c{n}@bench.sportel.al",
            full_name=f"Bench Citizen{n}",
            nid=nid,
            nid_verified=True,
            confirmed_at=timezone.now(),
        )
        Person.objects.create(
            municipality=municipality,
            nid=nid,
            first_name="Bench",
            last_name=f"C{n}",
            email=user.email,
            user=user,
        )
        users.append(user)
    return users


# Client-side CPU milliseconds per submission (this process, all its threads).
CPU_MS: dict[str, list[float]] = {}

DATA = {
    "information_description": "Buxheti i vitit 2026 për ndriçimin publik.",
    "preferred_format": "email",
}


def ours_submissions(municipality, citizens, threads: int) -> float:
    from django.db import connections

    from sportel.services import services

    chunks = [citizens[i::threads] for i in range(threads)]
    errors = []

    def work(chunk):
        try:
            for user in chunk:
                services.submit_application(
                    municipality, service="public-information-request", data=DATA, actor=user
                )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    started, cpu = time.perf_counter(), time.process_time()
    in_threads(work, [(c,) for c in chunks])
    elapsed = time.perf_counter() - started
    CPU_MS.setdefault("ours", []).append((time.process_time() - cpu) / len(citizens) * 1000)
    if errors:
        raise errors[0]
    return len(citizens) / elapsed


def count_statements(municipality) -> tuple[int, int]:
    """The SQL statements one submission sends (BEGIN and COMMIT not counted, as for the floor),
    and how many of them are savepoints (SAVEPOINT/RELEASE of nested atomic blocks)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sportel.services import services

    [user] = make_citizens(municipality, 1)
    with CaptureQueriesContext(connection) as queries:
        services.submit_application(
            municipality, service="public-information-request", data=DATA, actor=user
        )
    sent = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    savepoints = [sql for sql in sent if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    return len(sent), len(savepoints)


def floor_submissions(municipality, citizens, threads: int) -> float:
    """The same rows in plain SQL: counter, application, case, event, audit, notification."""
    import json
    import secrets

    import psycopg
    from django.conf import settings
    from django.db import connection

    from sportel.services.models import ServiceType

    version_id, service_id = (
        ServiceType.objects.filter(municipality=municipality, code="public-information-request")
        .values_list("current_version_id", "pk")
        .get()
    )
    persons = dict(
        connection.cursor()
        .execute(
            "SELECT user_id, id FROM core_person WHERE user_id = ANY(%s)",
            [[u.pk for u in citizens]],
        )
        .fetchall()
    )
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}"
    m = municipality.pk
    chunks = [citizens[i::threads] for i in range(threads)]
    data = json.dumps(DATA)

    errors = []

    def work(chunk):
        try:
            floor_work(chunk)
        except Exception as exc:  # a floor that failed must not print a rate
            errors.append(exc)

    def floor_work(chunk):
        with psycopg.connect(dsn) as conn:
            for user in chunk:
                with conn.transaction():
                    seq = conn.execute(
                        "UPDATE services_casecounter SET last = last + 1 "
                        "WHERE municipality_id = %s AND year = 2026 RETURNING last",
                        (m,),
                    ).fetchone()[0]
                    app = conn.execute(
                        "INSERT INTO services_application (municipality_id, service_version_id,"
                        " status, channel, applicant_person_id, created_by_id, data, language,"
                        " idempotency_key, created_at, updated_at, submitted_at) VALUES"
                        " (%s,%s,'submitted','online',%s,%s,%s,'sq','',now(),now(),now())"
                        " RETURNING id",
                        (m, version_id, persons[user.pk], user.pk, data),
                    ).fetchone()[0]
                    case = conn.execute(
                        "INSERT INTO services_case (municipality_id, number, year, seq,"
                        " tracking_code, application_id, service_type_id, service_version_id,"
                        " channel, applicant_person_id, applicant_user_id, language, fee_due,"
                        " fee_paid, status, status_changed_at, submitted_at, planned_end,"
                        " legal_end, suspended_days, extension_days, decision, document_code,"
                        " identity_document, on_behalf_nid)"
                        " VALUES (%s,%s,2026,%s,%s,%s,%s,%s,'online',%s,%s,'sq',0,false,"
                        "'submitted',now(),now(),current_date + 14,current_date + 14,0,0,'','',"
                        "'','')"
                        " RETURNING id",
                        (
                            m,
                            f"FLR-2026-{seq:06d}",
                            seq,
                            secrets.token_hex(6).upper(),
                            app,
                            service_id,
                            version_id,
                            persons[user.pk],
                            user.pk,
                        ),
                    ).fetchone()[0]
                    event = conn.execute(
                        "INSERT INTO services_caseevent (municipality_id, case_id, seq, at,"
                        " actor_id, actor_label, kind, action, from_status, to_status,"
                        " visibility, text, data) VALUES (%s,%s,1,now(),%s,%s,'transition',"
                        "'submit','','submitted','public','','{}') RETURNING id",
                        (m, case, user.pk, user.username),
                    ).fetchone()[0]
                    conn.execute(
                        "UPDATE services_case SET current_event_id = %s WHERE id = %s",
                        (event, case),
                    )
                    head = conn.execute(
                        "SELECT seq, hash FROM core_audithead WHERE chain = 'floor' FOR UPDATE"
                    ).fetchone()
                    digest = secrets.token_hex(32)
                    conn.execute(
                        "INSERT INTO core_auditentry (chain, seq, at, actor_id, actor_label,"
                        " actor_role, municipality_id, action, object_type, object_id,"
                        " subject_id, subject_user_id, reason, data, prev_hash, hash) VALUES"
                        " ('floor',%s,now(),%s,%s,'',%s,'case.submit','services.case',%s,%s,%s,"
                        "'','{}',%s,%s)",
                        (
                            head[0] + 1,
                            user.pk,
                            user.username,
                            m,
                            str(case),
                            persons[user.pk],
                            user.pk,
                            head[1],
                            digest,
                        ),
                    )
                    conn.execute(
                        "UPDATE core_audithead SET seq = seq + 1, hash = %s WHERE chain = 'floor'",
                        (digest,),
                    )
                    conn.execute(
                        "INSERT INTO core_notification (municipality_id, person_id, user_id,"
                        " channel, recipient, template, language, subject, body, sensitive,"
                        " status, attempts, last_error, created_at, next_attempt_at,"
                        " reference) VALUES"
                        " (%s,%s,%s,'email',%s,'case_status','sq','s','b',false,'queued',0,'',"
                        " now(), now(), gen_random_uuid())",
                        (m, persons[user.pk], user.pk, user.email),
                    )

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_audithead (chain, seq, hash) VALUES ('floor', 0, %s) "
            "ON CONFLICT (chain) DO NOTHING",
            ["0" * 64],
        )
    connection.close()
    started, cpu = time.perf_counter(), time.process_time()
    in_threads(work, [(c,) for c in chunks])
    elapsed = time.perf_counter() - started
    CPU_MS.setdefault("floor", []).append((time.process_time() - cpu) / len(citizens) * 1000)
    if errors:
        raise errors[0]
    return len(citizens) / elapsed


# --- the staff queue -------------------------------------------------------------------------


def queue_cases(municipality, specialists):
    return {
        "open cases (default view)": {},
        "one service": {"service": "public-information-request"},
        "one status": {"status": "in_progress"},
        "one assignee": {"assignee": specialists[1]},
        "one unit": {"unit": municipality.units.order_by("name").first().slug},
    }


def time_queue(municipality, filters: dict, rounds: int) -> tuple[list[float], list[float]]:
    """(ours, floor) latencies in ms of one queue page: count + first 50 rows."""
    import psycopg
    from django.conf import settings
    from django.db import connection

    from sportel.services import selectors

    def page():
        query = selectors.staff_queue(municipality, **filters)
        query.count()
        return list(query[:50])

    statements: list[tuple[str, tuple]] = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        page()  # the statements exactly as Django sends them
    db = settings.DATABASES["default"]
    dsn = f"host={db['HOST']} port={db['PORT'] or 5432} user={db['USER']} dbname={db['NAME']}"
    ours, floor = [], []
    with psycopg.connect(dsn, autocommit=True) as raw:
        for _ in range(rounds):
            started = time.perf_counter()
            page()
            ours.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            for sql, params in statements:
                raw.execute(sql, params).fetchall()
            floor.append((time.perf_counter() - started) * 1000)
    return ours, floor


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200, help="queue pages per filter")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it exists")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    load_at_start = machine()

    setup_django(DB_NAME, reuse=args.reuse, label="services")
    from django.db import connection

    ctx = seed(args.cases)
    municipality = ctx["municipality"]
    from sportel.services.models import Case

    total = Case.objects.count()
    print(f"{total:,} cases in the database", flush=True)

    # Warm up (imports, caches, this year's counter row).
    ours_submissions(municipality, make_citizens(municipality, 20), 1)
    statements, savepoints = count_statements(municipality)
    rows = []
    for threads in (1, 4):
        ours_rates, floor_rates = [], []
        for _round in range(3):
            citizens = make_citizens(municipality, args.submissions)
            ours_rates.append(ours_submissions(municipality, citizens, threads))
            citizens = make_citizens(municipality, args.submissions)
            floor_rates.append(floor_submissions(municipality, citizens, threads))
        ours, floor = median(ours_rates), median(floor_rates)
        rows.append((threads, ours, floor))
        print(f"submissions, {threads} thread(s): {ours:.0f}/s, floor {floor:.0f}/s", flush=True)
    connection.close()

    queue_rows = []
    for label, filters in queue_cases(municipality, ctx["specialists"]).items():
        ours, floor = time_queue(municipality, filters, args.rounds)
        queue_rows.append(
            (label, statistics.median(ours), p95(ours), statistics.median(floor), p95(floor))
        )
        print(f"queue {label}: p95 {p95(ours):.1f} ms, floor p95 {p95(floor):.1f} ms", flush=True)

    command = (
        "`.venv/bin/python bench/bench_services.py"
        + (f" --cases {args.cases}" if args.cases != 1_000_000 else "")
        + (f" --submissions {args.submissions}" if args.submissions != 300 else "")
        + (" --reuse" if args.reuse else "")
        + "`"
    )
    body = [
        "Application submissions per second and the staff queue's latency with "
        f"{total:,} cases in PostgreSQL, each next to its floor. "
        "Submissions go through `services.submit_application` (form validation against the "
        "JSON Schema, person lookup, gap-free number under a row lock, application + case + "
        "history row, working-day deadlines, hash-chained audit entry, outbox notification); "
        "the floor writes the same rows with plain SQL through psycopg, one transaction each. "
        "A queue page is what the staff queue serves: `selectors.staff_queue` count + the "
        "first 50 cases by legal end; its floor runs the same SQL statements through a psycopg "
        "cursor. The cases are bulk-loaded with `INSERT ... SELECT generate_series` "
        "(95 % closed, 5 % open, one municipality — the worst case for its queue).",
        "",
        f"- Date: {today()}",
        f"- Machine: {load_at_start}",
        f"- Database: PostgreSQL {connection.cursor().connection.info.server_version // 10000}, "
        f"{total:,} cases; {args.submissions} submissions per round, median of 3 rounds; "
        f"{args.rounds} queue pages per filter",
        f"- Command: {command}",
        "",
        "| submissions | ours /s | floor /s | ours ÷ floor |",
        "|---|---:|---:|---:|",
    ]
    for threads, ours, floor in rows:
        body.append(f"| {threads} thread(s) | {ours:.0f} | {floor:.0f} | {ours / floor:.2f} |")
    cpu_ours, cpu_floor = median(CPU_MS["ours"]), median(CPU_MS["floor"])
    body += [
        "",
        f"Python CPU per submission in the client process: {cpu_ours:.1f} ms (floor "
        f"{cpu_floor:.1f} ms). On a quiet 2-core machine that CPU, not the database, bounds "
        f"one process at about {1000 / cpu_ours:.0f} submissions/s; wall-clock figures above "
        f"also wait for the {statements} statements one submission sends to PostgreSQL besides "
        f"BEGIN and COMMIT ({savepoints} of them savepoints of the audit log's and the outbox's "
        "own atomic blocks, one the delivery task queued after commit; the floor sends 9), "
        "which a loaded machine "
        "stretches. Every submission of one municipality queues on its case counter and its "
        "audit-chain head: that serialisation is the price of gap-free numbers and a "
        "hash-chained log, and it applies to the floor too.",
    ]
    body += [
        "",
        "| staff queue page (count + 50 rows) | p50 ms | p95 ms | floor p50 ms | floor p95 ms "
        "| p95 ÷ floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, o50, o95, f50, f95 in queue_rows:
        body.append(
            f"| {label} | {o50:.1f} | {o95:.1f} | {f50:.1f} | {f95:.1f} | {o95 / f95:.2f} |"
        )
    worst = max(row[2] for row in queue_rows)
    body += [
        "",
        "Each page is two statements served by partial indexes on the open cases (the first 50 "
        "rows take about 1 ms in PostgreSQL; counting the open queue is most of the rest). "
        "DESIGN.md's target for main pages is p95 < 50 ms server time: the worst queue page "
        f"here is {worst:.0f} ms for the data alone, measured on a machine shared with other "
        "work (see the load average), so the target is "
        + ("met." if worst < 50 else "not met on this run."),
    ]
    text = "\n".join(body)
    print()
    print(text)
    if not args.no_write:
        write_section("Services: submissions and the staff queue", text)


if __name__ == "__main__":
    main()
