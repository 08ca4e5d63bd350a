"""Gunicorn hooks for ``sportel serve`` (the command line sets workers, threads and bind).

Prometheus counters live in per-process files under PROMETHEUS_MULTIPROC_DIR, which
``sportel serve`` points at SPORTEL_DATA_DIR/prometheus/<bind>; /metrics adds them up across
workers. The directory is emptied when the server starts, and a dead worker's live gauges are
dropped.

Each worker runs the registered warm-up steps (``sportel.core.warmup``: fonts, seal keys and
certificates) once it has loaded the app and before it takes a request, then opens each of its
request threads' database connections, so no resident's request pays for a cold start.
"""

import os
import shutil
from pathlib import Path


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    from django.db import connections

    from sportel.core import warmup

    warmup.run()
    connections.close_all()  # the warm-up's connection; request threads open their own
    # ... now, not on a resident's request: each request thread's database connection opened
    # and its server process's catalogue read (gthread workers start the pool before this hook).
    pool = getattr(worker, "tpool", None)
    if pool is not None:
        warmup.in_each_thread(pool, worker.cfg.threads, warmup.warm_connection)
