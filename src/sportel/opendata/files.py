"""Machine-readable files outside the language prefix: DCAT-AP catalogue and dataset
descriptions, Frictionless Data Packages and resource downloads."""

import json
from datetime import datetime

from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET

from . import datapackage, dcat, selectors
from .models import ResourceVersion


def _rdf(graph, extension: str) -> HttpResponse:
    fmt, content_type = dcat.FORMATS_OUT[extension]
    body = graph.serialize(format=fmt)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def catalog(request, extension: str):
    datasets = selectors.published().order_by("-modified_at", "pk")
    query = {}
    since = request.GET.get("modified_since")
    if since:
        moment = parse_datetime(since)
        if moment is None and parse_date(since):
            moment = datetime.combine(parse_date(since), datetime.min.time())
        if moment is None:
            return HttpResponseBadRequest(
                "modified_since must be an ISO 8601 date or date-time", content_type="text/plain"
            )
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        datasets = datasets.filter(modified_at__gte=moment)
        query["modified_since"] = since
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return HttpResponseBadRequest("page must be a positive integer", content_type="text/plain")
    total = datasets.count()
    start = (page - 1) * dcat.PAGE_SIZE
    chunk = selectors.with_details(datasets)[start : start + dcat.PAGE_SIZE]
    graph = dcat.catalog_graph(chunk, total, page, request.build_absolute_uri, request.path, query)
    return _rdf(graph, extension)


def _dataset(name: str):
    dataset = selectors.dataset_by_name_or_id(name)
    if dataset is None:
        raise Http404
    return dataset


@require_GET
def dataset_rdf(request, name: str, extension: str):
    return _rdf(dcat.dataset_graph(_dataset(name), request.build_absolute_uri), extension)


@require_GET
def dataset_datapackage(request, name: str):
    body = datapackage.descriptor(_dataset(name), request.build_absolute_uri)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def download(request, name: str, resource_id, number: int, filename: str):
    version = (
        ResourceVersion.objects.select_related("resource__dataset")
        .filter(
            resource_id=resource_id,
            number=number,
            resource__dataset__name=name,
            resource__dataset__in=selectors.published(),
        )
        .first()
    )
    if version is None:
        raise Http404
    response = FileResponse(
        version.file.open("rb"),
        content_type=version.mediatype,
        as_attachment=True,
        filename=version.filename,
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
