"""Loading Albania's 61 municipalities and 373 administrative units (2015 reform).

The list ships with Sportel (``core/data/municipalities.csv``, from shared/data, checked against
the municipalities' own pages for Shkodër and Lezhë).
"""

import csv
from collections import defaultdict
from importlib import resources

from django.db import transaction
from django.http import Http404
from django.utils.text import slugify

from . import audit
from .models import AdministrativeUnit, Municipality

# Where the first three letters of two slugs collide, the later ones get a code of their own.
CODE_OVERRIDES = {"librazhd": "LRZ", "maliq": "MAQ", "mallakaster": "MLK", "malesi-e-madhe": "MMA"}


def municipality_code(slug: str) -> str:
    return CODE_OVERRIDES.get(slug, slug.replace("-", "")[:3].upper())


def national_list() -> dict[tuple[str, str, str], list[str]]:
    """{(slug, name, county): [unit names]} from the shipped CSV."""
    rows: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    text = resources.files("sportel.core").joinpath("data/municipalities.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        rows[(row["slug"], row["municipality_sq"], row["county_sq"])].append(row["unit_sq"])
    return rows


@transaction.atomic
def load_municipalities(only: set[str] | None = None, *, actor=None) -> int:
    """Create (or update) municipalities and their units; returns how many were loaded."""
    loaded = 0
    for (slug, name, county), units in national_list().items():
        if only and slug not in only:
            continue
        municipality, created = Municipality.objects.update_or_create(
            slug=slug, defaults={"name": name, "county": county, "code": municipality_code(slug)}
        )
        for unit in units:
            AdministrativeUnit.objects.update_or_create(
                municipality=municipality, slug=slugify(unit), defaults={"name": unit}
            )
        if created:
            audit.record("municipality.create", actor=actor, obj=municipality, data={"slug": slug})
        loaded += 1
    return loaded


def request_municipality(request) -> Municipality:
    """The municipality the request's path names, as ``TenantMiddleware`` resolved it; Http404
    when the path names none or an unknown one."""
    municipality = getattr(request, "municipality", None)
    if municipality is None:
        raise Http404
    return municipality
