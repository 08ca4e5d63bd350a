"""Read queries of the catalogue and the CKAN-shaped dictionaries built from them. The public
catalogue is every municipality's *published* datasets; a municipality's own pages filter it by
``owner_org``; staff pages read only their municipality's rows."""

import hashlib
import re
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse

from sportel.core.models import Municipality

from .models import Dataset, Resource, SearchDocument, SearchFacet, StagedUpload
from .vocabularies import LICENSES, THEMES

FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
FQ_FIELDS = {  # columns of SearchDocument (many-valued fields: see _term)
    "organization": "organization",
    "owner_org": "organization",
    "groups": "",
    "tags": "",
    "res_format": "",
    "license_id": "license_id",
    "name": "name",
    "frequency": "frequency",
}
SORTS = {
    "name": "name",
    "title": "title",
    "metadata_modified": "modified_at",
    "metadata_created": "created_at",
    "score": "modified_at",
}
TERM = re.compile(r'\s*(?P<sign>[+-]?)(?P<field>[a-z_]+):(?P<value>"[^"]*"|[^\s"()]+)\s*')


class SearchQueryInvalid(ValueError):
    pass


def published() -> QuerySet[Dataset]:
    return Dataset.objects.filter(state=Dataset.State.ACTIVE, municipality__is_active=True)


def with_details(queryset: QuerySet[Dataset]) -> QuerySet[Dataset]:
    return queryset.select_related("municipality").prefetch_related(
        "themes",
        "tags",
        "spatial_units",
        Prefetch("resources", queryset=Resource.objects.select_related("current")),
    )


def _term(name: str, value: str) -> Q:
    """One ``field:value`` condition on the search documents. Many-valued fields (tags, themes,
    formats) are ``EXISTS`` over the document's facet values, so a match never repeats a
    dataset and needs no DISTINCT."""
    if name in ("tags", "groups", "res_format"):
        values = SearchFacet.objects.filter(document_id=OuterRef("pk"), field=name)
        if name == "tags":
            values = values.filter(value=value)
        elif name == "groups":
            values = values.filter(value=value.lower())
        else:
            values = values.filter(value__iexact=value)
        return Q(Exists(values))
    return Q(**{FQ_FIELDS[name]: value})


def parse_fq(fq: str) -> Q:
    """Solr-style ``field:value`` terms (``+``/``-``, quoted values, ``AND``) into a filter."""
    condition = Q()
    text = (fq or "").replace(" AND ", " ")
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TERM.match(text, position)
        if match is None:
            raise SearchQueryInvalid(f"cannot parse {text[position:].strip()!r}")
        name, value = match["field"], match["value"].strip('"')
        if name not in FQ_FIELDS:
            raise SearchQueryInvalid(f"undefined field {name}")
        term = _term(name, value)
        condition &= ~term if match["sign"] == "-" else term
        position = match.end()
    return condition


def text_query(q: str) -> Q:
    """Every word of ``q`` somewhere in the name, titles, descriptions or tags (a substring,
    any case); ``field:value`` words are filters as in ``fq``."""
    condition = Q()
    if not q or q.strip() in {"*:*", "*"}:
        return condition
    for word in q.split():
        if TERM.fullmatch(word) and word.split(":", 1)[0].lstrip("+-") in FQ_FIELDS:
            condition &= parse_fq(word)
        else:
            # The document's text is lowercased when written: a plain LIKE, which the trigram
            # index on PostgreSQL serves (ILIKE/UPPER() would not use it).
            condition &= Q(text__contains=word.lower())
    return condition


@dataclass
class Search:
    count: int
    datasets: list[Dataset]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    sort: str = ""
    names: dict[str, str] | None = None  # the organisation facet's municipality names


def _order(sort: str) -> list[str]:
    order = []
    for part in sort.split(","):
        bits = part.split()
        if (
            not bits
            or bits[0] not in SORTS
            or len(bits) > 2
            or (len(bits) == 2 and bits[1] not in ("asc", "desc"))
        ):
            raise SearchQueryInvalid(f"cannot sort by {part.strip()!r}")
        column = SORTS[bits[0]]
        order.append(f"-{column}" if len(bits) == 1 or bits[1] == "desc" else column)
        if bits[0] == "score" and len(bits) == 2 and bits[1] == "asc":
            order[-1] = column
    order.append("pk")
    return order


