"""Foundation benchmark: requests/s and p95 latency of the home page (``/``) and ``/healthz``
under ``sportel serve`` (gunicorn, production settings, demo data), next to the floor: a bare
Django view returning a constant under exactly the same gunicorn command.

    .venv/bin/python bench/foundation.py          (or: make bench)

Environment: SPORTEL_BENCH_DATABASE_URL (default: a fresh SQLite file; a PostgreSQL URL,
of an existing empty database made with ``createdb``, writes its own section), SPORTEL_WORKERS and
SPORTEL_THREADS (default: what ``sportel serve`` picks), BENCH_ROUNDS, BENCH_REQUESTS,
BENCH_SECONDS, BENCH_CONCURRENCY. Rewrites its section of docs/benchmarks.md.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1]),
    str(Path(__file__).resolve().parents[1] / "src"),
]

from bench.run import (  # noqa: E402
    REPO,
    SPORTEL,
    Server,
    free_port,
    gunicorn_command,
    load,
    machine,
    median,
    today,
    write_section,
)
from sportel.core.secrets import new_secret_key  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
SOLO = int(os.environ.get("BENCH_SOLO_REQUESTS", "200"))
SEED = (
    "from sportel import demo; from sportel.core.tenancy import load_municipalities; "
    "demo.seed_core(); load_municipalities()"
)
TITLE = "Foundation: home page and /healthz under gunicorn"


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="sportel-bench-"))
    database_url = os.environ.get(
        "SPORTEL_BENCH_DATABASE_URL", f"sqlite:///{data_dir / 'sportel.sqlite3'}"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPORTEL_")},
        "SPORTEL_ENV": "production",
        "SPORTEL_SECRET_KEY": new_secret_key(),
        "SPORTEL_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SPORTEL_DATA_DIR": str(data_dir),
        "SPORTEL_DATABASE_URL": database_url,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
    }
    for name in ("SPORTEL_WORKERS", "SPORTEL_THREADS"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    print(f"setting up demo data and static files in {data_dir} ...", flush=True)
    # The foundation's own demo data (users, roles, people) and every municipality of the
    # country with its units, so the home page lists all 61 as in a national installation.
    # Other modules' seeders are left out: this benchmark measures the ground they stand on.
    subprocess.run(
        [SPORTEL, "migrate", "--no-input"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run([SPORTEL, "shell", "-c", SEED], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [SPORTEL, "collectstatic", "--no-input"], env=env, check=True, stdout=subprocess.DEVNULL
    )

    workers = int(env.get("SPORTEL_WORKERS") or 0) or None
    threads = int(env.get("SPORTEL_THREADS") or 4)
    app_port, floor_port = free_port(), free_port()
    app_cmd = gunicorn_command(
        f"127.0.0.1:{app_port}", env, workers=workers or _default_workers(env), threads=threads
    )
    floor_cmd = [
        arg.replace("sportel.wsgi:application", "bench.floor.wsgi:application").replace(
            str(app_port), str(floor_port)
        )
        for arg in app_cmd
    ]
    shown_workers = app_cmd[app_cmd.index("--workers") + 1]
    # The floor has no metrics; it must not share (and wipe at start) Sportel's metrics files.
    floor_env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}

    results: dict[str, list] = {"home": [], "healthz": [], "floor": []}
    solo: dict[str, list[float]] = {name: [] for name in results}
    cpu: dict[str, list[float]] = {name: [] for name in results}
    with (
        Server(app_cmd, env, app_port, data_dir / "app.log") as app,
        Server(floor_cmd, floor_env, floor_port, data_dir / "floor.log") as floor,
    ):
        app.wait_ready("/healthz")
        floor.wait_ready("/")
        servers = {app_port: app, floor_port: floor}
        targets = {
            "home": (app_port, "/"),
            "healthz": (app_port, "/healthz"),
            "floor": (floor_port, "/"),
        }
        for port, path in targets.values():  # warm up every worker and cache
            load(port, path, requests=400, seconds=10, concurrency=CONCURRENCY)
        for n in range(ROUNDS):
            for name, (port, path) in targets.items():  # interleaved: drift hits all alike
                server = servers[port]
                cpu_before = server.cpu_seconds()
                r = load(port, path, requests=REQUESTS, seconds=SECONDS, concurrency=CONCURRENCY)
                cpu[name].append((server.cpu_seconds() - cpu_before) / max(r.requests, 1))
                results[name].append(r)
                # One connection, one request at a time: the service time without queueing.
                alone = load(port, path, requests=SOLO, seconds=SECONDS, concurrency=1)
                solo[name].append(alone.percentile(50))
                print(
                    f"round {n + 1} {name:8} {r.rps:8.0f} req/s  p50 {r.percentile(50) * 1000:6.1f} ms"
                    f"  p95 {r.percentile(95) * 1000:6.1f} ms  errors {r.errors}"
                    f"  alone p50 {alone.percentile(50) * 1000:6.1f} ms",
                    flush=True,
                )

        server_p95 = server_side_p95(app_port, {"home": "", "healthz": "healthz"})

    summary = {
        name: {
            "rps": median([r.rps for r in rs]),
            "p50": median([r.percentile(50) for r in rs]) * 1000,
            "p95": median([r.percentile(95) for r in rs]) * 1000,
            "errors": sum(r.errors for r in rs),
            "requests": sum(r.requests for r in rs),
            "alone": median(solo[name]) * 1000,
            "cpu": median(cpu[name]) * 1000,
        }
        for name, rs in results.items()
    }
    floor_rps, floor_p95 = summary["floor"]["rps"], summary["floor"]["p95"]
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    rows = [
        ("`/` home page (Albanian, demo data)", "home"),
        ("`/healthz` (one `SELECT 1`)", "healthz"),
        ("floor: bare Django view, constant", "floor"),
    ]
    home_server = server_p95.get("home", float("nan"))
    if home_server != home_server:  # NaN: no histogram data came back
        verdict = "not measured"
    else:
        verdict = f"at {home_server:.0f} ms, " + ("within it" if home_server < 50 else "above it")
    table = "\n".join(
        f"| {label} | {summary[key]['rps']:.0f} | {summary[key]['p50']:.1f} | "
        f"{summary[key]['p95']:.1f} | {summary[key]['rps'] / floor_rps:.2f} | "
        f"{summary[key]['p95'] / floor_p95:.1f} | {_ms(server_p95.get(key))} | "
        f"{summary[key]['alone']:.1f} | {summary[key]['cpu']:.2f} | "
        f"{(os.cpu_count() or 1) * 1000 / summary[key]['cpu']:.0f} | "
        f"{summary[key]['errors']} |"
        for label, key in rows
    )
    body = f"""
