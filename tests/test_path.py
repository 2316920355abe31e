"""Properties of the path solver: optimality (KKT), duality-gap certificates, agreement
with scikit-learn and between storages, dtypes and warm/cold starts."""
import copy
import dataclasses
import pickle
import threading
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastreg
from fastreg import enet_path, lasso_path
from conftest import (TOLERANCES, kkt_violation, make_problem, objective, optimal_intercept,
                      rescaled, to_layout)

DTYPES = [np.float64, np.float32]
LAYOUTS = ["F", "C", "csc"]
L1_RATIOS = [1.0, 0.5, 0.0]


def weights_for(kind, n, seed=3):
    if kind is None:
        return None
    return np.random.default_rng(seed).uniform(0.2, 3.0, size=n)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("l1_ratio", L1_RATIOS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weights", [None, "random"])
def test_path_is_optimal(dtype, layout, l1_ratio, fit_intercept, weights):
    """KKT conditions hold, the gap is small and certifies the objective, the dtype stays."""
    X, y = make_problem(30, 50, dtype=dtype, seed=1)
    X = to_layout(X, layout).astype(dtype)
    w = weights_for(weights, X.shape[0])
    tols = TOLERANCES[dtype]
    res = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=15, sample_weight=w,
                    fit_intercept=fit_intercept, tol=tols["solver_tol"])
    assert res.coef.dtype == dtype
    assert res.coef.shape == (50, 15)
    assert np.all(np.diff(res.lambdas) < 0)
    assert res.converged.all()
    assert np.all(res.dual_gap <= tols["solver_tol"])
    assert np.all(np.isfinite(res.coef)) and np.all(np.isfinite(res.intercept))
    scale = float(np.abs(y).max() * np.abs(X).max())
    for k in range(0, 15, 4):
        b, b0 = res.coef[:, k], res.intercept[k]
        viol = kkt_violation(X, y, b, b0, res.lambdas[k], l1_ratio, w=w)
        assert viol <= tols["kkt_atol"] * scale, (k, viol)
        # the reported intercept is the optimal one for the returned coefficients
        assert b0 == pytest.approx(optimal_intercept(X, y, b.astype(np.float64), w, fit_intercept),
                                   abs=1e-4 * scale)
    if l1_ratio > 0:
        assert res.n_nonzero[0] == 0          # lambda_max gives the all-zero model
        assert res.n_nonzero[-1] > 0


@pytest.mark.parametrize("l1_ratio", [1.0, 0.7])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gap_certifies_suboptimality(l1_ratio, fit_intercept):
    """A loose solve's gap bounds its true suboptimality (measured against a tight solve)."""
    X, y = make_problem(60, 120, seed=4)
    tight = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=20, tol=1e-13,
                      fit_intercept=fit_intercept, max_epochs=100_000)
    loose = enet_path(X, y, l1_ratio=l1_ratio, lambdas=tight.lambdas, tol=1e-2,
                      fit_intercept=fit_intercept)
    for k, lam in enumerate(tight.lambdas):
        p_star = objective(X, y, tight.coef[:, k], lam, l1_ratio, intercept=tight.intercept[k])
        p = objective(X, y, loose.coef[:, k], lam, l1_ratio, intercept=loose.intercept[k])
        subopt = (p - p_star) / loose.null_objective
        assert subopt <= loose.dual_gap[k] + 1e-12
        assert loose.dual_gap[k] <= 1e-2
    # and a loose solve really is looser somewhere: the certificate is not vacuous
    assert loose.dual_gap.max() > 1e-8


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_matches_sklearn_enet_path(l1_ratio, fit_intercept, sparse):
    sk_linear = pytest.importorskip("sklearn.linear_model")
    X, y = make_problem(80, 30, seed=2, density=0.3 if sparse else None)
    res = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=10, tol=1e-12,
                    fit_intercept=fit_intercept)
    for k in [0, 3, 6, 9]:
        est = sk_linear.ElasticNet(alpha=res.lambdas[k], l1_ratio=l1_ratio, tol=1e-12,
                                   max_iter=100_000, fit_intercept=fit_intercept).fit(X, y)
        # same objective to 1e-12 of the null objective, same coefficients to the
        # precision the (flat) objective pins them down
        ours = objective(X, y, res.coef[:, k], res.lambdas[k], l1_ratio, intercept=res.intercept[k])
        theirs = objective(X, y, est.coef_, res.lambdas[k], l1_ratio, intercept=est.intercept_)
        assert ours - theirs <= 1e-12 * res.null_objective
        np.testing.assert_allclose(res.coef[:, k], est.coef_, atol=1e-5, rtol=1e-5)
        assert res.intercept[k] == pytest.approx(est.intercept_, abs=1e-5)


def test_matches_sklearn_with_weights_and_positive():
    sk_linear = pytest.importorskip("sklearn.linear_model")
    X, y = make_problem(70, 20, seed=5)
    w = weights_for("random", 70)
    for positive in [False, True]:
        res = enet_path(X, y, l1_ratio=0.8, n_lambdas=8, sample_weight=w, positive=positive,
                        tol=1e-12)
        for k in [1, 4, 7]:
            est = sk_linear.ElasticNet(alpha=res.lambdas[k], l1_ratio=0.8, tol=1e-12,
                                       max_iter=100_000, positive=positive)
            est.fit(X, y, sample_weight=w)
            np.testing.assert_allclose(res.coef[:, k], est.coef_, atol=1e-5, rtol=1e-5)
            assert res.intercept[k] == pytest.approx(est.intercept_, abs=1e-5)


