"""Writing many rows fast: ids reserved up front, rows sent as plain tuples.

The assessment of a municipality and the import of a bank statement write hundreds of
thousands of rows. Building a Django model instance per row and compiling a bulk INSERT cost
more than the database's own work (profiled, docs/benchmarks.md), so the hot paths write plain
tuples: ``COPY ... FROM STDIN`` on PostgreSQL, one ``executemany`` on SQLite. Ids are reserved
before the rows go in (the table's sequence on PostgreSQL; on SQLite, past the highest id ever
used, under the write lock), so the caller knows every row's id without
reading anything back (callers run inside a transaction). The database's own rules still hold: constraints, and the ledger's
triggers, which fire per row for COPY and executemany alike (migration 0002).

Table and column names are fixed strings in the callers; only values come from data.
"""

import datetime
import json
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.db import connection

CHUNK = 5000


def reserve_ids(table: str, count: int) -> list[int]:
    """``count`` fresh ids for rows of ``table`` the caller is about to insert."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One row holding the array, not one row per id (profiled: fetching 45 000 rows
            # cost a tenth of an assessment batch).
            cursor.execute(
                "SELECT array_agg(nextval(pg_get_serial_sequence(%s, 'id')))"
                " FROM generate_series(1, %s)",
                [table, count],
            )
            return cursor.fetchone()[0]
        # SQLite: a write first, so this transaction holds the database's single write lock
        # and the highest id read next cannot change before commit (a write statement takes
        # the lock even when it changes no row). AUTOINCREMENT never reuses an id, so start
        # past both the highest row and the highest id ever handed out. Outside a transaction
        # the ids are not safe: callers are atomic.
        cursor.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(top, row[0] if row else 0) + 1
        # Move the sequence past the reservation now, as nextval does: the ORM's next row
        # never takes a reserved id, whether or not the caller used it.
        if row:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + count - 1, table]
            )
        else:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                [table, start + count - 1],
            )
        return list(range(start, start + count))


def _sqlite_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _pg_value(value):
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


_PLAIN = (int, str, bool, type(None))


def _adapter(rows: list[tuple], convert):
    """A function turning a row into what the driver takes: only the columns whose first
    value is not a plain int / str / bool / None are converted (a column holds one type)."""
    first = rows[0]
    # A column whose first value is None may hold an id later (plain) in these tables, never a
    # Decimal or date: those columns are NOT NULL.
    special = [i for i, value in enumerate(first) if not isinstance(value, _PLAIN)]
    if connection.vendor == "postgresql":
        # psycopg dumps Decimal, date and datetime itself: only JSON needs converting.
        special = [i for i in special if isinstance(first[i], dict | list)]
    if not special:
        return None
    if connection.vendor == "sqlite":
        constants = {
            i: convert(first[i]) for i in special if isinstance(first[i], datetime.datetime)
        }
    else:
        constants = {}

    def adapt(row):
        out = list(row)
        for i in special:
            out[i] = constants[i] if i in constants and row[i] is first[i] else convert(row[i])
        return out

    return adapt


def insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order; dicts and lists are JSON) into ``table``."""
    if not rows:
        return
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's error classes (IntegrityError...) as for any query of the ORM.
            with connection.wrap_database_errors:
                _copy(cursor.cursor, table, columns, rows)  # psycopg's own cursor
            return
        adapt = _adapter(rows, _sqlite_value)
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.executemany(sql, [adapt(row) for row in chunk] if adapt else chunk)


def _copy(raw_cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """``COPY table (columns) FROM STDIN`` of ``rows`` through a psycopg cursor."""
    if not rows:
        return
    adapt = _adapter(rows, _pg_value)
    with raw_cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(adapt(row) if adapt else row)


class Writer:
    """``insert`` that returns before the rows are in (PostgreSQL): the rows are copied by a
    thread of this process on this very connection, inside the caller's transaction, while
    the caller goes on preparing the next ones (the database ingests and checks one part
    while Python works on the next: the two use both cores). Inserts run in the order given.
    :meth:`wait` before anything else uses the connection (it raises what an insert raised,
    as Django's error classes), and :meth:`close` at the end, also when failing. On SQLite,
    ``insert`` is ``bulk.insert``, done at once."""

    def __init__(self):
        self.background = connection.vendor == "postgresql"
        self._pending = None
        if self.background:
            connection.ensure_connection()
            self._raw = connection.connection
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer")

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not self.background:
            insert(table, columns, rows)
            return
        previous = self._pending
        self._pending = self._pool.submit(self._run, previous, table, columns, rows)

    def _run(self, previous, table, columns, rows) -> None:
        if previous is not None:
            previous.result()  # a failed insert stops the ones queued after it
        with self._raw.cursor() as cursor:
            _copy(cursor, table, columns, rows)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            with connection.wrap_database_errors:
                pending.result()

    def close(self) -> None:
        """Wait for what is queued (without raising: the caller is failing, or has waited)
        and stop the thread."""
        if not self.background:
            return
        pending, self._pending = self._pending, None
        if pending is not None:
            futures.wait([pending])
        self._pool.shutdown(wait=True)


def update_ids(table: str, assignment: str, ids: list[int]) -> None:
    """``UPDATE table SET <assignment> WHERE id IN ids``, in chunks (``assignment`` is fixed
    text of the caller's)."""
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {table} SET {assignment} WHERE id = ANY(%s)",  # noqa: S608
                    [chunk],
                )
            else:
                cursor.execute(
                    f"UPDATE {table} SET {assignment} WHERE id IN ({', '.join(['%s'] * len(chunk))})",  # noqa: S608
                    chunk,
                )
