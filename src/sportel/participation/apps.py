from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "sportel.participation"
    label = "participation"
    verbose_name = _("Participation: proposals and participatory budgets")

    def ready(self) -> None:
        from . import (
            demo,  # noqa: F401 -- registers the demo budget with sportel.core.demo
            feeds,
            screens,
        )

        feeds.register()
        screens.register()

        from sportel.accounts.staff import register_staff_link
        from sportel.web.links import register_municipal_link

        register_municipal_link(
            "participation:budgets",
            _("Take part"),
            _("Proposals, consultations and participatory budgets: propose, discuss and vote."),
            order=30,
        )
        register_staff_link(
            _("Participation"),
            "participation-staff:index",
            "participation.manage",
            _("Budgets, projects, proposals to answer and consultations."),
        )
        # Moderation is the specialists' (accounts/roles.py), not the organisers': its own link.
        register_staff_link(
            _("Participation: moderation"),
            "participation-staff:moderation",
            "participation.moderate",
            _("Comments hidden after reports, waiting for a decision; merging proposals."),
        )
