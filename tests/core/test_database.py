"""The database under concurrent writers: they queue, they do not fail."""

import threading
import time

import pytest
from django.db import connection


@pytest.mark.django_db(transaction=True)
def test_a_writer_queues_behind_another_writer_instead_of_failing(shkoder):
    """SQLite: IMMEDIATE transactions and a busy timeout make the second writer wait its turn,
    even when it reads before it writes (a deferred transaction would fail "database is
    locked" the moment it tried to upgrade). PostgreSQL does this by itself."""
    from django.db import transaction

    from sportel.core.models import Municipality

    holding, errors, done = threading.Event(), [], []

    def first_writer():
        try:
            with transaction.atomic():
                Municipality.objects.filter(pk=shkoder.pk).update(name="Shkodër (1)")
                holding.set()
                time.sleep(1.0)  # holds the write lock a while, as a slow writer would
        finally:
            connection.close()

    def second_writer():
        holding.wait(10)
        try:
            with transaction.atomic():
                # Read first, then write (the lock is a no-op on SQLite, a row lock on PostgreSQL).
                name = Municipality.objects.select_for_update().get(pk=shkoder.pk).name
                Municipality.objects.filter(pk=shkoder.pk).update(name=name + " (2)")
            done.append(name)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_writer), threading.Thread(target=second_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert done == ["Shkodër (1)"]  # it waited for the first writer and saw its change
    shkoder.refresh_from_db()
    assert shkoder.name == "Shkodër (1) (2)"
