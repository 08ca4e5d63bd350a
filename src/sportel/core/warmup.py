"""Work a process does once, when it starts, so the first request it serves does not wait on it.

Apps register what they need loaded (the documents app: fonts, the PDF's constant objects, each
municipality's seal key and certificate) from ``AppConfig.ready``; the gunicorn hook
``post_worker_init`` (``core/gunicorn_conf.py``) runs them in every worker before it accepts a
connection. A failing step is logged and skipped: a worker that cannot preload still serves,
and pays the cost on first use as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)
_steps: dict[str, Callable[[], object]] = {}


def register(name: str, step: Callable[[], object]) -> None:
    """Run ``step`` when a process starts (idempotent by ``name``)."""
    _steps[name] = step


def load_urls_and_catalogues() -> None:
    """Django imports the URLconf (and with it every view) and each language's message
    catalogue on the first request that needs them; do it now."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils.translation import trans_real

    get_resolver().url_patterns  # noqa: B018 -- the property imports the URLconf
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)  # reads and merges every app's catalogue for the language


register("core.urls_and_catalogues", load_urls_and_catalogues)


def load_templates() -> int:
    """The template engines (every app's template tag libraries imported) and each app's
    notification templates, parsed into the cached loader: the first case a worker opens
    renders its applicant's notification without paying for either. Returns how many."""
    from pathlib import Path

    from django.apps import apps
    from django.template import engines
    from django.template.loader import get_template

    engines.all()
    loaded = 0
    for config in apps.get_app_configs():
        for path in sorted(Path(config.path, "templates", "notifications").glob("*.txt")):
            get_template(f"notifications/{path.name}")
            loaded += 1
    return loaded


register("core.templates", load_templates)


# Tables every request thread's database connection reads before its first request (see
# warm_connection): registered by the apps whose requests touch them, as "app_label.Model".
_hot_models: set[str] = set()


def register_hot_models(*labels: str) -> None:
    """Name the models whose tables a busy request reads or writes ("app_label.Model")."""
    _hot_models.update(labels)


register_hot_models(
    "core.Municipality",
    "core.ConfigGeneration",
    "core.AdministrativeUnit",
    "core.Person",
    "core.AuditHead",
    "core.AuditEntry",
    "core.Notification",
    "sessions.Session",
)


def warm_connection() -> int:
    """Open this thread's database connection and have its server process learn the hot
    tables (their columns, indexes and types): a new PostgreSQL backend reads them from the
    system catalogues on first use, ~10 ms of the database's CPU on a request's path, paid by
    each request thread's first request. One statement that plans a read of each table and
    returns no row. Returns how many tables."""
    from django.apps import apps
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor != "postgresql":
        return 0
    tables = []
    for label in sorted(_hot_models):
        try:
            model = apps.get_model(label)
        except LookupError:  # an app that is not installed here
            continue
        tables.append(connection.ops.quote_name(model._meta.db_table))
    if tables:
        # Planned with each table's indexes; a constant-false filter: no row is read.
        sql = " UNION ALL ".join(f"(SELECT 1 FROM {t} WHERE false)" for t in tables)  # noqa: S608 -- model tables
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
    return len(tables)


def in_each_thread(executor, threads: int, step: Callable[[], object], *, timeout: float = 30):
    """Run ``step`` once on each of ``threads`` threads of ``executor`` (a thread pool that
    starts its threads on demand, as gunicorn's gthread worker's does): every job waits for
    the others, so no thread takes two. Failures are logged, never raised."""
    import contextlib
    import threading

    barrier = threading.Barrier(threads, timeout=timeout)

    def job():
        with contextlib.suppress(threading.BrokenBarrierError):  # fewer threads: run anyway
            barrier.wait()
        return step()

    futures = [executor.submit(job) for _ in range(threads)]
    for future in futures:
        try:
            future.result(timeout=timeout * 2)
        except Exception:
            logger.exception("warm-up of a request thread failed")


def run() -> dict[str, float]:
    """Run every registered step; returns milliseconds per step (failed steps are left out)."""
    took: dict[str, float] = {}
    for name, step in list(_steps.items()):
        started = time.perf_counter()
        try:
            step()
        except Exception:
            logger.exception("warm-up step %s failed", name)
            continue
        took[name] = (time.perf_counter() - started) * 1000
    logger.info("warm-up done: %s", ", ".join(f"{k} {v:.0f} ms" for k, v in took.items()))
    return took
