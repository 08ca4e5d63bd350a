"""Statistics feeds: what each module offers the open data portal to publish.

A module describes its aggregate statistics here, where it defines them, and registers them from
its ``AppConfig.ready()``; the open data module reads this registry and never another module's
models. A feed's rows are aggregates, never about one person: no names, numbers, addresses or free
text a resident wrote. Small counts are suppressed here, once, for every feed (statistical
disclosure control), so no module can forget to::

    from sportel.core.feeds import Feed, Field, register_feed

    register_feed(Feed(
        name="reports-per-category-month",            # unique, stable: the dataset's name
        module="reports",
        title=_("Problem reports per category and month"),
        description=_("..."),
        theme="GOVE",                                 # DCAT-AP data theme (EU vocabulary code)
        frequency="MONTHLY",                          # EU frequency vocabulary code
        fields=[
            Field("month", "date", _("Month"), key=True),
            Field("category", "string", _("Category"), key=True),
            Field("reports", "integer", _("Reports"), count=True),
            Field("median_days", "number", _("Median days to resolve"), population="reports"),
        ],
        rows=lambda municipality: [...],              # dicts keyed by field name
    ))

Suppression (``suppressed_rows``): a ``count`` field whose value is 1 to threshold-1 becomes
``None``; a field with ``population="reports"`` becomes ``None`` when that row's ``reports`` is
below the threshold (a median of three cases says too much about each of them). Zero stays zero.
The threshold is ``settings.SPORTEL_OPEN_DATA_MIN_COUNT`` (default 5).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.functional import Promise

FIELD_TYPES = {"string", "integer", "number", "date", "datetime", "year", "yearmonth", "boolean"}


@dataclass(frozen=True)
class Field:
    """One column: a Table Schema type, a title, and what disclosure control applies to it."""

    name: str
    type: str
    title: Promise | str
    key: bool = False  # a dimension (month, category, unit): never suppressed
    count: bool = False  # a count of people or records: suppressed when small
    population: str = ""  # a statistic over the count named here: suppressed when that is small
    description: Promise | str = ""

    def __post_init__(self):
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")
        if self.key and (self.count or self.population):
            raise ValueError(f"field {self.name}: a key is never a count or a statistic")


@dataclass(frozen=True)
class Feed:
    name: str
    module: str
    title: Promise | str
    description: Promise | str
    fields: list[Field]
    rows: Callable[..., Iterable[dict]]  # rows(municipality) -> the aggregate rows
    theme: str = "GOVE"
    frequency: str = "MONTHLY"
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"feed {self.name}: duplicate field names")
        counts = {f.name for f in self.fields if f.count}
        for f in self.fields:
            if f.population and f.population not in counts:
                raise ValueError(
                    f"feed {self.name}: {f.name}'s population {f.population!r} is not a count field"
                )

    def table_schema(self) -> dict:
        """The feed's columns as a Frictionless Table Schema (titles in the active language)."""
        return {
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "title": str(f.title),
                    **({"description": str(f.description)} if f.description else {}),
                }
                for f in self.fields
            ],
            "primaryKey": [f.name for f in self.fields if f.key],
            "missingValues": [""],
        }


_FEEDS: dict[str, Feed] = {}


def register_feed(feed: Feed) -> Feed:
    """Add a feed (from ``AppConfig.ready``); registering the same name twice replaces it."""
    _FEEDS[feed.name] = feed
    return feed


def feeds() -> list[Feed]:
    """Every registered feed, in registration order."""
    return list(_FEEDS.values())


def get_feed(name: str) -> Feed:
    return _FEEDS[name]


def threshold() -> int:
    return int(getattr(settings, "SPORTEL_OPEN_DATA_MIN_COUNT", 5))


def suppressed_rows(feed: Feed, municipality, *, minimum: int | None = None) -> list[dict]:
    """The feed's rows for one municipality, with disclosure control applied: the only way the
    open data module reads a feed."""
    limit = threshold() if minimum is None else minimum
    counts = [f.name for f in feed.fields if f.count]
    statistics = [f for f in feed.fields if f.population]
    names = [f.name for f in feed.fields]
    rows = []
    for raw in feed.rows(municipality):
        row = {name: raw.get(name) for name in names}
        populations = {name: row[name] for name in counts}
        for name in counts:
            value = row[name]
            if value is not None and 0 < value < limit:
                row[name] = None
        for f in statistics:
            population = populations.get(f.population)
            if population is None or population < limit:
                row[f.name] = None
        rows.append(row)
    return rows
