"""Reads on tenancy and people."""

from django.db.models import Count, QuerySet

from .models import AdministrativeUnit, Municipality


def active_municipalities() -> QuerySet[Municipality]:
    return (
        Municipality.objects.filter(is_active=True)
        .annotate(unit_count=Count("units"))
        .order_by("name")
    )


def municipality_by_slug(slug: str) -> Municipality | None:
    return Municipality.objects.filter(slug=slug, is_active=True).first()


def units_of(municipality: Municipality) -> QuerySet[AdministrativeUnit]:
    return municipality.units.order_by("name")
