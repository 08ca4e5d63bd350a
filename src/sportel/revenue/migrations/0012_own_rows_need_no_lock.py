"""PostgreSQL: the per-statement reference check (migration 0008) no longer locks parent rows
that this very transaction inserted (decision 0029).

0008 checks, after each statement writing ledger lines or demands, that every id named exists in
its parent table, and locks those parent rows ``FOR KEY SHARE`` so that no other transaction
can delete one before we commit (what PostgreSQL's own foreign-key check does). Locking a row
writes to it: its tuple header, and one WAL record per row. An assessment batch inserts its
demands and then ledger lines naming them, so every one of those locks was taken on a row the
transaction had itself just written — a row no other transaction can see, let alone delete,
until we commit. Measured (docs/benchmarks.md, 2026-12-07): that lock was the largest of the
checks.

The check is now one query counting the parent rows found and, among them, those whose
``xmin`` is this transaction's id; only the others (rows committed before, e.g. a payment's
demands, the people named) are locked, in a second query, as before. The rule and the error are
unchanged (a missing parent is SQLSTATE 23503). A parent inserted in a savepoint has its
sub-transaction's id as ``xmin``: it is locked as before (correct, only not faster).
"""

from importlib import import_module

from django.db import migrations

_m0008 = import_module("sportel.revenue.migrations.0008_references_checked_per_statement")

REFS_EXIST = """CREATE OR REPLACE FUNCTION revenue_refs_exist() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE i integer := 0; wanted bigint; found bigint; own bigint; locked bigint;
      mine xid := pg_current_xact_id()::xid;
    BEGIN
      WHILE i < TG_NARGS LOOP
        EXECUTE format(
          'SELECT count(DISTINCT %1$I) FROM added WHERE %1$I IS NOT NULL', TG_ARGV[i]
        ) INTO wanted;
        IF wanted > 0 THEN
          -- Rows this transaction wrote itself need no lock: nobody else can see them yet.
          EXECUTE format(
            'SELECT count(*), count(*) FILTER (WHERE p.xmin = $1) FROM %2$I p '
            'WHERE p.id IN (SELECT %1$I FROM added)',
            TG_ARGV[i], TG_ARGV[i + 1]
          ) INTO found, own USING mine;
          IF found = wanted AND found > own THEN
            EXECUTE format(
              'SELECT count(*) FROM (SELECT 1 FROM %2$I p WHERE p.id IN '
              '(SELECT %1$I FROM added) AND p.xmin <> $1 FOR KEY SHARE OF p) locked',
              TG_ARGV[i], TG_ARGV[i + 1]
            ) INTO locked USING mine;
            found := own + locked;  -- a row deleted meanwhile is missing now
          END IF;
          IF found <> wanted THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key: % not present in %',
              TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1] USING ERRCODE = '23503';
          END IF;
        END IF;
        i := i + 2;
      END LOOP;
      RETURN NULL;
    END $$"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFS_EXIST, params=None)  # "%1$I": no placeholders


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            _m0008.FUNCTIONS[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1),
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("revenue", "0011_penalties_representative_review")]

    operations = [migrations.RunPython(forward, backward)]
