"""Near-dense columns of CSC data (attach_dense_columns in _cd.pyx): dense copies, read
centred as dense storage is. Off-centre sparse columns used to break float32 fits (NaN and
coefficients of 1e23 on the mixed-scale problem); with or without the copies, the answers
are those of the same data stored densely."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastreg
from fastreg import enet_path
from conftest import objective
from test_certificates import gap_bounds_everything, mixed_scale_problem


def options(p, rng, factor, weights, bounds, n):
    kw = {}
    if factor:
        f = np.ones(p)
        f[:3] = 0.0
        kw["penalty_factor"] = f
    if weights:
        w = rng.uniform(0.0, 2.0, n)
        w[::5] = 0.0
        kw["sample_weight"] = w
    if bounds:
        kw["lower_bounds"] = np.where(rng.uniform(size=p) < 0.3, 0.0, -np.inf)
        kw["upper_bounds"] = np.where(rng.uniform(size=p) < 0.2, 1e-3, np.inf)
    return kw


@pytest.mark.parametrize("factor", [False, True])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("bounds", [False, True])
def test_off_centre_sparse_columns_converge_in_float32(factor, weights, bounds):
    """80 of 400 CSC columns full and ~50 std from 0 (more than the copy budget holds): every
    lambda converges in float32, as for the same data stored densely (before: 16-22 of 30
    lambdas ran out of epochs, some with NaN or 1e23 coefficients)."""
    X, y = mixed_scale_problem(np.float32, "csc", seed=7)
    n, p = X.shape
    kw = options(p, np.random.default_rng(8), factor, weights, bounds, n)
    if "sample_weight" in kw:
        kw["sample_weight"] = kw["sample_weight"].astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastreg.ConvergenceWarning)
        res = enet_path(X, y, l1_ratio=0.8, n_lambdas=30, lambda_min_ratio=1e-3, tol=1e-6, **kw)
    assert res.converged.all()
    assert np.all(np.isfinite(res.coef))
    w = kw.get("sample_weight")
    gap_bounds_everything(X, y, res, 0.8, None if w is None else w.astype(np.float64),
                          extra=1e-9, factor=kw.get("penalty_factor"),
                          lower=kw.get("lower_bounds"), upper=kw.get("upper_bounds"))


def power_law_problem(dtype, seed=0, n=400, p=300, *, cap=1.0, scale=2.0, exponent=0.8,
                      k=12, noise=0.5):
    # a few near-dense columns (the first ones), the rest sparse with power-law frequencies
    # min(cap, scale / j^exponent); k informative features
    rng = np.random.default_rng(seed)
    density = np.minimum(cap, scale / np.arange(1, p + 1) ** exponent)
    mask = rng.uniform(size=(n, p)) < density
    Z = np.where(mask, rng.exponential(1.0, (n, p)), 0.0)
    coef = np.zeros(p)
    coef[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
    y = Z @ coef + noise * rng.standard_normal(n)
    return Z.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_near_dense_columns_give_the_dense_answers(dtype, l1_ratio):
    """Power-law columns, the fullest of them copied (speed), the rest read sparse: CSC and
    Fortran storage reach the same objectives within their gaps, with and without
    weights."""
    Z, y = power_law_problem(dtype)
    n = Z.shape[0]
    assert (np.count_nonzero(Z, axis=0) >= n / 2).sum() >= 3
    w = np.random.default_rng(1).uniform(0.5, 1.5, n)
    w *= n / w.sum()
    for weights in (None, w.astype(dtype)):
        # (float32 CSC stalls near 5e-6 on the lasso here, with or without the copies: the
        # implicit centring of the other columns; dense storage reaches 1e-6)
        tol = 1e-10 if dtype == np.float64 else 1e-5
        dense = enet_path(np.asfortranarray(Z), y, l1_ratio=l1_ratio, n_lambdas=40, tol=tol,
                          sample_weight=weights)
        sparse = enet_path(sp.csc_matrix(Z), y, l1_ratio=l1_ratio, n_lambdas=40, tol=tol,
                           sample_weight=weights)
        assert dense.converged.all() and sparse.converged.all()
        scale = dense.null_objective
        for k, lam in enumerate(dense.lambdas):
            Z64, y64 = Z.astype(np.float64), y.astype(np.float64)
            ww = None if weights is None else weights.astype(np.float64)
            p1 = objective(Z64, y64, dense.coef[:, k], lam, l1_ratio,
                           intercept=dense.intercept[k], w=ww)
            p2 = objective(Z64, y64, np.asarray(sparse.coef[:, k].todense()).ravel()
                           if sp.issparse(sparse.coef) else sparse.coef[:, k], lam, l1_ratio,
                           intercept=sparse.intercept[k], w=ww)
            slack = 1e-13 if dtype == np.float64 else 1e-6
            assert abs(p1 - p2) <= (max(dense.dual_gap[k], sparse.dual_gap[k]) + slack) * scale, k


@pytest.mark.parametrize("dropped", [0.15, 0.4, 0.6])
def test_off_centre_under_the_weights_converges_in_float32(dropped):
    """The 80 off-centre columns of the mixed-scale problem zeroed on a random fraction of
    the rows, and exactly those rows weighted 0: under the weights the columns are full and
    far from 0, though they store only 40-85% of the rows (found in review: copies chosen by
    stored entries alone left these sparse, and CSC fits gave NaN or 1e31 coefficients where
    dense storage converged). CSC converges wherever dense storage does."""
    X, y = mixed_scale_problem(np.float32, "csc", seed=7)
    n, p = X.shape
    rng = np.random.default_rng(3)
    rows = rng.uniform(size=n) < dropped
    Z = X.toarray()
    Z[np.ix_(rows, np.arange(80))] = 0.0
    w = np.where(rows, 0.0, 1.0)
    w *= n / w.sum()
    kw = dict(l1_ratio=0.8, n_lambdas=30, lambda_min_ratio=1e-3, tol=1e-6,
              sample_weight=w.astype(np.float32), check_convergence=False)
    dense = enet_path(np.asfortranarray(Z), y, **kw)
    sparse = enet_path(sp.csc_matrix(Z), y, **kw)
    assert np.all(np.isfinite(sparse.dual_gap))
    assert dense.converged.sum() >= 20          # (the comparison below is not vacuous)
    assert np.all(sparse.converged[dense.converged])
    coef = sparse.coef.toarray() if sp.issparse(sparse.coef) else sparse.coef
    assert np.all(np.isfinite(coef))
