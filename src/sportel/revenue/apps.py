from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevenueConfig(AppConfig):
    name = "sportel.revenue"
    label = "revenue"
    verbose_name = _("Revenue: local taxes, fees, payments and the ledger")

    def ready(self) -> None:
        from sportel.services.fees import register_fee_receiver

        # Registers the demo seeder, the feed, and the clearance service's check and content.
        from . import demo, feeds, service_link  # noqa: F401
        from .payments import take_service_fee

        # The counter's service fee is a cash payment in the ledger (issue 11).
        register_fee_receiver(take_service_fee)

        from sportel.accounts.staff import register_staff_link
        from sportel.web.links import register_municipal_link

        register_staff_link(
            _("Local taxes: collection"),
            "revenue-staff:dashboard",
            "revenue.read",
            _("Billed, collected and the collection rate; assessment, bank statements, arrears."),
        )
        register_staff_link(
            _("Local taxes: cash"),
            "revenue-staff:cash",
            "revenue.cash",
            _("Take cash for a tax bill and close your day."),
        )
        register_municipal_link(
            "revenue:mine",
            _("My taxes"),
            _("Your local tax bills, what is still owed, and paying online."),
            order=40,
        )
