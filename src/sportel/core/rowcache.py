"""Per-process copies of rarely edited configuration rows (a municipality by its slug, a
service with its version in force), valid while the database's configuration generation is the
one they were read under.

Every request used to read these rows again (two ORM statements with joins per submission);
now it reads one number. ``core_configgeneration`` holds it; database triggers on the watched
tables (``watch_table_sql``) give it a new, never repeated value in the same transaction as any
write to them, whichever process, ``update()``, raw SQL or cascade made it. The value changes
only when that transaction commits, so a copy read under the old number is never served
after the edit is visible; a rolled-back transaction's number is never seen again (a sequence
on PostgreSQL, a random 63-bit number on SQLite). Copies are kept pickled and every caller gets
its own unpickled instance: nothing a request changes on its instance reaches another.

No row, no cache (after a flush, before the first write): every lookup then reads the table.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

LIMIT = 4096  # entries per process; cleared when full (unknown keys are never stored)

_entries: dict[Hashable, tuple[int, bytes]] = {}

GENERATION_SQL = 'SELECT "n" FROM "core_configgeneration" WHERE "id" = 1'


def generation() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(GENERATION_SQL)
        row = cursor.fetchone()
    return row[0] if row else None


def cached(key: Hashable, load: Callable[[], T | None]) -> T | None:
    """``load()``'s result for ``key``, from this process's copy while the generation holds.
    ``None`` results are not kept (an unknown slug costs its statement, as before)."""
    current = generation()
    if current is None:
        return load()
    hit = _entries.get(key)
    if hit is not None and hit[0] == current:
        return pickle.loads(hit[1])  # noqa: S301 -- bytes this process pickled, never input
    value = load()
    if value is not None:
        if len(_entries) >= LIMIT:
            _entries.clear()
        _entries[key] = (current, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    return value


def clear() -> None:
    _entries.clear()


# --- Migrations: the generation's triggers ---------------------------------------------------

POSTGRES_GENERATION = [
    "CREATE SEQUENCE IF NOT EXISTS core_configgeneration_seq",
    """CREATE OR REPLACE FUNCTION core_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_configgeneration (id, n) VALUES (1, nextval('core_configgeneration_seq'))
    ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n;
    RETURN NULL;
END $$""",
    "INSERT INTO core_configgeneration (id, n) "
    "VALUES (1, nextval('core_configgeneration_seq')) ON CONFLICT (id) DO NOTHING",
]

SQLITE_BUMP = (
    "INSERT INTO core_configgeneration (id, n) VALUES (1, abs(random())) "
    "ON CONFLICT (id) DO UPDATE SET n = excluded.n;"
)


def install_generation(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return list(POSTGRES_GENERATION)
    return [
        "INSERT INTO core_configgeneration (id, n) VALUES (1, abs(random())) "
        "ON CONFLICT (id) DO NOTHING;"
    ]


def watch_table_sql(vendor: str, table: str) -> list[str]:
    """Statements that make every write to ``table`` change the generation. On PostgreSQL a
    BEFORE statement trigger: the generation row is locked before the statement locks any row of
    its own, so two transactions editing configuration queue instead of deadlocking."""
    if vendor == "postgresql":
        return [
            f'CREATE TRIGGER "{table}_config" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE '
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION core_config_changed();'
        ]
    return [
        f'CREATE TRIGGER "{table}_config_{event.lower()}" AFTER {event} ON "{table}" '
        f"BEGIN {SQLITE_BUMP} END;"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def unwatch_table_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS "{table}_config" ON "{table}";']
    return [
        f'DROP TRIGGER IF EXISTS "{table}_config_{event}";'
        for event in ("insert", "update", "delete")
    ]
