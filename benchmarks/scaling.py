"""How time and memory grow with the layer width f and the number of output rows n.

Each point runs in a fresh subprocess (so the process's max RSS is that point's own) and
measures, one phase after the other:

* ``grams``: accumulating the three Gram matrices of the augmented inputs (batches of 1024),
* ``qubo``: scales, candidates and ``layer_qubo`` (``quboquant.layer.layer_problem``, the same code
  as ``quantize_layer``),
* ``anneal``: ``Anneal()`` at its defaults (GPTQ start included),
* ``greedy``: ``Greedy()`` (descent from round-to-nearest),

each with its wall time, the tracemalloc peak of the phase (numpy's allocations are traced;
allocations made inside numba kernels are not) and the growth of ``ru_maxrss`` during the phase.
Numba kernels are compiled/loaded and BLAS is warmed up before anything is timed.

Inputs: the MNIST calibration features (f = 784, 2000 images) and CIFAR-10's (f = 3072) for the
width sweep, and for f = 8192 synthetic ReLU-like inputs ``max(0, N(0, 1))`` (2000 samples).
Weights: the reference model's first layer where it has enough rows, otherwise Gaussian
``N(0, 0.05^2)``; int3, the paper's per-tensor scale.

    python benchmarks/scaling.py --out benchmarks/results/scaling.json
    python benchmarks/scaling.py --widths 785 --rows 10,32 --quick   # smoke test
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def inputs(f: int, samples: int = 2000) -> tuple[np.ndarray, str]:
    """Calibration inputs with f - 1 features (f counts the bias variable)."""
    import instances as I

    if f == 785:
        return I.load_model("mnist")[1].astype(np.float64), "MNIST calibration features"
    if f == 3073:
        return I.load_model("cifar10")[1].astype(np.float64), "CIFAR-10 calibration features"
    rng = np.random.default_rng(0)
    return np.maximum(rng.standard_normal((samples, f - 1)), 0.0), "synthetic max(0, N(0,1))"


def weights(f: int, n: int) -> tuple[np.ndarray, np.ndarray, str]:
    import instances as I

    model = {785: "mnist", 3073: "cifar10"}.get(f)
    if model is not None:
        from torch import nn

        net, _ = I.load_model(model)
        first = next(m for m in net if isinstance(m, nn.Linear))
        if first.out_features >= n:
            W = first.weight.detach().double().numpy()[:n]
            return W, first.bias.detach().double().numpy()[:n], f"{model} layer 1 rows 0..{n - 1}"
    rng = np.random.default_rng(1)
    return 0.05 * rng.standard_normal((n, f - 1)), 0.05 * rng.standard_normal(n), "Gaussian N(0, 0.05^2)"


def point(f: int, n: int, sweeps: int | None) -> dict:
    """Measure one (f, n) point in this process."""
    import numba

    from quboquant.config import QuantConfig
    from quboquant.layer import layer_problem
    from quboquant.qubo import Grams
    from quboquant.solvers import Anneal, Greedy

    import instances as I
    from solvers import warm_up

    warm_up()
    x, x_source = inputs(f)
    W, b, w_source = weights(f, n)
    anneal = Anneal() if sweeps is None else Anneal(sweeps=sweeps)
    out = {"f": f, "n": n, "samples": len(x), "inputs": x_source, "weights": w_source,
           "numba_threads": numba.get_num_threads(), "anneal": repr(anneal), "phases": {}}
    base = maxrss_mb()
    out["rss_before_mb"] = base
    tracemalloc.start()
    state: dict = {}

    def phase(name, fn):
        tracemalloc.reset_peak()
        rss0, mem0 = maxrss_mb(), tracemalloc.get_traced_memory()[0]
        began = time.perf_counter()
        state[name] = fn()
        seconds = time.perf_counter() - began
        out["phases"][name] = {"seconds": seconds,
                               "tracemalloc_peak_mb": (tracemalloc.get_traced_memory()[1] - mem0) / 2**20,
                               "maxrss_growth_mb": maxrss_mb() - rss0, "maxrss_mb": maxrss_mb()}
        print(f"  f={f} n={n} {name}: {seconds:.3f} s, tracemalloc peak +{out['phases'][name]['tracemalloc_peak_mb']:.0f} MB,"
              f" maxrss {maxrss_mb():.0f} MB", file=sys.stderr, flush=True)

    def grams():
        g = Grams.zeros(x.shape[1], same_inputs=True)  # as quantize does for a first layer
        for s in range(0, len(x), 1024):
            g.add(x[s:s + 1024], x[s:s + 1024])
        return g

    phase("grams", grams)
    config = QuantConfig(bits=3, scale="paper", granularity="tensor", inputs="float")
    phase("qubo", lambda: layer_problem(W, b, state["grams"], config).problem)
    problem = state["qubo"]
    del state["grams"]  # quantize drops the Gram matrices once the QUBO is built; C stays referenced
    phase("anneal", lambda: anneal.solve(problem))
    phase("greedy", lambda: Greedy().solve(problem))
    rtn = problem.energy(problem.start).sum()
    out["energy_ratio"] = {k: float(state[k].energy.sum() / rtn) for k in ("anneal", "greedy")}
    out["free"] = int(problem.free.sum())
    m = f
    out["array_mb"] = {"C (m^2 float64)": m * m * 8 / 2**20, "three Grams": 3 * m * m * 8 / 2**20,
                       "n x m float64 (d, linear, G...)": n * m * 8 / 2**20, "n x m uint8/bool (H, free)": n * m / 2**20}
    out["rss_peak_mb"] = maxrss_mb()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", default="785,3073,8193", help="f values (variables a row) at n=128")
    parser.add_argument("--rows", default="10,32,128,512,1024", help="n values at f=785")
    parser.add_argument("--sweeps", type=int, default=None, help="override Anneal sweeps (smoke tests)")
    parser.add_argument("--point", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.point:
        f, n = (int(v) for v in args.point.split(","))
        print(json.dumps(point(f, n, args.sweeps)))
        return
    points = [(int(f), 128) for f in args.widths.split(",") if f] + [(785, int(n)) for n in args.rows.split(",") if n]
    points = list(dict.fromkeys(points))
    results = []
    for f, n in points:
        cmd = [sys.executable, __file__, "--point", f"{f},{n}"] + (["--sweeps", str(args.sweeps)] if args.sweeps else [])
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            print(f"point f={f} n={n} failed (exit {proc.returncode})")
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print("\n| f | n | grams s | qubo s | anneal s | greedy s | anneal E/E_rtn | greedy E/E_rtn | tracemalloc peak MB (grams / qubo / anneal / greedy) | max RSS MB (before -> peak) | C MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        p = r["phases"]
        print(f"| {r['f']} | {r['n']} | {p['grams']['seconds']:.3f} | {p['qubo']['seconds']:.3f} | {p['anneal']['seconds']:.3f} |"
              f" {p['greedy']['seconds']:.3f} | {r['energy_ratio']['anneal']:.4f} | {r['energy_ratio']['greedy']:.4f} |"
              f" {' / '.join('%.0f' % p[k]['tracemalloc_peak_mb'] for k in ('grams', 'qubo', 'anneal', 'greedy'))} |"
              f" {r['rss_before_mb']:.0f} -> {r['rss_peak_mb']:.0f} | {r['array_mb']['C (m^2 float64)']:.0f} |")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"nproc": os.cpu_count(), "points": results}, indent=1))


if __name__ == "__main__":
    main()
