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


# --- Servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(bind: str, env: dict[str, str], *, workers: int, threads: int) -> list[str]:
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
            "--workers",
            str(workers),
            "--threads",
            str(threads),
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
        tick = os.sysconf("SC_CLK_TCK")
        pid = self.process.pid

        def stat(p: int) -> list[str]:
            return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

        master = stat(pid)
        # fields after the name: utime, stime, cutime, cstime are 14-17 counting from 1.
        total = sum(int(v) for v in master[11:15])
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            # A worker that exits between the listing and the read is in cutime next time.
            with contextlib.suppress(OSError, ValueError):
                total += sum(int(v) for v in stat(int(child))[11:13])
        return total / tick

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

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
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
