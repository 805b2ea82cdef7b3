"""Batched inference helpers: class predictions and top-1 accuracy of a torch module."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer")


def _as_features(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array of flattened features (N, D), got shape {x.shape}")
    return x


def _module_device(module: nn.Module) -> torch.device:
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def predict(module: nn.Module, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Return the arg-max class index (int64, shape (N,)) of ``module`` for each row of ``x``.

    ``x`` is a 2-D (N, D) array of features; it is fed as float32 in batches of ``batch_size``
    under ``torch.no_grad()`` with the module temporarily in eval mode (its previous
    train/eval mode is restored afterwards).
    """
    _check_batch_size(batch_size)
    x = _as_features(x)
    device = _module_device(module)
    was_training = module.training
    module.eval()
    out = np.empty(len(x), dtype=np.int64)
    try:
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                chunk = torch.as_tensor(np.ascontiguousarray(x[start : start + batch_size], dtype=np.float32))
                logits = module(chunk.to(device))
                if logits.ndim != 2 or logits.shape[0] != len(chunk):
                    raise ValueError(f"module output has shape {tuple(logits.shape)}; expected ({len(chunk)}, C)")
                out[start : start + len(chunk)] = logits.argmax(dim=1).cpu().numpy()
    finally:
        module.train(was_training)
    return out


def accuracy(module: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 4096) -> float:
    """Top-1 accuracy (a float in 0..1) of ``module`` on features ``x`` (N, D) and labels ``y`` (N,)."""
    x = _as_features(x)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class indices, got shape {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"x and y lengths differ: {len(x)} samples vs {len(y)} labels")
    if len(y) == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return float(np.mean(predict(module, x, batch_size=batch_size) == y))
