"""The comparison of docs/benchmarks.md, in one command.

    python benchmarks/full_comparison.py            # ~50 min on a quiet 2-core machine

Three runs of compare.py, then one report of them all:

1. every solver on dense p >> n, dense n ~ p and sparse text (lasso and elastic net);
2. fastreg, skglm, glmnet and adelie on sparse one-hot (300,000 x 5,000), every rung in 3
   rounds, the solvers taking turns (the two ratios closest to the line are this case's
   and the large case's lasso);
3. fastreg, glmnet and adelie on the large sparse case (200,000 x 200,000), every rung
   run in 3 rounds, the solvers taking turns, the fastest kept (runs under 2 s elsewhere
   are repeated 3 times already): single runs of one binary varied by 10-30% between
   processes on the benchmark host, and repeats made back to back (this case's first
   try) gave fastreg / glmnet 0.44 in one run and 0.62 in the next, with glmnet itself at
   6.34 s and then 5.13 s.

Every solver also runs compare.py's looser extension rungs before its prescribed ladder (in
the rounds too); the report gives both ratios, prescribed ladders (the headline) and
extended ones (see benchmarks/README.md).

Left out where they would make the command take hours without changing any ratio (they
are never the fastest peer there), measured: scikit-learn and celer take 82-87 s per run on
one-hot (45 times glmnet), and a scikit-learn run on the large case did not finish in 25
minutes; skglm takes 25-114 s per run on the large case (3-14 times glmnet).

Writes benchmarks/results.json (all runs), docs/generated/benchmarks_report.md, the
generated part of docs/benchmarks.md (the hand-written notes there are kept), and the
figure docs/figures/benchmarks.png (benchmarks/plot.py; needs matplotlib).
Options: --small (a smoke test of the same runs, a few minutes), --skip-runs (only render
the saved JSON files).
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import compare  # noqa: E402  (benchmarks/ is not a package)
import report  # noqa: E402

RUNS = [
    ("main", ["--shapes", "dense_wide", "dense_square", "sparse_text", "--max-seconds", "120"]),
    ("onehot", ["--shapes", "sparse_onehot",
                "--solvers", "fastreg", "skglm", "glmnet", "adelie", "--max-seconds", "60",
                "--rounds", "3"]),
    ("large", ["--shapes", "sparse_large", "--solvers", "fastreg", "glmnet", "adelie",
               "--repeat-below", "0", "--rounds", "3"]),
]

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="smoke test: the shapes at 0.05 scale")
    parser.add_argument("--skip-runs", action="store_true", help="only render the saved runs")
    parser.add_argument("--report", default=str(ROOT / "docs" / "generated" / "benchmarks_report.md"))
    args = parser.parse_args(argv)

    paths = []
    for name, options in RUNS:
        path = HERE / f"results_{name}.json"
        paths.append(path)
        if args.skip_runs:
            continue
        command = [sys.executable, str(HERE / "compare.py"), *options,
                   "--penalties", "lasso", "enet", "--out", str(path)]
        if args.small:
            command.append("--small")
        print("$", " ".join(command), flush=True)
        subprocess.run(command, check=True, cwd=ROOT)

    results = compare.merge_results([json.loads(p.read_text()) for p in paths])
    (HERE / "results.json").write_text(json.dumps(results))
    # the page has its own title: the report starts at its first table
    text = report.markdown(results).split("\n", 1)[1].lstrip("\n")
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(text)
    print(f"wrote {HERE / 'results.json'} and {args.report}")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib is not installed: docs/figures/benchmarks.png not redrawn "
              "(pip install matplotlib; python benchmarks/plot.py)")
        return
    import plot
    print("wrote", plot.plot(results, ROOT / "docs" / "figures" / "benchmarks.png"))


if __name__ == "__main__":
    main()
