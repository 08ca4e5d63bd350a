"""Benchmark of casting a ballot (sportel.participation.services.cast_ballot) with 100 000 ballots
already stored: p50/p95 of the service call (validation, row lock, ballot, audit entry) on a
fresh SQLite database (or SPORTEL_BENCH_DATABASE_URL, an empty PostgreSQL database).

    .venv/bin/python bench/bench_participation_cast.py [--stored 100000] [--casts 300]

Target: p95 < 50 ms. The floor is the same work as raw SQL through the same connection in one
transaction (``sql_floor``): the resident, the projects, the ballot and its projects under a row
lock, the audit row under the chain head's lock, the commit. Each cast is a resident's first
ballot. Prints the figures and writes them into the participation section of docs/benchmarks.md
(the line starting "Casting a ballot (<engine>"). ``--show-queries`` prints the SQL of one cast.
The PostgreSQL database must be empty (``createdb``) before each run.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def setup(data_dir: str) -> None:
    os.environ["SPORTEL_DATA_DIR"] = data_dir
    if os.environ.get("SPORTEL_BENCH_DATABASE_URL"):
        os.environ["SPORTEL_DATABASE_URL"] = os.environ["SPORTEL_BENCH_DATABASE_URL"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportel.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def sql_floor(connection, budget, voter, project_ids) -> float:
    """The same work as a first cast, as raw SQL in one transaction: find the resident, check
    the projects, lock/insert the ballot and its projects, append an audit row under the chain
    head's lock, commit. Returns milliseconds."""
    import hashlib
    import json

    from django.db import transaction
    from django.utils import timezone

    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, unit_id FROM core_person WHERE municipality_id = %s AND nid = %s LIMIT 1",
            [budget.municipality_id, voter.nid],
        )
        person_id = cursor.fetchone()[0]
        placeholders = ", ".join(["%s"] * len(project_ids))
        cursor.execute(
            f"SELECT id, cost FROM participation_project WHERE budget_id = %s "
            f"AND id IN ({placeholders}) AND review = 'feasible'",
            [budget.pk, *project_ids],
        )
        cursor.fetchall()
        with transaction.atomic():
            lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
            cursor.execute(
                "SELECT id FROM participation_ballot WHERE budget_id = %s AND person_id = %s"
                + lock,
                [budget.pk, person_id],
            )
            cursor.fetchone()
            now = timezone.now()
            cursor.execute(
                "INSERT INTO participation_ballot (budget_id, person_id, voter_id, channel, "
                "changes, cast_at) VALUES (%s, %s, %s, 'online', 0, %s) RETURNING id",
                [budget.pk, person_id, voter.pk, now],
            )
            ballot_id = cursor.fetchone()[0]
            cursor.executemany(
                "INSERT INTO participation_ballot_projects (ballot_id, project_id) VALUES (%s, %s)",
                [(ballot_id, p) for p in project_ids],
            )
            cursor.execute(
                "SELECT seq, hash FROM core_audithead WHERE chain = %s" + lock, ["shkoder"]
            )
            seq, previous = cursor.fetchone()
            digest = hashlib.sha256(f"{previous}{seq + 1}".encode()).hexdigest()
            cursor.execute(
                "INSERT INTO core_auditentry (chain, seq, at, actor_id, actor_label, actor_role, "
                "municipality_id, action, object_type, object_id, subject_id, subject_user_id, "
                "reason, data, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, '', %s, %s, "
                "'participation.budget', %s, NULL, NULL, '', %s, %s, %s)",
                [
                    "shkoder",
                    seq + 1,
                    now,
                    voter.pk,
                    voter.username,
                    budget.municipality_id,
                    "participation.ballot_cast",
                    str(budget.pk),
                    json.dumps({"channel": "online"}),
                    previous,
                    digest,
                ],
            )
            cursor.execute(
                "UPDATE core_audithead SET seq = %s, hash = %s WHERE chain = %s",
                [seq + 1, digest, "shkoder"],
            )
    return (time.perf_counter() - t) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--casts", type=int, default=300)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument(
        "--show-queries", action="store_true", help="print the SQL of one cast (a change)"
    )
    args = parser.parse_args()
    setup(tempfile.mkdtemp(prefix="sportel-bench-cast-"))

    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from sportel.accounts.models import User
    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import Municipality, Person
    from sportel.core.tenancy import load_municipalities
    from sportel.participation import services
    from sportel.participation.models import Ballot, Budget, Project

    load_municipalities({"shkoder"})
    shkoder = Municipality.objects.get(slug="shkoder")
    now = timezone.now()
    budget = Budget.objects.create(
        municipality=shkoder,
        slug="bench",
        title="Bench",
        amount=Decimal(100_000_000),
        max_projects=5,
        information_starts=now - timedelta(days=30),
        proposals_start=now - timedelta(days=20),
        review_starts=now - timedelta(days=10),
        voting_starts=now - timedelta(days=1),
        voting_ends=now + timedelta(days=10),
        implementation_starts=now + timedelta(days=60),
    )
    projects = [
        Project.objects.create(
            budget=budget, number=i, title=f"P{i}", cost=Decimal(1_000_000), review="feasible"
        )
        for i in range(1, 31)
    ]
    unusable = make_password(None)
    # Voters without a ballot yet: half cast through the service, half through the SQL floor.
    total = args.stored + 2 * args.casts

    def nid(i):
        return with_check_letter(f"B{i:08d}")

    start = time.perf_counter()
    batch = 5000
    for lo in range(0, total, batch):
        hi = min(total, lo + batch)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        username=f"v{i}@bench",
                        password=unusable,
                        nid=nid(i),
                        nid_verified=True,
                        nid_verified_via="counter",
                    )
                    for i in range(lo, hi)
                ]
            )
            people = Person.objects.bulk_create(
                [
                    Person(municipality=shkoder, nid=u.nid, first_name="V", last_name="B", user=u)
                    for u in users
                ]
            )
            stored = [
                (u, p)
                for i, u, p in zip(range(lo, hi), users, people, strict=True)
                if i < args.stored
            ]
            ballots = Ballot.objects.bulk_create(
                [Ballot(budget=budget, voter=u, person=p, channel="online") for u, p in stored]
            )
            Ballot.projects.through.objects.bulk_create(
                [
                    Ballot.projects.through(ballot_id=b.pk, project_id=projects[(b.pk + k) % 30].pk)
                    for b in ballots
                    for k in range(3)
                ]
            )
    print(f"stored {Ballot.objects.count()} ballots in {time.perf_counter() - start:.0f} s")
    fresh = list(
        User.objects.filter(
            username__in=[f"v{i}@bench" for i in range(args.stored, total)]
        ).order_by("pk")
    )
    voters, floor_voters = fresh[: args.casts], fresh[args.casts :]
    times = []
    for n, voter in enumerate(voters):
        chosen = [projects[n % 30].pk, projects[(n + 7) % 30].pk]
        t = time.perf_counter()
        services.cast_ballot(budget, voter=voter, projects=chosen)
        times.append((time.perf_counter() - t) * 1000)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        services.cast_ballot(budget, voter=voters[0], projects=[projects[1].pk])
    if args.show_queries:
        for query in one.captured_queries:
            print(f"{query['time']:>6} {query['sql'][:300]}")
    floor = [
        sql_floor(connection, budget, voter, [projects[n % 30].pk, projects[(n + 7) % 30].pk])
        for n, voter in enumerate(floor_voters)
    ]
    p50, p95 = percentiles(times)
    f50, f95 = percentiles(floor)
    engine = "PostgreSQL" if os.environ.get("SPORTEL_BENCH_DATABASE_URL") else "SQLite"
    line = (
        f"Casting a ballot ({engine}, {args.stored} ballots stored, {len(times)} casts, "
        f"{len(one.captured_queries)} SQL statements each, load average "
        f"{os.getloadavg()[0]:.1f}): p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < 50 ms); "
        f"floor (the same statements as raw SQL, one transaction) p50 {f50:.1f} ms, "
        f"p95 {f95:.1f} ms: ratio p95 {p95 / f95:.2f}. "
        "Command: `.venv/bin/python bench/bench_participation_cast.py`"
    )
    print(line)
    if not args.no_record:
        path = ROOT / "docs" / "benchmarks.md"
        text = path.read_text()
        section = re.search(r"## Participation: fair results.*?(?=\n## |\Z)", text, re.S)
        if section is None:
            text = text.rstrip("\n") + "\n\n## Participation: fair results\n\n- " + line + "\n"
        else:
            body = re.sub(rf"\n- Casting a ballot \({engine}[^\n]*", "", section.group(0)).rstrip(
                "\n"
            )
            text = text.replace(section.group(0), body + "\n- " + line + "\n")
        path.write_text(text)


if __name__ == "__main__":
    main()
