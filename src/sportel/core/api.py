from ninja import Router, Schema, Status

from .api_errors import responses
from .selectors import active_municipalities
from .tenancy import request_municipality

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
    municipality = request_municipality(request)
    return Status(
        200,
        {
            "slug": municipality.slug,
            "name": municipality.name,
            "county": municipality.county,
            "code": municipality.code,
            "units": list(municipality.units.order_by("name")),
        },
    )
