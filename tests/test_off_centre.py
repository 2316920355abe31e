"""Dense columns whose spread is ~1e-6 (float64) or ~1e-3 (float32) of their mean, with
weights, bounds and unpenalized features. Found in review (present at e334f37, with and
without the predictor, with Newton and Anderson turned off): the gradient took the running
sum(w r) for the centring term, and its float32 drift, times a mean 1e3-1e6 times the
column's spread, fed back through CD (NaN coefficients in float32, gaps of 1e4 P(0) in
float64). Dense gradients now use the centred column itself."""
import numpy as np
from fastreg import enet_path


def off_centre_problem(seed, spread, mean, scale, dtype):
    rng = np.random.default_rng(seed)
    n, p = 80, 300
    X = rng.standard_normal((n, p)) * spread + mean * rng.uniform(0.5, 2, p)
    y = X[:, :10] @ rng.standard_normal(10) * scale + rng.standard_normal(n)
    rng = np.random.default_rng(seed + 100 if dtype == np.float64 else 7)
    w = rng.uniform(0, 2, n)
    w[::4] = 0
    lower = np.where(rng.uniform(size=p) < 0.3, 0.0, -np.inf)
    upper = np.where(rng.uniform(size=p) < 0.2, 1e-3, np.inf)
    factor = np.ones(p)
    factor[:3] = 0
    lower[:3], upper[:3] = -np.inf, np.inf
    return (np.asfortranarray(X, dtype=dtype), y.astype(dtype),
            dict(sample_weight=w.astype(dtype), lower_bounds=lower, upper_bounds=upper,
                 penalty_factor=factor))


def test_off_centre_float64_with_bounds_converges():
    X, y, kw = off_centre_problem(1, 1e-3, 1e3, 1e3, np.float64)
    res = enet_path(X, y, l1_ratio=0.8, n_lambdas=40, lambda_min_ratio=1e-4, tol=1e-8,
                    max_epochs=20000, **kw)
    assert res.converged.all() and res.dual_gap.max() <= 1e-8


def test_off_centre_float32_unpenalized_stays_finite():
    X, y, kw = off_centre_problem(3, 1e-1, 1e2, 10, np.float32)
    res = enet_path(X, y, l1_ratio=0.8, n_lambdas=30, lambda_min_ratio=1e-4, tol=1e-6,
                    max_epochs=50000, **kw)
    assert res.converged.all()
    assert np.all(np.isfinite(res.coef)) and np.all(np.isfinite(res.dual_gap))


def test_off_centre_csc_columns_are_read_centred():
    """The same problems stored as CSC (every column full and far from 0): before the dense
    copies of such columns (attach_dense_columns), implicit centring's correction term had
    the same flaw on sparse storage."""
    import scipy.sparse as sp
    X, y, kw = off_centre_problem(1, 1e-3, 1e3, 1e3, np.float64)
    res = enet_path(sp.csc_matrix(X), y, l1_ratio=0.8, n_lambdas=40, lambda_min_ratio=1e-4,
                    tol=1e-8, max_epochs=20000, **kw)
    assert res.converged.all() and res.dual_gap.max() <= 1e-8
    X, y, kw = off_centre_problem(3, 1e-1, 1e2, 10, np.float32)
    res = enet_path(sp.csc_matrix(X), y, l1_ratio=0.8, n_lambdas=30, lambda_min_ratio=1e-4,
                    tol=1e-6, max_epochs=50000, **kw)
    assert res.converged.all()
    assert np.all(np.isfinite(res.coef.toarray() if sp.issparse(res.coef) else res.coef))
