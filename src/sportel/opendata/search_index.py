"""The public search's denormalised documents (models.SearchDocument): written here, read by
``selectors.search``. Every write of the catalogue calls :func:`reindex` for the datasets it
touched, inside its own transaction, so the search never sees half a publication; a
municipality switched off or renamed reindexes its datasets (``apps.py`` connects the signal).

On PostgreSQL the lowercased text carries a trigram GIN index (pg_trgm, migration 0004), so a
``LIKE '%word%'`` per search word is an index scan instead of a scan of every description; on
SQLite the same ``LIKE`` reads the one narrow table (no FTS5 table to keep in step: the
catalogue is thousands of rows, not millions)."""

from collections.abc import Iterable

from django.db.models import Prefetch
from django.utils import timezone

from .models import Dataset, Resource, SearchDocument, SearchFacet

BATCH = 2000


def _text(dataset: Dataset, tags: list[str]) -> str:
    parts = [dataset.name, dataset.title, dataset.title_en, dataset.notes, dataset.notes_en, *tags]
    return "\n".join(p for p in parts if p).lower()


def _facets(dataset: Dataset, tags: list[str]) -> set[tuple[str, str]]:
    values = {("organization", dataset.municipality.slug), ("license_id", dataset.license_id)}
    values |= {("groups", theme.code.lower()) for theme in dataset.themes.all()}
    values |= {("tags", tag[:100]) for tag in tags}
    values |= {("res_format", r.format) for r in dataset.resources.all() if r.format}
    return values


def reindex(dataset_ids: Iterable, *, apps=None) -> int:
    """Rewrite the search documents of these datasets (dropped when a dataset is not public);
    the number of documents written. Call inside the transaction of the change. ``apps``: a
    migration's historical models (migration 0004 fills the index with them)."""
    ids = list(dataset_ids)
    written = 0
    for offset in range(0, len(ids), BATCH):
        written += _reindex_batch(ids[offset : offset + BATCH], apps)
    return written


def _reindex_batch(ids: list, apps=None) -> int:
    if apps is None:
        dataset_model, resource_model = Dataset, Resource
        document_model, facet_model = SearchDocument, SearchFacet
    else:
        dataset_model, resource_model, document_model, facet_model = (
            apps.get_model("opendata", name)
            for name in ("Dataset", "Resource", "SearchDocument", "SearchFacet")
        )
    facet_model.objects.filter(document_id__in=ids).delete()
    document_model.objects.filter(dataset_id__in=ids).delete()
    datasets = (
        dataset_model.objects.filter(pk__in=ids, state="active", municipality__is_active=True)
        .select_related("municipality")
        # Only what the document holds: theme codes, tag names, resource formats.
        .prefetch_related(
            "themes",
            "tags",
            Prefetch("resources", queryset=resource_model.objects.only("dataset_id", "format")),
        )
    )
    now = timezone.now()
    documents, facets = [], []
    for dataset in datasets:
        tags = [t.name for t in dataset.tags.all()]
        document = document_model(
            dataset=dataset,
            organization=dataset.municipality.slug,
            name=dataset.name,
            title=dataset.title,
            license_id=dataset.license_id,
            frequency=dataset.frequency,
            text=_text(dataset, tags),
            created_at=dataset.created_at,
            modified_at=dataset.modified_at,
            indexed_at=now,
        )
        documents.append(document)
        facets += [
            facet_model(document=document, field=field, value=value)
            for field, value in sorted(_facets(dataset, tags))
        ]
    document_model.objects.bulk_create(documents)
    facet_model.objects.bulk_create(facets, batch_size=BATCH)
    return len(documents)


def reindex_municipality(municipality) -> int:
    return reindex(Dataset.objects.filter(municipality=municipality).values_list("pk", flat=True))


def reindex_all() -> int:
    return reindex(Dataset.objects.values_list("pk", flat=True))
