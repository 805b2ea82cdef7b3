"""Report: tables, gains, plots and HTML from synthetic records."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from quboquant.experiments import build_report, gains_table

PNG = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]


def accuracy(dataset: str, bits: int, method: str, seed: int) -> float:
    """rtn: 0.5 + 0.05 bits + 0.01 seed; anneal: 0.02 better, +0.02 per seed."""
    base = 0.5 + 0.05 * bits - (0.1 if dataset == "emnist" else 0.0)
    return base + (0.02 + 0.02 * seed if method == "anneal" else 0.01 * seed)


def make_records(seeds=(0, 1, 2), granularity: str = "channel") -> list[dict]:
    out = []
    for dataset in ("mnist", "emnist"):
        for seed in seeds:
            for bits in range(8, 0, -1):
                for method in ("rtn", "anneal"):
                    ratio = 1.0 if method == "rtn" else 0.5
                    layers = [{"name": n, "energy": ratio * e, "rtn_energy": e, "seconds": 0.1, "rows": r,
                               "features": f} for n, e, r, f in (("fc1", 4.0, 32, 16), ("fc2", 2.0, 10, 32))]
                    out.append({"dataset": dataset, "bits": bits, "method": method, "seed": seed, "scale": "mse",
                                "granularity": granularity, "inputs": "quantized", "calib_size": 128,
                                "accuracy": accuracy(dataset, bits, method, seed),
                                "fp_accuracy": 0.98 - 0.01 * seed, "energy_ratio": ratio,
                                "seconds": 0.5 * bits if method == "anneal" else 0.01, "layers": layers,
                                "finished_at": "2025-01-01T00:00:00+00:00",
                                **({"data_source": "stand-in caveat"} if dataset == "emnist" else {})})
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    index = build_report(make_records(), out, title="Test report", command="quboquant sweep --x 1")
    assert index == out / "index.html"
    return out


def test_markdown_tables(report):
    md = (report / "results.md").read_text()
    assert "quboquant sweep --x 1" in md and "scale=mse" in md and "calib_size=128" in md and "seeds=0, 1, 2" in md
    assert md.count("## Settings") == 1 and "### mnist" in md and "### emnist" in md
    # mnist 4 bits: rtn 70,71,72 -> 71.00 ± 1.00; anneal 72,74,76 -> 74.00 ± 2.00; gain 2,3,4 -> +3.00 ± 1.00
    assert "| 4 | 71.00 ± 1.00 | **74.00 ± 2.00** | +3.00 ± 1.00 |" in md
    # emnist 8 bits: rtn 80,81,82; anneal 82,84,86
    assert "| 8 | 81.00 ± 1.00 | **84.00 ± 2.00** | +3.00 ± 1.00 |" in md
    assert "Full precision accuracy: **97.00 ± 1.00 %**" in md
    assert "stand-in caveat" in md and md.count("stand-in caveat") == 1
    assert "| 3 | anneal | 0.500 | 0.500 | 0.500 |" in md  # layer energy ratios
    assert "| 2 | 0.01 | 1.00 |" in md  # mean seconds per cell
    assert md.index("| 8 |") < md.index("| 1 |")


def test_gains_table():
    rows = gains_table(make_records())
    assert len(rows) == 16 and {r["method"] for r in rows} == {"anneal"}
    (row,) = [r for r in rows if r["dataset"] == "mnist" and r["bits"] == 4]
    assert row["gain_mean"] == pytest.approx(3.0) and row["gain_std"] == pytest.approx(1.0)
    assert row["n_seeds"] == 3 and row["granularity"] == "channel" and row["calib_size"] == 128
    (single,) = [r for r in gains_table(make_records(seeds=(0,))) if r["dataset"] == "mnist" and r["bits"] == 1]
    assert single["gain_mean"] == pytest.approx(2.0) and single["gain_std"] is None


def test_single_seed_has_no_std(tmp_path):
    build_report(make_records(seeds=(1,)), tmp_path)
    md = (tmp_path / "results.md").read_text()
    assert "| 4 | 71.00 | **74.00** | +3.00 |" in md and "±" not in md.split("| bits | rtn")[1].split("*Layer")[0]


def test_plots_and_html(report):
    html = (report / "index.html").read_text()
    for dataset in ("mnist", "emnist"):
        for kind in ("accuracy", "energy"):
            png = report / f"{kind}_{dataset}.png"
            assert png.read_bytes()[:8] == PNG and png.stat().st_size > 5000
            assert f'src="{kind}_{dataset}.png"' in html
    assert '<td class="best">74.00 ± 2.00</td>' in html and "stand-in caveat" in html
    assert "http://" not in html and "https://" not in html and "<style>" in html
    assert not [p for p in report.iterdir() if p.name.startswith(".")]  # no temp files left


def test_two_settings_make_two_sections(tmp_path):
    build_report(make_records() + make_records(granularity="tensor"), tmp_path)
    md = (tmp_path / "results.md").read_text()
    assert md.count("## Settings") == 2 and "granularity=tensor" in md and "granularity=channel" in md
    assert md.count("| 4 | 71.00 ± 1.00 | **74.00 ± 2.00** | +3.00 ± 1.00 |") == 2
    pngs = sorted(p.name for p in tmp_path.glob("accuracy_mnist*.png"))
    assert len(pngs) == 2 and all(f'src="{p}"' in (tmp_path / "index.html").read_text() for p in pngs)
    rows = gains_table(make_records() + make_records(granularity="tensor"))
    assert len(rows) == 32


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium not installed")
def test_screenshot(report, tmp_path):
    out = tmp_path / "shot.png"
    subprocess.run(["bash", str(ROOT / "scripts" / "screenshot_report.sh"), str(report), str(out)],
                   check=True, timeout=60, capture_output=True)
    assert out.read_bytes()[:8] == PNG and out.stat().st_size > 50_000


def test_single_method_and_empty(tmp_path):
    build_report([r for r in make_records() if r["method"] == "rtn"], tmp_path / "rtn")
    md = (tmp_path / "rtn" / "results.md").read_text()
    assert "| 4 | 71.00 ± 1.00 |" in md and "**71.00" not in md and "Δ" not in md and "Layer error" not in md
    assert (tmp_path / "rtn" / "energy_mnist.png").read_bytes()[:8] == PNG
    build_report([], tmp_path / "empty")
    assert "no records" in (tmp_path / "empty" / "results.md").read_text()
