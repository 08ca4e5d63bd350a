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


# --- deleting a question while a report answers it (two connections, PostgreSQL) --------------


def _length_question(category):
    from sportel.reports.models import CategoryAttribute

    return CategoryAttribute.objects.get(category=category, code="length_m")


def _in_thread(target, out: dict, name: str) -> threading.Thread:
    def run():
        try:
            out[name] = target()
        except BaseException as exc:  # reported by the test
            out[name] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


ANSWERS = {"channel_type": "primary", "length_m": "80"}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_question_answered_while_it_is_being_deleted_is_retired_with_the_answer_kept(
    shkoder, channel_category, make_staff
):
    from django.db import transaction

    from sportel.accounts.roles import Role
    from sportel.reports import configuration
    from sportel.reports.models import Report

    assert connection.vendor == "postgresql"
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    question = _length_question(channel_category)
    filed, go = threading.Event(), threading.Event()
    out: dict = {}

    def report_first():
        with transaction.atomic():
            report = file_one(shkoder, channel_category, answers=ANSWERS)
            filed.set()
            go.wait(10)  # the administrator presses "Remove" before this report commits
        return report.pk

    resident = _in_thread(report_first, out, "report")
    assert filed.wait(10)
    remover = _in_thread(
        lambda: configuration.set_question_active(question, actor=admin, active=False),
        out,
        "remove",
    )
    go.set()
    resident.join()
    remover.join()
    assert isinstance(out["report"], int), out
    assert out["remove"] == "retired"
    question.refresh_from_db()
    assert question.is_active is False
    assert Report.objects.get(pk=out["report"]).attributes["length_m"] == "80"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_answer_to_a_question_deleted_meanwhile_is_refused_and_nothing_is_filed(
    shkoder, channel_category, make_staff
):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from sportel.accounts.roles import Role
    from sportel.reports import configuration
    from sportel.reports.models import CategoryAttribute, Report

    assert connection.vendor == "postgresql"
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    question = _length_question(channel_category)
    removed, go = threading.Event(), threading.Event()
    out: dict = {}

    def remove_first():
        with transaction.atomic():
            outcome = configuration.set_question_active(question, actor=admin, active=False)
            removed.set()
            go.wait(10)  # a resident's report, checked against the old form, arrives now
        return outcome

    remover = _in_thread(remove_first, out, "remove")
    assert removed.wait(10)
    resident = _in_thread(
        lambda: file_one(shkoder, channel_category, answers=ANSWERS).pk, out, "report"
    )
    go.set()
    remover.join()
    resident.join()
    assert out["remove"] == "deleted"
    assert not CategoryAttribute.objects.filter(pk=question.pk).exists()
    assert isinstance(out["report"], ValidationError), out
    assert "ndryshuan ndërkohë" in " ".join(out["report"].messages)  # "changed meanwhile"
    assert not Report.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_administrators_removing_the_same_question_at_once(
    shkoder, channel_category, make_staff
):
    from sportel.accounts.roles import Role
    from sportel.reports import configuration
    from sportel.reports.models import CategoryAttribute

    admins = [make_staff(shkoder, Role.ADMINISTRATOR) for _ in range(2)]
    question = _length_question(channel_category)
    barrier = threading.Barrier(2)
    out: dict = {}

    def remove(admin):
        barrier.wait()
        return configuration.set_question_active(question, actor=admin, active=False)

    threads = [_in_thread(lambda a=a: remove(a), out, str(n)) for n, a in enumerate(admins)]
    for thread in threads:
        thread.join()
    assert sorted(out.values()) == ["deleted", "unchanged"], out
    assert not CategoryAttribute.objects.filter(pk=question.pk).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_report_whose_statement_waited_for_a_deletion_is_refused(shkoder, channel_category):
    """The narrowest window: the report's statement starts while another transaction is
    deleting a question it answers (no other lock in the way: a plain DELETE on another
    connection), waits for that row, and must then see it gone — not the question as its
    snapshot, taken before the wait, still has it."""
    import time

    import psycopg
    from django.core.exceptions import ValidationError

    from sportel.reports.models import CategoryAttribute, Report

    question = _length_question(channel_category)
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=False,
    )
    table = CategoryAttribute._meta.db_table
    out: dict = {}
    try:
        other.execute(f"DELETE FROM {table} WHERE id = %s", [question.pk])
        resident = _in_thread(
            lambda: file_one(shkoder, channel_category, answers=ANSWERS).pk, out, "report"
        )
        time.sleep(1.0)  # the resident's statement is waiting for the deleted row's lock
        waited = "report" not in out
        other.commit()
    finally:
        other.close()  # an open DELETE would hold the row (and the test's clean-up) forever
    resident.join(10)
    assert waited, out
    assert isinstance(out["report"], ValidationError), out
    assert "ndryshuan ndërkohë" in " ".join(out["report"].messages)  # "changed meanwhile"
    assert not Report.objects.exists()
