"""PostgreSQL: the references of ledger lines and demands checked once per statement, not once
per row (decision 0027).

Django declares each foreign key ``DEFERRABLE INITIALLY DEFERRED``; PostgreSQL checks such a
key with one trigger call and one look-up per inserted row at commit (seven per ledger line,
seven per demand), which measured about as much as inserting the rows. Here those constraints
are replaced, on these two bulk-written tables only, by two statement-level triggers per side:

* child side (after INSERT / UPDATE, with the new rows as a transition table): every id the
  statement wrote exists in its parent table, and those parent rows are locked ``FOR KEY
  SHARE`` (as PostgreSQL's own check does), in one query per column;
* parent side (after DELETE, with the deleted rows as a transition table): no ledger line or
  demand still names a deleted row.

The rule is the same (a missing parent raises 23503, an IntegrityError to Django); it is
checked at the end of each statement instead of at commit, which every writer here already
satisfies (parents are written first). Parent ids are never updated (Django never changes a
primary key), so updates of a parent's id are not watched. SQLite keeps its own foreign keys.
The models still declare the keys (the ORM's PROTECT, joins and admin are unchanged); a later
migration that alters one of these fields would re-create Django's constraint, which is
correct, only slower.
"""

from django.db import migrations

REFERENCES = {
    "revenue_ledgerline": [
        ("transaction_id", "revenue_ledgertransaction"),
        ("municipality_id", "core_municipality"),
        ("tax_head_id", "revenue_taxhead"),
        ("demand_id", "revenue_demand"),
        ("person_id", "core_person"),
        ("business_id", "core_business"),
        ("payment_id", "revenue_payment"),
    ],
    "revenue_demand": [
        ("invoice_id", "revenue_invoice"),
        ("municipality_id", "core_municipality"),
        ("tax_head_id", "revenue_taxhead"),
        ("property_id", "revenue_property"),
        ("premises_id", "revenue_premises"),
        ("run_id", "revenue_assessmentrun"),
        ("supersedes_id", "revenue_demand"),
    ],
}

FUNCTIONS = [
    """CREATE FUNCTION revenue_refs_exist() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE i integer := 0; wanted bigint; found bigint;
    BEGIN
      WHILE i < TG_NARGS LOOP
        EXECUTE format(
          'SELECT count(DISTINCT %1$I) FROM added WHERE %1$I IS NOT NULL', TG_ARGV[i]
        ) INTO wanted;
        IF wanted > 0 THEN
          EXECUTE format(
            'SELECT count(*) FROM (SELECT 1 FROM %2$I p WHERE p.id IN '
            '(SELECT %1$I FROM added) FOR KEY SHARE OF p) locked',
            TG_ARGV[i], TG_ARGV[i + 1]
          ) INTO found;
          IF found <> wanted THEN
            RAISE EXCEPTION 'insert or update on table "%" violates foreign key: % not present in %',
              TG_TABLE_NAME, TG_ARGV[i], TG_ARGV[i + 1] USING ERRCODE = '23503';
          END IF;
        END IF;
        i := i + 2;
      END LOOP;
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION revenue_refs_kept() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE i integer := 0; hit boolean;
    BEGIN
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
    END $$""",
]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _parents() -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for child, pairs in REFERENCES.items():
        for column, parent in pairs:
            out.setdefault(parent, []).append((child, column))
    return out


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for child, pairs in REFERENCES.items():
            for column, _parent in pairs:
                cursor.execute(
                    """SELECT c.conname FROM pg_constraint c
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                    WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND a.attname = %s""",
                    [child, column],
                )
                for (name,) in cursor.fetchall():
                    schema_editor.execute(f'ALTER TABLE {child} DROP CONSTRAINT "{name}"')
    for statement in FUNCTIONS:
        schema_editor.execute(statement, params=None)  # "%1$I": no placeholders
    for child, pairs in REFERENCES.items():
        args = ", ".join(_literal(x) for pair in pairs for x in pair)
        for event in ("INSERT", "UPDATE"):
            schema_editor.execute(
                f"""CREATE TRIGGER {child}_refs_{event.lower()} AFTER {event} ON {child}
                REFERENCING NEW TABLE AS added FOR EACH STATEMENT
                EXECUTE FUNCTION revenue_refs_exist({args})"""
            )
    for parent, pairs in _parents().items():
        args = ", ".join(_literal(x) for pair in pairs for x in pair)
        schema_editor.execute(
            f"""CREATE TRIGGER revenue_refs_kept AFTER DELETE ON {parent}
            REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
            EXECUTE FUNCTION revenue_refs_kept({args})"""
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for parent in _parents():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS revenue_refs_kept ON {parent}")
    for child, pairs in REFERENCES.items():
        for event in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {child}_refs_{event} ON {child}")
        for column, parent in pairs:
            schema_editor.execute(
                f"""ALTER TABLE {child} ADD CONSTRAINT {child[8:]}_{column}_fk
                FOREIGN KEY ({column}) REFERENCES {parent} (id) DEFERRABLE INITIALLY DEFERRED"""
            )
    schema_editor.execute("DROP FUNCTION IF EXISTS revenue_refs_exist()")
    schema_editor.execute("DROP FUNCTION IF EXISTS revenue_refs_kept()")


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0007_ledger_checks_per_statement"),
        ("core", "__first__"),
    ]

    operations = [migrations.RunPython(forward, backward)]
