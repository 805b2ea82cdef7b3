"""Resumable sweep over (dataset, seed, bits, method) cells, stored as they finish."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping

from tqdm.auto import tqdm

from ..config import GRANULARITIES, INPUTS, SCALES, check_bits
from .store import CellKey, ResultStore


def _as_tuple(name: str, value: Any) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be a sequence, got {value!r}")
    out = tuple(value)
    if not out:
        raise ValueError(f"{name} must not be empty")
    if len(set(out)) != len(out):
        raise ValueError(f"{name}={out!r} has duplicates")
    return out


@dataclass(frozen=True)
class SweepPlan:
    """The grid of cells to run: every dataset x seed x bit width x method at one setting.

    Sequences are stored as tuples. ``valid_datasets`` (optional, not part of equality)
    restricts dataset names; ``"fp"`` is not a method (full precision is a record field).
    """

    datasets: tuple[str, ...]
    bits: tuple[int, ...] = (8, 7, 6, 5, 4, 3, 2, 1)
    methods: tuple[str, ...] = ("rtn", "anneal")
    seeds: tuple[int, ...] = (0, 1, 2)
    scale: str = "mse"
    granularity: str = "channel"
    inputs: str = "quantized"
    calib_size: int | None = None
    valid_datasets: tuple[str, ...] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("datasets", "bits", "methods", "seeds"):
            object.__setattr__(self, name, _as_tuple(name, getattr(self, name)))
        for name in ("datasets", "methods"):
            for item in getattr(self, name):
                if not isinstance(item, str) or not item:
                    raise ValueError(f"{name} must be non-empty strings, got {item!r}")
        if self.valid_datasets is not None:
            unknown = [d for d in self.datasets if d not in self.valid_datasets]
            if unknown:
                raise ValueError(f"unknown datasets {unknown}; choose from {', '.join(self.valid_datasets)}")
        if "fp" in self.methods:
            raise ValueError("'fp' is not a method: full precision accuracy is stored in every record")
        for b in self.bits:
            check_bits("bits", b)
        for s in self.seeds:
            if isinstance(s, bool) or not isinstance(s, int) or s < 0:
                raise ValueError(f"seeds must be non-negative integers, got {s!r}")
        for name, valid in (("scale", SCALES), ("granularity", GRANULARITIES), ("inputs", INPUTS)):
            if getattr(self, name) not in valid:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {', '.join(valid)}")
        c = self.calib_size
        if c is not None and (isinstance(c, bool) or not isinstance(c, int) or c < 1):
            raise ValueError(f"calib_size={c!r} must be a positive integer or None")

    def cells(self) -> Iterator[CellKey]:
        """Cells grouped by dataset, then seed (one model per group), then bits, then method."""
        for dataset in self.datasets:
            for seed in self.seeds:
                for bits in self.bits:
                    for method in self.methods:
                        yield CellKey(dataset, bits, method, seed, self.scale, self.granularity,
                                      self.inputs, self.calib_size)

    def __len__(self) -> int:
        return len(self.datasets) * len(self.seeds) * len(self.bits) * len(self.methods)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run_sweep(
    plan: SweepPlan,
    store: ResultStore,
    run_cell: Callable[[CellKey], Mapping[str, Any]],
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Run every cell of ``plan`` not yet in ``store`` and return all records of the plan.

    ``run_cell(key)`` returns the result fields; the key fields and ``finished_at`` are
    added and the record is appended to the store as soon as it is complete, so an
    interrupted sweep (any exception from ``run_cell`` propagates) resumes where it stopped.
    """
    cells = list(plan.cells())
    done = store.done_keys()
    todo = [key for key in cells if key not in done]
    with tqdm(total=len(todo), disable=not progress, unit="cell", dynamic_ncols=True) as bar:
        for key in todo:
            bar.set_description(f"{key.dataset} s{key.seed} {key.bits}b {key.method}", refresh=False)
            fields = dict(run_cell(key))
            clash = {k: v for k, v in fields.items() if k in key._fields and v != getattr(key, k)}
            if clash:
                raise ValueError(f"run_cell({key}) returned key fields that disagree with the cell: {clash}")
            record = {**fields, **key._asdict(), "finished_at": _now()}
            store.append(record)
            if "accuracy" in record:
                bar.set_postfix(acc=f"{100 * float(record['accuracy']):.2f}%", refresh=False)
            bar.update(1)
    wanted = set(cells)
    by_key = {CellKey.from_record(r): r for r in store.records() if CellKey.from_record(r) in wanted}
    return [by_key[key] for key in cells if key in by_key]
