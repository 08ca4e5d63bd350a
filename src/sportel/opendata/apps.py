from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "sportel.opendata"
    label = "opendata"
    verbose_name = _("Open data: datasets, CKAN API, DCAT, data packages")

    def ready(self) -> None:
        from . import demo, links  # noqa: F401 -- registers the demo seeder

        links.register()
