"""ResultStore: kill-safe append-only JSON lines."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from quboquant.experiments import CellKey, ResultStore, StoreWarning


def rec(bits: int = 4, method: str = "rtn", seed: int = 0, **extra) -> dict:
    return {"dataset": "mnist", "bits": bits, "method": method, "seed": seed, "scale": "mse",
            "granularity": "channel", "inputs": "quantized", "calib_size": 256, "accuracy": 0.9, **extra}


def test_round_trip_creates_parent_dirs(tmp_path):
    store = ResultStore(tmp_path / "a" / "b" / "results.jsonl")
    assert store.records() == [] and store.done_keys() == set()
    records = [rec(b, m, layers=[{"name": "fc1", "energy": 1.0}]) for b in (8, 4) for m in ("rtn", "anneal")]
    for r in records:
        store.append(r)
    assert store.records() == records
    assert store.path.read_bytes().endswith(b"\n")
    assert store.done_keys() == {CellKey.from_record(r) for r in records}
    assert CellKey("mnist", 8, "anneal", 0, "mse", "channel", "quantized", 256) in store.done_keys()


def test_numpy_values_are_serialized(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    store.append(rec(bits=np.int64(3), accuracy=np.float32(0.5), energy=np.array([1.0, 2.0])))
    (got,) = store.records()
    assert got["bits"] == 3 and got["accuracy"] == 0.5 and got["energy"] == [1.0, 2.0]


def test_missing_key_field_is_rejected(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    bad = rec()
    del bad["seed"]
    with pytest.raises(ValueError, match="seed"):
        store.append(bad)
    assert not store.path.exists()


def test_truncated_last_line_is_skipped_and_next_append_is_clean(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    store.append(rec(8))
    store.append(rec(7))
    line = json.dumps(rec(6)).encode()
    with open(store.path, "ab") as f:  # a writer killed mid-line
        f.write(line[: len(line) // 2])
    with pytest.warns(StoreWarning, match="truncated"):
        assert [r["bits"] for r in store.records()] == [8, 7]
    store.append(rec(5))
    with pytest.warns(StoreWarning, match="corrupt line 3"):
        assert [r["bits"] for r in store.records()] == [8, 7, 5]
    lines = store.path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and json.loads(lines[-2])["bits"] == 5


def test_corrupt_middle_line_keeps_the_others(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    store.append(rec(8))
    with open(store.path, "ab") as f:
        f.write(b'{"not": "a record"}\n[1, 2]\ngarbage\n\n')
    store.append(rec(1))
    with pytest.warns(StoreWarning) as caught:
        assert [r["bits"] for r in store.records()] == [8, 1]
    assert len(caught) == 3


def test_duplicate_keys_last_wins(tmp_path):
    store = ResultStore(tmp_path / "r.jsonl")
    store.append(rec(4, accuracy=0.1))
    store.append(rec(3, accuracy=0.2))
    store.append(rec(4, accuracy=0.3))
    assert [(r["bits"], r["accuracy"]) for r in store.records()] == [(3, 0.2), (4, 0.3)]
    assert len(store.done_keys()) == 2


def test_each_append_is_one_write(tmp_path, monkeypatch):
    calls = []
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: calls.append(data) or real(fd, data))
    store = ResultStore(tmp_path / "r.jsonl")
    store.append(rec(8))
    store.append(rec(7))
    assert len(calls) == 2 and all(c.endswith(b"\n") and c.count(b"\n") == 1 for c in calls)
