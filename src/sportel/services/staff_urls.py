"""Staff pages under ``/<municipality_slug>/staff/``: the counter and the case queue."""

from django.urls import path

from . import staff_views

app_name = "services-staff"

urlpatterns = [
    path("counter/", staff_views.counter, name="counter"),
    path("counter/services/", staff_views.counter_services, name="counter-services"),
    path("counter/apply/<slug:code>/", staff_views.counter_apply, name="counter-apply"),
    path(
        "counter/cases/<str:number>/receipt/",
        staff_views.counter_receipt,
        name="counter-receipt",
    ),
    path("cases/", staff_views.queue, name="queue"),
    path("cases/<str:number>/", staff_views.case_file, name="case"),
    path("cases/<str:number>/document.pdf", staff_views.case_document, name="case-document"),
    path(
        "cases/<str:number>/attachments/<int:pk>/",
        staff_views.case_attachment,
        name="case-attachment",
    ),
    path("cases/<str:number>/<slug:action>/", staff_views.case_action, name="case-action"),
]
