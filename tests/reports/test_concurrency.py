"""Residents adding their voice at the same moment are each counted (each thread its own
connection); the same person racing themselves counts once."""

import threading

import pytest
from django.db import connection, connections

from sportel.reports import services
from sportel.reports.models import Cluster, ClusterVoice

from .conftest import file_one


def voices_concurrently(cluster, emails):
    barrier = threading.Barrier(len(emails))
    errors: list[BaseException] = []
    results: list[bool] = []

    def work(email):
        try:
            barrier.wait()
            results.append(services.add_voice(Cluster.objects.get(pk=cluster.pk), email=email))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(e,)) for e in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_residents_adding_their_voice_at_once_count_fifty(shkoder, channel_category):
    assert connection.vendor == "postgresql"
    cluster = file_one(shkoder, channel_category, email="first@x.al").cluster
    results = voices_concurrently(cluster, [f"banor{n}@dajc.al" for n in range(50)])
    assert results.count(True) == 50
    cluster.refresh_from_db()
    assert cluster.voices == 51 == ClusterVoice.objects.filter(cluster=cluster).count()


@pytest.mark.django_db(transaction=True)
def test_one_person_racing_themselves_counts_once(shkoder, channel_category):
    cluster = file_one(shkoder, channel_category, email="first@x.al").cluster
    results = voices_concurrently(cluster, ["same@dajc.al"] * 6)
    assert results.count(True) == 1
    cluster.refresh_from_db()
    assert cluster.voices == 2 == ClusterVoice.objects.filter(cluster=cluster).count()
