"""A category's questions at scale: what the administrator's settings cost, and what the Open311
service definition costs, with 1,000,000 reports in PostgreSQL — each next to its floor.

- ``services/{code}.json`` / ``.xml``: the definition that follows the settings at once (nothing
  cached). Floor: the very SQL the view sends (captured), through a psycopg cursor.
- ``question_answered`` (may a question change its type? retired or deleted?) and ``value_used``
  (is a list's answer retired or deleted?), in their worst case: nothing matches, so every
  report of the category is read. The irrigation channel's reports all answer
  ``channel_type`` = ``secondary``; the probes ask for ``fields_dry`` (never answered) and
  ``primary`` / ``bank`` (never chosen). Floor: the same SQL through psycopg.
- ``save_question`` end to end (renaming an answer, removing an unused one: the lock, the check,
  the write, the audit entry), rolled back after each run.

The reports are bulk-loaded as bench_reports.py does, into ``sportel_questionsbench``.

    .venv/bin/python bench/bench_report_questions.py [--reports 1000000] [--rounds 30] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]
os.environ.setdefault("SPORTEL_BENCH_REPORTS_DB", "sportel_questionsbench")

from bench.bench_reports import floor_of, p95, seed, setup_django  # noqa: E402
from bench.run import machine, today, write_section  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    load_at_start = machine()
    url = setup_django(args.reuse)
    from django.db import connection, transaction
    from django.test import Client

    from sportel.accounts.roles import Role
    from sportel.reports import configuration
    from sportel.reports.models import Category, CategoryAttribute, Report

    ctx = seed(args.reports)
    municipality = ctx["municipality"]
    channel = Category.objects.get(municipality=municipality, code="irrigation-channel")
    with connection.cursor() as cursor:
        cursor.execute(
            'UPDATE reports_report SET attributes = \'{"channel_type": "secondary", '
            '"cause": ["silt", "waste"]}\' WHERE category_id = %s AND attributes = \'{}\'',
            [channel.pk],
        )
        cursor.execute("ANALYZE reports_report")
    in_category = Report.objects.filter(category=channel).count()
    total = Report.objects.count()
    from sportel.accounts.models import StaffRole, User

    admin, _ = User.objects.get_or_create(
        username="bench-admin@test.sportel.al", defaults={"email": "bench-admin@test.sportel.al"}
    )
    StaffRole.objects.get_or_create(user=admin, municipality=municipality, role=Role.ADMINISTRATOR)
    questions = {q.code: q for q in CategoryAttribute.objects.filter(category=channel)}
    client = Client()
    rows = []
    for fmt in ("json", "xml"):
        path = f"/open311/v2/services/irrigation-channel.{fmt}?jurisdiction_id=shkoder"

        def run(path=path):
            response = client.get(path)
            assert response.status_code == 200
            return response

        size = len(run().content)
        ours, floor = floor_of(run, url, args.rounds * 5)
        rows.append((f"`services/irrigation-channel.{fmt}` ({size:,} bytes)", ours, floor))

    probes = {
        "`question_answered` — `fields_dry`, never answered": lambda: (
            configuration.question_answered(questions["fields_dry"])
        ),
        "`value_used` — `channel_type` = `primary`, never chosen": lambda: configuration.value_used(
            questions["channel_type"], "primary"
        ),
        "`value_used` — `cause` ∋ `bank` (multivaluelist), never chosen": lambda: (
            configuration.value_used(questions["cause"], "bank")
        ),
    }
    for label, probe in probes.items():
        assert probe() is False
        ours, floor = floor_of(probe, url, args.rounds)
        rows.append((label, ours, floor))

    kind = questions["channel_type"]
    base = {
        "datatype": kind.datatype,
        "required": kind.required,
        "variable": True,
        "description_sq": kind.description_sq,
        "description_en": kind.description_en,
    }
    saves = {
        "`save_question` — rename an answer": [
            {"key": "secondary", "name_sq": "Kanal dytësor (i ri)", "name_en": "Secondary"}
        ],
        "`save_question` — remove an answer never chosen": [{"key": "tertiary", "remove": True}],
    }
    save_rows = []
    for label, values in saves.items():
        times, cpu = [], []
        for _ in range(args.rounds):
            fresh = CategoryAttribute.objects.get(pk=kind.pk)
            started, cpu_started = time.perf_counter(), cpu_seconds()
            try:
                with transaction.atomic():
                    configuration.save_question(
                        channel, actor=admin, question=fresh, data={**base, "values": values}
                    )
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((cpu_seconds() - cpu_started) * 1000)
        save_rows.append((label, times, cpu))

    server = connection.cursor().connection.info.server_version // 10000
    command = (
        "`.venv/bin/python bench/bench_report_questions.py"
        + (f" --reports {args.reports}" if args.reports != 1_000_000 else "")
        + (f" --rounds {args.rounds}" if args.rounds != 30 else "")
        + (" --reuse" if args.reuse else "")
        + "`"
    )
    body = [
        "What a category's questions cost with "
        f"{total:,} reports in PostgreSQL ({in_category:,} of them in the irrigation-channel "
        "category, all with answers). The service definition is served fresh on every request "
        "(the settings apply at once). The checks that decide whether a question may change "
        "its type and whether a removed answer is deleted or retired are measured in their "
        "worst case, when nothing matches and every report of the category is read; their "
        "floor is the same SQL through psycopg. `save_question` runs end to end (category "
        "lock, checks, write, audit entry) and is rolled back each time; CPU is this process's "
        "(Python), PostgreSQL's share is the wall time above it.",
        "",
        f"- Date: {today()}",
        f"- Machine: {load_at_start}",
        f"- Database: PostgreSQL {server}; {args.rounds} rounds per check, "
        f"{args.rounds * 5} per definition format",
        f"- Command: {command}",
        "",
        "| | p50 ms | p95 ms | floor p50 ms | floor p95 ms | p50 ÷ floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, ours, floor in rows:
        body.append(
            f"| {label} | {statistics.median(ours):.2f} | {p95(ours):.2f} | "
            f"{statistics.median(floor):.2f} | {p95(floor):.2f} | "
            f"{statistics.median(ours) / statistics.median(floor):.2f} |"
        )
    body += ["", "| administrator's save | p50 ms | p95 ms | CPU p50 ms |", "|---|---:|---:|---:|"]
    for label, times, cpu in save_rows:
        body.append(
            f"| {label} | {statistics.median(times):.1f} | {p95(times):.1f} | "
            f"{statistics.median(cpu):.1f} |"
        )
    body += [
        "",
        "No target in DESIGN.md: these are an administrator's occasional actions. The worst "
        "case grows with the category's reports (a sequential read of them through the "
        "(municipality, category, status) index); the definition does not.",
    ]
    for line in body:
        print(line)
    if not args.no_write:
        write_section("Reports: a category's questions (PostgreSQL)", "\n".join(body))


if __name__ == "__main__":
    main()
