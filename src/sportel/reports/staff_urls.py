"""Staff pages under ``/<municipality_slug>/staff/reports/``."""

from django.urls import path

from . import configure_views, staff_views

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
    path("configure/", configure_views.overview, name="configure"),
    path("configure/categories/new/", configure_views.category, name="configure-new-category"),
    path("configure/categories/<int:pk>/", configure_views.category, name="configure-category"),
    path(
        "configure/categories/<int:pk>/active/",
        configure_views.category_active,
        name="configure-category-active",
    ),
    path(
        "configure/categories/<int:pk>/questions/new/",
        configure_views.question,
        name="configure-new-question",
    ),
    path(
        "configure/categories/<int:pk>/questions/<int:qpk>/",
        configure_views.question,
        name="configure-question",
    ),
    path(
        "configure/categories/<int:pk>/questions/<int:qpk>/move/",
        configure_views.question_move,
        name="configure-question-move",
    ),
    path(
        "configure/categories/<int:pk>/questions/<int:qpk>/active/",
        configure_views.question_active,
        name="configure-question-active",
    ),
    path("configure/routing/", configure_views.routing, name="configure-routing"),
    path(
        "configure/routing/<int:pk>/remove/",
        configure_views.routing_remove,
        name="configure-routing-remove",
    ),
    path("configure/weights/", configure_views.weights, name="configure-weights"),
    path(
        "configure/weights/<int:pk>/remove/",
        configure_views.weight_remove,
        name="configure-weight-remove",
    ),
    path("configure/bans/", configure_views.bans, name="configure-bans"),
    path("configure/bans/<int:pk>/lift/", configure_views.ban_lift, name="configure-ban-lift"),
]
