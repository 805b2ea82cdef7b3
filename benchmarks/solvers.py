"""Solver benchmark: time and energy of every rounding solver on fixed layer QUBO instances.

For each instance (see ``instances.py``) and method this prints one Markdown table row:
wall time, summed energy / round-to-nearest's, summed energy / best known, and time / the
paper's solver time (``paper-sa``, dwave-samplers SA at its defaults, one call per row) on
the same instance in the same run. Per-row best known energies and choices live in
``benchmarks/best_known/<instance>.npz`` and are updated whenever a method beats them.

    python benchmarks/solvers.py --instances mnist-l1-int2,mnist-l1-int3 \
        --methods paper-sa,greedy,anneal --out docs/benchmarks_solvers.json

A method is a name from ``METHODS`` or a spec ``solver:key=value/key=value`` (``solver`` one of
anneal, greedy, gptq, rtn, exact; values parsed as Python literals), e.g.
``anneal:sweeps=500/restarts=2``.

``--rows N`` solves a fixed, evenly spaced subset of N rows with every method.
``--dimod-rows N`` limits only the per-row dimod methods (paper-sa, sa-tuned, tabu) to such a
subset while the others solve all rows; their time is then also extrapolated to all rows
(``s (all rows)``) and energies compared on the subset (``E/E_rtn sub``).
``--polish SECONDS`` runs a time-limited anneal (iterated rounds) from the best known choices afterwards
(default restarts 16, sweeps 2000) to improve the best known.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from quboquant.experiments.cell import METHODS as METHODS_CELL

sys.path.insert(0, str(Path(__file__).resolve().parent))
import instances as I  # noqa: E402

from quboquant.qubo import QuboBatch  # noqa: E402
from quboquant.solvers import SOLVERS, Anneal, DimodSolver, Exhaustive, Greedy  # noqa: E402

BEST = I.HERE / "best_known"


# ----------------------------------------------------------------------------- methods

class PerRowBetaSA:
    """dwave-samplers SA with a per-row beta range taken from our temperature scale.

    ``DimodSolver`` calls ``sample`` once per row with free variables, in row order; this
    wrapper hands row k the beta range ``1 / (t * scale_k)`` for t from ``t_hot`` to
    ``t_cold``, where ``scale_k`` is the row's median single-flip curvature ``d_j^2 C_jj``
    (exactly ``Anneal``'s scale; energies of the binary BQM and of its spin form are equal,
    so the temperatures carry over). Geometric in beta = geometric in temperature.
    """

    def __init__(self, problem: QuboBatch, t_hot: float = 0.3, t_cold: float = 0.01) -> None:
        from dwave.samplers import SimulatedAnnealingSampler

        self.sampler = SimulatedAnnealingSampler()
        self.parameters = self.sampler.parameters
        rows = np.flatnonzero(problem.free.any(axis=1))
        curvature = np.where(problem.free, problem.d**2 * np.diag(problem.C)[None, :], np.nan)[rows]
        scale = np.nanmedian(curvature, axis=1)
        scale = np.where(scale > 0, scale, 1.0)
        self.ranges = [(1.0 / (t_hot * s), 1.0 / (t_cold * s)) for s in scale]
        self.k = 0

    def sample(self, bqm: Any, **kwargs: Any) -> Any:
        beta_range = self.ranges[self.k]
        self.k += 1
        return self.sampler.sample(bqm, beta_range=beta_range, **kwargs)


def _tabu() -> Any:
    from dwave.samplers import TabuSampler

    return TabuSampler()


@dataclass
class Method:
    """How to build a solver for a problem, and whether it is a per-row dimod method."""

    make: Callable[[QuboBatch], Any]
    dimod: bool = False
    doc: str = ""
    start: str | None = None  # "best": start from the best known choices


METHODS: dict[str, Method] = {
    "rtn": Method(lambda p: SOLVERS["rtn"](), doc="round to nearest"),
    "paper-sa": Method(lambda p: DimodSolver(sample_kwargs={"num_sweeps": 1000, "num_reads": 1}), dimod=True,
                       doc="dwave-samplers SA at its defaults (1000 sweeps, 1 read, auto beta range), one call per row"),
    "sa-tuned": Method(lambda p: DimodSolver(sampler=PerRowBetaSA(p), sample_kwargs={"num_sweeps": 200, "num_reads": 1}),
                       dimod=True, doc="dwave-samplers SA, 200 sweeps, beta range 1/(0.3..0.01 x row median d^2 C_jj)"),
    "sa-tuned-1000": Method(lambda p: DimodSolver(sampler=PerRowBetaSA(p), sample_kwargs={"num_sweeps": 1000, "num_reads": 1}),
                            dimod=True, doc="as sa-tuned with 1000 sweeps"),
    "tabu": Method(lambda p: DimodSolver(sampler=_tabu(), sample_kwargs={"timeout": 20, "num_reads": 1}), dimod=True,
                   doc="dwave-samplers TabuSampler, timeout 20 ms per row, 1 read"),
    "greedy": Method(lambda p: Greedy(init="rtn"), doc="best-improvement descent from RTN"),
    "gptq": Method(lambda p: SOLVERS["gptq"](), doc="GPTQ rounding restricted to floor/ceil"),
    "greedy-gptq": Method(lambda p: Greedy(init="gptq"), doc="descent from GPTQ"),
    "anneal-rtn": Method(lambda p: Anneal(init="rtn", restarts=1), doc="Anneal, default sweeps, 1 restart, from RTN"),
    "anneal-50": Method(lambda p: Anneal(sweeps=50, restarts=1), doc="Anneal, 50 sweeps, 1 restart, from GPTQ"),
    "anneal-100": Method(lambda p: Anneal(sweeps=100, restarts=1), doc="Anneal, 100 sweeps, 1 restart, from GPTQ"),
    "anneal-300": Method(lambda p: Anneal(sweeps=300, restarts=1), doc="Anneal, 300 sweeps, 1 restart, from GPTQ"),
    "anneal": Method(lambda p: Anneal(), doc="Anneal() at the library's defaults"),
    "anneal-single": Method(lambda p: Anneal(pairs=0), doc="Anneal() with single flips only (no pair moves)"),
    "anneal-hq": Method(lambda p: Anneal(**METHODS_CELL["anneal-hq"][1]),
                        doc="the high-quality budget (quboquant.experiments.cell.METHODS['anneal-hq'])"),
    "greedy-pairs": Method(lambda p: Greedy(init="gptq", pairs=16), doc="single and pair-flip descent from GPTQ"),
    "anneal-1000": Method(lambda p: Anneal(sweeps=1000, restarts=1), doc="Anneal, 1000 sweeps, 1 restart"),
    "anneal-1000x4": Method(lambda p: Anneal(sweeps=1000, restarts=4), doc="Anneal, 1000 sweeps, 4 restarts"),
    "exact": Method(lambda p: Exhaustive(), doc="exhaustive search (<= 22 free variables a row)"),
}
DEFAULT_METHODS = ("rtn,paper-sa,sa-tuned,sa-tuned-1000,tabu,greedy,gptq,greedy-gptq,anneal-rtn,anneal-50,anneal-100,"
                   "anneal-300,anneal,anneal-1000,anneal-1000x4")


def method(spec: str) -> Method:
    """A registered method, or ``solver:key=value/key=value`` for a library solver with options."""
    if spec in METHODS:
        return METHODS[spec]
    name, _, rest = spec.partition(":")
    if name not in SOLVERS or name == "dimod":
        raise SystemExit(f"unknown method {spec!r}; known: {', '.join(METHODS)} or solver:key=value/key=value")
    options = {}
    for item in filter(None, rest.split("/")):
        key, _, value = item.partition("=")
        try:
            options[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            options[key] = value
    return Method(lambda p: SOLVERS[name](**options), doc=spec)


# ----------------------------------------------------------------------------- best known

def best_path(instance: str) -> Path:
    return BEST / f"{instance}.npz"


def load_best(instance: str, problem: QuboBatch) -> dict[str, np.ndarray]:
    """Per-row best known energies, choices and the method that found them (initially RTN)."""
    path = best_path(instance)
    rtn = problem.energy(problem.start)
    if path.exists():
        z = np.load(path)
        if z["H"].shape == problem.shape and np.allclose(z["rtn_energy"], rtn, rtol=1e-9, atol=1e-9):
            # re-evaluate: the stored energies must be those of the stored choices on this instance
            H = z["H"].astype(np.uint8)
            return {"H": H, "energy": problem.energy(H), "method": z["method"].astype(str), "rtn_energy": rtn}
        print(f"warning: {path} does not match the instance (shape or RTN energies differ); starting afresh")
    return {"H": problem.start.copy(), "energy": rtn.copy(), "method": np.full(problem.shape[0], "rtn", dtype="<U32"),
            "rtn_energy": rtn}


def update_best(best: dict[str, np.ndarray], rows: np.ndarray, H: np.ndarray, energy: np.ndarray, name: str) -> int:
    """Take the rows where ``energy`` beats the best known (by a relative 1e-12); returns their count."""
    better = energy < best["energy"][rows] - 1e-12 * np.abs(best["energy"][rows])
    idx = rows[better]
    best["H"][idx], best["energy"][idx], best["method"][idx] = H[better], energy[better], name[:32]
    return int(better.sum())


def save_best(instance: str, best: dict[str, np.ndarray]) -> None:
    BEST.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(best_path(instance), H=best["H"], energy=best["energy"], method=best["method"],
                        rtn_energy=best["rtn_energy"])


# ----------------------------------------------------------------------------- running

def even_rows(n: int, k: int | None) -> np.ndarray:
    """A fixed, evenly spaced subset of k of n rows (all rows if k is None or >= n)."""
    if k is None or k >= n:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).round().astype(int))


def warm_up() -> None:
    """Compile the numba kernels (cached on disk, but loading also takes time) before timing."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 8))
    C = X.T @ X
    p = QuboBatch(C=C, d=np.ones((3, 8)), linear=rng.normal(size=(3, 8)), constant=np.zeros(3),
                  free=np.ones((3, 8), bool), start=np.zeros((3, 8), np.uint8))
    Anneal(sweeps=3).solve(p)
    Greedy().solve(p)
    Exhaustive().solve(p)
    X = rng.normal(size=(1000, 785))  # first BLAS / LAPACK calls of a size are slow: warm them too
    q = QuboBatch(C=X.T @ X, d=np.ones((16, 785)), linear=rng.normal(size=(16, 785)), constant=np.zeros(16),
                  free=np.ones((16, 785), bool), start=np.zeros((16, 785), np.uint8))
    SOLVERS["gptq"]().solve(q)
    Anneal(sweeps=3).solve(q)


