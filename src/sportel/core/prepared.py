"""Server-side prepared statements for the few statements every write of the hot paths runs.

Django sends every statement as text with its parameters quoted in (psycopg's client-side
binding): PostgreSQL parses, analyses and plans each one again. For the handful of statements
an Open311 ``POST requests`` sends (and the audit chain's two) that was ~1.8 ms of
PostgreSQL's ~3.3 ms per POST (docs/benchmarks.md, "Reports: Open311 POST, prepared
statements"). ``cursor()`` gives Django's own cursor wrapper (statements counted and logged,
errors translated, the connection's health check and adapters) around a psycopg cursor that
binds the parameters on the server and prepares each statement on its first run in a
connection; later runs send only the statement's name and the parameters.

Off — a plain ``connection.cursor()`` — on other databases and when ``prepare_threshold`` is
not set in the database's OPTIONS (``SPORTEL_DB_PREPARED_STATEMENTS=0``: behind a connection
pooler in transaction mode that cannot keep prepared statements, such as PgBouncer before
1.21). With ``server_side_binding`` (``SPORTEL_DB_SERVER_SIDE_BINDING``, decision 0035)
Django's own cursors bind on the server and prepare a statement on its second run too; this
cursor still saves the ORM's work of building the statement and prepares on the first run.

The statements written for it must type their parameters where PostgreSQL cannot infer them
from a column (a Python ``float`` is sent as ``float8``, a ``str`` as "unknown").
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from django.db import connection

_PLACEHOLDER = re.compile(r"%(.)")


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    """``sql`` with its ``%s`` placeholders numbered as PostgreSQL's own (``$1``, ``$2``...) and
    ``%%`` as ``%``. Done once per statement: psycopg would split a statement with more than 50
    parameters (the report's rows have ~60) anew on every run, ~0.35 ms of CPU each time."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%"
        if match.group(1) != "s":
            raise ValueError(f"only %s placeholders are supported: {match.group(0)!r}")
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


@cache
def _cursor_class():
    import psycopg
    from django.db.backends.postgresql.base import CursorMixin

    class PreparedCursor(CursorMixin, psycopg.RawCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            if params is not None:
                query = _numbered(query)
            return super().execute(
                query, params, prepare=True if prepare is None else prepare, binary=binary
            )

        def _send_query_prepared(self, name, pgq, *, binary=None):
            # psycopg keeps the statement it ran (which Django's debug cursor logs) only when
            # it is not prepared; keep it here too, so the statement shows and is counted.
            self._query = pgq
            return super()._send_query_prepared(name, pgq, binary=binary)

    return PreparedCursor


def _wrapper(db):
    """The connection wrapper itself for ``db`` (``django.db.connection`` is a proxy that
    looks the thread's wrapper up on every attribute read: ~10 µs of CPU per statement here)."""
    from django.db import connections

    return connections[db.alias] if db is connection else db


def enabled(db=connection) -> bool:
    db = _wrapper(db)
    return (
        db.vendor == "postgresql"
        and db.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is not None
    )


def cursor(db=connection):
    """A cursor of ``db`` whose statements are prepared (see the module's docstring); use it as
    ``connection.cursor()``."""
    db = _wrapper(db)
    if not enabled(db):
        return db.cursor()
    # What BaseDatabaseWrapper._cursor() does, with our cursor class.
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        return db._prepare_cursor(_cursor_class()(db.connection))


def _auto(field) -> bool:
    from django.db.models.fields import AutoFieldMixin

    return isinstance(field, AutoFieldMixin)


@cache
def _insert_fields(model) -> tuple[list, str]:
    fields = [f for f in model._meta.concrete_fields if not _auto(f)]
    return fields, ",".join(connection.ops.quote_name(f.column) for f in fields)


def row(obj, db=connection) -> tuple[str, list]:
    """A new row for ``obj`` written out: its columns (quoted, comma-separated; an automatic
    primary key left out) and their values, prepared by the model's fields as ``save()``
    prepares them, so a field added to the model is written too."""
    from django.db import connections

    fields, columns = _insert_fields(type(obj))
    wrapper = connections[db.alias]  # the wrapper itself, not the proxy: fields read it often
    return columns, [f.get_db_prep_save(f.pre_save(obj, add=True), wrapper) for f in fields]


def insert(obj, db=connection) -> None:
    """Insert the new row ``obj`` as ``save()`` would (its fields' own ``pre_save`` and
    preparation, the automatic primary key read back, ``post_save`` sent) in one prepared
    statement. For models without their own ``save()`` or ``pre_save`` listeners, on the hot
    paths only: the ORM spends ~0.3–0.5 ms of CPU building an insert (decision 0035). Where
    prepared statements are off, ``save(force_insert=True)``."""
    db = _wrapper(db)
    if not enabled(db):
        obj.save(force_insert=True, using=db.alias)
        return
    model = type(obj)
    columns, values = row(obj, db)
    q = db.ops.quote_name
    table, pk, marks = q(model._meta.db_table), q(model._meta.pk.column), placeholders(len(values))
    sql = f"INSERT INTO {table} ({columns}) VALUES {marks} RETURNING {pk}"  # noqa: S608
    with cursor(db) as c:
        c.execute(sql, values)
        obj.pk = c.fetchone()[0]
    saved(obj, db=db)


def update(obj, fields, db=connection) -> None:
    """``obj.save(update_fields=fields)`` in one prepared statement: the fields' own
    ``pre_save`` and preparation, ``pre_save``/``post_save`` sent, and the ORM's error when no
    row was updated. For models without their own ``save()``; the ORM where prepared
    statements are off (decision 0035)."""
    db = _wrapper(db)
    if not enabled(db):
        obj.save(update_fields=fields, using=db.alias)
        return
    from django.db import DatabaseError, connections
    from django.db.models.signals import post_save, pre_save

    model = type(obj)
    names = frozenset(fields)
    pre_save.send(sender=model, instance=obj, raw=False, using=db.alias, update_fields=names)
    wrapper = connections[db.alias]
    chosen = [model._meta.get_field(name) for name in dict.fromkeys(fields)]
    values = [f.get_db_prep_save(f.pre_save(obj, add=False), wrapper) for f in chosen]
    q = db.ops.quote_name
    assignments = ", ".join(f"{q(f.column)} = %s" for f in chosen)
    table, pk = q(model._meta.db_table), q(model._meta.pk.column)
    with cursor(db) as c:
        c.execute(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [*values, obj.pk])  # noqa: S608
        if c.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    obj._state.adding, obj._state.db = False, db.alias
    post_save.send(
        sender=model, instance=obj, created=False, update_fields=names, raw=False, using=db.alias
    )


def placeholders(count: int) -> str:
    return "(" + ",".join(["%s"] * count) + ")"


def saved(*objs, db=connection) -> None:
    """Mark rows written by hand as saved and send ``post_save`` for each, as ``save()`` does
    (the idempotency log of inserted rows listens to it)."""
    from django.db.models.signals import post_save

    alias = db.alias
    for obj in objs:
        obj._state.adding, obj._state.db = False, alias
        post_save.send(
            sender=type(obj), instance=obj, created=True, update_fields=None, raw=False,
            using=alias,
        )  # fmt: skip


@cache
def _read_fields(model) -> tuple[tuple, tuple, int]:
    """The concrete fields a row of ``model`` is read with, and for each the converters Django
    applies to a value read back (backend's, then field's), as its compiler does, and where the
    primary key is among them."""
    fields = tuple(model._meta.concrete_fields)
    converters = []
    for field in fields:
        col = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append((tuple(found), col) if found else None)
    return fields, tuple(converters), fields.index(model._meta.pk)


@cache
def _attnames(model) -> tuple:
    return tuple(f.attname for f in _read_fields(model)[0])


def columns(model, alias: str) -> str:
    """The columns a row of ``model`` is read with, for :func:`instance`: ``alias."col", ...``."""
    q = connection.ops.quote_name
    return ", ".join(f"{alias}.{q(f.column)}" for f in _read_fields(model)[0])


def instance(model, row, start: int = 0, db=connection):
    """The ``model`` instance read from ``row[start:]`` (the columns of :func:`columns`), its
    values converted as a queryset converts them, and the index after its columns. A row of
    NULLs (an outer join that found nothing) gives ``None``."""
    db = _wrapper(db)
    fields, converters, pk = _read_fields(model)
    end = start + len(fields)
    values = list(row[start:end])
    if values[pk] is None:
        return None, end
    for i, conv in enumerate(converters):
        if conv is not None:
            found, col = conv
            for converter in found:
                values[i] = converter(values[i], col, db)
    return model.from_db(db.alias, _attnames(model), values), end
