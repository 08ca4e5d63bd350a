"""Background tasks of the core, and recovery of tasks whose worker died.

django_tasks_db marks a row RUNNING when a worker claims it and only changes it again when the
task returns or raises in that same process. A worker killed with SIGKILL (or a machine that
loses power) leaves the row RUNNING for ever. :func:`requeue_stale_tasks` puts rows RUNNING for
longer than SPORTEL_TASK_STALE_SECONDS back to READY (or to FAILED after too many tries), and
``sportel worker`` runs it at start and periodically. Every task must therefore be idempotent:
do its writes in one transaction and check first whether the work is already done.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import notifications

logger = logging.getLogger(__name__)

MAX_TASK_ATTEMPTS = int(getattr(settings, "SPORTEL_TASK_MAX_ATTEMPTS", 5))


class WorkerLost(Exception):
    """Recorded on a task whose worker died too many times while running it."""


@task(queue_name="notifications")
def deliver_notification(notification_id: int) -> str:
    """Deliver one outbox row (idempotent: a row already sent is skipped)."""
    return notifications.deliver(notification_id)


def requeue_stale_tasks(*, stale_seconds: int | None = None) -> dict[str, int]:
    """Put tasks whose worker vanished back in the queue; give up after MAX_TASK_ATTEMPTS.

    Each row is changed by a conditional UPDATE on (status, started_at), so two workers
    recovering at once never both re-queue the same run.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    stale = settings.SPORTEL_TASK_STALE_SECONDS if stale_seconds is None else stale_seconds
    now = timezone.now()
    cutoff = now - timedelta(seconds=stale)
    counts = {"requeued": 0, "failed": 0}
    stale_rows = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).only("id", "started_at", "worker_ids", "task_path")
    for row in stale_rows:
        same_run = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        )
        with transaction.atomic():
            if len(row.worker_ids) >= MAX_TASK_ATTEMPTS:
                changed = same_run.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                    traceback=(
                        f"WorkerLost: the worker died {len(row.worker_ids)} times while "
                        f"running this task; not retried again."
                    ),
                )
                key = "failed"
            else:
                changed = same_run.update(status=TaskResultStatus.READY, started_at=None)
                key = "requeued"
        if changed:
            counts[key] += 1
            logger.warning(
                "task %s (%s) %s after its worker vanished",
                row.pk,
                row.task_path,
                key,
                extra={"event": f"task.{key}", "task": row.task_path},
            )
    return counts


def recover() -> dict[str, int]:
    """Everything a worker does to pick up work a dead process left behind."""
    counts = requeue_stale_tasks()
    counts["notifications"] = notifications.requeue_stalled()
    return counts