def timed_solve(solver: Any, problem: QuboBatch, start: np.ndarray | None, repeat: int) -> tuple[Any, float]:
    """Solve; when it took under 2 s, repeat up to ``repeat`` times and keep the least wall time."""
    times, solution = [], None
    for r in range(max(repeat, 1)):
        began = time.perf_counter()
        solution = solver.solve(problem, start)
        times.append(time.perf_counter() - began)
        if times[-1] > 2.0:
            break
    return solution, min(times)


def _describe(solver: Any) -> str:
    """The solver's settings (dataclass repr), without the sampler object's address."""
    text = repr(solver)
    return text if len(text) < 400 else text[:400] + "..."


def run_instance(instance: str, names: list[str], rows: int | None, dimod_rows: int | None, repeat: int,
                 polish: float | None) -> dict[str, Any]:
    full = I.load(instance)
    best = load_best(instance, full)
    all_rows = even_rows(full.shape[0], rows)
    sub_rows = even_rows(full.shape[0], dimod_rows) if dimod_rows else all_rows
    sub_in_all = np.searchsorted(all_rows, sub_rows)
    assert np.array_equal(all_rows[sub_in_all], sub_rows), "dimod rows must be a subset of the rows"
    problem = I.subset(full, all_rows)
    rtn_e = full.energy(full.start)
    print(f"\n### {instance}: {full.shape[0]} rows x {full.shape[1]} variables, "
          f"{int(problem.free.sum())} free in the {len(all_rows)} rows solved"
          + (f"; dimod methods on {len(sub_rows)} rows" if len(sub_rows) < len(all_rows) else ""), flush=True)
    results = []
    for name in names:
        m = method(name)
        use_rows = sub_rows if m.dimod else all_rows
        p = I.subset(full, use_rows)
        try:
            solver = m.make(p)
        except Exception as error:  # e.g. a solver option another branch renamed
            print(f"  {name}: could not build the solver: {error!r}")
            continue
        try:
            solution, seconds = timed_solve(solver, p, None, 1 if m.dimod else repeat)
        except ValueError as error:
            print(f"  {name}: {error}")
            continue
        energy = np.asarray(solution.energy, dtype=float)
        check = p.energy(solution.H)
        if not np.allclose(check, energy, rtol=1e-9, atol=1e-6 * max(1.0, float(np.abs(check).max()))):
            print(f"  WARNING {name}: reported energies differ from problem.energy(H) (max {np.abs(check - energy).max():.3g})")
        gained = update_best(best, use_rows, solution.H, check, name)
        results.append({"method": name, "doc": m.doc, "solver": _describe(solver), "rows": use_rows.tolist(), "seconds": seconds,
                        "energy_rows": check.tolist(), "improved_best_rows": gained})
        print(f"  {name:>16}: {seconds:9.3f} s  E/E_rtn {check.sum() / rtn_e[use_rows].sum():.4f}"
              + (f"  (+{gained} best rows)" if gained else ""), flush=True)
    if polish:
        solver = Anneal(time_limit=polish, seed=int(time.time()) % 100000)
        began = time.perf_counter()
        sol = solver.solve(I.subset(full, all_rows), best["H"][all_rows])
        seconds = time.perf_counter() - began
        gained = update_best(best, all_rows, sol.H, I.subset(full, all_rows).energy(sol.H), f"polish-{polish:g}s")
        print(f"  polish: Anneal(time_limit={polish:g}) from best known: {seconds:.1f} s, improved {gained} rows", flush=True)
    save_best(instance, best)
    return {"instance": instance, "shape": list(full.shape), "free": int(full.free.sum()),
            "rows": all_rows.tolist(), "dimod_rows": sub_rows.tolist(), "rtn_energy": rtn_e.tolist(),
            "best_energy": best["energy"].tolist(), "results": results}


