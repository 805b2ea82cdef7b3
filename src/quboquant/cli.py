"""Command line: ``quboquant run`` (one dataset), ``reproduce`` (the paper's sweep) and ``report``."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

from .atomic import atomic_write_bytes
from .config import GRANULARITIES, INPUTS, SCALES


def integers(text: str) -> tuple[int, ...]:
    """Parse "0,1,2", "0-2" or "8-6" (ranges keep their direction) into distinct integers, in order."""
    out: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part:
                a, b = (int(v) for v in part.split("-"))
                out += list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1))
            else:
                out.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad integer list {text!r}: use e.g. 0,1,2 or 1-8") from None
    return tuple(dict.fromkeys(out))


def bit_widths(text: str) -> tuple[int, ...]:
    """Parse "1-8", "8-1", "2,3,4" or "4" into bit widths in 1..8."""
    out = integers(text)
    if not out or any(not 1 <= b <= 8 for b in out):
        raise argparse.ArgumentTypeError(f"bit widths must lie in 1..8, got {text!r}")
    return out


def names(text: str) -> tuple[str, ...]:
    """Parse a comma-separated list."""
    return tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))


def _add_settings(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", choices=SCALES, default="paper", help="scale scheme (default: the paper's max|W|/2^(N-1))")
    p.add_argument("--granularity", choices=GRANULARITIES, default="tensor", help="one scale per tensor or per output channel")
    p.add_argument("--inputs", choices=INPUTS, default="quantized", help="inputs of the quantized side of each layer")
    p.add_argument("--calib-size", type=int, default=2000, help="calibration images from the training split")
    p.add_argument("--data-dir", default=None, help="folder with the dataset files (default: $QUBOQUANT_DATA_DIR, caches, download)")
    p.add_argument("--train-seed", type=int, default=0, help="seed of the reference model's training")


def _table(records: list[dict[str, Any]]) -> str:
    from .experiments.cell import METHODS

    methods = [m for m in METHODS if any(r["method"] == m for r in records)]
    bits = sorted({r["bits"] for r in records}, reverse=True)
    by = {(r["bits"], r["method"]): r for r in records}
    head = f"{'bits':>4} | " + " | ".join(f"{m:>24}" for m in methods)
    lines = [f"full precision: {100 * records[0]['fp_accuracy']:.2f}%", "accuracy % (energy vs RTN, seconds)", head, "-" * len(head)]
    for b in bits:
        cells = []
        for m in methods:
            r = by.get((b, m))
            cells.append(f"{100 * r['accuracy']:6.2f} ({r['energy_ratio']:6.3f}, {r['seconds']:6.2f}s)" if r else " " * 24)
        lines.append(f"{b:>4} | " + " | ".join(f"{c:>24}" for c in cells))
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from .experiments.cell import CellRunner, check_methods
    from .experiments.store import CellKey
    from tqdm.auto import tqdm

    check_methods(args.methods)
    runner = CellRunner(args.data_dir, train_seed=args.train_seed, progress=True)
    keys = [CellKey(args.dataset, b, m, args.seed, args.scale, args.granularity, args.inputs, args.calib_size)
            for b in args.bits for m in args.methods]
    records = []
    for key in tqdm(keys, desc=f"{args.dataset}", unit="cell"):
        records.append({**key._asdict(), **runner(key)})
    print(_table(records))
    if args.json:
        atomic_write_bytes(args.json, (json.dumps(records, indent=1) + "\n").encode())
        print(f"wrote {args.json}")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .data import DATASETS
    from .experiments.cell import CellRunner, check_methods
    from .experiments.report import build_report
    from .experiments.store import ResultStore
    from .experiments.sweep import SweepPlan, run_sweep

    check_methods(args.methods)
    plan = SweepPlan(datasets=args.datasets, bits=args.bits, methods=args.methods, seeds=args.seeds, scale=args.scale,
                     granularity=args.granularity, inputs=args.inputs, calib_size=args.calib_size, valid_datasets=DATASETS)
    store = ResultStore(args.store)
    records = run_sweep(plan, store, CellRunner(args.data_dir, train_seed=args.train_seed, progress=True))
    print(f"{len(records)} cells in {args.store}")
    if args.report:
        path = build_report(store.records(), Path(args.report), command=_command_line())
        print(f"report: {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .experiments.report import build_report
    from .experiments.store import ResultStore

    records = ResultStore(args.store).records()
    if not records:
        print(f"no records in {args.store}: run 'quboquant reproduce' first", file=sys.stderr)
        return 1
    path = build_report(records, Path(args.out), command=args.command_line)
    print(f"report: {path}")
    return 0


def _command_line() -> str:
    return "quboquant " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``quboquant`` command."""
    from .data import DATASETS
    from .experiments.cell import METHODS

    parser = argparse.ArgumentParser(prog="quboquant", description="Post-training quantization of MLPs by exact QUBO rounding")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="quantize one dataset's reference MLP at several bit widths and methods")
    run.add_argument("--dataset", choices=DATASETS, default="mnist")
    run.add_argument("--bits", type=bit_widths, default=bit_widths("1-8"), help="e.g. 1-8 or 2,3,4")
    run.add_argument("--methods", type=names, default=("rtn", "greedy", "anneal"), help=f"comma-separated: {', '.join(METHODS)}")
    run.add_argument("--seed", type=int, default=0, help="seed of calibration sampling and solvers")
    run.add_argument("--json", default=None, help="write the records to this JSON file")
    _add_settings(run)
    run.set_defaults(func=cmd_run)

    rep = sub.add_parser("reproduce", help="the paper's sweep: datasets x bits x methods x seeds, resumable")
    rep.add_argument("--datasets", type=names, default=DATASETS)
    rep.add_argument("--bits", type=bit_widths, default=bit_widths("8-1"))
    rep.add_argument("--methods", type=names, default=("rtn", "anneal"))
    rep.add_argument("--seeds", type=integers, default=(0, 1, 2))
    rep.add_argument("--store", default="results/reproduce.jsonl", help="append-only JSON-lines store (resumes from it)")
    rep.add_argument("--report", default="report", help="write the report here when done ('' to skip)")
    _add_settings(rep)
    rep.set_defaults(func=cmd_reproduce)

    report = sub.add_parser("report", help="turn a results store into report/index.html and report/results.md")
    report.add_argument("--store", default="results/reproduce.jsonl")
    report.add_argument("--out", default="report")
    report.add_argument("--command-line", default=None, help="the command that produced the store, shown in the report")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``quboquant`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"quboquant: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
