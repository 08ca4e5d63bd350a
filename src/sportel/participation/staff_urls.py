"""Staff pages under ``/<municipality_slug>/staff/participation/``."""

from django.urls import path

from . import staff_views

app_name = "participation-staff"

urlpatterns = [
    path("budgets/<slug:slug>/counter/", staff_views.counter_vote, name="counter-vote"),
]
