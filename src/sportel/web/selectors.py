"""Reads for the public pages: municipalities by county, with a search that ignores accents."""

from django.db.models import Q, QuerySet
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
