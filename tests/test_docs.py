"""The documentation's claims, checked: the tutorial's numbers (docs/tutorial_code.py, the
functions docs/make_figures.py draws and prints from) and the code of the quickstart and
the user guide, run as written."""
from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


tc = _load("docs_tutorial_code", DOCS / "tutorial_code.py")


@pytest.fixture(scope="module")
def diabetes():
    return tc.load_diabetes()


@pytest.fixture(scope="module")
def wide(diabetes):
    X, y, names = diabetes
    W, labels = tc.wide_design(X, names)
    return W, y, labels


@pytest.fixture(scope="module")
def wide_cv(wide):
    W, y, _ = wide
    return {a: tc.cross_validate(W, y, a) for a in (1.0, 0.5, 0.0)}


def test_designs(diabetes, wide):
    X, _, _ = diabetes
    W, _, labels = wide
    assert X.shape == (442, 10) and W.shape == (442, 164) and len(labels) == 164
    assert sum(name.startswith("noise") for name in labels) == 100
    np.testing.assert_allclose(W.std(axis=0), 1.0)


def test_noise_features_are_fitted(diabetes):
    X, y, _ = diabetes
    over = tc.overfitting_with_noise(X, y, n_noise=range(0, 201, 25))
    # training error falls with every noise column, validation error ends far above var(y)
    assert np.all(np.diff(over["train_mse"]) < 0)
    assert over["valid_mse"][-1] > 10 * over["valid_mse"][0] > 10 * over["train_mse"][0]
    assert over["valid_mse"][-1] > 10 * np.var(y)
    # with p + 1 = n_train the fit interpolates the training rows
    train, valid = tc.train_validation_split(len(y))
    noise = np.random.default_rng(1).standard_normal((len(y), len(train) - 1 - X.shape[1]))
    assert tc.least_squares_errors(np.hstack([X, noise]), y, train, valid)[0] < 1e-12


def test_ridge_is_the_map_under_a_gaussian_prior(diabetes):
    X, y, _ = diabetes
    r = tc.ridge_as_map(X, y, lam=1.0)
    assert r["optimizer_success"] and r["dual_gap"] <= 1e-12
    scale = np.abs(r["ridge"]).max()
    assert r["max_diff_map"] < 1e-5 and r["max_diff_map"] / scale < 1e-6
    assert r["max_diff_closed_form"] < 1e-5
    np.testing.assert_allclose(r["tau"] ** 2, r["sigma"] ** 2 / (len(y) * 1.0))
    assert abs(r["intercept"] - r["map_intercept"]) < 1e-5


def test_lasso_is_the_map_under_a_laplace_prior(diabetes):
    X, y, _ = diabetes
    r = tc.lasso_as_map(X, y, lam=2.0, n_perturbations=500)
    assert r["optimizer_success"] and r["dual_gap"] <= 1e-12
    assert r["max_diff_map"] < 1e-5
    assert abs(r["log_posterior_lasso"] - r["log_posterior_map"]) < 1e-8
    assert r["max_gain"] < 0                       # every perturbation is worse
    zeros = r["lasso"] == 0
    assert 0 < zeros.sum() < zeros.size           # some exact zeros, not all
    assert np.abs(r["map"][zeros]).max() < 1e-6    # and the optimizer finds them too


def test_zeros_are_where_the_pull_is_below_the_prior_slope(diabetes):
    X, y, _ = diabetes
    k = tc.pull_at_zero(X, y, lam=2.0)
    ratio = np.abs(k["pull"]) / k["slope"]
    zero = k["coef"] == 0
    np.testing.assert_allclose(ratio[~zero], 1.0, atol=1e-6)
    assert np.all(ratio[zero] < 1)
    # the sign of each non-zero coefficient is the sign of its pull
    assert np.all(np.sign(k["pull"][~zero]) == np.sign(k["coef"][~zero]))


def test_one_feature_fits_are_the_closed_forms():
    z, lam = np.linspace(-3, 3, 25), 1.0
    fits = tc.one_feature_fits(z, lam)
    soft = np.sign(z) * np.maximum(np.abs(z) - lam, 0)
    np.testing.assert_allclose(fits["lasso"], soft, atol=1e-6)
    np.testing.assert_allclose(fits["ridge"], z / (1 + lam), atol=1e-6)
    np.testing.assert_allclose(fits["elastic net (0.5)"],
                               np.sign(z) * np.maximum(np.abs(z) - 0.5, 0) / 1.5, atol=1e-6)


def test_lasso_paths_have_exact_zeros_ridge_paths_none(diabetes):
    X, y, _ = diabetes
    paths = tc.lasso_and_ridge_paths(X, y)
    lasso, ridge = paths["lasso"], paths["ridge"]
    assert lasso.n_nonzero[0] == 0 and lasso.n_nonzero[-1] == X.shape[1]
    assert np.all(ridge.n_nonzero == X.shape[1])
    # both paths end near least squares
    A = np.column_stack([np.ones(len(y)), X])
    ols = np.linalg.lstsq(A, y, rcond=None)[0][1:]
    for path in (lasso, ridge):
        assert np.abs(path.coef[:, -1]).sum() > 0.95 * np.abs(ols).sum()


