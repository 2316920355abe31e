"""fastreg.ridge_path and the Ridge/RidgeCV estimators: closed forms first (the normal
equations, the hat matrix, refits without a sample), then scikit-learn, enet_path, and the
duality-gap certificates."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastreg
from fastreg import _krylov, _ridge_krylov
from fastreg._krylov import GolubKahan
from fastreg._ridge import ridge_path
from fastreg._ridge_design import Reduction, certificate
from conftest import TOLERANCES, make_problem, rescaled, to_layout

SOLVERS = ["eigen", "cholesky", "lsqr"]


def oracle(X, y, lam, *, w=None, fit_intercept=True, factor=None):
    """(beta, b) from the normal equations of the weighted ridge problem, in float64."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X)
    X, y = X.astype(np.float64), np.asarray(y, dtype=np.float64)
    n, p = X.shape
    w = rescaled(w, n)
    v = np.ones(p) if factor is None else np.asarray(factor, dtype=np.float64)
    Z = np.c_[np.ones(n), X] if fit_intercept else X
    pen = np.r_[0.0, v] if fit_intercept else v
    # (Z^T W Z / n + lam diag(pen)) theta = Z^T W y / n, minimum norm when singular
    theta = np.linalg.lstsq(Z.T @ (w[:, None] * Z) / n + lam * np.diag(pen),
                            Z.T @ (w * y) / n, rcond=1e-13)[0]
    return (theta[1:], theta[0]) if fit_intercept else (theta, 0.0)


def ridge_objective(X, y, beta, b, lam, w=None, factor=None):
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    w = rescaled(w, len(y))
    v = np.ones_like(beta) if factor is None else factor
    r = np.asarray(y, dtype=np.float64) - b - X @ beta
    return np.sum(w * r * r) / (2 * len(y)) + 0.5 * lam * np.sum(v * beta * beta)


def weights(n, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 3.0, n)


LAMBDAS = np.array([3.0, 0.3, 0.03, 0.003])


# ---------------------------------------------------------------------------------------
# the solution

