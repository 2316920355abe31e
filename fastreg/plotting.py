"""Figures for paths and cross-validation (needs matplotlib: ``pip install 'fastreg[plot]'``).

Every function draws on the given ``ax`` (or ``axes``), or on a new figure, and returns
what it drew on. Plots against lambda use log(lambda) with lambda decreasing to the right,
as glmnet does: the model grows from left to right.

- `plot_coef_path`: the coefficient paths, labelled at the weakest penalty, with the
  number of non-zeros on a top axis.
- `plot_cv`: the cross-validation curve with its standard errors, lambda_min and
  lambda_1se.
- `plot_train_validation`: training against validation error along the path, with the
  overfitting region (lambda < lambda_min) shaded.
- `plot_weight_histograms`: histograms of coefficient vectors, exact zeros counted apart
  (the lasso's exact zeros against ridge's shrinkage).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fastreg._cv import CVCurve, CVResult
from fastreg._path import PathResult

__all__ = ["plot_coef_path", "plot_cv", "plot_train_validation", "plot_weight_histograms"]

_LOG_LAMBDA = r"$\log(\lambda)$"
_X_CHOICES = ("log_lambda", "l1_norm")
_TITLE_PAD = 10  # points between the title and the top (non-zeros) axis
# colours: the CV points (glmnet's red), lambda_min, lambda_1se, exact zeros
_CV_COLOR, _MIN_COLOR, _1SE_COLOR, _ZERO_COLOR = "tab:red", "0.15", "0.5", "0.1"


def plot_coef_path(path, *, x="log_lambda", feature_names=None, n_labels=5, ax=None):
    """Coefficient paths: one line per feature that is non-zero somewhere on the path.

    Parameters
    ----------
    path : PathResult
        From `fastreg.enet_path` (for a CV result pass ``cv.path``).
    x : 'log_lambda' or 'l1_norm'
        The horizontal axis: log(lambda), lambda decreasing to the right, or the L1 norm
        of the coefficient vector.
    feature_names : sequence of n_features names, optional (default ``x0, x1, ...``).
    n_labels : int
        Label the ``n_labels`` features with the largest |coef| at the smallest lambda,
        at the right end of their lines.
    ax : matplotlib Axes, optional (default: a new figure).

    Returns
    -------
    The Axes. ``ax.lines`` holds exactly the feature lines, in feature order, each
    labelled with its feature name; a secondary top axis shows the number of non-zeros.
    """
    plt = _pyplot()
    if isinstance(path, (CVResult, CVCurve)):
        raise TypeError(f"path must be a PathResult; got a {type(path).__name__}: pass "
                        "cv.path, the full-data path of a cross-validation")
    if not isinstance(path, PathResult):
        raise TypeError(f"path must be a PathResult (from fastreg.enet_path); got "
                        f"{type(path).__name__}")
    if x not in _X_CHOICES:
        raise ValueError(f"x must be 'log_lambda' or 'l1_norm'; got {x!r}")
    names = _feature_names(feature_names, path.n_features)
    n_labels = _check_count(n_labels, "n_labels")
    ax = _axes(ax, plt, figsize=(7.5, 4.8))

    coef = np.asarray(path.coef, dtype=np.float64)
    if x == "log_lambda":
        xs = _log_lambdas(path.lambdas, "path.lambdas")
        ax.set_xlabel(_LOG_LAMBDA + r"   ($\lambda$ decreasing $\rightarrow$)")
    else:
        xs = np.abs(coef).sum(axis=0)
        ax.set_xlabel(r"L1 norm $\|\beta\|_1$")
    shown = np.flatnonzero(np.any(coef != 0, axis=1))
    last = coef[:, -1]
    labelled = shown[np.argsort(-np.abs(last[shown]), kind="stable")][:n_labels]
    labelled = labelled[last[labelled] != 0]
    colors = _feature_colors(plt, shown, labelled)
    for j in shown:
        ax.plot(xs, coef[j], color=colors[j], label=names[j],
                lw=1.6 if j in labelled else 1.0, zorder=3 if j in labelled else 2)
    # the zero line as a collection, so that ax.lines holds only the features
    ax.hlines(0.0, 0, 1, transform=ax.get_yaxis_transform(), color="0.55", lw=0.8, zorder=1)
    ax.grid(True, color="0.9", lw=0.8)
    ax.set_axisbelow(True)
    _set_xlim(ax, xs, invert=x == "log_lambda")
    ax.set_ylabel("coefficient")
    ax.set_title(f"{_model_name(path.l1_ratio)} path", pad=_TITLE_PAD)
    _label_line_ends(ax, last[labelled], [names[j] for j in labelled],
                     [colors[j] for j in labelled])
    _nonzero_axis(ax, xs, path.n_nonzero)
    return ax


def plot_cv(cv, *, l1_ratio=None, ax=None):
    """The cross-validation curve: mean held-out error with one-standard-error bars
    against log(lambda), and dashed lines at lambda_min and lambda_1se.

    Parameters
    ----------
    cv : CVResult (from `fastreg.cv_path`) or one of its ``cv.curves``.
    l1_ratio : float, optional
        Which curve of ``cv.curves`` to draw (default: the best one).
    ax : matplotlib Axes, optional (default: a new figure).

    Returns
    -------
    The Axes. ``ax.containers[0]`` is the errorbar (cv_mean, cv_se); ``ax.lines`` ends
    with the lambda_min and lambda_1se lines (labels starting 'lambda_min', 'lambda_1se'
    in mathtext).
    """
    plt = _pyplot()
    curve, n_folds = _curve(cv, "cv", l1_ratio)
    ax = _axes(ax, plt, figsize=(7.5, 4.8))
    xs = _log_lambdas(curve.lambdas, "cv.lambdas")
    ax.errorbar(xs, curve.cv_mean, yerr=curve.cv_se, fmt="o", ms=3.5, color=_CV_COLOR,
                ecolor="0.65", elinewidth=1.0, capsize=2, zorder=3,
                label=rf"CV error $\pm$ 1 se ({n_folds} folds)")
    _set_xlim(ax, xs, invert=True)
    _mark_lambdas(ax, curve)
    return _finish_error_axes(ax, xs, curve, "mean squared error (held out)",
                              f"{n_folds}-fold cross-validation", legend_loc="best")


def plot_train_validation(cv, *, ax=None):
    """Training error (mean over folds of the fits' own error) and validation error
    (held-out) along the path of the best l1_ratio, against log(lambda).

    Training error keeps falling as lambda shrinks; validation error turns up at
    lambda_min, where the model starts fitting noise: that point is annotated and the
    overfitting region lambda < lambda_min is shaded.

    Parameters
    ----------
    cv : CVResult (from `fastreg.cv_path`) or one of its ``cv.curves``.
    ax : matplotlib Axes, optional (default: a new figure).

    Returns
    -------
    The Axes. ``ax.lines`` is [training error, validation error].
    """
    plt = _pyplot()
    curve, n_folds = _curve(cv, "cv", None)
    ax = _axes(ax, plt, figsize=(7.5, 4.8))
    xs = _log_lambdas(curve.lambdas, "cv.lambdas")
    ax.plot(xs, curve.train_mean, color="tab:blue", lw=1.8, label="training error")
    ax.plot(xs, curve.cv_mean, color="tab:orange", lw=1.8,
            label=f"validation error ({n_folds}-fold CV)")
    lo, hi = _set_xlim(ax, xs, invert=True)  # lo is the small-lambda (right) end
    k = curve.index_min
    x_min, y_min = xs[k], curve.cv_mean[k]
    if k < xs.size - 1:
        ax.axvspan(lo, x_min, color="tab:red", alpha=0.08, lw=0,
                   label=r"overfitting ($\lambda < \lambda_{\min}$)")
        note = (rf"$\lambda_{{\min}}$ = {curve.lambda_min:.3g}: validation error" "\n"
                "turns up, training error keeps falling")
    else:
        note = (rf"$\lambda_{{\min}}$ = {curve.lambda_min:.3g}: validation error still" "\n"
                "falling at the smallest lambda of the grid")
    ax.scatter([x_min], [y_min], s=40, color="tab:orange", edgecolor="black", zorder=4)
    ax.annotate(note, xy=(x_min, y_min), xycoords="data", xytext=(0.5, 0.6),
                textcoords="axes fraction", ha="center", va="bottom", fontsize="small",
                arrowprops=dict(arrowstyle="->", color="0.3", lw=1.0,
                                connectionstyle="arc3,rad=0.2"),
                bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.7", alpha=0.9))
    return _finish_error_axes(ax, xs, curve, "mean squared error",
                              "Training vs validation error", legend_loc="upper right")


def _finish_error_axes(ax, xs, curve, ylabel, title, *, legend_loc):
    """Grid, labels, title, legend and the non-zeros axis of an error-vs-lambda plot."""
    ax.grid(True, color="0.9", lw=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel(_LOG_LAMBDA)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}, {_model_name(curve.l1_ratio).lower()}", pad=_TITLE_PAD)
    ax.legend(loc=legend_loc, fontsize="small", framealpha=0.9)
    _nonzero_axis(ax, xs, curve.path.n_nonzero)
    return ax


def plot_weight_histograms(coefs, *, bins=30, axes=None):
    """Histograms of coefficient vectors side by side, on a shared x range, with the
    exact zeros counted apart: a dark bar at 0 and "exact zeros: k of n" in the legend.

    The lasso sets coefficients exactly to zero (a tall bar at 0); ridge shrinks them
    towards zero without reaching it (no bar, a narrow histogram).

    Parameters
    ----------
    coefs : dict {label: (n_features,) coefficients}, e.g.
        ``{"Lasso (L1)": cv_l1.selected_coef(), "Ridge (L2)": cv_l2.selected_coef()}``.
    bins : int
        Number of bins of the shared range for the non-zero coefficients.
    axes : sequence of len(coefs) Axes (one Axes for a single entry), optional
        (default: a new figure with one row of panels).

    Returns
    -------
    (len(coefs),) array of Axes. In each, ``ax.containers`` holds the histogram of the
    non-zero coefficients (label 'non-zero') and the exact-zero bar (label 'exact zeros'),
    and the legend gives both counts.
    """
    plt = _pyplot()
    if not isinstance(coefs, Mapping):
        raise TypeError(f"coefs must be a dict {{label: 1-D coefficient array}}; got "
                        f"{type(coefs).__name__}")
    if len(coefs) == 0:
        raise ValueError("coefs must not be empty: give at least one {label: coefficients}")
    arrays = {}
    for label, values in coefs.items():
        if isinstance(values, (PathResult, CVResult, CVCurve)):
            raise TypeError(f"coefs[{label!r}] must be a 1-D coefficient array; got a "
                            f"{type(values).__name__} (e.g. pass cv.selected_coef() or "
                            "path.coef[:, k])")
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"coefs[{label!r}] must be a numeric 1-D array; got "
                            f"{type(values).__name__}") from exc
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"coefs[{label!r}] must be a non-empty 1-D array; got shape "
                             f"{arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"coefs[{label!r}] contains NaN or infinite values")
        arrays[str(label)] = arr
    bins = _check_count(bins, "bins", low=1)
    axes = _axes_row(axes, plt, len(arrays))

    everything = np.concatenate(list(arrays.values()))
    lo, hi = min(everything.min(), 0.0), max(everything.max(), 0.0)
    if lo == hi:
        lo, hi = -1.0, 1.0
    edges = np.linspace(lo, hi, bins + 1)
    width = edges[1] - edges[0]
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["tab:blue"])
    for i, (ax, (label, arr)) in enumerate(zip(axes, arrays.items())):
        zero = arr == 0
        n_zero = int(zero.sum())
        hist = ax.hist(arr[~zero], bins=edges, color=colors[i % len(colors)], alpha=0.85,
                       edgecolor="white", lw=0.5)[2]
        hist.set_label("non-zero")
        # the exact zeros: a narrow dark bar on top of the bin holding 0
        bar = ax.bar([0.0], [n_zero], width=0.5 * width, color=_ZERO_COLOR, zorder=3,
                     label="exact zeros")
        ax.legend([bar, hist], [f"exact zeros: {n_zero} of {arr.size}",
                                f"non-zero: {arr.size - n_zero}"],
                  loc="upper right", fontsize="small", framealpha=0.9)
        ax.set_xlim(lo - width, hi + width)
        ax.set_title(label)
        ax.set_xlabel("coefficient value")
        ax.yaxis.set_major_locator(_integer_locator())
        ax.set_ylim(0, max(ax.get_ylim()[1], 1) * 1.25)  # room for the legend
        ax.grid(True, axis="y", color="0.9", lw=0.8)
        ax.set_axisbelow(True)
    axes[0].set_ylabel("number of coefficients")
    return np.asarray(axes, dtype=object)


# ------------------------------------------------------------------ helpers


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("fastreg.plotting needs matplotlib, which is not installed: "
                          "pip install matplotlib (or 'fastreg[plot]')") from exc
    return plt


def _axes(ax, plt, figsize):
    from matplotlib.axes import Axes
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
        return ax
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes; got {type(ax).__name__}")
    return ax


def _axes_row(axes, plt, n):
    from matplotlib.axes import Axes
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), layout="constrained",
                               squeeze=False)
        return list(axes[0])
    if isinstance(axes, Axes):
        axes = [axes]
    try:
        axes = list(np.ravel(np.asarray(axes, dtype=object)))
    except TypeError as exc:
        raise TypeError(f"axes must be a sequence of matplotlib Axes; got "
                        f"{type(axes).__name__}") from exc
    if len(axes) != n or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(f"axes must be {n} matplotlib Axes, one per entry of coefs; got "
                         f"{len(axes)} object(s)")
    return axes


def _curve(cv, name, l1_ratio):
    """(the CVCurve to draw, the number of folds) from a CVResult or a CVCurve."""
    if isinstance(cv, PathResult):
        raise TypeError(f"{name} must be a CVResult (from fastreg.cv_path); got a PathResult, "
                        "which has no cross-validation errors")
    if isinstance(cv, CVCurve):
        if l1_ratio is not None and not np.isclose(l1_ratio, cv.l1_ratio):
            raise ValueError(f"l1_ratio={l1_ratio!r} does not match the curve's l1_ratio "
                             f"({cv.l1_ratio:g})")
        return cv, cv.cv_folds.shape[1]
    if not isinstance(cv, CVResult):
        raise TypeError(f"{name} must be a CVResult (from fastreg.cv_path); got "
                        f"{type(cv).__name__}")
    if l1_ratio is None:
        return cv.best, cv.n_folds
    try:
        wanted = float(l1_ratio)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"l1_ratio must be a number; got {type(l1_ratio).__name__}") from exc
    match = np.flatnonzero(np.isclose(cv.l1_ratios, wanted, rtol=0, atol=1e-12))
    if match.size == 0:
        raise ValueError(f"l1_ratio={wanted:g} was not cross-validated; cv.curves has "
                         f"l1_ratio {', '.join(f'{a:g}' for a in cv.l1_ratios)}")
    return cv.curves[int(match[0])], cv.n_folds


def _log_lambdas(lambdas, name):
    lambdas = np.asarray(lambdas, dtype=np.float64)
    if np.any(lambdas <= 0):
        raise ValueError(f"{name} contains lambda = 0, which has no logarithm; plot the "
                         "path against x='l1_norm' or refit on a positive grid")
    return np.log(lambdas)


def _check_count(value, name, low=0):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}; got {value}")
    return int(value)


def _feature_names(feature_names, n_features):
    if feature_names is None:
        return [f"x{j}" for j in range(n_features)]
    if isinstance(feature_names, str):
        raise TypeError("feature_names must be a sequence of names, not a single string")
    names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(f"feature_names must have one name per feature ({n_features}); "
                         f"got {len(names)}")
    return names


def _model_name(l1_ratio):
    if l1_ratio == 1:
        return "Lasso"
    if l1_ratio == 0:
        return "Ridge"
    return f"Elastic net (l1_ratio={l1_ratio:g})"


def _feature_colors(plt, shown, labelled):
    """tab10 colours (but its grey) for the labelled lines, light grey for the others."""
    palette = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 7]
    colors = {j: "0.72" for j in shown}
    for i, j in enumerate(labelled):
        colors[j] = palette[i % len(palette)]
    return colors


def _set_xlim(ax, xs, invert):
    """x limits around the data with a 2% margin; inverted puts the largest x left.
    Returns (the limit at the small-x end, the limit at the large-x end)."""
    x0, x1 = float(np.min(xs)), float(np.max(xs))
    pad = 0.02 * (x1 - x0) if x1 > x0 else 0.5
    lo, hi = x0 - pad, x1 + pad
    ax.set_xlim((hi, lo) if invert else (lo, hi))
    return lo, hi


def _mark_lambdas(ax, curve):
    """Dashed vertical lines at log(lambda_min) and log(lambda_1se), labelled with the
    lambda and its number of non-zeros (for the legend); returns the two lines."""
    nnz = curve.path.n_nonzero
    line_min = ax.axvline(np.log(curve.lambda_min), color=_MIN_COLOR, ls="--", lw=1.2,
                          zorder=2, label=rf"$\lambda_{{\min}}$ = {curve.lambda_min:.3g} "
                                          f"({nnz[curve.index_min]} non-zeros)")
    line_1se = ax.axvline(np.log(curve.lambda_1se), color=_1SE_COLOR, ls=(0, (2, 2)), lw=1.2,
                          zorder=2, label=rf"$\lambda_{{\mathrm{{1se}}}}$ = "
                                          f"{curve.lambda_1se:.3g} ({nnz[curve.index_1se]} "
                                          "non-zeros)")
    return line_min, line_1se


def _nonzero_axis(ax, xs, n_nonzero):
    """A top axis, ticked where the bottom one is, showing the number of non-zeros at
    the grid point nearest each tick (glmnet's degrees-of-freedom axis)."""
    from matplotlib.ticker import FuncFormatter
    step = np.max(np.abs(np.diff(xs))) if xs.size > 1 else np.inf
    x0, x1 = np.min(xs), np.max(xs)

    def label(value, _pos):
        if not x0 - step / 2 <= value <= x1 + step / 2:
            return ""
        return str(int(n_nonzero[np.argmin(np.abs(xs - value))]))

    top = ax.secondary_xaxis("top")
    top.xaxis.set_major_formatter(FuncFormatter(label))
    top.tick_params(labelsize="small", colors="0.35")
    top.set_xlabel("non-zeros", fontsize="small", color="0.35")
    return top


def _label_line_ends(ax, ends, names, colors):
    """Names just right of the axes at the height where each line ends, nudged apart so
    that they do not overlap."""
    if len(names) == 0:
        return
    from matplotlib.transforms import blended_transform_factory
    y0, y1 = ax.get_ylim()
    fig = ax.figure
    height = ax.get_position().height * fig.get_figheight() * 72  # points
    gap = 1.25 * _font_points(fig) / max(height, 1.0)             # axes fraction
    frac = (np.asarray(ends) - y0) / (y1 - y0)
    order = np.argsort(frac)
    placed = frac[order].copy()
    for i in range(1, placed.size):                                # push up ...
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - 1.0
    if overflow > 0:                                               # ... and back down
        placed[-1] -= overflow
        for i in range(placed.size - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    transform = blended_transform_factory(ax.transAxes, ax.transAxes)
    for i, y in zip(order, placed):
        ax.text(1.012, y, names[i], transform=transform, color=colors[i], va="center",
                ha="left", fontsize="small", clip_on=False)


def _font_points(fig):
    from matplotlib.font_manager import FontProperties
    return FontProperties(size="small").get_size_in_points()


def _integer_locator():
    from matplotlib.ticker import MaxNLocator
    return MaxNLocator(integer=True)
