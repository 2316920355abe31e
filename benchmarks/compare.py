#!/usr/bin/env python
"""Compare fastreg's regularization paths with its peers, fairly (see shared BENCHMARKING.md).

    python benchmarks/compare.py [--shapes ...] [--penalties lasso enet] [--solvers ...]
                                 [--small] [--out results.json] [--markdown docs/benchmarks.md]

For every shape and penalty: one dataset (datasets.py, seeded), one 100-lambda grid
geometric from lambda_max to eps * lambda_max (eps = 1e-2 when n < p, else 1e-3), and
every solver run over a ladder of its own tolerance, loosest first. Each run's solutions
are judged by the same objective, computed here with the optimal intercept of each beta:

    P_k(beta) = 1/(2n) ||y - X beta - b(beta)||^2 + lam_k (a ||beta||_1 + (1-a)/2 ||beta||^2)

A run's precision is max_k (P_k - P*_k) / P(0), with P*_k the best objective any run
reached and P(0) the intercept-only objective. Reported per solver: the fastest run whose
precision is <= 1e-6, or "did not reach" with its best precision; the ratio fastreg time /
fastest peer time; and pass-equivalents, path time / time of one ``X.T @ v``.

A solver's ladder stops early once a run reaches the target against the provisional P*
and one tighter run has been made (it contributes to P*); when the final P* leaves no
qualifying run, the ladder resumes. ``--full-ladder`` runs every rung. A run longer than
``--max-seconds`` ends its solver's ladder (tighter rungs only take longer). Every solver
repeats a run shorter than ``--repeat-below`` seconds (default 2), up to 3 times, and keeps
its fastest: the same rule for all, inside R and adelie's subprocess too. ``--rounds R``
runs every rung R times, extension rungs included, with the solvers taking turns (the large
case: single runs there take seconds, and the host's speed drifts for minutes at a time).

The ladders above are BENCHMARKING.md's, the *prescribed* ones (tol 1e-4..1e-8; thresh
1e-7..1e-10 for glmnet and adelie). A solver whose loosest prescribed rung already reaches
the target is reported at that rung's time, only an upper bound on its time to the target,
which biases the ratio against whichever solver overshoots most there. So each solver first
runs its *extension* rungs (peers.py: tol 1e-2, 1e-3; thresh 1e-5, 1e-6), loosest first,
all of them; an error or a run over ``--max-seconds`` there ends the extension only, and the
prescribed ladder then starts at its own loosest rung as usual. The early stop and the
resume see only the prescribed runs, judged against the best of them, so the prescribed
ladders run exactly as they do without the extension; what is reported is judged against
the best any run reached. Two summaries per problem: ``summary``/``ratio`` over the
prescribed rungs (the headline) and ``summary_extended``/``ratio_extended`` over every rung;
each run record says its ``rung``, "extension" or "prescribed" (saved results without it
are all prescribed). ``--no-extension`` skips the extension: the method without it, exactly.

All solvers run single-threaded: BLAS and OpenMP are limited to one thread (set here
before numpy loads, and inherited by the R and adelie subprocesses) unless the
environment already says otherwise.
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
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import datasets  # noqa: E402
import peers  # noqa: E402
import report  # noqa: E402

PENALTIES = {"lasso": 1.0, "enet": 0.5}
TARGET = 1e-6
N_LAMBDAS = 100


# ---------------------------------------------------------------------------------------
# the problem and the judge

def lambda_max(X, y, l1_ratio):
    """max_j |x_j^T (y - ybar) - mean(x_j) sum(y - ybar)| / (n a); sparse X is not densified."""
    n = X.shape[0]
    yc = y - y.mean()
    # g_j = x_j^T yc - mean(x_j) * sum(yc): the correlation with the centered column
    g = np.asarray(X.T @ yc).ravel() - np.asarray(X.mean(axis=0)).ravel() * yc.sum()
    return float(np.max(np.abs(g)) / (n * l1_ratio))


def lambda_grid(X, y, l1_ratio, n_lambdas=N_LAMBDAS):
    """n_lambdas geometric from lambda_max to eps * lambda_max, eps = 1e-2 if n < p else 1e-3."""
    n, p = X.shape
    eps = 1e-2 if n < p else 1e-3
    lam_max = lambda_max(X, y, l1_ratio)
    return np.geomspace(lam_max, eps * lam_max, n_lambdas)


def objectives(X, y, coef, lambdas, l1_ratio):
    """P_k for each column beta_k of coef, each with its optimal intercept; inf where unsolved."""
    n = X.shape[0]
    out = np.full(lambdas.size, np.inf)
    solved = np.all(np.isfinite(coef), axis=0)
    if not solved.any():
        return out
    B = coef[:, solved]
    # R = y - X B - b, with b = mean(y - X B) the optimal intercept of each column
    R = y[:, None] - np.asarray(X @ B)
    R -= R.mean(axis=0)
    lam = lambdas[solved]
    penalty = l1_ratio * np.abs(B).sum(axis=0) + 0.5 * (1.0 - l1_ratio) * (B ** 2).sum(axis=0)
    out[solved] = (R ** 2).sum(axis=0) / (2.0 * n) + lam * penalty
    return out


def null_objective(y):
    """P(0): the intercept-only model, 1/(2n) ||y - ybar||^2."""
    return float(np.mean((y - y.mean()) ** 2) / 2.0)


def matvec_time(X, min_total=0.5, min_repeats=10):
    """Best time of one X.T @ v on the data as stored (the unit of pass-equivalents)."""
    v = np.random.default_rng(0).standard_normal(X.shape[0])
    XT = X.T
    XT @ v
    best, total, count = np.inf, 0.0, 0
    while count < min_repeats or total < min_total:
        t0 = time.perf_counter()
        XT @ v
        dt = time.perf_counter() - t0
        best, total, count = min(best, dt), total + dt, count + 1
    return best


def precisions(records, best, p0):
    """Each run's worst relative suboptimality max_k (P_k - P*_k) / P(0).

    A run that reports duality gaps (fastreg's, relative to P(0)) certifies
    P_k - P*_k <= gap_k P(0); ``certificate_excess`` is the largest breach (<= 0 when
    every certificate holds).
    """
    for rec in records:
        if rec.get("objective") is not None:
            subopt = (np.asarray(rec["objective"]) - best) / p0
            rec["precision"] = float(np.max(subopt))
            if "_dual_gap" in rec["info"]:
                rec["certificate_excess"] = float(np.max(subopt - np.asarray(rec["info"]["_dual_gap"])))


# ---------------------------------------------------------------------------------------
# running the ladders

def run_rung(solver, problem, tol, records, rung=report.PRESCRIBED):
    rec = dict(solver=solver.name, tol=tol, rung=rung, time=None, objective=None, error=None,
               info={})
    try:
        run = solver.solve(problem, tol)
        rec["time"], rec["info"] = run.time, run.info
        rec["objective"] = objectives(problem.X, problem.y, run.coef, problem.lambdas,
                                      problem.l1_ratio).tolist()
        rec["n_nonzero_last"] = int(np.count_nonzero(np.nan_to_num(run.coef[:, -1])))
    except Exception as exc:  # noqa: BLE001 - a failing peer is reported, not fatal
        rec["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    records.append(rec)
    status = rec["error"] or f"{rec['time']:.4g} s"
    print(f"    {run_label(solver, rec)}: {status}", flush=True)
    return rec


def run_label(solver, rec):
    part = " (extension)" if report.rung_of(rec) == report.EXTENSION else ""
    return f"{solver.name:8s} {solver.tol_name}={rec['tol']:.0e}{part}"


def ends_ladder(rec, max_seconds):
    """Why this run ends its part of the ladder (tighter rungs only fail again or take
    longer), or None."""
    if rec["error"] is not None:
        return "error"
    if rec["time"] > max_seconds:
        return f"run over {max_seconds:g} s"
    return None


def best_objective(records, n_lambdas):
    best = np.full(n_lambdas, np.inf)
    for rec in records:
        if rec.get("objective") is not None:
            best = np.minimum(best, np.asarray(rec["objective"]))
    return best


def rerun_rounds(solvers, problem, records, args):
    """Rounds 2..args.rounds: every run made again, the solvers taking turns rung by rung
    (fastreg's first rung, glmnet's first, adelie's first, then the second rungs, ...),
    and each run's fastest time kept. On a host whose speed drifts for minutes at a time,
    repeats made back to back put one solver's runs all in a slow stretch or all in a fast
    one; taking turns gives every solver the same stretches. Precision is that of the first
    round (the same deterministic path). A run over --max-seconds is not repeated; a
    repeat that fails is noted in the record and the earlier time kept."""
    by_name = {s.name: s for s in solvers}
    done = [r for r in records if r["error"] is None and r["time"] <= args.max_seconds]
    seen, order = {}, []
    for rec in done:
        order.append((seen.get(rec["solver"], 0), list(by_name).index(rec["solver"]), rec))
        seen[rec["solver"]] = seen.get(rec["solver"], 0) + 1
    order = [rec for _, _, rec in sorted(order, key=lambda item: item[:2])]
    for round_ in range(2, args.rounds + 1):
        for rec in order:
            solver = by_name[rec["solver"]]
            try:
                seconds = solver.solve(problem, rec["tol"]).time
            except Exception as exc:  # noqa: BLE001 - a failing repeat is noted, not fatal
                rec.setdefault("round_errors", []).append(f"{type(exc).__name__}: {exc}")
                print(f"    round {round_}: {rec['solver']:8s} failed: {exc}", flush=True)
                continue
            rec.setdefault("round_times", [rec["time"]]).append(seconds)
            rec["time"] = min(rec["round_times"])
            print(f"    round {round_}: {run_label(solver, rec)}: {seconds:.4g} s", flush=True)


def judge(runs, n_lambdas, p0):
    """Every run's precision against P*, the best of these runs; returns P*."""
    best = best_objective(runs, n_lambdas)
    precisions(runs, best, p0)
    return best


def run_extension(solver, problem, records, stopped, args):
    """The solver's extension rungs, loosest first, every one (they are the cheapest runs).
    An error or a run over --max-seconds ends the extension, not the prescribed ladder: that
    one starts at its own loosest rung as it would without the extension (and stops there in
    turn if that run is over the limit too)."""
    for tol in solver.extension:
        why = ends_ladder(run_rung(solver, problem, tol, records, report.EXTENSION),
                          args.max_seconds)
        if why:
            stopped[f"{solver.name} (extension)"] = why
            return


def run_ladders(solvers, problem, args):
    """Every solver's extension rungs (unless --no-extension), then its prescribed ladder,
    loosest first, with early stop and resume (see module doc)."""
    records, p0, n_lambdas = [], null_objective(problem.y), problem.lambdas.size
    state = {s.name: dict(next=0, done=False) for s in solvers}
    stopped = {}

    def qualifies(rec):
        return rec.get("precision", np.inf) <= args.target

    def advance(solver):
        st = state[solver.name]
        hits = 0
        while st["next"] < len(solver.ladder) and not st["done"]:
            rec = run_rung(solver, problem, solver.ladder[st["next"]], records)
            st["next"] += 1
            why = ends_ladder(rec, args.max_seconds)
            if why:
                st["done"] = True
                stopped[solver.name] = why
                break
            # the early stop and the resume judge the prescribed runs alone, against the best
            # of them: the prescribed ladders then run exactly as they did without the
            # extension (whose runs and hits count for neither)
            judge(report.prescribed(records), n_lambdas, p0)
            hits += qualifies(rec)
            if hits >= 2 and not args.full_ladder:
                break

    for solver in solvers:
        if args.extension:
            run_extension(solver, problem, records, stopped, args)
        advance(solver)
    for _ in range(max(len(s.ladder) for s in solvers)):
        judge(report.prescribed(records), n_lambdas, p0)
        pending = [s for s in solvers if not state[s.name]["done"]
                   and state[s.name]["next"] < len(s.ladder)
                   and not any(r["solver"] == s.name and qualifies(r)
                               for r in report.prescribed(records))]
        if not pending:
            break
        for solver in pending:
            print(f"    (resuming {solver.name}: no run at <= {args.target:g} against the final P*)")
            advance(solver)
    # what is reported is judged against the best any run reached, extension runs included
    # (an extension run below every prescribed one somewhere can only make them stricter)
    return records, judge(records, n_lambdas, p0), stopped


def summarize(records, solvers, target, pass_time, extended=False):
    """Per solver: the fastest run at <= target, else its best precision; over the prescribed
    rungs only (the headline), or with ``extended`` over every rung, extension included."""
    if not extended:
        records = report.prescribed(records)
    summary = {}
    for solver in solvers:
        runs = [r for r in records if r["solver"] == solver.name and r["error"] is None]
        ok = [r for r in runs if r["precision"] <= target]
        if ok:
            r = min(ok, key=lambda r: r["time"])
            summary[solver.name] = dict(reached=True, time=r["time"], tol=r["tol"],
                                        rung=report.rung_of(r), precision=r["precision"],
                                        pass_equivalents=r["time"] / pass_time)
        elif runs:
            r = min(runs, key=lambda r: r["precision"])
            summary[solver.name] = dict(reached=False, best_precision=r["precision"],
                                        tol=r["tol"], rung=report.rung_of(r), time=r["time"])
        else:
            errors = [r["error"] for r in records if r["solver"] == solver.name]
            summary[solver.name] = dict(reached=False, error=errors[0] if errors else "no run")
    fast = summary.get("fastreg", {})
    peer_times = [s["time"] for name, s in summary.items() if name != "fastreg" and s.get("reached")]
    ratio = fast["time"] / min(peer_times) if fast.get("reached") and peer_times else None
    return summary, ratio


# ---------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", nargs="+", default=list(datasets.SHAPES),
                        choices=list(datasets.SHAPES))
    parser.add_argument("--penalties", nargs="+", default=list(PENALTIES), choices=list(PENALTIES))
    parser.add_argument("--solvers", nargs="+", default=list(peers.SOLVERS),
                        choices=list(peers.SOLVERS))
    parser.add_argument("--small", action="store_true",
                        help=f"smoke test: n and p times {datasets.SMALL_SCALE} "
                             "(less for the large shape)")
    parser.add_argument("--scale", type=float, default=None, help="n and p multiplier")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", type=float, default=TARGET)
    parser.add_argument("--max-seconds", type=float, default=300.0,
                        help="a run longer than this ends its solver's ladder")
    parser.add_argument("--full-ladder", action="store_true", help="run every rung of every ladder")
    parser.add_argument("--no-extension", dest="extension", action="store_false",
                        help="skip the looser extension rungs: the prescribed ladders alone, "
                             "no extended ratio")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every rung this many times, the solvers taking turns; keep "
                             "each run's fastest (see rerun_rounds)")
    parser.add_argument("--repeat-below", type=float, default=peers.REPEAT_BELOW,
                        help="every solver repeats a run faster than this many seconds, up to "
                             f"{peers.MAX_REPEATS} times, and keeps the fastest")
    parser.add_argument("--adelie-python", default=None,
                        help="python with adelie (default: $FASTREG_ADELIE_PYTHON, this python "
                             "if it has adelie, else /work/peers-venv/bin/python)")
    parser.add_argument("--rscript", default="Rscript")
    parser.add_argument("--out", default=None, help="results JSON")
    parser.add_argument("--markdown", default=None, help="markdown report")
    parser.add_argument("--render", default=None, nargs="+", metavar="RESULTS_JSON",
                        help="only write the report of saved results JSON files (no runs); "
                             "several runs are reported together, each with its command")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1; got {args.rounds}")
    if args.scale is None:
        args.scale = "small" if args.small else 1.0
    return args