def test_lambda_max_matches_closed_form():
    X, y = make_problem(50, 40, seed=6)
    res = lasso_path(X, y, n_lambdas=5)
    Xc = X - X.mean(axis=0)
    assert res.lambda_max == pytest.approx(np.abs(Xc.T @ (y - y.mean())).max() / 50, rel=1e-12)
    res = enet_path(X, y, l1_ratio=0.25, n_lambdas=5)
    assert res.lambdas[0] == pytest.approx(np.abs(Xc.T @ (y - y.mean())).max() / (50 * 0.25))
    # just below lambda_max one feature enters
    res = lasso_path(X, y, lambdas=[res.lambda_max * 0.25 * 0.999])
    assert res.n_nonzero[0] == 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_dense_equals_csc(dtype, l1_ratio, index_dtype, fit_intercept):
    X, y = make_problem(60, 80, density=0.2, seed=7, dtype=dtype)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    w = weights_for("random", 60)
    tol = TOLERANCES[dtype]
    # n < p: the objective is flat along some directions at small lambda, coefficients
    # within coef_atol need a gap well below the one that makes objectives agree
    solver_tol = tol["solver_tol"] if dtype == np.float32 else 1e-13
    sparse = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=12, sample_weight=w, tol=solver_tol,
                       fit_intercept=fit_intercept)
    dense = enet_path(X.toarray(), y, l1_ratio=l1_ratio, n_lambdas=12, sample_weight=w,
                      tol=solver_tol, fit_intercept=fit_intercept)
    np.testing.assert_allclose(sparse.lambdas, dense.lambdas, rtol=1e-5)
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=tol["coef_atol"])
    np.testing.assert_allclose(sparse.intercept, dense.intercept, atol=tol["coef_atol"])


@pytest.mark.parametrize("sparse", [False, True])
def test_float32_close_to_float64(sparse):
    X, y = make_problem(100, 40, seed=8, density=0.3 if sparse else None)
    r64 = enet_path(X, y, l1_ratio=0.5, n_lambdas=10, tol=1e-10)
    r32 = enet_path(X.astype(np.float32), y.astype(np.float32), l1_ratio=0.5, n_lambdas=10,
                    tol=1e-5)
    assert r32.coef.dtype == np.float32
    np.testing.assert_allclose(r32.lambdas, r64.lambdas, rtol=1e-5)
    for k in range(10):
        p64 = objective(X, y, r64.coef[:, k], r64.lambdas[k], 0.5, intercept=r64.intercept[k])
        p32 = objective(X, y, r32.coef[:, k], r64.lambdas[k], 0.5, intercept=r32.intercept[k])
        assert (p32 - p64) / r64.null_objective <= 1e-4
    np.testing.assert_allclose(r32.coef, r64.coef, atol=2e-2)


@pytest.mark.parametrize("sparse", [False, True])
def test_warm_start_equals_cold_start(sparse):
    X, y = make_problem(50, 70, seed=9, density=0.25 if sparse else None)
    path = enet_path(X, y, l1_ratio=0.9, n_lambdas=20, tol=1e-12)
    k = 12
    cold = enet_path(X, y, l1_ratio=0.9, lambdas=[path.lambdas[k]], tol=1e-12)
    warm = enet_path(X, y, l1_ratio=0.9, lambdas=[path.lambdas[k]], tol=1e-12,
                     coef_init=path.coef[:, k - 1])
    np.testing.assert_allclose(cold.coef[:, 0], path.coef[:, k], atol=1e-5)
    np.testing.assert_allclose(warm.coef[:, 0], path.coef[:, k], atol=1e-5)
    for res in (cold, warm):
        p = objective(X, y, res.coef[:, 0], res.lambdas[0], 0.9, intercept=res.intercept[0])
        p_path = objective(X, y, path.coef[:, k], res.lambdas[0], 0.9, intercept=path.intercept[k])
        assert abs(p - p_path) <= 1e-12 * path.null_objective
    # the warm start saves sweeps (at tol 1e-12 both spend ~13, the last digits' worth,
    # and the count moves by one with the inner-tolerance schedule; at 1e-8 it saves a third)
    assert warm.n_epochs[0] <= cold.n_epochs[0] + 1
    cold = enet_path(X, y, l1_ratio=0.9, lambdas=[path.lambdas[k]], tol=1e-8)
    warm = enet_path(X, y, l1_ratio=0.9, lambdas=[path.lambdas[k]], tol=1e-8,
                     coef_init=path.coef[:, k - 1])
    assert warm.n_epochs[0] < cold.n_epochs[0]
    # a warm start at the solution itself needs (almost) nothing
    again = enet_path(X, y, l1_ratio=0.9, lambdas=[path.lambdas[k]], tol=1e-10,
                      coef_init=path.coef[:, k])
    assert again.n_epochs[0] <= 2


