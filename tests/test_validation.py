"""Every bad input gets a clear error that names the argument; odd-but-valid input works."""
import numpy as np
import pytest
import scipy.sparse as sp

from fastreg import enet_path, lasso_path
from conftest import make_problem


@pytest.fixture
def Xy():
    return make_problem(20, 6, seed=0)


@pytest.mark.parametrize("bad, where", [(np.nan, "X"), (np.inf, "X")])
@pytest.mark.parametrize("sparse", [False, True])
def test_non_finite_X(Xy, bad, where, sparse):
    X, y = Xy
    X = X.copy()
    X[3, 2] = bad
    if sparse:
        X = sp.csc_matrix(X)
    with pytest.raises(ValueError, match=r"^X contains"):
        enet_path(X, y)


@pytest.mark.parametrize("sparse", [False, True])
def test_finite_values_whose_sum_overflows_are_accepted(Xy, sparse):
    # the finite check sums X first (no temporary of X's size); a sum that overflows must
    # fall back to looking at the values, not reject finite data
    # (the fit itself then refuses the column: its squares overflow, see
    # test_column_whose_squares_overflow_is_refused)
    from fastreg import _validation
    X, y = Xy
    X = X.copy()
    X[3, 2] = X[4, 2] = 1e308
    if sparse:
        X = sp.csc_matrix(X)
    with np.errstate(all="ignore"):
        checked = _validation.check_design(X)
        assert checked.shape == (20, 6)
        with pytest.raises(ValueError, match=r"column 2 is too large for float64"):
            enet_path(X, y, n_lambdas=3, check_convergence=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_next_to_an_overflowing_sum_is_still_caught(Xy, dtype):
    X, y = Xy
    X = X.astype(dtype)
    X[3, 2] = X[4, 2] = np.finfo(dtype).max
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match=r"^X contains 1 NaN and 0 infinite"):
        enet_path(X, y.astype(dtype))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_y_and_weights(Xy, bad):
    X, y = Xy
    y2 = y.copy()
    y2[0] = bad
    with pytest.raises(ValueError, match=r"^y contains"):
        enet_path(X, y2)
    w = np.ones(20)
    w[5] = bad
    with pytest.raises(ValueError, match=r"^sample_weight"):
        enet_path(X, y, sample_weight=w)


def test_shape_mismatches(Xy):
    X, y = Xy
    with pytest.raises(ValueError, match="y has 19 values but X has 20 rows"):
        enet_path(X, y[:-1])
    with pytest.raises(ValueError, match="y must be 1-D"):
        enet_path(X, np.c_[y, y])
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(20,\)"):
        enet_path(X, y, sample_weight=np.ones(21))
    with pytest.raises(ValueError, match=r"penalty_factor must be a scalar or have shape \(6,\)"):
        enet_path(X, y, penalty_factor=np.ones(5))
    with pytest.raises(ValueError, match="X must be 2-D"):
        enet_path(X[:, 0], y)
    with pytest.raises(ValueError, match="coef_init must have 6 values"):
        enet_path(X, y, coef_init=np.zeros(3))


def test_empty_X():
    with pytest.raises(ValueError, match="X is empty"):
        enet_path(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ValueError, match="X is empty"):
        enet_path(np.zeros((4, 0)), np.zeros(4))
    with pytest.raises(ValueError, match="X is empty"):
        enet_path(sp.csc_matrix((4, 0)), np.zeros(4))


@pytest.mark.parametrize("lambdas, match", [
    ([0.1, -1.0], "lambdas must be >= 0"),
    ([np.nan], "lambdas must be finite"),
    ([np.inf, 1.0], "lambdas must be finite"),
    ([], "lambdas is empty"),
])
def test_bad_lambdas(Xy, lambdas, match):
    with pytest.raises(ValueError, match=match):
        enet_path(*Xy, lambdas=lambdas)


@pytest.mark.parametrize("l1_ratio", [-0.1, 1.5, np.nan])
def test_bad_l1_ratio(Xy, l1_ratio):
    with pytest.raises(ValueError, match="l1_ratio"):
        enet_path(*Xy, l1_ratio=l1_ratio)


def test_bad_scalars(Xy):
    with pytest.raises(TypeError, match="l1_ratio must be a real number"):
        enet_path(*Xy, l1_ratio="0.5")
    with pytest.raises(ValueError, match="tol must be > 0"):
        enet_path(*Xy, tol=0)
    with pytest.raises(ValueError, match="max_epochs must be >= 1"):
        enet_path(*Xy, max_epochs=0)
    with pytest.raises(TypeError, match="max_epochs must be an integer"):
        enet_path(*Xy, max_epochs=10.5)
    with pytest.raises(ValueError, match="n_lambdas must be >= 1"):
        enet_path(*Xy, n_lambdas=0)
    with pytest.raises(ValueError, match="lambda_min_ratio must be > 0"):
        enet_path(*Xy, lambda_min_ratio=0.0)
    with pytest.raises(TypeError, match="fixes l1_ratio=1"):
        lasso_path(*Xy, l1_ratio=0.5)


