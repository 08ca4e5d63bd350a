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

Suppression (``suppressed_rows``), with ``t`` the threshold ``settings.SPORTEL_OPEN_DATA_MIN_COUNT``
(default 5). The rule: no published row lets a reader know a count of 1 to t-1, whether read
directly, by subtracting two values of the row, or by multiplying a share by its population.

- A ``count`` field whose value is 1 to t-1 becomes ``None``. Zero stays zero.
- A count with ``part_of="applications"`` is a part of that count in the same row (decided of
  applications): it also becomes ``None`` when the complement (whole - part, the undecided) is 1 to
  t-1, since a reader would subtract. The whole stays published; the part is what goes.
- A field with ``population="reports"`` (a median, a mean) becomes ``None`` when that row's
  ``reports`` is below t (a median of three cases says too much about each of them).
- A field with ``share_of="decided"`` is a fraction (0 to 1) of that count, handed over exact and
  rounded here to ``digits`` decimals. It becomes ``None`` when the population is below t, or when
  any part consistent with the published value (share x population, within the rounding), or its
  complement, could be 1 to t-1: 12 decided at 0.83 would reveal 2 late, so it is withheld; 12 at
  1.00 reveals 0 late and stays.

Independent counts in one row (documents issued and revoked in a month) are not parts of each other
and their difference counts nobody; only a declared ``part_of`` or ``share_of`` ties two values.
"""

import math
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
    part_of: str = ""  # a count that is part of the count named here: its complement is checked too
    share_of: str = ""  # a fraction of the count named here: the implied part and rest are checked
    digits: int = 2  # the decimals a share is published with
    description: Promise | str = ""

    def __post_init__(self):
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")
        if self.part_of and not self.count:
            raise ValueError(f"field {self.name}: only a count is part of another count")
        if self.share_of and (self.count or self.population):
            raise ValueError(f"field {self.name}: a share names its population as share_of")
        if self.key and (self.count or self.population or self.share_of):
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
            for whole in (f.population, f.part_of, f.share_of):
                if whole and whole not in counts:
                    raise ValueError(
                        f"feed {self.name}: {f.name}'s population {whole!r} is not a count field"
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


def _small(value, limit: int) -> bool:
    return value is not None and 0 < value < limit


def share_reveals(share: float, population: int, limit: int, digits: int = 2) -> bool:
    """Whether a share published with ``digits`` decimals of ``population`` lets a reader pin the
    part or its complement anywhere in 1..limit-1: every part k with round(k / population) equal
    to the published value is one the reader cannot rule out."""
    if population < limit:
        return True
    published = round(share, digits)
    half = 0.5 * 10**-digits
    lowest = max(0, math.ceil((published - half) * population - 1e-9))
    highest = min(population, math.floor((published + half) * population + 1e-9))
    parts = range(lowest, highest + 1)
    return any(_small(k, limit) or _small(population - k, limit) for k in parts)


def suppressed_rows(feed: Feed, municipality, *, minimum: int | None = None) -> list[dict]:
    """The feed's rows for one municipality, with disclosure control applied: the only way the
    open data module reads a feed."""
    limit = threshold() if minimum is None else minimum
    fields = feed.fields
    names = [f.name for f in fields]
    rows = []
    for raw in feed.rows(municipality):
        row = {name: raw.get(name) for name in names}
        exact = dict(row)  # decisions are made on the true values, never on what was withheld
        for f in fields:
            value = exact[f.name]
            if f.count:
                whole = exact.get(f.part_of) if f.part_of else None
                if _small(value, limit) or (
                    value is not None and whole is not None and _small(whole - value, limit)
                ):
                    row[f.name] = None
            elif f.population:
                population = exact.get(f.population)
                if population is None or population < limit:
                    row[f.name] = None
            elif f.share_of:
                population = exact.get(f.share_of)
                if (
                    value is None
                    or population is None
                    or share_reveals(value, population, limit, f.digits)
                ):
                    row[f.name] = None
                else:
                    row[f.name] = round(value, f.digits)
        rows.append(row)
    return rows