@pytest.mark.parametrize("sparse", [False, True])
def test_integer_weights_equal_row_repetition(sparse):
    X, y = make_problem(40, 25, seed=10, density=0.3 if sparse else None)
    counts = np.random.default_rng(0).integers(0, 4, size=40)
    counts[0] = 1
    Xd = X.toarray() if sparse else X
    X_rep = np.repeat(Xd, counts, axis=0)
    y_rep = np.repeat(y, counts)
    if sparse:
        X_rep = sp.csc_matrix(X_rep)
    # coefficients within 1e-7 on these correlated columns need a gap near 1e-15
    weighted = enet_path(X, y, l1_ratio=0.7, n_lambdas=10, sample_weight=counts, tol=1e-15)
    repeated = enet_path(X_rep, y_rep, l1_ratio=0.7, lambdas=weighted.lambdas, tol=1e-15)
    np.testing.assert_allclose(weighted.coef, repeated.coef, atol=1e-7)
    np.testing.assert_allclose(weighted.intercept, repeated.intercept, atol=1e-7)
    assert weighted.lambda_max == pytest.approx(repeated.lambda_max, rel=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_penalty_factor_zero_leaves_feature_unpenalized(sparse, l1_ratio):
    X, y = make_problem(60, 30, seed=11, density=0.4 if sparse else None)
    factor = np.ones(30)
    factor[[3, 17]] = 0.0
    res = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=10, penalty_factor=factor, tol=1e-11)
    assert res.converged.all()
    # unpenalized features are in the model from the start, and equal a plain least-squares fit
    assert np.all(res.coef[[3, 17], 0] != 0)
    assert np.count_nonzero(res.coef[:, 0]) == 2
    Xd = X.toarray() if sparse else X
    A = np.column_stack([np.ones(60), Xd[:, [3, 17]]])
    ls = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(res.coef[[3, 17], 0], ls[1:], rtol=1e-7)
    assert res.intercept[0] == pytest.approx(ls[0], rel=1e-7)
    for k in [0, 5, 9]:
        viol = kkt_violation(X, y, res.coef[:, k], res.intercept[k], res.lambdas[k], l1_ratio,
                             factor=factor)
        assert viol < 1e-5
    # other factors scale the penalty: factor 2 equals doubling lambda for that feature
    factor2 = np.full(30, 2.0)
    res2 = enet_path(X, y, l1_ratio=l1_ratio, lambdas=res.lambdas / 2, penalty_factor=factor2,
                     tol=1e-12)
    res1 = enet_path(X, y, l1_ratio=l1_ratio, lambdas=res.lambdas, tol=1e-12)
    np.testing.assert_allclose(res2.coef, res1.coef, atol=1e-8)


def test_duplicated_unpenalized_features():
    X, y = make_problem(40, 10, seed=12)
    X = np.asfortranarray(np.column_stack([X, X[:, 2]]))
    factor = np.ones(11)
    factor[[2, 10]] = 0
    res = enet_path(X, y, n_lambdas=5, penalty_factor=factor, tol=1e-10)
    assert res.converged.all()
    for k in range(5):
        assert kkt_violation(X, y, res.coef[:, k], res.intercept[k], res.lambdas[k], 1.0,
                             factor=factor) < 1e-6


@pytest.mark.parametrize("sparse", [False, True])
def test_bounds_are_respected(sparse):
    X, y = make_problem(50, 20, seed=13, density=0.5 if sparse else None)
    lower = np.full(20, -0.5)
    upper = np.full(20, 0.8)
    lower[4], upper[4] = 0.3, 0.6      # excludes 0: the feature is always in the model
    res = enet_path(X, y, l1_ratio=0.6, n_lambdas=10, lower_bounds=lower, upper_bounds=upper,
                    tol=1e-11)
    assert res.converged.all()
    assert np.all(res.coef >= lower[:, None] - 1e-12) and np.all(res.coef <= upper[:, None] + 1e-12)
    assert np.all(res.coef[4] >= 0.3)
    assert np.any(res.coef == 0.8) or np.any(res.coef == -0.5)   # some bound is active
    for k in [0, 5, 9]:
        assert kkt_violation(X, y, res.coef[:, k], res.intercept[k], res.lambdas[k], 0.6,
                             lower=lower, upper=upper) < 1e-5


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("weights", [None, "random"])
def test_bounded_unpenalized_features_certify(dtype, sparse, l1_ratio, weights):
    # penalty factor 0 with a finite bound (a non-negative unpenalized coefficient, ...):
    # the dual point's scaling cannot absorb their s_j (alpha = 0), so they go through the
    # exact block step while inside their bounds. Before, most lambdas stalled with a gap
    # of ~the null objective. Some features end inside their bounds, some on them.
    X, y = make_problem(120, 15, seed=21, density=0.5 if sparse else None, dtype=dtype)
    p = X.shape[1]
    w = None if weights is None else weights_for("random", 120)
    factor = np.ones(p)
    factor[[0, 1, 2, 3, 4]] = 0.0
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    lower[0] = 0.0                       # non-negative
    upper[1] = 0.0                       # non-positive
    lower[2], upper[2] = -0.05, 0.05     # a box that binds
    lower[3] = 0.0                       # non-negative, and the data want it negative
    # feature 4: unpenalized and unbounded, the block step's original case
    tol = 1e-11 if dtype == np.float64 else 1e-5
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # no ConvergenceWarning
        res = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=15, penalty_factor=factor,
                        lower_bounds=lower, upper_bounds=upper, sample_weight=w, tol=tol)
    assert res.converged.all()
    lo, hi = lower.astype(dtype), upper.astype(dtype)     # (the bounds as the dtype holds them)
    assert np.all(res.coef >= lo[:, None]) and np.all(res.coef <= hi[:, None])
    atol = 1e-5 if dtype == np.float64 else 1e-2
    for k in range(15):
        assert kkt_violation(X, y, res.coef[:, k], res.intercept[k], res.lambdas[k], l1_ratio,
                             w=w, factor=factor, lower=lower, upper=upper) < atol
    # some bounded ones end on a bound, some inside
    on_bound = [(res.coef[j] == lo[j]) | (res.coef[j] == hi[j]) for j in range(4)]
    assert any(b.any() for b in on_bound) and any((~b).any() for b in on_bound)