def search(
    *,
    q="",
    fq="",
    sort="",
    rows=10,
    start=0,
    facet_fields=(),
    facet_limit=50,
) -> Search:
    """The public catalogue's search (CKAN ``package_search``) over the search documents: the
    page of datasets (always read fresh), and the count and facets, cached per query and
    catalogue generation."""
    condition = text_query(q) & parse_fq(fq)
    matching = SearchDocument.objects.filter(condition)
    sort = sort or "score desc, metadata_modified desc"
    order = _order(sort)
    page = []
    if rows:
        # One statement: the page's window of documents is a subquery, and the datasets sort
        # by their own columns, which the documents copy (name, title, dates, pk).
        window = matching.order_by(*order).values("pk")[start : start + rows]
        page = list(with_details(Dataset.objects.filter(pk__in=window)).order_by(*order))
    key = _summary_key(q, fq, facet_fields, facet_limit)
    summary = cache.get(key)
    if summary is None:
        count = matching.count()
        # The whole catalogue (no condition) groups every facet value, without the IN (...).
        among = matching if condition else None
        facets = facet_counts(among, facet_fields, facet_limit) if facet_fields else {}
        names = _municipality_names(facets.get("organization", {}))
        cache.set(key, (count, facets, names), SUMMARY_SECONDS)
    else:
        count, facets, names = summary
    return Search(count=count, datasets=page, facets=facets, sort=sort, names=names)


def _municipality_names(slugs) -> dict[str, str]:
    if not slugs:
        return {}
    return dict(Municipality.objects.filter(slug__in=list(slugs)).values_list("slug", "name"))


SUMMARY_SECONDS = 60


def _summary_key(q, fq, facet_fields, facet_limit) -> str:
    """The cache key of a public search's count and facets: the query, and the catalogue's
    generation (when a search document was last written and how many there are), which every
    publication, new version, refresh, withdrawal and municipality switched off moves on. A
    write whose timestamp is older than one already committed (two publications racing) is
    covered by the short lifetime."""
    generation = SearchDocument.objects.aggregate(latest=Max("indexed_at"), n=Count("pk"))
    latest, n = generation["latest"], generation["n"]
    raw = repr((q, fq, tuple(facet_fields), facet_limit, latest and latest.isoformat(), n))
    return "opendata:search:v2:" + hashlib.sha256(raw.encode()).hexdigest()


def facet_counts(
    matching: QuerySet[SearchDocument] | None, names, limit: int
) -> dict[str, dict[str, int]]:
    """Every asked facet in one GROUP BY over the matching documents' facet values (every
    document's when ``matching`` is None): the most frequent values first (then by value), at
    most ``limit`` each (-1: all)."""
    rows = SearchFacet.objects.filter(field__in=list(names))
    if matching is not None:
        rows = rows.filter(document__in=matching.values("pk"))
    rows = rows.values_list("field", "value").annotate(n=Count("pk"))
    grouped: dict[str, list[tuple[str, int]]] = {name: [] for name in names}
    for name, value, n in rows:
        grouped[name].append((value, n))
    result = {}
    for name, values in grouped.items():
        values.sort(key=lambda item: (-item[1], item[0]))
        if limit >= 0:
            values = values[:limit]
        result[name] = dict(values)
    return result


def facet_labels(
    facets: dict[str, dict[str, int]], names: dict[str, str] | None = None
) -> dict[tuple[str, str], str]:
    """Display names of every facet value: the municipalities' from ``names`` (a search's,
    cached with its facets) or from one query."""
    if names is None:
        names = _municipality_names(facets.get("organization", {}))
    labels = {}
    for name, values in facets.items():
        for value in values:
            if name == "organization":
                labels[(name, value)] = names.get(value, value)
            elif name == "groups":
                labels[(name, value)] = str(THEMES.get(value.upper(), value))
            elif name == "license_id":
                labels[(name, value)] = str(LICENSES[value][0]) if value in LICENSES else value
            else:
                labels[(name, value)] = value
    return labels


def dataset_by_name_or_id(value: str, base: QuerySet | None = None) -> Dataset | None:
    queryset = with_details(base if base is not None else published())
    found = queryset.filter(name=value).first()
    if found is None and re.fullmatch(r"[0-9a-fA-F-]{32,36}", value or ""):
        found = queryset.filter(pk=value).first()
    return found


def resource_by_id(value: str) -> Resource | None:
    if not re.fullmatch(r"[0-9a-fA-F-]{32,36}", value or ""):
        return None
    return (
        Resource.objects.select_related("current", "dataset", "dataset__municipality")
        .filter(pk=value, dataset__in=published())
        .first()
    )


