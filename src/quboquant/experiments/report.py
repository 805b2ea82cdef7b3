"""Markdown + HTML report with plots from the records of a sweep."""
from __future__ import annotations

import html
import io
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from ..atomic import atomic_write_bytes

if TYPE_CHECKING:  # matplotlib is imported lazily: importing the sweep should stay cheap
    from matplotlib.figure import Figure

SETTING_FIELDS = ("scale", "granularity", "inputs", "calib_size")
METHOD_ORDER = ("rtn", "greedy", "gptq", "anneal", "anneal-hq", "paper-sa", "exact", "dimod")
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
_DASH = "–"

Settings = tuple[Any, ...]


# ----------------------------------------------------------------------------- statistics
def _mean_std(values: Iterable[float]) -> tuple[float, float | None]:
    """Mean and sample std (ddof=1) of ``values``; std is None below two values."""
    a = np.asarray(list(values), dtype=float)
    return float(a.mean()), (float(a.std(ddof=1)) if a.size >= 2 else None)


def _fmt(mean: float, std: float | None, digits: int = 2, sign: bool = False) -> str:
    s = f"{mean:+.{digits}f}" if sign else f"{mean:.{digits}f}"
    return s if std is None else f"{s} ± {std:.{digits}f}"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _ordered(items: Iterable[Any], preferred: tuple[Any, ...] = ()) -> list[Any]:
    seen = list(dict.fromkeys(items))
    return [p for p in preferred if p in seen] + [x for x in seen if x not in preferred]


