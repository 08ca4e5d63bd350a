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
