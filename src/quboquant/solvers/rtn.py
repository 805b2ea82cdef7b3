"""Round-to-nearest: every weight rounded on its own (the baseline)."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..qubo import QuboBatch
from .base import Solution, finish, initial_choices


@dataclass(frozen=True)
class RoundToNearest:
    """Returns the round-to-nearest choices (``problem.start``); rows where a given start is better keep it."""

    seed: int = 0
    name: str = "rtn"

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution:
        """The round-to-nearest point of every row."""
        began = time.perf_counter()
        return finish(problem, initial_choices(problem, start), problem.start.copy(), began)
