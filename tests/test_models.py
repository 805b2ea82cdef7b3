"""Reference MLPs (build, deterministic training, checksummed cache) and evaluation helpers."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from quboquant import models
from quboquant.data import Dataset
from quboquant.evaluate import accuracy, predict
from quboquant.models import (
    REFERENCE_ARCHITECTURES,
    TrainConfig,
    build_mlp,
    cached_model,
    default_train_config,
    reference_model,
    train_mlp,
)


def blobs(n: int = 2000, dim: int = 20, classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(classes, dim))
    y = rng.integers(0, classes, size=n)
    x = centers[y] + rng.normal(size=(n, dim))
    return x.astype(np.float32), y.astype(np.int64)


FAST = TrainConfig(epochs=3, batch_size=64)


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


# --- build_mlp / TrainConfig -------------------------------------------------------------


def test_build_mlp_layers_and_shapes() -> None:
    model = build_mlp(784, (256, 128), 10)
    assert [type(m) for m in model] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert [(m.in_features, m.out_features) for m in model if isinstance(m, nn.Linear)] == [(784, 256), (256, 128), (128, 10)]
    assert model(torch.zeros(5, 784)).shape == (5, 10)
    assert [type(m) for m in build_mlp(4, (), 2)] == [nn.Linear]
    with pytest.raises(ValueError):
        build_mlp(0, (8,), 2)


def test_reference_architectures() -> None:
    assert REFERENCE_ARCHITECTURES["mnist"] == (128,)
    assert REFERENCE_ARCHITECTURES["cifar10"] == (256, 128)
    assert {"mnist", "fashion-mnist", "emnist", "cifar10"} <= set(REFERENCE_ARCHITECTURES)
    assert default_train_config("cifar10", seed=3).seed == 3


@pytest.mark.parametrize(
    "kwargs", [{"epochs": 0}, {"batch_size": -1}, {"lr": 0.0}, {"lr": float("nan")}, {"weight_decay": -1e-4}, {"seed": -1}, {"epochs": 2.5}, {"seed": True}]
)
def test_train_config_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        TrainConfig(**kwargs)


# --- train_mlp ---------------------------------------------------------------------------


def test_train_mlp_learns_and_is_deterministic() -> None:
    x, y = blobs(n=2500)
    x, y, xt, yt = x[:2000], y[:2000], x[2000:], y[2000:]
    rng_state = torch.get_rng_state()
    a = train_mlp(x, y, (16,), 3, FAST)
    assert torch.equal(torch.get_rng_state(), rng_state)  # caller's RNG left alone
    assert not torch.are_deterministic_algorithms_enabled()  # flag restored
    assert not a.training
    assert accuracy(a, xt, yt) > 0.95
    b = train_mlp(x, y, (16,), 3, FAST)
    assert same_weights(a, b)
    c = train_mlp(x, y, (16,), 3, TrainConfig(epochs=3, batch_size=64, seed=1))
    assert not same_weights(a, c)


def test_train_mlp_rejects_bad_inputs() -> None:
    x, y = blobs(n=50)
    with pytest.raises(ValueError):
        train_mlp(x.reshape(50, 4, 5), y, (4,), 3, FAST)
    with pytest.raises(ValueError):
        train_mlp(x, y[:-1], (4,), 3, FAST)
    with pytest.raises(ValueError):
        train_mlp(x, y + 3, (4,), 3, FAST)


# --- cache -------------------------------------------------------------------------------


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = models.train_mlp

    def wrapper(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(models, "train_mlp", wrapper)
    return calls


def test_cached_model_roundtrip_and_corruption(tmp_path: Path, counted: list[int]) -> None:
    x, y = blobs(n=2500)
    args = ("blobs", x[:2000], y[:2000], x[2000:], y[2000:], (8,), 3, FAST)
    m1, info1 = cached_model(*args, source="synthetic", cache_dir=tmp_path)
    assert counted == [1] and info1["cached"] is False
    pt = Path(info1["path"])
    assert pt.parent == tmp_path / "models" and pt.name.startswith("blobs-20-8-3-seed0-") and pt.suffix == ".pt"
    meta = json.loads(pt.with_suffix(".json").read_text())
    assert meta["architecture"] == "20-8-3" and meta["train_config"]["epochs"] == 3 and len(meta["sha256"]) == 64
    assert 0.9 < info1["accuracy"] <= 1.0 and meta["accuracy"] == info1["accuracy"]
    assert not list(pt.parent.glob("*.tmp"))

    m2, info2 = cached_model(*args, source="synthetic", cache_dir=tmp_path)
    assert counted == [1] and info2["cached"] is True and not m2.training
    assert same_weights(m1, m2) and info2["accuracy"] == info1["accuracy"]

    # The same data from elsewhere reuses the entry; a different config is a new one.
    assert cached_model(*args, source="elsewhere", cache_dir=tmp_path)[1]["cached"] is True
    _, info3 = cached_model(*args[:-1], TrainConfig(epochs=2, batch_size=64), source="synthetic", cache_dir=tmp_path)
    assert counted == [1, 1] and info3["path"] != info1["path"]
    # So are different features (e.g. a changed feature transform).
    _, info3b = cached_model("blobs", 2 * x[:2000], *args[2:], source="synthetic", cache_dir=tmp_path)
    assert counted == [1, 1, 1] and info3b["path"] not in (info1["path"], info3["path"])
    counted.clear()
    counted.extend([1, 1])

    # Flip a byte: the checksum catches it and the model is retrained and re-cached.
    raw = bytearray(pt.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    pt.write_bytes(bytes(raw))
    with pytest.warns(RuntimeWarning, match="SHA-256 mismatch"):
        m4, info4 = cached_model(*args, source="synthetic", cache_dir=tmp_path)
    assert counted == [1, 1, 1] and info4["cached"] is False and same_weights(m1, m4)
    _, info5 = cached_model(*args, source="synthetic", cache_dir=tmp_path)
    assert counted == [1, 1, 1] and info5["cached"] is True

    # A broken sidecar is also rebuilt.
    pt.with_suffix(".json").write_text("{not json")
    with pytest.warns(RuntimeWarning, match="retraining"):
        _, info6 = cached_model(*args, source="synthetic", cache_dir=tmp_path)
    assert info6["cached"] is False


def test_reference_model_uses_env_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[int]) -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, size=300)
    images = (rng.integers(0, 40, size=(300, 8, 8)) + 20 * y[:, None, None]).astype(np.uint8)
    ds = Dataset("mnist", images[:250], y[:250], images[250:], y[250:], tuple("0123456789"), "fake")
    monkeypatch.setattr(models, "_to_features", lambda name, x: (x.reshape(len(x), -1).astype(np.float32) - 110) / 60)
    monkeypatch.setenv("QUBOQUANT_CACHE_DIR", str(tmp_path))
    m1, info1 = reference_model(ds, seed=2, train_config=TrainConfig(epochs=2))
    assert Path(info1["path"]).name.startswith("mnist-64-128-10-seed2-") and info1["train_config"]["seed"] == 2
    assert Path(info1["path"]).parent == tmp_path / "models"
    m2, info2 = reference_model(ds, seed=2, train_config=TrainConfig(epochs=2))
    assert counted == [1] and info2["cached"] and same_weights(m1, m2)
    with pytest.raises(ValueError, match="no reference architecture"):
        reference_model(dataclasses.replace(ds, name="svhn"))


# --- evaluate ----------------------------------------------------------------------------


class Fixed(nn.Module):
    """Logits = x @ W with W picking class (feature 0 > feature 1 ? 0 : 1); dropout to check eval."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        self.seen_training: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen_training.append(self.training)
        assert x.dtype == torch.float32 and not torch.is_grad_enabled()
        return x @ self.w


def test_predict_and_accuracy_on_known_module() -> None:
    module = Fixed()
    x = np.array([[2, 1], [0, 3], [5, -1], [-1, -2], [1, 4]], dtype=np.float64)
    np.testing.assert_array_equal(predict(module, x, batch_size=2), [0, 1, 0, 0, 1])
    assert module.seen_training == [False, False, False] and module.training  # 3 batches, mode restored
    assert accuracy(module, x, np.array([0, 1, 1, 0, 1])) == pytest.approx(0.8)
    assert predict(module, np.zeros((0, 2))).shape == (0,)


def test_evaluate_rejects_bad_shapes() -> None:
    module = Fixed()
    with pytest.raises(ValueError, match="2-D"):
        predict(module, np.zeros((3, 2, 1)))
    with pytest.raises(ValueError, match="2-D"):
        accuracy(module, np.zeros(4), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="lengths differ"):
        accuracy(module, np.zeros((4, 2)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError):
        predict(module, np.zeros((4, 2)), batch_size=0)
