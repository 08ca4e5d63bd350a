from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "sportel.opendata"
    label = "opendata"
    verbose_name = _("Open data: datasets, CKAN API, DCAT, data packages")

    def ready(self) -> None:
        from . import demo, links  # noqa: F401 -- registers the demo seeder

        links.register()
        from django.db.models.signals import post_save

        from sportel.core.models import Municipality

        post_save.connect(
            _municipality_saved, sender=Municipality, dispatch_uid="opendata.reindex_municipality"
        )


def _municipality_saved(sender, instance, created, **kwargs):
    """A municipality switched off leaves the public search; renamed, its datasets follow."""
    if not created and not kwargs.get("raw"):
        from .search_index import reindex_municipality

        reindex_municipality(instance)
