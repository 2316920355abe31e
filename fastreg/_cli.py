"""The ``fastreg`` command line.

- ``fastreg path [DATA] [options]`` fits a regularization path and prints one row per
  lambda, then a summary and the final coefficients.
- ``fastreg cv [DATA] [options]`` cross-validates the path and prints lambda_min and
  lambda_1se, the selected features and their coefficients (``--plot`` draws the figure).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import warnings
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp

from fastreg import ConvergenceWarning, __version__, cv_path, enet_path
from fastreg._datasets import SUPPORTED_EXTENSIONS, load_data, load_default

__all__ = ["main"]

_N_TOP = 10        # coefficients listed in the summary of `path`
_N_SELECTED = 30   # selected features listed by `cv`
# `cv` shows a progress bar by itself (on a terminal) from this many fold fits ...
_PROGRESS_FITS = 20
# ... or from this many stored values of X (n_samples x n_features; non-zeros if sparse)
_PROGRESS_SIZE = 1_000_000
_OPTIONS = {name: "--" + name.replace("_", "-")
            for name in ("l1_ratio", "n_lambdas", "lambda_min_ratio", "tol", "max_epochs",
                         "folds", "n_jobs")}


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (argparse prints them)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `fastreg path | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, TypeError, OSError, ImportError) as exc:
        print(f"fastreg: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("fastreg: interrupted", file=sys.stderr)
        return 130


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="fastreg",
        description="Fast, certified regularization paths for Lasso, Elastic Net and Ridge.",
    )
    parser.add_argument("--version", action="version", version=f"fastreg {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", required=True,
                                     metavar="COMMAND")
    epilog = (f"Data formats (by extension): {', '.join(SUPPORTED_EXTENSIONS)}. Without "
              "DATA the bundled diabetes data (442 x 10) is used.")
    path = commands.add_parser(
        "path", help="fit a regularization path and print it",
        description="Fit an elastic-net path by coordinate descent and print, for every "
                    "lambda, the number of non-zeros, the deviance explained and the "
                    "duality-gap certificate.",
        epilog=epilog,
    )
    _add_data_arguments(path)
    path.add_argument("--l1-ratio", type=float, default=1.0, metavar="A",
                      help="elastic-net mixing in [0, 1]: 1 is the lasso (default), 0 ridge")
    _add_path_arguments(path)
    path.set_defaults(run=_run_path)

    cv = commands.add_parser(
        "cv", help="cross-validate the path: lambda_min, lambda_1se, selected features",
        description="Cross-validate the elastic-net path: K folds, each one warm-started "
                    "path on the grid of the full-data fit. Prints lambda_min (smallest "
                    "CV error), lambda_1se (the largest lambda within one standard error "
                    "of it), the selected features and their coefficients at both.",
        epilog=epilog,
    )
    _add_data_arguments(cv)
    cv.add_argument("--folds", type=int, default=10, metavar="K",
                    help="number of cross-validation folds (default: 10)")
    cv.add_argument("--l1-ratio", type=float, nargs="+", default=[1.0], metavar="A",
                    help="elastic-net mixing in [0, 1], one or several values cross-"
                         "validated on the same folds (default: 1, the lasso)")
    _add_path_arguments(cv)
    cv.add_argument("--n-jobs", type=int, default=None, metavar="N",
                    help="fold fits run in parallel threads (default: 1; -1: all cores)")
    cv.add_argument("--seed", type=int, default=0, metavar="S",
                    help="seed of the random fold assignment (default: 0)")
    cv.add_argument("--plot", metavar="FILE.png",
                    help="write a figure (CV curve, coefficient path, training vs validation "
                         "error) to FILE; needs matplotlib")
    cv.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                    help=f"show a progress bar over the fold fits (default: on a terminal, "
                         f"when folds x l1_ratios >= {_PROGRESS_FITS} or X holds >= "
                         f"{_PROGRESS_SIZE:,} values)")
    cv.set_defaults(run=_run_cv)
    return parser


def _add_data_arguments(parser):
    parser.add_argument("data", nargs="?", metavar="DATA",
                        help="data file (default: the bundled diabetes data)")
    parser.add_argument("--target", metavar="NAME",
                        help="response column: a header name for text files, a 0-based "
                             "column index for .mtx/.npz matrices (default: the last column)")
    parser.add_argument("--target-file", metavar="F",
                        help="read the response from F (one number per line, or .npy); "
                             "every column of DATA is then a feature")


def _add_path_arguments(parser):
    parser.add_argument("--n-lambdas", type=int, default=100, metavar="K",
                        help="number of lambdas on the geometric grid (default: 100)")
    parser.add_argument("--lambda-min-ratio", type=float, default=None, metavar="R",
                        help="smallest lambda / lambda_max (default: 1e-4, or 1e-2 when "
                             "there are more features than samples)")
    parser.add_argument("--tol", type=float, default=1e-4, metavar="T",
                        help="target duality gap relative to the null objective "
                             "(default: 1e-4)")
    parser.add_argument("--max-epochs", type=int, default=10_000, metavar="N",
                        help="coordinate-descent epochs allowed per lambda (default: 10000)")
    parser.add_argument("--no-intercept", dest="fit_intercept", action="store_false",
                        help="fit without an intercept")
    parser.add_argument("--standardize", action="store_true",
                        help="scale each column to unit standard deviation before fitting "
                             "(coefficients are reported on the original scale)")


def _load(args):
    """(X, y, feature names, a description of the source) from DATA or the bundled data."""
    if args.data is None:
        if args.target is not None or args.target_file is not None:
            raise ValueError("--target and --target-file need a DATA file")
        X, y, names = load_default()
        return X, y, names, "bundled diabetes data (target 'progression')"
    X, y, names = load_data(args.data, target=args.target, target_file=args.target_file)
    return X, y, names, args.data


def _run_path(args) -> int:
    X, y, names, source = _load(args)
    storage = _describe_storage(X)

    scale = None
    if args.standardize:
        X, scale = _standardize(X)

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, _option_names():
        warnings.simplefilter("always", ConvergenceWarning)
        result = enet_path(X, y, l1_ratio=args.l1_ratio, n_lambdas=args.n_lambdas,
                           lambda_min_ratio=args.lambda_min_ratio, tol=args.tol,
                           max_epochs=args.max_epochs, fit_intercept=args.fit_intercept)
    fit_time = time.perf_counter() - start
    if scale is not None:
        result = _unscale_path(result, scale)

    print(_format_table(result))
    print()
    print(_format_summary(result, X.shape, source, storage, args, fit_time))
    print()
    print(_format_coefficients(result, names))
    sys.stdout.flush()
    _report_warnings(caught)
    return 0


def _run_cv(args) -> int:
    if args.seed < 0:
        raise ValueError(f"argument --seed: must be >= 0; got {args.seed}")
    if args.plot is not None:  # fail before the computation, not after it
        _check_plot_file(args.plot)
    X, y, names, source = _load(args)
    storage = _describe_storage(X)
    scale = None
    if args.standardize:
        X, scale = _standardize(X)
    progress = _show_progress(args.progress, args.folds * len(args.l1_ratio), X)

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, _option_names():
        warnings.simplefilter("always", ConvergenceWarning)
        cv = cv_path(X, y, l1_ratio=args.l1_ratio, folds=args.folds, n_lambdas=args.n_lambdas,
                     lambda_min_ratio=args.lambda_min_ratio, tol=args.tol,
                     max_epochs=args.max_epochs, fit_intercept=args.fit_intercept,
                     n_jobs=args.n_jobs, random_state=args.seed, progress=progress)
    run_time = time.perf_counter() - start
    if scale is not None:
        curves = [dataclasses.replace(c, path=_unscale_path(c.path, scale)) for c in cv.curves]
        cv = dataclasses.replace(cv, curves=curves)

    print(_format_cv_summary(cv, X.shape, source, storage, args, run_time))
    print()
    print(_format_cv_lambdas(cv))
    if len(cv.curves) > 1:
        print()
        print(_format_cv_ratios(cv))
    print()
    print(_format_selected(cv, names))
    sys.stdout.flush()
    if args.plot is not None:
        start = time.perf_counter()
        _write_cv_figure(cv, names, args.plot, original_scale=scale is not None)
        print(f"\nwrote {args.plot} ({_format_seconds(time.perf_counter() - start)})")
    _report_warnings(caught)
    return 0


def _unscale_path(result, scale):
    """The path's coefficients on the original scale: x_j / s_j * b_j = x_j * (b_j / s_j)."""
    coef = (result.coef / scale[:, None]).astype(result.coef.dtype)
    return dataclasses.replace(result, coef=coef)


