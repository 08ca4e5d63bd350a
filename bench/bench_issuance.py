"""Instant certificates end to end: 50 residents apply at once over HTTP through gunicorn
(session cookie, CSRF, JSON API → check → render → seal → register → log → close), and the
same 50 submissions in one process; the code under test and a baseline tree in the same run.

Each round gives 50 fresh residents (on the civil register, with an address) one POST each to
``/api/v1/municipalities/shkoder/applications`` at the same moment, and times the burst
(documents/s = 50 / wall time of the burst) and each request (p50, p95). "cold" is the first
burst after gunicorn started (what the first residents of the morning wait for), "warm" the
median of the following bursts. Each burst's CPU is read from /proc: gunicorn's master and
workers ("server CPU") and the PostgreSQL backends serving this database ("PostgreSQL CPU"),
per document. The floor is the issuance alone (``issue_document`` in one
process, from bench_documents.py's figure), so the ratio says what the HTTP path adds.

    .venv/bin/python bench/bench_issuance.py --postgres postgres://postgres@127.0.0.1:5432/sportel_bench \\
        [--baseline /path/to/an/older/checkout] [--rounds 5] [--residents 50]

``--baseline`` serves an older tree (its ``src/``) against the same database: before/after in
one run on the same noisy machine. The database is flushed first. Loopback traffic only.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from bench.run import (  # noqa: E402
    SPORTEL,
    Server,
    free_port,
    gunicorn_command,
    pg_backend_cpu,
    pg_cpu_since,
)

MUNICIPALITY = "shkoder"

SEED = """
import json, sys
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.conf import settings
from sportel.core.models import Municipality
from sportel.core.services import register_person
from sportel.core.identifiers import with_check_letter
from django.utils import timezone
User = get_user_model()
start, count = int(sys.argv[1]), int(sys.argv[2])
m = Municipality.objects.get(slug="shkoder")
unit = m.units.order_by("pk").first()
backend = settings.AUTHENTICATION_BACKENDS[-1]
out = []
for i in range(start, start + count):
    nid = with_check_letter(f"J{20_000_000 + i:08d}")
    user = User.objects.create(username=f"bench{i}@bench.sportel.al", email=f"bench{i}@bench.sportel.al",
        full_name=f"Banor Prove{i}", nid=nid, nid_verified=True, confirmed_at=timezone.now())
    register_person(m, nid=nid, first_name="Banor", last_name=f"Prove{i}", address="Rruga Kolë Idromeno 12",
        unit=unit, user=user, override_check=True)
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = backend
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    out.append(s.session_key)
print(json.dumps(out))
"""

SETUP = """
from sportel.core.tenancy import load_municipalities
from sportel.services.catalogue import seed_catalogue
from sportel.core.models import Municipality
from sportel.documents.keys import init_development_seal, log_private_key, seal_source
load_municipalities({"shkoder"})
m = Municipality.objects.get(slug="shkoder")
seed_catalogue(m)
init_development_seal(m.slug, m.name)
log_private_key(create=True)
print(seal_source(m.slug).path)
"""


def sportel(env: dict, *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [SPORTEL, *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.stdout


def burst(port: int, sessions: list[str]) -> tuple[float, list[float], int]:
    """One POST per session, all released at once; (wall seconds, latencies, errors)."""
    import http.client

    csrf = secrets.token_hex(16)
    barrier = threading.Barrier(len(sessions))
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    body = json.dumps({"service": "residence-certificate", "data": {"purpose": "Për bankën"}})

    def one(session: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {
            "Host": "localhost",
            "X-Forwarded-Proto": "https",
            "Origin": "https://localhost",
            "Referer": "https://localhost/",
            "Content-Type": "application/json",
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
        }
        barrier.wait()
        started = time.perf_counter()
        try:
            conn.request(
                "POST", f"/api/v1/municipalities/{MUNICIPALITY}/applications", body, headers
            )
            response = conn.getresponse()
            payload = response.read()
            ok = response.status == 201 and b'"closed"' in payload
        except (OSError, http.client.HTTPException):
            ok = False
            payload = b""
        elapsed = time.perf_counter() - started
        with lock:
            if ok:
                latencies.append(elapsed)
            else:
                errors[0] += 1
                if errors[0] == 1:
                    print(f"  first error: {payload[:300]!r}", flush=True)
        conn.close()

    threads = [threading.Thread(target=one, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=120)
    wall = max(latencies, default=time.perf_counter() - t0)
    return wall, latencies, errors[0]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def serve_and_measure(label, src, env, seeded, *, rounds, residents, workers, threads) -> dict:
    env = {**env, "PYTHONPATH": str(src)}
    port = free_port()
    command = gunicorn_command(f"127.0.0.1:{port}", env, workers=workers, threads=threads)
    log = Path(env["SPORTEL_DATA_DIR"]) / f"gunicorn-{label}.log"
    results = []
    with Server(command, env, port, log) as server:
        server.wait_ready("/healthz")
        time.sleep(3.0)  # every worker booted (and, where the code does so, warmed up)
        for r in range(rounds):
            sessions = seeded.pop(0)
            cpu_before = server.cpu_seconds()
            pg_before = pg_backend_cpu(env["SPORTEL_DATABASE_URL"])
            wall, lat, errors = burst(port, sessions)
            time.sleep(0.2)  # the workers' last writes land in their CPU counters
            cpu = server.cpu_seconds() - cpu_before
            pg_cpu = pg_cpu_since(env["SPORTEL_DATABASE_URL"], pg_before)
            results.append(
                {
                    "wall": wall,
                    "rate": len(lat) / wall if wall else 0,
                    "p50": pct(lat, 50) if lat else float("nan"),
                    "p95": pct(lat, 95) if lat else float("nan"),
                    "cpu_ms": cpu * 1000 / max(len(lat), 1),
                    "pg_cpu_ms": pg_cpu * 1000 / max(len(lat), 1),
                    "errors": errors,
                }
            )
            print(
                f"  {label} round {r} ({'cold' if r == 0 else 'warm'}): {wall:.2f} s, "
                f"{results[-1]['rate']:.0f}/s, p50 {results[-1]['p50'] * 1000:.0f} ms, "
                f"p95 {results[-1]['p95'] * 1000:.0f} ms, server CPU "
                f"{results[-1]['cpu_ms']:.0f} ms/doc, PostgreSQL CPU "
                f"{results[-1]['pg_cpu_ms']:.0f} ms/doc, errors {errors}",
                flush=True,
            )
    return results


INPROCESS = """
import json, sys, threading, time
from django.contrib.auth import get_user_model
from sportel.core.models import Municipality
from sportel.services import services
User = get_user_model()
start, count, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
m = Municipality.objects.get(slug="shkoder")
users = list(User.objects.filter(username__in=[f"bench{i}@bench.sportel.al" for i in range(start, start + count)]))
from sportel.documents.sealing import load_seal
from sportel.documents.render import constant_objects
load_seal(m); constant_objects()  # warm, as a worker is
lat = []
lock = threading.Lock()
chunks = [users[i::threads] for i in range(threads)]
def work(chunk):
    from django.db import connections
    for u in chunk:
        t = time.perf_counter()
        case = services.submit_application(m, service="residence-certificate", data={"purpose": "Për bankën"}, actor=u)
        assert case.status == "closed", case.status
        with lock: lat.append(time.perf_counter() - t)
    connections.close_all()
