"""Public pages (inside the language prefix: /verify/... in Albanian, /en/verify/... in English)
and the staff pages under /<municipality_slug>/staff/documents/."""

from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("verify/", views.verify_start, name="verify"),
    path("verify/<str:code>", views.verify_code, name="verify-code"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency/proof/inclusion", views.inclusion_proof, name="proof-inclusion"),
    path("transparency/proof/consistency", views.consistency_proof, name="proof-consistency"),
]

staff_urlpatterns = (
    [
        path("", views.staff_monitor, name="monitor"),
        path("<str:code>/", views.staff_document, name="document"),
        path("<str:code>/revoke", views.staff_revoke, name="revoke"),
        path("<str:code>/reissue", views.staff_reissue, name="reissue"),
    ],
    "documents-staff",
)
