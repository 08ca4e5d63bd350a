"""Citizen pages under ``/<municipality_slug>/services/``, the same apply flow at a kiosk under
``/<municipality_slug>/kiosk/``, and tracking by code under ``/<municipality_slug>/track/``."""

from django.urls import path

from . import kiosk_views, views

app_name = "services"


def apply_flow(channel: str) -> list:
    """The catalogue → service → apply → receipt flow, filed through ``channel``."""
    kw = {"channel": channel}
    return [
        path("", views.catalogue, kw, name="catalogue"),
        path("drafts/<int:pk>/", views.draft_details, kw, name="draft-details"),
        path("drafts/<int:pk>/attachments/", views.draft_attachments, kw, name="draft-attachments"),
        path("drafts/<int:pk>/review/", views.draft_review, kw, name="draft-review"),
        path("cases/<str:number>/receipt/", views.receipt, kw, name="receipt"),
        path("<slug:code>/apply/", views.apply, kw, name="apply"),
        path("<slug:code>/", views.service_detail, kw, name="service"),
    ]


urlpatterns = [
    path("mine/", views.my_applications, name="mine"),
    path("moving-home/", views.moving_home, name="moving-home"),
    path("moving-home/<int:pk>/", views.bundle_detail, name="bundle"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/answer/", views.case_answer, name="case-answer"),
    path("cases/<str:number>/withdraw/", views.case_withdraw, name="case-withdraw"),
    path("cases/<str:number>/document.pdf", views.case_document, name="case-document"),
    *apply_flow("online"),
]

kiosk_urlpatterns = (
    [
        path("finish/", views.kiosk_finish, name="finish"),
        path("cases/<str:number>/document/", kiosk_views.document, name="document"),
        path("cases/<str:number>/document/send/", kiosk_views.send_document, name="send-document"),
        *apply_flow("kiosk"),
    ],
    "kiosk",
)

track_urlpatterns = ([path("", views.track, name="track")], "tracking")

# /track/<code> (outside any municipality): the link printed in notifications.
public_urlpatterns = [path("track/<str:code>", views.track_code, name="track-code")]
