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


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_open311_retries_racing_with_one_idempotency_key_file_one_report(shkoder, channel_category):
    from sportel.reports.models import Open311Key, Report

    assert connection.vendor == "postgresql"
    services.add_api_key(shkoder, "Racing app")
    api_key = Open311Key.objects.get(municipality=shkoder, app_name="Racing app")
    place = services.parse_place(shkoder, lat="41.9826", long="19.4233")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    filed: list[int] = []

    def work():
        try:
            barrier.wait()
            result = services.file_report(
                shkoder,
                category=channel_category,
                place=place,
                description="Kanali është bllokuar",
                channel=Report.Channel.OPEN311,
                device_id="device-9",
                api_key=api_key,
                idempotency_key="retry-9",
            )
            filed.append(result.report.pk)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(filed) == 8 and len(set(filed)) == 1
    assert Report.objects.filter(api_key=api_key).count() == 1