def datastore_tables() -> set[str]:
    return {
        str(pk)
        for pk in Resource.objects.filter(
            datastore_active=True, dataset__in=published()
        ).values_list("pk", flat=True)
    }


def staff_datasets(municipality) -> QuerySet[Dataset]:
    return with_details(Dataset.objects.filter(municipality=municipality)).order_by("-modified_at")


def staff_dataset(municipality, name: str) -> Dataset | None:
    return with_details(Dataset.objects.filter(municipality=municipality, name=name)).first()


def staff_upload(municipality, pk: int) -> StagedUpload | None:
    return StagedUpload.objects.filter(municipality=municipality, pk=pk).first()


# --- CKAN dictionaries -----------------------------------------------------------------------
def _iso(moment) -> str | None:
    return moment.replace(tzinfo=None).isoformat() if moment else None


def download_path(resource: Resource, version=None) -> str:
    version = version or resource.current
    return reverse(
        "opendata-files:download",
        kwargs={
            "name": resource.dataset.name,
            "resource_id": resource.pk,
            "number": version.number if version else 0,
            "filename": version.filename if version else "file",
        },
    )


def organization_dict(municipality: Municipality, package_count: int | None = None) -> dict:
    result = {
        "id": municipality.slug,
        "name": municipality.slug,
        "title": municipality.name,
        "display_name": municipality.name,
        "description": municipality.county,
        "image_url": "",
        "type": "organization",
        "state": "active",
        "is_organization": True,
        "approval_status": "approved",
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def group_dict(code: str, package_count: int | None = None) -> dict:
    result = {
        "id": code.lower(),
        "name": code.lower(),
        "title": str(THEMES.get(code.upper(), code)),
        "display_name": str(THEMES.get(code.upper(), code)),
        "description": "",
        "type": "group",
        "state": "active",
        "is_organization": False,
        "image_url": "",
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def resource_dict(resource: Resource, absolute) -> dict:
    version = resource.current
    return {
        "id": str(resource.pk),
        "package_id": str(resource.dataset_id),
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "mimetype": resource.mediatype,
        "url": absolute(download_path(resource)) if version else "",
        "url_type": "upload",
        "size": version.size if version else None,
        "hash": version.sha256 if version else "",
        "version": version.number if version else None,
        "created": _iso(resource.created_at),
        "last_modified": _iso(resource.modified_at),
        "metadata_modified": _iso(resource.modified_at),
        "datastore_active": resource.datastore_active,
        "position": resource.position,
        "state": "active",
    }


def package_dict(dataset: Dataset, absolute) -> dict:
    license_title, license_url = LICENSES.get(dataset.license_id, (dataset.license_id, ""))
    tags = sorted(dataset.tags.all(), key=lambda t: t.name)
    resources = list(dataset.resources.all())
    units = list(dataset.spatial_units.all())
    return {
        "id": str(dataset.pk),
        "name": dataset.name,
        "title": dataset.title,
        "title_translated": {"sq": dataset.title, "en": dataset.title_in("en")},
        "notes": dataset.notes,
        "notes_translated": {"sq": dataset.notes, "en": dataset.notes_in("en")},
        "type": "dataset",
        "state": dataset.state,
        "private": False,
        "owner_org": dataset.municipality.slug,
        "organization": organization_dict(dataset.municipality),
        "license_id": dataset.license_id,
        "license_title": str(license_title),
        "license_url": license_url,
        "isopen": True,
        "metadata_created": _iso(dataset.created_at),
        "metadata_modified": _iso(dataset.modified_at),
        "frequency": dataset.frequency,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else None,
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else None,
        "spatial": [u.name for u in units] or [dataset.municipality.name],
        "url": absolute(reverse("opendata:dataset", kwargs={"name": dataset.name})),
        "num_tags": len(tags),
        "tags": [
            {
                "id": str(t.pk),
                "name": t.name,
                "display_name": t.name,
                "state": "active",
                "vocabulary_id": None,
            }
            for t in tags
        ],
        "groups": [group_dict(t.code) for t in dataset.themes.all()],
        "num_resources": len(resources),
        "resources": [resource_dict(r, absolute) for r in resources],
        "extras": [
            {"key": "frequency", "value": dataset.frequency},
            {"key": "feed", "value": dataset.feed},
        ],
    }
