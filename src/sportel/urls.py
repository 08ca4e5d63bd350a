"""URLs. Operational and standard APIs sit outside the language prefix; pages are Albanian at
``/`` and English under ``/en/``. Municipal pages live under ``/<municipality_slug>/``."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from sportel.api import api
from sportel.core import views as core_views
from sportel.documents import urls as documents_urls
from sportel.floor import urls as floor_urls
from sportel.opendata import urls as opendata_urls
from sportel.services import urls as services_urls
from sportel.web import urls as web_urls

handler400 = "sportel.web.errors.bad_request"
handler403 = "sportel.web.errors.permission_denied"
handler404 = "sportel.web.errors.page_not_found"
handler500 = "sportel.web.errors.server_error"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("metrics", core_views.metrics_view, name="metrics"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("oidc/kiosk/", include(floor_urls.eid_urlpatterns)),
    path("open311/v2/", include("sportel.reports.open311")),
    path("", include(opendata_urls.machine_urlpatterns)),
]

# Municipal pages: each module adds ``path("<slug:municipality_slug>/<module>/", include(...))``.
municipal = [
    path(
        "<slug:municipality_slug>/staff/documents/",
        include(documents_urls.staff_urlpatterns),
    ),
    path(
        "<slug:municipality_slug>/staff/opendata/",
        include(opendata_urls.staff_urlpatterns),
    ),
    path("<slug:municipality_slug>/", include(web_urls.municipal_urlpatterns)),
    path("<slug:municipality_slug>/staff/", include("sportel.accounts.staff_urls")),
    path("<slug:municipality_slug>/staff/", include("sportel.services.staff_urls")),
    path("<slug:municipality_slug>/services/", include("sportel.services.urls")),
    # Before the kiosk flow, whose "<service code>/" would otherwise take "login/".
    path("<slug:municipality_slug>/kiosk/", include("sportel.accounts.kiosk_urls")),
    path("<slug:municipality_slug>/kiosk/", include(services_urls.kiosk_urlpatterns)),
    path("<slug:municipality_slug>/track/", include(services_urls.track_urlpatterns)),
    path("<slug:municipality_slug>/reports/", include("sportel.reports.urls")),
    path("<slug:municipality_slug>/staff/reports/", include("sportel.reports.staff_urls")),
    path("<slug:municipality_slug>/floor/", include(floor_urls)),
    path("<slug:municipality_slug>/staff/floor/", include(floor_urls.staff_urlpatterns)),
    path("<slug:municipality_slug>/", include("sportel.revenue.urls")),
    path("<slug:municipality_slug>/participation/", include("sportel.participation.urls")),
    path(
        "<slug:municipality_slug>/staff/participation/",
        include("sportel.participation.staff_urls"),
    ),
]

urlpatterns += i18n_patterns(
    path("", include(web_urls)),
    path("", include(documents_urls)),
    path("", include(opendata_urls)),
    *services_urls.public_urlpatterns,
    path("account/", include("sportel.accounts.urls")),
    *municipal,
    prefix_default_language=False,
)
