"""Benchmark of sportel.participation.fair: results of a city-sized participatory budget.

    .venv/bin/python bench/bench_participation.py [--voters 100000] [--projects 100]
        [--pabutools-limit 600] [--no-record]

Computes ``equalshares/budget-increase`` (Method of Equal Shares, cost satisfaction, completed
by raising the budget 1% at a time) with Sportel's engine on a generated vote with a realistic
shape (projects of very different popularity and cost, ballots of 1–8 projects), then runs
pabutools on the same instance in a child process killed after --pabutools-limit seconds, and
on growing instances (voters doubling from 100) to find the largest it finishes within that
limit; winners are compared wherever both finish. Prints the figures and rewrites its own
section of docs/benchmarks.md.
"""

import argparse
import multiprocessing
import os
import platform
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "participation"))
sys.path.insert(0, str(ROOT / "src"))

from sportel.participation.fair import Election, equal_shares, greedy  # noqa: E402


def generate(voters: int, projects: int, seed: int = 2026) -> Election:
    rng = random.Random(seed)
    names = [str(i + 1) for i in range(projects)]
    costs = {p: rng.choice([2, 3, 5, 8, 12, 20, 35, 60]) * 500_000 for p in names}
    popularity = [rng.paretovariate(1.2) for _ in names]
    budget = sum(costs.values()) // 4
    ballots = []
    for _ in range(voters):
        k = rng.randint(1, 8)
        ballots.append(set(rng.choices(names, weights=popularity, k=k)))
    return Election(costs, budget, ballots)


def _pabutools(election, queue):
    from reference import pabutools_winners

    start = time.perf_counter()
    winners = pabutools_winners(election.costs, election.budget, election.ballots)
    queue.put((time.perf_counter() - start, winners))


def pabutools_bounded(election: Election, limit: float):
    """(seconds, winners) or None when pabutools did not finish within limit seconds."""
    queue = multiprocessing.get_context("fork").Queue()
    proc = multiprocessing.get_context("fork").Process(target=_pabutools, args=(election, queue))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None
    return queue.get()


def ours(election: Election):
    start = time.perf_counter()
    result = equal_shares(election)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--pabutools-limit", type=float, default=600)
    parser.add_argument("--no-record", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args()
    rows = []
    big = generate(args.voters, args.projects)
    seconds, result = ours(big)
    print(
        f"sportel {args.voters} voters × {args.projects} projects: {seconds:.2f} s, "
        f"{len(result.winners)} funded, {result.budget_steps} budget steps, "
        f"greedy funds {len(greedy(big))}"
    )
    ref = pabutools_bounded(big, args.pabutools_limit)
    rows.append((args.voters, seconds, ref))
    print("pabutools same instance:", "did not finish" if ref is None else f"{ref[0]:.1f} s")
    largest = None
    voters = 100
    while ref is None and voters < args.voters:
        small = generate(voters, args.projects)
        ref_small = pabutools_bounded(small, args.pabutools_limit)
        if ref_small is None:
            break
        s, r = ours(small)
        same = sorted(r.winners) == ref_small[1]
        print(f"{voters} voters: sportel {s:.3f} s, pabutools {ref_small[0]:.1f} s, same: {same}")
        assert same, "winners differ from pabutools"
        largest = (voters, s, ref_small)
        rows.append(largest)
        voters *= 2
    if ref is not None:
        assert sorted(result.winners) == ref[1], "winners differ from pabutools"
    if largest:
        print(f"largest instance pabutools finished: {largest[0]} voters")
    if not args.no_record:
        record(args, rows)


def record(args, rows) -> None:
    def fmt(ref):
        return f"not finished in {args.pabutools_limit:.0f} s" if ref is None else f"{ref[0]:.1f} s"

    lines = [
        "## Participation: fair results (Method of Equal Shares with completion)",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work, "
        f"Python {platform.python_version()}; load average at the end "
        f"{os.getloadavg()[0]:.1f} (other engineers' work: absolute times are inflated)",
        "- Command: `.venv/bin/python bench/bench_participation.py "
        f"--voters {args.voters} --projects {args.projects} "
        f"--pabutools-limit {args.pabutools_limit:.0f}`",
        "- Rule `equalshares/budget-increase`, exact rationals in both; pabutools 1.2.3 is "
        '`exhaustion_by_budget_increase(..., method_of_equal_shares, {"sat_class": Cost_Sat})`',
        "- Target: < 10 s for 100 000 voters × 100 projects. Sportel runs each 1% step in "
        "floating point with every decision certified by a 1e-9 margin, and exactly (gmpy2 "
        "rationals) any step with a decision too close to call (ties) and the outcome it keeps",
        "- The voter counts double from 100 until pabutools no longer finishes within the limit",
        "",
        "| voters × projects | Sportel | pabutools | same winners |",
        "|---|---:|---:|---|",
    ]
    for voters, seconds, ref in rows:
        same = "—" if ref is None else "yes"
        lines.append(f"| {voters} × {args.projects} | {seconds:.2f} s | {fmt(ref)} | {same} |")
    section = "\n".join(lines) + "\n"
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    pattern = re.compile(r"## Participation: fair results.*?(?=\n## |\Z)", re.S)
    if pattern.search(text):
        text = pattern.sub(section.rstrip("\n") + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


if __name__ == "__main__":
    main()
