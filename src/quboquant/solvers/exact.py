"""Exhaustive search: the exact optimum of every row, for small problems and for tests."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..qubo import QuboBatch
from . import _kernels
from .base import Solution, check_nonnegative, finish, initial_choices
from .local import kernel_arrays


@dataclass(frozen=True)
class Exhaustive:
    """Enumerates all 2^k choices of each row's k free variables (Gray code, one flip per step).

    Refuses rows with more than ``max_free`` free variables (default 22: 4M states a row).
    """

    max_free: int = 22
    seed: int = 0
    name: str = "exact"

    def __post_init__(self) -> None:
        check_nonnegative("max_free", self.max_free)
        if self.max_free > 30:
            raise ValueError(f"max_free={self.max_free} is too large for exhaustive search (at most 30)")

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution:
        """The exact minimum of every row."""
        began = time.perf_counter()
        widest = int(problem.free.sum(axis=1).max(initial=0))
        if widest > self.max_free:
            raise ValueError(
                f"exact solver refuses a row with {widest} free variables (max_free={self.max_free}); "
                "use a heuristic solver such as 'anneal' for layers this wide"
            )
        reference = initial_choices(problem, start)
        H = reference.copy()
        _kernels.exhaustive(*kernel_arrays(problem, H))
        return finish(problem, reference, H, began)
