"""Pages under ``/<municipality_slug>/participation/``."""

from django.urls import path

from . import views

app_name = "participation"

urlpatterns = [
    path("", views.budgets, name="budgets"),
    path("budgets/<slug:slug>/", views.budget_detail, name="budget"),
    path("budgets/<slug:slug>/vote/", views.vote, name="vote"),
    path("budgets/<slug:slug>/results/", views.results, name="results"),
    path("budgets/<slug:slug>/ballots.pb", views.ballots_file, name="ballots"),
]
