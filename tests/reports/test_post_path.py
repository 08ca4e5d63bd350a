"""The Open311 write path made short (issue 9's POST benchmark): the configuration rows a POST
reads are kept per process only while they are unchanged, a new report's rows go in one
statement on PostgreSQL, and the audit chain is claimed in one — with every rule intact."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sportel.core import audit
from sportel.reports import services
from sportel.reports.models import (
    Category,
    CategoryAttribute,
    Cluster,
    ClusterVoice,
    Open311Key,
    Report,
    RoutingRule,
)

URL = "/open311/v2/requests.json"


@pytest.fixture
def key(shkoder, categories):
    return services.add_api_key(shkoder, "FixMyStreet test")


def post(client, key, *, email="banor@test.al", lat="41.9826", long="19.4233", **extra):
    return client.post(
        URL,
        {
            "jurisdiction_id": "shkoder",
            "api_key": key,
            "service_code": "pothole",
            "description": "Gropë e madhe",
            "attribute[depth_cm]": "12",
            "lat": lat,
            "long": long,
            "email": email,
            **extra,
        },
    )


def filed(response) -> Report:
    assert response.status_code == 200, response.content
    return Report.objects.get(pk=response.json()[0]["service_request_id"])


@pytest.mark.django_db
def test_an_edited_question_rules_the_very_next_post(client, key, shkoder):
    assert post(client, key).status_code == 200
    question = CategoryAttribute.objects.get(category__municipality=shkoder, code="depth_cm")
    question.datatype = CategoryAttribute.Datatype.SINGLEVALUELIST
    question.values = [{"key": "deep", "name_sq": "E thellë", "name_en": "Deep"}]
    question.save()
    response = post(client, key, email="tjeter@test.al")
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("attribute[depth_cm]")
    assert filed(post(client, key, email="tjeter@test.al", **{"attribute[depth_cm]": "deep"}))


@pytest.mark.django_db
def test_a_revoked_key_is_refused_at_the_next_post(client, key):
    assert post(client, key).status_code == 200
    Open311Key.objects.filter(key_hash=Open311Key.hash(key)).update(revoked_at=timezone.now())
    response = post(client, key, email="tjeter@test.al")
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": "Invalid api_key"}]


@pytest.mark.django_db
def test_a_switched_off_category_is_not_found_at_the_next_post(client, key, shkoder):
    assert post(client, key).status_code == 200
    Category.objects.filter(municipality=shkoder, code="pothole").update(is_active=False)
    response = post(client, key, email="tjeter@test.al")
    assert response.status_code == 404
    assert "service_code not found" in response.json()[0]["description"]


@pytest.mark.django_db
def test_a_new_routing_rule_routes_the_next_post(client, key, shkoder):
    first = filed(post(client, key))
    category = Category.objects.get(municipality=shkoder, code="pothole")
    RoutingRule.objects.create(municipality=shkoder, category=category, team="Ekipi i natës")
    second = filed(post(client, key, email="tjeter@test.al", lat="41.9500", long="19.4600"))
    assert first.team != "Ekipi i natës"
    assert second.team == "Ekipi i natës"


@pytest.mark.django_db
def test_reports_nearby_share_one_cluster_and_a_reporter_counts_once(client, key):
    first = filed(post(client, key))
    second = filed(post(client, key, email="tjeter@test.al", lat="41.9827"))
    again = filed(post(client, key, lat="41.9828"))
    cluster = Cluster.objects.get(pk=first.cluster_id)
    assert second.cluster_id == again.cluster_id == cluster.pk
    assert cluster.voices == 2
    assert ClusterVoice.objects.filter(cluster=cluster).count() == 2
    assert [e.action for e in again.events.all()] == ["file"]
    far = filed(post(client, key, email="larg@test.al", lat="41.9500", long="19.4600"))
    assert far.cluster_id != cluster.pk
    assert Cluster.objects.get(pk=far.cluster_id).voices == 1


@pytest.mark.django_db
def test_a_banned_sender_is_still_refused(client, key, shkoder, make_staff):
    from sportel.accounts.models import Role
    from sportel.reports import configuration

    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    configuration.ban(shkoder, actor=admin, kind="email", value="keq@test.al", reason="Fyerje")
    response = post(client, key, email="keq@test.al")
    assert response.status_code == 403
    assert not Report.objects.filter(email="keq@test.al").exists()


@pytest.mark.django_db
def test_every_post_is_chained_in_the_audit_log(client, key, shkoder):
    for n in range(3):
        filed(post(client, key, email=f"banor{n}@test.al", lat=f"41.98{n}0", long="19.4400"))
    report = audit.verify_chain("shkoder")
    assert report.broken_at is None and report.problem == ""
    assert audit.AuditEntry.objects.filter(chain="shkoder", action="report.file").count() == 3


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_post_sends_six_statements_on_postgresql(client, key):
    post(client, key)  # the process's configuration cache is filled by the first
    with CaptureQueriesContext(connection) as captured:
        response = post(client, key, email="tjeter@test.al", lat="41.9500", long="19.4600")
    assert filed(response).cluster_id is not None
    # (The test's own transaction turns the POST's into a savepoint.)
    statements = [
        q["sql"]
        for q in captured
        if q["sql"] not in ("BEGIN", "COMMIT") and "SAVEPOINT" not in q["sql"]
    ]
    # fingerprint + key, ban list + subscribers, cluster lookup, cluster + report + history +
    # voice, audit head claim, audit entry + head
    assert len(statements) == 6, "\n".join(s[:120] for s in statements)


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_posts_statements_are_prepared_once_per_connection(client, key):
    post(client, key)
    post(client, key, email="tjeter@test.al", lat="41.9500", long="19.4600")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # key + fingerprint, ban list + subscribers, cluster lookup, the report's rows (a new
    # cluster, and an existing one), the audit head claim, the audit entry + head
    assert any("sha256" in s for s in prepared), prepared
    assert any("reports_bannedreporter" in s for s in prepared), prepared
    assert any('"core_audithead"' in s and "RETURNING" in s for s in prepared), prepared
    assert len(prepared) >= 6, prepared
    # The second POST ran the prepared statements: one name per statement, not one per POST.
    post(client, key, email="treti@test.al", lat="41.9400", long="19.4700")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] <= len(prepared) + 1  # + a new cluster's shape


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_a_column_added_while_statements_are_prepared_does_not_break_a_post(client, key):
    first = filed(post(client, key))
    with connection.cursor() as cursor:  # what a migration run alongside the app server does
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # (the test's open transaction)
        cursor.execute("ALTER TABLE reports_cluster ADD COLUMN later_note text DEFAULT ''")
        cursor.execute("ALTER TABLE reports_report ADD COLUMN later_note text DEFAULT ''")
    nearby = filed(post(client, key, email="tjeter@test.al"))  # joins the first one's cluster
    assert nearby.cluster_id == first.cluster_id
    assert Cluster.objects.get(pk=first.cluster_id).voices == 2
    elsewhere = filed(post(client, key, email="treti@test.al", lat="41.9400", long="19.4700"))
    assert elsewhere.cluster_id != first.cluster_id


@pytest.mark.django_db
def test_the_reports_optional_links_have_partial_indexes(shkoder):
    """An Open311 report has no assignee, account, person, clerk or original: their indexes hold
    only the reports that have one (the queries through them all ask for one value)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Report._meta.db_table)
    for column in ("assignee_id", "account_id", "person_id", "filed_by_id", "duplicate_of_id"):
        indexes = [
            name
            for name, c in constraints.items()
            if c["index"] and c["columns"] == [column] and not c["primary_key"]
        ]
        assert indexes == [f"report_{column.removesuffix('_id')}_set"], (column, indexes)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'report_assignee_set'"
            )
            assert cursor.fetchone()[0].endswith("WHERE (assignee_id IS NOT NULL)")


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_the_answered_questions_are_held_by_the_statement_writing_the_report(client, key):
    # The share lock on the category and the check that the questions answered are still there
    # ride on the statement that writes the report's rows: no statement of their own.
    post(client, key)
    with CaptureQueriesContext(connection) as captured:
        filed(post(client, key, email="tjeter@test.al", lat="41.9500", long="19.4600"))
    locking = [q["sql"] for q in captured if "FOR KEY SHARE" in q["sql"]]
    assert len(locking) == 1, locking
    assert '"reports_report"' in locking[0] and "reports_categoryattribute" in locking[0]
