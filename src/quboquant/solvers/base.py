"""The one solver interface: a solver takes a layer's batch of subproblems and returns choices.

Like dimod's ``Sampler``: the constructor only stores settings (and the seed); ``solve`` does
the work. Every solver returns a ``Solution`` whose energies are the exact QUBO energies of
its choices, never worse row by row than the start it was given.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..qubo import QuboBatch


@dataclass
class Solution:
    """Choices ``H`` (n x m, uint8), their energies (n,), wall time and solver-specific info."""

    H: np.ndarray
    energy: np.ndarray
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Solver(Protocol):
    """Anything with ``solve(problem, start=None) -> Solution`` is a solver."""

    name: str

    def solve(self, problem: QuboBatch, start: np.ndarray | None = None) -> Solution: ...


def initial_choices(problem: QuboBatch, start: np.ndarray | None) -> np.ndarray:
    """The start as a fresh uint8 copy (default: round-to-nearest), fixed variables restored."""
    if start is None:
        return problem.start.copy()
    start = np.asarray(start)
    if start.shape != problem.shape:
        raise ValueError(f"start has shape {start.shape}, the problem has {problem.shape}")
    return np.where(problem.free, start, problem.start).astype(np.uint8)


def finish(problem: QuboBatch, start: np.ndarray, H: np.ndarray, began: float, **info: Any) -> Solution:
    """Solution keeping, row by row, the better of ``H`` and ``start``; energies recomputed exactly."""
    H = np.where(problem.free, H, problem.start).astype(np.uint8)
    energy, start_energy = problem.energy(H), problem.energy(start)
    worse = energy > start_energy
    H[worse], energy[worse] = start[worse], start_energy[worse]
    return Solution(H=H, energy=energy, seconds=time.perf_counter() - began, info=info)


def check_nonnegative(name: str, value: Any, integer: bool = True, allow_zero: bool = False) -> None:
    """Raise ValueError naming ``name`` unless ``value`` is a positive (or non-negative) number."""
    kind = (int,) if integer else (int, float)
    ok = isinstance(value, kind) and not isinstance(value, bool) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ValueError(f"{name}={value!r} must be a {'non-negative' if allow_zero else 'positive'} {'integer' if integer else 'number'}")