def test_positive_matches_lower_bound_zero():
    X, y = make_problem(50, 30, seed=14)
    a = enet_path(X, y, positive=True, n_lambdas=8, tol=1e-12)
    b = enet_path(X, y, lower_bounds=0.0, n_lambdas=8, tol=1e-12)
    assert np.all(a.coef >= 0)
    np.testing.assert_array_equal(a.coef, b.coef)


def test_constant_and_zero_columns_and_duplicates():
    X, y = make_problem(40, 12, seed=15)
    X = np.column_stack([X, np.full(40, 3.0), np.zeros(40), X[:, 0]])
    for Xs in [np.asfortranarray(X), sp.csc_matrix(X)]:
        res = enet_path(Xs, y, l1_ratio=0.9, n_lambdas=10, tol=1e-10)
        assert res.converged.all()
        assert np.all(res.coef[12:14] == 0)          # constant and zero columns stay out
        # duplicated columns share the weight equally (the L2 part makes it unique); the gap
        # bounds the difference: (1-a) lam/2 * 2 (d/2)^2 <= gap  =>  |d| <= 2 sqrt(gap / ((1-a) lam))
        # (a gap below 1e-15 of the null objective is rounding: the certificate cannot see it)
        gap = np.maximum(res.dual_gap, 1e-15)
        bound = 2 * np.sqrt(gap * res.null_objective / (0.1 * res.lambdas))
        assert np.all(np.abs(res.coef[0] - res.coef[14]) <= bound + 1e-12)
        # and a tighter tolerance brings them together (the bound above shrinks with it)
        tight = enet_path(Xs, y, l1_ratio=0.9, n_lambdas=10, tol=1e-12)
        assert np.abs(tight.coef[0] - tight.coef[14]).max() < 1e-8
        for k in [2, 9]:
            assert kkt_violation(X, y, res.coef[:, k], res.intercept[k], res.lambdas[k], 0.9) < 1e-5


@pytest.mark.parametrize("sparse", [False, True])
def test_constant_y(sparse):
    X, _ = make_problem(30, 10, seed=16, density=0.5 if sparse else None)
    y = np.full(30, 7.25)
    res = enet_path(X, y, n_lambdas=5)
    assert res.converged.all()
    assert np.all(res.coef == 0)
    np.testing.assert_array_equal(res.intercept, 7.25)
    assert np.all(np.isfinite(res.lambdas)) and np.all(res.lambdas > 0)


def test_one_sample_and_one_feature():
    res = enet_path(np.array([[1.0, 2.0, 3.0]]), [5.0], n_lambdas=3)
    assert np.all(res.coef == 0) and np.allclose(res.intercept, 5.0)
    X, y = make_problem(50, 1, seed=17, n_informative=1)
    res = enet_path(X, y, l1_ratio=0.5, n_lambdas=10, tol=1e-12)
    xc, yc = X[:, 0] - X[:, 0].mean(), y - y.mean()
    for k in range(10):   # closed form for one feature: soft-threshold / (norm + L2)
        lam = res.lambdas[k]
        z = xc @ yc / 50
        b = np.sign(z) * max(abs(z) - 0.5 * lam, 0) / (xc @ xc / 50 + 0.5 * lam)
        assert res.coef[0, k] == pytest.approx(b, rel=1e-9, abs=1e-12)


def test_ridge_closed_form():
    X, y = make_problem(40, 60, seed=18)
    lam = 0.3
    res = enet_path(X, y, l1_ratio=0.0, lambdas=[lam], tol=1e-13, max_epochs=100_000)
    Xc, yc = X - X.mean(0), y - y.mean()
    beta = np.linalg.solve(Xc.T @ Xc / 40 + lam * np.eye(60), Xc.T @ yc / 40)
    np.testing.assert_allclose(res.coef[:, 0], beta, atol=1e-6)
    # the default grid for l1_ratio=0 starts at the l1_ratio=1e-3 lambda_max (as glmnet)
    res = enet_path(X, y, l1_ratio=0.0, n_lambdas=3)
    assert res.lambdas[0] == pytest.approx(np.abs(Xc.T @ yc).max() / 40 / 1e-3)


def test_read_only_and_no_copy():
    X, y = make_problem(30, 20, seed=19)
    X.setflags(write=False)
    y.setflags(write=False)
    res = enet_path(X, y, n_lambdas=5)
    assert res.converged.all()
    from fastreg._validation import check_design
    assert check_design(X) is X                                   # F-ordered: no copy
    Xs = sp.csc_matrix(X)
    Xs.data.setflags(write=False)
    assert check_design(Xs) is Xs                                 # canonical CSC: no copy
    np.testing.assert_allclose(enet_path(Xs, y, n_lambdas=5).coef, res.coef, atol=1e-8)


