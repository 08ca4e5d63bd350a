"""The JSON API (django-ninja): OpenAPI 3 at /api/v1/openapi.json, docs at /api/v1/docs.

Each module adds its router here. Errors use one shape: ``{"detail": ..., "code": ...}``.
"""

from ninja import NinjaAPI

from sportel.core.api import router as core_router
from sportel.documents.api import router as documents_router
from sportel.services.api import router as services_router

api = NinjaAPI(
    title="Sportel API",
    version="1",
    urls_namespace="api-v1",
    description="Municipal one-stop-shop services. Albanian first, English second.",
)
api.add_router("/", core_router)
api.add_router("/documents", documents_router)
api.add_router("/", services_router)
