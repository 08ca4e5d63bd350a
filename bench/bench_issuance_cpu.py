"""CPU per instant certificate, server and PostgreSQL apart, without gunicorn's noise: the same
JSON API submission as bench_issuance.py (session, CSRF exempt test client, production settings,
render, seal, register, close, notification queued), one request at a time in one process, the
code under test and a baseline tree alternating (A B A B …) in the same run.

On a machine shared with other work, wall-clock figures follow the load; the CPU time a request
costs the server process (``time.process_time``) and its PostgreSQL backend (``/proc``, same
machine) moves much less, and is what tells two trees apart. Also counts the statements each
request sends through Django, and optionally writes a cProfile (CPU clock) of the measured part.

    .venv/bin/python bench/bench_issuance_cpu.py --postgres postgres://postgres@127.0.0.1:5432/sportel_bench \\
        [--baseline /path/to/an/older/checkout] [--requests 120] [--repeats 3] [--profile out.prof]

The database is flushed first. Prints one line per run and the medians as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from bench.bench_issuance import SEED, SETUP, bench_env, sportel  # noqa: E402

MEASURE = r"""
import json, os, sys, time, cProfile
sys.path.insert(0, BENCH_REPO)
from bench.run import proc_cpu_seconds
from http.cookies import SimpleCookie
from pathlib import Path
from django.db import connection, connections
from django.test import Client
from sportel.core import warmup
sessions = json.loads(os.environ["BENCH_SESSIONS"])
warm = int(os.environ["BENCH_WARM"])
warmup.run()  # what a gunicorn worker does before its first request
client = Client(HTTP_HOST="localhost")  # one client: the middleware chain is built once
body = json.dumps({"service": "residence-certificate", "data": {"purpose": "Për bankën"}})

def one(key):
    client.cookies = SimpleCookie()
    client.cookies["sessionid"] = key
    r = client.post("/api/v1/municipalities/shkoder/applications", body,
                    content_type="application/json", secure=True)
    assert r.status_code == 201 and b'"closed"' in r.content, r.content[:300]

def pg_cpu():
    return proc_cpu_seconds(connection.cursor().connection.info.backend_pid)

for key in sessions[:warm]:
    one(key)
counts = []
def count(execute, sql, params, many, context):
    counts[-1] += 1
    return execute(sql, params, many, context)
profile = cProfile.Profile(time.process_time) if os.environ.get("BENCH_PROFILE") else None
pg0, cpu0, wall0 = pg_cpu(), time.process_time(), time.perf_counter()
with connection.execute_wrapper(count):
    if profile: profile.enable()
    for key in sessions[warm:]:
        counts.append(0)
        one(key)
    if profile: profile.disable()
cpu, wall, pg = time.process_time() - cpu0, time.perf_counter() - wall0, pg_cpu() - pg0
n = len(sessions) - warm
if profile:
    profile.dump_stats(os.environ["BENCH_PROFILE"])
connections.close_all()
print(json.dumps({"server_ms": cpu * 1000 / n, "pg_ms": pg * 1000 / n, "wall_ms": wall * 1000 / n,
                  "statements": sorted(set(counts)), "load": os.getloadavg()[0]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "SPORTEL_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/sportel_bench"
        ),
        help="an empty database's URL (flushed)",
    )
    parser.add_argument("--baseline", type=Path, help="an older checkout to compare with")
    parser.add_argument("--requests", type=int, default=120, help="measured requests per run")
    parser.add_argument("--warm", type=int, default=10, help="requests before measuring")
    parser.add_argument("--repeats", type=int, default=3, help="runs per tree")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the last 'after' run")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="sportel-bench-issuance-cpu-"))
    env = bench_env(data_dir, args.postgres)
    print(f"setting up {data_dir} ...", flush=True)
    sportel(env, "flush", "--no-input")
    sportel(env, "migrate", "--no-input")
    p12 = sportel(env, "shell", "-c", SETUP).strip().splitlines()[-1]
    passphrase = (Path(p12).parent / "seal.passphrase").read_text().strip()
    served = {
        **env,
        "SPORTEL_ENV": "production",
        "SPORTEL_SEAL_SHKODER_P12": p12,
        "SPORTEL_SEAL_SHKODER_PASSPHRASE": passphrase,
    }
    trees = [("after", REPO / "src")]
    if args.baseline:
        trees.insert(0, ("before", args.baseline / "src"))
    per_run = args.warm + args.requests
    need = per_run * args.repeats * len(trees)
    sessions = json.loads(
        sportel(
            env, "shell", "-c", SEED.replace("sys.argv[1]", "0").replace("sys.argv[2]", str(need))
        )
        .strip()
        .splitlines()[-1]
    )
    runs: dict[str, list[dict]] = {label: [] for label, _ in trees}
    for repeat in range(args.repeats):
        for label, src in trees:
            batch, sessions = sessions[:per_run], sessions[per_run:]
            run_env = {
                **served,
                "PYTHONPATH": str(src),
                "BENCH_SESSIONS": json.dumps(batch),
                "BENCH_WARM": str(args.warm),
            }
            if args.profile and label == "after" and repeat == args.repeats - 1:
                run_env["BENCH_PROFILE"] = str(args.profile.resolve())
            out = json.loads(
                sportel(run_env, "shell", "-c", MEASURE.replace("BENCH_REPO", repr(str(REPO))))
                .strip()
                .splitlines()[-1]
            )
            runs[label].append(out)
            print(
                f"  {label} run {repeat}: server {out['server_ms']:.1f} ms, PostgreSQL "
                f"{out['pg_ms']:.1f} ms, wall {out['wall_ms']:.0f} ms per request, "
                f"statements {out['statements']}, load {out['load']:.1f}",
                flush=True,
            )
    summary = {
        label: {
            key: round(statistics.median(r[key] for r in got), 2)
            for key in ("server_ms", "pg_ms", "wall_ms")
        }
        | {"statements": sorted({s for r in got for s in r["statements"]})}
        for label, got in runs.items()
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