def test_unsorted_and_duplicate_csc_indices():
    X, y = make_problem(40, 15, seed=20, density=0.4)
    ref = enet_path(X, y, n_lambdas=8, tol=1e-12)
    # reverse the order of the entries inside every column
    data, indices = X.data.copy(), X.indices.copy()
    for j in range(15):
        s, e = X.indptr[j], X.indptr[j + 1]
        data[s:e], indices[s:e] = data[s:e][::-1], indices[s:e][::-1]
    unsorted = sp.csc_matrix((data, indices, X.indptr.copy()), shape=X.shape)
    np.testing.assert_allclose(enet_path(unsorted, y, n_lambdas=8, tol=1e-12).coef, ref.coef,
                               atol=1e-9)
    # split every entry in two halves: duplicates sum to the same matrix
    data = np.concatenate([np.tile(X.data[X.indptr[j]:X.indptr[j + 1]] / 2, 2) for j in range(15)])
    indices = np.concatenate([np.tile(X.indices[X.indptr[j]:X.indptr[j + 1]], 2) for j in range(15)])
    dup = sp.csc_matrix((data, indices, 2 * X.indptr), shape=X.shape)
    assert not dup.has_canonical_format
    np.testing.assert_allclose(enet_path(dup, y, n_lambdas=8, tol=1e-12).coef, ref.coef, atol=1e-9)


def one_hot_problem(n=300, levels=(4, 6, 9), seed=0):
    """Reference-coded one-hot columns (every stored value 1, full rank with the
    intercept) and two general sparse columns; y from a few levels and noise."""
    rng = np.random.default_rng(seed)
    blocks = []
    for k in levels:
        codes = rng.choice(k, size=n, p=np.arange(k, 0, -1) / (k * (k + 1) / 2))
        blocks.append(sp.csc_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, k))[:, 1:])
    blocks.append(sp.random(n, 2, density=0.3, format="csc", random_state=seed,
                            data_rvs=lambda m: rng.uniform(0.5, 2.0, size=m)))
    X = sp.hstack(blocks, format="csc")
    coef = rng.standard_normal(X.shape[1]) * (rng.uniform(size=X.shape[1]) < 0.5)
    y = X @ coef + 0.3 * rng.standard_normal(n) + 1.0
    return X, y


