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

    The temperature runs geometrically from ``t_hot`` to ``t_cold`` times the row's median
    single-flip curvature ``d_j^2 C_jj`` (the problem's own energy scale) over ``sweeps``
    sweeps; each of ``restarts`` runs starts from the same start with a new random stream and
    ends in a greedy descent; the best state is kept. ``init`` as for ``Greedy``.
    """

    sweeps: int = 200
    restarts: int = 1
    t_hot: float = 0.3
    t_cold: float = 0.01
    init: str = "gptq"
    seed: int = 0
    name: str = "anneal"

    def __post_init__(self) -> None:
        check_nonnegative("sweeps", self.sweeps)
        check_nonnegative("restarts", self.restarts)
        check_nonnegative("t_hot", self.t_hot, integer=False)
        check_nonnegative("t_cold", self.t_cold, integer=False)
        check_nonnegative("seed", self.seed, allow_zero=True)
        if self.t_cold > self.t_hot:
            raise ValueError(f"t_cold={self.t_cold} must not exceed t_hot={self.t_hot}")
        _check_init(self.init)

    def betas(self, problem: QuboBatch) -> np.ndarray:
        """Inverse temperatures, one row per subproblem (n x sweeps)."""
        curvature = problem.d**2 * np.diag(problem.C)[None, :]
        curvature = np.where(problem.free, curvature, np.nan)
        has_free = problem.free.any(axis=1)
        scale = np.ones(problem.shape[0])
        scale[has_free] = np.nanmedian(curvature[has_free], axis=1)
        scale = np.where(scale > 0, scale, 1.0)
        fractions = np.geomspace(self.t_hot, self.t_cold, self.sweeps)
        return 1.0 / (scale[:, None] * fractions[None, :])

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution:
        """Anneal every row from the start; keep the best state found."""
        began = time.perf_counter()
        reference = initial_choices(problem, start)
        H = _start(problem, start, self.init)
        _kernels.anneal(*kernel_arrays(problem, H), self.betas(problem), self.restarts, self.seed)
        return finish(problem, reference, H, began, init=self.init, sweeps=self.sweeps, restarts=self.restarts)
