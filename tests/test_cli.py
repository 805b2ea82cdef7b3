"""The command line, end to end on MNIST (the reference model is trained once and cached)."""
from __future__ import annotations

import argparse
import json

import pytest

from quboquant.cli import bit_widths, integers, main


def test_bit_width_parsing():
    assert bit_widths("1-8") == (1, 2, 3, 4, 5, 6, 7, 8)
    assert bit_widths("8-6") == (8, 7, 6)
    assert bit_widths("2,4,2") == (2, 4)
    assert integers("0-2") == (0, 1, 2) and integers("3,1") == (3, 1)
    for bad in ("0-3", "9", "a", "2-"):
        with pytest.raises(argparse.ArgumentTypeError):
            bit_widths(bad)


def test_run_writes_records_and_qubo_beats_rtn(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["run", "--dataset", "mnist", "--bits", "2", "--methods", "rtn,greedy", "--calib-size", "500",
                 "--json", str(out)])
    assert code == 0
    records = json.loads(out.read_text())
    assert [(r["bits"], r["method"]) for r in records] == [(2, "rtn"), (2, "greedy")]
    for r in records:
        assert {"dataset", "bits", "method", "seed", "accuracy", "energy_ratio", "seconds"} <= r.keys()
        assert 0 <= r["accuracy"] <= 1
    rtn, greedy = records
    assert rtn["energy_ratio"] == 1.0 and greedy["energy_ratio"] < 0.5
    assert greedy["accuracy"] > rtn["accuracy"] + 0.2  # int2 with the paper's scale: ~45% -> ~93%
    assert "full precision" in capsys.readouterr().out


def test_reproduce_resumes_without_recomputing(tmp_path):
    store, report = tmp_path / "store.jsonl", tmp_path / "report"
    args = ["reproduce", "--datasets", "mnist", "--bits", "3", "--methods", "rtn,greedy", "--seeds", "0",
            "--calib-size", "300", "--store", str(store), "--report", str(report)]
    assert main(args) == 0
    lines = store.read_text().splitlines()
    assert len(lines) == 2
    assert main(args) == 0
    assert store.read_text().splitlines() == lines  # nothing recomputed or appended
    assert (report / "index.html").exists() and (report / "results.md").exists()
    assert main(["report", "--store", str(store), "--out", str(tmp_path / "r2")]) == 0


def test_errors_are_one_line_messages(tmp_path, capsys):
    assert main(["run", "--methods", "rtn,magic", "--bits", "2"]) == 2
    assert "unknown method" in capsys.readouterr().err
    assert main(["report", "--store", str(tmp_path / "none.jsonl")]) == 1
    with pytest.raises(SystemExit):
        main(["run", "--bits", "0-9"])
