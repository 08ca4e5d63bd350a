"""PostgreSQL: the references of payments and bank-statement lines checked once per statement,
not once per row at commit (as migration 0008 did for ledger lines and demands).

A 100 000-line bank statement writes 100 000 payments and 100 000 statement lines; Django's
``DEFERRABLE INITIALLY DEFERRED`` foreign keys check each of their keys with one trigger call
and one look-up per row at commit. Here those constraints are replaced, on these two tables
only, by the statement-level checks of migration 0008 (its functions ``revenue_refs_exist``
and ``revenue_refs_kept``): after an insert or update, every id the statement wrote exists in
its parent and is locked ``FOR KEY SHARE``; after a delete of a parent row, no payment or
statement line still names it. Same rule (SQLSTATE 23503, an ``IntegrityError``), checked at
the end of each statement; every writer inserts parents first, and every one of these keys is
``PROTECT`` in the models, so the ORM never deletes a parent before its children. The columns
are read from the models, so the list cannot drift from them. SQLite keeps its own keys.
"""

from django.db import migrations

CHILDREN = (("revenue", "Payment"), ("revenue", "StatementLine"))
KEPT = "revenue_recon_refs_kept"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _references(apps) -> dict[str, list[tuple[str, str]]]:
    """{child table: [(column, parent table)]} of every foreign key of the children."""
    out = {}
    for app_label, name in CHILDREN:
        model = apps.get_model(app_label, name)
        out[model._meta.db_table] = [
            (field.column, field.related_model._meta.db_table)
            for field in model._meta.concrete_fields
            if field.is_relation and field.many_to_one
        ]
    return out


def _parents(references) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for child, pairs in references.items():
        for column, parent in pairs:
            out.setdefault(parent, []).append((child, column))
    return out


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    references = _references(apps)
    with schema_editor.connection.cursor() as cursor:
        for child, pairs in references.items():
            for column, _parent in pairs:
                cursor.execute(
                    """SELECT c.conname FROM pg_constraint c
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                    WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND a.attname = %s""",
                    [child, column],
                )
                for (name,) in cursor.fetchall():
                    schema_editor.execute(f'ALTER TABLE {child} DROP CONSTRAINT "{name}"')
    for child, pairs in references.items():
        args = ", ".join(_literal(x) for pair in pairs for x in pair)
        for event in ("INSERT", "UPDATE"):
            schema_editor.execute(
                f"""CREATE TRIGGER {child}_refs_{event.lower()} AFTER {event} ON {child}
                REFERENCING NEW TABLE AS added FOR EACH STATEMENT
                EXECUTE FUNCTION revenue_refs_exist({args})"""
            )
    for parent, pairs in _parents(references).items():
        args = ", ".join(_literal(x) for pair in pairs for x in pair)
        schema_editor.execute(
            f"""CREATE TRIGGER {KEPT} AFTER DELETE ON {parent}
            REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
            EXECUTE FUNCTION revenue_refs_kept({args})"""
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    references = _references(apps)
    for parent in _parents(references):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {KEPT} ON {parent}")
    for child, pairs in references.items():
        for event in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {child}_refs_{event} ON {child}")
        for column, parent in pairs:
            schema_editor.execute(
                f"""ALTER TABLE {child} ADD CONSTRAINT {child[8:]}_{column}_fk
                FOREIGN KEY ({column}) REFERENCES {parent} (id) DEFERRABLE INITIALLY DEFERRED"""
            )


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0009_appeal_rules"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
