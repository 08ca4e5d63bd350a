"""The hot statements of filing a report, written out.

Every Open311 ``POST requests`` runs them, and the ORM spends ~0.3-0.5 ms of CPU building each
statement it sends (profiled: docs/benchmarks.md, "Reports: Open311 POST"), more than
PostgreSQL spends running it. The SQL here says the same as the queries it replaces; the
columns of the inserts are the models' own, prepared by their fields as ``save()`` does, so a
field added to a model is written here too.
"""

from __future__ import annotations

from functools import cache

from django.db import connection, connections
from django.db.models.signals import post_save
from django.utils import timezone

from sportel.core import prepared

from .models import (
    AreaSubscription,
    BannedReporter,
    CategoryAttribute,
    Cluster,
    ClusterVoice,
    Report,
    ReportEvent,
)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def sender_check(
    municipality_id: int, hashes: set[str], *, area: int | bool | None = False
) -> tuple[bool, bool]:
    """(banned, subscribed) in one statement: whether any of ``hashes`` is on the
    municipality's active ban list (not lifted, not expired), and — when ``area`` is not False —
    whether anyone confirmed and not stopped is subscribed to the whole municipality or to the
    administrative unit ``area`` (None: no unit)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    placeholders = ", ".join(["%s"] * len(hashes))
    banned = (
        f"EXISTS (SELECT 1 FROM {_table(BannedReporter)} WHERE municipality_id = %s "  # noqa: S608
        "AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > %s) "
        f"AND value_hash IN ({placeholders}))"
    )
    params: list = [municipality_id, now, *sorted(hashes)]
    subscribed = "0"
    if area is not False:
        subscribed = (
            f"EXISTS (SELECT 1 FROM {_table(AreaSubscription)} WHERE "  # noqa: S608
            "municipality_id = %s AND confirmed_at IS NOT NULL AND stopped_at IS NULL "
            "AND (unit_id IS NULL" + (" OR unit_id = %s)" if area is not None else ")") + ")"
        )
        params += [municipality_id] + ([area] if area is not None else [])
    with prepared.cursor() as cursor:
        cursor.execute(f"SELECT {banned}, {subscribed}", params)
        row = cursor.fetchone()
    return bool(row[0]), bool(row[1])


def open_clusters_in_box(category, south, west, north, east, since) -> list[Cluster]:
    """Open clusters of ``category`` last reported since ``since`` in the bounding box (the
    partial index of open groups answers it)."""
    if connection.vendor == "postgresql":
        # The rows as psycopg gives them are the fields' values (no converters on PostgreSQL):
        # built with from_db, without the ORM's query compiler.
        names = [f.attname for f in Cluster._meta.concrete_fields]
        columns = ", ".join(
            connection.ops.quote_name(f.column) for f in Cluster._meta.concrete_fields
        )
        # The box's corners are typed: a float parameter bound on the server is float8, and a
        # numeric column compared with float8 cannot use its index.
        with prepared.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {_table(Cluster)} WHERE municipality_id = %s "  # noqa: S608
                "AND category_id = %s AND is_open AND last_report_at >= %s "
                'AND "lat" >= %s::numeric AND "lat" <= %s::numeric '
                'AND "long" >= %s::numeric AND "long" <= %s::numeric',
                [category.municipality_id, category.pk, since, south, north, west, east],
            )
            return [Cluster.from_db(connection.alias, names, row) for row in cursor.fetchall()]
    ops = connection.ops
    return list(
        Cluster.objects.raw(
            f"SELECT * FROM {_table(Cluster)} WHERE municipality_id = %s "  # noqa: S608
            "AND category_id = %s AND is_open AND last_report_at >= %s "
            'AND "lat" >= %s AND "lat" <= %s AND "long" >= %s AND "long" <= %s',
            [
                category.municipality_id,
                category.pk,
                ops.adapt_datetimefield_value(since),
                ops.adapt_decimalfield_value(south, 9, 6),
                ops.adapt_decimalfield_value(north, 9, 6),
                ops.adapt_decimalfield_value(west, 9, 6),
                ops.adapt_decimalfield_value(east, 9, 6),
            ],
        )
    )


@cache
def _fields(model, skip: tuple[str, ...]) -> tuple[list, list[str]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in skip]
    return fields, [connection.ops.quote_name(f.column) for f in fields]


def _columns(obj, skip: tuple[str, ...] = ()) -> tuple[list[str], list]:
    fields, names = _fields(type(obj), skip)
    db = connections[obj._state.db or "default"]  # the wrapper itself, not the proxy, per field
    return names, [f.get_db_prep_save(f.pre_save(obj, add=True), db) for f in fields]


def _values(count: int) -> str:
    return ",".join(["%s"] * count)


def insert_filed(
    report: Report,
    event: ReportEvent,
    *,
    cluster: Cluster | None,
    created: bool,
    voice: ClusterVoice | None,
    answered: list[str] | None = None,
) -> bool:
    """PostgreSQL: a new report's rows in one statement (a data-modifying ``WITH``): its new
    cluster (when ``created``), the report, its first history row and its reporter's voice; on
    an existing cluster the voice is added unless this reporter was counted already (the
    unique row), and the cluster's counter and time of the last report move with it, as
    ``services._add_voice_row`` does. Sets the primary keys and sends ``post_save`` for each
    row written, as ``save()`` would.

    ``answered``: the codes of the questions the report answers. The same statement then takes
    a key-share lock on each of those questions' rows and counts the rows it locked, as
    ``services._hold_questions`` checks on its own elsewhere; when one is gone the report is not
    written (nor its history row or voice) and this returns False: the caller raises and its
    transaction takes back what else the statement wrote (a new cluster, a counter)."""
    parts: list[str] = []
    params: list = []
    guard = ""
    if answered:
        # The questions answered, each row locked (the codes are unique within a category).
        # A row deleted by a transaction this one waited for is skipped, not counted: the lock
        # is taken on the row's latest version, while the rest of the statement reads the
        # snapshot it started with.
        parts.append(
            f"q AS (SELECT count(*) AS n FROM (SELECT a.id FROM {_table(CategoryAttribute)} a "  # noqa: S608
            "WHERE a.category_id = %s AND a.code = ANY(%s::text[]) FOR KEY SHARE) k)"
        )
        params += [report.category_id, list(answered)]
        guard = " FROM q WHERE q.n = %s"
    cluster_ref = "NULL"
    if cluster is not None and created:
        names, values = _columns(cluster)
        parts.append(
            f"c AS (INSERT INTO {_table(Cluster)} ({','.join(names)}) "  # noqa: S608
            f"VALUES ({_values(len(values))}) RETURNING id)"
        )
        params += values
        cluster_ref = "(SELECT id FROM c)"
    elif cluster is not None:
        cluster_ref = "%s"
    names, values = _columns(report, skip=("cluster_id",))
    parts.append(
        f"r AS (INSERT INTO {_table(Report)} ({','.join(names)}, cluster_id) "
        + (
            f"SELECT {_values(len(values))}, {cluster_ref}{guard} RETURNING id)"
            if guard
            else f"VALUES ({_values(len(values))}, {cluster_ref}) RETURNING id)"
        )
    )
    params += values + ([cluster.pk] if cluster is not None and not created else [])
    if answered:
        params.append(len(answered))
    names, values = _columns(event, skip=("report_id",))
    parts.append(
        f"e AS (INSERT INTO {_table(ReportEvent)} ({','.join(names)}, report_id) "  # noqa: S608
        f"SELECT {_values(len(values))}, r.id FROM r RETURNING id)"
    )
    params += values
    voice_ref = "NULL"
    if voice is not None:
        names, values = _columns(voice, skip=("cluster_id", "report_id"))
        parts.append(
            f"v AS (INSERT INTO {_table(ClusterVoice)} "  # noqa: S608
            f"({','.join(names)}, cluster_id, report_id) "
            f"SELECT {_values(len(values))}, {cluster_ref}, r.id FROM r "
            "ON CONFLICT DO NOTHING RETURNING id)"
        )
        params += values + ([cluster.pk] if not created else [])
        voice_ref = "(SELECT id FROM v)"
        if not created:
            parts.append(
                f"u AS (UPDATE {_table(Cluster)} SET "  # noqa: S608
                "voices = voices + (SELECT count(*) FROM v), last_report_at = %s WHERE id = %s)"
            )
            params += [connection.ops.adapt_datetimefield_value(report.requested_at), cluster.pk]
    created_ref = "(SELECT id FROM c)" if created else "NULL"
    # Our own names and placeholders only:
    ids = f"{created_ref}, (SELECT id FROM r), (SELECT id FROM e), {voice_ref}"  # noqa: S608
    sql = f"WITH {', '.join(parts)} SELECT {ids}"
    with prepared.cursor() as cursor:
        cursor.execute(sql, params)
        cluster_id, report_id, event_id, voice_id = cursor.fetchone()
    if report_id is None:  # a question answered was deleted meanwhile
        return False
    report.pk, event.pk = report_id, event_id
    if created:
        cluster.pk = cluster_id
    report.cluster = cluster
    event.report = report
    written = [cluster] if created else []
    written += [report, event]
    if voice is not None and voice_id is not None:
        voice.pk, voice.cluster, voice.report = voice_id, cluster, report
        written.append(voice)
    for obj in written:
        obj._state.adding, obj._state.db = False, connection.alias
        post_save.send(
            sender=type(obj), instance=obj, created=True, update_fields=None, raw=False,
            using=connection.alias,
        )  # fmt: skip
    return True
