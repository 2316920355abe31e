#!/usr/bin/env python
"""Ridge paths and their cross-validation curves: fastreg against scikit-learn and glmnet.

    python benchmarks/ridge_compare.py [--shapes dense_square dense_wide sparse_text]
                                       [--scale 1.0] [--out results.json] [--markdown out.md]

For each shape (seeded, `datasets.py`; y standardized as BENCHMARKING.md asks) one grid of
100 lambdas, fastreg's default ridge grid (df from 0.01 to ~min(n, p)), solved by

- fastreg ``ridge_path(solver="eigen")``: the path, its exact leave-one-out and GCV
  curves, in one call; ``ridge_path(solver="lsqr")``: the path alone, tolerance ladder;
  ``enet_path(l1_ratio=0)`` (coordinate descent), ladder, for reference;
- scikit-learn: ``Ridge(alpha=lam * n)`` refitted for every lambda (dense: its exact
  Cholesky solver; sparse: its default sparse_cg, tolerance ladder), and for the
  leave-one-out curve ``RidgeCV(alphas=grid * n, store_cv_results=True)`` (its gcv_mode
  "auto": an eigendecomposition of X X^T when n <= p, an SVD of X otherwise), against
  ``fastreg.sklearn.RidgeCV`` with the same arguments (the like-for-like comparison: the
  curve and the coefficients at the selected alpha) and against ``ridge_path`` (the
  curve and the whole path);
- the floor of an exact leave-one-out by one decomposition, for anyone: centring X, one
  BLAS syrk for the smaller Gram matrix and its divide-and-conquer eigendecomposition;
- glmnet ``alpha=0`` (R, through Rscript, thresh ladder), when ``library(glmnet)`` loads.

Judge (ours, the same for everyone): P_k(beta) = 1/(2n) ||y - X beta - b||^2 + lam_k/2 ||beta||^2
with the optimal intercept b; precision = max_k (P_k - P*_k) / P(0) with P* the best any run
reached; reported per solver: its fastest run at precision <= 1e-6. Leave-one-out curves are
compared as the largest relative difference between fastreg's ``loo_mse`` and RidgeCV's
``cv_results_.mean(0)``. Sparse X at this size has no affordable exact leave-one-out for
anyone (a 20,000^2 kernel eigendecomposition): there the curve is 5-fold CV instead,
fastreg (one lsqr path per fold) against scikit-learn's GridSearchCV over Ridge (what
``RidgeCV(cv=5)`` runs), on the same folds, compared by their held-out MSE curves.

Single-threaded (BLAS limited to one thread before numpy loads); a run under 4 s
(glmnet: under 4 s by its own system.time) is repeated up to 3 times and its minimum kept; ratios are fastreg time / peer time measured
in the same process run. Pass-equivalents: time / one ``X.T @ v``.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402
import scipy.sparse as sp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import datasets  # noqa: E402
import peers  # noqa: E402

import fastreg  # noqa: E402
import fastreg.sklearn  # noqa: E402
from fastreg._ridge import ridge_path  # noqa: E402

TARGET = 1e-6
REPEAT_BELOW = 4.0      # seconds: a run faster than this is repeated (3 runs at most), min kept
SHAPES = {
    "dense_square": dict(kind="dense", n=2000, p=2000),
    "dense_wide": dict(kind="dense", n=200, p=20000),
    "sparse_text": dict(kind="tfidf", n=20000, p=50000),
}
LADDER = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8)
GLMNET_LADDER = (1e-7, 1e-8, 1e-9, 1e-10, 1e-11)


def make_data(shape, scale, seed):
    spec = SHAPES[shape]
    n, p = max(int(spec["n"] * scale), 20), max(int(spec["p"] * scale), 10)
    if spec["kind"] == "dense":
        X, y, _ = datasets.make_dense_correlated(n, p, rho=0.5, n_informative=20, seed=seed)
    else:
        X, y, _ = datasets.make_tfidf(n, p, terms_per_row=25, zipf_exponent=1.1,
                                      n_informative=100, seed=seed)
    return X, y


def objectives(X, y, coef, lambdas):
    """P_k for each column of coef with its optimal intercept; inf where unsolved."""
    out = np.full(lambdas.size, np.inf)
    ok = np.all(np.isfinite(coef), axis=0)
    B = coef[:, ok]
    R = y[:, None] - np.asarray(X @ B)
    R -= R.mean(axis=0)
    out[ok] = (R ** 2).sum(axis=0) / (2 * X.shape[0]) + 0.5 * lambdas[ok] * (B ** 2).sum(axis=0)
    return out


def timed(fn):
    """(min time, result) of fn() over up to 3 runs, repeated while under REPEAT_BELOW."""
    return peers.timed(fn, repeat_below=REPEAT_BELOW)


def decomposition_floor(X):
    """What any exact leave-one-out by one decomposition pays at least: centre X, form the
    smaller Gram matrix (BLAS syrk) and eigendecompose it (divide and conquer)."""
    Xc = X - X.mean(axis=0)
    wide = X.shape[0] <= X.shape[1]
    gram = scipy.linalg.blas.dsyrk(1.0, np.asfortranarray(Xc), trans=0 if wide else 1)
    return scipy.linalg.eigh(gram, lower=False, driver="evd", check_finite=False)


def matvec_time(X):
    v = np.random.default_rng(0).standard_normal(X.shape[0])
    XT = X.T
    best = np.inf
    for _ in range(20):
        t0 = time.perf_counter()
        XT @ v
        best = min(best, time.perf_counter() - t0)
    return best


class Bench:
    """Runs, their objectives, and the judge."""

    def __init__(self, X, y, lambdas, max_seconds):
        self.X, self.y, self.lambdas, self.max_seconds = X, y, lambdas, max_seconds
        self.p0 = 0.5 * float(np.mean((y - y.mean()) ** 2))
        self.runs = []

    def add(self, task, solver, setting, seconds, coef=None, **info):
        run = dict(task=task, solver=solver, setting=setting, time=seconds, info=info)
        if coef is not None:
            run["objective"] = objectives(self.X, self.y, np.asarray(coef, dtype=np.float64),
                                          self.lambdas)
        self.runs.append(run)
        print(f"    {task:10s} {solver:24s} {setting:14s} {seconds:9.3f} s", flush=True)
        return run

    def best(self):
        return np.min([r["objective"] for r in self.runs if "objective" in r], axis=0)

    def precision(self, run):
        return float(np.max((run["objective"] - self.best()) / self.p0))

    def ladder(self, task, solver, settings, solve):
        """Loosest first; stop at the first run within TARGET (P* is a near-exact reference
        run's) or when a run exceeds max_seconds."""
        for setting in settings:
            seconds, coef, info = solve(setting)
            run = self.add(task, solver, setting, seconds, coef, **info)
            if self.precision(run) <= TARGET or seconds > self.max_seconds:
                break


def fastreg_runs(bench, X, y, grid, sparse):
    if not sparse:
        def eigen():
            return ridge_path(X, y, lambdas=grid, solver="eigen")
        seconds, res = timed(eigen)
        bench.add("path+LOO", "fastreg ridge_path eigen", "direct", seconds, res.coef,
                  loo_mse=res.loo_mse.tolist(), max_gap=float(res.dual_gap.max()))

        def ridgecv():
            return fastreg.sklearn.RidgeCV(alphas=grid * X.shape[0], store_cv_results=True).fit(X, y)
        seconds, model = timed(ridgecv)
        bench.add("LOO", "fastreg RidgeCV", "cv=None", seconds,
                  loo_mse=model.cv_results_.mean(axis=0).tolist())
        seconds, _ = timed(lambda: decomposition_floor(X))
        bench.add("floor", "centre + Gram + eigh", "syevd", seconds)

    def lsqr(tol):
        seconds, res = timed(lambda: ridge_path(X, y, lambdas=grid, solver="lsqr", tol=tol,
                                                      check_convergence=False))
        return seconds, res.coef, dict(iterations=int(res.n_epochs.max()),
                                       max_gap=float(res.dual_gap.max()))
    bench.ladder("path", "fastreg ridge_path lsqr", [f"tol={t:g}" for t in LADDER],
                 lambda s: lsqr(float(s[4:])))

    def cd(tol):
        seconds, res = timed(lambda: fastreg.enet_path(
            X, y, l1_ratio=0.0, lambdas=grid, tol=tol, max_epochs=100_000,
            check_convergence=False))
        return seconds, res.coef, dict(epochs=int(res.n_epochs.sum()))
    bench.ladder("path", "fastreg enet_path CD", [f"tol={t:g}" for t in LADDER],
                 lambda s: cd(float(s[4:])))


def sklearn_runs(bench, X, y, grid, sparse, skip_loop):
    from sklearn.linear_model import Ridge, RidgeCV
    n = X.shape[0]

    def loop(tol):
        def fit():
            coef = np.empty((X.shape[1], grid.size))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for k, lam in enumerate(grid):
                    coef[:, k] = Ridge(alpha=lam * n, tol=tol, max_iter=100_000).fit(X, y).coef_
            return coef
        seconds, coef = timed(fit)
        return seconds, coef, {}
    if skip_loop:
        print("    (scikit-learn Ridge loop skipped: --skip-sklearn-loop)")
    elif sparse:
        bench.ladder("path", "sklearn Ridge per lambda", [f"tol={t:g}" for t in LADDER],
                     lambda s: loop(float(s[4:])))
    else:
        bench.ladder("path", "sklearn Ridge per lambda", ["cholesky"], lambda s: loop(1e-4))
    if not sparse:
        def loo():
            return RidgeCV(alphas=grid * n, store_cv_results=True).fit(X, y)
        seconds, model = timed(loo)
        bench.add("LOO", "sklearn RidgeCV", "cv=None", seconds,
                  loo_mse=model.cv_results_.mean(axis=0).tolist(),
                  gcv_mode="eigen (X X^T)" if n <= X.shape[1] else "svd (X^T X)")


def glmnet_runs(bench, X, y, grid, data_dir):
    solver = peers.GlmnetSolver()
    ok, note = solver.available()
    if not ok:
        print(f"    glmnet skipped: {note}")
        bench.runs.append(dict(task="path", solver="glmnet", skipped=note))
        return
    problem = peers.Problem("ridge", "ridge", X, y, 0.0, grid, data_dir=data_dir)

    def solve(setting):
        # glmnet's own system.time; repeated like the others, min kept
        runs = [solver.solve(problem, float(setting[7:]))]
        while runs[-1].time < REPEAT_BELOW and len(runs) < peers.MAX_REPEATS:
            runs.append(solver.solve(problem, float(setting[7:])))
        run = min(runs, key=lambda r: r.time)
        return run.time, run.coef, dict(run.info)
    bench.ladder("path", "glmnet alpha=0", [f"thresh={t:g}" for t in GLMNET_LADDER], solve)


def kfold_runs(bench, X, y, grid, n_folds=5, seed=0):
    """5-fold CV curves (held-out MSE per alpha = lam * n): fastreg lsqr paths vs GridSearchCV."""
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, KFold
    folds = list(KFold(n_folds, shuffle=True, random_state=seed).split(X))
    alphas = grid * X.shape[0]

    def ours():
        mse = np.zeros(grid.size)
        for train, test in folds:
            res = ridge_path(X[train], y[train], lambdas=alphas / len(train), solver="lsqr",
                             tol=1e-6, check_convergence=False)
            mse += np.mean((y[test, None] - res.predict(X[test])) ** 2, axis=0) / n_folds
        return mse
    seconds, mse = timed(ours)
    bench.add("5-fold CV", "fastreg lsqr per fold", "tol=1e-6", seconds, cv_mse=mse.tolist())

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search = GridSearchCV(Ridge(tol=1e-6), {"alpha": alphas}, cv=folds,
                                  scoring="neg_mean_squared_error").fit(X, y)
        return -search.cv_results_["mean_test_score"]
    seconds, mse_sk = timed(theirs)
    bench.add("5-fold CV", "sklearn GridSearchCV Ridge", "tol=1e-6", seconds, cv_mse=mse_sk.tolist())


def summarize(bench, pass_time):
    """Markdown rows: per task and solver, the fastest run within TARGET (or its best)."""
    rows, fastest = [], {}
    by_key = {}
    for run in bench.runs:
        if "skipped" in run:
            rows.append((run["task"], run["solver"], "-", "skipped", "-", "-", run["skipped"]))
            continue
        by_key.setdefault((run["task"], run["solver"]), []).append(run)
    for (task, solver), runs in by_key.items():
        if task == "reference":
            continue
        judged = [r for r in runs if "objective" in r]
        if judged:
            for r in judged:
                r["precision"] = bench.precision(r)
            ok = [r for r in judged if r["precision"] <= TARGET]
            pick = min(ok, key=lambda r: r["time"]) if ok else min(judged, key=lambda r: r["precision"])
            reached = bool(ok)
        else:
            pick, reached = min(runs, key=lambda r: r["time"]), True
        pick["selected"] = reached
        prec = f"{pick['precision']:.1e}" if "precision" in pick else "-"
        note = "" if reached else "did not reach 1e-6"
        rows.append([task, solver, pick["setting"], pick["time"], prec,
                     pick["time"] / pass_time, note])
        fastest[(task, solver)] = pick["time"] if reached else None
    return rows, fastest


def curve_agreement(bench, ours, theirs, key):
    """Largest relative difference between two solvers' CV curves (None if one is absent)."""
    a = [r for r in bench.runs if r["solver"] == ours]
    b = [r for r in bench.runs if r["solver"] == theirs]
    if not a or not b:
        return None
    a, b = np.array(a[0]["info"][key]), np.array(b[0]["info"][key])
    return float(np.max(np.abs(a / b - 1)))


def speedups(fastest, sparse):
    """fastreg's time against the fastest peer, per task."""
    def t(task, solver):
        return fastest.get((task, solver))
    peer_path = [x for x in (t("path", "sklearn Ridge per lambda"), t("path", "glmnet alpha=0"))
                 if x is not None]
    out = {}
    if sparse:
        ours = t("path", "fastreg ridge_path lsqr")
        if ours and peer_path:
            out["path: fastreg lsqr vs fastest peer"] = min(peer_path) / ours
        cv_ours = t("5-fold CV", "fastreg lsqr per fold")
        cv_sk = t("5-fold CV", "sklearn GridSearchCV Ridge")
        if cv_ours and cv_sk:
            out["5-fold CV curve: fastreg vs GridSearchCV"] = cv_sk / cv_ours
        return out
    eigen, lsqr = t("path+LOO", "fastreg ridge_path eigen"), t("path", "fastreg ridge_path lsqr")
    loo_sk, loo_ours = t("LOO", "sklearn RidgeCV"), t("LOO", "fastreg RidgeCV")
    floor = t("floor", "centre + Gram + eigh")
    if loo_sk and loo_ours:
        out["LOO curve + selected coef: fastreg RidgeCV vs sklearn RidgeCV"] = loo_sk / loo_ours
    if loo_sk and floor:
        out["ceiling for any exact one-decomposition LOO: sklearn RidgeCV / floor"] = loo_sk / floor
    if peer_path:
        if lsqr:
            out["path: fastreg lsqr vs fastest peer"] = min(peer_path) / lsqr
        if eigen:
            out["path: fastreg eigen (with LOO) vs fastest peer"] = min(peer_path) / eigen
    if eigen and loo_sk:
        out["LOO curve with the whole path: fastreg ridge_path eigen vs RidgeCV"] = loo_sk / eigen
        if peer_path:
            out["path + LOO: fastreg eigen vs fastest peer path + RidgeCV"] = (
                (min(peer_path) + loo_sk) / eigen)
    return out


def markdown(results):
    lines = [f"Command: `{results['command']}`", ""]
    for prob in results["problems"]:
        lines += [f"### {prob['shape']}: n={prob['n']}, p={prob['p']}, nnz={prob['nnz']}, "
                  f"one X.T@v = {prob['pass_time'] * 1e3:.3g} ms", "",
                  "| task | solver | setting | time (s) | precision | pass-equiv. | note |",
                  "|---|---|---|---:|---:|---:|---|"]
        for task, solver, setting, seconds, prec, passes, note in prob["rows"]:
            sec = f"{seconds:.3f}" if isinstance(seconds, float) else seconds
            pe = f"{passes:.0f}" if isinstance(passes, float) else passes
            lines.append(f"| {task} | {solver} | {setting} | {sec} | {prec} | {pe} | {note} |")
        lines.append("")
        for name, ratio in prob["speedups"].items():
            lines.append(f"- {name}: **{ratio:.1f}x**")
        if prob.get("loo_rel_diff") is not None:
            lines.append(f"- LOO curves, fastreg vs RidgeCV: max relative difference "
                         f"{prob['loo_rel_diff']:.1e}")
        if prob.get("cv_rel_diff") is not None:
            lines.append(f"- 5-fold CV curves, fastreg vs GridSearchCV: max relative difference "
                         f"{prob['cv_rel_diff']:.1e}")
        if prob.get("df") is not None:
            lines.append(f"- grid: lambda {prob['lambda_max']:.3g} .. {prob['lambda_min']:.3g}, "
                         f"df {prob['df'][0]:.3g} .. {prob['df'][1]:.4g}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--scale", type=float, default=1.0, help="n and p multiplier")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=120.0,
                        help="a run longer than this ends its solver's ladder")
    parser.add_argument("--skip-sklearn-loop", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args(argv)
    command = "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:])
    results = dict(command=command, problems=[])
    with tempfile.TemporaryDirectory(prefix="fastreg-ridge-") as tmp:
        for shape in args.shapes:
            X, y = make_data(shape, args.scale, args.seed)
            sparse = sp.issparse(X)
            n, p = X.shape
            pass_time = matvec_time(X)
            print(f"{shape}: n={n} p={p} X.T@v={pass_time:.3g} s", flush=True)
            # the grid, and a near-exact reference for P* (untimed)
            reference = ridge_path(X, y, solver="lsqr" if sparse else "eigen", tol=1e-12,
                                   check_convergence=False)
            grid = reference.lambdas
            bench = Bench(X, y, grid, args.max_seconds)
            bench.add("reference", "fastreg (untimed)", "tol=1e-12", 0.0, reference.coef)
            fastreg_runs(bench, X, y, grid, sparse)
            sklearn_runs(bench, X, y, grid, sparse, args.skip_sklearn_loop)
            glmnet_runs(bench, X, y, grid, peers.write_data(X, y, Path(tmp) / shape))
            if sparse:
                kfold_runs(bench, X, y, grid)
            rows, fastest = summarize(bench, pass_time)
            prob = dict(shape=shape, n=n, p=p, nnz=int(X.nnz if sparse else n * p),
                        pass_time=pass_time, lambda_max=float(grid[0]), lambda_min=float(grid[-1]),
                        df=None if reference.df is None else [float(reference.df[0]),
                                                              float(reference.df[-1])],
                        rows=rows, speedups=speedups(fastest, sparse),
                        loo_rel_diff=curve_agreement(bench, "fastreg ridge_path eigen",
                                                     "sklearn RidgeCV", "loo_mse"),
                        cv_rel_diff=curve_agreement(bench, "fastreg lsqr per fold",
                                                    "sklearn GridSearchCV Ridge", "cv_mse"),
                        runs=[{k: (v.tolist() if isinstance(v, np.ndarray) else v)
                               for k, v in r.items()} for r in bench.runs])
            results["problems"].append(prob)
            print(markdown(dict(command=command, problems=[prob])), flush=True)
    text = markdown(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1, default=float))
    if args.markdown:
        Path(args.markdown).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
