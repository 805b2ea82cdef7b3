"""Any dimod sampler (dwave-samplers, a D-Wave QPU or hybrid solver, ...) on the same subproblems."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..qubo import QuboBatch
from .base import Solution, finish, initial_choices


def default_sampler() -> Any:
    """dwave-samplers' simulated annealer, the paper's solver (``neal``'s successor)."""
    from dwave.samplers import SimulatedAnnealingSampler

    return SimulatedAnnealingSampler()


@dataclass(frozen=True)
class DimodSolver:
    """Solves each row as its own binary quadratic model with a dimod sampler.

    ``sampler``: any dimod sampler (an object with ``sample(bqm)``) (default: dwave-samplers'
    ``SimulatedAnnealingSampler``); ``sample_kwargs`` go to every ``sample`` call (for
    example ``num_sweeps``, ``num_reads``, ``beta_range``). The seed is passed as ``seed``
    to samplers that accept one. The lowest-energy sample of each row is kept.
    """

    sampler: Any = None
    sample_kwargs: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    name: str = "dimod"

    def __post_init__(self) -> None:
        if self.sampler is not None and not hasattr(self.sampler, "sample"):
            raise ValueError(f"sampler={self.sampler!r} has no sample method: pass a dimod sampler")

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution:
        """Sample every row that has free variables; fixed variables stay at the start."""
        import dimod

        began = time.perf_counter()
        sampler = self.sampler if self.sampler is not None else default_sampler()
        kwargs = dict(self.sample_kwargs)
        if "seed" in getattr(sampler, "parameters", {}) and "seed" not in kwargs:
            kwargs["seed"] = self.seed
        reference = initial_choices(problem, start)
        H = reference.copy()
        for i in np.flatnonzero(problem.free.any(axis=1)):
            index, Q, offset = problem.row_qubo(i, H)
            bqm = dimod.BQM(Q, "BINARY", offset=offset)
            best = sampler.sample(bqm, **kwargs).first.sample
            H[i, index] = [best[v] for v in range(len(index))]
        return finish(problem, reference, H, began)
