"""Sequential rounding with error feedback (GPTQ / OBQ) restricted to each weight's two candidates.

Row i's energy is ``(u - u*_i) C (u - u*_i)^T + const`` in the dequantized offsets
``u = h * d_i``, with the unconstrained optimum ``u*_i = -C^-1 (b_i / d_i) / 2``. GPTQ rounds the
variables one at a time, in the same order for all rows, pushing each rounding error onto the
variables not yet rounded through the Cholesky factor of ``C^-1`` (Frantar et al., 2022).
Here a variable may only take 0 or ``d_ij`` (floor or ceil), so the result is a feasible
QUBO point: a strong start for local search.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..qubo import QuboBatch
from .base import Solution, check_nonnegative, finish, initial_choices


def gptq_round(problem: QuboBatch, damp: float = 0.01, block: int = 128) -> np.ndarray:
    """GPTQ rounding of every row (n x m uint8), fixed variables held at their start value."""
    C = problem.C.copy()
    dead = np.diag(C) <= 0
    C[dead, dead] = 1.0
    C[np.diag_indices_from(C)] += damp * np.mean(np.diag(C))
    d = problem.d
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(d > 0, problem.linear / d, 0.0)
    C_inv = np.linalg.inv(C)
    target = -0.5 * slope @ C_inv  # u*, n x m (C is symmetric)
    U = np.linalg.cholesky(C_inv).T  # upper factor of C^-1
    free, start = problem.free, problem.start
    H = np.zeros(problem.shape, dtype=np.uint8)
    W = target.copy()
    for b0 in range(0, W.shape[1], block):
        b1 = min(b0 + block, W.shape[1])
        errors = np.zeros((W.shape[0], b1 - b0))
        for j in range(b0, b1):
            w = W[:, j]
            h = np.where(free[:, j], w >= 0.5 * d[:, j], start[:, j])
            H[:, j] = h
            err = (w - h * d[:, j]) / U[j, j]
            W[:, j:b1] -= np.outer(err, U[j, j:b1])
            errors[:, j - b0] = err
        W[:, b1:] -= errors @ U[b0:b1, b1:]
    return H


@dataclass(frozen=True)
class GPTQ:
    """GPTQ-style rounding (no search): fast, and never worse than its start row by row."""

    damp: float = 0.01
    seed: int = 0
    name: str = "gptq"

    def __post_init__(self) -> None:
        check_nonnegative("damp", self.damp, integer=False, allow_zero=True)

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution:
        """Round every row sequentially with error feedback."""
        began = time.perf_counter()
        return finish(problem, initial_choices(problem, start), gptq_round(problem, self.damp), began)
