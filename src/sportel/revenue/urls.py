"""Revenue routes: staff pages under ``/<municipality>/staff/revenue/``, the resident's own
taxes under ``/<municipality>/taxes/``."""

from django.urls import include, path

from . import costing_views, letter_views, views

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
        path("notices/", letter_views.send_notices, name="send-notices"),
        path("arrears/reminders/", letter_views.send_reminders, name="send-reminders"),
        path("appeals/", letter_views.appeal_list, name="appeals"),
        path("appeals/<int:pk>/", letter_views.appeal_detail, name="appeal"),
        path("appeals/<int:pk>/attachment", letter_views.appeal_attachment, name="appeal-file"),
        path("enforcement/", letter_views.enforcement_page, name="enforcement"),
        path("enforcement.csv", letter_views.enforcement_csv, name="enforcement-csv"),
        path("enforcement/<int:pk>/", letter_views.enforcement_case, name="enforcement-case"),
        path("costing/", costing_views.plan_list, name="costing"),
        path("costing/<int:pk>/", costing_views.plan_detail, name="costing-plan"),
        path("bills/<str:reference>/", views.bill, name="bill"),
        path("representatives/", views.representatives, name="representatives"),
    ],
    "revenue-staff",
)

public_patterns = (
    [
        path("", views.my_taxes, name="mine"),
        path("pay/<str:reference>/", views.pay, name="pay"),
        path("clearance/", views.clearance_view, name="clearance"),
        path("callback/<slug:provider>/", views.provider_callback, name="callback"),
        path("notice/<str:reference>/", letter_views.notice, name="notice"),
        path("letters/<int:pk>/", letter_views.letter, name="letter"),
        path("appeal/<str:reference>/", letter_views.appeal, name="appeal"),
    ],
    "revenue",
)

urlpatterns = [
    path("staff/revenue/", include(staff_patterns)),
    path("taxes/", include(public_patterns)),
]
