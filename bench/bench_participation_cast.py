"""Benchmark of casting a ballot (sportel.participation.services.cast_ballot) with 100 000 ballots
already stored: p50/p95 of the service call (validation, row lock, ballot, audit entry) on a
fresh SQLite database (or SPORTEL_BENCH_DATABASE_URL, an empty PostgreSQL database).

    .venv/bin/python bench/bench_participation_cast.py [--stored 100000] [--casts 300]

Target: p95 < 50 ms. Prints the figures and writes them into the participation section of
docs/benchmarks.md (the line starting "Casting a ballot").
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--casts", type=int, default=300)
    parser.add_argument("--no-record", action="store_true")
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
    total = args.stored + args.casts

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
    voters = list(
        User.objects.filter(username__in=[f"v{i}@bench" for i in range(args.stored, total)])
    )
    times = []
    for n, voter in enumerate(voters):
        chosen = [projects[n % 30].pk, projects[(n + 7) % 30].pk]
        t = time.perf_counter()
        services.cast_ballot(budget, voter=voter, projects=chosen)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    engine = "PostgreSQL" if os.environ.get("SPORTEL_BENCH_DATABASE_URL") else "SQLite"
    line = (
        f"Casting a ballot ({engine}, {args.stored} ballots stored, {len(times)} casts, "
        f"load average {os.getloadavg()[0]:.1f}): p50 {p50:.1f} ms, p95 {p95:.1f} ms "
        "(target p95 < 50 ms). Command: `.venv/bin/python bench/bench_participation_cast.py`"
    )
    print(line)
    if not args.no_record:
        path = ROOT / "docs" / "benchmarks.md"
        text = path.read_text()
        section = re.search(r"## Participation: fair results.*?(?=\n## |\Z)", text, re.S)
        if section is None:
            text = text.rstrip("\n") + "\n\n## Participation: fair results\n\n- " + line + "\n"
        else:
            body = re.sub(r"\n- Casting a ballot[^\n]*", "", section.group(0)).rstrip("\n")
            text = text.replace(section.group(0), body + "\n- " + line + "\n")
        path.write_text(text)


if __name__ == "__main__":
    main()
