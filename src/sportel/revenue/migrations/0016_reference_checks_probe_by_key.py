"""PostgreSQL: the per-statement reference checks probe each parent by key, one id at a time,
instead of ``id = ANY($1)`` (decision 0038).

``SELECT count(*) FROM parent p WHERE p.id = ANY($1)`` is planned against the parent's
statistics. During an assessment run the parents are the tables the run is filling (a ledger
line names a demand written a moment ago, a demand an invoice), whose statistics were taken
before the run: with 20 000 ids in the array the planner took a parallel sequential scan of
every demand (measured at 800 000 units: 91 ms a batch and growing with the table, two
parallel workers started per check). ``unnest($1)`` with a ``LATERAL`` probe the planner cannot
flatten (``OFFSET 0``) costs one index look-up per id whatever the statistics say. The rule,
its error and the REPEATABLE READ fallback are unchanged (migration 0015).
"""

from importlib import import_module

from django.db import migrations

_m0015 = import_module("sportel.revenue.migrations.0015_reference_checks_without_row_locks")

REFS_EXIST = """CREATE OR REPLACE FUNCTION revenue_refs_exist() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE i integer := 0; aggs text := ''; pairs text := ''; hit record;
      wanted bigint; found bigint; own bigint; locked bigint; mine xid;
      fresh boolean := current_setting('transaction_isolation') = 'read committed';
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
        IF fresh THEN
          -- No lock: a deletion of a parent waits for this transaction (revenue_refs_kept).
          -- One probe of the parent's key per id (see the module's docstring).
          EXECUTE format(
            'SELECT count(*) FROM unnest($1) w(id) '
            'CROSS JOIN LATERAL (SELECT 1 FROM %I p WHERE p.id = w.id OFFSET 0) p',
            TG_ARGV[hit.k + 1]
          ) INTO found USING hit.ids;
        ELSE
          -- An older snapshot: lock what others wrote, as migration 0012 did.
          mine := pg_current_xact_id()::xid;
          EXECUTE format(
            'SELECT count(*), count(*) FILTER (WHERE p.xmin = $2) FROM unnest($1) w(id) '
            'CROSS JOIN LATERAL (SELECT p.xmin FROM %I p WHERE p.id = w.id OFFSET 0) p',
            TG_ARGV[hit.k + 1]
          ) INTO found, own USING hit.ids, mine;
          IF found = wanted AND found > own THEN
            EXECUTE format(
              'SELECT count(*) FROM (SELECT 1 FROM %I p WHERE p.id = ANY($1) '
              'AND p.xmin <> $2 FOR KEY SHARE OF p) locked', TG_ARGV[hit.k + 1]
            ) INTO locked USING hit.ids, mine;
            found := own + locked;
          END IF;
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
        schema_editor.execute(REFS_EXIST, params=None)  # "%I": no placeholders


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_m0015.REFS_EXIST, params=None)


class Migration(migrations.Migration):
    dependencies = [("revenue", "0015_reference_checks_without_row_locks")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
