"""The statistics-feed registry: disclosure control is applied once, for every feed."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def punctuality(rows):
    return Feed(
        name="test-punctuality",
        module="tests",
        title="Test",
        description="",
        fields=[
            Field("month", "yearmonth", "Month", key=True),
            Field("applications", "integer", "Applications", count=True),
            Field("decided", "integer", "Decided", count=True, part_of="applications"),
            Field("on_time_share", "number", "On time", share_of="decided"),
        ],
        rows=lambda municipality: rows,
    )


def derivable_counts(feed, row):
    """Every count a reader can pin down from one published row: the values themselves, a whole
    minus its part, and the parts (and rests) a share of a published population allows."""
    found = []
    for f in feed.fields:
        value = row[f.name]
        if f.count and value is not None:
            found.append({value})
            whole = row.get(f.part_of) if f.part_of else None
            if whole is not None:
                found.append({whole - value})
        if f.share_of and value is not None:
            population = row[f.share_of]
            if population is None:
                continue
            parts = {k for k in range(population + 1) if round(k / population, f.digits) == value}
            found.append(parts)
            found.append({population - k for k in parts})
    return found


def test_a_share_that_reveals_a_small_late_count_is_withheld():
    rows = suppressed_rows(
        punctuality(
            [
                {"month": "2026-01", "applications": 12, "decided": 12, "on_time_share": 10 / 12},
                {"month": "2026-02", "applications": 12, "decided": 12, "on_time_share": 1.0},
                {"month": "2026-03", "applications": 20, "decided": 20, "on_time_share": 0.5},
                {"month": "2026-04", "applications": 14, "decided": 12, "on_time_share": 0.5},
                {"month": "2026-05", "applications": 4, "decided": 0, "on_time_share": None},
            ]
        ),
        None,
    )
    shares = [(r["applications"], r["decided"], r["on_time_share"]) for r in rows]
    assert shares == [
        (12, 12, None),  # 0.83 of 12: 2 late
        (12, 12, 1.0),  # all on time: 0 late is no one
        (20, 20, 0.5),
        (14, None, 0.5),  # 12 of 14 decided: 2 undecided, so the part goes; the share says 6 of ?
        (None, None, None),  # 4 undecided: the part goes with its small whole
    ]


def test_a_share_of_many_rounded_to_one_is_withheld_when_a_few_could_be_late():
    rows = suppressed_rows(
        punctuality(
            [
                {
                    "month": "2026-01",
                    "applications": 1000,
                    "decided": 1000,
                    "on_time_share": 998 / 1000,
                }
            ]
        ),
        None,
    )
    assert rows[0]["on_time_share"] is None  # 1.00 of 1000: 0 to 5 late, 2 to 4 among them


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.integers(0, 60).flatmap(
            lambda applications: st.integers(0, applications).flatmap(
                lambda decided: st.tuples(
                    st.just(applications), st.just(decided), st.integers(0, decided)
                )
            )
        ),
        min_size=1,
        max_size=8,
    ),
    limit=st.integers(2, 11),
)
def test_no_published_row_lets_a_reader_derive_a_small_count(rows, limit):
    feed = punctuality(
        [
            {
                "month": f"2026-{i % 12 + 1:02d}",
                "applications": applications,
                "decided": decided,
                "on_time_share": on_time / decided if decided else None,
            }
            for i, (applications, decided, on_time) in enumerate(rows)
        ]
    )
    for row in suppressed_rows(feed, None, minimum=limit):
        for candidates in derivable_counts(feed, row):
            if len(candidates) == 1:  # pinned down exactly
                [count] = candidates
                assert not 0 < count < limit, (row, candidates)
            assert not any(0 < count < limit for count in candidates), (row, candidates)