def _report_warnings(caught):
    """Convergence warnings as one `fastreg: note:` line on stderr (the first, and how
    many more there were: cross-validation fits many paths); others re-issued."""
    notes = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    if notes:
        message = str(notes[0].message).removeprefix("fastreg: ")
        if len(notes) > 1:
            message += f" ({len(notes) - 1} more fitted path(s) also missed the tolerance)"
        print(f"fastreg: note: {message}", file=sys.stderr)
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _show_progress(choice, n_fits, X):
    """--progress/--no-progress, else a bar for a long run when stderr is a terminal."""
    if choice is not None:
        return choice
    size = X.nnz if sp.issparse(X) else X.shape[0] * X.shape[1]
    long_run = n_fits >= _PROGRESS_FITS or size >= _PROGRESS_SIZE
    return long_run and sys.stderr.isatty()


def _check_plot_file(filename):
    """--plot needs matplotlib, a format it writes and an existing directory."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError as exc:
        raise ImportError("argument --plot needs matplotlib: pip install matplotlib (or "
                          "'fastreg[plot]')") from exc
    from pathlib import Path
    formats = FigureCanvasBase.get_supported_filetypes()
    ext = Path(filename).suffix.lower().lstrip(".")
    if ext not in formats:
        raise ValueError(f"argument --plot: cannot write {filename!r}: give a file ending in "
                         f"one of {', '.join('.' + f for f in sorted(formats))}")
    folder = Path(filename).parent
    if not folder.is_dir():
        raise ValueError(f"argument --plot: directory {str(folder)!r} does not exist")


def _write_cv_figure(cv, names, filename, original_scale):
    """One figure: the CV curve, the coefficient path with lambda_min and lambda_1se
    marked, and training against validation error."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fastreg.plotting import (_mark_lambdas, plot_coef_path, plot_cv,
                                  plot_train_validation)
    fig, axes = plt.subplots(1, 3, figsize=(19, 5.6), layout="constrained")
    try:
        plot_cv(cv, ax=axes[0])
        plot_coef_path(cv.path, feature_names=names, ax=axes[1])
        axes[1].legend(handles=_mark_lambdas(axes[1], cv.best), loc="best",
                       fontsize="small", framealpha=0.9)
        if original_scale:
            axes[1].set_ylabel("coefficient (original scale)")
        plot_train_validation(cv, ax=axes[2])
        fig.savefig(filename, dpi=110)
    finally:
        plt.close(fig)


