"""The kiosk's own login under ``/<municipality_slug>/kiosk/login/`` (no sign-up at a kiosk)."""

from django.urls import path

from . import views

app_name = "kiosk-accounts"

urlpatterns = [path("login/", views.KioskLoginView.as_view(), name="login")]