def test_unit_columns_flags():
    from fastreg._cd import unit_columns
    X = sp.csc_matrix(np.array([[1.0, 2.0, 0.0, 1.0, -1.0],
                                [0.0, 1.0, 0.0, 1.0, 1.0],
                                [1.0, 0.0, 0.0, 0.0, 0.0]]))
    for dtype in (np.float64, np.float32):
        flags = unit_columns(X.data.astype(dtype), X.indptr)
        np.testing.assert_array_equal(flags, [1, 0, 1, 1, 0])    # (empty column: vacuously)
    assert unit_columns(np.ones(0), np.zeros(1, dtype=np.int64)).shape == (0,)
    # indptr that would read outside data: refused before any read
    with pytest.raises(ValueError, match="indptr"):
        unit_columns(np.ones(3), np.array([0, 2, 5], dtype=np.int32))
    with pytest.raises(ValueError, match="indptr"):
        unit_columns(np.ones(3), np.array([0, 2, 1], dtype=np.int64))
    with pytest.raises(ValueError, match="indptr"):
        unit_columns(np.ones(3), np.zeros(0, dtype=np.int32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weights", [None, "random"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_one_hot_columns_value_free_loops_are_exact(dtype, weights, l1_ratio):
    # the CSC dots and updates of unit-valued columns skip the values (_design.pxd): the
    # same path bit for bit as the loops that read them, and the dense storage's solutions
    from fastreg import _cd
    X, y = one_hot_problem()
    X, y = X.astype(dtype), y.astype(dtype)
    assert _cd.unit_columns(X.data, X.indptr).sum() == X.shape[1] - 2
    n, p = X.shape
    w = weights_for(weights, n)
    kw = dict(sample_weight=None if w is None else (w * n / w.sum()).astype(dtype),
              penalty_factor=np.ones(p), lower_bounds=np.full(p, -np.inf),
              upper_bounds=np.full(p, np.inf), l1_ratio=l1_ratio, lambdas_relative=True,
              tol=TOLERANCES[dtype]["solver_tol"], max_epochs=100_000, fit_intercept=True)
    fast, slow = (_cd.enet_path_csc(X.data, X.indices, X.indptr, n, y,
                                    lambdas=np.geomspace(1.0, 1e-3, 15),
                                    skip_unit_values=skip, **kw) for skip in (True, False))
    for name in ("coef", "intercept", "dual_gap", "n_epochs"):
        np.testing.assert_array_equal(fast[name], slow[name])
    assert (np.count_nonzero(fast["coef"], axis=0)[1:] > 0).all()
    sparse = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=15, sample_weight=w,
                       tol=TOLERANCES[dtype]["solver_tol"])
    dense = enet_path(X.toarray(order="F"), y, l1_ratio=l1_ratio, n_lambdas=15,
                      sample_weight=w, tol=TOLERANCES[dtype]["solver_tol"])
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=TOLERANCES[dtype]["coef_atol"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["F", "csc"])
@pytest.mark.parametrize("plain_warm_start", [False, True])
def test_sparse_solution_output_equals_dense(dtype, layout, plain_warm_start):
    # the kernel's two outputs (dense columns, or the non-zeros as CSC columns with the
    # predictor's previous solution kept aside): the same path bit for bit
    from fastreg import _cd
    X, y = make_problem(60, 90, seed=4, dtype=dtype)
    X = to_layout(X, layout).astype(dtype)
    p, lam = X.shape[1], np.geomspace(1.0, 1e-2, 25)
    w = weights_for("random", 60)
    kw = dict(sample_weight=(w * 60 / w.sum()).astype(dtype), penalty_factor=np.ones(p),
              lower_bounds=np.full(p, -np.inf), upper_bounds=np.full(p, np.inf),
              l1_ratio=0.8, lambdas_relative=True, tol=1e-9, max_epochs=100_000,
              fit_intercept=True, plain_warm_start=plain_warm_start)

    def run(sparse_coef):
        if layout == "csc":
            return _cd.enet_path_csc(X.data, X.indices, X.indptr, 60, y, lambdas=lam.copy(),
                                     sparse_coef=sparse_coef, **kw)
        return _cd.enet_path_dense(X, y, lambdas=lam.copy(), sparse_coef=sparse_coef, **kw)

    dense, sparse = run(False), run(True)
    assert sparse["coef"] is None
    values, rows, indptr = sparse["coef_sparse"]
    assert values.dtype == dtype and indptr.size == lam.size + 1
    assert np.all(values != 0)
    C = sp.csc_array((values, rows, indptr), shape=(p, lam.size)).toarray()
    np.testing.assert_array_equal(C, dense["coef"])
    np.testing.assert_array_equal(sparse["n_epochs"], dense["n_epochs"])
    np.testing.assert_array_equal(sparse["intercept"], dense["intercept"])
    assert np.diff(indptr)[-1] >= 10                    # (a path with something to keep)


def test_path_keeps_coefficients_sparse_until_read():
    X, y = make_problem(80, 300, density=0.1, seed=5, dtype=np.float32)
    res = enet_path(X, y, n_lambdas=20)
    assert res.__dict__["_coef"] is None                  # no n_features x n_lambdas array
    S = res.coef_sparse
    assert S.shape == (300, 20) and S.dtype == np.float32 and S.has_sorted_indices
    np.testing.assert_array_equal(res.n_nonzero, np.diff(S.indptr))
    assert res.n_features == 300
    pred = res.predict(X)
    column = res.coef_column(7)
    repr(res)
    assert res.__dict__["_coef"] is None      # predict, coef_column, repr: the sparse form
    copied = pickle.loads(pickle.dumps(res))
    assert copied.__dict__["_coef"] is None
    dense = res.coef                                      # built on first read, then kept
    assert dense.dtype == np.float32 and dense.flags["F_CONTIGUOUS"] and res.coef is dense
    np.testing.assert_array_equal(dense, S.toarray())
    np.testing.assert_array_equal(column, dense[:, 7])
    np.testing.assert_array_equal(copied.coef, dense)
    np.testing.assert_array_equal(res.n_nonzero, np.count_nonzero(dense, axis=0))
    np.testing.assert_allclose(pred, X @ dense + res.intercept, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(copy.deepcopy(res).coef, dense)
    np.testing.assert_array_equal(dataclasses.replace(res, tol=1.0).coef, dense)


def test_coef_built_once_under_threads():
    X, y = make_problem(60, 2000, density=0.05, seed=6)
    res = enet_path(X, y, n_lambdas=30)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(res.coef)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(c is seen[0] for c in seen)


def test_result_pickled_with_a_dense_coef_field_loads():
    # results pickled before coef could be held sparse kept it in __dict__["coef"]
    from fastreg import PathResult
    res = enet_path(*make_problem(30, 10, seed=8), n_lambdas=4)
    state = {k: v for k, v in res.__dict__.items() if k not in ("_coef", "_coef_sparse")}
    state["coef"] = res.coef.copy()
    old = PathResult.__new__(PathResult)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.coef, res.coef)
    np.testing.assert_array_equal(old.n_nonzero, res.n_nonzero)
    assert old.n_features == 10 and "PathResult" in repr(old)


def test_path_result_accepts_dense_or_sparse_coef():
    from fastreg import PathResult
    common = dict(lambdas=np.array([2.0, 1.0]), intercept=np.zeros(2), dual_gap=np.zeros(2),
                  n_epochs=np.zeros(2, dtype=int), n_passes=np.zeros(2, dtype=int),
                  converged=np.ones(2, bool), status=np.zeros(2, dtype=np.intc),
                  dev_ratio=np.zeros(2), l1_ratio=1.0, tol=1e-4, lambda_max=2.0,
                  null_objective=1.0)
    dense = np.array([[0.0, 1.5], [0.0, 0.0], [2.0, 0.0]])
    # duplicates and a stored zero: summed and dropped
    coo = sp.coo_matrix(([2.0, 1.0, 0.5, 0.0], ([2, 0, 0, 1], [0, 1, 1, 1])), shape=(3, 2))
    canonical = sp.csc_array(dense)
    kept = PathResult(coef=canonical, **common)
    assert kept.coef_sparse is canonical          # a canonical CSC array is not copied
    for coef in (dense, coo):
        res = PathResult(coef=coef, **common)
        np.testing.assert_array_equal(res.coef, dense)
        np.testing.assert_array_equal(res.coef_sparse.toarray(), dense)
        np.testing.assert_array_equal(res.n_nonzero, [1, 1])
        assert res.n_features == 3
    with pytest.raises(TypeError):
        PathResult(**common)                              # coef is still required


def test_user_lambdas_sorted_and_zero_allowed():
    X, y = make_problem(80, 10, seed=21)
    res = enet_path(X, y, lambdas=[0.01, 0.5, 0.1], tol=1e-10)
    np.testing.assert_array_equal(res.lambdas, [0.5, 0.1, 0.01])
    # lambda = 0 is plain least squares: its dual is feasible only at an exact solution, so
    # the solver says it cannot certify the result, which is nonetheless the LS solution
    with pytest.warns(fastreg.ConvergenceWarning, match="lambda=0 "):
        ols = enet_path(X, y, l1_ratio=0.5, lambdas=[0.0], tol=1e-10, max_epochs=3000)
    Xc = X - X.mean(0)
    np.testing.assert_allclose(ols.coef[:, 0], np.linalg.lstsq(Xc, y - y.mean(), rcond=None)[0],
                               atol=1e-6)


def test_predict_and_result_fields():
    X, y = make_problem(30, 8, seed=22)
    res = enet_path(X, y, n_lambdas=6)
    pred = res.predict(X)
    assert pred.shape == (30, 6)
    np.testing.assert_allclose(pred[:, 3], X @ res.coef[:, 3] + res.intercept[3])
    np.testing.assert_allclose(res.predict(sp.csr_matrix(X)), pred)
    assert res.dev_ratio[0] == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.diff(res.dev_ratio) >= -1e-9) and res.dev_ratio[-1] > 0.5
    # a lambda the bound test certifies costs no full pass; the first needs none either
    assert np.all(res.n_passes >= 0) and res.n_passes.sum() <= len(res.lambdas)
    assert "PathResult" in repr(res)
    with pytest.raises(ValueError, match="features"):
        res.predict(X[:, :3])


