"""fastreg.plotting: the figures draw exactly the data of the results they are given."""
import matplotlib

matplotlib.use("Agg")

import dataclasses  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import fastreg  # noqa: E402
from fastreg.plotting import (plot_coef_path, plot_cv, plot_train_validation,  # noqa: E402
                              plot_weight_histograms)
from conftest import make_problem  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return make_problem(80, 30, seed=0)


@pytest.fixture(scope="module")
def path(data):
    """A lasso path that stops early: only 5 of the 30 features are ever non-zero."""
    X, y = data
    return fastreg.lasso_path(X, y, n_lambdas=20, lambda_min_ratio=0.1)


@pytest.fixture(scope="module")
def cv(data):
    """Two l1_ratios (the lasso wins); validation error turns up inside the grid."""
    X, y = data
    return fastreg.cv_path(X, y, l1_ratio=[0.5, 1.0], n_lambdas=30, lambda_min_ratio=1e-3,
                           folds=5)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def by_label(artists, start):
    return [a for a in artists if a.get_label().startswith(start)]


# ---------------------------------------------------------------- coefficient path


def test_coef_path_draws_one_line_per_ever_nonzero_feature(path):
    names = [f"f{j}" for j in range(path.n_features)]
    ax = plot_coef_path(path, feature_names=names, n_labels=3)
    ever = np.flatnonzero(np.any(path.coef != 0, axis=1))
    assert 0 < ever.size < path.n_features
    assert len(ax.lines) == ever.size
    for line, j in zip(ax.lines, ever):
        np.testing.assert_allclose(line.get_xdata(), np.log(path.lambdas))
        np.testing.assert_array_equal(line.get_ydata(), path.coef[j])
        assert line.get_label() == names[j]
    # lambda decreases to the right
    assert ax.xaxis_inverted()
    # labels: the 3 largest |coef| at the smallest lambda
    top = np.argsort(-np.abs(path.coef[:, -1]))[:3]
    assert sorted(t.get_text() for t in ax.texts) == sorted(names[j] for j in top)
    assert "lambda" in ax.get_xlabel() and ax.get_title()


def test_coef_path_top_axis_counts_nonzeros(path):
    ax = plot_coef_path(path)
    (top,) = ax.child_axes
    formatter = top.xaxis.get_major_formatter()
    for k in (0, 7, path.lambdas.size - 1):
        assert formatter(np.log(path.lambdas[k]), 0) == str(path.n_nonzero[k])


def test_coef_path_against_l1_norm(path):
    ax = plot_coef_path(path, x="l1_norm", n_labels=50)
    ever = np.flatnonzero(np.any(path.coef != 0, axis=1))
    for line in ax.lines:
        np.testing.assert_allclose(line.get_xdata(), np.abs(path.coef).sum(axis=0))
    assert not ax.xaxis_inverted()
    # default names; only features non-zero at the end can be labelled
    assert sorted(t.get_text() for t in ax.texts) == sorted(
        f"x{j}" for j in ever if path.coef[j, -1] != 0)


def test_coef_path_on_a_given_axes_without_labels(path):
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_coef_path(path, n_labels=0, ax=right) is right
    assert len(right.lines) > 0 and len(right.texts) == 0 and len(left.lines) == 0


# ---------------------------------------------------------------- CV curve


def test_plot_cv_draws_mean_and_standard_errors(cv):
    ax = plot_cv(cv)
    best = cv.best
    x = np.log(best.lambdas)
    errorbar = ax.containers[0]
    data_line, _, (bars,) = errorbar.lines
    np.testing.assert_allclose(data_line.get_xdata(), x)
    np.testing.assert_allclose(data_line.get_ydata(), best.cv_mean)
    segments = np.array(bars.get_segments())        # (n_lambdas, 2 ends, xy)
    np.testing.assert_allclose(segments[:, 0, 0], x)
    np.testing.assert_allclose(segments[:, 0, 1], best.cv_mean - best.cv_se)
    np.testing.assert_allclose(segments[:, 1, 1], best.cv_mean + best.cv_se)
    (line_min,) = by_label(ax.lines, r"$\lambda_{\min}$")
    (line_1se,) = by_label(ax.lines, r"$\lambda_{\mathrm{1se}}$")
    np.testing.assert_allclose(line_min.get_xdata(), np.log(cv.lambda_min))
    np.testing.assert_allclose(line_1se.get_xdata(), np.log(cv.lambda_1se))
    assert line_min.get_linestyle() == "--" and line_1se.get_linestyle() != "-"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(legend) == 3 and f"{cv.lambda_min:.3g}" in legend[0]
    assert ax.xaxis_inverted() and "5-fold" in ax.get_title()


def test_plot_cv_other_l1_ratio_and_curve(cv):
    other = cv.curves[0]
    assert other.l1_ratio == 0.5 and cv.best_index == 1
    for drawn in (plot_cv(cv, l1_ratio=0.5), plot_cv(other)):
        np.testing.assert_allclose(drawn.containers[0].lines[0].get_ydata(), other.cv_mean)
        (line_min,) = by_label(drawn.lines, r"$\lambda_{\min}$")
        np.testing.assert_allclose(line_min.get_xdata(), np.log(other.lambda_min))


# ---------------------------------------------------------------- train vs validation


