from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FloorConfig(AppConfig):
    name = "sportel.floor"
    label = "floor"
    verbose_name = _("The floor: queue tickets, counters, kiosks and information screens")

    def ready(self) -> None:
        # Demo seeding, the statistics feed, and linking counter cases to the ticket served.
        from . import demo, feeds, signals  # noqa: F401
        from .web_links import register_links

        register_links()

        from sportel.core.tasks import register_periodic

        from .reminders import send_due_reminders

        register_periodic("floor_appointment_reminders", send_due_reminders)
