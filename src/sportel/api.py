"""The JSON API (django-ninja): OpenAPI 3 at /api/v1/openapi.json, docs at /api/v1/docs.

Each module adds its router here. Errors use one shape, mapped once for every router
(``core.api_errors.install``): ``{"detail": ..., "code": ...}``, plus ``errors`` by field.
Every operation runs in the caller's language (``?lang=``, else ``Accept-Language``).
"""

from ninja import NinjaAPI

from sportel.core import api_errors
from sportel.core.api import router as core_router
from sportel.documents.api import router as documents_router
from sportel.floor.api import router as floor_router
from sportel.participation.api import router as participation_router
from sportel.services.api import router as services_router

api = NinjaAPI(
    title="Sportel API",
    version="1",
    urls_namespace="api-v1",
    description="Municipal one-stop-shop services. Albanian first, English second.",
)
api_errors.install(api)
api.add_decorator(api_errors.in_callers_language, mode="view")
api.add_router("/", core_router)
api.add_router("/documents", documents_router)
api.add_router("/", services_router)
api.add_router("/", floor_router)
api.add_router("/", participation_router)
