"""Certificates from the two-reference bound test and the running residual, on data that
stress their rounding allowances (mixed column scales, float32, near-identical references)."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastreg
from fastreg import enet_path
from conftest import kkt_violation, objective, optimal_intercept, rescaled, to_layout


def mixed_scale_problem(dtype, layout, seed=0, n=150, p=400):
    # columns over four decades, a fifth far from 0 (implicit centring at scale)
    rng = np.random.default_rng(seed)
    scales = np.logspace(-2, 2, p)[rng.permutation(p)]
    Z = rng.standard_normal((n, p))
    if layout == "csc":
        Z *= rng.uniform(size=(n, p)) < 0.2
    X = Z * scales
    X[:, : p // 5] += 50.0 * scales[: p // 5]
    coef = np.zeros(p)
    support = rng.choice(p, 15, replace=False)
    coef[support] = rng.standard_normal(15) / scales[support]
    y = X @ coef + 0.1 * rng.standard_normal(n) + 3.0
    X = to_layout(X.astype(dtype), layout)
    return X, y.astype(dtype)


def gap_bounds_everything(X, y, res, l1_ratio, w, extra=0.0, *, factor=None, lower=None,
                          upper=None):
    """Reported gap >= the gain of any single exact coordinate step (independent KKT
    check in float64), and >= P(res) - P(ref) with ref a float64 solve of the same data."""
    X64 = X.astype(np.float64)
    y64 = np.asarray(y, dtype=np.float64)
    ref = enet_path(X64, y64, l1_ratio=l1_ratio, lambdas=res.lambdas, sample_weight=w,
                    penalty_factor=factor, lower_bounds=lower, upper_bounds=upper,
                    tol=1e-13, max_epochs=10**5, check_convergence=False)
    Xd = X64.toarray() if sp.issparse(X64) else X64
    wn = rescaled(w, len(y64))
    n = len(y64)
    sq = wn @ (Xd - wn @ Xd / n) ** 2 / n
    for k, lam in enumerate(res.lambdas):
        beta = res.coef[:, k].astype(np.float64)
        b0 = optimal_intercept(X64, y64, beta, w, True)
        p_res = objective(X64, y64, beta, lam, l1_ratio, w=w, intercept=b0, factor=factor)
        p_ref = objective(X64, y64, ref.coef[:, k], lam, l1_ratio, w=w,
                          intercept=ref.intercept[k], factor=factor)
        gap = res.dual_gap[k] * res.null_objective
        assert p_res - p_ref <= gap + extra * res.null_objective + 1e-13 * res.null_objective, k
        # one exact coordinate step on feature j gains >= v_j^2 / (2 c_j)
        v = kkt_violation(X64, y64, beta, b0, lam, l1_ratio, w=w, factor=factor, lower=lower,
                          upper=upper)
        c = sq.max() + (1 - l1_ratio) * lam
        assert v * v / (2 * c) <= gap + extra * res.null_objective + 1e-13 * res.null_objective, k


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["F", "csc"])
@pytest.mark.parametrize("weighted, l1_ratio", [(False, 1.0), (True, 0.5)])
def test_bound_test_certificates_mixed_scales(dtype, layout, weighted, l1_ratio):
    """Columns over four decades, a fifth far from 0, rows of weight 0: every certificate
    (most from the two-reference bound test and the running residual, float32 ones from a
    float64 recomputation) bounds the gain of any coordinate step and the suboptimality."""
    X, y = mixed_scale_problem(dtype, layout)
    w = None
    if weighted:
        w = np.random.default_rng(5).uniform(0.0, 2.0, len(y))
        w[::7] = 0.0                                   # rows that do not count
    tol = 1e-10 if dtype == np.float64 else 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastreg.ConvergenceWarning)   # float32 may stall
        res = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=25, lambda_min_ratio=1e-2,
                        sample_weight=None if w is None else w.astype(dtype), tol=tol)
    # the bound test, not the full pass, certified most lambdas (float32 stalls take a pass)
    if dtype == np.float64:
        assert np.sum(res.n_passes == 0) >= 12
    # float32: the data are rounded once; the gap is of the returned coefficients on them
    gap_bounds_everything(X, y, res, l1_ratio, w, extra=1e-9 if dtype == np.float32 else 0.0)


@pytest.mark.parametrize("layout", ["F", "csc"])
def test_bound_test_with_nearly_identical_references(layout):
    # a warm start next to the null model: the first two references differ by ~1e-7 (the
    # fit drops the older one below sqrt((n + 4) u) of its pivot; without that rule the
    # combination coefficients reached ~1e4 and inflated the distance's allowance)
    X, y = mixed_scale_problem(np.float64, layout, seed=3)
    init = 1e-9 * np.random.default_rng(4).standard_normal(X.shape[1])
    res = enet_path(X, y, n_lambdas=30, lambda_min_ratio=1e-2, tol=1e-8, coef_init=init)
    assert res.converged.all()
    gap_bounds_everything(X, y, res, 1.0, None)
