"""Solvers of a layer's batch of rounding subproblems, all behind ``Solver.solve``."""
from __future__ import annotations

from typing import Any

from .base import Solution, Solver
from .dimod_sampler import DimodSolver
from .exact import Exhaustive
from .gptq import GPTQ, gptq_round
from .local import Anneal, Greedy
from .rtn import RoundToNearest

SOLVERS: dict[str, type] = {
    "anneal": Anneal,
    "greedy": Greedy,
    "gptq": GPTQ,
    "rtn": RoundToNearest,
    "exact": Exhaustive,
    "dimod": DimodSolver,
}


def make_solver(solver: str | Solver, seed: int = 0, **options: Any) -> Solver:
    """A solver from its registered name (``options`` go to its constructor), or ``solver`` itself."""
    if not isinstance(solver, str):
        if options:
            raise ValueError("solver options apply only to a solver given by name, not to an instance")
        return solver
    if solver not in SOLVERS:
        raise ValueError(f"solver {solver!r} is not known; choose one of {', '.join(SOLVERS)}")
    try:
        return SOLVERS[solver](seed=seed, **options)
    except TypeError as error:
        raise ValueError(f"bad option for solver {solver!r}: {error}") from None


__all__ = ["SOLVERS", "Solution", "Solver", "make_solver", "gptq_round", *[c.__name__ for c in SOLVERS.values()]]
