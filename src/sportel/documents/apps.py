from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "sportel.documents"
    label = "documents"
    verbose_name = _("Documents: sealed certificates, registry, transparency log")

    def ready(self) -> None:
        from . import demo, metrics  # noqa: F401 -- registers the demo seeder and the collectors
