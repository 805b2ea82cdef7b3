"""Quantize one Linear layer: scales, candidates, the layer's QUBO, a solver, the integer result."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .config import QuantConfig
from .grid import Candidates, Grid, candidates, compute_scale
from .qubo import Grams, QuboBatch, layer_qubo
from .solvers import Solver


@dataclass
class LayerResult:
    """One quantized Linear layer: ``W_hat = q * scale`` and ``b_hat = q_bias * bias_scale``.

    ``scale`` is a float (per-tensor) or an (n,) array (per output channel). ``energy`` and
    ``rtn_energy`` are the layer's squared output error ``||Y - Y_hat||_F^2`` on the
    calibration inputs for the solution and for round-to-nearest; ``seconds`` the solve time
    (building the QUBO included).
    """

    name: str
    q: np.ndarray
    q_bias: np.ndarray
    scale: float | np.ndarray
    bias_scale: float
    bits: int
    bias_bits: int
    energy: float
    rtn_energy: float
    seconds: float
    solver: str
    free_variables: int
    has_bias: bool = True

    @property
    def weight(self) -> np.ndarray:
        """The dequantized weight (n x f, float64)."""
        return self.q * np.reshape(self.scale, (-1, 1))

    @property
    def bias(self) -> np.ndarray:
        """The dequantized bias (n,, float64); zeros for a layer without bias."""
        return self.q_bias * self.bias_scale

    @property
    def energy_ratio(self) -> float:
        """Layer error relative to round-to-nearest's (1.0 where both are 0)."""
        return self.energy / self.rtn_energy if self.rtn_energy > 0 else 1.0


@dataclass
class LayerProblem:
    """A layer's rounding QUBO with the candidates and scales that map its choices back to integers."""

    problem: QuboBatch
    weight: Candidates
    bias: Candidates
    scale: np.ndarray
    bias_scale: float


def layer_problem(W: np.ndarray, b: np.ndarray | None, grams: Grams, config: QuantConfig) -> LayerProblem:
    """Scales, floor/ceil candidates and the exact QUBO of the layer ``W`` (n x f), ``b`` (n,)."""
    W = np.asarray(W, dtype=np.float64)
    b = np.zeros(W.shape[0]) if b is None else np.asarray(b, dtype=np.float64)
    binary = config.grid == "binary"
    w_grid, b_grid = Grid(config.bits, binary), Grid(config.bias_bits, binary and config.bias_bits == 1)
    w_scale = compute_scale(W, w_grid, config.scale, per_channel=config.granularity == "channel")
    b_scale = float(compute_scale(b[None, :], b_grid, config.scale, per_channel=False)[0])
    cw, cb = candidates(W, w_scale[:, None], w_grid), candidates(b, b_scale, b_grid)

    Wa = np.hstack([W, b[:, None]])
    scales = np.hstack([np.repeat(w_scale[:, None], W.shape[1], axis=1), np.full((W.shape[0], 1), b_scale)])
    lo = np.hstack([cw.base, cb.base[:, None]]) * scales
    d = np.hstack([np.full(W.shape, cw.step), np.full((W.shape[0], 1), cb.step)]) * scales
    free = np.hstack([cw.free, cb.free[:, None]])
    start = np.hstack([cw.rtn, cb.rtn[:, None]])
    return LayerProblem(layer_qubo(Wa, lo, d, free, start, grams), cw, cb, w_scale, b_scale)


def quantize_layer(name: str, W: np.ndarray, b: np.ndarray | None, grams: Grams, config: QuantConfig, solver: Solver) -> LayerResult:
    """Choose the rounding of ``W`` (n x f) and ``b`` (n,) that minimises the layer's output error."""
    began = time.perf_counter()
    lp = layer_problem(W, b, grams, config)
    solution = solver.solve(lp.problem)
    f = lp.weight.base.shape[1]
    return LayerResult(
        name=name,
        q=lp.weight.integers(solution.H[:, :f]),
        q_bias=lp.bias.integers(solution.H[:, f]),
        scale=float(lp.scale[0]) if config.granularity == "tensor" else lp.scale,
        bias_scale=lp.bias_scale,
        bits=config.bits,
        bias_bits=config.bias_bits,
        energy=float(solution.energy.sum()),
        rtn_energy=float(lp.problem.energy(lp.problem.start).sum()),
        seconds=time.perf_counter() - began,
        solver=getattr(solver, "name", type(solver).__name__),
        free_variables=int(lp.problem.free.sum()),
        has_bias=b is not None,
    )