def make_solvers(args):
    solvers, skipped = [], {}
    for name in args.solvers:
        cls = peers.SOLVERS[name]
        if name == "glmnet":
            solver = cls(rscript=args.rscript)
        elif name == "adelie":
            solver = cls(python=args.adelie_python)
        else:
            solver = cls()
        ok, note = solver.available()
        if ok:
            solvers.append(solver)
        else:
            skipped[name] = note
            print(f"skipping {name}: {note}", flush=True)
    return solvers, skipped


def merge_results(runs):
    """One report of several saved runs: their problems in order, every command, and the
    solvers each run skipped (the machine is the first run's; the revisions are listed)."""
    if len(runs) == 1:
        return runs[0]
    merged = dict(runs[0], problems=[], skipped={})
    merged["command"] = "\n".join(r["command"] for r in runs)
    revisions = list(dict.fromkeys(r["machine"]["fastreg_revision"] for r in runs))
    merged["machine"] = dict(runs[0]["machine"], fastreg_revision=", ".join(revisions))
    for r in runs:
        merged["problems"] += r["problems"]
        shapes = ", ".join(dict.fromkeys(p["shape"] for p in r["problems"]))
        for name, note in r["skipped"].items():
            merged["skipped"][f"{name} on {shapes}"] = note
    return merged


