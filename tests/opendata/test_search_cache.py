"""A public search's count and facets are cached, and any publication shows at once."""

import pytest
from django.core.cache import cache
from django.test.utils import CaptureQueriesContext

from sportel.opendata import selectors, services, staging
from tests.opendata import factories

pytestmark = pytest.mark.django_db


def test_a_cached_search_sees_the_next_publication(published, shkoder, lezhe):
    from django.db import connection

    cache.clear()
    facets = ("organization", "tags", "res_format")
    first = selectors.search(facet_fields=facets)
    assert first.count == 1 and first.facets["organization"] == {"shkoder": 1}
    with CaptureQueriesContext(connection) as again:
        assert selectors.search(facet_fields=facets).facets == first.facets
    with CaptureQueriesContext(connection) as cold:
        cache.clear()
        selectors.search(facet_fields=facets)
    assert len(again) < len(cold)  # the count and the facets came from the cache

    upload = factories.staged(lezhe, title="Familje në Lezhë")
    services.publish_upload(upload, "tests", dataset=upload.dataset, rows=staging.rows_of(upload))
    after = selectors.search(facet_fields=facets)
    assert after.count == 2
    assert after.facets["organization"] == {"lezhe": 1, "shkoder": 1}
    assert after.facets["res_format"] == {"CSV": 2}
    own = selectors.search(fq="organization:lezhe")
    assert own.count == 1 and [d.name for d in own.datasets] == [upload.dataset.name]
