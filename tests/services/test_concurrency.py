"""Concurrent submissions get distinct, gap-free case numbers (each thread its own connection)."""

import threading

import pytest
from django.db import connection, connections

from sportel.services import services
from sportel.services.models import Case, CaseCounter

from .factories import INFO, CitizenFactory


def submit_concurrently(municipality, citizens, *, key=None):
    barrier = threading.Barrier(len(citizens))
    errors: list[BaseException] = []

    def work(citizen, n):
        try:
            barrier.wait()
            services.submit_application(
                municipality,
                service="public-information-request",
                data=INFO,
                actor=citizen,
                idempotency_key=key or f"k{n}",
            )
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(c, n)) for n, c in enumerate(citizens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def assert_gap_free(municipality, n):
    seqs = sorted(Case.objects.filter(municipality=municipality).values_list("seq", flat=True))
    assert seqs == list(range(1, n + 1))
    numbers = set(Case.objects.filter(municipality=municipality).values_list("number", flat=True))
    assert len(numbers) == n
    assert CaseCounter.objects.get(municipality=municipality).last == n


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submissions_get_fifty_gap_free_numbers(shkoder, catalogue):
    assert connection.vendor == "postgresql"
    citizens = [CitizenFactory() for _ in range(50)]
    submit_concurrently(shkoder, citizens)
    assert_gap_free(shkoder, 50)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_gap_free_numbers_on_either_database(shkoder, catalogue):
    citizens = [CitizenFactory() for _ in range(12)]
    submit_concurrently(shkoder, citizens)
    assert_gap_free(shkoder, 12)


@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_racing_itself_opens_one_case(shkoder, catalogue):
    citizen = CitizenFactory()
    submit_concurrently(shkoder, [citizen] * 8, key="double-click")
    assert Case.objects.count() == 1
    assert_gap_free(shkoder, 1)
