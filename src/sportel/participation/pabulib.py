"""The pabulib ``.pb`` file of a closed vote: META, PROJECTS and VOTES sections, ``;``-separated.

Anyone can recount it with pabutools (see docs/participation.md)::

    instance, profile = parse_pabulib("budget.pb")
    exhaustion_by_budget_increase(instance, profile, method_of_equal_shares,
                                  {"sat_class": Cost_Sat})

The ballots are written in a canonical order (sorted by the projects they approve) and numbered
from 1, so nothing in the file follows the order in which people voted or who they are.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping

from .fair import RULE, Election


def write_pb(
    meta: Mapping[str, str],
    projects: Iterable[Mapping[str, str | int]],
    ballots: Iterable[Iterable[str]],
) -> str:
    """The file's text. ``projects`` rows have project_id, cost, name and selected (0/1)."""
    projects = list(projects)
    canonical = sorted(sorted(b, key=_project_key) for b in ballots)
    canonical.sort(key=lambda b: [_project_key(p) for p in b])
    votes: dict[str, int] = {str(p["project_id"]): 0 for p in projects}
    for ballot in canonical:
        for p in ballot:
            votes[p] += 1
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(["META"])
    w.writerow(["key", "value"])
    head = {
        "num_projects": str(len(projects)),
        "num_votes": str(len(canonical)),
        "vote_type": "approval",
        "rule": RULE,
    }
    for key, value in {**{k: v for k, v in meta.items() if v != ""}, **head}.items():
        w.writerow([key, value])
    w.writerow(["PROJECTS"])
    w.writerow(["project_id", "cost", "votes", "name", "selected"])
    for p in sorted(projects, key=lambda p: _project_key(str(p["project_id"]))):
        pid = str(p["project_id"])
        w.writerow([pid, int(p["cost"]), votes[pid], _clean(p["name"]), int(p["selected"])])
    w.writerow(["VOTES"])
    w.writerow(["voter_id", "vote"])
    for number, ballot in enumerate(canonical, start=1):
        w.writerow([number, ",".join(ballot)])
    return out.getvalue()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_pb(text: str) -> tuple[dict[str, str], Election]:
    """META and the election in a ``.pb`` file (approval votes), for Sportel's own recount."""
    meta: dict[str, str] = {}
    costs: dict[str, int] = {}
    ballots: list[list[str]] = []
    section = ""
    rows = csv.reader(io.StringIO(text), delimiter=";")
    for row in rows:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if row[0].strip().lower() in ("meta", "projects", "votes"):
            section = row[0].strip().lower()
            header = [h.strip() for h in next(rows)]
            continue
        record = dict(zip(header, (cell.strip() for cell in row), strict=False))
        if section == "meta":
            meta[row[0].strip()] = row[1].strip()
        elif section == "projects":
            costs[record["project_id"]] = int(record["cost"])
        elif section == "votes":
            ballots.append([p for p in record["vote"].split(",") if p])
    if meta.get("vote_type") != "approval":
        raise ValueError("only approval votes can be recounted")
    for ballot in ballots:
        unknown = set(ballot) - costs.keys()
        if unknown:
            raise ValueError(f"a ballot names unknown projects: {sorted(unknown)}")
    return meta, Election(costs=costs, budget=int(meta["budget"]), ballots=ballots)


def _project_key(pid: str):
    return (0, int(pid), "") if pid.isdigit() else (1, 0, pid)


def _clean(name) -> str:
    return " ".join(str(name).split())
