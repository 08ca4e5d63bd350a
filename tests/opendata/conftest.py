"""Open data fixtures: a statistics feed with known rows (some counts small enough to be
suppressed), published for Shkodër the way the worker publishes every feed."""

import pytest

from sportel.core import feeds

ROWS = [
    {"month": "2026-01", "category": "ndricim", "reports": 12, "median_days": 4.5},
    {"month": "2026-01", "category": "ujitje", "reports": 3, "median_days": 2.0},
    {"month": "2026-02", "category": "ndricim", "reports": 9, "median_days": 3.0},
    {"month": "2026-02", "category": "ujitje", "reports": 0, "median_days": None},
    {"month": "2026-03", "category": "ndricim", "reports": 20, "median_days": 6.0},
    {"month": "2026-03", "category": "ujitje", "reports": 5, "median_days": 1.5},
]

TEST_FEED = feeds.Feed(
    name="test-reports-per-category-month",
    module="tests",
    title="Raportime sipas kategorisë dhe muajit",
    description="Raportime të problemeve sipas kategorisë dhe muajit.",
    theme="GOVE",
    frequency="MONTHLY",
    keywords=("raportime", "test"),
    fields=[
        feeds.Field("month", "yearmonth", "Muaji", key=True),
        feeds.Field("category", "string", "Kategoria", key=True),
        feeds.Field("reports", "integer", "Raportime", count=True),
        feeds.Field("median_days", "number", "Ditë (mediana)", population="reports"),
    ],
    rows=lambda municipality: [dict(r) for r in ROWS],
)


@pytest.fixture
def test_feed():
    feeds.register_feed(TEST_FEED)
    yield TEST_FEED
    feeds._FEEDS.pop(TEST_FEED.name, None)


@pytest.fixture
def published(test_feed, shkoder, settings, tmp_path):
    """The test feed published for Shkodër: (dataset, resource)."""
    from sportel.opendata import services

    settings.MEDIA_ROOT = tmp_path / "media"
    services.publish_feed(shkoder, test_feed)
    from sportel.opendata.models import Dataset

    dataset = Dataset.objects.get(municipality=shkoder, feed=test_feed.name)
    return dataset, dataset.resources.get()
