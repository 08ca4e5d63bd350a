"""The worker publishes every module's statistics feeds, per municipality, and schedules the
next run. Idempotent: an unchanged feed publishes nothing (see services.publish_feed)."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

REFRESH_EVERY = timedelta(hours=24)


@task()
def publish_feeds(municipality_id: int, reschedule: bool = False) -> list[str]:
    from sportel.core.models import Municipality

    from . import services

    municipality = Municipality.objects.get(pk=municipality_id)
    changed = services.publish_feeds(municipality)
    if reschedule:
        publish_feeds.using(run_after=timezone.now() + REFRESH_EVERY).enqueue(
            municipality_id, reschedule=True
        )
    return changed


def schedule_all(reschedule: bool = True) -> int:
    """Enqueue a publication for every active municipality (``sportel opendata publish``)."""
    from sportel.core.models import Municipality

    ids = list(Municipality.objects.filter(is_active=True).values_list("pk", flat=True))
    for pk in ids:
        publish_feeds.enqueue(pk, reschedule=reschedule)
    return len(ids)
