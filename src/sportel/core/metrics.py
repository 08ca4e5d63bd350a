"""Prometheus metrics. Counters live in the process (or the multiprocess directory under
gunicorn); gauges that describe stored state are read from the database at scrape time so every
app server reports the same numbers."""

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "sportel_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
LATENCY = Histogram(
    "sportel_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS_RUN = Counter(
    "sportel_tasks_run_total", "Background tasks run by the worker", ["task", "outcome"]
)

_db_collectors = []


def register_db_collector(func):
    """Register ``func() -> Iterable[Metric]`` to be read from the database at scrape time."""
    _db_collectors.append(func)
    return func


class _DatabaseCollector:
    def collect(self):
        for func in _db_collectors:
            yield from func()


def render() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        for collector in list(REGISTRY._collector_to_names):
            registry.register(collector)
    registry.register(_DatabaseCollector())
    return generate_latest(registry)


def gauge(name: str, documentation: str, labels: list[str], rows) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for *label_values, value in rows:
        family.add_metric([str(v) for v in label_values], value)
    return family


# --- State read from the database at scrape time --------------------------------------------
# Every statuses x queue/channel pair is reported, zeros included, so alerts and graphs never
# see a series vanish.


def _safe(collector):
    """A collector that fails (database down) drops its own metrics, never the whole scrape."""

    def run():
        try:
            yield from collector()
        except Exception:  # the database is down or migrating: /healthz reports it
            import logging

            logging.getLogger(__name__).warning("metrics collector %s failed", collector.__name__)

    run.__name__ = collector.__name__
    return run


@register_db_collector
@_safe
def task_metrics():
    from django.conf import settings
    from django.db.models import Count, Min
    from django.utils import timezone
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    queues = {q for backend in settings.TASKS.values() for q in backend.get("QUEUES", [])}
    counts = {
        (row["queue_name"], row["status"]): row["n"]
        for row in DBTaskResult.objects.values("queue_name", "status").annotate(n=Count("id"))
    }
    queues |= {queue for queue, _ in counts}
    yield gauge(
        "sportel_tasks",
        "Background tasks stored in the database, by queue and status",
        ["queue", "status"],
        [
            (queue, status, counts.get((queue, status), 0))
            for queue in sorted(queues)
            for status in TaskResultStatus.values
        ],
    )
    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min("enqueued_at"))["oldest"]
    yield gauge(
        "sportel_tasks_oldest_ready_age_seconds",
        "Age of the oldest task waiting for a worker (0 when none): alert when workers fall behind",
        [],
        [((timezone.now() - oldest).total_seconds() if oldest else 0.0,)],
    )


@register_db_collector
@_safe
def notification_metrics():
    from django.db.models import Count

    from .models import Notification

    counts = {
        (row["channel"], row["status"]): row["n"]
        for row in Notification.objects.values("channel", "status").annotate(n=Count("id"))
    }
    yield gauge(
        "sportel_notifications",
        "Notifications in the outbox, by channel and status",
        ["channel", "status"],
        [
            (channel, status, counts.get((channel, status), 0))
            for channel in Notification.Channel.values
            for status in Notification.Status.values
        ],
    )
