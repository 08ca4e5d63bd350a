"""Public pages under ``/<municipality_slug>/reports/``: report a problem, follow it, the map and
the priority list."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_start, name="new"),
    path("new/<slug:code>/", views.report_form, name="form"),
    path("confirm/<int:pk>/", views.confirm, name="confirm"),
    path("r/<int:pk>/", views.report_detail, name="detail"),
    path("r/<int:pk>/reporter/", views.reporter_page, name="reporter"),
    path("clusters/<int:pk>/voice/", views.voice, name="voice"),
    path("alerts/", views.subscribe, name="subscribe"),
    path("alerts/manage/", views.subscription, name="subscription"),
    path("priorities/", views.priorities, name="priorities"),
    path("priorities/screen/", views.priorities, {"screen": True}, name="priorities-screen"),
]
