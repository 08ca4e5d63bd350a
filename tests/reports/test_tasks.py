"""Area subscribers are told by the worker, after the report's transaction commits, once each —
also when the worker is killed half-way through and the task runs again."""

import os
import signal

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus

from sportel.core.models import Notification
from sportel.reports import services
from sportel.reports.models import AreaNotice, AreaSubscription

from .conftest import AREA_TASK, run_area_notices

TEMPLATE = "reports_new_in_area"


def _subscribers(municipality, n, *, unit=None):
    now = timezone.now()
    AreaSubscription.objects.bulk_create(
        AreaSubscription(
            municipality=municipality,
            email=f"fqinj{i}@x.al",
            unit=unit,
            secret=f"secret-{i}-{municipality.slug}",
            confirmed_at=now,
        )
        for i in range(n)
    )


def _file(municipality, category, description="Bllokuar"):
    return services.file_report(
        municipality,
        category=category,
        place=services.parse_place(municipality, unit="dajc"),
        description=description,
        answers={"channel_type": "primary"},
        email="a@x.al",
        confirmed=True,
    ).report


def test_the_request_only_queues_the_notices_and_the_task_tells_each_subscriber_once(
    shkoder, channel_category, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    _subscribers(shkoder, 3)
    with django_capture_on_commit_callbacks(execute=True):
        report = _file(shkoder, channel_category)
    # Nothing was written for the subscribers inside the report's transaction.
    assert not Notification.objects.filter(template=TEMPLATE).exists()
    (queued,) = DBTaskResult.objects.filter(task_path=AREA_TASK)
    assert queued.args_kwargs["args"] == [report.pk]
    assert run_area_notices() == 1
    assert sorted(
        Notification.objects.filter(template=TEMPLATE).values_list("recipient", flat=True)
    ) == [
        "fqinj0@x.al",
        "fqinj1@x.al",
        "fqinj2@x.al",
    ]
    # Run again (a retry): nobody is told twice.
    from sportel.reports.tasks import notify_area_subscribers

    assert notify_area_subscribers.call(report.pk) == 0
    assert Notification.objects.filter(template=TEMPLATE).count() == 3
    assert AreaNotice.objects.filter(report=report).count() == 3


def test_a_report_rolled_back_queues_nothing(
    shkoder, channel_category, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    _subscribers(shkoder, 2)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _file(shkoder, channel_category)
        raise RuntimeError("the request failed after filing")
    assert not DBTaskResult.objects.filter(task_path=AREA_TASK).exists()
    assert not Notification.objects.filter(template=TEMPLATE).exists()


def test_an_unconfirmed_report_tells_nobody_until_confirmed(
    shkoder, channel_category, django_capture_on_commit_callbacks
):
    _subscribers(shkoder, 2)
    with django_capture_on_commit_callbacks(execute=True):
        filed = services.file_report(
            shkoder,
            category=channel_category,
            place=services.parse_place(shkoder, unit="dajc"),
            description="x",
            answers={"channel_type": "primary"},
            email="anon@x.al",
        )
    run_area_notices()
    assert not Notification.objects.filter(template=TEMPLATE).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_report(filed.report, filed.confirmation_code)
    run_area_notices()
    assert Notification.objects.filter(template=TEMPLATE).count() == 2


def test_at_most_500_subscribers_are_told(
    shkoder, channel_category, django_capture_on_commit_callbacks
):
    _subscribers(shkoder, 503)
    with django_capture_on_commit_callbacks(execute=True):
        _file(shkoder, channel_category)
    run_area_notices()
    assert Notification.objects.filter(template=TEMPLATE).count() == 500


def test_a_worker_killed_while_telling_subscribers_is_retried_and_tells_each_once(
    transactional_db, shkoder, channel_category, tmp_path
):
    """The real ``sportel worker`` in a subprocess, killed with SIGKILL half-way through the
    notices; a second worker finishes the task; every subscriber has exactly one notice."""
    from django_tasks_db.models import DBTaskResult

    from sportel.reports.tasks import notify_area_subscribers
    from tests.core.test_tasks import Workers, wait_until

    n = 400
    _subscribers(shkoder, n)
    report = _file(shkoder, channel_category)  # committed: transactional_db
    DBTaskResult.objects.filter(task_path=AREA_TASK).delete()  # enqueue it ourselves, below
    result = notify_area_subscribers.enqueue(report.pk)
    workers = Workers(tmp_path, tmp_path / "gate", tmp_path / "trace")
    try:
        first = workers.start()
        wait_until(
            lambda: AreaNotice.objects.filter(report=report).count() >= 5,
            "the first notices",
            workers,
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        told_before = AreaNotice.objects.filter(report=report).count()
        assert 5 <= told_before < n, "the worker must die half-way for this test to mean much"
        assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING
        workers.start()
        wait_until(
            lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL,
            "the retried task to finish",
            workers,
            seconds=180,
        )
    finally:
        workers.stop_all()
    row = DBTaskResult.objects.get(pk=result.id)
    assert len(row.worker_ids) == 2
    assert row.return_value == n - told_before  # the retry told only the others
    per_recipient = {}
    for recipient in Notification.objects.filter(template=TEMPLATE).values_list(
        "recipient", flat=True
    ):
        per_recipient[recipient] = per_recipient.get(recipient, 0) + 1
    assert len(per_recipient) == n and set(per_recipient.values()) == {1}
    assert AreaNotice.objects.filter(report=report).count() == n
