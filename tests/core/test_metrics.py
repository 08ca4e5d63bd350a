"""GET /metrics: Prometheus text with requests, latencies, tasks and notifications, added up
across gunicorn workers under ``sportel serve``."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sportel.core.notifications import send_notification
from tests.core.test_tasks import REPO, database_url


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(metrics: dict, name: str, **labels) -> float:
    return metrics.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.django_db(transaction=True)
def test_metrics_report_outbox_and_tasks_from_the_database(client, shkoder):
    from django_tasks_db.models import DBTaskResult

    for n in range(3):
        send_notification(template="test", context={}, language="sq", to_email=f"p{n}@example.org")
    send_notification(template="test", context={}, language="sq", to_phone="+355690000001")
    DBTaskResult.objects.filter(pk=DBTaskResult.objects.first().pk).update(status="FAILED")

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    m = samples(response.content.decode())

    assert value(m, "sportel_notifications", channel="email", status="queued") == 3
    assert value(m, "sportel_notifications", channel="sms", status="queued") == 1
    assert ("sportel_notifications", frozenset({"channel": "sms", "status": "failed"}.items())) in m
    assert value(m, "sportel_tasks", queue="notifications", status="READY") == 3
    assert value(m, "sportel_tasks", queue="notifications", status="FAILED") == 1
    assert value(m, "sportel_tasks", queue="documents", status="RUNNING") == 0
    assert value(m, "sportel_tasks_oldest_ready_age_seconds") >= 0


@pytest.mark.django_db
def test_requests_are_counted_per_route_with_their_latency(client, shkoder):
    before = samples(client.get("/metrics").content.decode())
    client.get("/shkoder/")
    client.get("/shkoder/")
    client.get("/lezhe/")
    after = samples(client.get("/metrics").content.decode())

    route = {"method": "GET", "route": "<slug:municipality_slug>/"}
    delta = value(after, "sportel_http_requests_total", status="200", **route) - value(
        before, "sportel_http_requests_total", status="200", **route
    )
    assert delta == 3
    count = value(after, "sportel_http_request_duration_seconds_count", **route)
    assert count - value(before, "sportel_http_request_duration_seconds_count", **route) == 3
    assert value(after, "sportel_http_request_duration_seconds_bucket", le="+Inf", **route) == count
    # The raw path never becomes a label: it could carry identifiers.
    assert not any("/shkoder/" in str(labels) for _, labels in after)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


@pytest.mark.django_db(transaction=True)
def test_under_sportel_serve_every_workers_requests_are_added_up(tmp_path, shkoder):
    port = free_port()
    env = {
        **os.environ,
        "SPORTEL_DATABASE_URL": database_url(),
        "SPORTEL_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(REPO / "src"),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = subprocess.Popen(
        [
            Path(sys.executable).parent / "sportel",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--threads",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "serve.log", "wb"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert get(f"{base}/healthz")[0] == 200
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((tmp_path / "serve.log").read_text()) from None
                time.sleep(0.2)
        # Readiness polls that timed out client-side may still have been counted: start from
        # what the server reports now.
        before = samples(get(f"{base}/metrics")[1])
        directory = tmp_path / "prometheus" / f"127_0_0_1_{port}"
        sent = 0
        with ThreadPoolExecutor(8) as pool:  # concurrent, so several workers answer
            # On a loaded machine the first worker to finish warming up may answer a whole
            # burst alone: send bursts until a second worker has counted some.
            while sent < 60 or (len(list(directory.glob("counter_*.db"))) < 2 and sent < 1200):
                assert {status for status, _ in pool.map(get, [f"{base}/healthz"] * 60)} == {200}
                sent += 60
        for _ in range(5):
            get(f"{base}/shkoder/")

        status, text = get(f"{base}/metrics")
        assert status == 200
        m = samples(text)
        healthz = {"method": "GET", "route": "healthz", "status": "200"}
        home = {"method": "GET", "route": "<slug:municipality_slug>/", "status": "200"}
        total = "sportel_http_requests_total"
        assert value(m, total, **healthz) - value(before, total, **healthz) == sent
        assert value(m, total, **home) - value(before, total, **home) == 5
        assert value(m, "sportel_notifications", channel="email", status="sent") == 0
        # Counted by more than one process, read back as one total.
        assert len(list(directory.glob("counter_*.db"))) >= 2
    finally:
        server.terminate()
        server.wait(20)
