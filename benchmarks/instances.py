"""Benchmark QUBO instances: one Linear layer's rounding problem, built exactly as ``quantize`` does.

Instance names: ``<model>-l<layer>-int<bits>[-mse]``

* ``model``: ``mnist`` (reference 784-128-10), ``cifar10`` (reference 3072-256-128-10) or
  ``tiny`` (our own 784-16-10 MLP on MNIST, 3 epochs, seed 0; its layer 2 has 17 variables
  per row, small enough for the exact solver).
* ``layer``: 1-based index of the Linear layer.
* ``bits``: weight and bias bit width.
* suffix: none = the paper's scale (max|W| / 2^(bits-1), per tensor); ``-mse`` = per-channel
  scale searched to minimise the round-to-nearest weight MSE.

Calibration: 2000 training images, ``calibration_rows(len(x_train), 2000, seed=0)``.
Layer inputs: layer 1 sees the calibration features; layer k > 1 sees the outputs of the
*float* layers before it (ReLU(W1 x + b1), ...) on both sides of the objective (the paper's
"float" inputs mode; the library's default "quantized" mode would make layer 2 depend on the
layer 1 solution, so it is not a fixed instance).

The QUBO is built by ``quboquant.layer.layer_problem``, as ``quantize`` builds it. Built instances are cached in
``benchmarks/.cache/instances/<name>.npz``.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np

from quboquant.config import QuantConfig
from quboquant.layer import layer_problem
from quboquant.qubo import Grams, QuboBatch

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
CALIB_SIZE, CALIB_SEED = 2000, 0
NAME = re.compile(r"^(mnist|cifar10|tiny)-l(\d)-int(\d)(-mse)?$")
os.environ.setdefault("QUBOQUANT_DATA_DIR", "/work/shared/data")


def parse(name: str) -> tuple[str, int, int, str, str]:
    """(model, layer, bits, scale, granularity) of an instance name."""
    m = NAME.match(name)
    if not m:
        raise ValueError(f"bad instance name {name!r}; expected e.g. mnist-l1-int2 or cifar10-l2-int3-mse")
    model, layer, bits, mse = m.group(1), int(m.group(2)), int(m.group(3)), bool(m.group(4))
    return model, layer, bits, ("mse" if mse else "paper"), ("channel" if mse else "tensor")


def _tiny_model(dataset):
    """784-16-10 MLP on MNIST (Adam, 3 epochs, seed 0), cached in benchmarks/.cache."""
    import torch

    from quboquant.data import to_features
    from quboquant.models import TrainConfig, build_mlp, train_mlp

    path = CACHE / "tiny-784-16-10-seed0.pt"
    if path.exists():
        model = build_mlp(784, (16,), 10)
        model.load_state_dict(torch.load(path))
        return model.eval()
    model = train_mlp(to_features("mnist", dataset.x_train), dataset.y_train, (16,), 10, TrainConfig(epochs=3, seed=0))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model


_RUNNER = None


def load_model(model: str):
    """(torch model, calibration features) for a model name."""
    global _RUNNER
    from quboquant.data import to_features
    from quboquant.experiments.cell import CellRunner, calibration_rows

    if _RUNNER is None:
        _RUNNER = CellRunner()
    dataset_name = "mnist" if model == "tiny" else model
    dataset, net, _, _ = _RUNNER.load(dataset_name)
    if model == "tiny":
        net = _tiny_model(dataset)
    rows = calibration_rows(len(dataset.x_train), CALIB_SIZE, CALIB_SEED)
    return net, to_features(dataset_name, dataset.x_train[rows])


def layer_inputs(model: str, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(float inputs of the layer (N x f), W, b) for layer ``layer`` (1-based)."""
    import torch
    from torch import nn

    net, x = load_model(model)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    if not 1 <= layer <= len(linears):
        raise ValueError(f"{model} has {len(linears)} Linear layers, not {layer}")
    target = linears[layer - 1]
    h = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    with torch.no_grad():
        for module in net:
            if module is target:
                break
            h = module(h)
    W = target.weight.detach().double().numpy()
    b = None if target.bias is None else target.bias.detach().double().numpy()
    return h.double().numpy(), W, b


def build(name: str) -> tuple[QuboBatch, dict[str, float]]:
    """Build instance ``name`` from scratch; returns the problem and the build times (s)."""
    model, layer, bits, scale, granularity = parse(name)
    t0 = time.perf_counter()
    x, W, b = layer_inputs(model, layer)
    t1 = time.perf_counter()
    grams = Grams.zeros(x.shape[1])
    for s in range(0, len(x), 1024):  # the library's default batch size
        grams.add(x[s:s + 1024], x[s:s + 1024])
    t2 = time.perf_counter()
    config = QuantConfig(bits=bits, scale=scale, granularity=granularity, inputs="float")
    problem = layer_problem(W, b, grams, config).problem
    t3 = time.perf_counter()
    return problem, {"load": t1 - t0, "grams": t2 - t1, "qubo": t3 - t2}


def load(name: str, cache: bool = True) -> QuboBatch:
    """Instance ``name``, from the cache when present."""
    path = CACHE / "instances" / f"{name}.npz"
    if cache and path.exists():
        z = np.load(path)
        return QuboBatch(C=z["C"], d=z["d"], linear=z["linear"], constant=z["constant"], free=z["free"], start=z["start"])
    problem, _ = build(name)
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, C=problem.C, d=problem.d, linear=problem.linear, constant=problem.constant,
                 free=problem.free, start=problem.start)
    return problem


def subset(problem: QuboBatch, rows: np.ndarray) -> QuboBatch:
    """The problem restricted to some rows (C is shared)."""
    return QuboBatch(C=problem.C, d=problem.d[rows], linear=problem.linear[rows], constant=problem.constant[rows],
                     free=problem.free[rows], start=problem.start[rows])


if __name__ == "__main__":
    import sys

    for n in sys.argv[1:]:
        p, times = build(n)
        print(n, p.shape, "free", int(p.free.sum()), "max free/row", int(p.free.sum(1).max()),
              {k: round(v, 3) for k, v in times.items()})
