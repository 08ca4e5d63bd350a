from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "sportel.reports"
    label = "reports"
    verbose_name = _("Problem reports: categories, reports, clusters, Open311")

    def ready(self) -> None:
        # Registers the demo categories, the statistics feed and the screen panel.
        from . import demo, publishing  # noqa: F401
