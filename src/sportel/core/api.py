from django.http import Http404
from ninja import Router, Schema

from .api_errors import responses
from .selectors import active_municipalities, municipality_by_slug

router = Router(tags=["municipalities"])


class UnitOut(Schema):
    slug: str
    name: str


class MunicipalityOut(Schema):
    slug: str
    name: str
    county: str
    code: str


class MunicipalityDetail(MunicipalityOut):
    units: list[UnitOut]


@router.get("/municipalities", response=list[MunicipalityOut])
def list_municipalities(request):
    return list(active_municipalities())


@router.get("/municipalities/{slug}", response=responses({200: MunicipalityDetail}))
def get_municipality(request, slug: str):
    municipality = municipality_by_slug(slug)
    if municipality is None:
        raise Http404
    return 200, {
        "slug": municipality.slug,
        "name": municipality.name,
        "county": municipality.county,
        "code": municipality.code,
        "units": list(municipality.units.order_by("name")),
    }
