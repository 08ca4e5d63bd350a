from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("accessibility/", views.accessibility, name="accessibility"),
]

municipal_urlpatterns = [
    path("", views.municipality_home, name="municipality-home"),
]