ts = [threading.Thread(target=work, args=(c,)) for c in chunks]
t0 = time.perf_counter()
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps({"wall": time.perf_counter() - t0, "lat": lat}))
"""


def in_process(label, src, env, start, count, threads) -> dict:
    env = {**env, "PYTHONPATH": str(src), "SPORTEL_ENV": "development"}
    env.pop("SPORTEL_SEAL_SHKODER_P12", None)
    out = json.loads(
        sportel(
            env,
            "shell",
            "-c",
            INPROCESS.replace("sys.argv[1]", str(start))
            .replace("sys.argv[2]", str(count))
            .replace("sys.argv[3]", str(threads)),
        )
        .strip()
        .splitlines()[-1]
    )
    lat = out["lat"]
    result = {
        "wall": out["wall"],
        "rate": len(lat) / out["wall"],
        "p50": pct(lat, 50),
        "p95": pct(lat, 95),
    }
    print(
        f"  {label} in-process ({threads} threads): {result['rate']:.0f}/s, "
        f"p50 {result['p50'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms",
        flush=True,
    )
    return result


def ensure_database(url: str) -> None:
    """Create the scratch database when it does not exist yet (``make bench`` on a new machine)."""
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def bench_env(data_dir: Path, database_url: str) -> dict[str, str]:
    """The environment the ``sportel`` commands run in: this process's, without any SPORTEL_
    setting of the caller's, with a fresh secret key, ``data_dir`` and ``database_url``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPORTEL_")},
        "SPORTEL_SECRET_KEY": secrets.token_urlsafe(50),
        "SPORTEL_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SPORTEL_DATA_DIR": str(data_dir),
        "SPORTEL_DATABASE_URL": database_url,
        "SPORTEL_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO / "src"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "SPORTEL_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/sportel_bench"
        ),
        help="a scratch database's URL (flushed; created when missing)",
    )
    parser.add_argument("--baseline", type=Path, help="an older checkout to compare with")
    parser.add_argument("--rounds", type=int, default=4, help="bursts per server start")
    parser.add_argument("--repeats", type=int, default=2, help="server starts per tree")
    parser.add_argument("--residents", type=int, default=50)
    parser.add_argument(
        "--workers", type=int, default=None, help="default: what `sportel serve` starts"
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="default: what `sportel serve` starts"
    )
    parser.add_argument("--inprocess-threads", type=int, default=8)
    parser.add_argument(
        "--concurrency",
        help="compare server sizes instead of trees: e.g. 5x4,2x8 (workers x threads), this "
        "checkout in each, alternated like the trees",
    )
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="sportel-bench-issuance-"))
    env = bench_env(data_dir, args.postgres)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    print(f"setting up {data_dir} ...", flush=True)
    ensure_database(args.postgres)
    sportel(env, "migrate", "--no-input")
    sportel(env, "flush", "--no-input")
    p12 = sportel(env, "shell", "-c", SETUP).strip().splitlines()[-1]
    passphrase = (Path(p12).parent / "seal.passphrase").read_text().strip()
    # Production settings for the served app, with the development seal given as a
    # production installation gives its own: from the environment.
    served = {
        **env,
        "SPORTEL_ENV": "production",
        "SPORTEL_SEAL_SHKODER_P12": p12,
        "SPORTEL_SEAL_SHKODER_PASSPHRASE": passphrase,
    }
    sportel(served, "collectstatic", "--no-input")

    trees = [("after", REPO / "src", args.workers, args.threads)]
    if args.baseline:
        trees.insert(0, ("before", args.baseline / "src", args.workers, args.threads))
    if args.concurrency:
        trees = []
        for size in args.concurrency.split(","):
            workers, threads = (int(x) for x in size.lower().split("x"))
            trees.append((size, REPO / "src", workers, threads))
    per_round = args.residents
    # Before and after alternate (A B A B …), so the machine's load drifts over both alike.
    need = args.repeats * len(trees) * (args.rounds + 1) * per_round
    sessions = json.loads(
        sportel(
            env, "shell", "-c", SEED.replace("sys.argv[1]", "0").replace("sys.argv[2]", str(need))
        )
        .strip()
        .splitlines()[-1]
    )
    runs: dict[str, dict[str, list]] = {t[0]: {"http": [], "in": []} for t in trees}
    offset = 0
    for _repeat in range(args.repeats):
        for label, src, workers, threads in trees:
            batches = [
                sessions[offset + i * per_round : offset + (i + 1) * per_round]
                for i in range(args.rounds)
            ]
            offset += args.rounds * per_round
            runs[label]["http"].append(
                serve_and_measure(
                    label,
                    src,
                    served,
                    batches,
                    rounds=args.rounds,
                    residents=per_round,
                    workers=workers,
                    threads=threads,
                )
            )
            runs[label]["in"].append(
                in_process(label, src, env, offset, per_round, args.inprocess_threads)
            )
            offset += per_round
    results = {}
    for label, got in runs.items():
        cold = [r[0] for r in got["http"]]
        warm = [x for r in got["http"] for x in r[1:]]
        keys = ("wall", "rate", "p50", "p95", "cpu_ms", "pg_cpu_ms")
        results[label] = {
            "cold": {k: statistics.median(x[k] for x in cold) for k in keys},
            "warm": {k: statistics.median(x[k] for x in warm) for k in keys},
            "in_process": {
                k: statistics.median(x[k] for x in got["in"]) for k in ("rate", "p50", "p95")
            },
            "errors": sum(x["errors"] for r in got["http"] for x in r),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
