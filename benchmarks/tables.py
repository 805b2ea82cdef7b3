"""Markdown tables from solvers.py JSON output, with gaps to the *final* best known.

``solvers.py`` prints E/E_best against the best known at the time of each method's run; a
``--polish`` afterwards may improve it. This script recomputes every ratio against the best
known stored in ``best_known/<instance>.npz`` now.

    python benchmarks/tables.py benchmarks/results/solvers_mnist.json [...]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def table(record: dict) -> str:
    """One instance's table: method, rows, seconds, E/E_rtn, E/E_best, time / paper-sa."""
    instance = record["instance"]
    best = np.load(HERE / "best_known" / f"{instance}.npz")["energy"]
    rtn = np.asarray(record["rtn_energy"])
    results = [r for r in record["results"] if "energy_rows" in r]
    per_row = {r["method"]: r["seconds"] / len(r["rows"]) for r in results}
    paper = per_row.get("paper-sa")
    lines = [f"#### {instance} ({record['shape'][0]} rows x {record['shape'][1]} variables, best known = "
             f"{best.sum() / rtn.sum():.4f} x RTN)", "",
             "| method | rows | seconds (all rows) | E/E_rtn | E/E_best | time / paper-sa |", "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        rows = np.asarray(r["rows"])
        energy = np.sum(r["energy_rows"])
        seconds = per_row[r["method"]] * len(rtn)
        ratio = f"{per_row[r['method']] / paper:.4f}" if paper else "–"
        lines.append(f"| {r['method']} | {len(rows)} | {seconds:.3f} | {energy / rtn[rows].sum():.4f} | "
                     f"{energy / best[rows].sum():.4f} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    for path in sys.argv[1:]:
        for record in json.loads(Path(path).read_text())["instances"]:
            print(table(record) + "\n")
