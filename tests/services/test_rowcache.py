"""Per-process copies of the municipality and service rows (core.rowcache): a warm lookup
sends one short statement, and any edit (the ORM's ``update()`` without signals, a rolled-back
one, another process's raw SQL) applies to the very next lookup."""

import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from sportel.core.models import Municipality
from sportel.core.selectors import municipality_by_slug
from sportel.services.applications import version_for
from sportel.services.models import AssignmentRule, ServiceType, ServiceTypeVersion

SERVICE = "residence-certificate"


def test_a_warm_lookup_sends_only_the_generation_read(catalogue, django_assert_num_queries):
    version_for(catalogue, SERVICE)
    municipality_by_slug("shkoder")
    with django_assert_num_queries(1):
        version = version_for(catalogue, SERVICE)
    with django_assert_num_queries(1):
        municipality = municipality_by_slug("shkoder")
    assert version.service_type.code == SERVICE and version.service_type.current_version == version
    assert municipality.pk == catalogue.pk and municipality.name == catalogue.name


def test_an_edit_without_signals_applies_to_the_next_lookup(catalogue):
    before = version_for(catalogue, SERVICE)
    ServiceTypeVersion.objects.filter(pk=before.pk).update(name_en="Proof of address")
    assert version_for(catalogue, SERVICE).name_en == "Proof of address"

    ServiceType.objects.filter(pk=before.service_type.pk).update(is_active=False)
    with pytest.raises(ValidationError):
        version_for(catalogue, SERVICE)

    municipality_by_slug("shkoder")
    Municipality.objects.filter(pk=catalogue.pk).update(name="Shkodra e re")
    assert municipality_by_slug("shkoder").name == "Shkodra e re"
    Municipality.objects.filter(pk=catalogue.pk).update(is_active=False)
    assert municipality_by_slug("shkoder") is None


def test_an_assignment_rule_added_or_removed_is_seen_at_once(catalogue, make_staff):
    service = ServiceType.objects.get(municipality=catalogue, code=SERVICE)
    AssignmentRule.objects.filter(service_type=service).delete()
    assert version_for(catalogue, SERVICE).service_type.has_assignment_rules is False
    rule = AssignmentRule.objects.create(
        municipality=catalogue, service_type=service, assignee=make_staff(catalogue, "clerk")
    )
    assert version_for(catalogue, SERVICE).service_type.has_assignment_rules is True
    rule.assignee.delete()  # the rule goes with its assignee (a cascade)
    assert version_for(catalogue, SERVICE).service_type.has_assignment_rules is False


def test_a_rolled_back_edit_leaves_no_copy_behind(catalogue):
    original = version_for(catalogue, SERVICE).name_en
    with pytest.raises(RuntimeError), transaction.atomic():
        ServiceTypeVersion.objects.filter(name_en=original).update(name_en="Never committed")
        assert version_for(catalogue, SERVICE).name_en == "Never committed"
        raise RuntimeError
    assert version_for(catalogue, SERVICE).name_en == original


def test_each_caller_gets_its_own_instance(catalogue):
    first = version_for(catalogue, SERVICE)
    first.name_en = "changed by one request"
    first.service_type.code = "changed-too"
    municipality = municipality_by_slug("shkoder")
    municipality.name = "changed by one request"
    again = version_for(catalogue, SERVICE)
    assert again.name_en != "changed by one request" and again.service_type.code == SERVICE
    assert municipality_by_slug("shkoder").name == catalogue.name


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_edit_committed_by_another_process_applies_to_the_next_request(
    catalogue, client, citizen
):
    """Another process (plain SQL, as a second gunicorn worker or psql would) takes the service
    off the catalogue; this process's next submission is refused, and its next one after the
    service is back is accepted, though both rows were this process's copies a moment ago."""
    client.force_login(citizen)
    body = {"service": SERVICE, "data": {"purpose": "Për bankën"}}
    url = "/api/v1/municipalities/shkoder/applications"
    assert client.post(url, body, content_type="application/json").status_code == 201
    settings = connection.settings_dict
    dsn = f"host={settings['HOST']} port={settings['PORT'] or 5432} dbname={settings['NAME']} user={settings['USER']}"

    def other_process(active: bool) -> None:
        script = (
            "import psycopg, sys\n"
            "with psycopg.connect(sys.argv[1]) as c:\n"
            "    c.execute('UPDATE services_servicetype SET is_active = %s WHERE code = %s', "
            "(sys.argv[2] == '1', sys.argv[3]))\n"
        )
        subprocess.run(
            [sys.executable, "-c", script, dsn, "1" if active else "0", SERVICE],
            check=True,
            timeout=60,
        )

    other_process(active=False)
    refused = client.post(url, body, content_type="application/json")
    assert refused.status_code == 400 and "service" in refused.content.decode()
    other_process(active=True)
    assert client.post(url, body, content_type="application/json").status_code == 201


def test_a_worker_starts_with_its_instant_services_read(catalogue, django_assert_num_queries):
    """What the gunicorn hook runs before a worker's first request (core.warmup)."""
    from sportel.core import rowcache, warmup
    from sportel.services.applications import warm_instant_services

    rowcache.clear()
    assert "services.instant_services" in warmup._steps
    assert warm_instant_services() >= 1
    with django_assert_num_queries(2):  # the generation, once per lookup
        municipality = municipality_by_slug("shkoder")
        assert version_for(municipality, SERVICE).instant
