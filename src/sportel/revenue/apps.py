from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevenueConfig(AppConfig):
    name = "sportel.revenue"
    label = "revenue"
    verbose_name = _("Revenue: local taxes, fees, payments and the ledger")