def table(record: dict[str, Any]) -> str:
    """The Markdown table of one instance."""
    rtn, best = np.asarray(record["rtn_energy"]), np.asarray(record["best_energy"])
    n = record["shape"][0]
    sub = np.asarray(record["dimod_rows"])
    partial = len(sub) < len(record["rows"])
    paper = next((r for r in record["results"] if r["method"] == "paper-sa"), None)
    paper_per_row = paper["seconds"] / len(paper["rows"]) if paper else None
    head = "| method | rows | seconds |" + (" s (all rows) |" if partial else "") + " E/E_rtn | E/E_best |" \
        + (" E/E_rtn sub |" if partial else "") + " time / paper-sa |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in record["results"]:
        rows, e = np.asarray(r["rows"]), np.asarray(r["energy_rows"])
        per_row = r["seconds"] / len(rows)
        cells = [r["method"], str(len(rows)), f"{r['seconds']:.3f}"]
        if partial:
            cells.append(f"{per_row * n:.2f}" + ("" if len(rows) == n else " (est.)"))
        cells += [f"{e.sum() / rtn[rows].sum():.4f}", f"{e.sum() / best[rows].sum():.4f}"]
        if partial:
            pos = np.searchsorted(rows, sub)
            cells.append(f"{e[pos].sum() / rtn[sub].sum():.4f}")
        cells.append(f"{per_row / paper_per_row:.4f}" if paper_per_row else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    import numba

    import hashlib

    import quboquant.solvers as solvers_pkg

    digest = hashlib.sha256()
    for path in sorted(Path(solvers_pkg.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return {"nproc": os.cpu_count(), "cpu": cpu, "numba_threads": numba.get_num_threads(),
            "solvers_source_sha256": digest.hexdigest()[:12],
            "python": platform.python_version(), "numpy": np.__version__,
            "date": datetime.datetime.now().isoformat(timespec="seconds")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", default="mnist-l1-int2,mnist-l1-int3,mnist-l1-int4,mnist-l2-int2")
    parser.add_argument("--methods", default=DEFAULT_METHODS)
    parser.add_argument("--rows", type=int, default=None, help="every method solves this many evenly spaced rows")
    parser.add_argument("--dimod-rows", type=int, default=None, help="per-row dimod methods solve only this many rows")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of a method under 2 s (least time kept)")
    parser.add_argument("--polish", type=float, default=None, help="SECONDS: time-limited Anneal from the best known afterwards")
    parser.add_argument("--out", default=None, help="JSON file of all results")
    args = parser.parse_args(argv)
    names = [m for m in args.methods.split(",") if m]
    for name in names:
        method(name)
    polish = args.polish
    warm_up()
    info = machine()
    info["command"] = "python " + " ".join([Path(sys.argv[0]).as_posix(), *(argv if argv is not None else sys.argv[1:])])
    records = []
    for instance in filter(None, args.instances.split(",")):
        records.append(run_instance(instance, names, args.rows, args.dimod_rows, args.repeat, polish))
    print(f"\n{info['date']}, {info['cpu']}, nproc {info['nproc']}, numba threads {info['numba_threads']}")
    for record in records:
        print(f"\n#### {record['instance']} ({record['shape'][0]} x {record['shape'][1]}, {record['free']} free)\n")
        print(table(record))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"machine": info, "instances": records}, indent=1))
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
