"""CKAN's Action API v3 at ``/api/3/action/<name>`` (and ``/api/action/<name>``): GET with query
parameters or POST with a JSON body, CKAN's envelope (``help``, ``success``, ``result`` or
``error`` with ``__type``) and its HTTP codes (400 bad request, 403 authorization, 404 not found,
409 validation), so ckanapi and other CKAN clients read it unchanged. Read-only and public: it
serves every municipality's published datasets; ``owner_org`` is the municipality."""

import json
import logging

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sportel.core.models import Municipality

from . import datastore, selectors
from .models import Tag, Theme
from .vocabularies import LICENSES

logger = logging.getLogger(__name__)
CKAN_VERSION = "2.10.4"
MAX_ROWS = 1000


class ActionError(Exception):
    status = 400
    kind = "Bad request"

    def __init__(self, message="", **fields):
        super().__init__(message)
        self.message, self.fields = message, fields

    def body(self) -> dict:
        body = {"__type": self.kind}
        if self.message:
            body["message"] = self.message
        body.update(self.fields)
        return body


class NotFound(ActionError):
    status, kind = 404, "Not Found Error"


class Invalid(ActionError):
    status, kind = 409, "Validation Error"


class Denied(ActionError):
    status, kind = 403, "Authorization Error"


def _envelope(request, name, status, **content):
    help_url = request.build_absolute_uri(f"/api/3/action/help_show?name={name}")
    return JsonResponse(
        {"help": help_url, **content}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _params(request) -> dict:
    if request.method == "POST" and request.body:
        content_type = request.content_type or ""
        if content_type.startswith("multipart/") or content_type.endswith("urlencoded"):
            return dict(request.POST.items())
        try:
            data = json.loads(request.body)
        except ValueError as exc:
            raise ActionError(f"Bad request - JSON Error: {exc}") from None
        if not isinstance(data, dict):
            raise ActionError("Bad request - JSON Error: Request data must be a JSON object")
        return data
    return dict(request.GET.items())


def _json_param(params, name, default):
    value = params.get(name, default)
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            raise Invalid(**{name: ["Invalid JSON"]}) from None
    return value


def _int(params, name, default, maximum=None):
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(**{name: ["Invalid integer"]}) from None
    if number < 0:
        raise Invalid(**{name: ["Must be a natural number"]})
    return min(number, maximum) if maximum else number


def _required(params, name):
    value = params.get(name)
    if value in (None, ""):
        raise Invalid(**{name: ["Missing value"]})
    return str(value)


def _bool(params, name, default=False):
    value = params.get(name, default)
    if isinstance(value, bool):
        return value
    return str(value).lower() in {"true", "1", "yes", "on"}


# --- actions ---------------------------------------------------------------------------------
def package_list(request, params):
    limit = params.get("limit")
    queryset = selectors.published().order_by("name").values_list("name", flat=True)
    offset = _int(params, "offset", 0)
    if limit not in (None, ""):
        return list(queryset[offset : offset + _int(params, "limit", 0)])
    return list(queryset[offset:])


def package_search(request, params):
    rows = _int(params, "rows", 10, MAX_ROWS)
    start = _int(params, "start", 0)
    facet_fields = _json_param(params, "facet.field", [])
    if isinstance(facet_fields, str):
        facet_fields = [facet_fields]
    if not isinstance(facet_fields, list) or any(
        f not in selectors.FACET_FIELDS for f in facet_fields
    ):
        raise Invalid(**{"facet.field": [f"Facets are {', '.join(selectors.FACET_FIELDS)}"]})
    facet_limit = _int(params, "facet.limit", 50) if params.get("facet.limit") != "-1" else -1
    if params.get("fq_list"):
        fq_list = _json_param(params, "fq_list", [])
        fq = " ".join(fq_list) if isinstance(fq_list, list) else str(fq_list)
    else:
        fq = ""
    fq = f"{params.get('fq') or ''} {fq}".strip()
    try:
        found = selectors.search(
            q=str(params.get("q") or ""),
            fq=fq,
            sort=str(params.get("sort") or ""),
            rows=rows,
            start=start,
            facet_fields=facet_fields,
            facet_limit=facet_limit,
        )
    except selectors.SearchQueryInvalid as exc:
        raise Invalid(query=[f"Search Query is invalid: {exc}"]) from None
    absolute = request.build_absolute_uri
    labels = selectors.facet_labels(found.facets, found.names)
    return {
        "count": found.count,
        "sort": found.sort,
        "results": [selectors.package_dict(d, absolute) for d in found.datasets],
        "facets": found.facets,
        "search_facets": {
            name: {
                "title": name,
                "items": [
                    {"name": value, "display_name": labels[(name, value)], "count": count}
                    for value, count in values.items()
                ],
            }
            for name, values in found.facets.items()
        },
    }


def package_show(request, params):
    dataset = selectors.dataset_by_name_or_id(_required(params, "id"))
    if dataset is None:
        raise NotFound("Not found")
    return selectors.package_dict(dataset, request.build_absolute_uri)


def resource_show(request, params):
    resource = selectors.resource_by_id(_required(params, "id"))
    if resource is None:
        raise NotFound("Not found")
    return selectors.resource_dict(resource, request.build_absolute_uri)


def _counts_by_org():
    return dict(selectors.published().values_list("municipality__slug").annotate(n=Count("pk")))


def organization_list(request, params):
    counts = _counts_by_org()
    municipalities = Municipality.objects.filter(is_active=True).order_by("slug")
    if _bool(params, "all_fields"):
        return [selectors.organization_dict(m, counts.get(m.slug, 0)) for m in municipalities]
    return [m.slug for m in municipalities]


def organization_show(request, params):
    municipality = Municipality.objects.filter(slug=_required(params, "id"), is_active=True).first()
    if municipality is None:
        raise NotFound("Not found")
    datasets = selectors.with_details(selectors.published().filter(municipality=municipality))
    result = selectors.organization_dict(municipality, datasets.count())
    if _bool(params, "include_datasets"):
        absolute = request.build_absolute_uri
        result["packages"] = [selectors.package_dict(d, absolute) for d in datasets[:1000]]
    return result


def _theme_counts():
    return dict(
        selectors.published().values_list("themes__code").annotate(n=Count("pk", distinct=True))
    )


def group_list(request, params):
    counts = _theme_counts()
    codes = list(Theme.objects.values_list("code", flat=True))
    if _bool(params, "all_fields"):
        return [selectors.group_dict(c, counts.get(c, 0)) for c in codes]
    return [c.lower() for c in codes]


def group_show(request, params):
    code = _required(params, "id").upper()
    if not Theme.objects.filter(code=code).exists():
        raise NotFound("Not found")
    datasets = selectors.with_details(selectors.published().filter(themes__code=code))
    result = selectors.group_dict(code, datasets.count())
    if _bool(params, "include_datasets"):
        absolute = request.build_absolute_uri
        result["packages"] = [selectors.package_dict(d, absolute) for d in datasets[:1000]]
    return result


def tag_list(request, params):
    tags = Tag.objects.filter(datasets__in=selectors.published()).distinct().order_by("name")
    query = params.get("query") or params.get("q")
    if query:
        tags = tags.filter(name__icontains=str(query))
    if _bool(params, "all_fields"):
        return [
            {"id": str(t.pk), "name": t.name, "display_name": t.name, "vocabulary_id": None}
            for t in tags
        ]
    return [t.name for t in tags]


def license_list(request, params):
    return [
        {
            "id": key,
            "title": str(title),
            "url": url,
            "od_conformance": "approved",
            "osd_conformance": "not reviewed",
            "status": "active",
            "domain_data": True,
            "domain_content": key.startswith("CC"),
            "domain_software": False,
        }
        for key, (title, url) in LICENSES.items()
    ]


def status_show(request, params):
    return {
        "ckan_version": CKAN_VERSION,
        "site_title": "Sportel",
        "site_url": request.build_absolute_uri("/").rstrip("/"),
        "site_description": "Open data of Albanian municipalities",
        "locale_default": "sq",
        "error_emails_to": None,
        "extensions": ["datastore", "dcat"],
    }


def datastore_search(request, params):
    resource = selectors.resource_by_id(_required(params, "resource_id"))
    if resource is None or not resource.datastore_active or resource.current is None:
        raise NotFound("Resource not found" if resource is None else "Resource has no datastore")
    for name in ("filters", "fields", "sort", "q"):
        if name in params:
            params[name] = _json_param(params, name, None)
    try:
        found = datastore.search(resource.pk, resource.current.schema, params)
    except datastore.DatastoreError as exc:
        raise Invalid(**exc.errors) from None
    base = f"/api/3/action/datastore_search?resource_id={resource.pk}"
    result = {
        "resource_id": str(resource.pk),
        "fields": found.fields,
        "records": found.records,
        "limit": found.limit,
        "offset": found.offset,
        "records_format": params.get("records_format") or "objects",
        "_links": {"start": base, "next": f"{base}&offset={found.offset + found.limit}"},
        "include_total": found.total is not None,
    }
    for name in ("filters", "q", "sort"):
        if params.get(name):
            result[name] = params[name]
    if found.total is not None:
        result["total"] = found.total
        result["total_was_estimated"] = False
    return result


def datastore_search_sql(request, params):
    if not settings.SPORTEL_OPEN_DATA_SQL:
        raise Denied("Access denied: datastore_search_sql is turned off on this portal")
    sql = _required(params, "sql")
    try:
        columns, rows = datastore.search_sql(sql, selectors.datastore_tables())
    except datastore.SQLRefused as exc:
        raise Invalid(query=[str(exc)]) from None
    except DatabaseError as exc:
        message = str(exc).lower()
        if "interrupt" in message or "timeout" in message or "cancel" in message:
            raise Invalid(query=["Query took too long"]) from None
        raise Invalid(
            query=["The query could not run: " + str(exc).splitlines()[0][:200]]
        ) from None
    return {
        "sql": sql,
        "fields": [{"id": c, "type": "text"} for c in columns],
        "records": [dict(zip(columns, r, strict=True)) for r in rows],
        "records_truncated": len(rows) >= datastore.MAX_LIMIT,
    }


ACTIONS = {
    f.__name__: f
    for f in (
        package_list,
        package_search,
        package_show,
        resource_show,
        organization_list,
        organization_show,
        group_list,
        group_show,
        tag_list,
        license_list,
        status_show,
        datastore_search,
        datastore_search_sql,
    )
}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def action(request, name: str):
    handler = ACTIONS.get(name)
    try:
        if handler is None:
            raise ActionError(f"Bad request - Action name not known: {name}")
        params = _params(request)
        result = handler(request, params)
    except ActionError as exc:
        return _envelope(request, name, exc.status, success=False, error=exc.body())
    response = _envelope(request, name, 200, success=True, result=result)
    response["Access-Control-Allow-Origin"] = "*"
    return response