@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("layout", ["F", "csc", "csr"])
@pytest.mark.parametrize("shape", [(30, 50), (50, 20)], ids=["n<p", "n>p"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_normal_equations(solver, layout, shape, fit_intercept, weighted):
    X, y = make_problem(*shape, seed=1)
    X = to_layout(X, layout)
    w = weights(shape[0]) if weighted else None
    res = ridge_path(X, y, lambdas=LAMBDAS, sample_weight=w, fit_intercept=fit_intercept,
                     solver=solver, tol=1e-12)
    assert res.solver == solver and np.all(res.status == 0)
    assert res.l1_ratio == 0.0 and res.lambda_max == LAMBDAS[0]
    for k, lam in enumerate(res.lambdas):
        beta, b = oracle(X, y, lam, w=w, fit_intercept=fit_intercept)
        np.testing.assert_allclose(res.coef[:, k], beta, atol=1e-5 if solver == "lsqr" else 1e-9)
        assert res.intercept[k] == pytest.approx(b, abs=1e-5 if solver == "lsqr" else 1e-9)
        # the certificate: objective - optimum <= dual_gap * null objective
        gap = (ridge_objective(X, y, res.coef[:, k], res.intercept[k], lam, w)
               - ridge_objective(X, y, beta, b, lam, w))
        assert gap <= res.dual_gap[k] * res.null_objective + 1e-13 * res.null_objective


@pytest.mark.parametrize("layout", ["F", "csc", "csr"])
def test_penalty_factors_constant_columns_and_unpenalized_features(layout):
    X, y = make_problem(40, 30, seed=2)
    X[:, 3] = 2.5            # constant: beta = 0, whatever its penalty factor
    X[:, 4] = 0.0
    X[:, 5] = X[:, 6]        # a duplicated penalized pair shares its coefficient
    factor = np.random.default_rng(1).uniform(0.5, 2.0, 30)
    factor[[0, 1, 3]] = 0.0  # unpenalized (feature 3 is also constant)
    factor[5] = factor[6]
    X = to_layout(X, layout)
    w = weights(40, seed=3)
    for solver in SOLVERS:
        res = ridge_path(X, y, lambdas=LAMBDAS, sample_weight=w, penalty_factor=factor,
                         solver=solver, tol=1e-13)
        assert res.n_unpenalized == 3
        assert np.all(res.coef[[3, 4]] == 0.0)
        np.testing.assert_allclose(res.coef[5], res.coef[6], atol=1e-6)
        for k, lam in enumerate(res.lambdas):
            beta, b = oracle(X, y, lam, w=w, factor=factor)
            keep = np.arange(30) != 3          # feature 3's coefficient is not identifiable
            np.testing.assert_allclose(res.coef[keep, k], beta[keep], atol=1e-6)
            fitted = np.asarray(X @ res.coef[:, k]) + res.intercept[k]
            np.testing.assert_allclose(fitted, np.asarray(X @ beta) + b, atol=1e-6)


def test_matches_sklearn_ridge_and_enet_path():
    sk = pytest.importorskip("sklearn.linear_model")
    X, y = make_problem(60, 25, seed=4)
    w = weights(60, seed=4)
    res = ridge_path(X, y, n_lambdas=8, sample_weight=w)
    # enet_path(l1_ratio=0) solves the same problem by coordinate descent
    cd = fastreg.enet_path(X, y, l1_ratio=0.0, lambdas=res.lambdas[2:6], sample_weight=w,
                           tol=1e-13, max_epochs=100_000)
    np.testing.assert_allclose(cd.coef, res.coef[:, 2:6], atol=1e-6)
    np.testing.assert_allclose(cd.intercept, res.intercept[2:6], atol=1e-6)
    for k in range(4):
        ours = ridge_objective(X, y, res.coef[:, k + 2], res.intercept[k + 2], cd.lambdas[k], w)
        theirs = ridge_objective(X, y, cd.coef[:, k], cd.intercept[k], cd.lambdas[k], w)
        assert ours - theirs <= 1e-14 * res.null_objective
        assert theirs - ours <= (cd.dual_gap[k] + 1e-14) * cd.null_objective
    for k in [0, 4, 7]:
        est = sk.Ridge(alpha=res.lambdas[k] * w.sum(), solver="cholesky").fit(X, y, sample_weight=w)
        np.testing.assert_allclose(res.coef[:, k], est.coef_, atol=1e-9)
        assert res.intercept[k] == pytest.approx(est.intercept_, abs=1e-9)


@pytest.mark.parametrize("shape", [(30, 50), (50, 20)], ids=["n<p", "n>p"])
def test_dense_equals_sparse_on_every_route(shape):
    X, y = make_problem(*shape, seed=5)
    Xs = sp.csc_matrix(X)
    ref = ridge_path(X, y, n_lambdas=12)
    for X_, solver in [(Xs, "eigen"), (Xs, "lsqr"), (X, "lsqr"), (Xs, "cholesky")]:
        lambdas = None if solver != "cholesky" else ref.lambdas[[3, 7]]
        res = ridge_path(X_, y, n_lambdas=12, lambdas=lambdas, solver=solver, tol=1e-12)
        cols = [3, 7] if solver == "cholesky" else slice(None)
        np.testing.assert_allclose(res.lambdas, ref.lambdas[cols], rtol=1e-12)
        np.testing.assert_allclose(res.coef, ref.coef[:, cols], atol=1e-6)
        np.testing.assert_allclose(res.intercept, ref.intercept[cols], atol=1e-6)
    sparse_eigen = ridge_path(Xs, y, n_lambdas=12, solver="eigen")
    np.testing.assert_allclose(sparse_eigen.loo_mse, ref.loo_mse, rtol=1e-9)
    np.testing.assert_allclose(sparse_eigen.df, ref.df, rtol=1e-9)


@pytest.mark.parametrize("layout", ["F", "csc", "csr"])
def test_float32_stays_float32(layout):
    X, y = make_problem(50, 30, seed=6)
    X = to_layout(X, layout)
    ref = ridge_path(X, y, n_lambdas=10)
    tols = TOLERANCES[np.float32]
    for solver in ["eigen", "lsqr"]:
        res = ridge_path(X.astype(np.float32), y.astype(np.float32), n_lambdas=10,
                         solver=solver, tol=tols["solver_tol"])
        assert res.coef.dtype == np.float32 and np.all(np.isfinite(res.dual_gap))
        np.testing.assert_allclose(res.lambdas, ref.lambdas, rtol=1e-6)
        np.testing.assert_allclose(res.coef, ref.coef, atol=tols["coef_atol"])
        objective32 = [ridge_objective(X, y, res.coef[:, k], res.intercept[k], lam)
                       for k, lam in enumerate(res.lambdas)]
        objective64 = [ridge_objective(X, y, ref.coef[:, k], ref.intercept[k], lam)
                       for k, lam in enumerate(ref.lambdas)]
        np.testing.assert_allclose(objective32, objective64, rtol=tols["obj_rtol"])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_csr_and_csc_input_give_the_same_path(dtype, fit_intercept):
    """CSR X is used as it is, CSC X transposed once (`_krylov.csr_from_csc`): the same
    reduction, hence the same path, to rounding; a CSR with duplicated entries (not
    canonical) is summed, on a copy."""
    X, y = make_problem(70, 120, seed=41, density=0.2)
    X = X.astype(dtype)
    w = weights(70, seed=42)
    paths = [ridge_path(to_layout(X, layout).astype(dtype), y.astype(dtype), sample_weight=w,
                        fit_intercept=fit_intercept, n_lambdas=15, solver=solver, tol=1e-10,
                        check_convergence=False)
             for layout, solver in [("csc", "lsqr"), ("csr", "lsqr"), ("F", "eigen")]]
    for res in paths[:2]:
        assert res.coef.dtype == dtype
        np.testing.assert_allclose(res.lambdas, paths[2].lambdas, rtol=1e-6)
        np.testing.assert_allclose(res.coef, paths[2].coef, rtol=0,
                                   atol=1e-5 if dtype == np.float64 else 1e-4)
    np.testing.assert_allclose(paths[0].coef, paths[1].coef, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(paths[0].dual_gap, paths[1].dual_gap, rtol=1e-9, atol=1e-15)
    # duplicates: X = A + B, stored as both entries' lists (not canonical)
    csr = sp.csr_matrix(X)
    half = csr.copy()
    half.data = half.data / 2
    dup = sp.csr_matrix((np.r_[half.data, half.data],
                         np.r_[half.indices, half.indices],
                         np.r_[0, np.cumsum(2 * np.diff(half.indptr))]), shape=X.shape)
    order = np.concatenate([np.r_[a:b, a + half.nnz:b + half.nnz]
                            for a, b in zip(half.indptr[:-1], half.indptr[1:])])
    dup = sp.csr_matrix((np.r_[half.data, half.data][order], np.r_[half.indices,
                         half.indices][order], dup.indptr), shape=X.shape)
    assert not dup.has_canonical_format
    before = dup.data.copy()
    res = ridge_path(dup, y.astype(dtype), sample_weight=w, fit_intercept=fit_intercept,
                     n_lambdas=15, solver="lsqr", tol=1e-10, check_convergence=False)
    np.testing.assert_allclose(res.coef, paths[1].coef, rtol=0,
                               atol=1e-9 if dtype == np.float64 else 1e-6)
    assert np.array_equal(dup.data, before)                   # the user's X untouched


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index", [np.int32, np.int64])
def test_csr_from_csc_and_column_moments_equal_scipy(dtype, index):
    rng = np.random.default_rng(43)
    Xd = rng.standard_normal((60, 45)) * (rng.random((60, 45)) < 0.15)
    Xd[:, 7], Xd[5] = 0.0, 0.0              # an empty column and an empty row
    X = sp.csc_matrix(Xd.astype(dtype))
    X.indices, X.indptr = X.indices.astype(index), X.indptr.astype(index)
    w = weights(60, seed=45)
    data, indices, indptr, sums_t, squares_t = _krylov.csr_from_csc(
        X.data, X.indices, X.indptr, X.shape[0], w)
    ref = X.astype(np.float64).tocsr()
    ref.sort_indices()
    assert data.dtype == np.float64 and indices.dtype == indptr.dtype == index
    assert np.array_equal(indptr, ref.indptr) and np.array_equal(indices, ref.indices)
    assert np.array_equal(data, ref.data)
    sums, squares = _krylov.column_moments(data, indices, indptr, 45, w)
    Xd = X.toarray().astype(np.float64)
    np.testing.assert_allclose(sums, w @ Xd, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(squares, w @ Xd ** 2, rtol=1e-13, atol=1e-15)
    # the same sums in the same order, from the columns as they are read
    assert np.array_equal(sums_t, sums) and np.array_equal(squares_t, squares)


# ---------------------------------------------------------------------------------------
# leave-one-out, GCV, degrees of freedom, the grid

def hat_matrix(X, lam, w, fit_intercept):
    """H with W^(1/2) y_hat = H W^(1/2) y, from the normal equations (float64)."""
    X = X.toarray() if sp.issparse(X) else X
    n, p = X.shape
    w = rescaled(w, n)
    Z = np.c_[np.ones(n), X] if fit_intercept else X
    pen = np.r_[0.0, np.ones(p)] if fit_intercept else np.ones(p)
    Zs = np.sqrt(w)[:, None] * Z
    return Zs @ np.linalg.solve(Zs.T @ Zs + n * lam * np.diag(pen), Zs.T)


@pytest.mark.parametrize("shape", [(25, 40), (40, 15)], ids=["n<p", "n>p"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_loo_gcv_df_against_hat_matrix_and_refits(shape, fit_intercept, sparse):
    X, y = make_problem(*shape, seed=7, density=0.5 if sparse else None)
    n = shape[0]
    w = weights(n, seed=7)
    res = ridge_path(X, y, lambdas=LAMBDAS, sample_weight=w, fit_intercept=fit_intercept,
                     store_loo=True)
    wn = rescaled(w, n)
    for k, lam in enumerate(res.lambdas):
        H = hat_matrix(X, lam, w, fit_intercept)
        assert res.df[k] + res.n_unpenalized == pytest.approx(np.trace(H), rel=1e-9)
        e = y - (np.asarray(X @ res.coef[:, k]) + res.intercept[k])
        loo = e / (1.0 - np.diag(H))
        assert res.loo_mse[k] == pytest.approx(np.sum(wn * loo ** 2) / n, rel=1e-8)
        gcv = np.sum(wn * e ** 2) / n / (1.0 - np.trace(H) / n) ** 2
        assert res.gcv[k] == pytest.approx(gcv, rel=1e-8)
    # leave-one-out is a refit without the sample, at the same alpha = lambda * sum(w)
    Xd = X.toarray() if sp.issparse(X) else X
    for i in [0, 7]:
        keep = np.arange(n) != i
        for k in [1, 3]:
            refit = ridge_path(Xd[keep], y[keep], lambdas=[res.lambdas[k] * w.sum() / w[keep].sum()],
                               sample_weight=w[keep], fit_intercept=fit_intercept)
            pred = Xd[i] @ refit.coef[:, 0] + refit.intercept[0]
            assert res.loo_predictions[i, k] == pytest.approx(pred, abs=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
def test_loo_matches_sklearn_ridgecv(sparse):
    sk = pytest.importorskip("sklearn.linear_model")
    X, y = make_problem(35, 50, seed=8, density=0.4 if sparse else None)
    w = weights(35, seed=8)
    w[3] = 0.0                              # a zero weight: its prediction is the plain one
    res = ridge_path(X, y, n_lambdas=15, sample_weight=w, store_loo=True)
    theirs = sk.RidgeCV(alphas=res.lambdas * w.sum(), store_cv_results=True).fit(
        X, y, sample_weight=w)
    ours = w[:, None] * (y[:, None] - res.loo_predictions) ** 2
    np.testing.assert_allclose(ours, theirs.cv_results_, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(res.loo_predictions[3], res.predict(X[3:4])[0], atol=1e-10)
    assert res.best_lambda("loo") * w.sum() == pytest.approx(theirs.alpha_)


@pytest.mark.parametrize("shape", [(40, 120), (120, 40)], ids=["n<p", "n>p"])
def test_default_grid_spans_the_degrees_of_freedom(shape):
    X, y = make_problem(*shape, seed=9)
    res = ridge_path(X, y)
    assert res.lambdas.size == 100 and np.all(np.diff(res.lambdas) < 0)
    assert res.lambda_max == res.lambdas[0]
    assert res.df[0] <= 0.01 and res.df[0] > 0.009
    rank = min(shape[0] - 1, shape[1])
    assert 0.8 * rank <= res.df[-1] < rank
    assert np.all(np.diff(res.df) > 0)
    # the grid depends on X, w and v only: sparse X gets the same one
    np.testing.assert_allclose(ridge_path(sp.csc_matrix(X), y, solver="lsqr").lambdas,
                               res.lambdas, rtol=1e-12)


def test_least_squares_at_lambda_zero():
    X, y = make_problem(50, 20, seed=10)
    res = ridge_path(X, y, lambdas=[1.0, 0.0])
    ls = np.linalg.lstsq(np.c_[np.ones(50), X], y, rcond=None)[0]
    np.testing.assert_allclose(res.coef[:, 1], ls[1:], atol=1e-9)
    assert np.all(res.status == 0) and np.all(np.isfinite(res.loo_mse))
    X, y = make_problem(20, 50, seed=10)     # n < p: the minimum-norm interpolant
    res = ridge_path(X, y, lambdas=[1.0, 0.0])
    Xc = X - X.mean(0)
    np.testing.assert_allclose(res.coef[:, 1], np.linalg.pinv(Xc) @ (y - y.mean()), atol=1e-9)
    assert np.all(np.isfinite(res.loo_mse))
    with pytest.warns(fastreg.ConvergenceWarning, match="lambda = 0"):
        res = ridge_path(X, y, lambdas=[1.0, 0.0], solver="lsqr")
    assert res.status.tolist() == [0, 3]


def test_badly_scaled_columns_are_retried_by_cholesky():
    rng = np.random.default_rng(20)
    X = rng.standard_normal((60, 20)) * np.logspace(0, 6, 20)    # units from 1 to 1e6
    y = rng.standard_normal(60)
    with pytest.warns(fastreg.ConvergenceWarning, match="leave-one-out and GCV values"):
        eigen = ridge_path(X, y, lambdas=[1.0, 1e-6], solver="eigen", tol=1e-10)
    chol = ridge_path(X, y, lambdas=[1.0, 1e-6], solver="cholesky", tol=1e-10)
    assert np.all(eigen.converged) and np.all(chol.converged)
    for k, lam in enumerate(eigen.lambdas):
        beta, b = oracle(X, y, lam)
        assert (ridge_objective(X, y, eigen.coef[:, k], eigen.intercept[k], lam)
                - ridge_objective(X, y, beta, b, lam)) <= 1e-10 * eigen.null_objective


# ---------------------------------------------------------------------------------------
# the iterative route and its certificate

def test_lsqr_gap_certifies_and_tol_is_met():
    X, y = make_problem(200, 300, seed=11, density=0.05)
    loose = ridge_path(X, y, solver="lsqr", tol=1e-3)
    exact = ridge_path(X, y, solver="eigen")
    assert np.all(loose.dual_gap <= 1e-3) and np.all(loose.converged)
    assert loose.n_epochs.max() >= 1 and np.all(loose.n_passes > loose.n_epochs)
    for k in range(0, 100, 9):
        subopt = (ridge_objective(X, y, loose.coef[:, k], loose.intercept[k], loose.lambdas[k])
                  - ridge_objective(X, y, exact.coef[:, k], exact.intercept[k], exact.lambdas[k]))
        assert -1e-12 <= subopt / loose.null_objective <= loose.dual_gap[k] + 1e-14
    assert loose.df is None and loose.loo_mse is None and loose.gcv is None


def data_gap(X, y, beta, b, lam, w=None, factor=None):
    """The duality gap ||grad P(beta)||^2 / (2 lam) on the reduced scale, from X in numpy
    (unit or given penalty factors, no unpenalized features), relative to P(0)."""
    n = X.shape[0]
    w = np.ones(n) if w is None else w * n / w.sum()
    factor = np.ones(X.shape[1]) if factor is None else factor
    Xd = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    r = y - Xd @ beta - b
    # grad_j of P in gamma_j = sqrt(v_j) beta_j: (-x_j^T W r / n + lam v_j beta_j) / sqrt(v_j)
    grad = (-(Xd.T @ (w * r)) / n + lam * factor * beta) / np.sqrt(factor)
    ybar = w @ y / n
    return (grad @ grad / (2 * lam)) / (0.5 * np.sum(w * (y - ybar) ** 2) / n)


@pytest.mark.parametrize("chunk", [128, 7], ids=["one-block", "many-blocks"])
@pytest.mark.parametrize("layout", ["F", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_lambdas", [30, 4], ids=["30-lambdas", "4-lambdas"])
def test_lsqr_gap_from_recurrences_equals_gap_from_data(monkeypatch, chunk, layout, weighted,
                                                        n_lambdas):
    """float64 lsqr gaps come from the bidiagonalization's recurrences, not from X: they
    must equal the gap of the returned coefficients computed from X, also after many
    steps (lost orthogonality), across stored blocks of the basis, with few steps per
    lambda or many."""
    monkeypatch.setattr(_ridge_krylov, "CHUNK", chunk)
    X, y = make_problem(80, 120, seed=21, density=0.3)
    X = to_layout(X, layout)
    w = weights(80, seed=22) if weighted else None
    factor = np.linspace(0.5, 2.0, 120)
    for tol in (1e-3, 1e-11):
        res = ridge_path(X, y, n_lambdas=n_lambdas, solver="lsqr", tol=tol, sample_weight=w,
                         penalty_factor=factor)
        assert n_lambdas == 30 or tol == 1e-3 or res.n_epochs.max() + 1 > 2 * n_lambdas
        assert res.n_epochs.max() > 2 * chunk or chunk == 128
        mine = np.array([data_gap(X, y, res.coef[:, k], res.intercept[k], lam, w, factor)
                         for k, lam in enumerate(res.lambdas)])
        # equal up to rounding (the reported one is the triangle inequality's bound)
        np.testing.assert_allclose(res.dual_gap, mine, rtol=1e-6, atol=1e-14)
        assert np.all(res.dual_gap <= tol)


def test_gradient_bound_holds_without_orthogonality():
    """||V h||^2 <= the bound for unit columns far from orthogonal (a shared direction
    plus noise), for h spread over every column or concentrated on the last."""
    rng = np.random.default_rng(5)
    p, m = 300, 40
    V = rng.standard_normal((p, 1)) + 0.05 * rng.standard_normal((p, m))
    V /= np.linalg.norm(V, axis=0)
    H = np.c_[rng.standard_normal((m, 20)), np.r_[1e-12 * rng.standard_normal(m - 1), 1.0]]
    exact = np.sum((V @ H) ** 2, axis=0)
    bound = _ridge_krylov._gradient_bound(H, p)
    assert np.all(bound >= exact)
    assert bound[-1] == pytest.approx(exact[-1], rel=1e-9)     # concentrated: tight


@pytest.mark.parametrize("layout", ["F", "csc"])
def test_gradient_bound_equals_the_gram_norm_of_a_long_basis(layout):
    """On a basis that lost its orthogonality (many more steps than the rank of a small
    problem needs: max |V^T V - I| ~ 0.5), the bound equals h^T (V^T V) h, the exact
    ||V h||^2, to 1e-6 (measured 1e-7) at every lambda whose gap is within four decades
    of the target: h is concentrated on its last coordinate, whatever V^T V."""
    X, y = make_problem(80, 120, seed=21, density=0.3)
    red = Reduction(to_layout(X, layout), None, np.ones(120), True)
    z, _, _ = red.target(y)
    lambdas = np.geomspace(10.0, 1e-4, 12) * np.sum(red.op.col_sq_norms())
    target = 1e-12 * 0.5 * (z @ z)
    steps = GolubKahan(red.op.compiled(), z, lambdas, target * lambdas)
    V, AV = np.empty((120, 300), order="F"), np.empty((80, 300), order="F")
    k = steps.run(V, AV, 299)
    V[:, k] = steps.v_next
    assert steps.finished and k > 20
    S = V[:, :k + 1].T @ V[:, :k + 1]
    assert np.max(np.abs(S - np.eye(k + 1))) > 1e-6                    # not orthogonal
    alphas, betas, rho, theta, phi = steps.bidiagonal()
    Y = _ridge_krylov._basis_coefficients(rho, theta, phi)
    H = _ridge_krylov._gradient_coordinates(alphas, betas, Y, lambdas)
    exact = np.einsum("ij,ij->j", H, S @ H)
    bound = _ridge_krylov._gradient_bound(H, 120)
    assert np.all(bound >= exact * (1 - 1e-12))
    near = bound > 1e-4 * target * lambdas
    assert near.sum() >= 2
    np.testing.assert_allclose(bound[near], exact[near], rtol=1e-6)


@pytest.mark.parametrize("rows_per_block", [7, 4096])
def test_basis_products_in_pieces_equal_numpy(rows_per_block):
    """gamma = B Y over the first block's columns, mu^T gamma and ||z - B y||^2, in
    pieces that skip the zero trailing coefficients (`_ridge_krylov._pieces`), across
    blocks of the basis, with row blocks that do not divide the rows."""
    rng = np.random.default_rng(46)
    p, L, widths = 53, 9, [12, 5, 5]
    k = 19                                          # the last block partly filled
    blocks = [np.asfortranarray(rng.standard_normal((p, w))) for w in widths]
    B = np.hstack(blocks)[:, :k]
    Y = rng.standard_normal((k, L))
    for l, depth in enumerate([1, 2, 2, 4, 9, 13, 17, 19, 19]):
        Y[depth:, l] = 0.0                          # larger lambdas: fewer steps
    Y = np.asfortranarray(Y)
    pieces = _ridge_krylov._pieces(widths, Y, width=3)
    assert pieces[0, 4] == 0 and np.sum(pieces[:, 3] * (L - pieces[:, 4])) < 0.6 * k * L
    z = rng.standard_normal(p)
    rss = _krylov.residual_norms(blocks, Y, pieces, z, rows_per_block=rows_per_block)
    np.testing.assert_allclose(rss, np.sum((z[:, None] - B @ Y) ** 2, axis=0), rtol=1e-13)
    expected = B @ Y
    mean = rng.standard_normal(p)
    mean_gamma = _krylov.combine_in_place(blocks, Y, pieces, mean,
                                          rows_per_block=rows_per_block)
    np.testing.assert_allclose(blocks[0][:, :L], expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(mean_gamma, mean @ expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layout", ["F", "csc"])
def test_float32_lsqr_gap_is_the_gap_of_the_rounded_coefficients(layout):
    """float32 lsqr results are certified as returned (rounded), from X."""
    X, y = make_problem(60, 90, seed=23, density=0.4)
    X = to_layout(X, layout).astype(np.float32)
    res = ridge_path(X, y, n_lambdas=15, solver="lsqr", tol=1e-4, check_convergence=False)
    X64, y = X.astype(np.float64), y.astype(np.float32).astype(np.float64)   # as solved
    mine = np.array([data_gap(X64, y, res.coef[:, k].astype(np.float64), res.intercept[k], lam)
                     for k, lam in enumerate(res.lambdas)])
    np.testing.assert_allclose(res.dual_gap, mine, rtol=1e-6, atol=1e-12)
    assert np.all((res.dual_gap <= 1e-4) == res.converged)


def test_krylov_memory_cap_falls_back_to_cg(monkeypatch):
    X, y = make_problem(60, 80, seed=12, density=0.2)
    monkeypatch.setattr(_ridge_krylov, "KRYLOV_MEMORY", 8 * 80 * 3)     # three basis vectors
    res = ridge_path(X, y, n_lambdas=10, solver="lsqr", tol=1e-10)
    ref = ridge_path(X, y, n_lambdas=10, solver="eigen")
    assert np.all(res.converged) and res.n_epochs.max() > 3
    np.testing.assert_allclose(res.coef, ref.coef, atol=1e-3)
    for k in range(10):
        subopt = (ridge_objective(X, y, res.coef[:, k], res.intercept[k], res.lambdas[k])
                  - ridge_objective(X, y, ref.coef[:, k], ref.intercept[k], ref.lambdas[k]))
        assert subopt <= (res.dual_gap[k] + 1e-14) * res.null_objective


def test_iteration_budget_warns_naming_lambda_and_gap():
    X, y = make_problem(60, 80, seed=12, density=0.2)
    with pytest.warns(fastreg.ConvergenceWarning, match=r"lambda=.*duality gap .*max_epochs"):
        res = ridge_path(X, y, n_lambdas=10, solver="lsqr", tol=1e-12, max_epochs=2)
    assert np.any(res.status == 1) and np.all(np.isfinite(res.coef))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ridge_path(X, y, n_lambdas=10, solver="lsqr", tol=1e-12, max_epochs=2,
                   check_convergence=False)


# ---------------------------------------------------------------------------------------
# the compiled Golub-Kahan loop (_krylov)

def reduced_problem(layout, *, weighted=False, unpenalized=False, index64=False, seed=31):
    """(Reduction, z, A as a dense numpy array) for a small problem in the given storage."""
    X, y = make_problem(50, 70, seed=seed, density=None if layout == "F" else 0.3)
    X = to_layout(X, layout)
    factor = np.ones(70)
    if unpenalized:
        factor[[2, 9]] = 0.0                 # projected out: A = (I - Q0 Q0^T) ...
    red = Reduction(X, rescaled(weights(50, seed), 50) if weighted else None, factor, True)
    if index64:
        rows = red.op.rows.copy()            # scipy would downcast in the constructor
        rows.indices, rows.indptr = rows.indices.astype(np.int64), rows.indptr.astype(np.int64)
        red.op.rows = rows
    A = np.column_stack([red.op.matmat(e) for e in np.eye(red.p_pen)])
    z, _, _ = red.target(y)
    return red, z, A


STORAGES = [dict(layout="F"), dict(layout="csc"), dict(layout="csc", weighted=True),
            dict(layout="csc", unpenalized=True, weighted=True), dict(layout="csc", index64=True)]
STORAGE_IDS = ["dense", "csr", "csr-weighted", "csr-unpenalized", "csr-int64"]


@pytest.mark.parametrize("storage", STORAGES, ids=STORAGE_IDS)
def test_compiled_products_equal_numpy(storage):
    red, z, A = reduced_problem(**storage)
    op = red.op.compiled()
    assert (op.n_rows, op.n_cols) == A.shape
    rng = np.random.default_rng(0)
    v, u = rng.standard_normal(A.shape[1]), rng.standard_normal(A.shape[0])
    scale = np.abs(A).sum()
    np.testing.assert_allclose(op.matvec(v), A @ v, rtol=0, atol=1e-14 * scale * np.abs(v).max())
    np.testing.assert_allclose(op.rmatvec(u), A.T @ u, rtol=0, atol=1e-14 * scale * np.abs(u).max())


@pytest.mark.parametrize("storage", STORAGES, ids=STORAGE_IDS)
@pytest.mark.parametrize("block", [64, 5], ids=["one-block", "many-blocks"])
def test_compiled_bidiagonalization_satisfies_its_recurrences(storage, block):
    """What the certificate assumes: the stored v_i, A v_i and the coefficients satisfy
    beta_1 u_1 = z, A v_i = alpha_i u_i + beta_{i+1} u_{i+1} and A^T u_i = alpha_i v_i +
    beta_i v_{i-1} to rounding (u_i rebuilt from the first two, which amplifies rounding
    once beta_i gets small: 25 steps of a rank-49 design), the stored A v_i are A times
    the stored v_i, and the first steps equal a numpy Golub-Kahan's."""
    red, z, A = reduced_problem(**storage)
    lambdas = np.array([1.0, 1e-2, 1e-4])
    steps = GolubKahan(red.op.compiled(), z, lambdas, np.zeros(3))     # never done
    V, AV = [], []
    while steps.steps < 25 and not steps.finished:
        V.append(np.empty((A.shape[1], block), order="F"))
        AV.append(np.empty((A.shape[0], block), order="F"))
        steps.run(V[-1], AV[-1], 25 - steps.steps)
    k = steps.steps
    assert k == 25 and not steps.finished
    V, AV = np.hstack(V)[:, :k], np.hstack(AV)[:, :k]
    V = np.c_[V, steps.v_next]
    alphas, betas, rho, theta, phi = steps.bidiagonal()
    assert alphas.shape == betas.shape == (k + 1,) and rho.shape == theta.shape == (k, 3)
    eps, norm_a = np.finfo(float).eps, np.linalg.norm(A, 2)
    np.testing.assert_allclose(np.linalg.norm(V, axis=0), 1.0, atol=10 * eps)
    np.testing.assert_allclose(AV, A @ V[:, :k], rtol=0, atol=100 * eps * norm_a)
    U = np.empty((A.shape[0], k + 1))
    U[:, 0] = z / betas[0]
    for i in range(k):
        U[:, i + 1] = (AV[:, i] - alphas[i] * U[:, i]) / betas[i + 1]
    right = alphas * V + np.c_[np.zeros(A.shape[1]), betas[1:] * V[:, :k]]
    np.testing.assert_allclose(A.T @ U, right, rtol=0, atol=100 * eps * norm_a)
    # the numpy reference, for the first steps (before lost orthogonality amplifies rounding)
    u, beta = z / np.linalg.norm(z), np.linalg.norm(z)
    v = A.T @ u
    alpha = np.linalg.norm(v)
    v /= alpha
    for i in range(8):
        assert alphas[i] == pytest.approx(alpha, rel=1e-10)
        assert betas[i] == pytest.approx(beta, rel=1e-10)
        u = A @ v - alpha * u
        beta = np.linalg.norm(u)
        u /= beta
        v = A.T @ u - beta * v
        alpha = np.linalg.norm(v)
        v /= alpha


def test_compiled_loop_stops_when_every_lambda_is_done():
    red, z, A = reduced_problem("csc")
    lambdas = np.array([10.0, 1.0, 0.1])
    target = 1e-6 * 0.5 * (z @ z)
    loose = GolubKahan(red.op.compiled(), z, lambdas, target * lambdas)
    tight = GolubKahan(red.op.compiled(), z, lambdas, 1e-6 * target * lambdas)
    V, AV = np.empty((A.shape[1], 60), order="F"), np.empty((A.shape[0], 60), order="F")
    k_loose = loose.run(V, AV, 60)
    k_tight = tight.run(V, AV, 60)
    assert loose.finished and 0 < k_loose < k_tight and k_loose == loose.steps
    assert loose.run(V, AV, 60) == 0                      # finished: no more steps


def test_compiled_loop_rejects_bad_input():
    red, z, A = reduced_problem("csc")
    op = red.op.compiled()
    rows = red.op.rows
    with pytest.raises(ValueError, match="shape"):
        op.matvec(np.ones(A.shape[1] + 1))
    with pytest.raises(ValueError, match="shape"):
        op.rmatvec(np.ones(A.shape[0] - 1))
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _krylov.csr_operator(rows.data, rows.indices, rows.indptr, rows.shape[1],
                             mean=np.zeros(3), row_scale=red.op.s_scaled,
                             Q0=np.zeros((rows.shape[0], 0), order="F"))
    with pytest.raises(ValueError, match="indptr"):
        _krylov.csr_operator(rows.data[:-1], rows.indices[:-1], rows.indptr, rows.shape[1],
                             mean=red.op.mean, row_scale=red.op.s_scaled,
                             Q0=np.zeros((rows.shape[0], 0), order="F"))
    bad = rows.indices.copy()
    bad[5] = rows.shape[1]
    with pytest.raises(ValueError, match="out of range"):
        _krylov.csr_operator(rows.data, bad, rows.indptr, rows.shape[1],
                             mean=red.op.mean, row_scale=red.op.s_scaled,
                             Q0=np.zeros((rows.shape[0], 0), order="F"))
    with pytest.raises(ValueError, match="z must"):
        GolubKahan(op, z[:-1], np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="non-negative"):
        GolubKahan(op, z, np.array([1.0, -1.0]), np.ones(2))
    steps = GolubKahan(op, z, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="V must"):
        steps.run(np.empty((A.shape[1], 4), order="F"), np.empty((A.shape[0], 3), order="F"), 4)
    with pytest.raises(ValueError):                        # C-ordered blocks
        steps.run(np.empty((A.shape[1], 4)), np.empty((A.shape[0], 4)), 4)


def test_lsqr_gap_with_unpenalized_features_equals_the_data_certificate():
    """Sparse with unpenalized features (the compiled loop's two-pass products with the
    projection): the gaps from the recurrences equal the gaps computed from X."""
    X, y = make_problem(80, 120, seed=24, density=0.3)
    factor = np.ones(120)
    factor[[0, 7, 30]] = 0.0
    w = weights(80, seed=25)
    red = Reduction(X, rescaled(w, 80), factor, True)
    z, _, _ = red.target(y)
    for tol in (1e-3, 1e-9):
        res = ridge_path(X, y, n_lambdas=20, solver="lsqr", tol=tol, sample_weight=w,
                         penalty_factor=factor)
        _, gap = certificate(red, z, red.rounded_gamma(res.coef), res.lambdas)
        gap /= 0.5 * (z @ z)
        # equal where the gap is not rounding itself (at large lambdas it is ~1e-35)
        assert np.sum(gap > 1e-13) >= 2
        np.testing.assert_allclose(res.dual_gap, gap, rtol=1e-6, atol=1e-13)
        assert res.n_unpenalized == 4 and np.all(res.dual_gap <= tol)


# ---------------------------------------------------------------------------------------
# weights, degenerate data, bad input

@pytest.mark.parametrize("sparse", [False, True])
def test_integer_weights_equal_repeated_rows_and_zero_weights_dropped_rows(sparse):
    X, y = make_problem(30, 20, seed=13, density=0.5 if sparse else None)
    w = np.random.default_rng(2).integers(0, 4, 30).astype(float)
    w[0] = 0.0
    res = ridge_path(X, y, lambdas=LAMBDAS, sample_weight=w)
    rows = np.repeat(np.arange(30), w.astype(int))
    rep = ridge_path(X[rows], y[rows], lambdas=LAMBDAS)
    np.testing.assert_allclose(res.coef, rep.coef, atol=1e-9)
    np.testing.assert_allclose(res.intercept, rep.intercept, atol=1e-9)
    np.testing.assert_allclose(res.df, rep.df, rtol=1e-9)
    # (leave-one-out differs: it leaves a whole weighted sample out, not one of its copies)


def test_degenerate_data_gives_no_nan():
    X, y = make_problem(20, 5, seed=14)
    for res in [ridge_path(X, np.full(20, 3.0), n_lambdas=5),          # constant y
                ridge_path(np.ones((20, 3)), y, n_lambdas=5),           # constant X
                ridge_path(X[:1], y[:1], n_lambdas=5),                  # one sample
                ridge_path(X, y, n_lambdas=5, penalty_factor=0.0)]:     # nothing penalized
        for name in ["coef", "intercept", "dual_gap", "dev_ratio", "loo_mse", "gcv"]:
            assert not np.any(np.isnan(getattr(res, name))), name
    res = ridge_path(X, np.full(20, 3.0), n_lambdas=5)
    assert np.all(res.coef == 0) and np.all(res.intercept == 3.0) and res.null_objective == 0


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(y=np.ones(7)), ValueError, "y has 7 values"),
    (dict(X=np.full((20, 5), np.nan)), ValueError, "X contains 100 NaN"),
    (dict(sample_weight=-np.ones(20)), ValueError, "sample_weight must be >= 0"),
    (dict(penalty_factor=-1.0), ValueError, "penalty_factor must be >= 0"),
    (dict(lambdas=[1.0, -1.0]), ValueError, "lambdas must be >= 0"),
    (dict(tol=0.0), ValueError, "tol must be > 0"),
    (dict(max_epochs=0), ValueError, "max_epochs must be >= 1"),
    (dict(n_lambdas=0), ValueError, "n_lambdas must be >= 1"),
    (dict(lambda_min_ratio=2.0), ValueError, "lambda_min_ratio must be <= 1"),
    (dict(solver="svd"), ValueError, "solver must be one of"),
    (dict(solver="lsqr", loo=True), ValueError, "loo=True needs solver='eigen'"),
    (dict(loo="yes"), TypeError, "loo must be"),
    (dict(X="abc"), TypeError, "X must be"),
])
def test_bad_input_names_the_argument(kwargs, error, match):
    X, y = make_problem(20, 5, seed=15)
    args = dict(X=X, y=y)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        ridge_path(args.pop("X"), args.pop("y"), **args)


def test_result_api():
    X, y = make_problem(30, 10, seed=16)
    res = ridge_path(X, y, n_lambdas=6)
    assert isinstance(res, fastreg.PathResult) and "RidgePathResult(" in repr(res)
    assert res.predict(X).shape == (30, 6) and res.n_nonzero.shape == (6,)
    assert res.best_lambda("gcv") in res.lambdas and res.loo_predictions is None
    assert np.all(res.n_epochs == 0) and np.all(res.n_passes == 1)
    # cholesky cannot factor at lambda = 0: the eigen route takes over
    assert ridge_path(X, y, lambdas=[0.0], solver="cholesky").solver == "eigen"
    with pytest.raises(ValueError, match="criterion"):
        res.best_lambda("aic")
    with pytest.raises(ValueError, match="no loo values"):
        ridge_path(X, y, n_lambdas=6, solver="lsqr").best_lambda()


# ---------------------------------------------------------------------------------------
# the scikit-learn estimators

sklearn = pytest.importorskip("sklearn")
from sklearn import linear_model as sk  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from fastreg._sklearn_ridge import Ridge, RidgeCV  # noqa: E402


@parametrize_with_checks([Ridge(), RidgeCV()])
def test_check_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_estimator_matches_sklearn(sparse, fit_intercept):
    X, y = make_problem(40, 60, seed=17, density=0.4 if sparse else None)
    Xd = X.toarray() if sparse else X
    w = weights(40, seed=17)
    Y = np.c_[y, 2 * y + 1]
    for solver in ["auto", "svd", "lsqr"]:
        ours = Ridge(alpha=[0.5, 5.0], fit_intercept=fit_intercept, solver=solver, tol=1e-12)
        ours.fit(X, Y, sample_weight=w)
        theirs = sk.Ridge(alpha=[0.5, 5.0], fit_intercept=fit_intercept, solver="cholesky")
        theirs.fit(Xd, Y, sample_weight=w)
        atol = 1e-5 if solver == "lsqr" else 1e-9      # lsqr stops at a relative gap of tol
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=atol)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=atol)
        assert np.all(ours.dual_gap_ >= 0) and ours.solver_ in SOLVERS
    pos = Ridge(alpha=1.0, positive=True, fit_intercept=fit_intercept).fit(X, y)
    assert np.all(pos.coef_ >= 0)
    assert Ridge().fit(X, y).solver_ == "cholesky"


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("scoring", [None, "neg_mean_absolute_error"])
@pytest.mark.parametrize("alpha_per_target", [False, True])
def test_ridgecv_loo_matches_sklearn(sparse, scoring, alpha_per_target):
    X, y = make_problem(30, 45, seed=18, density=0.4 if sparse else None)
    Y = np.c_[y, y ** 2 / 10]
    w = weights(30, seed=18)
    alphas = np.geomspace(100, 0.01, 9)[[4, 0, 8, 2, 6, 1, 3, 5, 7]]    # any order
    kwargs = dict(alphas=alphas, scoring=scoring, store_cv_results=True,
                  alpha_per_target=alpha_per_target)
    ours = RidgeCV(**kwargs).fit(X, Y, sample_weight=w)
    theirs = sk.RidgeCV(**kwargs).fit(X, Y, sample_weight=w)
    np.testing.assert_allclose(ours.alpha_, theirs.alpha_)
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-8)
    np.testing.assert_allclose(ours.cv_results_, theirs.cv_results_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-8)


@pytest.mark.parametrize("sparse", [False, True])
def test_ridgecv_loo_with_a_zero_weight_matches_sklearn(sparse):
    """A zero weight sends RidgeCV down the whole-path branch (that sample's prediction
    needs every alpha's coefficients); positive weights take the curve-only one."""
    X, y = make_problem(30, 45, seed=19, density=0.4 if sparse else None)
    w = weights(30, seed=19)
    w[[3, 11]] = 0.0
    alphas = np.geomspace(100, 0.01, 7)
    for weight in (w, w + 0.5):
        ours = RidgeCV(alphas=alphas, store_cv_results=True).fit(X, y, sample_weight=weight)
        theirs = sk.RidgeCV(alphas=alphas, store_cv_results=True).fit(X, y, sample_weight=weight)
        np.testing.assert_allclose(ours.alpha_, theirs.alpha_)
        np.testing.assert_allclose(ours.cv_results_, theirs.cv_results_, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-8)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-8)


@pytest.mark.parametrize("shape", [(30, 45), (45, 30)], ids=["n<p", "n>p"])
def test_ridgecv_curve_only_equals_ridge_path(shape):
    """RidgeCV's curve-only leave-one-out (no coefficients per alpha) equals ridge_path's
    (which forms them), and its coefficients the path's at the selected alpha; float32
    X gives float32 coefficients within the float32 tolerance."""
    X, y = make_problem(*shape, seed=20)
    n = shape[0]
    path = ridge_path(X, y, n_lambdas=12, solver="eigen", store_loo=True)
    ours = RidgeCV(alphas=path.lambdas * n, store_cv_results=True).fit(X, y)
    np.testing.assert_allclose(ours.cv_results_, (y[:, None] - path.loo_predictions) ** 2,
                               rtol=1e-9, atol=1e-12)
    k = int(np.argmin(path.loo_mse))
    np.testing.assert_allclose(ours.alpha_, path.lambdas[k] * n)
    np.testing.assert_allclose(ours.coef_, path.coef[:, k], atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, path.intercept[k], atol=1e-10)
    single = RidgeCV(alphas=path.lambdas * n).fit(X.astype(np.float32), y)
    assert single.coef_.dtype == np.float32
    np.testing.assert_allclose(single.coef_, ours.coef_, atol=TOLERANCES[np.float32]["coef_atol"])


@pytest.mark.parametrize("weighted", [False, True])
def test_ridgecv_kfold_matches_sklearn(weighted):
    X, y = make_problem(40, 30, seed=19)
    w = weights(40, seed=19) if weighted else None
    alphas = np.geomspace(100, 0.01, 7)
    ours = RidgeCV(alphas=alphas, cv=4).fit(X, y, sample_weight=w)
    theirs = sk.RidgeCV(alphas=alphas, cv=4).fit(X, y, sample_weight=w)
    assert ours.alpha_ == theirs.alpha_
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-9)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-9)
    with pytest.raises(ValueError, match="incompatible"):
        RidgeCV(cv=3, store_cv_results=True).fit(X, y)
    with pytest.raises(ValueError, match="alphas must be > 0"):
        RidgeCV(alphas=[1.0, 0.0]).fit(X, y)
    with pytest.raises(ValueError, match="gcv_mode"):
        RidgeCV(gcv_mode="qr").fit(X, y)


def test_sparse_direct_route_certifies_from_the_data():
    """A column with a huge mean: the sparse Gram's cancellation must show in the gap."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 40))
    X[rng.random(X.shape) < 0.5] = 0
    y = X @ rng.standard_normal(40) + rng.standard_normal(300)
    X[:, 0] += 5e5
    Xs = sp.csc_matrix(X)
    res = ridge_path(Xs, y, lambdas=[1e-3, 1e-1], solver="eigen", tol=1e-4)
    # the reported gap is at least the true suboptimality (oracle: dense normal equations)
    Xc, yc = X - X.mean(0), y - y.mean()
    for k, lam in enumerate(res.lambdas):
        beta = np.linalg.solve(Xc.T @ Xc / 300 + lam * np.eye(40), Xc.T @ yc / 300)
        def obj(b):
            r = yc - Xc @ b
            return r @ r / 600 + lam / 2 * b @ b
        subopt = (obj(res.coef[:, k]) - obj(beta)) / res.null_objective
        assert subopt <= res.dual_gap[k] + 1e-12
