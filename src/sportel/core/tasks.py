"""Background tasks of the core, and recovery of tasks whose worker died.

django_tasks_db marks a row RUNNING when a worker claims it and only changes it again when the
task returns or raises in that same process. A worker killed with SIGKILL (or a machine that
loses power) leaves the row RUNNING for ever. :func:`requeue_stale_tasks` puts such rows back to
READY (or to FAILED after too many tries), and ``sportel worker`` runs it at start and
periodically. How it knows a worker is dead:

* PostgreSQL: each ``sportel worker`` holds a session-level advisory lock named after its
  worker id on a connection of its own for as long as it lives. The database releases it the
  moment the process dies, so a RUNNING task whose worker's lock is free is orphaned and is
  re-queued at once, and a long task of a live worker is never taken away from it.
* SQLite (one machine): a task RUNNING for longer than SPORTEL_TASK_STALE_SECONDS is orphaned.

Every task must be idempotent all the same: do its writes in one transaction and check first
whether the work is already done.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from . import notifications

# The outbox owns its delivery task; this name stays so that rows enqueued before the task moved
# (their task_path is "sportel.core.tasks.deliver_notification") still run after an upgrade.
deliver_notification = notifications.deliver_notification

logger = logging.getLogger(__name__)

MAX_TASK_ATTEMPTS = int(getattr(settings, "SPORTEL_TASK_MAX_ATTEMPTS", 5))


class WorkerLost(Exception):
    """Recorded on a task whose worker died too many times while running it."""


# Advisory-lock namespace of worker liveness locks (the other int4 is a hash of the worker id).
LIVENESS_LOCK_NAMESPACE = 0x5350_5457  # "SPTW"
# A task claimed less than this ago is left alone even if its worker's lock looks free.
LIVENESS_GRACE_SECONDS = 2


def _lock_key(worker_id: str) -> int:
    return int.from_bytes(hashlib.sha256(worker_id.encode()).digest()[:4], "big", signed=True)


class WorkerLiveness:
    """PostgreSQL: hold ``worker_id``'s advisory lock on a dedicated connection while alive."""

    def __init__(self, worker_id: str, using: str = DEFAULT_DB_ALIAS):
        self.worker_id = worker_id
        self.using = using
        self.enabled = connections[using].vendor == "postgresql"
        self._conn = None

    def ensure(self) -> None:
        """Take the lock, or take it again if the connection holding it was lost."""
        if not self.enabled:
            return
        if self._conn is not None:
            try:
                with self._conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return
            except Exception:  # the database restarted: the lock went with the connection
                self.release()
        self._conn = connections.create_connection(self.using)
        self._conn.inc_thread_sharing()  # taken at start, checked by the recovery thread
        with self._conn.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, %s)",
                [LIVENESS_LOCK_NAMESPACE, _lock_key(self.worker_id)],
            )

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already gone
                logger.debug("liveness connection already closed")


def _worker_alive(worker_id: str) -> bool:
    """Whether a ``sportel worker`` with this id holds its liveness lock (PostgreSQL only)."""
    key = [LIVENESS_LOCK_NAMESPACE, _lock_key(worker_id)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        if cursor.fetchone()[0]:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            return False
    return True


def requeue_stale_tasks(*, stale_seconds: int | None = None) -> dict[str, int]:
    """Put tasks whose worker died back in the queue; give up after MAX_TASK_ATTEMPTS.

    Each row is changed by a conditional UPDATE on (status, started_at), so two workers
    recovering at once never both re-queue the same run.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    stale = settings.SPORTEL_TASK_STALE_SECONDS if stale_seconds is None else stale_seconds
    now = timezone.now()
    by_lock = connection.vendor == "postgresql"
    cutoff = now - timedelta(seconds=LIVENESS_GRACE_SECONDS if by_lock else stale)
    counts = {"requeued": 0, "failed": 0}
    stale_rows = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=cutoff
    ).only("id", "started_at", "worker_ids", "task_path")
    for row in stale_rows:
        if by_lock and row.worker_ids and _worker_alive(row.worker_ids[-1]):
            continue  # its worker is alive and still running it, however long it takes
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
                "task %s (%s) %s after its worker died",
                row.pk,
                row.task_path,
                key,
                extra={"event": f"task.{key}", "task": row.task_path},
            )
    return counts


# Modules' periodic jobs (name → a callable returning a count), run by recover(): each must be
# idempotent and quick (e.g. the floor's appointment reminders). Register in AppConfig.ready().
PERIODIC_JOBS: dict[str, object] = {}


def register_periodic(name: str, job) -> None:
    PERIODIC_JOBS[name] = job


def recover() -> dict[str, int]:
    """Everything a worker does to pick up work a dead process left behind, then the modules'
    periodic jobs."""
    counts = requeue_stale_tasks()
    counts["notifications"] = notifications.requeue_stalled()
    for name, job in PERIODIC_JOBS.items():
        try:
            counts[name] = job()
        except Exception:
            logger.exception("periodic job %s failed", name, extra={"event": "task.periodic"})
    return counts
