"""Staff pages under ``/<municipality_slug>/staff/reports/``."""

from django.urls import path

from . import staff_views

app_name = "staff-reports"

urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("counter/", staff_views.counter, name="counter"),
    path("<int:pk>/", staff_views.report_page, name="report"),
    path("<int:pk>/<slug:action>/", staff_views.report_action, name="action"),
    path("clusters/<int:pk>/", staff_views.cluster_page, name="cluster"),
    path("clusters/<int:pk>/fund/", staff_views.fund, name="fund"),
    path("clusters/<int:pk>/fix/", staff_views.fix_cluster, name="fix-cluster"),
    path("keys/", staff_views.keys, name="keys"),
]
