"""``sportel serve``: the production server (gunicorn, threaded workers) for one app server.

Run N of these behind a load balancer; they share nothing but PostgreSQL, Redis and storage.
"""

import os
import re
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


def default_workers() -> int:
    # Requests mostly wait on PostgreSQL, so two processes per core, each with two threads:
    # a third and fourth thread only queue for their process's interpreter lock and cost
    # more CPU per request than they save in waiting (decision 0037).
    return min(2 * (os.cpu_count() or 1) + 1, 12)


DEFAULT_THREADS = 2


class Command(BaseCommand):
    help = (
        "Serve Sportel with gunicorn. Defaults come from SPORTEL_BIND, SPORTEL_WORKERS, "
        "SPORTEL_THREADS, SPORTEL_TIMEOUT and SPORTEL_FORWARDED_ALLOW_IPS."
    )
    requires_system_checks = []  # gunicorn's workers load Django and run them

    def add_arguments(self, parser):
        env = os.environ.get
        parser.add_argument(
            "--bind",
            default=env("SPORTEL_BIND") or "127.0.0.1:8000",
            help="host:port or unix:/path (default: SPORTEL_BIND or 127.0.0.1:8000)",
        )
        parser.add_argument(
            "--workers", type=int, default=int(env("SPORTEL_WORKERS") or default_workers())
        )
        parser.add_argument(
            "--threads", type=int, default=int(env("SPORTEL_THREADS") or DEFAULT_THREADS)
        )
        parser.add_argument("--timeout", type=int, default=int(env("SPORTEL_TIMEOUT") or 30))
        parser.add_argument(
            "--max-requests",
            type=int,
            default=int(env("SPORTEL_MAX_REQUESTS") or 2000),
            help="recycle a worker after this many requests (0: never)",
        )
        parser.add_argument(
            "--forwarded-allow-ips",
            default=env("SPORTEL_FORWARDED_ALLOW_IPS") or "127.0.0.1,::1",
            help="proxies whose X-Forwarded-* headers are trusted",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print the gunicorn command and exit"
        )

    def handle(self, *args, **o):
        slug = re.sub(r"[^A-Za-z0-9]+", "_", o["bind"]).strip("_")
        env = dict(os.environ)
        env.setdefault(
            "PROMETHEUS_MULTIPROC_DIR", str(Path(settings.DATA_DIR) / "prometheus" / slug)
        )
        env.setdefault("DJANGO_SETTINGS_MODULE", "sportel.settings")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:sportel.core.gunicorn_conf",
            "--bind",
            o["bind"],
            "--workers",
            str(o["workers"]),
            "--threads",
            str(o["threads"]),
            "--worker-class",
            "gthread",
            "--timeout",
            str(o["timeout"]),
            "--graceful-timeout",
            str(o["timeout"]),
            "--max-requests",
            str(o["max_requests"]),
            "--max-requests-jitter",
            str(o["max_requests"] // 10),
            "--forwarded-allow-ips",
            o["forwarded_allow_ips"],
            "--worker-tmp-dir",
            "/dev/shm" if Path("/dev/shm").is_dir() else "/tmp",  # noqa: S108
            "sportel.wsgi:application",
        ]
        if o["dry_run"]:
            self.stdout.write(" ".join(command))
            self.stdout.write(f"PROMETHEUS_MULTIPROC_DIR={env['PROMETHEUS_MULTIPROC_DIR']}")
            return
        sys.stdout.flush()
        # Replace this process: the process manager's signals go straight to gunicorn's master.
        os.execve(sys.executable, command, env)  # noqa: S606
