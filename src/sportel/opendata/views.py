"""The public portal: search with facets, a dataset's page (table preview, a chart for time
series, downloads, a copy-ready API example), a municipality's datasets."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import datastore, selectors
from .vocabularies import FREQUENCIES, LICENSES

PAGE = 20


def _search_page(request, template, extra, fixed_org=None):
    q = request.GET.get("q", "").strip()[:200]
    chosen = {name: request.GET.getlist(name) for name in selectors.FACET_FIELDS}
    if fixed_org:
        chosen["organization"] = [fixed_org]
    terms = []
    for name, values in chosen.items():
        for value in values:
            clean = value.replace('"', "")
            terms.append(f'{name}:"{clean}"')
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    try:
        found = selectors.search(
            q=q,
            fq=" ".join(terms),
            rows=PAGE,
            start=(page_number - 1) * PAGE,
            facet_fields=selectors.FACET_FIELDS,
            facet_limit=20,
        )
    except selectors.SearchQueryInvalid:
        found = selectors.Search(count=0, datasets=[])
    language = get_language()
    labels = selectors.facet_labels(found.facets, found.names)
    facet_titles = {
        "organization": _("Municipality"),
        "groups": _("Theme"),
        "tags": _("Tag"),
        "res_format": _("Format"),
        "license_id": _("Licence"),
    }
    facets = [
        {
            "name": name,
            "title": facet_titles[name],
            "items": [
                {
                    "value": value,
                    "label": labels[(name, value)],
                    "count": count,
                    "checked": value in chosen[name],
                }
                for value, count in found.facets.get(name, {}).items()
            ],
        }
        for name in selectors.FACET_FIELDS
        if not (fixed_org and name == "organization")
    ]
    pages = Paginator(range(found.count), PAGE).get_page(page_number)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "q": q,
            "found": found,
            "facets": facets,
            "pages": pages,
            "query": query.urlencode(),
            "language": language,
            "results": [
                {"dataset": d, "title": d.title_in(language), "notes": d.notes_in(language)}
                for d in found.datasets
            ],
            **extra,
        },
    )


def search(request):
    return _search_page(request, "opendata/search.html", {})


def municipality(request, municipality_slug: str):
    return _search_page(
        request,
        "opendata/search.html",
        {"municipality": request.municipality},
        fixed_org=request.municipality.slug,
    )


def _chart(resource_id, schema: dict) -> dict | None:
    """A bar chart (server-rendered SVG) when the data is a time series: a month or date column
    and a number, summed per period in the database; withheld cells are left out."""
    fields = schema.get("fields", [])
    time_field = next((f["name"] for f in fields if f["type"] in {"yearmonth", "date"}), None)
    value_field = next((f["name"] for f in fields if f["type"] in {"integer", "number"}), None)
    if not time_field or not value_field:
        return None
    points = datastore.series(resource_id, time_field, value_field)
    if len(points) < 2:
        return None
    top = max(v for _k, v in points) or 1
    width, height, gap = 640, 200, 4
    bar = (width - gap * len(points)) / len(points)
    bars = []
    for i, (key, value) in enumerate(points):
        h = value / top * (height - 20)
        bars.append(
            {
                "x": round(i * (bar + gap), 1),
                "y": round(height - h, 1),
                "w": round(bar, 1),
                "h": round(h, 1),
                "label": key,
                "value": int(value) if float(value).is_integer() else round(value, 2),
            }
        )
    title = next(f.get("title") or f["name"] for f in fields if f["name"] == value_field)
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "title": title,
        "first": points[0][0],
        "last": points[-1][0],
    }


def dataset(request, name: str):
    item = selectors.dataset_by_name_or_id(name)
    if item is None:
        raise Http404(_("No published dataset has this name."))
    language = get_language()
    resources = []
    for resource in item.resources.all():
        version = resource.current
        preview = None
        chart = None
        if resource.datastore_active and version is not None:
            found = datastore.search(resource.pk, version.schema, {"limit": 20})
            columns = list(version.schema["fields"])
            preview = {
                "columns": [
                    (f.get("title_en") if language == "en" else "") or f.get("title") or f["name"]
                    for f in columns
                ],
                "rows": [[r.get(f["name"]) for f in columns] for r in found.records],
                "total": found.total,
            }
            chart = _chart(resource.pk, version.schema)
        resources.append(
            {
                "resource": resource,
                "version": version,
                "download": selectors.download_path(resource) if version else "",
                "versions": [
                    (v, selectors.download_path(resource, v)) for v in resource.versions.all()
                ],
                "preview": preview,
                "chart": chart,
            }
        )
    api_base = request.build_absolute_uri("/api/3/action/")
    first = next((r for r in resources if r["resource"].datastore_active), None)
    licence = LICENSES.get(item.license_id, (item.license_id, ""))
    return render(
        request,
        "opendata/dataset.html",
        {
            "dataset": item,
            "title": item.title_in(language),
            "notes": item.notes_in(language),
            "licence_title": licence[0],
            "licence_url": licence[1],
            "frequency": FREQUENCIES.get(item.frequency, item.frequency),
            "resources": resources,
            "api_show": f"curl '{api_base}package_show?id={item.name}'",
            "api_search": (
                f"curl '{api_base}datastore_search?resource_id={first['resource'].pk}&limit=5'"
                if first
                else ""
            ),
            "datapackage": reverse("opendata-files:datapackage", kwargs={"name": item.name}),
            "rdf": {
                ext: reverse(
                    "opendata-files:dataset-rdf", kwargs={"name": item.name, "extension": ext}
                )
                for ext in ("ttl", "rdf", "jsonld")
            },
        },
    )
