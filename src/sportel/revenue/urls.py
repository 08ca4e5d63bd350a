"""Revenue routes: staff pages under ``/<municipality>/staff/revenue/``, the resident's own
taxes under ``/<municipality>/taxes/``."""

from django.urls import include, path

from . import views

staff_patterns = (
    [
        path("", views.dashboard, name="dashboard"),
        path("assessment/", views.assessment, name="assessment"),
        path("assessment/<int:pk>/", views.run, name="run"),
        path("statements/", views.statement_list, name="statements"),
        path("statements/<int:pk>/", views.statement, name="statement"),
        path("queue/", views.queue, name="queue"),
        path("cash/", views.cash, name="cash"),
        path("arrears/", views.arrears, name="arrears"),
        path("export.<slug:fmt>", views.export, name="export"),
    ],
    "revenue-staff",
)

public_patterns = (
    [
        path("", views.my_taxes, name="mine"),
        path("pay/<str:reference>/", views.pay, name="pay"),
        path("clearance/", views.clearance_view, name="clearance"),
        path("callback/<slug:provider>/", views.provider_callback, name="callback"),
    ],
    "revenue",
)

urlpatterns = [
    path("staff/revenue/", include(staff_patterns)),
    path("taxes/", include(public_patterns)),
]
