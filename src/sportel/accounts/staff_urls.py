"""Staff pages of the accounts app, under ``/<municipality_slug>/staff/``."""

from django.urls import path

from . import identity_views, views

app_name = "staff"

urlpatterns = [
    path("", views.staff_home, name="home"),
    path("identity/", identity_views.verify_identity, name="verify-identity"),
    path("identity/relationships/", identity_views.record_kin, name="record-kin"),
]
