"""Shared builders of small random layers and their QUBOs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from quboquant.grid import Grid, candidates, compute_scale
from quboquant.qubo import Grams, QuboBatch, layer_qubo


@dataclass
class RandomLayer:
    problem: QuboBatch
    Wa: np.ndarray
    Xt: np.ndarray  # augmented target inputs, (f+1) x N
    Xq: np.ndarray  # augmented quantized-side inputs
    lo: np.ndarray
    d: np.ndarray

    def direct_error(self, H: np.ndarray) -> np.ndarray:
        """Per-row squared output error computed from the dequantized weights, without the QUBO."""
        W_hat = self.lo + H * self.d
        return (((self.Wa @ self.Xt) - W_hat @ self.Xq) ** 2).sum(axis=1)


def random_layer(seed: int, n: int = 4, f: int = 6, samples: int = 40, bits: int = 2, per_channel: bool = True,
                 same_inputs: bool = False, dead_input: bool = False) -> RandomLayer:
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n, f))
    b = rng.normal(size=n) * 0.3
    X = np.maximum(rng.normal(size=(samples, f)), 0)
    if dead_input:
        X[:, 0] = 0.0
    Xq = X if same_inputs else X + 0.05 * rng.normal(size=X.shape)
    grams = Grams.zeros(f)
    for part in np.array_split(np.arange(samples), 3):
        grams.add(X[part], Xq[part])
    grid = Grid(bits)
    s = compute_scale(W, grid, "paper", per_channel)
    sb = compute_scale(b[None, :], grid, "paper", False)[0]
    cw, cb = candidates(W, s[:, None], grid), candidates(b, sb, grid)
    scales = np.hstack([np.repeat(s[:, None], f, 1), np.full((n, 1), sb)])
    lo = np.hstack([cw.base, cb.base[:, None]]) * scales
    d = np.hstack([np.full(W.shape, cw.step), np.full((n, 1), cb.step)]) * scales
    free = np.hstack([cw.free, cb.free[:, None]])
    start = np.hstack([cw.rtn, cb.rtn[:, None]])
    Wa = np.hstack([W, b[:, None]])
    problem = layer_qubo(Wa, lo, d, free, start, grams)
    aug = lambda A: np.vstack([A.T, np.ones((1, samples))])  # noqa: E731
    return RandomLayer(problem, Wa, aug(X), aug(Xq), lo, d)


@pytest.fixture
def small_layer() -> RandomLayer:
    return random_layer(0)
