"""Document metrics on /metrics: issuance counters and latency per process, registry totals and
sealing failures from the database (the same on every app server)."""

from prometheus_client import Counter, Histogram

from sportel.core.metrics import gauge, register_db_collector

ISSUED = Counter(
    "sportel_documents_issued_total",
    "Documents sealed and registered by this process",
    ["municipality", "document_type"],
)
FAILURES = Counter(
    "sportel_documents_sealing_failures_total",
    "Issuances stopped before anything was registered",
    ["municipality", "stage"],
)
LATENCY = Histogram(
    "sportel_documents_issue_duration_seconds",
    "Time of one issuance: render, seal, store the file, register and log",
    ["stage"],
    buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5),
)


CACHE_SECONDS = 30


def _registry_counts() -> dict:
    from django.db.models import Count

    from .models import IssuedDocument, SealingFailure
    from .translog import size

    return {
        "registered": list(
            IssuedDocument.objects.values_list("municipality__slug", "document_type", "status")
            .annotate(n=Count("id"))
            .order_by()
        ),
        "failures": list(
            SealingFailure.objects.values_list("municipality__slug", "stage")
            .annotate(n=Count("id"))
            .order_by()
        ),
        "log_size": size(),
    }


@register_db_collector
def registry_gauges():
    # A GROUP BY over millions of registry rows is not for every scrape of every app server:
    # the counts are shared through the cache for a few seconds.
    from django.core.cache import cache

    counts = cache.get("documents:metrics")
    if counts is None:
        counts = _registry_counts()
        cache.set("documents:metrics", counts, CACHE_SECONDS)
    yield gauge(
        "sportel_documents_registered",
        "Documents in the registry by municipality, type and status",
        ["municipality", "document_type", "status"],
        counts["registered"],
    )
    yield gauge(
        "sportel_documents_sealing_failures",
        "Recorded sealing failures by municipality and stage",
        ["municipality", "stage"],
        counts["failures"],
    )
    yield gauge(
        "sportel_transparency_log_size",
        "Entries in the transparency log",
        [],
        [(counts["log_size"],)],
    )
