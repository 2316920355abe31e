"""The ``fastreg`` command line: ``fastreg path [DATA] [options]`` fits a regularization
path and prints one row per lambda, then a summary and the final coefficients."""
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

from fastreg import ConvergenceWarning, __version__, enet_path
from fastreg._datasets import SUPPORTED_EXTENSIONS, load_data, load_default

__all__ = ["main"]

_N_TOP = 10  # coefficients listed in the summary
_OPTIONS = {name: "--" + name.replace("_", "-")
            for name in ("l1_ratio", "n_lambdas", "lambda_min_ratio", "tol", "max_epochs")}


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
    except (ValueError, TypeError, OSError) as exc:
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
    path = commands.add_parser(
        "path", help="fit a regularization path and print it",
        description="Fit an elastic-net path by coordinate descent and print, for every "
                    "lambda, the number of non-zeros, the deviance explained and the "
                    "duality-gap certificate.",
        epilog=f"Data formats (by extension): {', '.join(SUPPORTED_EXTENSIONS)}. Without "
               "DATA the bundled diabetes data (442 x 10) is used.",
    )
    path.add_argument("data", nargs="?", metavar="DATA",
                      help="data file (default: the bundled diabetes data)")
    path.add_argument("--target", metavar="NAME",
                      help="response column: a header name for text files, a 0-based column "
                           "index for .mtx/.npz matrices (default: the last column)")
    path.add_argument("--target-file", metavar="F",
                      help="read the response from F (one number per line, or .npy); every "
                           "column of DATA is then a feature")
    path.add_argument("--l1-ratio", type=float, default=1.0, metavar="A",
                      help="elastic-net mixing in [0, 1]: 1 is the lasso (default), 0 ridge")
    path.add_argument("--n-lambdas", type=int, default=100, metavar="K",
                      help="number of lambdas on the geometric grid (default: 100)")
    path.add_argument("--lambda-min-ratio", type=float, default=None, metavar="R",
                      help="smallest lambda / lambda_max (default: 1e-4, or 1e-2 when there "
                           "are more features than samples)")
    path.add_argument("--tol", type=float, default=1e-4, metavar="T",
                      help="target duality gap relative to the null objective (default: 1e-4)")
    path.add_argument("--max-epochs", type=int, default=10_000, metavar="N",
                      help="coordinate-descent epochs allowed per lambda (default: 10000)")
    path.add_argument("--no-intercept", dest="fit_intercept", action="store_false",
                      help="fit without an intercept")
    path.add_argument("--standardize", action="store_true",
                      help="scale each column to unit standard deviation before fitting "
                           "(coefficients are reported on the original scale)")
    path.set_defaults(run=_run_path)
    return parser


def _run_path(args) -> int:
    if args.data is None:
        if args.target is not None or args.target_file is not None:
            raise ValueError("--target and --target-file need a DATA file")
        X, y, names = load_default()
        source = "bundled diabetes data (target 'progression')"
    else:
        X, y, names = load_data(args.data, target=args.target, target_file=args.target_file)
        source = args.data
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
    if scale is not None:  # back to the original scale: x_j / s_j * b_j = x_j * (b_j / s_j)
        coef = (result.coef / scale[:, None]).astype(result.coef.dtype)
        result = dataclasses.replace(result, coef=coef)

    print(_format_table(result))
    print()
    print(_format_summary(result, X.shape, source, storage, args, fit_time))
    print()
    print(_format_coefficients(result, names))
    sys.stdout.flush()
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            message = str(w.message).removeprefix("fastreg: ")
            print(f"fastreg: note: {message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return 0


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
    if result.l1_ratio == 1:
        model = "1 (lasso)"
    elif result.l1_ratio == 0:
        model = "0 (ridge)"
    else:
        model = f"{result.l1_ratio:g} (elastic net)"
    rows = [
        ("data", f"{source}: {shape[0]:,} samples x {shape[1]:,} features"),
        ("storage", storage),
        ("l1_ratio", model),
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
