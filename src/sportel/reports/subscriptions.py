"""Area subscriptions' small helpers, shared by the services (which subscribe a resident and
queue the notice) and the worker's task (which sends it): links into a report or a
subscription, the notification a subscriber is sent, and which subscriptions cover a unit.

A module of its own so that services.py and tasks.py need not import each other.
"""

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from sportel.core.notifications import send_notification

from .models import AreaSubscription, Report


def _language(code: str) -> str:
    return code if code in ("sq", "en") else "sq"


def report_link(report: Report, name: str, *, secret: bool = False) -> str:
    """The absolute public address of a report's page ``name``, in the reporter's language;
    with ``secret`` the reporter's own link."""
    with translation.override(_language(report.language)):
        path = reverse(
            name, kwargs={"municipality_slug": report.municipality.slug, "pk": report.pk}
        )
    query = f"?s={report.reporter_secret}" if secret else ""
    return f"{settings.SPORTEL_PUBLIC_URL.rstrip('/')}{path}{query}"


def subscription_link(row: AreaSubscription, action: str) -> str:
    """The absolute link that confirms or stops (``action``) a subscription."""
    with translation.override(_language(row.language)):
        path = reverse("reports:subscription", kwargs={"municipality_slug": row.municipality.slug})
    return f"{settings.SPORTEL_PUBLIC_URL.rstrip('/')}{path}?s={row.secret}&do={action}"


def send_subscription(row: AreaSubscription, template: str, context: dict) -> None:
    """Send a subscriber the notification ``template``, always with its confirm and stop links."""
    send_notification(
        template=template,
        context={
            "municipality": row.municipality,
            "area": row.unit.name if row.unit else row.municipality.name,
            "confirm_link": subscription_link(row, "confirm"),
            "stop_link": subscription_link(row, "stop"),
            **context,
        },
        language=row.language,
        to_email=row.email,
        municipality=row.municipality,
    )


def covering_unit(unit_id: int | None) -> Q:
    """The subscriptions that cover a report in ``unit_id``: the whole municipality's, and the
    unit's own."""
    return Q(unit__isnull=True) | Q(unit_id=unit_id) if unit_id else Q(unit__isnull=True)
