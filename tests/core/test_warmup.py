"""A worker parses what the first requests would otherwise pay for before it takes one."""

from pathlib import Path

import pytest


def test_warm_up_parses_every_notification_template_into_the_cached_loader():
    from django.apps import apps
    from django.template import engines

    from sportel.core import warmup

    took = warmup.run()
    assert "core.templates" in took
    on_disk = {
        f"notifications/{path.name}"
        for config in apps.get_app_configs()
        for path in Path(config.path, "templates", "notifications").glob("*.txt")
    }
    assert "notifications/case_status.sq.txt" in on_disk
    loader = engines["django"].engine.template_loaders[0]
    assert type(loader).__module__ == "django.template.loaders.cached"
    assert on_disk <= set(loader.get_template_cache)


class FakeConfig:
    threads = 3


class FakeGthreadWorker:
    """What the hook reads of gunicorn's gthread worker: its request threads' pool (started
    before post_worker_init) and the configured number of threads."""

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self.cfg = FakeConfig()
        self.tpool = ThreadPoolExecutor(max_workers=self.cfg.threads)


@pytest.mark.django_db
def test_each_request_thread_has_its_database_connection_open_before_the_first_request():
    import threading

    from django.db import connections

    from sportel.core import gunicorn_conf, warmup

    worker = FakeGthreadWorker()
    try:
        gunicorn_conf.post_worker_init(worker)
        seen = []

        def connection_state():
            seen.append((threading.get_ident(), connections["default"].connection is not None))

        warmup.in_each_thread(worker.tpool, worker.cfg.threads, connection_state)
        assert len({ident for ident, _ in seen}) == worker.cfg.threads  # each thread once
        assert all(is_open for _, is_open in seen)
    finally:
        warmup.in_each_thread(worker.tpool, worker.cfg.threads, connections.close_all)
        worker.tpool.shutdown()


@pytest.mark.django_db
def test_the_warm_up_reads_every_hot_table_on_postgresql_and_the_connection_stays_usable():
    from django.apps import apps
    from django.db import connection

    from sportel.core import warmup
    from sportel.core.models import Municipality

    for label in warmup._hot_models:
        apps.get_model(label)  # a misspelt label would silently warm nothing
    warmed = warmup.warm_connection()
    if connection.vendor == "postgresql":
        assert warmed == len(warmup._hot_models) >= 20
    else:
        assert warmed == 0
    assert Municipality.objects.count() >= 0
