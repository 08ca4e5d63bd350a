from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
]

municipal_urlpatterns = [
    path("", views.municipality_home, name="municipality-home"),
]