def write_report(results, markdown_path):
    text = report.markdown(results)
    if markdown_path:
        Path(markdown_path).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown_path).write_text(text)
        print(f"wrote {markdown_path}")
    else:
        print(text)


def main(argv=None):
    args = parse_args(argv)
    if args.render:
        write_report(merge_results([json.loads(Path(path).read_text()) for path in args.render]),
                     args.markdown)
        return
    command = "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:])
    peers.REPEAT_BELOW = args.repeat_below
    solvers, skipped = make_solvers(args)
    if not any(s.name == "fastreg" for s in solvers):
        print("note: fastreg is not among the solvers; no ratio will be reported")

    rng = np.random.default_rng(0)
    tiny_dense = np.asfortranarray(rng.standard_normal((30, 8)))
    tiny_y = datasets.standardize_target(rng.standard_normal(30))
    for solver in solvers:
        solver.warm_up(tiny_dense, sp.csc_matrix(tiny_dense), tiny_y)

    results = dict(command=command, target=args.target, scale=args.scale, seed=args.seed,
                   machine=report.machine_info(solvers), skipped=skipped, problems=[])
    with tempfile.TemporaryDirectory(prefix="fastreg-bench-") as tmp:
        for shape in args.shapes:
            scale = datasets.SHAPES[shape].small_scale if args.scale == "small" else args.scale
            X, y, _ = datasets.make(shape, scale=scale, seed=args.seed)
            n, p = X.shape
            nnz = X.nnz if sp.issparse(X) else n * p
            pass_time = matvec_time(X)
            data_dir = None
            if any(s.name in ("glmnet", "adelie") for s in solvers):
                data_dir = peers.write_data(X, y, Path(tmp) / shape)
            print(f"{shape}: n={n} p={p} nnz={nnz} X.T@v={pass_time:.3g} s", flush=True)
            for penalty in args.penalties:
                l1_ratio = PENALTIES[penalty]
                problem = peers.Problem(shape=shape, penalty=penalty, X=X, y=y,
                                        l1_ratio=l1_ratio, lambdas=lambda_grid(X, y, l1_ratio),
                                        data_dir=data_dir)
                print(f"  {penalty} (l1_ratio={l1_ratio}), lambda_max={problem.lambdas[0]:.6g}",
                      flush=True)
                for solver in solvers:
                    solver.prepare(problem)
                records, best, stopped = run_ladders(solvers, problem, args)
                if args.rounds > 1:
                    rerun_rounds(solvers, problem, records, args)
                summary, ratio = summarize(records, solvers, args.target, pass_time)
                summary_ext, ratio_ext = (summarize(records, solvers, args.target, pass_time,
                                                    extended=True)
                                          if args.extension else (None, None))
                results["problems"].append(dict(
                    shape=shape, description=datasets.SHAPES[shape].description, penalty=penalty,
                    l1_ratio=l1_ratio, n_samples=n, n_features=p, nnz=nnz, scale=scale,
                    sparse=bool(sp.issparse(X)), lambda_max=float(problem.lambdas[0]),
                    lambda_min=float(problem.lambdas[-1]), null_objective=null_objective(y),
                    best_objective=best.tolist(), matvec_time=pass_time, runs=records,
                    summary=summary, ratio=ratio, summary_extended=summary_ext,
                    ratio_extended=ratio_ext, stopped=stopped))
                print(report.problem_line(results["problems"][-1]), flush=True)
                del problem
            del X, y

    if args.out:
        Path(args.out).write_text(json.dumps(results))
        print(f"wrote {args.out}")
    write_report(results, args.markdown)


if __name__ == "__main__":
    main()
