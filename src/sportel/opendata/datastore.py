"""The datastore: a tabular resource's current version as a real table, named by the resource's id
as in CKAN (``SELECT * FROM "<resource id>"``), with an index per column so filters and sorts
stay fast on a million rows. Plain SQL with quoted identifiers, so SQLite and PostgreSQL both
serve it; every identifier comes from the resource's own Table Schema, never from the request.

``search`` is CKAN's ``datastore_search``; ``search_sql`` its ``datastore_search_sql``: one
read-only SELECT over datastore tables, proved by parsing (sqlparse) and enforced by the
database (a read-only transaction with a statement timeout on PostgreSQL; an authorizer that
allows reading datastore tables only, plus a progress handler as the clock, on SQLite).
"""

import csv
import io
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlparse
from django.conf import settings
from django.db import connection, transaction
from sqlparse import tokens as T

MAX_LIMIT = 32000
DEFAULT_LIMIT = 100
CKAN_TYPES = {
    "integer": "int",
    "number": "numeric",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
}


class DatastoreError(Exception):
    """Bad parameters: ``errors`` maps each parameter to its messages (CKAN's Validation Error)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def table_name(resource_id) -> str:
    return str(resource_id)


def _sql_type(kind: str) -> str:
    if kind == "integer":
        return "BIGINT"
    if kind == "number":
        return "DOUBLE PRECISION" if connection.vendor == "postgresql" else "REAL"
    if kind == "boolean":
        return "BOOLEAN"
    return "TEXT"


def _coerce(kind: str, value):
    """A cell as the column stores it (None for an empty cell)."""
    if value is None or value == "":
        return None
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1", "yes", "po"}
        return bool(value)
    return (
        value
        if isinstance(value, str)
        else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    )


def load(resource_id, schema: dict, rows: Iterable[dict]) -> int:
    """Replace the resource's table with ``rows`` (call inside the publishing transaction)."""
    fields = schema["fields"]
    table = _q(table_name(resource_id))
    pk = "INTEGER PRIMARY KEY" if connection.vendor == "sqlite" else "BIGINT PRIMARY KEY"
    columns = ", ".join(f"{_q(f['name'])} {_sql_type(f['type'])}" for f in fields)
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TABLE {table} (_id {pk}, {columns})")
        names = ", ".join(["_id", *(_q(f["name"]) for f in fields)])
        marks = ", ".join(["%s"] * (len(fields) + 1))
        insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 -- quoted schema names
        batch = []
        for row in rows:
            count += 1
            batch.append([count, *(_coerce(f["type"], row.get(f["name"])) for f in fields)])
            if len(batch) >= 2000:
                cursor.executemany(insert, batch)
                batch = []
        if batch:
            cursor.executemany(insert, batch)
        short = str(resource_id).replace("-", "")[:20]
        for i, f in enumerate(fields[:16]):
            cursor.execute(f"CREATE INDEX {_q(f'ds_{short}_{i}')} ON {table} ({_q(f['name'])})")
    return count


def drop(resource_id) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_q(table_name(resource_id))}")


@dataclass
class SearchResult:
    fields: list[dict]
    records: object
    total: int | None
    limit: int
    offset: int


def _names(value, param: str) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise DatastoreError({param: ["must be a list of field names or a comma-separated string"]})


def _int(value, param: str, default: int, maximum: int | None = None) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise DatastoreError({param: ["Invalid integer"]}) from None
    if number < 0:
        raise DatastoreError({param: ["Must be a positive integer"]})
    return min(number, maximum) if maximum is not None else number