def _group(records: list[dict[str, Any]]) -> dict[Settings, dict[str, list[dict[str, Any]]]]:
    """records -> {settings tuple: {dataset: [records]}} (settings sorted, datasets in record order)."""
    groups: dict[Settings, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        groups[tuple(r.get(f) for f in SETTING_FIELDS)][r["dataset"]].append(r)
    return {k: dict(groups[k]) for k in sorted(groups, key=lambda s: tuple(map(str, s)))}


def _by_cell(recs: list[dict[str, Any]], field_: str) -> dict[tuple[str, int], dict[int, float]]:
    """{(method, bits): {seed: value}} for records whose ``field_`` is a finite number."""
    out: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    for r in recs:
        if _finite(r.get(field_)):
            out[(r["method"], r["bits"])][r["seed"]] = float(r[field_])
    return out


def gains_table(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gain over RTN in accuracy points per (dataset, settings, method, bits).

    Each row holds dataset, the setting fields, method, bits, ``gain_mean``, ``gain_std``
    (sample std over seeds, None for one seed) and ``n_seeds`` (seeds run by both methods).
    """
    rows: list[dict[str, Any]] = []
    for settings, datasets in _group(records).items():
        for dataset, recs in datasets.items():
            acc = _by_cell(recs, "accuracy")
            methods = _ordered((r["method"] for r in recs), METHOD_ORDER)
            for method in (m for m in methods if m != "rtn"):
                for bits in sorted({b for (m, b) in acc if m == method}, reverse=True):
                    own, rtn = acc[(method, bits)], acc.get(("rtn", bits), {})
                    diffs = [100 * (own[s] - rtn[s]) for s in sorted(own) if s in rtn]
                    if diffs:
                        mean, std = _mean_std(diffs)
                        rows.append({"dataset": dataset, **dict(zip(SETTING_FIELDS, settings)), "method": method,
                                     "bits": bits, "gain_mean": mean, "gain_std": std, "n_seeds": len(diffs)})
    return rows


# ----------------------------------------------------------------------------- document model
@dataclass
class _Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    bold: set[tuple[int, int]] = field(default_factory=set)
    image: str | None = None  # plot shown beside the table


@dataclass
class _Block:
    heading: str
    notes: list[str]
    tables: list[_Table]
    images: list[str]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name))


def _dataset_block(dataset: str, recs: list[dict[str, Any]], suffix: str, out_dir: Path,
                   subtitle: str) -> _Block:
    methods = _ordered((r["method"] for r in recs), METHOD_ORDER)
    bits_desc = sorted({r["bits"] for r in recs}, reverse=True)
    acc = _by_cell(recs, "accuracy")
    notes: list[str] = []

    fp_by_seed: dict[int, list[float]] = defaultdict(list)
    for r in recs:
        if _finite(r.get("fp_accuracy")):
            fp_by_seed[r["seed"]].append(100 * float(r["fp_accuracy"]))
    fp = _mean_std(np.mean(v) for v in fp_by_seed.values()) if fp_by_seed else None
    if fp:
        notes.append(f"Full precision accuracy: **{_fmt(*fp)} %** ({len(fp_by_seed)} seed(s)).")
    for source in dict.fromkeys(str(r["data_source"]) for r in recs if r.get("data_source")):
        notes.append(f"Data source: {source}")

    # accuracy + gain over RTN
    gain_methods = [m for m in methods if m != "rtn"] if any(m == "rtn" for m, _ in acc) else []
    header = ["bits", *methods, *[f"Δ {m}" for m in gain_methods]]
    rows, bold = [], set()
    for i, bits in enumerate(bits_desc):
        stats = {m: _mean_std(100 * v for v in acc[(m, bits)].values()) for m in methods if acc.get((m, bits))}
        row = [str(bits)] + [_fmt(*stats[m]) if m in stats else _DASH for m in methods]
        if len(stats) >= 2:
            best = max(s[0] for s in stats.values())
            bold |= {(i, 1 + j) for j, m in enumerate(methods) if m in stats and stats[m][0] >= best - 1e-9}
        for m in gain_methods:
            own, rtn = acc.get((m, bits), {}), acc.get(("rtn", bits), {})
            diffs = [100 * (own[s] - rtn[s]) for s in own if s in rtn]
            row.append(_fmt(*_mean_std(diffs), sign=True) if diffs else _DASH)
        rows.append(row)
    images = [f"accuracy_{_safe(dataset)}{suffix}.png", f"energy_{_safe(dataset)}{suffix}.png"]
    tables = [_Table("Accuracy (%), mean ± std over seeds; best per bit width in bold"
                     + ("; Δ = gain over RTN in points, from per-seed differences" if gain_methods else ""), header, rows, bold,
                     images.pop(0))]

    # energy ratio per layer (non-RTN methods; RTN is 1 by definition)
    layer_names: dict[str, str] = {}
    ratios: dict[tuple[int, str, str], list[float]] = defaultdict(list)
    for r in recs:
        for layer in r.get("layers") or []:
            name = str(layer.get("name"))
            if name not in layer_names:
                shape = f" ({layer['features']}→{layer['rows']})" if "features" in layer and "rows" in layer else ""
                layer_names[name] = name + shape
            e, e0 = layer.get("energy"), layer.get("rtn_energy")
            if _finite(e) and _finite(e0) and e0 > 0:
                ratios[(r["bits"], r["method"], name)].append(e / e0)
    total = _by_cell(recs, "energy_ratio")
    e_rows = []
    for bits in bits_desc:
        for m in (m for m in methods if m != "rtn"):
            cells = [f"{np.mean(ratios[(bits, m, n)]):.3f}" if ratios.get((bits, m, n)) else _DASH for n in layer_names]
            tot = total.get((m, bits))
            if tot or any(c != _DASH for c in cells):
                e_rows.append([str(bits), m, *cells, f"{np.mean(list(tot.values())):.3f}" if tot else _DASH])
    if e_rows:
        tables.append(_Table("Layer error relative to RTN (energy / RTN energy, mean over seeds; < 1 is better)",
                             ["bits", "method", *layer_names.values(), "all layers"], e_rows, image=images.pop(0)))

    secs = _by_cell(recs, "seconds")
    t_rows = [[str(b)] + [f"{np.mean(list(secs[(m, b)].values())):.2f}" if secs.get((m, b)) else _DASH
                          for m in methods] for b in bits_desc]
    if secs:
        tables.append(_Table("Quantization time per cell (s, mean over seeds)", ["bits", *methods], t_rows))

    _plot_accuracy(acc, methods, fp[0] if fp else None, f"{dataset}: accuracy vs bit width{subtitle}",
                   out_dir / f"accuracy_{_safe(dataset)}{suffix}.png")
    _plot_energy(total, methods, f"{dataset}: layer error vs RTN{subtitle}",
                 out_dir / f"energy_{_safe(dataset)}{suffix}.png")
    return _Block(dataset, notes, tables, images)


# ----------------------------------------------------------------------------- plots
def _color(methods: list[str], m: str) -> str:
    return _COLORS[methods.index(m) % len(_COLORS)]


def _save(fig: Figure, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(path, buf.getvalue())


def _axes(title: str, ylabel: str) -> tuple[Figure, Any]:
    from matplotlib.figure import Figure  # Agg canvas is used by savefig; no pyplot state

    fig = Figure(figsize=(6.4, 4.2), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.set(title=title, xlabel="bit width", ylabel=ylabel, xlim=(0.5, 8.5), xticks=range(1, 9))
    ax.grid(alpha=0.3)
    return fig, ax


def _plot_accuracy(acc: dict[tuple[str, int], dict[int, float]], methods: list[str], fp: float | None,
                   title: str, path: Path) -> None:
    fig, ax = _axes(title, "accuracy (%)")
    for m in methods:
        bits = sorted(b for (mm, b) in acc if mm == m and acc[(mm, b)])
        stats = [_mean_std(100 * v for v in acc[(m, b)].values()) for b in bits]
        ax.errorbar(bits, [s[0] for s in stats], yerr=[s[1] or 0.0 for s in stats], marker="o", ms=4,
                    capsize=3, color=_color(methods, m), label=m)
    if fp is not None:
        ax.axhline(fp, ls="--", color="0.3", lw=1, label=f"full precision ({fp:.2f}%)")
    ax.legend(loc="lower right")
    _save(fig, path)


def _plot_energy(total: dict[tuple[str, int], dict[int, float]], methods: list[str], title: str, path: Path) -> None:
    fig, ax = _axes(title, "layer error / RTN error (log)")
    ax.axhline(1.0, ls="--", color=_color(methods, "rtn") if "rtn" in methods else "0.3", lw=1, label="rtn")
    for m in (m for m in methods if m != "rtn"):
        pts = [(b, float(np.mean(list(total[(m, b)].values())))) for b in range(1, 9) if total.get((m, b))]
        pts = [(b, y) for b, y in pts if y > 0]
        if pts:
            ax.plot(*zip(*pts), marker="o", ms=4, color=_color(methods, m), label=m)
    from matplotlib.ticker import FuncFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    lo, hi = ax.get_ylim()
    few = hi / lo < 12  # less than about a decade: label every minor tick, else only 2x and 5x
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda y, _: f"{y:g}" if few or f"{y:.0e}"[0] in "25" else ""))
    ax.legend(loc="best")
    _save(fig, path)


# ----------------------------------------------------------------------------- rendering
def _settings_text(settings: Settings, seeds: list[int]) -> list[tuple[str, str]]:
    return [*zip(SETTING_FIELDS, map(str, settings)), ("seeds", ", ".join(map(str, seeds)))]


def _render_md(title: str, meta: list[str], command: str | None,
               sections: list[tuple[str, list[tuple[str, str]], list[_Block]]]) -> str:
    out = [f"# {title}", "", *meta]
    if command:
        out += ["", "Command:", "", "```", command, "```"]
    for _, settings, blocks in sections:
        out += ["", "## Settings: " + ", ".join(f"{k}={v}" for k, v in settings)]
        for b in blocks:
            out += ["", f"### {b.heading}", ""]
            out += [f"{n}  " for n in b.notes]
            for t in b.tables:
                out += ["", f"*{t.caption}*", "", "| " + " | ".join(t.header) + " |",
                        "|" + "|".join([":---"] + ["---:"] * (len(t.header) - 1)) + "|"]
                out += ["| " + " | ".join(f"**{c}**" if (i, j) in t.bold else c for j, c in enumerate(row)) + " |"
                        for i, row in enumerate(t.rows)]
                out += ["", f"![{t.image}]({t.image})"] if t.image else []
            out += [""] + [f"![{img}]({img})" for img in b.images]
    return "\n".join(out) + "\n"


_CSS = """
body{font:15px/1.5 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d2330;
background:#f5f6f8;margin:0;padding:32px}
main{max-width:1180px;margin:auto}
h1{font-size:28px;margin:0 0 4px}h2{font-size:21px;margin:40px 0 12px;padding-bottom:6px;border-bottom:2px solid #d8dce3}
h3{font-size:18px;margin:0 0 8px}
.meta{color:#5b6473;margin:0}.chips span{display:inline-block;background:#e6ebf5;color:#24406e;border-radius:12px;
padding:2px 10px;margin:0 6px 6px 0;font-size:13px}
pre{background:#1e2430;color:#e8ecf3;padding:10px 14px;border-radius:6px;overflow-x:auto;font-size:13px}
.card{background:#fff;border:1px solid #e1e4ea;border-radius:10px;padding:18px 20px;margin:18px 0;
box-shadow:0 1px 3px rgba(0,0,0,.04)}
.note{margin:2px 0;color:#3a4250}caption{font-size:13px;color:#5b6473;text-align:left;caption-side:top;padding:18px 0 6px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:14px;font-variant-numeric:tabular-nums}
th,td{padding:5px 12px;border-bottom:1px solid #eceef2;white-space:nowrap}
th{background:#f0f2f6;text-align:right;font-weight:600}th:first-child,td:first-child{text-align:left}
td{text-align:right}tbody tr:nth-child(even){background:#fafbfc}td.best{font-weight:700;color:#0b5d1e}
.row{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start;margin-top:8px}.row>.scroll{flex:0 1 auto}
img.plot{flex:1 1 360px;min-width:0;max-width:620px;width:100%;height:auto;margin-top:18px;border:1px solid #eceef2;
border-radius:6px;background:#fff}
.caveat{background:#fff6e0;border-left:4px solid #e0a800;padding:6px 12px;border-radius:4px;margin:8px 0}
"""


def _inline_md(text: str) -> str:
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html.escape(text))


def _img(src: str) -> str:
    return f'<img class="plot" src="{html.escape(src)}" alt="{html.escape(src)}">'


def _render_html(title: str, meta: list[str], command: str | None,
                 sections: list[tuple[str, list[tuple[str, str]], list[_Block]]]) -> str:
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width,initial-scale=1">',
           f"<title>{e(title)}</title><style>{_CSS}</style></head><body><main>", f"<h1>{e(title)}</h1>"]
    out += [f'<p class="meta">{_inline_md(m)}</p>' for m in meta]
    if command:
        out.append(f"<pre><code>{e(command)}</code></pre>")
    for label, settings, blocks in sections:
        heading = f"Settings: {e(label)}" if len(sections) > 1 else "Settings"
        out.append(f"<h2>{heading}</h2><div class=\"chips\">"
                   + "".join(f"<span>{e(k)}: <b>{e(v)}</b></span>" for k, v in settings) + "</div>")
        for b in blocks:
            out.append(f'<section class="card"><h3>{e(b.heading)}</h3>')
            out += [f'<p class="{"note caveat" if n.startswith("Data source") else "note"}">{_inline_md(n)}</p>'
                    for n in b.notes]
            for t in b.tables:
                out.append(f'<div class="row"><div class="scroll"><table><caption>{e(t.caption)}</caption>'
                           "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in t.header)
                           + "</tr></thead><tbody>")
                for i, row in enumerate(t.rows):
                    out.append("<tr>" + "".join(f'<td class="best">{e(c)}</td>' if (i, j) in t.bold
                                                else f"<td>{e(c)}</td>" for j, c in enumerate(row)) + "</tr>")
                out.append("</tbody></table></div>" + (_img(t.image) if t.image else "") + "</div>")
            out.append("".join(map(_img, b.images)) + "</section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def build_report(records: list[dict[str, Any]], out_dir: Path, title: str = "quboquant results",
                 command: str | None = None) -> Path:
    """Write results.md, index.html and accuracy_/energy_<dataset>.png into ``out_dir``.

    Records are grouped into one section per setting combination (scale, granularity,
    inputs, calib_size); with several combinations plot names get a settings suffix.
    Every file is written atomically. Returns the path of index.html.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    groups = _group([r for r in records if r.get("method") != "fp"])
    sections = []
    for settings, datasets in groups.items():
        suffix = "" if len(groups) == 1 else "_" + _safe("-".join(map(str, settings)))
        label = ", ".join(f"{k}={v}" for k, v in zip(SETTING_FIELDS, settings))
        subtitle = "" if len(groups) == 1 else "\n" + label
        seeds = sorted({r["seed"] for recs in datasets.values() for r in recs})
        blocks = [_dataset_block(d, recs, suffix, out_dir, subtitle) for d, recs in datasets.items()]
        sections.append((label, _settings_text(settings, seeds), blocks))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    meta = [f"Generated {now} from {len(records)} record(s); accuracy in %, std is the sample std over seeds."
            if records else f"Generated {now}: no records yet."]
    atomic_write_bytes(out_dir / "results.md", _render_md(title, meta, command, sections).encode())
    index = out_dir / "index.html"
    atomic_write_bytes(index, _render_html(title, meta, command, sections).encode())
    return index