def test_non_convergence_warns_with_gap():
    X, y = make_problem(50, 200, seed=23)
    with pytest.warns(fastreg.ConvergenceWarning, match=r"duality gap .* max_epochs"):
        res = enet_path(X, y, n_lambdas=10, tol=1e-12, max_epochs=2)
    assert not res.converged.all()
    assert np.any(res.status == 1)
    assert np.all(res.dual_gap[~res.converged] > 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enet_path(X, y, n_lambdas=10, tol=1e-12, max_epochs=2, check_convergence=False)


def test_float32_tolerance_below_precision_stalls_with_warning():
    X, y = make_problem(50, 30, seed=24, dtype=np.float32)
    with pytest.warns(fastreg.ConvergenceWarning, match="float32"):
        res = enet_path(X, y, n_lambdas=5, tol=1e-14, max_epochs=1_000_000)
    assert np.any(res.status == 2)
    assert np.all(np.isfinite(res.coef))


def test_paths_run_in_threads():
    """The kernel holds no global state and releases the GIL: concurrent paths agree with
    sequential ones."""
    from concurrent.futures import ThreadPoolExecutor
    problems = [make_problem(200, 300, seed=s, density=0.1 if s % 2 else None) for s in range(4)]
    sequential = [enet_path(X, y, l1_ratio=0.8, n_lambdas=30) for X, y in problems]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda Xy: enet_path(*Xy, l1_ratio=0.8, n_lambdas=30), problems))
    for a, b in zip(sequential, threaded):
        np.testing.assert_array_equal(a.coef, b.coef)
        np.testing.assert_array_equal(a.dual_gap, b.dual_gap)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["F", "csc"])
@pytest.mark.parametrize("offset", [1e3, 1e4])
def test_certificate_holds_for_columns_far_from_zero(dtype, layout, offset):
    """Columns with large means (implicit centring at scale): the reported gap still bounds
    the true suboptimality, measured against a float64 solve of the same rounded data."""
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((300, 15))
    y = Z @ rng.standard_normal(15) + 0.5 * rng.standard_normal(300)
    X = to_layout((Z + offset).astype(dtype), layout)
    X64 = X.astype(np.float64)
    ref = enet_path(X64, y, lambdas=[0.05, 0.01], tol=1e-13, max_epochs=100_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastreg.ConvergenceWarning)   # float32 may stall
        res = enet_path(X, y.astype(dtype), lambdas=[0.05, 0.01], tol=1e-6)
    for k, lam in enumerate(ref.lambdas):
        p = objective(X64, y, res.coef[:, k], lam, 1.0,
                      intercept=optimal_intercept(X64, y, res.coef[:, k].astype(np.float64), None, True))
        p_star = objective(X64, y, ref.coef[:, k], lam, 1.0, intercept=ref.intercept[k])
        subopt = (p - p_star) / ref.null_objective
        assert subopt <= res.dual_gap[k] + 1e-6 * (dtype == np.float32) + 1e-12
        if res.status[k] == 0:
            assert subopt <= 1e-5 if dtype == np.float32 else subopt <= 1e-6


def test_feature_with_tiny_relative_spread_is_kept():
    """Unix timestamps within one hour vary by 1e-6 of their mean: a feature, not a constant."""
    rng = np.random.default_rng(1)
    t = 1.7e9 + rng.uniform(0, 3600, 400)
    other = rng.standard_normal((400, 3))
    y = 1e-3 * (t - t.mean()) + other @ [1.0, 2.0, 3.0] + 0.1 * rng.standard_normal(400)
    X = np.column_stack([t, other])
    res = enet_path(X, y, lambdas=[1e-3], tol=1e-12)
    Xc = X - X.mean(0)
    ols = np.linalg.lstsq(Xc, y - y.mean(), rcond=None)[0]
    assert res.coef[0, 0] == pytest.approx(ols[0], rel=1e-2)


