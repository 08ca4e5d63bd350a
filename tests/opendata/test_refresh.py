"""Scheduled refresh of a resource from a URL (a real HTTP server on the loopback interface) or a
registered feed: a new version only when the file validates and changed; a failure is recorded,
shown to staff, and the current version stays."""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from sportel.opendata import datastore, refresh, services, staging, tasks
from sportel.opendata.models import Refresh, RefreshRun
from tests.opendata import factories

pytestmark = pytest.mark.django_db


class Files:
    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        self.delay = 0.0


@pytest.fixture
def server(settings):
    # The test server is on loopback, which a refresh refuses unless the operator allows the host.
    settings.SPORTEL_OPEN_DATA_REFRESH_ALLOWED_HOSTS = "127.0.0.1"
    files = Files()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(files.delay)
            body = files.bodies.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()  # no Content-Length: the size limit must hold while reading
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    files.url = f"http://127.0.0.1:{httpd.server_port}"
    yield files
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def resource(shkoder, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = factories.staged(shkoder)
    dataset = upload.dataset
    version = services.publish_upload(
        upload, "tests", dataset=dataset, rows=staging.rows_of(upload)
    )
    return version.resource


def _run():
    # The worker runs in Albanian; what it records is read below in English: a run stores
    # codes and parameters, rendered in the reader's language.
    with translation.override("sq"):
        return refresh.run_due(now=timezone.now() + timedelta(seconds=1))


def _in(language: str, attempt) -> str:
    with translation.override(language):
        return RefreshRun.objects.get(pk=attempt.pk).text


def test_a_url_refresh_publishes_only_a_valid_changed_file(server, resource, shkoder):
    server.bodies["/familje.csv"] = factories.GOOD_CSV.encode()
    refresh.schedule(resource, "tests", url=server.url + "/familje.csv", every_hours=6)

    [attempt] = _run()
    assert attempt.outcome == "unchanged" and resource.versions.count() == 1
    assert _run() == []  # not due again for six hours
    item = Refresh.objects.get()
    assert timedelta(hours=5) < item.next_run_at - timezone.now() <= timedelta(hours=6)

    Refresh.objects.update(next_run_at=timezone.now())
    server.bodies["/familje.csv"] = (factories.GOOD_CSV + "2026,Shkodër,150\n").encode()
    [attempt] = _run()
    resource.refresh_from_db()
    assert attempt.outcome == "published" and attempt.version == resource.current
    assert resource.current.number == 2 and resource.current.note == "scheduled refresh"
    found = datastore.search(resource.pk, resource.current.schema, {"filters": {"viti": 2026}})
    assert [r["familje"] for r in found.records] == [150]

    # A file that does not validate against the schema: recorded, and version 2 stays.
    Refresh.objects.update(next_run_at=timezone.now())
    server.bodies["/familje.csv"] = (factories.GOOD_CSV + "2026,Shkodër,njëqind\n").encode()
    [attempt] = _run()
    resource.refresh_from_db()
    assert attempt.outcome == "failed" and "row 5" in _in("en", attempt)
    assert resource.current.number == 2 and resource.versions.count() == 2
    assert datastore.search(resource.pk, resource.current.schema, {}).total == 4


@pytest.mark.parametrize("problem", ["missing", "too-big", "slow", "binary"])
def test_a_failed_fetch_is_recorded_and_the_old_version_stays(problem, server, resource, settings):
    settings.SPORTEL_OPEN_DATA_MAX_UPLOAD_MB = 1
    settings.SPORTEL_OPEN_DATA_REFRESH_TIMEOUT = 0.5
    path = "/data.csv"
    if problem == "too-big":
        server.bodies[path] = b"viti,njesia,familje\n" + b"2024,Shkoder,1\n" * 80_000
    elif problem == "slow":
        server.bodies[path] = factories.GOOD_CSV.encode()
        server.delay = 2
    elif problem == "binary":
        server.bodies[path] = b"\x89PNG\r\n\x1a\n\x00\x00"
    refresh.schedule(resource, "tests", url=server.url + path)
    [attempt] = _run()
    expected = {
        "missing": "HTTP status 404",
        "too-big": "larger than 1 MB",
        "slow": "did not answer in time",
        "binary": "binary data",
    }[problem]
    assert attempt.outcome == "failed" and expected in _in("en", attempt)
    assert attempt.message == "" and attempt.problems[0]["code"]
    resource.refresh_from_db()
    assert resource.current.number == 1


def test_a_feed_refresh_publishes_the_suppressed_rows(resource, shkoder, test_feed):
    refresh.schedule(resource, "tests", feed=test_feed.name)
    outcomes = tasks.refresh_resources.call()
    assert outcomes == {"published": 1}
    resource.refresh_from_db()
    records = datastore.search(resource.pk, resource.current.schema, {"sort": "month"}).records
    assert ("2026-01", "ujitje", None) in [
        (r["month"], r["category"], r["reports"]) for r in records
    ]  # 3 reports: withheld
    Refresh.objects.update(next_run_at=timezone.now())
    assert tasks.refresh_resources.call() == {"unchanged": 1}


def test_bad_schedules_are_refused(resource):
    for kwargs in ({"url": "file:///etc/passwd"}, {"feed": "no-such-feed"}, {}):
        with pytest.raises(ValidationError):
            refresh.schedule(resource, "tests", **kwargs)
    with pytest.raises(ValidationError):
        refresh.schedule(resource, "tests", url="https://example.org/a.csv", every_hours=0)
    assert not Refresh.objects.exists()


def test_staff_schedule_a_refresh_and_see_its_failure(
    server, resource, shkoder, verified_client, make_staff
):
    client = verified_client(make_staff(shkoder, "manager"))
    page = reverse(
        "opendata-staff:dataset",
        kwargs={"municipality_slug": "shkoder", "name": resource.dataset.name},
    )
    action = reverse(
        "opendata-staff:refresh",
        kwargs={"municipality_slug": "shkoder", "name": resource.dataset.name},
    )
    refused = client.post(
        action, {"resource": str(resource.pk), "url": "ftp://x/a.csv", "every_hours": 24}
    )
    assert refused.status_code == 400 and "http://" in refused.content.decode()
    done = client.post(
        action,
        {"resource": str(resource.pk), "url": server.url + "/gone.csv", "every_hours": 24},
    )
    assert done.status_code == 302
    _run()
    html = client.get(page).content.decode()
    assert 'id="refresh-' in html and "URL-ja u përgjigj me statusin HTTP 404." in html
    assert "The URL answered with HTTP status 404." in client.get("/en" + page).content.decode()
    assert RefreshRun.objects.get().outcome == "failed"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin/",
        "http://localhost/data.csv",
        "http://10.1.2.3/data.csv",
        "http://192.168.0.10/data.csv",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/data.csv",
    ],
)
def test_a_refresh_never_fetches_an_internal_address(url, settings):
    """A staff member's URL must not turn the worker into a reader of the data centre's own
    services (SSRF): loopback, private and link-local addresses are refused before connecting."""
    settings.SPORTEL_OPEN_DATA_REFRESH_ALLOWED_HOSTS = ""
    with pytest.raises(ValidationError) as refused:
        refresh.fetch(url)
    with translation.override("en"):
        assert "internal address" in " ".join(refused.value.messages)


def test_a_failed_run_reads_in_the_language_of_whoever_reads_it(server, resource):
    """The worker records codes, not its own language: staff reading in Albanian and in English
    each see the failure in theirs, on the dataset page too."""
    server.bodies["/data.csv"] = b"\x89PNG\r\n\x1a\n\x00\x00"
    refresh.schedule(resource, "tests", url=server.url + "/data.csv")
    [attempt] = _run()
    assert attempt.problems == [{"code": "binary", "params": {}}]
    english, albanian = _in("en", attempt), _in("sq", attempt)
    assert english == "This is not a CSV file: it holds binary data."
    assert albanian and albanian != english and "binary" not in albanian

    Refresh.objects.update(next_run_at=timezone.now())
    del server.bodies["/data.csv"]
    [missing] = _run()
    assert missing.problems == [{"code": "http_status", "params": {"code": 404}}]
    assert _in("en", missing) == "The URL answered with HTTP status 404."
    assert "404" in _in("sq", missing) and _in("sq", missing) != _in("en", missing)
