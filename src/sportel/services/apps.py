from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "sportel.services"
    label = "services"
    verbose_name = _("Services: catalogue, applications and cases")

    def ready(self) -> None:
        # Registers the catalogue and demo-case seeder with sportel.core.demo.
        from . import (
            audit_words,
            catalogue,  # noqa: F401
            identity,  # noqa: F401 -- attaches cases when an identity is proven
        )
        from .web_links import register_links

        register_links()
        from . import feeds

        feeds.register()  # the open data portal's statistics (core/feeds.py)
        audit_words.register()
        from sportel.core import warmup

        from .applications import warm_instant_services

        warmup.register("services.instant_services", warm_instant_services)
        # What a submission reads and writes (core.warmup.warm_connection).
        warmup.register_hot_models(
            "services.ServiceType",
            "services.ServiceTypeVersion",
            "services.AssignmentRule",
            "services.CaseCounter",
            "services.Application",
            "services.Case",
            "services.CaseEvent",
        )
