"""The worker publishes every module's statistics feeds, per municipality, and schedules the
next run. Idempotent: an unchanged feed publishes nothing (see services.publish_feed), and a
municipality never has more than one future run queued."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

REFRESH_EVERY = timedelta(hours=24)
TASK_PATH = "sportel.opendata.tasks.publish_feeds"


def _next_run_queued(municipality_id: int) -> bool:
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path=TASK_PATH, status="READY", run_after__gt=timezone.now()
    ).values_list("args_kwargs", flat=True)
    return any((a.get("args") or [None])[0] == municipality_id for a in waiting)


def _schedule_next(municipality_id: int) -> None:
    if not _next_run_queued(municipality_id):
        publish_feeds.using(run_after=timezone.now() + REFRESH_EVERY).enqueue(
            municipality_id, reschedule=True
        )


@task()
def publish_feeds(municipality_id: int, reschedule: bool = False) -> list[str]:
    from sportel.core.models import Municipality

    from . import services

    municipality = Municipality.objects.get(pk=municipality_id)
    changed = services.publish_feeds(municipality)
    if reschedule:
        _schedule_next(municipality_id)
    return changed


def schedule_all(reschedule: bool = True) -> int:
    """Enqueue a publication now for every active municipality (``sportel opendata publish``);
    each run queues the next one a day later."""
    from sportel.core.models import Municipality

    ids = list(Municipality.objects.filter(is_active=True).values_list("pk", flat=True))
    for pk in ids:
        publish_feeds.enqueue(pk, reschedule=reschedule)
    return len(ids)


REFRESH_TASK_PATH = "sportel.opendata.tasks.refresh_resources"
REFRESH_CHECK_EVERY = timedelta(hours=1)


@task()
def refresh_resources(reschedule: bool = False) -> dict:
    """Run every scheduled refresh that is due (URL or feed); queue the next check an hour on."""
    from django_tasks_db.models import DBTaskResult

    from . import refresh

    outcomes: dict[str, int] = {}
    for attempt in refresh.run_due():
        outcomes[attempt.outcome] = outcomes.get(attempt.outcome, 0) + 1
    if (
        reschedule
        and not DBTaskResult.objects.filter(
            task_path=REFRESH_TASK_PATH, status="READY", run_after__gt=timezone.now()
        ).exists()
    ):
        refresh_resources.using(run_after=timezone.now() + REFRESH_CHECK_EVERY).enqueue(
            reschedule=True
        )
    return outcomes


CLEAN_TASK_PATH = "sportel.opendata.tasks.clean_staged_uploads"
CLEAN_EVERY = timedelta(hours=24)


@task()
def clean_staged_uploads(reschedule: bool = False) -> int:
    """Remove staged uploads never published and older than a day; queue the next run a day on."""
    from django_tasks_db.models import DBTaskResult

    from . import staging

    removed = staging.remove_stale()
    if (
        reschedule
        and not DBTaskResult.objects.filter(
            task_path=CLEAN_TASK_PATH, status="READY", run_after__gt=timezone.now()
        ).exists()
    ):
        clean_staged_uploads.using(run_after=timezone.now() + CLEAN_EVERY).enqueue(reschedule=True)
    return removed
