"""Fair results of a participatory budget: the Method of Equal Shares, completed.

Pure Python (no Django), exact arithmetic (``gmpy2.mpq`` rationals, as pabutools uses), so the
winners are *equal* to pabutools' reference computation::

    exhaustion_by_budget_increase(instance, profile, method_of_equal_shares,
                                  {"sat_class": Cost_Sat})

named ``equalshares/budget-increase`` in the ``.pb`` file's META.  The rule:

* every voter gets an equal share ``budget / number of ballots``;
* a project is *affordable* when its supporters can pay its cost together; among affordable
  projects the one with the smallest equal payment per supporter (relative to its cost: ``rho``)
  is funded first, poorer supporters paying all they have left and the others the same amount;
* ties (equal ``rho``, exactly) go to the project whose id comes first as a string (pabutools'
  lexicographic tie-breaking on project names);
* completion: while the outcome leaves money that could still fund another project, the whole
  computation is repeated with the budget raised by 1% of the original budget, and the last
  outcome that still fits the real budget is kept.

pabutools takes seconds for a few hundred voters; this one groups voters by their remaining
budget (voters who paid the same amounts are interchangeable) and counts members with numpy,
so a city-sized vote takes seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from gmpy2 import mpq

RULE = "equalshares/budget-increase"


@dataclass(frozen=True)
class Election:
    """One approval vote: project id → cost (whole lek), the budget, the ballots."""

    costs: Mapping[str, int]
    budget: int
    ballots: Sequence[Iterable[str]]


@dataclass
class Funding:
    """Why a project was or was not funded by the fair rule."""

    project: str
    cost: int
    votes: int
    funded: bool
    order: int | None = None  # 1 for the first project funded
    payment_per_supporter: mpq | None = None  # in lek, the equal share its richer supporters paid
    supporters_paying_all: int = 0  # supporters who gave everything they had left
    share_covered: mpq | None = None  # not funded: what its supporters had left / cost


@dataclass
class Result:
    winners: list[str]  # in the order the rule funded them
    budget_steps: int  # how many 1% raises completion needed
    per_voter_share: mpq  # each voter's share in the final round
    explanation: dict[str, Funding] = field(default_factory=dict)

    @property
    def total_cost(self) -> int:
        return sum(self.explanation[p].cost for p in self.winners)


class _Compiled:
    """The election as arrays: distinct ballots with their multiplicity, supporters per project."""

    def __init__(self, election: Election):
        self.names = sorted(election.costs)
        index = {name: i for i, name in enumerate(self.names)}
        self.costs = [int(election.costs[name]) for name in self.names]
        for name, cost in zip(self.names, self.costs, strict=True):
            if cost <= 0:
                raise ValueError(f"project {name}: the cost must be positive")
        distinct: dict[frozenset[int], int] = {}
        self.n = 0
        for ballot in election.ballots:
            key = frozenset(index[p] for p in ballot)
            distinct[key] = distinct.get(key, 0) + 1
            self.n += 1
        groups = list(distinct.items())
        self.weights = np.array([w for _, w in groups], dtype=np.int64)
        members: list[list[int]] = [[] for _ in self.names]
        for g, (ballot, _) in enumerate(groups):
            for j in ballot:
                members[j].append(g)
        self.supporters = [np.array(m, dtype=np.int64) for m in members]
        self.supporter_weights = [self.weights[s] for s in self.supporters]
        self.votes = [int(w.sum()) for w in self.supporter_weights]
        self.groups = len(groups)


TOLERANCE = 1e-9  # floats only prune; every decision within this margin is taken exactly


def _exact_rho(budgets, counts, present, cost, votes):
    """The exact smallest rho (payment per supporter / cost), or None if unaffordable."""
    members = sorted(
        zip([budgets[k] for k in present], counts[present].astype(np.int64).tolist(), strict=True)
    )
    paid = mpq(0)
    left = votes
    for b, m in members:
        # the equal payment (cost - paid) / left is within this class's budget
        if cost - paid <= b * left:
            return (cost - paid) / (left * cost)
        paid += b * m
        left -= m
    return None


def _float_rho(budgets_f, counts, present, cost, votes):
    """rho in floating point (None: surely unaffordable; nan: too close to call)."""
    bf = budgets_f[present]
    m = counts[present]
    available = float(bf @ m)
    if available < cost * (1 - TOLERANCE):
        return None
    if available < cost * (1 + TOLERANCE):
        return float("nan")
    order = np.argsort(bf, kind="stable")
    bf, m = bf[order], m[order]
    paid = np.concatenate(([0.0], np.cumsum(bf * m)[:-1]))
    left = votes - np.concatenate(([0.0], np.cumsum(m)[:-1]))
    i = int(np.argmax(cost - paid <= bf * left * (1 + TOLERANCE)))
    return (cost - paid[i]) / (left[i] * cost)


def _mes(c: _Compiled, share: mpq):
    """One run of the Method of Equal Shares with cost satisfaction, each voter holding ``share``.

    Returns the funded projects in order with their payment, and the final class budgets."""
    cls = np.zeros(c.groups, dtype=np.int64)  # budget class of each distinct ballot
    budgets: list[mpq] = [share]  # class id → remaining budget of each member
    budgets_f = [float(share)]
    class_of: dict[mpq, int] = {share: 0}
    remaining = {j for j in range(len(c.names)) if c.votes[j] > 0}
    stale = {j: 1 / c.votes[j] for j in remaining}  # lower bounds of rho (floats)
    funded: list[tuple[int, mpq, int]] = []
    while remaining:
        bf_all = np.array(budgets_f)
        best_f = float("inf")
        close: list[tuple[int, np.ndarray, np.ndarray]] = []
        for j in sorted(remaining, key=lambda j: stale[j]):
            if stale[j] > best_f * (1 + TOLERANCE):
                break
            sup = c.supporters[j]
            counts = np.bincount(cls[sup], weights=c.supporter_weights[j], minlength=len(budgets))
            present = np.flatnonzero(counts)
            rho_f = _float_rho(bf_all, counts, present, c.costs[j], c.votes[j])
            if rho_f is None:  # its supporters cannot pay for it together: never again
                remaining.discard(j)
                continue
            if rho_f != rho_f:  # affordable or not is too close to call in floats
                close.append((j, counts, present, None))
                continue
            stale[j] = rho_f * (1 - TOLERANCE)
            best_f = min(best_f, rho_f)
            close.append((j, counts, present, rho_f))
        # Exact decision among every project whose float rho is within the margin of the best.
        best: mpq | None = None
        tied: list[int] = []
        for j, counts, present, rho_f in close:
            if rho_f is not None and rho_f > best_f * (1 + TOLERANCE):
                continue
            rho = _exact_rho(budgets, counts, present, c.costs[j], c.votes[j])
            if rho is None:
                remaining.discard(j)
                continue
            if best is None or rho < best:
                best, tied = rho, [j]
            elif rho == best:
                tied.append(j)
        if not tied:
            if close:  # the near-best were unaffordable after all: look again
                continue
            break
        chosen = min(tied, key=lambda j: c.names[j])
        cost = c.costs[chosen]
        payment = best * cost
        sup = c.supporters[chosen]
        old = cls[sup]
        weight = np.bincount(old, weights=c.supporter_weights[chosen], minlength=len(budgets))
        present = np.flatnonzero(weight)
        lookup = np.arange(len(budgets), dtype=np.int64)
        poorest = 0
        for k, w in zip(present.tolist(), weight[present].tolist(), strict=True):
            b = budgets[k]
            if b <= payment:
                poorest += int(w)
            nb = b - min(b, payment)
            target = class_of.get(nb)
            if target is None:
                target = len(budgets)
                budgets.append(nb)
                budgets_f.append(float(nb))
                class_of[nb] = target
            lookup[k] = target
        if len(lookup) < len(budgets):
            lookup = np.concatenate((lookup, np.arange(len(lookup), len(budgets))))
        cls[sup] = lookup[old]
        remaining.discard(chosen)
        funded.append((chosen, payment, poorest))
    return funded, cls, budgets


class _Uncertain(Exception):
    """A float run met a decision too close to call: the step is computed exactly instead."""


def _mes_fast(c: _Compiled, share: float) -> list[int]:
    """The funded projects of one MES run in floating point, every decision certified.

    Each choice (which project is cheapest per supporter, whether a project is affordable) must
    win by a relative margin of ``TOLERANCE``, far above the rounding of float arithmetic here
    (about 1e-13); otherwise :class:`_Uncertain` is raised and the caller runs the step exactly.
    Ties (equal ``rho``) are always too close to call, so they are always broken exactly."""
    cls = np.zeros(c.groups, dtype=np.int64)
    budgets = np.empty(64, dtype=np.float64)
    budgets[0], budgets[1] = share, 0.0  # class 1: supporters who gave all they had
    size = 2
    remaining = {j for j in range(len(c.names)) if c.votes[j] > 0}
    stale = {j: 1 / c.votes[j] for j in remaining}
    funded: list[int] = []
    margin = 1 + TOLERANCE
    while remaining:
        best = float("inf")
        best_j = -1
        second = float("inf")
        bf_all = budgets[:size]
        for j in sorted(remaining, key=lambda j: stale[j]):
            if stale[j] > best * margin:
                second = min(second, stale[j])
                break
            counts = np.bincount(
                cls[c.supporters[j]], weights=c.supporter_weights[j], minlength=size
            )
            present = np.flatnonzero(counts)
            rho = _float_rho(bf_all, counts, present, c.costs[j], c.votes[j])
            if rho is None:
                remaining.discard(j)
                continue
            if rho != rho:
                raise _Uncertain
            stale[j] = rho * (1 - TOLERANCE)
            if rho < best:
                best, second, best_j = rho, best, j
            else:
                second = min(second, rho)
        if best_j < 0:
            break
        if second <= best * margin:
            raise _Uncertain
        chosen = best_j
        payment = best * c.costs[chosen]
        sup = c.supporters[chosen]
        old = cls[sup]
        weight = np.bincount(old, weights=c.supporter_weights[chosen], minlength=size)
        present = np.flatnonzero(weight)
        b = budgets[present]
        near = np.abs(b - payment) <= payment * TOLERANCE
        if near.any() and np.any(b[near] != 0):
            raise _Uncertain  # paying all or an equal share: too close to call
        new = b - np.minimum(b, payment)
        lookup = np.arange(size, dtype=np.int64)
        poor = new <= 0
        lookup[present[poor]] = 1
        rich = present[~poor]
        if size + len(rich) > len(budgets):
            budgets = np.concatenate((budgets, np.empty(size + len(rich), dtype=np.float64)))
        targets = np.arange(size, size + len(rich), dtype=np.int64)
        budgets[targets] = new[~poor]
        lookup[rich] = targets
        size += len(rich)
        lookup = np.concatenate((lookup, np.arange(len(lookup), size)))
        cls[sup] = lookup[old]
        remaining.discard(chosen)
        funded.append(chosen)
    return funded


def _fits(c: _Compiled, chosen: set[int], budget: int) -> tuple[bool, bool]:
    total = sum(c.costs[j] for j in chosen)
    feasible = total <= budget
    exhaustive = all(j in chosen or c.costs[j] + total > budget for j in range(len(c.names)))
    return feasible, exhaustive


def equal_shares(election: Election) -> Result:
    """Winners of ``equalshares/budget-increase`` with a per-project explanation."""
    c = _Compiled(election)
    budget = int(election.budget)
    step = mpq(budget, 100)
    bound = budget * (c.n + 1)
    everything = sum(c.costs)
    previous = None
    limit = mpq(budget)
    steps = 0
    if c.n:
        while limit <= bound:
            share = limit / c.n
            try:
                chosen = set(_mes_fast(c, float(share)))
                run = None
            except _Uncertain:
                run = _mes(c, share)
                chosen = {j for j, _, _ in run[0]}
            feasible, exhaustive = _fits(c, chosen, budget)
            if not feasible:
                break
            previous = (run, share, steps, chosen)
            if exhaustive:
                break
            if share >= everything:
                # Every supporter can now pay every project alone: the outcome (all supported
                # projects) stays the same for every larger budget, up to the bound.
                break
            limit += step
            steps += 1
    if previous is not None:
        run, share, steps, chosen = previous
        if run is None:  # the kept outcome, computed exactly for its explanation
            run = _mes(c, share)
            if {j for j, _, _ in run[0]} != chosen:  # pragma: no cover - a certified run lied
                raise AssertionError("the float run and the exact run disagree")
        previous = (run, share, steps)
    return _explain(c, previous, budget)


def _explain(c: _Compiled, previous, budget: int) -> Result:
    if previous is None:
        funded, cls, budgets, share, steps = [], None, None, mpq(0), 0
    else:
        (funded, cls, budgets), share, steps = previous
    order = {j: (i + 1, pay, poorest) for i, (j, pay, poorest) in enumerate(funded)}
    explanation = {}
    for j, name in enumerate(c.names):
        f = Funding(project=name, cost=c.costs[j], votes=c.votes[j], funded=j in order)
        if j in order:
            f.order, f.payment_per_supporter, f.supporters_paying_all = order[j]
        elif c.votes[j] and cls is not None:
            counts = np.bincount(
                cls[c.supporters[j]], weights=c.supporter_weights[j], minlength=len(budgets)
            )
            left = sum(budgets[k] * int(counts[k]) for k in np.flatnonzero(counts))
            f.share_covered = min(mpq(1), left / c.costs[j])
        else:
            f.share_covered = mpq(0)
        explanation[name] = f
    return Result(
        winners=[c.names[j] for j, _, _ in funded],
        budget_steps=steps,
        per_voter_share=share,
        explanation=explanation,
    )


def greedy(election: Election) -> list[str]:
    """The usual "most votes" outcome: by votes (then cheaper, then id), while money is left."""
    votes = dict.fromkeys(election.costs, 0)
    for ballot in election.ballots:
        for p in ballot:
            votes[p] += 1
    left = int(election.budget)
    chosen = []
    for p in sorted(election.costs, key=lambda p: (-votes[p], election.costs[p], p)):
        if votes[p] and election.costs[p] <= left:
            chosen.append(p)
            left -= election.costs[p]
    return chosen