Requests per second and latency of Sportel's home page and `/healthz` under `sportel serve`
(gunicorn, gthread, production settings: `SPORTEL_ENV=production`, manifest static files,
JSON request logs at INFO), next to the floor: a bare Django view returning a constant (no apps,
no middleware, no database) run by the very same gunicorn command. The load generator
(bench/run.py: {CONCURRENCY} keep-alive connections over {min(os.cpu_count() or 1, CONCURRENCY)}
processes, loopback only) runs on the same machine and takes CPU from the server, for the floor
as much as for Sportel; the ratio is the figure to watch. Under load, 16 connections share
the CPUs with every gunicorn thread and the generator, so the loaded latencies (and the server
p95, which includes waiting for the CPU and the GIL inside a worker) measure contention as much
as code; "alone p50" is what one request costs when nothing queues. When the load average at
the start is well above the number of CPUs, other work was running and the absolute figures
are low; rerun on a quiet machine before comparing them with DESIGN.md's targets.

- Date: {today()}
- Machine: {machine()}
- Database: {database}; gunicorn: {shown_workers} workers × {threads} threads
- Load: {ROUNDS} round(s) per URL, each {REQUESTS} requests or {SECONDS:.0f} s, after 400 warm-up
  requests; figures are medians over the rounds (latency measured at the client)
- Server p95: from Sportel's own `/metrics` latency histogram (time inside Django, without
  gunicorn queueing; interpolated between buckets). DESIGN.md's target for main pages is
  p95 < 50 ms server time with a national-size database; this page is {verdict}.
- Alone p50: the median of {SOLO} requests sent one at a time over one connection after each
  loaded round: the cost of one request when nothing queues.
- Server CPU ms/req: CPU time of gunicorn's master and workers during the loaded rounds
  divided by the requests answered; "CPUs ÷ CPU ms" is the rate this machine's cores could
  sustain with nothing else running (and no load generator): the figure that does not depend
  on what else the machine was doing.
- Command: `make bench` (or `.venv/bin/python bench/foundation.py`)

| URL | req/s | p50 ms | p95 ms | req/s ÷ floor | p95 ÷ floor | server p95 ms | alone p50 ms | server CPU ms/req | CPUs ÷ CPU ms (req/s) | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{table}
"""
    print(body)
    write_section(f"{TITLE} ({database})", body)
    shutil.rmtree(data_dir, ignore_errors=True)


def _ms(value) -> str:
    return "–" if value is None or value != value else f"{value:.1f}"


def server_side_p95(port: int, routes: dict[str, str]) -> dict[str, float]:
    """p95 of server time per route, interpolated from /metrics' latency histogram (coarse
    buckets: 5, 10, 25, 50, 100 ms...), i.e. without the time spent queueing in gunicorn."""
    import http.client

    from prometheus_client.parser import text_string_to_metric_families

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics", headers={"X-Forwarded-Proto": "https", "Host": "localhost"})
    text = conn.getresponse().read().decode()
    buckets: dict[str, list[tuple[float, float]]] = {name: [] for name in routes}
    for family in text_string_to_metric_families(text):
        if family.name != "sportel_http_request_duration_seconds":
            continue
        for sample in family.samples:
            if not sample.name.endswith("_bucket") or sample.labels.get("method") != "GET":
                continue
            for name, route in routes.items():
                if sample.labels.get("route") == route:
                    buckets[name].append((float(sample.labels["le"]), sample.value))
    result = {}
    for name, rows in buckets.items():
        rows.sort()
        total = rows[-1][1] if rows else 0
        lower_bound, lower_count = 0.0, 0.0
        result[name] = float("nan")
        for bound, count in rows:
            if total and count >= 0.95 * total:
                if bound == float("inf"):
                    result[name] = lower_bound * 1000
                else:
                    share = (0.95 * total - lower_count) / max(count - lower_count, 1)
                    result[name] = (lower_bound + share * (bound - lower_bound)) * 1000
                break
            lower_bound, lower_count = bound, count
    return result


def _default_workers(env) -> int:
    return min(2 * (os.cpu_count() or 1) + 1, 12)


if __name__ == "__main__":
    main()
