"""The public search reads denormalised search documents: they follow every publication, a
municipality switched off leaves the search, and the counts equal a plain count of the
catalogue."""

from collections import Counter

import pytest
from django.core.cache import cache
from django.db import connection

from sportel.opendata import search_index, selectors, services, staging
from sportel.opendata.models import Dataset, SearchDocument
from tests.opendata import factories

pytestmark = pytest.mark.django_db

FACETS = ("organization", "groups", "tags", "res_format", "license_id")


def _publish(municipality, title, **fields):
    upload = factories.staged(municipality, title=title)
    if fields:
        Dataset.objects.filter(pk=upload.dataset_id).update(**fields)
        upload.dataset.refresh_from_db()
    services.publish_upload(upload, "tests", dataset=upload.dataset, rows=staging.rows_of(upload))
    return upload.dataset


def _plain_facets() -> dict[str, Counter]:
    """The facets counted the long way, from the catalogue's own tables."""
    counts = {name: Counter() for name in FACETS}
    for dataset in selectors.with_details(selectors.published()):
        counts["organization"][dataset.municipality.slug] += 1
        counts["license_id"][dataset.license_id] += 1
        for theme in dataset.themes.all():
            counts["groups"][theme.code.lower()] += 1
        for tag in dataset.tags.all():
            counts["tags"][tag.name] += 1
        for fmt in {r.format for r in dataset.resources.all()}:
            counts["res_format"][fmt] += 1
    return counts


def test_counts_and_facets_equal_a_plain_count_of_the_catalogue(published, shkoder, lezhe):
    cache.clear()
    _publish(lezhe, "Familje në Lezhë")
    _publish(shkoder, "Shkolla të mesme")
    found = selectors.search(facet_fields=FACETS, facet_limit=-1, rows=50)
    plain = _plain_facets()
    assert found.count == selectors.published().count() == 3
    assert {name: dict(found.facets[name]) for name in FACETS} == {
        name: dict(plain[name]) for name in FACETS
    }
    assert {d.name for d in found.datasets} == set(
        selectors.published().values_list("name", flat=True)
    )


def test_words_match_any_case_in_titles_descriptions_and_tags(shkoder):
    dataset = _publish(
        shkoder, "Ndriçimi publik", title_en="Street LIGHTING", notes="Llambat e rrugëve"
    )
    cache.clear()
    for q in ("ndriçimi", "NDRIÇIMI", "lighting", "llambat rrugëve", "ndihme"):  # ndihme: a tag
        assert [d.name for d in selectors.search(q=q).datasets] == [dataset.name], q
    assert selectors.search(q="ndriçimi ujitje").count == 0  # every word must match
    assert selectors.search(q="tags:ndihme").count == 1


def test_a_withdrawn_dataset_and_a_switched_off_municipality_leave_the_search(
    published, shkoder, lezhe
):
    cache.clear()
    _publish(lezhe, "Familje në Lezhë")
    assert selectors.search(facet_fields=["organization"]).facets["organization"] == {
        "lezhe": 1,
        "shkoder": 1,
    }
    lezhe.is_active = False
    lezhe.save()
    after = selectors.search(facet_fields=["organization"])
    assert after.count == 1 and after.facets["organization"] == {"shkoder": 1}
    assert not SearchDocument.objects.filter(organization="lezhe").exists()

    dataset, _resource = published
    Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.DELETED)
    search_index.reindex([dataset.pk])
    assert selectors.search(facet_fields=["organization"]).count == 0


def test_a_draft_is_not_searchable_until_published(shkoder):
    draft = factories.dataset(shkoder, title="Buxheti i vitit")
    cache.clear()
    assert selectors.search(q="buxheti").count == 0
    assert not SearchDocument.objects.filter(pk=draft.pk).exists()


def test_a_search_reads_a_fixed_number_of_statements(shkoder, lezhe, django_assert_max_num_queries):
    for n in range(6):
        _publish(shkoder if n % 2 else lezhe, f"Statistika {n}")
    cache.clear()
    # the page's datasets, 4 prefetches, generation, count, one GROUP BY for all five facets,
    # the municipalities' names
    with django_assert_max_num_queries(9):
        found = selectors.search(facet_fields=FACETS, rows=20)
    assert found.count == 6 and len(found.datasets) == 6
    assert found.names == {"shkoder": "Shkodër", "lezhe": "Lezhë"}
    # Asked again: the page and the generation only; count, facets and names are cached.
    with django_assert_max_num_queries(6):
        again = selectors.search(facet_fields=FACETS, rows=20)
    assert [d.pk for d in again.datasets] == [d.pk for d in found.datasets]
    assert again.facets == found.facets and again.names == found.names
    newest_first = sorted(found.datasets, key=lambda d: (d.modified_at, d.pk), reverse=True)
    assert [d.pk for d in found.datasets[:1]] == [newest_first[0].pk]
    second = selectors.search(rows=2, start=2, sort="name asc")
    by_name = sorted(selectors.published().values_list("name", flat=True))
    assert [d.name for d in second.datasets] == by_name[2:4]


@pytest.mark.postgres_only
def test_postgresql_searches_words_through_the_trigram_index(shkoder):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'opendata_searchdocument_text_trgm'"
        )
        assert "gin_trgm_ops" in cursor.fetchone()[0]


def test_the_reindex_command_rebuilds_documents_lost_outside_the_services(published, capsys):
    from django.core.management import call_command

    SearchDocument.objects.all().delete()
    cache.clear()
    assert selectors.search().count == 0
    call_command("opendata", "reindex")
    assert capsys.readouterr().out.strip().endswith("1 search document(s) written")
    assert selectors.search().count == 1
