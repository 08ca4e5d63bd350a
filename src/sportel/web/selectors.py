"""Reads for the public pages: municipalities by county, with a search that ignores accents."""

from itertools import groupby

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.text import slugify

from sportel.core.models import Municipality


def municipalities_for_directory(query: str = "") -> QuerySet[Municipality]:
    """Active municipalities ordered by county then name, matching ``query`` if given.

    The query matches a municipality's or one of its administrative units' name. Both sides
    are compared as slugs, so "Shkoder", "shkodër" and "SHKODËR" find Shkodër on SQLite and
    PostgreSQL alike (the slugs are ASCII).
    """
    municipalities = Municipality.objects.filter(is_active=True)
    needle = slugify(query)
    if needle:
        municipalities = municipalities.filter(
            Q(slug__contains=needle) | Q(units__slug__contains=needle)
        ).distinct()
    return municipalities.order_by("county", "name")


# A slug that no municipality has, reversed once and replaced by each real slug (slugs are
# [-a-zA-Z0-9_], which reverse() never escapes, so the substitution gives reverse()'s own URL).
_SLUG_MARK = "sportel-slug-mark"


def municipality_directory(query: str = "") -> list[dict]:
    """The home page's directory: ``[{"county", "municipalities": [{"name", "url"}]}]``.

    One query for plain (name, slug, county) tuples and one ``reverse()`` for all the links:
    61 model instances and 61 ``{% url %}`` tags were most of the home page's CPU time.
    """
    rows = municipalities_for_directory(query).values_list("county", "name", "slug")
    pattern = reverse("municipality-home", kwargs={"municipality_slug": _SLUG_MARK})
    before, _mark, after = pattern.partition(_SLUG_MARK)
    return [
        {
            "county": county,
            "municipalities": [
                {"name": name, "url": f"{before}{slug}{after}"} for _c, name, slug in group
            ],
        }
        for county, group in groupby(rows, key=lambda row: row[0])
    ]
