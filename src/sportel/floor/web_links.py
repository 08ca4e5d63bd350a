"""The floor's entry points on the municipality home and on the staff home."""

from django.utils.translation import gettext_lazy as _


def register_links() -> None:
    from sportel.accounts.staff import register_staff_link
    from sportel.web.links import register_municipal_link

    register_municipal_link(
        "floor:appointments",
        _("Book an appointment"),
        _("Choose a time at the one-stop shop and skip the queue: check in at the kiosk."),
        order=50,
    )
    register_municipal_link(
        "floor:join",
        _("Join the queue"),
        _("Take a ticket for the one-stop shop from home, with the expected wait."),
        order=45,
    )
    register_staff_link(
        _("Counter screen"),
        "floor-staff:counter",
        "floor.counter",
        _("Sign in at your counter, call the next ticket, serve, transfer, hand out tickets."),
    )
    register_staff_link(
        _("Office status"),
        "floor-staff:offices",
        "floor.status",
        _("Counters open, who serves whom, waits now; reports of waits and service times."),
    )
    register_staff_link(
        _("Kiosks and screens"),
        "floor-staff:devices",
        "floor.configure",
        _("Register and revoke the office's kiosks and information screens."),
    )
    register_staff_link(
        _("Set up the offices"),
        "floor-staff:configure",
        "floor.configure",
        _("Offices, opening hours, queues and their services, counters, priority order."),
    )