def test_negative_factors_and_weights(Xy):
    X, y = Xy
    with pytest.raises(ValueError, match="penalty_factor must be >= 0"):
        enet_path(X, y, penalty_factor=[1, 1, -1, 1, 1, 1])
    w = np.ones(20)
    w[2] = -1
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        enet_path(X, y, sample_weight=w)
    with pytest.raises(ValueError, match="sample_weight sums to zero"):
        enet_path(X, y, sample_weight=np.zeros(20))
    with pytest.raises(ValueError, match="penalty_factor must be finite"):
        enet_path(X, y, penalty_factor=np.full(6, np.inf))


def test_bad_bounds(Xy):
    X, y = Xy
    with pytest.raises(ValueError, match=r"lower_bounds > upper_bounds .* feature 1"):
        enet_path(X, y, lower_bounds=[0, 2, 0, 0, 0, 0], upper_bounds=1.0)
    with pytest.raises(ValueError, match="positive=True sets lower to 0"):
        enet_path(X, y, positive=True, upper_bounds=-1.0)
    with pytest.raises(ValueError, match="lower_bounds cannot be \\+inf"):
        enet_path(X, y, lower_bounds=np.inf)
    with pytest.raises(ValueError, match="lower_bounds must be non-NaN"):
        enet_path(X, y, lower_bounds=np.nan)


def test_non_numeric_data(Xy):
    X, y = Xy
    with pytest.raises(TypeError, match="X must contain numbers only"):
        enet_path(np.array([["a", "b"], ["c", "d"]], dtype=object), [1.0, 2.0])
    with pytest.raises(TypeError, match="y must contain numbers only"):
        enet_path(X, np.array(["x"] * 20, dtype=object))
    with pytest.raises(TypeError, match="X must be real-valued"):
        enet_path(X + 1j, y)
    with pytest.raises(TypeError, match="X must be a 2-D array"):
        enet_path("data.csv", y)


def test_integer_and_list_input_accepted(Xy):
    X, y = Xy
    Xi = np.round(X * 10).astype(np.int64)
    res = enet_path(Xi, y.tolist(), n_lambdas=3)
    assert res.coef.dtype == np.float64
    res = enet_path(Xi.tolist(), y, n_lambdas=3)
    assert res.converged.all()
    res = enet_path(sp.csc_matrix(Xi), y, n_lambdas=3)
    assert res.coef.dtype == np.float64


def test_float32_is_not_upcast_and_y_follows_X(Xy):
    X, y = Xy
    res = enet_path(X.astype(np.float32), y, n_lambdas=3)     # float64 y follows float32 X
    assert res.coef.dtype == np.float32
    res = enet_path(sp.csc_matrix(X.astype(np.float32)), y, n_lambdas=3)
    assert res.coef.dtype == np.float32


def test_extreme_weights_do_not_overflow(Xy):
    X, y = Xy
    ref = enet_path(X, y, n_lambdas=5, sample_weight=np.linspace(1, 2, 20))
    for scale in (1e300, 1e-300):
        res = enet_path(X, y, n_lambdas=5, sample_weight=scale * np.linspace(1, 2, 20))
        np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_y_beyond_float32_range_with_float32_X_is_refused(Xy, sparse):
    # y is fitted in X's dtype: a finite float64 y that float32 cannot hold would become
    # inf in the cast (it gave NaN gaps and MAX_EPOCHS on every lambda); a clear error instead
    X, y = Xy
    X = X.astype(np.float32)
    if sparse:
        X = sp.csc_matrix(X)
    with pytest.raises(ValueError, match=r"y has values beyond the range of float32.*"
                                         r"pass X as float64, or rescale y"):
        enet_path(X, y * 1e39, n_lambdas=3)
    # the largest y float32 holds is accepted, and so is y * 1e39 with float64 X
    res = enet_path(X, y / np.max(np.abs(y)) * 1e37, n_lambdas=3)
    assert res.coef.dtype == np.float32 and np.all(np.isfinite(res.coef))
    res = enet_path(X.astype(np.float64), y * 1e39, n_lambdas=3)
    assert np.all(np.isfinite(res.coef)) and np.all(res.status == 0)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("scale", [1e160, 1e300])
def test_column_whose_squares_overflow_is_refused(Xy, sparse, scale):
    # finite values whose squares overflow float64: before, the column counted as constant
    # and was dropped, with every lambda reported converged (dense X); a clear error now
    X, y = Xy
    X = X.copy()
    X[:, 4] *= scale
    if sparse:
        X = sp.csc_matrix(X)
    with pytest.raises(ValueError, match=r"X's column 4 is too large for float64 arithmetic"):
        enet_path(X, y, n_lambdas=3)
    # a large column whose squares still fit is fitted (its coefficient scales back)
    X = X.toarray() if sparse else X
    X[:, 4] /= scale / 1e100
    res = enet_path(sp.csc_matrix(X) if sparse else X, y, n_lambdas=3,
                    check_convergence=False)
    assert np.all(np.isfinite(res.coef)) and res.coef[4, -1] != 0.0


@pytest.mark.parametrize("sparse", [False, True])
def test_ridge_refuses_a_column_whose_squares_overflow(Xy, sparse):
    # the ridge reduction counted it as constant (coefficient 0, only a numpy warning)
    from fastreg import ridge_path
    X, y = Xy
    X = X.copy()
    X[:, 1] *= 1e200
    with np.errstate(all="ignore"), pytest.raises(
            ValueError, match=r"X's column 1 is too large for float64 arithmetic"):
        ridge_path(sp.csc_matrix(X) if sparse else X, y, n_lambdas=3)
