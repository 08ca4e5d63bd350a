"""Reads on tenancy and people."""

from django.db.models import Count, QuerySet

from . import rowcache
from .models import AdministrativeUnit, Municipality


def active_municipalities() -> QuerySet[Municipality]:
    return (
        Municipality.objects.filter(is_active=True)
        .annotate(unit_count=Count("units"))
        .order_by("name")
    )


def municipality_by_slug(slug: str) -> Municipality | None:
    # Every request on a municipality's address asks: this process's copy while no
    # municipality was edited (one short statement instead of the row's, core.rowcache).
    return rowcache.cached(
        ("municipality", slug),
        lambda: Municipality.objects.filter(slug=slug, is_active=True).first(),
    )


def units_of(municipality: Municipality) -> QuerySet[AdministrativeUnit]:
    return municipality.units.order_by("name")