def _bool(value, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in {"true", "1", "yes", "on"}


def search(resource_id, schema: dict, params: dict) -> SearchResult:
    """CKAN's datastore_search over one resource's table. Raises DatastoreError on bad params."""
    kinds = {"_id": "integer", **{f["name"]: f["type"] for f in schema["fields"]}}
    errors: dict[str, list[str]] = {}

    selected = list(kinds)
    if params.get("fields") not in (None, "", []):
        selected = _names(params["fields"], "fields")
        unknown = [n for n in selected if n not in kinds]
        if unknown:
            errors["fields"] = [f"field {n!r} not in datastore" for n in unknown]

    where, args = [], []
    filters = params.get("filters") or {}
    if isinstance(filters, str):
        import json

        try:
            filters = json.loads(filters)
        except ValueError:
            filters = None
    if not isinstance(filters, dict):
        errors["filters"] = ["must be a JSON object of field: value"]
        filters = {}
    for name, value in filters.items():
        if name not in kinds:
            errors.setdefault("filters", []).append(f"field {name!r} not in datastore")
            continue
        values = value if isinstance(value, list) else [value]
        try:
            values = [_coerce(kinds[name], v) for v in values]
        except (TypeError, ValueError):
            errors.setdefault("filters", []).append(f"invalid value for {name!r}")
            continue
        if not values:
            where.append("1 = 0")
            continue
        marks = ", ".join(["%s"] * len(values))
        where.append(f"{_q(name)} IN ({marks})")
        args.extend(values)

    q = params.get("q")
    if q not in (None, "", {}):
        like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"

        def contains(name, text):
            escaped = str(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            args.append(f"%{escaped}%")
            return f"CAST({_q(name)} AS TEXT) {like} %s ESCAPE '\\'"

        if isinstance(q, dict):
            for name, text in q.items():
                if name not in kinds:
                    errors.setdefault("q", []).append(f"field {name!r} not in datastore")
                    continue
                where.append(contains(name, text))
        else:
            text_fields = [f["name"] for f in schema["fields"]]
            if text_fields:
                where.append("(" + " OR ".join(contains(n, q) for n in text_fields) + ")")

    order = []
    sort = params.get("sort")
    if sort not in (None, ""):
        for part in _names(sort, "sort"):
            bits = part.split()
            name = bits[0].strip('"')
            direction = bits[1].lower() if len(bits) > 1 else "asc"
            if name not in kinds or direction not in {"asc", "desc"} or len(bits) > 2:
                errors.setdefault("sort", []).append(f"cannot sort by {part!r}")
                continue
            order.append(f"{_q(name)} {direction.upper()}")
    order.append("_id ASC")

    try:
        limit = _int(params.get("limit"), "limit", DEFAULT_LIMIT, MAX_LIMIT)
        offset = _int(params.get("offset"), "offset", 0)
    except DatastoreError as exc:
        errors.update(exc.errors)
        limit, offset = DEFAULT_LIMIT, 0
    records_format = params.get("records_format") or "objects"
    if records_format not in {"objects", "lists", "csv", "tsv"}:
        errors["records_format"] = ["must be one of objects, lists, csv, tsv"]
    if errors:
        raise DatastoreError(errors)

    table = _q(table_name(resource_id))
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    columns = ", ".join(_q(n) for n in selected)
    # Every identifier is quoted and comes from the resource's schema; every value is a parameter.
    sql = f"SELECT {columns} FROM {table}{clause} ORDER BY {', '.join(order)} LIMIT %s OFFSET %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, limit, offset])
        raw = cursor.fetchall()
        total = None
        if _bool(params.get("include_total"), True):
            cursor.execute(f"SELECT COUNT(*) FROM {table}{clause}", args)  # noqa: S608
            total = cursor.fetchone()[0]
    rows = [[_out(kinds[n], v) for n, v in zip(selected, row, strict=True)] for row in raw]
    fields = [_field_info(n, kinds[n], schema) for n in selected]
    if records_format == "objects":
        records = [dict(zip(selected, row, strict=True)) for row in rows]
    elif records_format == "lists":
        records = rows
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if records_format == "csv" else "\t")
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        records = buffer.getvalue()
    return SearchResult(fields=fields, records=records, total=total, limit=limit, offset=offset)


def series(resource_id, time_field: str, value_field: str, points: int = 24) -> list[tuple]:
    """The last ``points`` periods of a time series, summed in the database (for the chart)."""
    table = _q(table_name(resource_id))
    t, v = _q(time_field), _q(value_field)
    sql = (
        f"SELECT {t}, SUM({v}) FROM {table} WHERE {t} IS NOT NULL AND {v} IS NOT NULL "  # noqa: S608
        f"GROUP BY {t} ORDER BY {t} DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [points])
        return [(str(k), float(n)) for k, n in reversed(cursor.fetchall())]


def _out(kind: str, value):
    if kind == "boolean" and value is not None:
        return bool(value)
    if kind == "number" and value is not None:
        return float(value)
    return value


def _field_info(name: str, kind: str, schema: dict) -> dict:
    info = {"id": name, "type": CKAN_TYPES.get(kind, "text")}
    if name != "_id":
        for f in schema["fields"]:
            if f["name"] == name and f.get("title"):
                info["info"] = {"label": f["title"]}
    return info


# --- datastore_search_sql --------------------------------------------------------------------
DENIED_KEYWORDS = {
    "INTO",
    "INSERT",
    "UPDATE",
    "DELETE",
    "DROP",
    "ALTER",
    "CREATE",
    "ATTACH",
    "DETACH",
    "PRAGMA",
    "GRANT",
    "REVOKE",
    "COPY",
    "TRUNCATE",
    "REPLACE INTO",
    "VACUUM",
    "ANALYZE",
    "SET",
    "FOR",
    "LOCK",
    "WITH",
    "RETURNING",
    "MERGE",
    "CALL",
    "EXECUTE",
    "DO",
    "LOAD",
}
ALLOWED_FUNCTIONS = {
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "total",
    "lower",
    "upper",
    "length",
    "substr",
    "substring",
    "round",
    "abs",
    "coalesce",
    "ifnull",
    "nullif",
    "trim",
    "replace",
    "date",
    "strftime",
    "cast",
    "group_concat",
    "string_agg",
    "date_trunc",
    "extract",
}


class SQLRefused(Exception):
    pass


def check_select(sql: str, tables: set[str]) -> None:
    """Prove ``sql`` is one SELECT reading only the given tables; raise SQLRefused otherwise."""
    statements = [s for s in sqlparse.parse(sql or "") if str(s).strip(" \n\t;")]
    if len(statements) != 1:
        raise SQLRefused("Only a single SELECT statement is allowed.")
    statement = statements[0]
    if statement.get_type() != "SELECT":
        raise SQLRefused("Only a single SELECT statement is allowed.")
    tokens = [t for t in statement.flatten() if not t.is_whitespace and t.ttype not in T.Comment]
    expect_table = False
    after_table = False
    aliases: set[str] = set()
    qualifiers: list[str] = []
    for i, token in enumerate(tokens):
        value = token.normalized.upper() if token.is_keyword else token.value
        if token.ttype in T.Keyword or token.ttype in T.Keyword.DML or token.ttype in T.Keyword.DDL:
            if value in DENIED_KEYWORDS or token.ttype in T.Keyword.DDL:
                raise SQLRefused(f"{value} is not allowed: only reading is.")
            if token.ttype in T.Keyword.DML and value != "SELECT":
                raise SQLRefused(f"{value} is not allowed: only reading is.")
            if value == "FROM" or value.endswith("JOIN"):
                expect_table, after_table = True, False
                continue
            if value != "AS":
                expect_table = after_table = False
            continue
        if token.ttype in T.Punctuation and token.value == ";" and i != len(tokens) - 1:
            raise SQLRefused("Only a single SELECT statement is allowed.")
        calls = token.ttype in T.Name and i + 1 < len(tokens) and tokens[i + 1].value == "("
        if calls and token.value.lower() not in ALLOWED_FUNCTIONS:
            raise SQLRefused(f"The function {token.value} is not allowed.")
        if expect_table:
            if token.ttype in T.Punctuation and token.value == "(":
                expect_table = False  # a subquery: its own FROM is checked in turn
                continue
            if token.ttype in T.Name or token.ttype in T.Literal.String.Symbol:
                name = token.value.strip('"')
                if name not in tables:
                    raise SQLRefused(f"{name!r} is not a datastore table.")
                if i + 1 < len(tokens) and tokens[i + 1].value == ".":
                    raise SQLRefused("Only datastore tables can be read.")
                expect_table, after_table = False, True
                continue
            raise SQLRefused("Only datastore tables can be read.")
        if after_table and token.ttype in T.Punctuation and token.value == ",":
            expect_table = True
            continue
        if after_table and (token.ttype in T.Name or token.ttype in T.Literal.String.Symbol):
            aliases.add(token.value.strip('"'))  # FROM "<table>" [AS] alias
            continue
        if token.ttype in T.Punctuation and token.value == ".":
            qualifiers.append(tokens[i - 1].value.strip('"') if i else "")
    # A qualified name is a column of a datastore table or of its alias; schema-qualified names
    # (pg_catalog.x, main.sqlite_master) never are.
    if any(q not in tables and q not in aliases for q in qualifiers):
        raise SQLRefused("Only datastore tables can be read.")


class _Rollback(Exception):
    pass


def search_sql(sql: str, tables: set[str], limit: int = MAX_LIMIT) -> tuple[list[str], list[list]]:
    """Run a checked SELECT read-only with a time limit; nothing it does can stay."""
    check_select(sql, tables)
    timeout_ms = settings.SPORTEL_OPEN_DATA_SQL_TIMEOUT_MS
    result: dict = {}
    raw = connection
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET TRANSACTION READ ONLY")
                    cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                    cursor.execute(sql.strip().rstrip(";"))
                    result["rows"] = cursor.fetchmany(limit)
                    result["columns"] = [c[0] for c in cursor.description]
                else:
                    db = raw.connection
                    deadline = time.monotonic() + timeout_ms / 1000

                    def authorize(action, arg1, arg2, dbname, source):
                        import sqlite3

                        if action == sqlite3.SQLITE_SELECT:
                            return sqlite3.SQLITE_OK
                        if action == sqlite3.SQLITE_READ:
                            return sqlite3.SQLITE_OK if arg1 in tables else sqlite3.SQLITE_DENY
                        if action == sqlite3.SQLITE_FUNCTION:
                            ok = (arg2 or "").lower() in ALLOWED_FUNCTIONS
                            return sqlite3.SQLITE_OK if ok else sqlite3.SQLITE_DENY
                        return sqlite3.SQLITE_DENY

                    db.set_authorizer(authorize)
                    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10000)
                    try:
                        cursor.execute(sql.strip().rstrip(";"))
                        result["rows"] = cursor.fetchmany(limit)
                        result["columns"] = [c[0] for c in cursor.description]
                    finally:
                        db.set_authorizer(None)
                        db.set_progress_handler(None, 0)
            raise _Rollback
    except _Rollback:
        pass
    return result["columns"], [[_json_value(v) for v in r] for r in result["rows"]]


def _json_value(value):
    """PostgreSQL's SUM and AVG answer Decimal: numbers in JSON, as SQLite gives them."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
