"""``sportel worker``: run background tasks from the database queue.

django_tasks_db's ``db_worker`` does the work; this adds recovery of tasks whose worker died
(at start and every half stale-period) and of notifications whose delivery task went missing.
"""

import logging
import threading

from django.conf import settings
from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from sportel.core import tasks

logger = logging.getLogger("sportel.worker")


def _recover_forever(period: float, stop: threading.Event, liveness: tasks.WorkerLiveness) -> None:
    while not stop.wait(period):
        try:
            liveness.ensure()
            tasks.recover()
        except Exception:  # a locked or briefly unreachable database: try again next period
            logger.exception("task recovery failed; retrying in %.0f s", period)
        finally:
            connection.close()  # this thread's own connection


class Command(DbWorkerCommand):
    help = (
        "Run the background worker (all queues by default). Tasks left RUNNING by a worker "
        "that died are re-queued: on PostgreSQL as soon as its liveness lock is released, on "
        "SQLite after SPORTEL_TASK_STALE_SECONDS."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", reload=False)

    def handle(self, *args, **options):
        # Taken before the first claim, so no task of this worker is ever seen without it.
        liveness = tasks.WorkerLiveness(options["worker_id"])
        liveness.ensure()
        counts = tasks.recover()
        logger.info("worker starting; recovered %s", counts, extra={"event": "worker.start"})
        stale = settings.SPORTEL_TASK_STALE_SECONDS
        period = min(5.0, stale / 2) if liveness.enabled else min(stale / 2, 60)
        stop = threading.Event()
        threading.Thread(
            target=_recover_forever,
            args=(max(0.5, period), stop, liveness),
            name="task-recovery",
            daemon=True,
        ).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            liveness.release()
