"""Integer grids, scales and the two rounding candidates of every weight (SPEC.md, "Quantization grid").

A weight ``w`` with scale ``s`` has the candidates ``q = base + step * h`` for ``h`` in {0, 1}:
``step = 1`` and ``base = floor(w / s)`` on the signed grid, ``step = 2`` and ``base = -1`` on
the binary grid {-1, +1}. A weight whose other candidate would leave the grid is *fixed*
(``free`` is False) at the grid value nearest to it, so every choice of ``h`` is deployable
as it is and no clipping happens after the solve.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import check_bits

MSE_RATIOS = np.linspace(0.05, 1.0, 96)


@dataclass(frozen=True)
class Grid:
    """Signed intN grid [qmin, qmax], or the binary grid {-1, +1} (bits=1)."""

    bits: int
    binary: bool = False

    def __post_init__(self) -> None:
        check_bits("bits", self.bits)
        if self.binary and self.bits != 1:
            raise ValueError(f"the binary grid has bits=1, got bits={self.bits}")

    @property
    def qmin(self) -> int:
        return -1 if self.binary else -(2 ** (self.bits - 1))

    @property
    def qmax(self) -> int:
        return 1 if self.binary else 2 ** (self.bits - 1) - 1

    @property
    def step(self) -> int:
        return 2 if self.binary else 1


@dataclass(frozen=True)
class Candidates:
    """Rounding candidates of a tensor: ``q = base + step * h``; ``rtn`` is round-to-nearest's h."""

    base: np.ndarray
    step: int
    free: np.ndarray
    rtn: np.ndarray

    def integers(self, h: np.ndarray) -> np.ndarray:
        """Integer values for the choices ``h`` (fixed entries take their RTN value)."""
        h = np.where(self.free, h, self.rtn)
        return (self.base + self.step * h.astype(np.int64)).astype(np.int64)


def candidates(w: np.ndarray, scale: np.ndarray, grid: Grid) -> Candidates:
    """Floor/ceil candidates of ``w`` on ``grid``; ``scale`` broadcasts against ``w``.

    A zero scale (all-zero tensor or row) fixes its weights at the integer 0 (or at -1 times a
    zero scale on the binary grid), which dequantizes to exactly 0.
    """
    w = np.asarray(w, dtype=np.float64)
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), w.shape)
    positive = scale > 0
    x = np.divide(w, scale, out=np.zeros_like(w), where=positive)
    if grid.binary:
        base = np.full(w.shape, -1, dtype=np.int64)
        free = positive.copy()
        rtn = x >= 0
    else:
        base = np.clip(np.floor(x), grid.qmin, grid.qmax - 1).astype(np.int64)
        free = positive & (x >= grid.qmin) & (x < grid.qmax)
        rtn = np.where(free, x - base >= 0.5, x >= grid.qmax)
    return Candidates(base=base, step=grid.step, free=free, rtn=rtn.astype(np.uint8))


def round_to_nearest(w: np.ndarray, scale: np.ndarray, grid: Grid) -> np.ndarray:
    """Round-to-nearest integers of ``w / scale``, clipped to the grid (halves round up)."""
    c = candidates(w, scale, grid)
    return c.integers(c.rtn)


def compute_scale(w: np.ndarray, grid: Grid, scheme: str, per_channel: bool) -> np.ndarray:
    """Scale of each row of the 2-D ``w`` (shape (n,)); with ``per_channel=False`` all equal.

    Schemes: "paper" max|w| / 2^(bits-1); "absmax" max|w| / max(qmax, 1); "mse" the ratio
    r * absmax (r in MSE_RATIOS) with the least round-to-nearest error. The binary grid uses
    mean|w|, the scale that minimises the error of sign rounding, for every scheme.
    """
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2:
        raise ValueError(f"compute_scale needs a 2-D weight, got shape {w.shape}")
    reduce = (lambda a: a.max(axis=1)) if per_channel else (lambda a: np.full(a.shape[0], a.max(initial=0.0)))
    absw = np.abs(w)
    if grid.binary:
        mean = absw.mean(axis=1) if per_channel else np.full(w.shape[0], absw.mean() if absw.size else 0.0)
        return mean
    if scheme == "paper":
        return reduce(absw) / 2 ** (grid.bits - 1)
    absmax = reduce(absw) / max(grid.qmax, 1)
    if scheme == "absmax":
        return absmax
    if scheme != "mse":
        raise ValueError(f"scale scheme {scheme!r} is not supported; choose paper, absmax or mse")
    errors = np.empty((len(MSE_RATIOS), w.shape[0]))
    for k, ratio in enumerate(MSE_RATIOS):
        s = (ratio * absmax)[:, None]
        err = ((round_to_nearest(w, s, grid) * s - w) ** 2).sum(axis=1)
        errors[k] = err if per_channel else err.sum()
    return MSE_RATIOS[errors.argmin(axis=0)] * absmax
