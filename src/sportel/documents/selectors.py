"""Reads: the staff monitoring figures and a municipality's documents."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import IssuedDocument, SealingFailure


def documents_of(municipality):
    return IssuedDocument.objects.filter(municipality=municipality).select_related("replaced_by")


def document_of(municipality, code: str) -> IssuedDocument | None:
    from .codes import normalise

    code = normalise(code)
    if code is None:
        return None
    return documents_of(municipality).filter(code=code).first()


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[k]


def monitoring(municipality, *, now=None) -> dict:
    """Issued per type (24 h, 30 days, all), status counts, failures, render+seal latency."""
    now = now or timezone.now()
    docs = IssuedDocument.objects.filter(municipality=municipality)
    by_type = (
        docs.values("document_type")
        .annotate(
            total=Count("id"),
            day=Count("id", filter=Q(issued_at__gte=now - timedelta(days=1))),
            month=Count("id", filter=Q(issued_at__gte=now - timedelta(days=30))),
            revoked=Count("id", filter=Q(status="revoked")),
            samples=Count("id", filter=Q(sample=True)),
        )
        .order_by("-total", "document_type")
    )
    latencies = list(docs.order_by("-issued_at").values_list("seal_ms", flat=True)[:1000])
    failures = SealingFailure.objects.filter(municipality=municipality)
    return {
        "by_type": list(by_type),
        "total": docs.count(),
        "failures_day": failures.filter(at__gte=now - timedelta(days=1)).count(),
        "failures_recent": list(failures.order_by("-at")[:10]),
        "latency_p50": _percentile(latencies, 0.5),
        "latency_p95": _percentile(latencies, 0.95),
        "latency_n": len(latencies),
        "recent": list(documents_of(municipality).order_by("-issued_at")[:20]),
    }
