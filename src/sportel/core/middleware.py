"""Request-wide concerns: tenant resolution, metrics, Content-Security-Policy."""

import time

from django.http import Http404
from django.utils.translation import gettext as _

from . import metrics
from .selectors import municipality_by_slug

API_NAMESPACE = "api-v1"  # sportel.api's urls_namespace


class TenantMiddleware:
    """Resolve the path's municipality to ``request.municipality``: the one place that does it,
    for pages (``/<municipality_slug>/...``, 404 page if unknown) and for the JSON API
    (``/api/v1/municipalities/{slug}/...``: left ``None`` if unknown, and the API answers 404 in
    its own error shape, see ``tenancy.request_municipality``).

    Views read the tenant from the request; every query they make is scoped by it.
    (docs/decisions/0009-tenancy-enforcement.md says why this and not django-scopes.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.municipality = None
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("municipality_slug")
        if slug is None:
            if API_NAMESPACE in getattr(request.resolver_match, "namespaces", ()):
                slug = view_kwargs.get("slug")
                request.municipality = municipality_by_slug(slug) if slug else None
            return None
        municipality = municipality_by_slug(slug)
        if municipality is None:
            raise Http404(_("There is no municipality with this address."))
        request.municipality = municipality
        return None


class RequestMetricsMiddleware:
    """Count requests and their latency per route pattern (never the raw path: it may hold ids)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        if route == "metrics":
            return response
        metrics.REQUESTS.labels(request.method, route, response.status_code).inc()
        metrics.LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
        return response


def _tile_origin() -> str:
    """The map tile server's origin, allowed as an image source (nothing when no tiles are set)."""
    from urllib.parse import urlsplit

    from django.conf import settings

    url = urlsplit(getattr(settings, "SPORTEL_MAP_TILE_URL", "") or "")
    return f" {url.scheme}://{url.netloc}" if url.scheme in ("http", "https") and url.netloc else ""


CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:" + _tile_origin(),
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """No inline scripts or styles anywhere: every asset is a file served by the app."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            # Django's admin uses inline scripts; it is for platform operators only.
            response.setdefault(
                "Content-Security-Policy",
                CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
                    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
                ),
            )
        else:
            response.setdefault("Content-Security-Policy", CSP)
        return response
