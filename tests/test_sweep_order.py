"""The sweeps' order within a lambda (_cd.pyx, cheap_sweep and few_added): a sweep over
the working set's short columns before the epochs, and a sweep over the features the bound
test adds before the gap is checked again. Both are plain coordinate steps, so every
solution still stops on its duality gap; these check that the gaps reported along paths
that take both shortcuts hold against an independent float64 solve and KKT check.

Whether the shortcuts run is not visible from Python. Measured with counters in an
instrumented build, on the problem below: short-column sweeps at 43-48 of the 50 lambdas;
at tol 1e-3 the newcomers' shortcut taken 13-14 times and passing every time, at 1e-4
failing once and then no longer tried."""
import numpy as np
import pytest
import scipy.sparse as sp

from fastreg import enet_path
from test_certificates import gap_bounds_everything
from test_dense_columns import power_law_problem


def short_and_long_columns(seed):
    # column frequencies from 50% down to 3%: columns of about 90 to 1,500 entries, and a
    # support large enough that late lambdas hold hundreds of features
    Z, y = power_law_problem(np.float64, seed, n=3000, p=2000, cap=0.5, scale=3.0,
                             exponent=0.6, k=300, noise=0.3)
    return sp.csc_matrix(Z), y


@pytest.mark.parametrize("seed, tol", [(0, 1e-3), (1, 1e-4)])
def test_shortcut_sweeps_keep_the_certificate(seed, tol):
    X, y = short_and_long_columns(seed)
    res = enet_path(X, y, l1_ratio=1.0, n_lambdas=50, tol=tol)
    assert res.converged.all()
    assert (res.dual_gap <= tol).all()
    gap_bounds_everything(X, y, res, 1.0, None)


def test_shortcut_sweeps_with_weights_bounds_and_float32():
    X, y = short_and_long_columns(2)
    n, p = X.shape
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 1.5, n)
    factor = np.ones(p)
    factor[:5] = 0.0
    lower = np.where(rng.uniform(size=p) < 0.3, 0.0, -np.inf)
    upper = np.where(rng.uniform(size=p) < 0.1, 0.05, np.inf)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    res = enet_path(X32, y32, l1_ratio=1.0, n_lambdas=30, tol=1e-3, sample_weight=w,
                    penalty_factor=factor, lower_bounds=lower, upper_bounds=upper)
    assert res.converged.all()
    gap_bounds_everything(X32, y32, res, 1.0, w, factor=factor, lower=lower, upper=upper)
