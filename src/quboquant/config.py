"""Quantization settings as a validated, frozen dataclass."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Mapping

SCALES = ("paper", "absmax", "mse")
GRANULARITIES = ("tensor", "channel")
GRIDS = ("signed", "binary")
INPUTS = ("quantized", "float")


def _check_choice(name: str, value: Any, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ValueError(f"{name}={value!r} is not supported; choose one of {', '.join(valid)}")


def check_bits(name: str, bits: Any) -> None:
    """Raise ValueError unless ``bits`` is an integer in 1..8."""
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 8:
        raise ValueError(f"{name}={bits!r} is out of range; bit widths are integers 1..8")


@dataclass(frozen=True)
class QuantConfig:
    """How to quantize every Linear layer of a model.

    bits / bias_bits: integer bit widths 1..8 (bias_bits defaults to bits).
    scale: "paper" (max|W| / 2^(bits-1), the paper's scheme), "absmax" (max|W| / qmax) or
        "mse" (clipping ratio searched to minimise the round-to-nearest weight error).
    granularity: one scale per "tensor" or per output "channel" (row of W). The bias always
        has one per-tensor scale computed by the same scheme from the bias vector.
    grid: "signed" integers [-2^(bits-1), 2^(bits-1)-1], or "binary" {-1, +1} (bits=1 only).
    solver: a registered solver name ("anneal", "greedy", "gptq", "rtn", "exact", "dimod")
        or a Solver instance; solver_options are passed to the named solver's constructor.
    inputs: the quantized side of each layer's objective sees the outputs of the layers
        already quantized ("quantized", as AdaRound and GPTQ do) or full-precision
        activations ("float", as the paper does).
    seed: seeds calibration subsampling and the solver.
    calib_size: use a seeded random subset of this many calibration samples (None: all).
    batch_size: calibration samples per forward pass while accumulating Gram matrices.
    """

    bits: int = 4
    bias_bits: int | None = None
    scale: Literal["paper", "absmax", "mse"] = "mse"
    granularity: Literal["tensor", "channel"] = "channel"
    grid: Literal["signed", "binary"] = "signed"
    solver: Any = "anneal"
    solver_options: Mapping[str, Any] = field(default_factory=dict)
    inputs: Literal["quantized", "float"] = "quantized"
    seed: int = 0
    calib_size: int | None = None
    batch_size: int = 1024

    def __post_init__(self) -> None:
        check_bits("bits", self.bits)
        if self.bias_bits is None:
            object.__setattr__(self, "bias_bits", self.bits)
        check_bits("bias_bits", self.bias_bits)
        _check_choice("scale", self.scale, SCALES)
        _check_choice("granularity", self.granularity, GRANULARITIES)
        _check_choice("grid", self.grid, GRIDS)
        _check_choice("inputs", self.inputs, INPUTS)
        if self.grid == "binary" and self.bits != 1:
            raise ValueError(f"grid='binary' needs bits=1, got bits={self.bits}")
        if isinstance(self.solver, str):
            from .solvers import SOLVERS

            _check_choice("solver", self.solver, tuple(SOLVERS))
        elif not hasattr(self.solver, "solve"):
            raise ValueError(f"solver={self.solver!r} is neither a solver name nor an object with .solve()")
        if not isinstance(self.solver_options, Mapping):
            raise ValueError(f"solver_options must be a mapping, got {type(self.solver_options).__name__}")
        object.__setattr__(self, "solver_options", MappingProxyType(dict(self.solver_options)))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be a non-negative integer")
        if self.calib_size is not None and (not isinstance(self.calib_size, int) or self.calib_size < 1):
            raise ValueError(f"calib_size={self.calib_size!r} must be a positive integer or None")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size!r} must be a positive integer")
