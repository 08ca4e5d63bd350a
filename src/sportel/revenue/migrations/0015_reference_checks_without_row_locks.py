"""PostgreSQL: the per-statement reference checks (migrations 0008/0010/0012/0014) read the
statement's new rows once and lock no parent row; a deletion of a parent waits for the
children's writers instead (decision 0036).

Measured (docs/benchmarks.md, 2026-12-07): the checks were ~30 % of an assessment batch's
backend time. Each referenced column counted its distinct ids in the transition table, then
probed the parent with ``id IN (SELECT … FROM added)`` once to count and once more to lock the
rows found ``FOR KEY SHARE`` (as PostgreSQL's own check does, so that no one deletes them
before we commit) — re-reading the table two or three times per column, and writing every
locked row (its tuple header and a WAL record), a cost that grows with the parent tables.

Child side (``revenue_refs_exist``, after INSERT / UPDATE): one query over the transition table
gathers every column's distinct ids into an array (``array_agg(DISTINCT c) FILTER (WHERE c IS
NOT NULL)``); each parent is then probed once with ``id = ANY($1)`` and the rows found counted.
No row is locked.

Parent side (``revenue_refs_kept``, after DELETE, the function of every ``*_refs_kept``
trigger): it first takes ``LOCK TABLE <child> IN SHARE MODE`` on each child table it checks.
SHARE conflicts with the ROW EXCLUSIVE lock every INSERT / UPDATE of the child holds to its
commit, so the deletion waits for the writers in flight and, its next query taking a fresh
snapshot (READ COMMITTED), sees the rows they committed; a writer coming after waits for the
deleting transaction, and its own check then finds the parent gone (SQLSTATE 23503). Nothing in
``src`` deletes these parents in normal work; the rare deletion pays instead of every insert.

Both rely on READ COMMITTED (a fresh snapshot per query, what every Sportel connection uses).
In REPEATABLE READ or SERIALIZABLE a transaction keeps its first snapshot, so the child side
falls back to locking the rows it names (migration 0012's way: a concurrent deletion is then a
serialization failure), and the parent side refuses to delete (SQLSTATE 40001): a deletion it
could not check is never let through.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

_m0008 = import_module("sportel.revenue.migrations.0008_references_checked_per_statement")
_m0012 = import_module("sportel.revenue.migrations.0012_own_rows_need_no_lock")

# The arguments are (column, parent table) pairs. The first query is, for two columns:
#   SELECT v.k, v.ids FROM (SELECT array_agg(DISTINCT "a"::bigint) FILTER (WHERE "a" IS NOT
#   NULL) AS c0, … FROM added) s, LATERAL (VALUES (0, s.c0), (2, s.c2)) v(k, ids)
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
          EXECUTE format('SELECT count(*) FROM %I p WHERE p.id = ANY($1)', TG_ARGV[hit.k + 1])
            INTO found USING hit.ids;
        ELSE
          -- An older snapshot: lock what others wrote, as migration 0012 did.
          mine := pg_current_xact_id()::xid;
          EXECUTE format(
            'SELECT count(*), count(*) FILTER (WHERE p.xmin = $2) FROM %I p '
            'WHERE p.id = ANY($1)', TG_ARGV[hit.k + 1]
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

# The arguments are (child table, column) pairs.
REFS_KEPT = """CREATE OR REPLACE FUNCTION revenue_refs_kept() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE i integer := 0; hit boolean;
    BEGIN
      IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'delete on table "%" is checked in READ COMMITTED only', TG_TABLE_NAME
          USING ERRCODE = '40001';
      END IF;
      -- The children's writers lock no parent row: wait for those in flight, keep others out.
      WHILE i < TG_NARGS LOOP
        EXECUTE format('LOCK TABLE %I IN SHARE MODE', TG_ARGV[i]);
        i := i + 2;
      END LOOP;
      i := 0;
      WHILE i < TG_NARGS LOOP
        EXECUTE format(
          'SELECT EXISTS (SELECT 1 FROM gone JOIN %1$I c ON c.%2$I = gone.id)',
          TG_ARGV[i], TG_ARGV[i + 1]
        ) INTO hit;
        IF hit THEN
          RAISE EXCEPTION 'delete on table "%" violates foreign key: still named by %.%',
            TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1] USING ERRCODE = '23503';
        END IF;
        i := i + 2;
      END LOOP;
      RETURN NULL;
    END $$"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFS_EXIST, params=None)  # "%1$I": no placeholders
        schema_editor.execute(REFS_KEPT, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_m0012.REFS_EXIST, params=None)
        schema_editor.execute(
            _m0008.FUNCTIONS[1].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_configgeneration"),
        ("revenue", "0014_assessment_in_sql"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
        # Two indexes no query needs (decision 0036): an invoice's municipality (the unique
        # (municipality, reference) starts with it) and the first demands' null "supersedes"
        # (the one-revision rule needs only the revisions).
        migrations.AlterField(
            model_name="demand",
            name="supersedes",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="superseded_by",
                to="revenue.demand",
            ),
        ),
        migrations.AddConstraint(
            model_name="demand",
            constraint=models.UniqueConstraint(
                condition=models.Q(("supersedes__isnull", False)),
                fields=("supersedes",),
                name="revenue_demand_supersedes_once",
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="municipality",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.municipality",
                verbose_name="municipality",
            ),
        ),
    ]
