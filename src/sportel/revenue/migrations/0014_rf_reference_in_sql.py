"""PostgreSQL: ``revenue_rf(body)``, the ISO 11649 reference of a body, computed as ``rf.make``
does (decision 0033), so an assessment batch can create its invoices in one ``INSERT … SELECT``.

The body's letters become 10..35 (26 nested ``replace``: plain C string functions), "RF00" is
appended, the digit string read as a ``numeric`` and taken modulo 97; the check digits are
98 minus that remainder, two digits. The body must already be compact and upper case (the
caller checks its shape in Python, with ``rf.make``'s own error). A plain SQL function of one
expression, ``IMMUTABLE``: the planner inlines it into the query that calls it.
``tests/revenue/test_rf.py`` compares it with ``rf.make``.
"""

from django.db import migrations

_DIGITS = "upper($1) || 'RF00'"
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _DIGITS = f"replace({_DIGITS}, '{_letter}', '{ord(_letter) - 55}')"

FUNCTION = f"""CREATE OR REPLACE FUNCTION revenue_rf(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 'RF' || lpad((98 - ({_DIGITS})::numeric % 97)::text, 2, '0') || upper($1)
    $$"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS revenue_rf(text)")


class Migration(migrations.Migration):
    dependencies = [("revenue", "0013_assessment_shards")]

    operations = [migrations.RunPython(forward, backward)]
