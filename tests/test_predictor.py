"""The path's predictor (_predict.pxi): each lambda starts from the secant through the last
two solutions, its residual from the secant of their residuals. Checked against plain warm
starts (the low-level `plain_warm_start=True`) and by the certificates."""
import warnings

import numpy as np
import pytest

import fastreg
from fastreg import _cd, _path, enet_path
from conftest import make_problem, objective, to_layout
from test_certificates import gap_bounds_everything, mixed_scale_problem


class _PlainWarmStart:
    """Stands in for fastreg._cd in fastreg._path: every path without the predictor."""

    def enet_path_dense(self, *args, **kwargs):
        return _cd.enet_path_dense(*args, plain_warm_start=True, **kwargs)

    def enet_path_csc(self, *args, **kwargs):
        return _cd.enet_path_csc(*args, plain_warm_start=True, **kwargs)


def both_paths(monkeypatch, X, y, **kwargs):
    predicted = enet_path(X, y, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(_path, "_cd", _PlainWarmStart())
        plain = enet_path(X, y, **kwargs)
    return predicted, plain


def wide_problem(dtype=np.float64, layout="F", n=60, p=600, seed=0):
    X, y = make_problem(n, p, seed=seed, n_informative=20)
    return to_layout(X.astype(dtype), layout), y.astype(dtype)


@pytest.mark.parametrize("layout", ["F", "csc"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_predictor_saves_epochs_and_agrees_with_plain_warm_starts(monkeypatch, layout, l1_ratio):
    """p >> n with correlated columns: fewer epochs along the path, and both solutions within
    each other's certified gaps (same objective to tol)."""
    X, y = wide_problem(layout=layout)
    pred, plain = both_paths(monkeypatch, X, y, l1_ratio=l1_ratio, n_lambdas=50,
                             lambda_min_ratio=1e-2, tol=1e-8)
    assert pred.converged.all() and plain.converged.all()
    np.testing.assert_allclose(pred.lambdas, plain.lambdas)
    assert pred.n_epochs.sum() < 0.9 * plain.n_epochs.sum()
    for k, lam in enumerate(pred.lambdas):
        p1 = objective(X, y, pred.coef[:, k], lam, l1_ratio, intercept=pred.intercept[k])
        p2 = objective(X, y, plain.coef[:, k], lam, l1_ratio, intercept=plain.intercept[k])
        scale = pred.null_objective
        assert p1 - p2 <= pred.dual_gap[k] * scale + 1e-13 * scale, k
        assert p2 - p1 <= plain.dual_gap[k] * scale + 1e-13 * scale, k
    # the deviance explained is the returned solution's, not the next prediction's
    r = y[:, None] - np.asarray(X @ pred.coef) - pred.intercept
    loss = 0.5 * np.mean(r * r, axis=0)
    np.testing.assert_allclose(pred.dev_ratio, 1.0 - loss / pred.null_objective, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["F", "csc"])
def test_predictor_certificates_with_bounds_and_weights(dtype, layout):
    """Secants that cross 0 or a bound stop there (a column update each); every certificate
    still bounds the suboptimality and the gain of any coordinate step."""
    X, y = mixed_scale_problem(dtype, layout, seed=7)
    p = X.shape[1]
    rng = np.random.default_rng(8)
    w = rng.uniform(0.0, 2.0, len(y))
    w[::5] = 0.0
    lower = np.where(rng.uniform(size=p) < 0.3, 0.0, -np.inf)     # some non-negative
    upper = np.where(rng.uniform(size=p) < 0.2, 1e-3, np.inf)     # some capped low
    factor = np.ones(p)
    factor[:3] = 0.0                                              # unpenalized, secant too
    lower[0], upper[0] = -np.inf, np.inf                          # one unbounded,
    lower[1], upper[1] = 0.0, np.inf                              # one non-negative
    tol = 1e-10 if dtype == np.float64 else 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastreg.ConvergenceWarning)   # float32 may stall
        res = enet_path(X, y, l1_ratio=0.8, n_lambdas=30, lambda_min_ratio=1e-3,
                        sample_weight=w.astype(dtype), lower_bounds=lower, upper_bounds=upper,
                        penalty_factor=factor, tol=tol)
    # (float32 CSC too, since its off-centre columns are read centred: attach_dense_columns)
    assert res.converged.all()
    beta = res.coef.astype(np.float64)
    # (the bounds as the dtype holds them: float32(1e-3) > 1e-3)
    lo, hi = lower.astype(dtype), upper.astype(dtype)
    assert np.all(beta >= lo[:, None]) and np.all(beta <= hi[:, None])
    # coefficients left the support along the path (the clipped secants were exercised)
    left = (beta[:, :-1] != 0) & (beta[:, 1:] == 0)
    assert left.any()
    extra = 1e-9 if dtype == np.float32 else 0.0
    gap_bounds_everything(X, y, res, 0.8, w, extra=extra, lower=lower, upper=upper,
                          factor=factor)


@pytest.mark.parametrize("layout", ["F", "csc"])
def test_predictor_on_long_residuals(monkeypatch, layout):
    """n above the always-predict size: the cost model decides, the certificates hold and the
    answers match plain warm starts to the gaps."""
    rng = np.random.default_rng(11)
    n, p = 6000, 120
    X = rng.standard_normal((n, p)) * (rng.uniform(size=(n, p)) < 0.3)
    X[:, 1:] += 0.6 * X[:, :-1]
    coef = np.zeros(p)
    coef[rng.choice(p, 30, replace=False)] = rng.standard_normal(30)
    y = X @ coef + rng.standard_normal(n)
    X = to_layout(X, layout)
    pred, plain = both_paths(monkeypatch, X, y, l1_ratio=1.0, n_lambdas=30, tol=1e-9)
    assert pred.converged.all()
    for k, lam in enumerate(pred.lambdas):
        p1 = objective(X, y, pred.coef[:, k], lam, 1.0, intercept=pred.intercept[k])
        p2 = objective(X, y, plain.coef[:, k], lam, 1.0, intercept=plain.intercept[k])
        assert abs(p1 - p2) <= max(pred.dual_gap[k], plain.dual_gap[k]) * pred.null_objective \
            + 1e-13 * pred.null_objective, k
    gap_bounds_everything(X, y, pred, 1.0, None)


def test_tolerance_at_the_rounding_floor_stops_instead_of_grinding():
    """tol 1e-13 on columns over four decades, a fifth far from 0, bounds and weights: CD's
    largest move levels off at ~1e-26 (the last bits of large coefficients), far above the
    global noise floor. An inner tolerance handed down below that level (each lambda that
    ends at the rounding floor tightens it) made the next lambdas run to max_epochs (1.3
    million epochs over the path, gaps up to 0.7); floored at 1e-6 of the target, each
    lambda converges within a few hundred epochs."""
    X, y = mixed_scale_problem(np.float64, "csc", seed=7)
    p = X.shape[1]
    rng = np.random.default_rng(8)
    w = rng.uniform(0.0, 2.0, len(y))
    w[::5] = 0.0
    lower = np.where(rng.uniform(size=p) < 0.3, 0.0, -np.inf)
    upper = np.where(rng.uniform(size=p) < 0.2, 1e-3, np.inf)
    factor = np.ones(p)
    factor[:3] = 0.0
    lower[:3], upper[:3] = -np.inf, np.inf
    res = enet_path(X, y, l1_ratio=0.8, n_lambdas=30, lambda_min_ratio=1e-3, tol=1e-13,
                    sample_weight=w, lower_bounds=lower, upper_bounds=upper,
                    penalty_factor=factor, max_epochs=100_000, check_convergence=False)
    assert res.n_epochs.max() < 5_000
    assert np.all(res.status != 1)                       # none ran out of epochs
    assert res.dual_gap.max() < 1e-11                    # converged, or stalled at the floor
