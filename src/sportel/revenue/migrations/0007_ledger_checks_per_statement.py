"""The ledger's database rules, checked per statement where PostgreSQL allows (decision 0027).

PostgreSQL: the per-row check that a new line's transaction is still open becomes one check per
statement over the inserted lines (a transition table), and the deferred per-line balance check
(one SUM per inserted line at commit) becomes one deferred check per transaction: at commit,
every transaction inserted must be sealed, and sealing still checks that it balances (migration
0002). So a transaction cannot be committed open (balanced or not), and no line can ever be
added to a committed one. Updating or deleting a line is refused row by row as before.

SQLite: the triggers of migration 0002, re-created (0006 rebuilt the ledger line table on
SQLite, which drops a table's triggers).
"""

from django.db import migrations

from importlib import import_module

_m0002 = import_module("sportel.revenue.migrations.0002_ledger_triggers")
SEAL_MESSAGE, FINAL_MESSAGE = _m0002.SEAL_MESSAGE, _m0002.FINAL_MESSAGE
SQLITE, SQLITE_DROP = _m0002.SQLITE, _m0002.SQLITE_DROP

OPEN_MESSAGE = "revenue ledger: a transaction must be sealed (balanced) before it is committed"

POSTGRES = [
    "DROP TRIGGER IF EXISTS revenue_line_balanced ON revenue_ledgerline",
    "DROP TRIGGER IF EXISTS revenue_line_guard ON revenue_ledgerline",
    "DROP FUNCTION IF EXISTS revenue_txn_balanced()",
    """CREATE TRIGGER revenue_line_guard BEFORE UPDATE OR DELETE
    ON revenue_ledgerline FOR EACH ROW EXECUTE FUNCTION revenue_line_guard()""",
    f"""CREATE FUNCTION revenue_lines_open() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (
        SELECT 1 FROM added JOIN revenue_ledgertransaction t ON t.id = added.transaction_id
        WHERE t.sealed
      ) THEN
        RAISE EXCEPTION '{FINAL_MESSAGE}' USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER revenue_lines_open AFTER INSERT ON revenue_ledgerline
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION revenue_lines_open()""",
    f"""CREATE FUNCTION revenue_txn_sealed_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT COALESCE(
        (SELECT sealed FROM revenue_ledgertransaction WHERE id = NEW.id), TRUE
      ) THEN
        RAISE EXCEPTION '{OPEN_MESSAGE}' USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER revenue_txn_sealed_at_commit
    AFTER INSERT ON revenue_ledgertransaction DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION revenue_txn_sealed_at_commit()""",
]

POSTGRES_BACK = [
    "DROP TRIGGER IF EXISTS revenue_txn_sealed_at_commit ON revenue_ledgertransaction",
    "DROP FUNCTION IF EXISTS revenue_txn_sealed_at_commit()",
    "DROP TRIGGER IF EXISTS revenue_lines_open ON revenue_ledgerline",
    "DROP FUNCTION IF EXISTS revenue_lines_open()",
    "DROP TRIGGER IF EXISTS revenue_line_guard ON revenue_ledgerline",
    """CREATE TRIGGER revenue_line_guard BEFORE INSERT OR UPDATE OR DELETE
    ON revenue_ledgerline FOR EACH ROW EXECUTE FUNCTION revenue_line_guard()""",
    f"""CREATE FUNCTION revenue_txn_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE total bigint;
    BEGIN
      SELECT COALESCE(SUM(cents), 0) INTO total
        FROM revenue_ledgerline WHERE transaction_id = NEW.transaction_id;
      IF total <> 0 THEN
        RAISE EXCEPTION '{SEAL_MESSAGE}' USING ERRCODE = '23514';
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER revenue_line_balanced AFTER INSERT ON revenue_ledgerline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revenue_txn_balanced()""",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("revenue", "0006_lean_indexes")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_DROP + SQLITE, "postgresql": POSTGRES}),
            # Backwards on SQLite, 0006 restores them after its own rebuild.
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_BACK}),
        )
    ]