def test_train_validation_lines_and_overfitting_region(cv):
    best = cv.best
    assert best.index_min < best.lambdas.size - 1      # validation error turns up
    ax = plot_train_validation(cv)
    train, valid = ax.lines
    x = np.log(best.lambdas)
    np.testing.assert_allclose(train.get_xdata(), x)
    np.testing.assert_allclose(train.get_ydata(), best.train_mean)
    np.testing.assert_allclose(valid.get_ydata(), best.cv_mean)
    # the shaded region: from lambda_min to the small-lambda end of the axis
    (region,) = by_label(ax.patches, "overfitting")
    extent = region.get_extents().transformed(ax.transData.inverted())
    assert max(extent.x0, extent.x1) == pytest.approx(np.log(cv.lambda_min))
    assert min(extent.x0, extent.x1) == pytest.approx(min(ax.get_xlim()))
    (note,) = [t for t in ax.texts if "turns up" in t.get_text()]
    np.testing.assert_allclose(note.xy, (np.log(cv.lambda_min), best.cv_mean[best.index_min]))


def test_train_validation_when_error_still_falls(cv):
    last = cv.best.lambdas.size - 1
    ax = plot_train_validation(dataclasses.replace(cv.best, index_min=last))
    assert by_label(ax.patches, "overfitting") == []
    assert any("still" in t.get_text() for t in ax.texts)


# ---------------------------------------------------------------- weight histograms


def test_weight_histograms_count_exact_zeros(cv, data):
    X, y = data
    lasso = cv.selected_coef("min")
    ridge = fastreg.enet_path(X, y, l1_ratio=0.0, lambdas=[1.0]).coef[:, 0]
    assert np.count_nonzero(lasso == 0) > 0 and np.count_nonzero(ridge == 0) == 0
    coefs = {"Lasso (L1)": lasso, "Ridge (L2)": ridge}
    axes = plot_weight_histograms(coefs, bins=12)
    assert isinstance(axes, np.ndarray) and axes.shape == (2,)
    for ax, (label, coef) in zip(axes, coefs.items()):
        (hist,) = by_label(ax.containers, "non-zero")
        (zero_bar,) = by_label(ax.containers, "exact zeros")
        counts = [p.get_height() for p in hist]
        n_zero = int(np.sum(coef == 0))
        assert len(counts) == 12
        assert zero_bar[0].get_height() == n_zero
        assert sum(counts) + n_zero == coef.size
        assert ax.get_title() == label
        assert f"exact zeros: {n_zero} of {coef.size}" in [
            t.get_text() for t in ax.get_legend().get_texts()]
    # one shared range: the same bins and limits in every panel
    assert axes[0].get_xlim() == axes[1].get_xlim()
    edges = [[p.get_x() for p in by_label(ax.containers, "non-zero")[0]] for ax in axes]
    np.testing.assert_allclose(edges[0], edges[1])


def test_weight_histograms_on_given_axes():
    fig, ax = plt.subplots()
    axes = plot_weight_histograms({"all zero": np.zeros(4)}, axes=ax)
    assert axes[0] is ax
    assert by_label(ax.containers, "exact zeros")[0][0].get_height() == 4


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("call, error, match", [
    (lambda p, c: plot_coef_path(c), TypeError, r"path must be a PathResult.*cv\.path"),
    (lambda p, c: plot_coef_path(p.coef), TypeError, "path must be a PathResult"),
    (lambda p, c: plot_coef_path(p, x="lambda"), ValueError, "x must be 'log_lambda' or"),
    (lambda p, c: plot_coef_path(p, feature_names=["a"]), ValueError, "feature_names must"),
    (lambda p, c: plot_coef_path(p, n_labels=-1), ValueError, "n_labels must be >= 0"),
    (lambda p, c: plot_coef_path(p, n_labels=2.5), TypeError, "n_labels must be an integer"),
    (lambda p, c: plot_coef_path(p, ax="left"), TypeError, "ax must be a matplotlib Axes"),
    (lambda p, c: plot_cv(p), TypeError, "cv must be a CVResult.*got a PathResult"),
    (lambda p, c: plot_cv(c, l1_ratio=0.3), ValueError, "l1_ratio=0.3 was not cross-valid"),
    (lambda p, c: plot_train_validation({}), TypeError, "cv must be a CVResult"),
    (lambda p, c: plot_weight_histograms({}), ValueError, "coefs must not be empty"),
    (lambda p, c: plot_weight_histograms([1.0]), TypeError, "coefs must be a dict"),
    (lambda p, c: plot_weight_histograms({"L1": p}), TypeError, r"coefs\['L1'\] must be a 1-D"),
    (lambda p, c: plot_weight_histograms({"L1": p.coef}), ValueError, r"coefs\['L1'\] must"),
    (lambda p, c: plot_weight_histograms({"L1": [1.0]}, bins=0), ValueError, "bins must be"),
    (lambda p, c: plot_weight_histograms({"a": [1.0], "b": [2.0]}, axes=plt.gca()),
     ValueError, "axes must be 2 matplotlib Axes"),
])
def test_bad_input_names_the_argument(path, cv, call, error, match):
    with pytest.raises(error, match=match):
        call(path, cv)


def test_lambda_zero_needs_the_l1_norm_axis(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastreg.ConvergenceWarning)
        path = fastreg.lasso_path(X, y, lambdas=[1.0, 0.0], max_epochs=50)
    with pytest.raises(ValueError, match="lambda = 0.*x='l1_norm'"):
        plot_coef_path(path)
    assert len(plot_coef_path(path, x="l1_norm").lines) > 0


def test_missing_matplotlib_says_how_to_install(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        "import fastreg.plotting as plotting\n"     # importing the module works
        "try:\n"
        "    plotting.plot_cv(None)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    # run outside the source tree, so that the installed package is the one imported
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pip install matplotlib (or 'fastreg[plot]')" in proc.stdout
