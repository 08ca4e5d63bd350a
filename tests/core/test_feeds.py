"""The statistics-feed registry: disclosure control is applied once, for every feed."""

import pytest

from sportel.core.feeds import Feed, Field, suppressed_rows


def feed(rows):
    return Feed(
        name="test-feed",
        module="tests",
        title="Test",
        description="",
        fields=[
            Field("month", "date", "Month", key=True),
            Field("cases", "integer", "Cases", count=True),
            Field("late", "integer", "Late", count=True),
            Field("median_days", "number", "Median days", population="cases"),
        ],
        rows=lambda municipality: rows,
    )


def test_small_counts_and_statistics_over_small_populations_are_suppressed():
    rows = suppressed_rows(
        feed(
            [
                {"month": "2026-01", "cases": 120, "late": 3, "median_days": 4.5},
                {"month": "2026-02", "cases": 4, "late": 0, "median_days": 9.0},
                {"month": "2026-03", "cases": 5, "late": 5, "median_days": 2.0},
                {"month": "2026-04", "cases": 0, "late": 0, "median_days": None},
            ]
        ),
        None,
    )
    assert rows[0] == {"month": "2026-01", "cases": 120, "late": None, "median_days": 4.5}
    assert rows[1] == {"month": "2026-02", "cases": None, "late": 0, "median_days": None}
    assert rows[2] == {"month": "2026-03", "cases": 5, "late": 5, "median_days": 2.0}
    assert rows[3]["cases"] == 0


def test_the_threshold_is_a_setting(settings):
    settings.SPORTEL_OPEN_DATA_MIN_COUNT = 10
    rows = suppressed_rows(feed([{"month": "2026-01", "cases": 9, "late": 0}]), None)
    assert rows[0]["cases"] is None


def test_fields_not_declared_never_reach_the_output():
    rows = suppressed_rows(feed([{"month": "2026-01", "cases": 50, "nid": "J00000001A"}]), None)
    assert "nid" not in rows[0]


def test_a_statistic_must_name_a_count_as_its_population():
    with pytest.raises(ValueError, match="population"):
        Feed(
            name="bad",
            module="tests",
            title="",
            description="",
            fields=[Field("median", "number", "", population="cases")],
            rows=list,
        )


def test_table_schema_lists_keys_as_the_primary_key():
    schema = feed([]).table_schema()
    assert schema["primaryKey"] == ["month"]
    assert [f["type"] for f in schema["fields"]] == ["date", "integer", "integer", "number"]