def test_constant_y_on_the_weighted_rows():
    """A CV fold whose training rows share one y value: the null model, no warnings."""
    X, _ = make_problem(40, 8, seed=25)
    y = np.full(40, 2.5)
    y[30:] = np.arange(10.0)
    w = np.r_[np.ones(30), np.zeros(10)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = enet_path(X, y, n_lambdas=5, sample_weight=w)
    assert np.all(res.coef == 0) and np.allclose(res.intercept, 2.5)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_bound_test_certificates_are_honest(sparse, weighted, l1_ratio):
    # most lambdas are certified by the bound on |s_j| (no full pass): each certificate
    # must still bound the true suboptimality, and the KKT conditions must hold
    X, y = make_problem(120, 600, seed=31, density=0.05 if sparse else None, n_informative=15)
    w = np.random.default_rng(2).uniform(0.1, 2.0, 120) if weighted else None
    res = enet_path(X, y, l1_ratio=l1_ratio, n_lambdas=40, lambda_min_ratio=1e-2,
                    sample_weight=w, tol=1e-7)
    assert res.converged.all()
    ref = enet_path(X, y, l1_ratio=l1_ratio, lambdas=res.lambdas, sample_weight=w,
                    tol=1e-14, check_convergence=False)
    Xd = X.toarray() if sparse else X
    wn = np.ones(120) if w is None else w * 120 / w.sum()
    col_curvature = np.max(wn @ (Xd - wn @ Xd / 120) ** 2) / 120
    for k in range(40):
        p_res = objective(X, y, res.coef[:, k], res.lambdas[k], l1_ratio, w=w,
                          intercept=res.intercept[k])
        p_ref = objective(X, y, ref.coef[:, k], res.lambdas[k], l1_ratio, w=w,
                          intercept=ref.intercept[k])
        assert (p_res - p_ref) / res.null_objective <= res.dual_gap[k] + 1e-14
        # a coordinate violating its KKT condition by v would let one exact coordinate
        # step gain v^2 / (2 c_j), c_j its curvature: the gap bounds every violation
        curvature = col_curvature + (1 - l1_ratio) * res.lambdas[k]
        v = kkt_violation(X, y, res.coef[:, k], res.intercept[k], res.lambdas[k], l1_ratio, w=w)
        assert v <= np.sqrt(2 * curvature * (res.dual_gap[k] + 1e-15) * res.null_objective)
    # the residual moves within the span of the last references: most lambdas, and
    # at the deep end nearly all, are certified without a full pass (measured 4-7 of 40)
    assert res.n_passes.sum() <= 12


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["F", "csc"])
def test_low_level_entry_points_check_their_inputs(dtype, layout):
    # fastreg._cd is the embedding API: enet_path validates nothing for it, so wrong
    # lengths (reads and writes outside the arrays) and weights that do not sum to n
    # (every certificate fails) are refused with the argument's name
    from fastreg import _cd
    X, y = make_problem(30, 8, seed=2, dtype=dtype)
    X = to_layout(X, layout).astype(dtype)
    n, p = X.shape
    base = dict(penalty_factor=np.ones(p), lower_bounds=np.full(p, -np.inf),
                upper_bounds=np.full(p, np.inf), l1_ratio=1.0, lambdas_relative=True,
                tol=1e-6, max_epochs=1000, fit_intercept=True)

    def run(yy=y, **kw):
        args = dict(base, **kw)
        lam = np.geomspace(1.0, 0.1, 4)
        if layout == "csc":
            return _cd.enet_path_csc(X.data, X.indices, X.indptr, n, yy, lambdas=lam, **args)
        return _cd.enet_path_dense(X, yy, lambdas=lam, **args)

    w = np.linspace(0.5, 1.5, n)
    assert run(sample_weight=(w * n / w.sum()).astype(dtype))["status"].max() == 0
    with pytest.raises(ValueError, match="y has 29 values but X has 30 rows"):
        run(y[:-1].copy())
    for name in ("penalty_factor", "lower_bounds", "upper_bounds"):
        with pytest.raises(ValueError, match=f"{name} must have one entry per feature"):
            run(**{name: base[name][:-1].copy()})
    with pytest.raises(ValueError, match="coef_init must have one entry per feature"):
        run(coef_init=np.zeros(p + 1, dtype=dtype))
    with pytest.raises(ValueError, match="sample_weight has 31 values"):
        run(sample_weight=np.ones(n + 1, dtype=dtype))
    with pytest.raises(ValueError, match=r"sample_weight must be >= 0 and sum to n_samples"):
        run(sample_weight=(2.0 * w).astype(dtype))          # raw weights: they sum to 60
    with pytest.raises(ValueError, match=r"sample_weight must be >= 0 and sum to n_samples"):
        bad = np.ones(n, dtype=dtype)
        bad[0], bad[1] = -1.0, 3.0
        run(sample_weight=bad)
    if layout == "csc":
        with pytest.raises(ValueError, match="indices must have one entry per stored value"):
            _cd.enet_path_csc(X.data, X.indices[:-1].copy(), X.indptr, n, y,
                              lambdas=np.geomspace(1.0, 0.1, 4), **base)
