"""Local-search solvers on the shared-matrix batch: greedy descent and simulated annealing."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..qubo import QuboBatch
from . import _kernels
from .base import Solution, check_nonnegative, finish, initial_choices
from .gptq import gptq_round

INITS = ("rtn", "gptq")
HOTTER = 3.0


def kernel_arrays(problem: QuboBatch, H: np.ndarray, rows: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, ...]:
    """Arguments of the compiled kernels for ``rows`` (H holds just those rows): (C, d, linear, free_idx, counts, H, G)."""
    free, d = problem.free[rows], problem.d[rows]
    counts = free.sum(axis=1).astype(np.int64)
    order = np.argsort(~free, axis=1, kind="stable")  # free variables first, in order
    G = (H * d) @ problem.C
    return (problem.C, d, problem.linear[rows], order.astype(np.int64), counts, H, G)


def correlated_partners(C: np.ndarray, count: int, block: int = 512) -> np.ndarray:
    """For each input, the ``count`` other inputs most correlated with it (|C_jk| / sqrt(C_jj C_kk)).

    Computed ``block`` rows at a time, so the extra memory is block x (f+1), not (f+1)^2.
    """
    m = C.shape[0]
    count = min(count, m - 1)
    if count <= 0:
        return np.zeros((m, 0), dtype=np.int64)
    scale = np.sqrt(np.maximum(np.diag(C), np.finfo(float).tiny))
    partners = np.empty((m, count), dtype=np.int64)
    for b0 in range(0, m, block):
        rows = np.arange(b0, min(b0 + block, m))
        corr = np.abs(C[rows]) / scale[rows, None] / scale[None, :]
        corr[np.arange(len(rows)), rows] = -1.0
        partners[rows] = np.argpartition(-corr, count - 1, axis=1)[:, :count]
    return partners


def solve_small_rows_exactly(problem: QuboBatch, H: np.ndarray, exact_max: int) -> int:
    """Replace in place the rows of ``H`` with at most ``exact_max`` free variables by their optimum; returns how many."""
    counts = problem.free.sum(axis=1)
    steps = np.exp2(np.minimum(counts, 62)) * problem.shape[1]
    rows = np.flatnonzero((counts <= exact_max) & (counts > 0) & (steps <= 2.0**26))
    if rows.size:
        C, d, linear, order, counts_, Hs, Gs = kernel_arrays(problem, H[rows].copy(), rows)
        _kernels.exhaustive(C, d, linear, order, counts_, Hs, Gs)
        H[rows] = Hs
    return int(rows.size)


def _start(problem: QuboBatch, start: np.ndarray | None, init: str) -> np.ndarray:
    if start is None and init == "gptq":
        return gptq_round(problem)
    return initial_choices(problem, start)


def _check_init(init: str) -> None:
    if init not in INITS:
        raise ValueError(f"init={init!r} is not supported; choose one of {', '.join(INITS)}")


@dataclass(frozen=True)
class Greedy:
    """Best-improvement single flips until no flip lowers a row's energy (a local minimum).

    init: where to start when ``solve`` gets no start: "rtn" (round-to-nearest) or "gptq"
    (sequential rounding with error feedback, ``gptq.gptq_round``).
    pairs: also flip pairs of each variable and its ``pairs`` most correlated inputs, until
    no single or pair flip lowers the energy (0: single flips only).
    """

    init: str = "rtn"
    pairs: int = 0
    seed: int = 0
    name: str = "greedy"

    def __post_init__(self) -> None:
        _check_init(self.init)
        check_nonnegative("pairs", self.pairs, allow_zero=True)

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution:
        """Descend every row from the start to a local minimum."""
        began = time.perf_counter()
        reference = initial_choices(problem, start)
        H = _start(problem, start, self.init)
        _kernels.descend(*kernel_arrays(problem, H), problem.free, correlated_partners(problem.C, self.pairs))
        return finish(problem, reference, H, began, init=self.init)


@dataclass(frozen=True)
class Anneal:
    """Simulated annealing of all rows of a layer together, sharing the quadratic matrix.

    Every row first descends from its start (GPTQ rounding by default) to a local minimum.
    The temperature then runs geometrically from ``t_hot`` to ``t_cold`` over ``sweeps``
    sweeps, in units of the row's median uphill flip cost at that minimum (the problem's own
    energy scale). Each restart begins again at the minimum with its own random stream and
    ends in a greedy descent; the best state is kept.

    sweeps, restarts: sweeps per run and runs per row. None (the default) spends ``work``
        flip proposals on the layer: up to 300 sweeps (at least 20) in one run, then more
        runs (at most 32), so a small layer gets many long runs and a large one a short run.
    rounds: rounds of restarts, each continuing from the best state of the round before
        (iterated annealing: re-heating the best state finds more than one longer run).
    time_limit: seconds; when set, rounds continue until the next would overrun it
        (``rounds`` is then ignored; at least one round runs).
    pairs: every descent also tries flipping each variable together with each of its
        ``pairs`` most correlated inputs (0: single flips only). This escapes minima where
        two correlated inputs must move in opposite directions.
    pair_sweeps: every annealing sweep also proposes one pair flip per variable (with a random
        partner): better minima at about 3x the time per sweep; used by the high-quality budget.
    exact_max: rows with at most this many free variables are solved exactly by enumeration
        instead (when 2^k * (f+1) stays under 2^26 steps), since there annealing may miss.
    init: "gptq" or "rtn", used when ``solve`` gets no start.
    """

    sweeps: int | None = None
    restarts: int | None = None
    t_hot: float = 0.1
    t_cold: float = 0.01
    work: float = 2e7
    rounds: int = 1
    time_limit: float | None = None
    pairs: int = 16
    pair_sweeps: bool = False
    exact_max: int = 20
    init: str = "gptq"
    seed: int = 0
    name: str = "anneal"

    def __post_init__(self) -> None:
        for name in ("sweeps", "restarts"):
            if getattr(self, name) is not None:
                check_nonnegative(name, getattr(self, name))
        check_nonnegative("t_hot", self.t_hot, integer=False)
        check_nonnegative("t_cold", self.t_cold, integer=False)
        check_nonnegative("work", self.work, integer=False)
        check_nonnegative("pairs", self.pairs, allow_zero=True)
        check_nonnegative("rounds", self.rounds)
        check_nonnegative("exact_max", self.exact_max, allow_zero=True)
        if self.exact_max > 30:
            raise ValueError(f"exact_max={self.exact_max} is too large for enumeration (at most 30)")
        if self.time_limit is not None:
            check_nonnegative("time_limit", self.time_limit, integer=False)
        check_nonnegative("seed", self.seed, allow_zero=True)
        if self.t_cold > self.t_hot:
            raise ValueError(f"t_cold={self.t_cold} must not exceed t_hot={self.t_hot}")
        _check_init(self.init)

    def budget(self, problem: QuboBatch) -> tuple[int, int]:
        """(sweeps, restarts) for this layer: as given, or chosen from ``work`` (see the class)."""
        free = max(int(problem.free.sum()), 1)
        sweeps = self.sweeps or int(np.clip(self.work / free, 20, 300))
        restarts = self.restarts or int(np.clip(round(self.work / (free * sweeps)), 1, 32))
        return sweeps, restarts

    def temperatures(self, sweeps: int) -> np.ndarray:
        """Schedules (rows) of one temperature per sweep, in units of the row's median uphill flip cost.

        Restarts alternate between starting at ``t_hot`` and at ``HOTTER * t_hot``: which of
        the two suits a row varies from layer to layer, and alternating costs nothing.
        """
        return np.stack([np.geomspace(f * self.t_hot, self.t_cold, sweeps) for f in (1.0, HOTTER)])

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution:
        """Anneal every row from the start; keep the best state found."""
        began = time.perf_counter()
        reference = initial_choices(problem, start)
        H = _start(problem, start, self.init)
        sweeps, restarts = self.budget(problem)
        temperatures = self.temperatures(sweeps)
        partners = correlated_partners(problem.C, self.pairs)
        rounds = 0
        while True:
            round_began = time.perf_counter()
            _kernels.anneal(*kernel_arrays(problem, H), temperatures, restarts, self.seed + 7919 * rounds,
                            problem.free, partners, self.pair_sweeps)
            rounds += 1
            now = time.perf_counter()
            out_of_time = self.time_limit is not None and now - began + (now - round_began) > self.time_limit
            if out_of_time or (self.time_limit is None and rounds >= self.rounds):
                break
        exact = solve_small_rows_exactly(problem, H, self.exact_max)
        return finish(problem, reference, H, began, init=self.init, sweeps=sweeps, restarts=restarts, rounds=rounds,
                      exact_rows=exact)
