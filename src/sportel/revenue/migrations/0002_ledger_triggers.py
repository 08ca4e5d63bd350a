"""The database's half of the ledger's rules (the code's half is revenue.ledger.post):

* a transaction is inserted open and sealed once its lines are in; sealing an unbalanced
  transaction (lines not summing to zero, or fewer than two) is refused;
* lines cannot be added to a sealed transaction; no line is ever updated; a sealed transaction
  is never changed; on PostgreSQL neither is ever deleted (row by row: TRUNCATE, which test
  teardown uses, fires no row trigger). SQLite allows DELETE, because Django's test teardown
  empties tables with DELETE there and has no way around a trigger;
* PostgreSQL also checks, at commit (a deferred constraint trigger), that every transaction a
  line was added to balances, sealed or not.
Reads count sealed transactions only. See docs/decisions (revenue-ledger).
"""

from django.db import migrations

SEAL_MESSAGE = "revenue ledger: a transaction must balance (debits = credits) to be sealed"
FINAL_MESSAGE = "revenue ledger: posted transactions and lines are never changed or deleted"

SQLITE = [
    f"""CREATE TRIGGER revenue_line_insert_open BEFORE INSERT ON revenue_ledgerline
    WHEN (SELECT sealed FROM revenue_ledgertransaction WHERE id = NEW.transaction_id) = 1
    BEGIN SELECT RAISE(ABORT, '{FINAL_MESSAGE}'); END""",
    f"""CREATE TRIGGER revenue_line_no_update BEFORE UPDATE ON revenue_ledgerline
    BEGIN SELECT RAISE(ABORT, '{FINAL_MESSAGE}'); END""",
    f"""CREATE TRIGGER revenue_txn_insert_open BEFORE INSERT ON revenue_ledgertransaction
    WHEN NEW.sealed = 1
    BEGIN SELECT RAISE(ABORT, '{SEAL_MESSAGE}'); END""",
    f"""CREATE TRIGGER revenue_txn_seal BEFORE UPDATE ON revenue_ledgertransaction
    WHEN OLD.sealed = 0 AND NEW.sealed = 1 AND (
        (SELECT COALESCE(SUM(cents), 0) FROM revenue_ledgerline WHERE transaction_id = NEW.id) <> 0
        OR (SELECT COUNT(*) FROM revenue_ledgerline WHERE transaction_id = NEW.id) < 2)
    BEGIN SELECT RAISE(ABORT, '{SEAL_MESSAGE}'); END""",
    f"""CREATE TRIGGER revenue_txn_final BEFORE UPDATE ON revenue_ledgertransaction
    WHEN OLD.sealed = 1
    BEGIN SELECT RAISE(ABORT, '{FINAL_MESSAGE}'); END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "revenue_line_insert_open",
        "revenue_line_no_update",
        "revenue_line_no_delete",
        "revenue_txn_insert_open",
        "revenue_txn_seal",
        "revenue_txn_final",
        "revenue_txn_no_delete",
    )
]

POSTGRES = [
    f"""CREATE FUNCTION revenue_line_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION '{FINAL_MESSAGE}' USING ERRCODE = '23514';
      END IF;
      IF (SELECT sealed FROM revenue_ledgertransaction WHERE id = NEW.transaction_id) THEN
        RAISE EXCEPTION '{FINAL_MESSAGE}' USING ERRCODE = '23514';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER revenue_line_guard BEFORE INSERT OR UPDATE OR DELETE
    ON revenue_ledgerline FOR EACH ROW EXECUTE FUNCTION revenue_line_guard()""",
    f"""CREATE FUNCTION revenue_txn_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE total bigint; n integer;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.sealed THEN RAISE EXCEPTION '{SEAL_MESSAGE}' USING ERRCODE = '23514'; END IF;
        RETURN NEW;
      END IF;
      IF OLD.sealed THEN
        RAISE EXCEPTION '{FINAL_MESSAGE}' USING ERRCODE = '23514';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      IF NEW.sealed THEN
        SELECT COALESCE(SUM(cents), 0), COUNT(*) INTO total, n
          FROM revenue_ledgerline WHERE transaction_id = NEW.id;
        IF total <> 0 OR n < 2 THEN
          RAISE EXCEPTION '{SEAL_MESSAGE}' USING ERRCODE = '23514';
        END IF;
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER revenue_txn_guard BEFORE INSERT OR UPDATE OR DELETE
    ON revenue_ledgertransaction FOR EACH ROW EXECUTE FUNCTION revenue_txn_guard()""",
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
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS revenue_line_balanced ON revenue_ledgerline",
    "DROP TRIGGER IF EXISTS revenue_line_guard ON revenue_ledgerline",
    "DROP TRIGGER IF EXISTS revenue_txn_guard ON revenue_ledgertransaction",
    "DROP FUNCTION IF EXISTS revenue_txn_balanced()",
    "DROP FUNCTION IF EXISTS revenue_line_guard()",
    "DROP FUNCTION IF EXISTS revenue_txn_guard()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("revenue", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
        )
    ]
