"""PostgreSQL: the per-statement reference checks lock no parent row; a deletion of a parent
waits for the children's writers instead (decision 0036). Two real connections, one per
thread, with real commits."""

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, OperationalError, connection, connections, transaction

from sportel.core.models import Person
from sportel.revenue import ledger
from sportel.revenue.models import Account, LedgerLine

from .conftest import make_person

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _writer(municipality, person_id, *, started, inserted, release, errors, key):
    """Post two ledger lines naming the person, then hold the transaction until released."""

    def run():
        try:
            with transaction.atomic():
                started.set()
                ledger.post(
                    municipality,
                    "assessment",
                    [
                        ledger.debit(Account.RECEIVABLE, Decimal("5"), person_id=person_id),
                        ledger.credit(Account.INCOME, Decimal("5"), person_id=person_id),
                    ],
                    key=key,
                    booked_on=date(2026, 5, 4),
                )
                inserted.set()
                assert release.wait(20)
        except BaseException as exc:
            errors.append(exc)
        finally:
            inserted.set()
            connections.close_all()

    return threading.Thread(target=run)


class _Race:
    """A writer thread (see ``_writer``) and the events the test steers it with."""

    def __init__(self, municipality, person_id, key):
        self.started, self.inserted, self.release = (threading.Event() for _ in range(3))
        self.errors: list[BaseException] = []
        self.writer = _writer(
            municipality,
            person_id,
            started=self.started,
            inserted=self.inserted,
            release=self.release,
            errors=self.errors,
            key=key,
        )


def _delete_person(person_id):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_person WHERE id = %s", [person_id])


def test_a_ledger_line_being_written_leaves_the_person_it_names_unlocked(shkoder):
    """The writer's check takes no row lock: another transaction can lock the person's row
    (FOR UPDATE NOWAIT) while the lines are uncommitted (before decision 0036 it could not:
    the check held the row FOR KEY SHARE)."""
    arta = make_person(shkoder)
    race = _Race(shkoder, arta.pk, "unlocked")
    race.writer.start()
    try:
        assert race.inserted.wait(20) and race.errors == []
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT id FROM core_person WHERE id = %s FOR UPDATE NOWAIT", [arta.pk])
            assert cursor.fetchone() == (arta.pk,)
    finally:
        race.release.set()
        race.writer.join(20)
    assert race.errors == []
    assert LedgerLine.objects.filter(person_id=arta.pk).count() == 2


def test_deleting_a_person_waits_for_an_uncommitted_line_naming_it_and_is_refused(shkoder):
    """Insert first, uncommitted: the deletion waits for the writer's commit, then sees the
    lines and is refused (23503); the person and the lines stay."""
    arta = make_person(shkoder)
    race = _Race(shkoder, arta.pk, "insert-first")
    race.writer.start()
    assert race.inserted.wait(20) and race.errors == []
    threading.Timer(1.0, race.release.set).start()
    began = time.monotonic()
    with (
        pytest.raises(IntegrityError, match="foreign key") as refused,
        transaction.atomic(),
    ):
        _delete_person(arta.pk)
    waited = time.monotonic() - began
    race.writer.join(20)
    assert race.errors == []
    assert refused.value.__cause__.sqlstate == "23503"
    assert waited >= 0.9  # it waited for the writer to commit
    assert Person.objects.filter(pk=arta.pk).exists()
    assert LedgerLine.objects.filter(person_id=arta.pk).count() == 2


def test_a_line_naming_a_person_being_deleted_waits_and_is_refused(shkoder):
    """Delete first, uncommitted: the writer's insert waits for the deleting transaction,
    then finds the person gone and is refused (IntegrityError, 23503)."""
    arta = make_person(shkoder)
    race = _Race(shkoder, arta.pk, "delete-first")
    race.release.set()  # nothing to hold: the writer fails or commits on its own
    with transaction.atomic():
        _delete_person(arta.pk)
        race.writer.start()
        assert race.started.wait(20)
        time.sleep(1.0)
        assert not race.inserted.is_set()  # the insert waits for the deletion
    race.writer.join(20)
    assert len(race.errors) == 1 and isinstance(race.errors[0], IntegrityError)
    assert race.errors[0].__cause__.sqlstate == "23503"
    assert not Person.objects.filter(pk=arta.pk).exists()
    assert not LedgerLine.objects.filter(person_id=arta.pk).exists()


def test_outside_read_committed_writers_lock_the_rows_they_name_and_deletions_are_refused(
    shkoder,
):
    """REPEATABLE READ keeps its first snapshot, so the table lock could not show a deletion
    what committed meanwhile: there the writer falls back to locking the person's row, and
    a deletion is refused (40001) rather than let through unchecked."""
    arta = make_person(shkoder)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        ledger.post(
            shkoder,
            "assessment",
            [
                ledger.debit(Account.RECEIVABLE, Decimal("5"), person_id=arta.pk),
                ledger.credit(Account.INCOME, Decimal("5"), person_id=arta.pk),
            ],
            key="repeatable",
            booked_on=date(2026, 5, 4),
        )
        cursor.execute(
            "SELECT count(*) FROM core_person WHERE id = %s AND xmax <> '0'::xid",
            [arta.pk],
        )
        assert cursor.fetchone() == (1,)  # locked FOR KEY SHARE (by this transaction's savepoint)
    bystander = make_person(shkoder, first="Besnik")
    with pytest.raises(OperationalError) as refused, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        _delete_person(bystander.pk)
    assert refused.value.__cause__.sqlstate == "40001"
    assert Person.objects.filter(pk=bystander.pk).exists()
