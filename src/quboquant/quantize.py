"""The public entry point: ``quantize(model, calib_x, QuantConfig(...))``."""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .config import QuantConfig
from .layer import LayerResult, quantize_layer
from .qubo import Grams
from .solvers import make_solver
from .walker import linear_chain


@dataclass
class QuantizedModel:
    """The result of ``quantize``: a dequantized copy of the model and one record per Linear layer."""

    module: nn.Module
    layers: list[LayerResult]
    config: QuantConfig
    seconds: float

    @property
    def energy(self) -> float:
        """Summed layer error of the solution."""
        return sum(layer.energy for layer in self.layers)

    @property
    def rtn_energy(self) -> float:
        """Summed layer error of round-to-nearest on the same grids and inputs."""
        return sum(layer.rtn_energy for layer in self.layers)

    @property
    def energy_ratio(self) -> float:
        """Summed layer error relative to round-to-nearest's."""
        return self.energy / self.rtn_energy if self.rtn_energy > 0 else 1.0

    def export(self, path: str) -> None:
        """Write the integer model (int8 weights and biases, float scales) to an ``.npz`` file."""
        arrays = {}
        for k, layer in enumerate(self.layers):
            arrays[f"layer{k}.q"] = layer.q.astype(np.int8)
            arrays[f"layer{k}.q_bias"] = layer.q_bias.astype(np.int8)
            arrays[f"layer{k}.scale"] = np.asarray(layer.scale, dtype=np.float64)
            arrays[f"layer{k}.bias_scale"] = np.asarray(layer.bias_scale, dtype=np.float64)
            arrays[f"layer{k}.bits"] = np.asarray([layer.bits, layer.bias_bits])
        np.savez(path, **arrays)


def _calibration(calib_x, config: QuantConfig) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(calib_x) if not isinstance(calib_x, torch.Tensor) else calib_x)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"calibration data must be a non-empty batch (samples first), got shape {tuple(x.shape)}")
    x = x.to(torch.float32)
    if not torch.isfinite(x).all():
        raise ValueError(f"calibration data contains {int((~torch.isfinite(x)).sum())} NaN or infinite values")
    if config.calib_size is not None and config.calib_size < x.shape[0]:
        rows = np.random.default_rng(config.seed).choice(x.shape[0], config.calib_size, replace=False)
        x = x[torch.as_tensor(np.sort(rows))]
    return x


def _check_weights(name: str, linear: nn.Linear) -> None:
    for part, tensor in (("weight", linear.weight), ("bias", linear.bias)):
        if tensor is not None and not torch.isfinite(tensor).all():
            raise ValueError(f"layer {name!r} has NaN or infinite values in its {part}")


@torch.no_grad()
def quantize(model: nn.Module, calib_x, config: QuantConfig | None = None, *, progress: bool = False) -> QuantizedModel:
    """Quantize every Linear layer of ``model`` by exact QUBO rounding, first to last.

    ``calib_x``: calibration inputs (array or tensor, samples first). For each layer the
    Gram matrices of its inputs are accumulated over batches of ``config.batch_size``
    samples (memory independent of the number of samples), its QUBO is built and solved,
    and the dequantized weights are written into a copy of the model before the next layer.
    The original model is not modified.
    """
    config = config or QuantConfig()
    if not isinstance(config, QuantConfig):
        raise TypeError(f"config must be a QuantConfig, got {type(config).__name__}")
    began = time.perf_counter()
    chain = linear_chain(model)
    x = _calibration(calib_x, config)
    for i in chain.linear:
        _check_weights(chain.names[i], chain.modules[i])
    first = chain.modules[chain.linear[0]]
    width = chain.run(x[:1], chain.linear[0]).reshape(1, -1).shape[1]
    if width != first.in_features:
        raise ValueError(
            f"calibration data has {width} features per sample at the first Linear layer {chain.names[chain.linear[0]]!r}, "
            f"which expects {first.in_features}"
        )

    qmodel = copy.deepcopy(model).eval()
    qchain = linear_chain(qmodel)
    float_chain = linear_chain(copy.deepcopy(model).eval())
    solver = make_solver(config.solver, seed=config.seed, **config.solver_options)
    layers = []
    steps = chain.linear
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="quantizing layers", unit="layer")
    for i in steps:
        linear = float_chain.modules[i]
        same_inputs = config.inputs == "float" or i == chain.linear[0]
        grams = Grams.zeros(linear.in_features, same_inputs)
        for batch in torch.split(x, config.batch_size):
            x_target = float_chain.run(batch, i).reshape(len(batch), -1).double().numpy()
            x_quant = x_target if same_inputs else qchain.run(batch, i).reshape(len(batch), -1).double().numpy()
            grams.add(x_target, x_quant)
        bias = None if linear.bias is None else linear.bias.double().numpy()
        result = quantize_layer(chain.names[i], linear.weight.double().numpy(), bias, grams, config, solver)
        target = qchain.modules[i]
        target.weight.copy_(torch.as_tensor(result.weight, dtype=target.weight.dtype))
        if target.bias is not None:
            target.bias.copy_(torch.as_tensor(result.bias, dtype=target.bias.dtype))
        layers.append(result)
    return QuantizedModel(module=qmodel, layers=layers, config=config, seconds=time.perf_counter() - began)
