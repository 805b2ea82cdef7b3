"""One experiment cell: load data and the reference model, quantize with a method, measure accuracy."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ..config import QuantConfig
from ..data import Dataset, load_dataset, to_features
from ..evaluate import accuracy
from ..models import reference_model
from ..quantize import QuantizedModel, quantize
from .store import CellKey

#: Method name -> (solver name, solver options). "anneal-hq" is the higher-quality budget
#: (pair moves in every sweep, 16 rounds each from the best state so far; ~50x the default's time).
#: "paper-sa" is the paper's solver setup: dwave-samplers' simulated annealer, 1000 sweeps,
#: one read, one call per output neuron.
METHODS: dict[str, tuple[str, dict[str, Any]]] = {
    "rtn": ("rtn", {}),
    "greedy": ("greedy", {"init": "rtn"}),
    "gptq": ("gptq", {}),
    "anneal": ("anneal", {}),
    "anneal-hq": ("anneal", {"rounds": 16, "pair_sweeps": True}),
    "paper-sa": ("dimod", {"sample_kwargs": {"num_sweeps": 1000, "num_reads": 1}}),
}
DEFAULT_CALIB_SIZE = 2000


def check_methods(methods: list[str] | tuple[str, ...]) -> None:
    """Raise ValueError naming any unknown method."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(METHODS)}")


def calibration_rows(num_train: int, size: int, seed: int) -> np.ndarray:
    """Seeded sample of training-split rows used for calibration (never the test split)."""
    size = min(size, num_train)
    return np.sort(np.random.default_rng(seed).choice(num_train, size, replace=False))


class CellRunner:
    """Runs cells, keeping each dataset, its test features and its reference model in memory.

    ``train_seed`` fixes the reference model (the cell's seed changes the calibration sample
    and the solver's randomness); ``data_dir`` is passed to ``load_dataset`` as ``root``.
    """

    def __init__(self, data_dir: str | None = None, train_seed: int = 0, progress: bool = False) -> None:
        self.data_dir, self.train_seed, self.progress = data_dir, train_seed, progress
        self.load = lru_cache(maxsize=None)(self._load_uncached)

    def _load_uncached(self, name: str) -> tuple[Dataset, Any, dict[str, Any], np.ndarray]:
        """(dataset, reference model, model info, test features); ``load`` caches it per name."""
        dataset = load_dataset(name, self.data_dir)
        model, info = reference_model(dataset, seed=self.train_seed, progress=self.progress)
        return dataset, model, info, to_features(name, dataset.x_test)

    def quantize_cell(self, key: CellKey) -> tuple[QuantizedModel, dict[str, Any]]:
        """Quantize the reference model of ``key.dataset`` as the cell says; returns it and the model info."""
        check_methods([key.method])
        dataset, model, info, _ = self.load(key.dataset)
        rows = calibration_rows(len(dataset.x_train), key.calib_size or DEFAULT_CALIB_SIZE, key.seed)
        solver, options = METHODS[key.method]
        config = QuantConfig(bits=key.bits, scale=key.scale, granularity=key.granularity, inputs=key.inputs,
                             solver=solver, solver_options=options, seed=key.seed)
        return quantize(model, to_features(key.dataset, dataset.x_train[rows]), config), info

    def __call__(self, key: CellKey) -> dict[str, Any]:
        """The record fields of one cell (accuracy on the test split, energies, times)."""
        qm, info = self.quantize_cell(key)
        dataset, _, _, x_test = self.load(key.dataset)
        return {
            "accuracy": accuracy(qm.module, x_test, dataset.y_test),
            "fp_accuracy": float(info["accuracy"]),
            "energy_ratio": qm.energy_ratio,
            "seconds": qm.seconds,
            "train_seed": self.train_seed,
            "architecture": info.get("architecture"),
            "data_source": dataset.source,
            "layers": [
                {"name": L.name, "energy": L.energy, "rtn_energy": L.rtn_energy, "seconds": L.seconds,
                 "rows": int(L.q.shape[0]), "features": int(L.q.shape[1])}
                for L in qm.layers
            ],
        }
