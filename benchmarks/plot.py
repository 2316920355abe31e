"""The figure of docs/benchmarks.md: time against precision, one panel per shape and penalty.

    python benchmarks/plot.py [benchmarks/results.json] [--out docs/figures/benchmarks.png]

Every run of the saved comparison (compare.py / full_comparison.py) is a point: its path
time against its precision, max_k (P_k - P*_k) / P(0), the worst relative suboptimality over
the grid. A solver's runs (its tolerance ladder) are joined in ladder order, the looser
extension rungs first, drawn hollow. The dashed line is the target (1e-6); the ratios in each
panel's title are the report's: fastreg's fastest run left of the line against the fastest
peer's, over the prescribed ladders and (extended) over all rungs. Needs matplotlib.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from report import EXTENSION, SOLVER_ORDER, rung_of  # noqa: E402

# (precisions at or below this are drawn at it: a run can beat P* by rounding)
FLOOR = 1e-16
MARKERS = dict(fastreg="o", sklearn="s", celer="^", skglm="v", glmnet="D", adelie="P")


def plot(results: dict, out: Path) -> Path:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # an optional extra
        raise SystemExit("benchmarks/plot.py needs matplotlib: pip install matplotlib") from exc
    problems = results["problems"]
    shapes = list(dict.fromkeys(p["shape"] for p in problems))
    penalties = list(dict.fromkeys(p["penalty"] for p in problems))
    fig, axes = plt.subplots(len(shapes), len(penalties), squeeze=False,
                             figsize=(5.2 * len(penalties), 3.1 * len(shapes)))
    target = results.get("target", 1e-6)
    colors = {name: f"C{i}" for i, name in enumerate(SOLVER_ORDER)}
    for ax in axes.flat:
        ax.set_visible(False)
    for prob in problems:
        ax = axes[shapes.index(prob["shape"]), penalties.index(prob["penalty"])]
        ax.set_visible(True)
        for name in SOLVER_ORDER:
            runs = [r for r in prob["runs"] if r["solver"] == name and r.get("precision") is not None
                    and r.get("error") is None]
            if not runs:
                continue
            style = dict(marker=MARKERS.get(name, "o"), color=colors[name],
                         ms=6 if name == "fastreg" else 4)
            ax.plot([max(r["precision"], FLOOR) for r in runs], [r["time"] for r in runs],
                    label=name, lw=2.2 if name == "fastreg" else 1.0,
                    markevery=[rung_of(r) != EXTENSION for r in runs], **style)
            extension = [r for r in runs if rung_of(r) == EXTENSION]
            ax.plot([max(r["precision"], FLOOR) for r in extension],
                    [r["time"] for r in extension], ls="none", mfc="white", **style)
        ax.axvline(target, color="0.4", ls="--", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ratio = prob.get("ratio")
        title = f"{prob['shape']}, {prob['penalty']}"
        if ratio is not None:
            title += f": fastreg / fastest peer {ratio:.2f}"
        if prob.get("ratio_extended") is not None:
            title += f" (extended {prob['ratio_extended']:.2f})"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("precision (worst relative suboptimality)", fontsize=8)
        ax.set_ylabel("path time (s)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=str(HERE / "results.json"))
    parser.add_argument("--out", default=str(HERE.parent / "docs" / "figures" / "benchmarks.png"))
    args = parser.parse_args(argv)
    print("wrote", plot(json.loads(Path(args.results).read_text()), Path(args.out)))


if __name__ == "__main__":
    main()
