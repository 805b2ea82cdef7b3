"""Reference MLPs: deterministic training and a checksummed on-disk cache.

The models quantized by this library are plain dense networks (Linear/ReLU stacks), as in
the paper. ``reference_model(dataset)`` trains the reference MLP for a dataset once and caches
its ``state_dict`` under ``<cache>/models/`` (cache root: ``$QUBOQUANT_CACHE_DIR``, else
``~/.cache/quboquant``) next to a JSON sidecar holding the file's SHA-256, the architecture,
the training configuration, the training time and the full-precision test accuracy.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from .atomic import atomic_write
from .evaluate import accuracy

if TYPE_CHECKING:  # pragma: no cover
    from .data import Dataset

REFERENCE_ARCHITECTURES: dict[str, tuple[int, ...]] = {
    "mnist": (128,),
    "fashion-mnist": (128,),
    "emnist": (128,),
    "cifar10": (256, 128),
}
"""Hidden-layer widths of the reference MLP per dataset.

Dense-only networks, as in the paper: the grey-scale datasets use the paper authors'
784-128-C MLP; CIFAR-10 uses 3072-256-128-10, a small dense net that still reaches about
50 % test accuracy. Every model trains in about a minute on a 2-core CPU, so the
references can be rebuilt anywhere the library runs.
"""

DEFAULT_EPOCHS: dict[str, int] = {"mnist": 8, "fashion-mnist": 10, "emnist": 10, "cifar10": 15}
"""Training epochs of the reference models (Adam, lr 1e-3, batch 128); others default to 10."""

CACHE_FORMAT = 1  # bump to invalidate every cached model


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters: Adam on the cross-entropy loss, shuffled mini-batches.

    epochs: full passes over the training set; batch_size: samples per step; lr and
    weight_decay: Adam's; seed: seeds the weight initialisation and the shuffling.
    """

    epochs: int = 8
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r} must be a positive integer")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be a non-negative integer")
        for name, positive in (("lr", True), ("weight_decay", False)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{name}={value!r} must be a finite number")
            if value < 0 or (positive and value == 0):
                raise ValueError(f"{name}={value!r} must be {'positive' if positive else 'non-negative'}")
            object.__setattr__(self, name, float(value))


def default_train_config(dataset_name: str, seed: int = 0) -> TrainConfig:
    """The training configuration of the reference model of ``dataset_name``."""
    return TrainConfig(epochs=DEFAULT_EPOCHS.get(dataset_name, 10), seed=seed)


def build_mlp(input_dim: int, hidden: Sequence[int], num_classes: int) -> nn.Sequential:
    """A dense MLP ``Linear, ReLU, ..., Linear`` mapping flattened features to class logits."""
    sizes = [input_dim, *hidden, num_classes]
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"layer sizes must be positive integers, got {sizes}")
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(int(fan_in), int(fan_out)))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def architecture_name(input_dim: int, hidden: Sequence[int], num_classes: int) -> str:
    """The layer widths joined by dashes, e.g. ``"784-128-10"``."""
    return "-".join(str(int(s)) for s in (input_dim, *hidden, num_classes))


@contextlib.contextmanager
def _deterministic(seed: int) -> Iterator[None]:
    """Seed torch and force deterministic kernels, restoring the caller's RNG and flags."""
    previous = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(previous, warn_only=warn_only)


def _check_xy(x: np.ndarray, y: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D array of features (N, D), got shape {x.shape}")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be 1-D with one label per row of x: x {x.shape}, y {y.shape}")
    if len(x) == 0:
        raise ValueError("cannot train on an empty set")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= num_classes:
        raise ValueError(f"y must hold integer class indices in 0..{num_classes - 1}")
    return np.ascontiguousarray(x, dtype=np.float32), y.astype(np.int64)


def train_mlp(
    x: np.ndarray,
    y: np.ndarray,
    hidden: Sequence[int],
    num_classes: int,
    config: TrainConfig = TrainConfig(),
    progress: bool = False,
) -> nn.Sequential:
    """Train ``build_mlp(x.shape[1], hidden, num_classes)`` on features ``x`` and labels ``y``.

    Adam on the mean cross-entropy over mini-batches reshuffled every epoch. The run is
    deterministic for a fixed ``config.seed`` on the same machine and torch build with the
    same number of intra-op threads (``torch.get_num_threads()``): the initialisation uses
    ``torch.manual_seed(seed)`` inside ``torch.random.fork_rng`` (the caller's global RNG state
    is left untouched), the shuffling its own ``torch.Generator``, and
    ``torch.use_deterministic_algorithms(True)`` is on while training (restored afterwards).
    The thread count is not changed, since CPU float reductions can differ across thread
    counts; pin it with ``torch.set_num_threads`` for bit-identical runs across setups.
    Returns the trained model (CPU, float32) in eval mode.
    """
    x, y = _check_xy(x, y, num_classes)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    with _deterministic(config.seed):
        model = build_mlp(x.shape[1], hidden, num_classes)
        shuffle = torch.Generator().manual_seed(config.seed)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        epochs: Any = range(config.epochs)
        if progress:
            from tqdm.auto import tqdm

            epochs = tqdm(epochs, desc=f"training {architecture_name(x.shape[1], hidden, num_classes)}", unit="epoch")
        for _ in epochs:
            order = torch.randperm(len(xt), generator=shuffle)
            total = 0.0
            for start in range(0, len(order), config.batch_size):
                idx = order[start : start + config.batch_size]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(model(xt[idx]), yt[idx])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
            if progress:
                epochs.set_postfix(loss=f"{total / len(order):.4f}")
    return model.eval()


