"""Helpers every benchmark uses: the machine, a bounded HTTP load generator, servers on free
loopback ports, medians, and rewriting one's own section of docs/benchmarks.md.

Not a benchmark itself (scripts/bench skips this file).
"""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import os
import platform
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"
SPORTEL = str(Path(sys.executable).parent / "sportel")


# --- The machine ---------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.1f} at the start"
    return f"{os.cpu_count()} CPUs ({cpu}){memory}, Python {platform.python_version()}{load}"


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- CPU time from /proc ----------------------------------------------------------------------
# Timing on a shared machine follows the load; the CPU time a process used moves much less.


def proc_cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far (Linux /proc); with
    ``reaped_children`` also its children that have exited and been waited for."""
    # The fields after the name ")": utime, stime, cutime, cstime are 14-17 counting from 1.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11 : 15 if reaped_children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def pg_backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend connected to ``url``'s database, by
    pid (Linux /proc; PostgreSQL on this machine). Background processes (WAL writer,
    checkpointer, autovacuum) are not counted."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ]
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            out[pid] = proc_cpu_seconds(pid)
    return out


def pg_cpu_since(url: str, before: dict[int, float]) -> float:
    """CPU seconds ``url``'s backends have used since :func:`pg_backend_cpu` returned
    ``before``. A backend that ended in between is missed (connections live 60 s: rare)."""
    after = pg_backend_cpu(url)
    return sum(max(0.0, t - before.get(pid, 0.0)) for pid, t in after.items())


# --- A dedicated database ----------------------------------------------------------------------

ADMIN_URL = os.environ.get("SPORTEL_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def setup_django(db_name: str, *, reuse: bool, label: str) -> str:
    """Point Django at the benchmark's own database ``db_name`` (dropped and re-created unless
    ``reuse``), set it up and migrate it; returns the database's URL."""
    import psycopg

    if not reuse:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {db_name}")
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{db_name}"
    os.environ["SPORTEL_DATABASE_URL"] = url
    os.environ.setdefault("SPORTEL_DATA_DIR", tempfile.mkdtemp(prefix=f"sportel-bench-{label}-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sportel.settings"
    os.environ.setdefault("SPORTEL_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


# --- Servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(
    bind: str, env: dict[str, str], *, workers: int | None, threads: int | None
) -> list[str]:
    """The exact gunicorn command ``sportel serve`` would exec, so a floor app can share it.

    Also puts the PROMETHEUS_MULTIPROC_DIR that ``sportel serve`` would set into ``env``:
    without it each gunicorn worker would report only its own counters.
    """
    out = subprocess.run(
        [
            SPORTEL,
            "serve",
            "--bind",
            bind,
            *(["--workers", str(workers)] if workers else []),
            *(["--threads", str(threads)] if threads else []),
            "--dry-run",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for line in out[1:]:
        name, _, value = line.partition("=")
        env[name] = value
    return shlex.split(out[0])


class Server:
    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path):
        self.port = port
        self.log = log
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"), cwd=REPO
        )

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path, headers=HEADERS)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server not ready:\n{self.log.read_text()[-3000:]}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by gunicorn's master and workers, live and already reaped
        (Linux /proc): what the server cost, whatever else the machine was doing."""
        pid = self.process.pid
        total = proc_cpu_seconds(pid, reaped_children=True)
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            # A worker that exits between the listing and the read is in cutime next time.
            with contextlib.suppress(OSError, ValueError):
                total += proc_cpu_seconds(int(child))
        return total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --- Load ------------------------------------------------------------------------------------


def in_threads(target, args: list[tuple]) -> None:
    """Run ``target(*a)`` for each ``a`` of ``args``, each in a thread of its own, and wait for
    them all."""
    pool = [threading.Thread(target=target, args=a) for a in args]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


# Behind TLS termination, as in production (SECURE_PROXY_SSL_HEADER trusts this from loopback).
HEADERS = {"X-Forwarded-Proto": "https", "Host": "localhost"}


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1)]


def _load_process(port, path, budget, seconds, threads, out):
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    remaining = [budget]
    deadline = time.monotonic() + seconds

    def take() -> bool:
        with lock:
            if remaining[0] <= 0 or time.monotonic() > deadline:
                return False
            remaining[0] -= 1
            return True

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while take():
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=HEADERS)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    in_threads(client, [()] * threads)
    out.put((latencies, errors[0]))


def load(port: int, path: str, *, requests: int, seconds: float, concurrency: int) -> LoadResult:
    """``requests`` GETs (or as many as fit in ``seconds``) from ``concurrency`` keep-alive
    connections spread over processes, so the generator is not held back by one GIL."""
    processes = max(1, min(os.cpu_count() or 1, concurrency))
    threads = max(1, concurrency // processes)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    started = time.perf_counter()
    workers = [
        multiprocessing.Process(
            target=_load_process,
            args=(port, path, requests // processes, seconds, threads, queue),
        )
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    latencies = [x for lat, _ in results for x in lat]
    return LoadResult(len(latencies), sum(e for _, e in results), elapsed, latencies)


def median(values) -> float:
    return statistics.median(values)


# --- docs/benchmarks.md ----------------------------------------------------------------------


def write_section(title: str, body: str) -> None:
    """Replace ``## title`` (up to the next ``## ``) in docs/benchmarks.md, or append it."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    section = f"## {title}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    DOC.write_text(text.rstrip() + "\n")
