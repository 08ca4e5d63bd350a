from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevenueConfig(AppConfig):
    name = "sportel.revenue"
    label = "revenue"
    verbose_name = _("Revenue: local taxes, fees, payments and the ledger")

    def ready(self) -> None:
        from sportel.services.fees import register_fee_receiver

        from . import demo, feeds  # noqa: F401 -- registers the demo seeder and the feed
        from .payments import take_service_fee

        # The counter's service fee is a cash payment in the ledger (issue 11).
        register_fee_receiver(take_service_fee)