def default_cache_dir() -> Path:
    """The cache root: ``$QUBOQUANT_CACHE_DIR`` if set, else ``~/.cache/quboquant``."""
    env = os.environ.get("QUBOQUANT_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "quboquant"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprint(x: np.ndarray, y: np.ndarray, rows: int = 256) -> str:
    """A cheap digest of the training data: all labels and ``rows`` evenly spaced feature rows."""
    digest = hashlib.sha256(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(x[:: max(1, len(x) // rows)], dtype=np.float32).tobytes())
    return digest.hexdigest()


def _load_cached(pt: Path, sidecar: Path, input_dim: int, hidden: Sequence[int], num_classes: int) -> tuple[nn.Sequential, dict] | None:
    """The cached model and its sidecar, or None (with a warning if the cache is damaged)."""
    if not pt.exists() and not sidecar.exists():
        return None
    try:
        meta = json.loads(sidecar.read_text())
        expected = meta["sha256"]
        actual = _sha256(pt)
        if actual != expected:
            raise ValueError(f"SHA-256 mismatch: file {actual[:12]}..., sidecar {str(expected)[:12]}...")
        state = torch.load(pt, map_location="cpu", weights_only=True)
        model = build_mlp(input_dim, hidden, num_classes)
        model.load_state_dict(state)
    except Exception as exc:  # corrupt, truncated, missing half, or wrong shapes: rebuild
        warnings.warn(f"cached model {pt} is unusable ({type(exc).__name__}: {exc}); retraining", RuntimeWarning, stacklevel=3)
        return None
    return model.eval(), meta


def cached_model(
    name: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    hidden: Sequence[int],
    num_classes: int,
    config: TrainConfig,
    source: str = "",
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> tuple[nn.Sequential, dict[str, Any]]:
    """Load the MLP trained on these features from the cache, or train (``train_mlp``) and cache it.

    The file is ``<cache_dir>/models/<name>-<arch>-seed<seed>-<hash>.pt``, where ``hash`` is a
    short SHA-256 of the training config, ``name``, the data shapes and a fingerprint of the
    features and labels (all labels plus 256 evenly spaced feature rows), so the same data
    read from another place reuses the entry while changed data or a changed feature
    transform makes a new one; ``source`` (the data's provenance) is only recorded. Its JSON sidecar (same stem, ``.json``) stores the SHA-256 of the ``.pt``,
    which is verified on load; a mismatching or unreadable cache entry is reported with a
    ``RuntimeWarning`` and retrained. Both files are written atomically. Returns the model in
    eval mode and an info dict: dataset, architecture, hidden, input_dim, num_classes,
    train_config, source, sha256, train_seconds, accuracy (test split, 0..1, recomputed),
    cached (whether it was loaded), path.
    """
    x_train, y_train = _check_xy(x_train, y_train, num_classes)
    input_dim = x_train.shape[1]
    arch = architecture_name(input_dim, hidden, num_classes)
    key = json.dumps(
        {"format": CACHE_FORMAT, "dataset": name, "config": asdict(config),
         "train_shape": list(x_train.shape), "test_shape": list(np.shape(x_test)),
         "data": _fingerprint(x_train, y_train)},
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    stem = f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}-{arch}-seed{config.seed}-{digest}"
    folder = (Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()) / "models"
    pt, sidecar = folder / f"{stem}.pt", folder / f"{stem}.json"

    loaded = _load_cached(pt, sidecar, input_dim, hidden, num_classes)
    if loaded is not None:
        model, meta = loaded
        cached = True
        test_accuracy = accuracy(model, x_test, y_test)
    else:
        start = time.perf_counter()
        model = train_mlp(x_train, y_train, hidden, num_classes, config, progress=progress)
        seconds = time.perf_counter() - start
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        atomic_write(pt, lambda f: torch.save(state, f))
        meta = {
            "dataset": name, "architecture": arch, "hidden": list(hidden), "input_dim": input_dim,
            "num_classes": num_classes, "train_config": asdict(config), "source": source,
            "sha256": _sha256(pt), "train_seconds": round(seconds, 3),
            "accuracy": (test_accuracy := accuracy(model, x_test, y_test)), "torch_version": torch.__version__,
        }
        atomic_write(sidecar, lambda f: f.write((json.dumps(meta, indent=2) + "\n").encode()))
        cached = False
    info = {**meta, "accuracy": test_accuracy, "cached": cached, "path": str(pt)}
    return model, info


def _to_features(dataset_name: str, x: np.ndarray) -> np.ndarray:
    from .data import to_features

    return to_features(dataset_name, x)


def reference_model(
    dataset: Dataset,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
    train_config: TrainConfig | None = None,
    progress: bool = False,
) -> tuple[nn.Sequential, dict[str, Any]]:
    """The reference MLP of ``dataset`` (``REFERENCE_ARCHITECTURES[dataset.name]``), cached.

    Trains on ``to_features(dataset.name, dataset.x_train)`` with ``train_config`` (default
    ``default_train_config(dataset.name)``), whose seed is replaced by ``seed``; see
    ``cached_model`` for the cache layout, checksum verification and the returned info dict.
    """
    if dataset.name not in REFERENCE_ARCHITECTURES:
        raise ValueError(f"no reference architecture for dataset {dataset.name!r}; known: {', '.join(REFERENCE_ARCHITECTURES)}")
    config = replace(train_config or default_train_config(dataset.name), seed=seed)
    return cached_model(
        dataset.name,
        _to_features(dataset.name, dataset.x_train), dataset.y_train,
        _to_features(dataset.name, dataset.x_test), dataset.y_test,
        REFERENCE_ARCHITECTURES[dataset.name], int(dataset.num_classes), config,
        source=str(dataset.source), cache_dir=cache_dir, progress=progress,
    )
