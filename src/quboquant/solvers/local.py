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


def kernel_arrays(problem: QuboBatch, H: np.ndarray) -> tuple[np.ndarray, ...]:
    """Arguments of the compiled kernels: (C, d, linear, free_idx, counts, H, G)."""
    counts = problem.free.sum(axis=1).astype(np.int64)
    order = np.argsort(~problem.free, axis=1, kind="stable")  # free variables first, in order
    G = (H * problem.d) @ problem.C
    return (problem.C, problem.d, problem.linear, order.astype(np.int64), counts, H, G)


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
    """

    init: str = "rtn"
    seed: int = 0
    name: str = "greedy"

    def __post_init__(self) -> None:
        _check_init(self.init)

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution:
        """Descend every row from the start to a local minimum."""
        began = time.perf_counter()
        reference = initial_choices(problem, start)
        H = _start(problem, start, self.init)
        _kernels.descend(*kernel_arrays(problem, H))
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
    time_limit: seconds; when set, rounds of restarts continue from the best state found
        until the next round would overrun it (at least one round runs).
    init: "gptq" or "rtn", used when ``solve`` gets no start.
    """

    sweeps: int | None = None
    restarts: int | None = None
    t_hot: float = 0.1
    t_cold: float = 0.01
    work: float = 2e7
    time_limit: float | None = None
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
        rounds = 0
        while True:
            round_began = time.perf_counter()
            _kernels.anneal(*kernel_arrays(problem, H), temperatures, restarts, self.seed + 7919 * rounds)
            rounds += 1
            now = time.perf_counter()
            if self.time_limit is None or now - began + (now - round_began) > self.time_limit:
                break
        return finish(problem, reference, H, began, init=self.init, sweeps=sweeps, restarts=restarts, rounds=rounds)