def test_cv_and_the_1se_rule(wide, wide_cv):
    _, _, labels = wide
    lasso = tc.cv_summary(wide_cv[1.0], labels)
    ridge = tc.cv_summary(wide_cv[0.0], labels)
    # lambda_min inside the grid; lambda_1se sparser, no noise, within 1 SE
    for cv in wide_cv.values():
        assert cv.index_min < cv.lambdas.size - 10 and cv.index_1se <= cv.index_min
    assert lasso["lambda_min"]["n_noise"] > 0 and lasso["lambda_1se"]["n_noise"] == 0
    assert lasso["lambda_1se"]["n_nonzero"] < lasso["lambda_min"]["n_nonzero"]
    assert (lasso["lambda_1se"]["cv_mse"]
            <= lasso["lambda_min"]["cv_mse"] + lasso["lambda_min"]["cv_se"])
    # ridge keeps every noise column, and predicts worse
    assert ridge["lambda_min"]["n_noise"] == 100
    assert ridge["lambda_min"]["cv_mse"] > lasso["lambda_min"]["cv_mse"]
    # training error decreases along the path, validation error turns up
    cv = wide_cv[1.0]
    assert np.all(np.diff(cv.train_mean) <= 1e-4 * cv.train_mean[0])
    assert cv.cv_mean[-1] > cv.cv_mean[cv.index_min]


def test_weight_histograms(wide_cv):
    lasso, ridge = wide_cv[1.0].selected_coef("min"), wide_cv[0.0].selected_coef("min")
    assert np.sum(lasso == 0) > 100
    assert np.sum(ridge == 0) == 0


def test_when_to_pick_which_penalty(diabetes, wide, wide_cv):
    X, y, _ = diabetes
    _, _, labels = wide
    # 10 features: equally good within a standard error; the lasso is the smallest
    small = {a: tc.cv_summary(tc.cross_validate(X, y, a))["lambda_min"] for a in (1.0, 0.5, 0.0)}
    best = min(r["cv_mse"] for r in small.values())
    assert all(r["cv_mse"] <= best + r["cv_se"] for r in small.values())
    assert small[1.0]["n_nonzero"] == min(r["n_nonzero"] for r in small.values())
    # wide: the lasso is clearly best and keeps the fewest noise columns
    rows = {a: tc.cv_summary(cv, labels)["lambda_min"] for a, cv in wide_cv.items()}
    assert rows[1.0]["cv_mse"] + rows[1.0]["cv_se"] < min(rows[0.5]["cv_mse"], rows[0.0]["cv_mse"])
    assert rows[1.0]["n_noise"] < rows[0.5]["n_noise"] < rows[0.0]["n_noise"]


def test_elastic_net_keeps_the_group(diabetes):
    X, y, names = diabetes
    G, labels = tc.correlated_design(X, names)
    group = [j for j, name in enumerate(labels) if name.startswith("bmi")]
    cvs = {a: tc.cross_validate(G, y, a) for a in (1.0, 0.5)}
    lasso_mse, enet_mse = (cvs[a].cv_mean[cvs[a].index_min] for a in (1.0, 0.5))
    assert abs(lasso_mse - enet_mse) < cvs[1.0].cv_se[cvs[1.0].index_min]
    lasso_folds = tc.group_selection_by_fold(G, y, cvs[1.0], group)
    enet_folds = tc.group_selection_by_fold(G, y, cvs[0.5], group)
    assert enet_folds.all()
    assert lasso_folds.all(axis=1).sum() < len(lasso_folds) / 2
    lasso_coef, enet_coef = cvs[1.0].selected_coef("1se")[group], cvs[0.5].selected_coef("1se")[group]
    assert np.any(lasso_coef == 0) and np.all(enet_coef > 0)
    assert np.ptp(enet_coef) < np.ptp(lasso_coef)


def test_ridge_default_grid_is_too_short(diabetes):
    """The user guide's note: ridge's CV minimum on the diabetes data is at the end of
    the default grid, and inside a longer one."""
    import fastreg
    X, y, _ = diabetes
    cv = fastreg.cv_path(X, y, l1_ratio=0.0)
    assert cv.index_min == cv.lambdas.size - 1
    assert fastreg.cv_path(X, y, l1_ratio=0.0, lambda_min_ratio=1e-8).index_min < 90


def _python_blocks(page):
    """The ```python blocks of a page, without snippet includes."""
    text = (DOCS / page).read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return [b for b in blocks if not b.lstrip().startswith("--8<--")]


@pytest.mark.parametrize("page", ["user-guide.md"])
def test_page_code_runs(page, tmp_path, monkeypatch):
    for module in ("sklearn", "joblib", "dask.distributed"):
        pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)                  # figures saved by the examples land here
    namespace = {"__name__": "docs_page"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # the convergence example warns on purpose
        for block in _python_blocks(page):
            exec(compile(block, page, "exec"), namespace)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_quickstart_runs(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    source = (DOCS / "examples" / "quickstart.py").read_text()
    exec(compile(source, "docs/examples/quickstart.py", "exec"), {"__name__": "quickstart"})
    assert (tmp_path / "quickstart_path.png").exists() and (tmp_path / "quickstart_cv.png").exists()
    import matplotlib.pyplot as plt
    plt.close("all")
