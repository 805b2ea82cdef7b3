"""Resumable sweep: SweepPlan validation and run_sweep restart behaviour."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from quboquant.experiments import CellKey, ResultStore, SweepPlan, run_sweep


class Killed(Exception):
    pass


class FakeCell:
    """run_cell stand-in counting calls; raises ``exc`` once ``fail_after`` cells are done."""

    def __init__(self, fail_after: int | None = None, exc: type[BaseException] = Killed) -> None:
        self.calls: list[CellKey] = []
        self.fail_after, self.exc = fail_after, exc

    def __call__(self, key: CellKey) -> dict:
        if self.fail_after is not None and len(self.calls) == self.fail_after:
            raise self.exc("killed")
        self.calls.append(key)
        return {"accuracy": 0.5 + key.bits / 20, "fp_accuracy": 0.95, "seconds": 0.01}


PLAN = SweepPlan(datasets=("mnist", "iris"), bits=(4, 2), methods=("rtn", "anneal"), seeds=(0, 1), calib_size=64)


def test_cells_order_and_defaults():
    cells = list(PLAN.cells())
    assert len(cells) == len(PLAN) == 16 and len(set(cells)) == 16
    assert [(c.dataset, c.seed, c.bits, c.method) for c in cells[:5]] == [
        ("mnist", 0, 4, "rtn"), ("mnist", 0, 4, "anneal"), ("mnist", 0, 2, "rtn"), ("mnist", 0, 2, "anneal"),
        ("mnist", 1, 4, "rtn")]
    assert all(c.calib_size == 64 and c.scale == "mse" for c in cells)
    plan = SweepPlan(datasets=["mnist"])
    assert plan.datasets == ("mnist",) and plan.bits == (8, 7, 6, 5, 4, 3, 2, 1)
    assert plan.methods == ("rtn", "anneal") and plan.seeds == (0, 1, 2)


@pytest.mark.parametrize("kwargs, match", [
    ({"datasets": ()}, "empty"),
    ({"datasets": "mnist"}, "sequence"),
    ({"bits": (0,)}, "bits"),
    ({"bits": (9, 8)}, "bits"),
    ({"bits": (4, 4)}, "duplicates"),
    ({"methods": ("rtn", "fp")}, "not a method"),
    ({"methods": ()}, "empty"),
    ({"seeds": (-1,)}, "seeds"),
    ({"scale": "bogus"}, "scale"),
    ({"granularity": "row"}, "granularity"),
    ({"inputs": "mixed"}, "inputs"),
    ({"calib_size": 0}, "calib_size"),
    ({"valid_datasets": ("iris",)}, "unknown datasets"),
])
def test_plan_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SweepPlan(**{"datasets": ("mnist",), **kwargs})


def test_valid_datasets_accepts_known_names():
    assert SweepPlan(datasets=("mnist",), valid_datasets=("mnist", "iris")) == SweepPlan(datasets=("mnist",))


def test_full_run_stores_everything(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    fake = FakeCell()
    records = run_sweep(PLAN, store, fake, progress=False)
    assert fake.calls == list(PLAN.cells())
    assert [CellKey.from_record(r) for r in records] == list(PLAN.cells())
    assert all(r["finished_at"] and r["accuracy"] > 0 for r in records)
    again = FakeCell()
    assert run_sweep(PLAN, store, again, progress=True) == records and again.calls == []


@pytest.mark.parametrize("exc", [Killed, KeyboardInterrupt])
def test_interrupted_sweep_resumes(tmp_path, exc):
    store = ResultStore(tmp_path / "r.jsonl")
    first = FakeCell(fail_after=5, exc=exc)
    with pytest.raises(exc):
        run_sweep(PLAN, store, first, progress=False)
    assert len(store.records()) == 5
    second = FakeCell()
    records = run_sweep(PLAN, store, second, progress=False)
    assert second.calls == list(PLAN.cells())[5:]
    lines = store.path.read_text().splitlines()
    assert Counter(CellKey.from_record(json.loads(line)) for line in lines) == Counter(PLAN.cells())
    assert len(records) == len(PLAN)


def test_other_plans_records_are_kept_but_not_returned(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    run_sweep(SweepPlan(datasets=("iris",), bits=(3,), seeds=(0,)), store, FakeCell(), progress=False)
    records = run_sweep(SweepPlan(datasets=("iris",), bits=(2,), seeds=(0,)), store, FakeCell(), progress=False)
    assert {r["bits"] for r in records} == {2} and len(store.records()) == 4


def test_run_cell_contradicting_key_is_an_error(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    with pytest.raises(ValueError, match="disagree"):
        run_sweep(PLAN, store, lambda key: {"accuracy": 0.5, "bits": 99}, progress=False)
    assert store.records() == []
