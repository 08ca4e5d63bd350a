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