@contextmanager
def _option_names():
    """Errors from enet_path name its arguments (`l1_ratio must be <= 1.0; got 2.0`);
    name the command-line option instead, the way argparse does."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        name, _, rest = str(exc).partition(" ")
        if name not in _OPTIONS:
            raise
        raise type(exc)(f"argument {_OPTIONS[name]}: {rest}") from None


def _standardize(X):
    """X with every non-constant column divided by its population standard deviation.

    Returns ``(X_scaled, scale)``; constant columns get scale 1. Sparse X stays sparse:
    its columns are scaled by the product X @ diag(1 / scale).
    """
    n_samples = X.shape[0]
    if sp.issparse(X):
        X = sp.csc_matrix(X)
        counts = np.diff(X.indptr)
        column = np.repeat(np.arange(X.shape[1]), counts)
        data = X.data.astype(np.float64)
        mean = np.bincount(column, weights=data, minlength=X.shape[1]) / n_samples
        # two-pass variance: the stored values, then the implicit zeros (each deviates by -mean)
        squares = np.bincount(column, weights=(data - mean[column]) ** 2, minlength=X.shape[1])
        std = np.sqrt((squares + (n_samples - counts) * mean**2) / n_samples)
        max_abs = abs(X).max(axis=0).toarray().ravel()
    else:
        X = np.asarray(X)
        std = X.std(axis=0, dtype=np.float64)
        max_abs = np.abs(X).max(axis=0)
    # a constant column's computed std is rounding noise, not a scale
    constant = std <= 16 * np.finfo(X.dtype).eps * max_abs
    scale = np.where(constant, 1.0, std)
    if sp.issparse(X):
        X = (X @ sp.diags((1.0 / scale).astype(X.dtype))).tocsc()
    else:
        X = X / scale.astype(X.dtype)
    return X, scale


def _describe_storage(X):
    n_cells = X.shape[0] * X.shape[1]
    if sp.issparse(X):
        nnz = X.nnz
        kind = f"sparse {X.format.upper()}"
    else:
        nnz = int(np.count_nonzero(X))
        kind = "dense"
    density = 100.0 * nnz / n_cells if n_cells else 0.0
    return f"{kind} {X.dtype}, {nnz:,} non-zeros ({density:.3g}% of {n_cells:,})"


def _format_table(result):
    header = f"{'#':>4}  {'lambda':>10}  {'non-zeros':>9}  {'dev. explained':>14}  " \
             f"{'rel. gap':>9}  {'epochs':>6}"
    lines = [header, "-" * len(header)]
    for k, lam in enumerate(result.lambdas):
        mark = "" if result.converged[k] else "  *"
        lines.append(f"{k:>4}  {lam:>#10.4g}  {result.n_nonzero[k]:>9}  "
                     f"{100 * result.dev_ratio[k]:>12.2f} %  {result.dual_gap[k]:>9.2e}  "
                     f"{result.n_epochs[k]:>6}{mark}")
    if not result.converged.all():
        lines.append(f"* not converged: relative duality gap > tol = {result.tol:g}")
    return "\n".join(lines)


def _format_summary(result, shape, source, storage, args, fit_time):
    n_lambdas = result.lambdas.size
    rows = [
        ("data", f"{source}: {shape[0]:,} samples x {shape[1]:,} features"),
        ("storage", storage),
        ("l1_ratio", _model_text(result.l1_ratio)),
        ("intercept", "fitted" if args.fit_intercept else "none"),
        ("standardize", "yes (lambdas refer to the scaled columns)" if args.standardize
         else "no"),
        ("lambdas", f"{n_lambdas}, from {result.lambdas[0]:.4g} (lambda_max) to "
                    f"{result.lambdas[-1]:.4g}"),
        ("converged", f"{int(result.converged.sum())} of {n_lambdas} lambdas "
                      f"(relative duality gap <= tol = {result.tol:g})"),
        ("fit time", f"{_format_seconds(fit_time)} for the whole path"),
    ]
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in rows)


def _format_seconds(seconds):
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _format_coefficients(result, names):
    coef = result.coef[:, -1]
    nonzero = np.flatnonzero(coef)
    title = f"Coefficients at the smallest lambda ({result.lambdas[-1]:.4g})"
    if nonzero.size == 0:
        return f"{title}: all zero"
    top = nonzero[np.argsort(-np.abs(coef[nonzero]), kind="stable")][:_N_TOP]
    shown = "" if top.size == nonzero.size else f", top {top.size} by magnitude"
    lines = [f"{title}: {nonzero.size} non-zero of {coef.size}{shown}"]
    labels = [str(names[j]) for j in top]
    values = list(coef[top])
    if result.intercept[-1] != 0:
        labels.append("(intercept)")
        values.append(result.intercept[-1])
    width = max(len(label) for label in labels)
    texts = _align_decimals(values)
    lines += [f"  {label:<{width}}  {text}" for label, text in zip(labels, texts)]
    return "\n".join(lines)


def _align_decimals(values, digits=4):
    """Fixed-point strings with a common number of decimals (enough for `digits`
    significant digits of the smallest value), right-aligned; scientific notation when
    the values span too many orders of magnitude for that."""
    smallest = min(abs(x) for x in values if x != 0)
    decimals = max(0, digits - 1 - int(np.floor(np.log10(smallest))))
    texts = [f"{x:+.{decimals}f}" if decimals <= 8 else f"{x:+.{digits - 1}e}" for x in values]
    width = max(len(t) for t in texts)
    return [t.rjust(width) for t in texts]


def _model_text(l1_ratio):
    if l1_ratio == 1:
        return "1 (lasso)"
    if l1_ratio == 0:
        return "0 (ridge)"
    return f"{l1_ratio:g} (elastic net)"


def _format_cv_summary(cv, shape, source, storage, args, run_time):
    best = cv.best
    n_ratios = len(cv.curves)
    model = _model_text(best.l1_ratio)
    if n_ratios > 1:
        model += f", the best of {', '.join(f'{a:g}' for a in cv.l1_ratios)}"
    lambdas = best.lambdas
    converged = sum(int(c.path.converged.sum()) for c in cv.curves)
    total = sum(c.lambdas.size for c in cv.curves)
    rows = [
        ("data", f"{source}: {shape[0]:,} samples x {shape[1]:,} features"),
        ("storage", storage),
        ("folds", f"{cv.n_folds} (random, seed {args.seed})"),
        ("l1_ratio", model),
        ("intercept", "fitted" if args.fit_intercept else "none"),
        ("standardize", "yes (lambdas refer to the scaled columns)" if args.standardize
         else "no"),
        ("lambdas", f"{lambdas.size}, from {lambdas[0]:.4g} (lambda_max) to {lambdas[-1]:.4g}"),
        ("converged", f"{converged} of {total} lambdas of the full-data path"
                      f"{'s' if n_ratios > 1 else ''} (relative duality gap <= tol = "
                      f"{args.tol:g})"),
        ("run time", f"{_format_seconds(run_time)} for {cv.n_folds * n_ratios + n_ratios} "
                     f"paths ({cv.n_folds} folds + the full data"
                     f"{f', x {n_ratios} l1_ratios' if n_ratios > 1 else ''})"),
    ]
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in rows)


def _format_cv_lambdas(cv):
    """lambda_min and lambda_1se: the lambda, the CV error +- se, the non-zeros."""
    best = cv.best
    rows = []
    for name, k in (("lambda_min", best.index_min), ("lambda_1se", best.index_1se)):
        rows.append((name, f"{best.lambdas[k]:#.4g}",
                     f"{best.cv_mean[k]:#.5g} ± {best.cv_se[k]:.3g}",
                     str(best.path.n_nonzero[k])))
    header = ("", "lambda", "CV error (MSE) ± se", "non-zeros")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]
    lines = [f"{header[0]:<{widths[0]}}  {header[1]:>{widths[1]}}  {header[2]:>{widths[2]}}  "
             f"{header[3]:>{widths[3]}}"]
    lines += [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  "
              f"{r[3]:>{widths[3]}}" for r in rows]
    return "\n".join(lines)


def _format_cv_ratios(cv):
    """One row per cross-validated l1_ratio; the chosen one marked."""
    header = f"  {'l1_ratio':>8}  {'lambda_min':>10}  {'CV error (MSE) ± se':>19}  " \
             f"{'non-zeros':>9}"
    lines = [header]
    for i, c in enumerate(cv.curves):
        k = c.index_min
        mark = "*" if i == cv.best_index else " "
        error = f"{c.cv_mean[k]:#.5g} ± {c.cv_se[k]:.3g}"
        lines.append(f"{mark} {c.l1_ratio:>8g}  {c.lambdas[k]:>#10.4g}  {error:>19}  "
                     f"{c.path.n_nonzero[k]:>9}")
    lines.append("* chosen: the smallest CV error")
    return "\n".join(lines)


def _format_selected(cv, names):
    """The features non-zero at lambda_1se or lambda_min, with their coefficients at
    both: those of lambda_1se first, each group by decreasing magnitude."""
    best = cv.best
    coef_1se = best.path.coef[:, best.index_1se]
    coef_min = best.path.coef[:, best.index_min]
    n_1se, n_min = np.count_nonzero(coef_1se), np.count_nonzero(coef_min)
    title = (f"Selected features: {n_1se} at lambda_1se, {n_min} at lambda_min "
             f"(of {coef_1se.size})")
    chosen = np.flatnonzero((coef_1se != 0) | (coef_min != 0))
    if chosen.size == 0:
        return f"{title}: all coefficients are zero"
    # lexsort: the last key sorts first (non-zero at lambda_1se before zero)
    order = np.lexsort((-np.abs(coef_min[chosen]), -np.abs(coef_1se[chosen]),
                        coef_1se[chosen] == 0))
    top = chosen[order][:_N_SELECTED]
    if top.size < chosen.size:
        title += f"; the first {top.size} of {chosen.size} shown"
    labels = [str(names[j]) for j in top]
    intercepts = best.path.intercept[[best.index_1se, best.index_min]]
    if np.any(intercepts != 0):
        labels.append("(intercept)")
    columns = []
    for coef, k in ((coef_1se, best.index_1se), (coef_min, best.index_min)):
        values = list(coef[top]) + ([best.path.intercept[k]] if len(labels) > top.size else [])
        columns.append(_align_with_zeros(values))
    width = max(len(label) for label in labels + ["feature"])
    w1, w2 = max(len(columns[0][0]), 10), max(len(columns[1][0]), 10)
    lines = [title, f"  {'feature':<{width}}  {'lambda_1se':>{w1}}  {'lambda_min':>{w2}}"]
    lines += [f"  {label:<{width}}  {a:>{w1}}  {b:>{w2}}".rstrip()
              for label, a, b in zip(labels, *columns)]
    return "\n".join(lines)


def _align_with_zeros(values):
    """`_align_decimals`, with exact zeros shown as a bare 0 under the units digit."""
    nonzero = [x for x in values if x != 0]
    if not nonzero:
        return ["0"] * len(values)
    aligned = iter(_align_decimals(nonzero))
    texts = [next(aligned) if x != 0 else None for x in values]
    sample = next(t for t in texts if t is not None)
    point = sample.find(".")
    if point > 0 and "e" not in sample:  # fixed point: the 0 under the units digit
        zero = "0".rjust(point).ljust(len(sample))
    else:
        zero = "0".rjust(len(sample))
    return [zero if t is None else t for t in texts]
