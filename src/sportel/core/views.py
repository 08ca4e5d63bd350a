"""Operational endpoints: health and metrics. Outside the language prefix and without sessions."""

import time

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from . import metrics


@never_cache
def healthz(request):
    """200 with the checks when the database answers, 503 (never a crash) when it does not."""
    checks = {}
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {
            "status": "ok",
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }
    except Exception as exc:  # any driver error means "down"; the type is enough for operators
        checks["database"] = {"status": "error", "error": type(exc).__name__}
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )


@never_cache
def metrics_view(request):
    return HttpResponse(metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8")
