"""Staff pages under ``/<municipality_slug>/staff/participation/``."""

from django.urls import path

from . import staff_views

app_name = "participation-staff"

urlpatterns = [
    path("", staff_views.index, name="index"),
    path("budgets/new/", staff_views.budget_edit, name="budget-new"),
    path("budgets/<slug:slug>/edit/", staff_views.budget_edit, name="budget-edit"),
    path("budgets/<slug:slug>/projects/", staff_views.projects, name="projects"),
    path(
        "budgets/<slug:slug>/projects/<int:pk>/review/", staff_views.review, name="project-review"
    ),
    path("budgets/<slug:slug>/publish/", staff_views.publish, name="publish"),
    path("proposals/<int:pk>/answer/", staff_views.answer, name="answer"),
    path("proposals/<int:pk>/ballot/", staff_views.proposal_ballot, name="proposal-ballot"),
    path("consultations/new/", staff_views.consultation_new, name="consultation-new"),
    path(
        "consultations/<slug:slug>/summary/",
        staff_views.consultation_summary,
        name="consultation-summary",
    ),
    path("moderation/", staff_views.moderation, name="moderation"),
    path("moderation/<int:comment>/", staff_views.decide, name="decide"),
    path("moderation/merge/", staff_views.merge, name="merge"),
    path("budgets/<slug:slug>/counter/", staff_views.counter_vote, name="counter-vote"),
]
