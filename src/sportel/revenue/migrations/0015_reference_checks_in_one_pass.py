"""PostgreSQL: the per-statement reference check (migrations 0008/0010/0012/0014) reads the
statement's new rows once, not two or three times per referenced column (decision 0036).

Measured (docs/benchmarks.md, 2026-12-07): the checks were ~30 % of an assessment batch's
backend time; each referenced column counted its distinct ids in the transition table, then
probed the parent with ``id IN (SELECT … FROM added)`` once to count and once more to lock,
re-reading the 20 000-row table each time (17 columns on the assessment's three tables).

Now one query over the transition table gathers, for every column at once, its distinct ids
into an array (``array_agg(DISTINCT c) FILTER (WHERE c IS NOT NULL)``); each parent is then
probed with ``id = ANY($1)``, counting the rows found and those this transaction wrote itself
(``xmin``, migration 0012); only the others are locked ``FOR KEY SHARE``, as before. The rule
and the error are unchanged (a missing parent is SQLSTATE 23503).
"""

from importlib import import_module

from django.db import migrations

_m0012 = import_module("sportel.revenue.migrations.0012_own_rows_need_no_lock")

# The arguments are (column, parent table) pairs. The first query is, e.g. for two columns:
#   SELECT v.k, v.ids FROM (SELECT array_agg(DISTINCT "a"::bigint) FILTER (WHERE "a" IS NOT
#   NULL) AS c0, … FROM added) s, LATERAL (VALUES (0, s.c0), (2, s.c1)) v(k, ids)
REFS_EXIST = """CREATE OR REPLACE FUNCTION revenue_refs_exist() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE i integer := 0; aggs text := ''; pairs text := ''; hit record;
      wanted bigint; found bigint; own bigint; locked bigint;
      mine xid := pg_current_xact_id()::xid;
    BEGIN
      WHILE i < TG_NARGS LOOP
        aggs := aggs || CASE WHEN i > 0 THEN ', ' ELSE '' END || format(
          'array_agg(DISTINCT %1$I::bigint) FILTER (WHERE %1$I IS NOT NULL) AS c%2$s',
          TG_ARGV[i], i);
        pairs := pairs || CASE WHEN i > 0 THEN ', ' ELSE '' END || format('(%1$s, s.c%1$s)', i);
        i := i + 2;
      END LOOP;
      FOR hit IN EXECUTE format(
        'SELECT v.k, v.ids FROM (SELECT %s FROM added) s, LATERAL (VALUES %s) v(k, ids) '
        'WHERE v.ids IS NOT NULL', aggs, pairs)
      LOOP
        wanted := cardinality(hit.ids);
        -- Rows this transaction wrote itself need no lock: nobody else can see them yet.
        EXECUTE format(
          'SELECT count(*), count(*) FILTER (WHERE p.xmin = $2) FROM %I p WHERE p.id = ANY($1)',
          TG_ARGV[hit.k + 1]
        ) INTO found, own USING hit.ids, mine;
        IF found = wanted AND found > own THEN
          EXECUTE format(
            'SELECT count(*) FROM (SELECT 1 FROM %I p WHERE p.id = ANY($1) AND p.xmin <> $2 '
            'FOR KEY SHARE OF p) locked',
            TG_ARGV[hit.k + 1]
          ) INTO locked USING hit.ids, mine;
          found := own + locked;  -- a row deleted meanwhile is missing now
        END IF;
        IF found <> wanted THEN
          RAISE EXCEPTION 'insert or update on table "%" violates foreign key: % not present in %',
            TG_TABLE_NAME, TG_ARGV[hit.k], TG_ARGV[hit.k + 1] USING ERRCODE = '23503';
        END IF;
      END LOOP;
      RETURN NULL;
    END $$"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFS_EXIST, params=None)  # "%1$I": no placeholders


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_m0012.REFS_EXIST, params=None)


class Migration(migrations.Migration):
    dependencies = [("revenue", "0014_assessment_in_sql")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
