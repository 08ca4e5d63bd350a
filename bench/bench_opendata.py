"""Open data benchmark: CKAN ``package_search`` p95 over 10,000 datasets and ``datastore_search``
p95 with filters on a 1,000,000-row resource, on PostgreSQL, each next to its plain-SQL floor.

- package_search: the Action API as a client calls it (Django test client through the whole
  middleware stack: URL routing, JSON envelope), with a text query, an ``fq`` and all five
  facets, and without a query (the portal's first page). Floor: the very SQL statements the
  request ran (captured), replayed through a psycopg cursor.
- datastore_search: filters on two columns, a sort and the total, 100 records. Floor: the same
  two statements through psycopg.

The data go into a dedicated database, ``sportel_opendatabench`` (dropped and re-created unless
--reuse): datasets bulk-created with tags, themes and one CSV resource each across the 61
municipalities' slugs; the 1 M rows loaded with ``INSERT ... SELECT generate_series``.

    .venv/bin/python bench/bench_opendata.py [--datasets 10000] [--rows 1000000] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]

from bench.run import machine, setup_django, today, write_section  # noqa: E402

DB_NAME = os.environ.get("SPORTEL_BENCH_OPENDATA_DB", "sportel_opendatabench")


WORDS = [
    "ndihme",
    "ujitje",
    "ndricim",
    "taksa",
    "shkolla",
    "rruge",
    "mbetje",
    "leje",
    "kopshte",
    "transport",
]
UNITS = ["Shkodër", "Postribë", "Guri i Zi", "Ana e Malit", "Bërdicë", "Dajç", "Pult", "Shalë"]


def seed(datasets: int, rows: int) -> str:
    from django.db import connection, transaction
    from django.utils import timezone

    from sportel.core.tenancy import load_municipalities
    from sportel.opendata import datastore, search_index
    from sportel.opendata.models import Dataset, Resource, ResourceVersion, Tag, Theme

    load_municipalities()
    from sportel.core.models import Municipality

    municipalities = list(Municipality.objects.all())
    themes = list(Theme.objects.all())
    tags = [Tag.objects.get_or_create(name=w)[0] for w in WORDS]
    now = timezone.now()
    with transaction.atomic():
        made = Dataset.objects.bulk_create(
            [
                Dataset(
                    municipality=municipalities[n % len(municipalities)],
                    name=f"dataset-{n}",
                    title=f"Grup të dhënash {n} për {WORDS[n % len(WORDS)]}",
                    notes=f"Të dhëna për {WORDS[(n * 7) % len(WORDS)]} në bashki.",
                    state="active",
                    license_id=("CC-BY-4.0", "CC0-1.0", "ODbL-1.0")[n % 3],
                    modified_at=now - timezone.timedelta(minutes=n),
                )
                for n in range(datasets)
            ],
            batch_size=2000,
        )
        Dataset.tags.through.objects.bulk_create(
            [
                Dataset.tags.through(dataset_id=d.pk, tag_id=tags[n % len(tags)].pk)
                for n, d in enumerate(made)
            ]
            + [
                Dataset.tags.through(dataset_id=d.pk, tag_id=tags[(n + 3) % len(tags)].pk)
                for n, d in enumerate(made)
            ],
            batch_size=5000,
        )
        Dataset.themes.through.objects.bulk_create(
            [
                Dataset.themes.through(dataset_id=d.pk, theme_id=themes[n % len(themes)].pk)
                for n, d in enumerate(made)
            ],
            batch_size=5000,
        )
        resources = Resource.objects.bulk_create(
            [
                Resource(
                    municipality_id=d.municipality_id,
                    dataset=d,
                    name="data.csv",
                    format="CSV",
                    modified_at=now,
                )
                for d in made
            ],
            batch_size=2000,
        )
        versions = ResourceVersion.objects.bulk_create(
            [
                ResourceVersion(
                    municipality_id=r.municipality_id,
                    resource=r,
                    number=1,
                    file=f"bench/{r.pk}.csv",
                    filename="data.csv",
                    format="CSV",
                    mediatype="text/csv",
                    size=1000,
                    sha256="0" * 64,
                )
                for r in resources
            ],
            batch_size=2000,
        )
        for r, v in zip(resources, versions, strict=True):
            r.current = v
        Resource.objects.bulk_update(resources, ["current"], batch_size=2000)
        # Bulk rows bypass the services: index them as a publication would.
        search_index.reindex_all()

    big = resources[0]
    schema = {
        "fields": [
            {"name": "year", "type": "integer", "title": "Viti"},
            {"name": "unit", "type": "string", "title": "Njësia"},
            {"name": "category", "type": "string", "title": "Kategoria"},
            {"name": "value", "type": "integer", "title": "Vlera"},
        ]
    }
    with transaction.atomic():
        datastore.load(big.pk, schema, [])
        units = "ARRAY[" + ", ".join(f"'{u}'" for u in UNITS) + "]"
        cats = "ARRAY[" + ", ".join(f"'{w}'" for w in WORDS) + "]"
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO "{big.pk}" (_id, year, unit, category, value) '
                f"SELECT g, 2015 + g % 11, ({units})[1 + g % {len(UNITS)}], "
                f"({cats})[1 + (g / 7) % {len(WORDS)}], (g::bigint * 7919) % 100000 "
                f"FROM generate_series(1, {rows}) AS g"
            )
            cursor.execute(f'ANALYZE "{big.pk}"')
        ResourceVersion.objects.filter(pk=big.current_id).update(schema=schema, row_count=rows)
        Resource.objects.filter(pk=big.pk).update(datastore_active=True)
    with connection.cursor() as cursor:
        for table in (
            "opendata_dataset",
            "opendata_dataset_tags",
            "opendata_dataset_themes",
            "opendata_resource",
            "opendata_searchdocument",
            "opendata_searchfacet",
        ):
            cursor.execute(f"ANALYZE {table}")
    return str(big.pk)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def measure(path: str, params: dict, repeats: int, cold: bool = False) -> tuple:
    """(request ms, same SQL through psycopg ms, statements), each time as (median, p95). ``cold``:
    the search summary cache is emptied before every request (as right after a publication);
    otherwise it is warm (the same search asked again before anything changed)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if cold:
        cache.clear()
    else:
        client.get(path, params)  # fills the cache
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(path, params)
    assert answer.status_code == 200, answer.content[:300]
    statements = [q["sql"] for q in captured.captured_queries]
    times = []
    for _ in range(repeats):
        if cold:
            cache.clear()
        start = time.perf_counter()
        client.get(path, params)
        times.append((time.perf_counter() - start) * 1000)
    raw = connection.connection  # psycopg connection under Django
    floors = []
    for _ in range(repeats):
        start = time.perf_counter()
        with raw.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
        floors.append((time.perf_counter() - start) * 1000)
    return (median(times), p95(times)), (median(floors), p95(floors)), len(statements)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_django(DB_NAME, reuse=args.reuse, label="opendata")
    from sportel.opendata.models import Resource

    started = time.perf_counter()
    if args.reuse:
        resource_id = str(
            Resource.objects.filter(datastore_active=True).values_list("pk", flat=True).first()
        )
    else:
        resource_id = seed(args.datasets, args.rows)
    seeded = time.perf_counter() - started
    facets = json.dumps(["organization", "groups", "tags", "res_format", "license_id"])
    searched = {"q": "ndihme", "fq": "organization:shkoder", "facet.field": facets, "rows": "10"}
    first = {"facet.field": facets, "rows": "20"}
    cases = [
        ("package_search: q + fq + 5 facets, cold", "/api/3/action/package_search", searched),
        ("package_search: q + fq + 5 facets, cached", "/api/3/action/package_search", searched),
        ("package_search: first page + 5 facets, cold", "/api/3/action/package_search", first),
        ("package_search: first page + 5 facets, cached", "/api/3/action/package_search", first),
        (
            "datastore_search: 2 filters, sort, total",
            "/api/3/action/datastore_search",
            {
                "resource_id": resource_id,
                "filters": json.dumps({"unit": "Postribë", "year": 2020}),
                "sort": "value desc",
                "limit": "100",
            },
        ),
        (
            "datastore_search: 1 filter, q-less, total",
            "/api/3/action/datastore_search",
            {
                "resource_id": resource_id,
                "filters": json.dumps({"category": "taksa"}),
                "limit": "100",
            },
        ),
    ]
    lines, worst = [], 0.0
    for label, path, params in cases:
        ours, floor, n = measure(path, params, args.repeats, cold=label.endswith("cold"))
        worst = max(worst, ours[1])
        lines.append(
            f"| {label} | {ours[0]:.1f} ms | {ours[1]:.1f} ms | {floor[0]:.1f} ms "
            f"| {floor[1]:.1f} ms | {ours[0] / floor[0]:.1f} | {n} |"
        )
        print(lines[-1], flush=True)
    body = "\n".join(
        [
            f"- Date: {today()}",
            f"- Machine: {machine()}",
            "- Database: PostgreSQL 15 on the same machine, "
            f"{args.datasets:,} datasets, a {args.rows:,}-row datastore table (seeded in "
            f"{seeded:.0f} s)",
            f"- Command: `.venv/bin/python bench/bench_opendata.py --datasets {args.datasets} "
            f"--rows {args.rows} --repeats {args.repeats}`",
            "- Floor: the same SQL statements the request ran, replayed through psycopg",
            "",
            f"| request ({args.repeats} runs) | Sportel median | Sportel p95 "
            "| plain SQL median | plain SQL p95 | ratio (medians) | statements |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *lines,
        ]
    )
    if not args.no_write:
        write_section("Open data: CKAN package_search and datastore_search", body)
    print(body)


if __name__ == "__main__":
    main()
