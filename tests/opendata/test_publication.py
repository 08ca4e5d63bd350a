"""The worker publishes every module's feed per municipality; nothing published reveals a count
below the threshold or anything about a person."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from sportel.core import feeds
from sportel.opendata import datastore, services, tasks
from sportel.opendata.models import Dataset, ResourceVersion
from tests.core.test_feeds import derivable_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_cases(shkoder, make_staff):
    from sportel.services.catalogue import seed_catalogue
    from tests.services.factories import CitizenFactory, case_in_state

    seed_catalogue(shkoder)
    specialist = make_staff(shkoder, "specialist")
    citizens = [CitizenFactory() for _ in range(3)]
    cases = [
        case_in_state("approved", municipality=shkoder, citizen=c, specialist=specialist)
        for c in citizens[:2]
    ] + [
        case_in_state("submitted", municipality=shkoder, citizen=citizens[2], specialist=specialist)
    ]
    return cases, citizens


def _published_rows(municipality, feed):
    dataset = Dataset.objects.get(municipality=municipality, feed=feed.name)
    resource = dataset.resources.get()
    with resource.current.file.open("rb") as handle:
        from_file = list(csv.DictReader(io.StringIO(handle.read().decode("utf-8"))))
    stored = datastore.search(
        resource.pk, resource.current.schema, {"limit": datastore.MAX_LIMIT}
    ).records
    return from_file, stored


def test_no_statistic_reveals_a_small_count_or_a_person(
    shkoder, three_cases, test_feed, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    cases, citizens = three_cases
    result = tasks.publish_feeds.call(shkoder.pk)
    names = {f.name for f in feeds.feeds()}
    assert {
        "applications-per-service-month",
        "deadline-punctuality-per-service-month",
        "documents-issued-per-type-month",
        test_feed.name,
    } <= names
    assert services.feed_dataset_name(shkoder, "applications-per-service-month") in result

    personal = set()
    for citizen in citizens:
        person = citizen.person if hasattr(citizen, "person") else None
        personal |= {
            citizen.email,
            citizen.get_full_name() if hasattr(citizen, "get_full_name") else "",
        }
        if person is not None:
            personal |= {person.nid, person.first_name, person.last_name}
    for case in cases:
        personal |= {case.number, case.tracking_code}
    personal.discard("")
    personal.discard(None)

    limit = feeds.threshold()
    checked = 0
    for feed in feeds.feeds():
        from_file, stored = _published_rows(shkoder, feed)
        counts = [f.name for f in feed.fields if f.count]
        statistics = [f for f in feed.fields if f.population]
        for row in stored:
            for name in counts:
                assert row[name] is None or row[name] == 0 or row[name] >= limit, (feed, row)
                checked += 1
            for f in statistics:
                if row[f.population] is None:
                    assert row[f.name] is None, (feed, row)
            for candidates in derivable_counts(feed, row):  # by subtraction or from a share
                assert not any(0 < count < limit for count in candidates), (feed, row)
        for row in from_file:
            for name in counts:
                assert row[name] == "" or int(row[name]) == 0 or int(row[name]) >= limit
            text = " ".join(row.values())
            for value in personal:
                assert str(value) not in text, (feed.name, value)
    assert checked > 0
    applications = Dataset.objects.get(municipality=shkoder, feed="applications-per-service-month")
    from_file, stored = _published_rows(shkoder, feeds.get_feed(applications.feed))
    # Three applications, two decided: both counts and the median are withheld.
    assert [(r["applications"], r["decided"], r["median_days"]) for r in stored] == [
        (None, None, None)
    ]


def test_publication_is_idempotent_and_versioned(shkoder, published, test_feed):
    _dataset, resource = published
    assert services.publish_feed(shkoder, test_feed) is None  # nothing changed: nothing new
    assert resource.versions.count() == 1
    from tests.opendata import conftest

    changed = [dict(r) for r in conftest.ROWS] + [
        {"month": "2026-04", "category": "ndricim", "reports": 8, "median_days": 2.0}
    ]
    object.__setattr__(test_feed, "rows", lambda municipality: changed)  # a frozen dataclass
    try:
        version = services.publish_feed(shkoder, test_feed)
    finally:
        object.__setattr__(test_feed, "rows", lambda municipality: [dict(r) for r in conftest.ROWS])
    assert version.number == 2
    assert ResourceVersion.objects.filter(resource=resource).count() == 2
    resource.refresh_from_db()
    assert resource.current == version
    assert datastore.search(resource.pk, version.schema, {}).total == 7


def test_the_worker_reschedules_itself(shkoder, lezhe, test_feed, settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    settings.MEDIA_ROOT = tmp_path / "media"
    assert tasks.schedule_all() == 2
    queued = DBTaskResult.objects.filter(task_path="sportel.opendata.tasks.publish_feeds")
    assert queued.count() == 2
    queued.delete()  # as if the worker had taken them
    tasks.publish_feeds.call(shkoder.pk, reschedule=True)
    tasks.publish_feeds.call(shkoder.pk, reschedule=True)  # a second run queues no second chain
    [next_run] = queued.values_list("run_after", flat=True)
    assert timedelta(hours=23) < next_run - timezone.now() <= timedelta(hours=24)
    assert Dataset.objects.filter(
        municipality=shkoder, feed=test_feed.name, state="active"
    ).exists()


def test_the_command_publishes_now_or_queues(shkoder, test_feed, settings, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django_tasks_db.models import DBTaskResult

    settings.MEDIA_ROOT = tmp_path / "media"
    out = StringIO()
    call_command("opendata", "publish", "shkoder", "--now", stdout=out)
    assert out.getvalue().splitlines()[-1].endswith("dataset(s) changed")
    assert f"shkoder-{test_feed.name}" in out.getvalue()
    call_command("opendata", "publish", "shkoder", stdout=StringIO())
    assert DBTaskResult.objects.filter(task_path=tasks.TASK_PATH).count() == 1
    with pytest.raises(CommandError):
        call_command("opendata", "publish", "atlantis", "--now", stdout=StringIO())


def test_deadline_punctuality_names_the_department_of_each_service(shkoder, three_cases):
    """The issue asks for punctuality per service and department: each row carries the department
    the administrator set on the service (empty where none is set), so a reader can group by it."""
    from sportel.services.feeds import punctuality_per_month
    from sportel.services.models import Case

    cases, _citizens = three_cases
    decided = [c for c in cases if c.decided_at is not None]
    assert decided, "the fixture decides two cases"
    service = decided[0].service_type
    service.department = "Drejtoria e Gjendjes Civile"
    service.save(update_fields=["department"])

    rows = punctuality_per_month(shkoder)
    by_service = {row["service"]: row for row in rows}
    assert by_service[service.code]["department"] == "Drejtoria e Gjendjes Civile"
    assert (
        sum(row["decided"] for row in rows)
        == Case.objects.filter(municipality=shkoder, decided_at__isnull=False)
        .exclude(legal_end=None)
        .count()
    )
    names = {f.name for f in feeds.get_feed("deadline-punctuality-per-service-month").fields}
    assert "department" in names
