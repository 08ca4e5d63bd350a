from ninja import Router, Schema

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


class Error(Schema):
    detail: str
    code: str


@router.get("/municipalities", response=list[MunicipalityOut])
def list_municipalities(request):
    return list(active_municipalities())


@router.get("/municipalities/{slug}", response={200: MunicipalityDetail, 404: Error})
def get_municipality(request, slug: str):
    municipality = municipality_by_slug(slug)
    if municipality is None:
        return 404, {"detail": "No such municipality", "code": "not_found"}
    return 200, {
        "slug": municipality.slug,
        "name": municipality.name,
        "county": municipality.county,
        "code": municipality.code,
        "units": list(municipality.units.order_by("name")),
    }
