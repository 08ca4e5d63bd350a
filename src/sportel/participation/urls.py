"""Pages under ``/<municipality_slug>/participation/``."""

from django.urls import path

from . import kiosk_views, views

app_name = "participation"

urlpatterns = [
    path("", views.budgets, name="budgets"),
    path("budgets/<slug:slug>/", views.budget_detail, name="budget"),
    path("budgets/<slug:slug>/vote/", views.vote, name="vote"),
    path("budgets/<slug:slug>/results/", views.results, name="results"),
    path("budgets/<slug:slug>/ballots.pb", views.ballots_file, name="ballots"),
    path("budgets/<slug:slug>/follow/", views.budget_follow, name="budget-follow"),
    path("consultations/<slug:slug>/", views.consultation_detail, name="consultation"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/<int:pk>/follow/", views.proposal_follow, name="proposal-follow"),
    path("proposals/<int:pk>/comments/", views.proposal_comment, name="proposal-comment"),
    path(
        "proposals/<int:pk>/comments/<int:comment>/report/",
        views.comment_report,
        name="comment-report",
    ),
    path("proposals/new/", views.proposal_new, name="proposal-new"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/support/", views.proposal_support, name="proposal-support"),
    path("proposals/<int:pk>/images/<int:image>", views.proposal_image, name="proposal-image"),
    path("kiosk/<str:token>/", kiosk_views.votes, name="kiosk-votes"),
    path("kiosk/<str:token>/budgets/<slug:slug>/", kiosk_views.vote, name="kiosk-vote"),
    path("kiosk/<str:token>/budgets/<slug:slug>/done/", kiosk_views.voted, name="kiosk-voted"),
    path("kiosk/<str:token>/finish/", kiosk_views.finish, name="kiosk-finish"),
]
