"""Sealed tax notices per second, next to their floor: the documents module alone sealing a
certificate with the same fields.

    .venv/bin/python bench/bench_revenue_notices.py [--bills 200] [--no-record]

* Ours: ``notices.issue_notice`` for each bill of an assessed year on SQLite: the bill's lines
  read from the ledger, render, seal, register, the ``revenue_taxnotice`` row, the outbox email
  and the audit entry.
* Floor: ``documents.services.issue_document`` of the same fields and text for the same holder
  (render, seal, register, log: what every sealed document costs).

Prints the figures and rewrites its own section of docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

DATA_DIR = tempfile.mkdtemp(prefix="sportel-bench-notices-")
os.environ["SPORTEL_DATA_DIR"] = DATA_DIR
os.environ.pop("SPORTEL_DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportel.settings")
os.environ.setdefault("SPORTEL_LOG_LEVEL", "WARNING")


def setup(bills: int):
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import Municipality, Person
    from sportel.core.tenancy import load_municipalities
    from sportel.documents.keys import init_development_seal, log_private_key
    from sportel.revenue import assessment, fiscal
    from sportel.revenue.models import Ownership, Property

    load_municipalities({"shkoder"})
    shkoder = Municipality.objects.get(slug="shkoder")
    init_development_seal(shkoder.slug, shkoder.name)
    log_private_key(create=True)
    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    for i in range(bills):
        person = Person.objects.create(
            municipality=shkoder,
            nid=with_check_letter(f"J{10_000_000 + i}"),
            first_name="Arta",
            last_name=f"Kola {i}",
            email=f"arta{i}@example.al",
        )
        prop = Property.objects.create(
            municipality=shkoder,
            cadastral_zone="8601",
            property_number=str(i + 1),
            area_m2=Decimal("80"),
            use="residential",
            year_built=2005,
        )
        Ownership.objects.create(property=prop, person=person, share=Decimal("1"))
    assessment.run_to_end(assessment.start_run(package).pk)
    return shkoder


def measure(shkoder, bills: int) -> dict:
    from sportel.documents.services import issue_document
    from sportel.revenue import notices
    from sportel.revenue.models import Invoice

    invoices = list(
        Invoice.objects.filter(municipality=shkoder).select_related("person", "municipality")
    )[:bills]
    # Warm-up (fonts, the seal's key, the first registry rows) outside the timing.
    notices.issue_notice(invoices[0], actor="bench")
    ours, floor = [], []
    for invoice in invoices[1:]:
        fields, body, _owed = notices._notice_content(invoice, "sq")
        started = time.perf_counter()
        issue_document(
            shkoder,
            document_type="bench.floor",
            title=notices.notice_title(invoice.year),
            fields=fields,
            holder=invoice.person,
            body=body,
            actor="bench",
        )
        floor.append(time.perf_counter() - started)
        started = time.perf_counter()
        _notice, created = notices.issue_notice(invoice, actor="bench")
        ours.append(time.perf_counter() - started)
        assert created
    again = time.perf_counter()
    result = notices.issue_notices(shkoder, 2026, actor="bench")
    rerun = time.perf_counter() - again
    assert result.issued == 0
    return {"ours": ours, "floor": floor, "rerun": rerun, "bills": len(invoices)}


def record(figures: dict, load_start, load_end, command: str) -> None:
    import re

    ours = statistics.median(figures["ours"]) * 1000
    floor = statistics.median(figures["floor"]) * 1000
    p95 = sorted(figures["ours"])[int(len(figures["ours"]) * 0.95) - 1] * 1000
    body = f"""- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC
- Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite; load average
  {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the end (the 2 cores are shared)
- Command: `{command}`

| what | bills | median per notice | p95 | notices/s | floor (issue_document, same fields) | ours ÷ floor |
|---|---:|---:|---:|---:|---:|---:|
| sealed tax notice + row + outbox email + audit | {len(figures["ours"])} | {ours:.1f} ms | {p95:.1f} ms | {1000 / ours:.1f} | {floor:.1f} ms | {ours / floor:.2f} |

A second run of the batch over the {figures["bills"]} bills, which seals nothing (every bill
already has its notice), took {figures["rerun"]:.2f} s. At the median above, a national run of
800 000 bills is {800_000 * ours / 1000 / 3600:.1f} h of one worker process; it runs in the
worker, bill by bill, and resumes where it stopped. Not profiled yet: the difference to the
floor is the bill's reads (its current demands and what the ledger says is owed on each, the
year's package, the fingerprint) and three more inserts (the notice row, the outbox email, the
audit entry); reading the bills of a batch set-wise is the first thing to try.
"""
    doc = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
    text = doc.read_text()
    title = "Revenue: sealed tax notices"
    section = f"## {title}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    doc.write_text(text.rstrip() + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bills", type=int, default=200)
    parser.add_argument("--no-record", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args()
    load_start = os.getloadavg()
    shkoder = setup(args.bills)
    figures = measure(shkoder, args.bills)
    load_end = os.getloadavg()
    ours = statistics.median(figures["ours"]) * 1000
    floor = statistics.median(figures["floor"]) * 1000
    print(f"ours  median {ours:.1f} ms per notice ({1000 / ours:.1f}/s)")
    print(f"floor median {floor:.1f} ms per issue_document ({ours / floor:.2f}x)")
    print(f"re-run of the batch: {figures['rerun']:.2f} s, nothing sealed")
    print(f"load average {load_start[0]:.1f} → {load_end[0]:.1f}")
    if not args.no_record:
        record(
            figures,
            load_start,
            load_end,
            " ".join([".venv/bin/python bench/bench_revenue_notices.py", *sys.argv[1:]]),
        )
        print("written to docs/benchmarks.md")


if __name__ == "__main__":
    main()
