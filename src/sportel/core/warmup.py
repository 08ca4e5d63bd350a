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
