from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sportel.core"
    label = "core"
    verbose_name = _("Core: municipalities, people, audit log")

    def ready(self):
        from sportel.core import checks  # noqa: F401  (registers the deployment checks)
