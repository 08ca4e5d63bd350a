"""Benchmark of sportel.documents.merkle: appends, roots and proofs on a log of national size.

    .venv/bin/python bench/bench_merkle.py [--leaves 1000000] [--repeat 5] [--no-record]

The floor of each figure is the same SHA-256 work done by hashlib alone (the hashes the
operation cannot avoid), so the ratio is what the tree logic and the node store add. The
store is merkle.MemoryStore: database reads are the documents module's benchmark. Prints the
figures and rewrites its own section of docs/benchmarks.md.
"""

import argparse
import contextlib
import hashlib
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path

from sportel.documents import merkle


class Recording:
    def __init__(self, inner):
        self.inner, self.reads = inner, []

    def get(self, level, index):
        self.reads.append((level, index))
        return self.inner.get(level, index)


def paired(ours, floor, repeat, per):
    """Median seconds per operation of ours() and floor(), run alternately so that load from
    other processes hits both alike; floor may be None."""
    times: dict[str, list[float]] = {"ours": [], "floor": []}
    for _ in range(repeat):
        for name, fn in (("ours", ours), ("floor", floor)):
            if fn is None:
                continue
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    ours_s = statistics.median(times["ours"]) / per
    return ours_s, (statistics.median(times["floor"]) / per if times["floor"] else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--no-record", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args()
    n, repeat = args.leaves, args.repeat
    rng = random.Random(9162)
    leaves = [merkle.leaf_hash(f"document {i}".encode()) for i in range(n)]

    # --- append: n leaves, every completed node stored ------------------------------------
    def build():
        store = merkle.MemoryStore()
        for size, leaf in enumerate(leaves):
            for level, index, h in merkle.append(store, size, leaf):
                store.put(level, index, h)
        return store

    def build_floor():
        # The same node hashes, in the same order, straight from hashlib into a dict.
        nodes = {}
        sha = hashlib.sha256
        for size, leaf in enumerate(leaves):
            nodes[(0, size)] = h = leaf
            level, index = 0, size
            while index & 1:
                h = sha(b"\x01" + nodes[(level, index - 1)] + h).digest()
                level, index = level + 1, index >> 1
                nodes[(level, index)] = h

    append_figures = paired(build, build_floor, max(1, repeat // 2), n)
    store = build()

    # --- proofs on random positions ----------------------------------------------------------
    sizes = [rng.randint(n // 2, n) for _ in range(args.proofs)]
    indices = [rng.randrange(size) for size in sizes]
    olds = [rng.randint(1, size) for size in sizes]

    def roots():
        for size in sizes:
            merkle.root(store, size)

    def inclusions():
        for index, size in zip(indices, sizes, strict=True):
            merkle.inclusion_proof(store, index, size)

    def consistencies():
        for old, size in zip(olds, sizes, strict=True):
            merkle.consistency_proof(store, old, size)

    proofs = [merkle.inclusion_proof(store, i, s) for i, s in zip(indices, sizes, strict=True)]
    tree_roots = {size: merkle.root(store, size) for size in set(sizes)}
    cproofs = [merkle.consistency_proof(store, o, s) for o, s in zip(olds, sizes, strict=True)]
    old_roots = {old: merkle.root(store, old) for old in set(olds)}

    def verify_inclusions():
        for index, size, proof in zip(indices, sizes, proofs, strict=True):
            assert merkle.verify_inclusion(leaves[index], index, size, proof, tree_roots[size])

    def verify_consistencies():
        for old, size, proof in zip(olds, sizes, cproofs, strict=True):
            assert merkle.verify_consistency(old, size, old_roots[old], tree_roots[size], proof)

    def verify_floor():
        # One SHA-256 per proof element: what any verifier must compute.
        sha = hashlib.sha256
        for index, proof in zip(indices, proofs, strict=True):
            h = leaves[index]
            for p in proof:
                h = sha(b"\x01" + p + h).digest()

    def reads_floor(operation, calls):
        """The same node reads from the dict plus the folds they need, as straight-line code."""
        recorded = []
        for args_ in calls:
            recording = Recording(store)
            out = operation(recording, *args_)
            folds = len(recording.reads) - (len(out) if isinstance(out, list) else 1)
            recorded.append((recording.reads, max(folds, 0)))
        nodes, sha, pad = store.nodes, hashlib.sha256, b"\x01" + bytes(64)

        def floor():
            for keys, folds in recorded:
                for key in keys:
                    nodes[key]
                for _ in range(folds):
                    sha(pad).digest()

        return floor

    per = args.proofs
    figures = {
        "append": append_figures,
        "root": paired(roots, reads_floor(merkle.root, [(s,) for s in sizes]), repeat, per),
        "inclusion_proof": paired(
            inclusions,
            reads_floor(merkle.inclusion_proof, list(zip(indices, sizes, strict=True))),
            repeat,
            per,
        ),
        "consistency_proof": paired(
            consistencies,
            reads_floor(merkle.consistency_proof, list(zip(olds, sizes, strict=True))),
            repeat,
            per,
        ),
        "verify_inclusion": paired(verify_inclusions, verify_floor, repeat, per),
        "verify_consistency": paired(verify_consistencies, None, repeat, per),
    }
    mean_proof = statistics.mean(len(p) for p in proofs)
    command = " ".join([".venv/bin/python bench/bench_merkle.py", *sys.argv[1:]])
    out = [
        f"{n:,} leaves in a MemoryStore, {per:,} random proofs (tree sizes n/2..n), median of "
        f"{repeat} alternating runs (ours, floor); mean inclusion proof {mean_proof:.1f} hashes. {_machine()}.",
        "",
        "| operation | µs per operation | floor µs | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name, (ours, floor) in figures.items():
        floor_text = f"{floor * 1e6:.2f}" if floor else "–"
        ratio = f"{ours / floor:.2f}" if floor else "–"
        out.append(f"| {name} | {ours * 1e6:.2f} | {floor_text} | {ratio} |")
    out += [
        "",
        f"Append throughput: {1 / figures['append'][0]:,.0f} leaves/s. Floors: append = the same "
        "node hashes by hashlib into a dict; root/proofs = the same node reads from the dict plus "
        "the same number of SHA-256 folds; verify_inclusion = one SHA-256 per proof element.",
        "",
        f"Command: `{command}`",
    ]
    body = "\n".join(out)
    print(body)
    if not args.no_record:
        _write_section("Merkle tree (transparency log)", body)


def _machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def _write_section(title: str, body: str) -> None:
    """Replace ``## title`` (up to the next ``## ``) in docs/benchmarks.md, or append it."""
    doc = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    section = f"## {title}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    doc.write_text(text.rstrip() + "\n")


if __name__ == "__main__":
    main()
