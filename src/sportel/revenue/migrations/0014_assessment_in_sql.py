"""PostgreSQL, for the assessment computed in SQL (decision 0033):

1. ``revenue_rf(body)``, the ISO 11649 reference of a body, computed as ``rf.make`` does, so an
   assessment batch can create its invoices in one ``INSERT … SELECT``. The body's letters
   become 10..35 (26 nested ``replace``: plain C string functions), "RF00" is appended, the
   digit string read as a ``numeric`` and taken modulo 97; the check digits are 98 minus that
   remainder, two digits. The body must already be compact (the caller checks its shape in
   Python, with ``rf.make``'s own error). A plain SQL function of one expression,
   ``IMMUTABLE``: the planner inlines it into the query that calls it.
   ``tests/revenue/test_rf.py`` compares it with ``rf.make``.
2. The references of invoices (municipality, person, business) checked once per statement by
   the functions of migrations 0008 / 0012, as 0010 did for payments and statement lines,
   instead of Django's per-row deferred foreign keys checked at commit (one trigger call and
   one look-up per row and key: measured 2.3 s at the commit of 100 000 invoices,
   docs/benchmarks.md). Same rule and error (SQLSTATE 23503, an ``IntegrityError``), at the
   end of each statement; a parent row deleted while an invoice names it is refused as before.
"""

from importlib import import_module

from django.db import migrations

_m0010 = import_module("sportel.revenue.migrations.0010_recon_payment_refs_per_statement")

_DIGITS = "upper($1) || 'RF00'"
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _DIGITS = f"replace({_DIGITS}, '{_letter}', '{ord(_letter) - 55}')"

FUNCTION = f"""CREATE OR REPLACE FUNCTION revenue_rf(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 'RF' || lpad((98 - ({_DIGITS})::numeric % 97)::text, 2, '0') || upper($1)
    $$"""

CHILD = "revenue_invoice"
KEPT = "revenue_invoice_refs_kept"
COLUMNS = (
    ("municipality_id", "core_municipality"),
    ("person_id", "core_person"),
    ("business_id", "core_business"),
)


def _args(pairs) -> str:
    return ", ".join(_m0010._literal(x) for pair in pairs for x in pair)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    with schema_editor.connection.cursor() as cursor:
        for column, _parent in COLUMNS:
            cursor.execute(
                """SELECT c.conname FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND a.attname = %s""",
                [CHILD, column],
            )
            for (name,) in cursor.fetchall():
                schema_editor.execute(f'ALTER TABLE {CHILD} DROP CONSTRAINT "{name}"')
    for event in ("INSERT", "UPDATE"):
        schema_editor.execute(
            f"""CREATE TRIGGER {CHILD}_refs_{event.lower()} AFTER {event} ON {CHILD}
            REFERENCING NEW TABLE AS added FOR EACH STATEMENT
            EXECUTE FUNCTION revenue_refs_exist({_args(COLUMNS)})"""
        )
    for column, parent in COLUMNS:
        schema_editor.execute(
            f"""CREATE TRIGGER {KEPT} AFTER DELETE ON {parent}
            REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
            EXECUTE FUNCTION revenue_refs_kept({_args([(CHILD, column)])})"""
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _column, parent in COLUMNS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {KEPT} ON {parent}")
    for event in ("insert", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {CHILD}_refs_{event} ON {CHILD}")
    for column, parent in COLUMNS:
        schema_editor.execute(
            f"""ALTER TABLE {CHILD} ADD CONSTRAINT invoice_{column}_fk
            FOREIGN KEY ({column}) REFERENCES {parent} (id) DEFERRABLE INITIALLY DEFERRED"""
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS revenue_rf(text)")


class Migration(migrations.Migration):
    dependencies = [("revenue", "0013_assessment_shards")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
