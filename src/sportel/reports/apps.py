from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "sportel.reports"
    label = "reports"
    verbose_name = _("Problem reports: categories, reports, clusters, Open311")

    def ready(self) -> None:
        # Registers the demo categories, the statistics feed and the screen panel.
        from sportel.accounts.staff import register_staff_link
        from sportel.web.links import register_municipal_link

        from . import demo, publishing  # noqa: F401

        register_municipal_link(
            "reports:new",
            _("Report a problem"),
            _(
                "A blocked channel, a pothole, a dark street light: tell the municipality where, "
                "with a photo."
            ),
            order=20,
        )
        register_municipal_link(
            "reports:priorities",
            _("Priority list"),
            _(
                "What residents report most, ranked with every factor shown, and what the "
                "council funded."
            ),
            order=25,
        )
        register_staff_link(
            _("Problem reports"),
            "staff-reports:queue",
            "reports.read",
            _("The triage queue, reports filed for walk-ins and callers, clusters and funding."),
        )
        register_staff_link(
            _("Report settings"),
            "staff-reports:configure",
            "reports.configure",
            _("Categories (Open311 services), routing to teams, area weights, the ban list, keys."),
        )
