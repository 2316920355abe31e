"""Shared problem generators and independent (pure numpy) oracles for the tests."""
import numpy as np
import pytest
import scipy.sparse as sp

# per-dtype tolerances: the solver's tol, and how close two solutions must be
TOLERANCES = {
    np.float64: dict(solver_tol=1e-10, coef_atol=1e-5, obj_rtol=1e-8, kkt_atol=1e-5),
    np.float32: dict(solver_tol=1e-5, coef_atol=2e-2, obj_rtol=1e-4, kkt_atol=5e-3),
}


def make_problem(n=40, p=60, *, density=None, seed=0, dtype=np.float64, n_informative=5):
    """A regression problem with correlated features; sparse CSC when density is given."""
    rng = np.random.default_rng(seed)
    if density is None:
        base = rng.standard_normal((n, p))
        X = base + 0.5 * np.roll(base, 1, axis=1)   # neighbouring columns correlate
        X += rng.uniform(-1, 3, size=p)             # non-zero means: centring matters
    else:
        X = sp.random(n, p, density=density, format="csc", random_state=seed,
                      data_rvs=lambda k: rng.uniform(0.5, 2.0, size=k))
    coef = np.zeros(p)
    coef[rng.choice(p, n_informative, replace=False)] = rng.choice([-2.0, -1.0, 1.5, 3.0], n_informative)
    y = np.asarray(X @ coef).ravel() + 0.5 * rng.standard_normal(n) + 4.0
    if sp.issparse(X):
        return X.astype(dtype), y.astype(dtype)
    return np.asfortranarray(X, dtype=dtype), y.astype(dtype)


def to_layout(X, layout):
    Xd = X.toarray() if sp.issparse(X) else np.asarray(X)
    if layout == "F":
        return np.asfortranarray(Xd)
    if layout == "C":
        return np.ascontiguousarray(Xd)
    if layout == "csc":
        return sp.csc_matrix(Xd)
    if layout == "csr":
        return sp.csr_matrix(Xd)
    raise ValueError(layout)


def rescaled(w, n):
    return np.ones(n) if w is None else np.asarray(w, dtype=np.float64) * (n / np.sum(w))


def optimal_intercept(X, y, beta, w, fit_intercept):
    if not fit_intercept:
        return 0.0
    w = rescaled(w, len(y))
    return float(np.sum(w * (y - np.asarray(X @ beta).ravel())) / np.sum(w))


def objective(X, y, beta, lam, l1_ratio, *, w=None, intercept=0.0, factor=None):
    """1/(2n) sum w r^2 + lam sum v (a|b| + (1-a)/2 b^2), computed in float64."""
    X = X.astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    w = rescaled(w, n)
    v = np.ones_like(beta) if factor is None else np.asarray(factor)
    r = y - intercept - np.asarray(X @ beta).ravel()
    return (np.sum(w * r * r) / (2 * n)
            + lam * np.sum(v * (l1_ratio * np.abs(beta) + 0.5 * (1 - l1_ratio) * beta ** 2)))


def kkt_violation(X, y, beta, intercept, lam, l1_ratio, *, w=None, factor=None,
                  lower=None, upper=None):
    """Largest violation of the optimality conditions of the (weighted) elastic net."""
    X = X.astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    n, p = X.shape
    w = rescaled(w, n)
    v = np.ones(p) if factor is None else np.asarray(factor, dtype=np.float64)
    lo = np.full(p, -np.inf) if lower is None else np.broadcast_to(lower, p)
    hi = np.full(p, np.inf) if upper is None else np.broadcast_to(upper, p)
    r = np.asarray(y, dtype=np.float64) - intercept - np.asarray(X @ beta).ravel()
    # gradient of the smooth part, minus the L2 term: g_j must lie in alpha_j * d|b_j| + N(b_j)
    g = np.asarray(X.T @ (w * r)).ravel() / n - lam * (1 - l1_ratio) * v * beta
    alpha = lam * l1_ratio * v
    viol = np.zeros(p)
    for j in range(p):
        b = beta[j]
        at_lo, at_hi = b <= lo[j], b >= hi[j]
        if b > 0:
            dev = g[j] - alpha[j]
        elif b < 0:
            dev = g[j] + alpha[j]
        else:
            dev = np.sign(g[j]) * max(abs(g[j]) - alpha[j], 0.0)
        if at_lo and dev < 0:      # pushing below the lower bound is allowed
            dev = 0.0
        if at_hi and dev > 0:
            dev = 0.0
        viol[j] = abs(dev)
    return viol.max()


@pytest.fixture
def problem():
    return make_problem()
