"""Input validation: every check of user input lives here, each error names its argument."""
from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

FLOAT_DTYPES = (np.float64, np.float32)


def _as_float_array(values, name, dtype=None):
    """np.asarray(values) as float32/float64; TypeError naming `name` if not numeric."""
    try:
        arr = np.asarray(values)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be numeric array-like; got {type(values).__name__}") from exc
    if arr.dtype.kind in "fiub" and dtype is None:
        return arr if arr.dtype in FLOAT_DTYPES else arr.astype(np.float64)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real-valued; got complex dtype {arr.dtype}")
    target = np.float64 if dtype is None else dtype
    try:
        return arr.astype(target)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must contain numbers only; got dtype {arr.dtype} that does not convert "
            f"to float ({exc})"
        ) from exc


def _check_finite(values, name):
    # every value is finite when their sum is (a reduction: no temporary of the size of X);
    # only when it is not (a NaN or an inf, or a sum that overflows) are they looked at
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(values)):
            return
    if not np.all(np.isfinite(values)):
        n_nan = int(np.isnan(values).sum())
        n_inf = int(np.isinf(values).sum())
        raise ValueError(f"{name} contains {n_nan} NaN and {n_inf} infinite value(s); "
                         "remove or impute them first")


def check_design(X, sparse_formats=("csc",)):
    """Return X ready for the kernels: Fortran-ordered float ndarray or canonical sparse
    in one of ``sparse_formats`` (CSC unless the caller takes more).

    Dense Fortran-ordered float32/float64 input and sparse input in those formats with
    canonical indices are used as they are (no copy); anything else is converted once.
    """
    if sp.issparse(X):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D; got a sparse array of shape {X.shape}")
        if X.format not in sparse_formats:
            X = X.tocsc()
        if X.dtype not in FLOAT_DTYPES:
            if X.dtype.kind not in "fiub":
                raise TypeError(f"X must be numeric; got sparse dtype {X.dtype}")
            X = X.astype(np.float64)
        if X.indices.dtype not in (np.int32, np.int64) or X.indptr.dtype != X.indices.dtype:
            X = X.copy()
            X.indices = X.indices.astype(np.int64)
            X.indptr = X.indptr.astype(np.int64)
        if not X.has_canonical_format:
            # duplicated entries would break the column norms: sum them, on a copy
            X = X.copy()
            X.sum_duplicates()
        _check_finite(X.data, "X")
    else:
        if isinstance(X, (str, bytes)) or X is None:
            raise TypeError(f"X must be a 2-D array or a scipy sparse matrix; got {type(X).__name__}")
        X = _as_float_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}")
        _check_finite(X, "X")
        if not X.flags.f_contiguous:
            X = np.asfortranarray(X)
    n_samples, n_features = X.shape
    if n_samples == 0 or n_features == 0:
        raise ValueError(f"X is empty: shape {X.shape}; need at least one sample and one feature")
    return X


def column_too_large(j):
    """The error for column j of X whose squares overflow float64 (CD kernel and ridge)."""
    return ValueError(f"X's column {j} is too large for float64 arithmetic: the sum of its "
                      f"squares overflows (values above ~1e154). Rescale X (e.g. standardize "
                      f"its columns)")


def check_target(y, n_samples, dtype):
    y = _as_float_array(y, "y", dtype=None)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D with {n_samples} values; got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"y has {y.shape[0]} values but X has {n_samples} rows")
    _check_finite(y, "y")
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.ascontiguousarray(y, dtype=dtype)
        # (finite in its own dtype, not in X's: a float64 y beyond float32's range; the sum
        # first, as _check_finite does, the values only when it is not finite)
        beyond = (out.dtype != y.dtype and not np.isfinite(np.sum(out))
                  and not np.isfinite(out).all())
    if beyond:
        raise ValueError(
            f"y has values beyond the range of {out.dtype} (largest |y| = "
            f"{float(np.max(np.abs(y))):.3g}, {out.dtype} holds up to "
            f"{float(np.finfo(out.dtype).max):.3g}); y is fitted in X's dtype {out.dtype}: "
            f"pass X as float64, or rescale y")
    return out


def check_sample_weight(sample_weight, n_samples, dtype):
    """None (unit weights) or a copy rescaled to sum to n_samples."""
    if sample_weight is None:
        return None
    w = _as_float_array(sample_weight, "sample_weight")
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have shape ({n_samples},); got {w.shape}")
    _check_finite(w, "sample_weight")
    if np.any(w < 0):
        raise ValueError(f"sample_weight must be >= 0; got {int((w < 0).sum())} negative value(s)")
    top = float(np.max(w))
    if top <= 0:
        raise ValueError("sample_weight sums to zero: at least one weight must be positive")
    w = np.asarray(w, dtype=np.float64) / top           # in (0, 1]: the sum cannot overflow
    return np.ascontiguousarray(w * (n_samples / np.sum(w)), dtype=dtype)


def check_per_feature(values, n_features, name, default, *, allow_inf=False, nonneg=False):
    """A float64 vector of length n_features from None, a scalar or a vector."""
    if values is None:
        return np.full(n_features, default, dtype=np.float64)
    v = _as_float_array(values, name).astype(np.float64)
    if v.ndim == 0:
        v = np.full(n_features, float(v))
    if v.ndim != 1 or v.shape[0] != n_features:
        raise ValueError(f"{name} must be a scalar or have shape ({n_features},); got {v.shape}")
    if np.any(np.isnan(v)) or (not allow_inf and not np.all(np.isfinite(v))):
        raise ValueError(f"{name} must be {'non-NaN' if allow_inf else 'finite'}; "
                         f"got {v[~np.isfinite(v)][:3]}")
    if nonneg and np.any(v < 0):
        raise ValueError(f"{name} must be >= 0; got {v[v < 0][:3]}")
    return np.ascontiguousarray(v)


def check_bounds(lower_bounds, upper_bounds, positive, n_features):
    lower = check_per_feature(lower_bounds, n_features, "lower_bounds", -np.inf, allow_inf=True)
    upper = check_per_feature(upper_bounds, n_features, "upper_bounds", np.inf, allow_inf=True)
    if positive:
        lower = np.maximum(lower, 0.0)
    if np.any(lower == np.inf) or np.any(upper == -np.inf):
        raise ValueError("lower_bounds cannot be +inf and upper_bounds cannot be -inf")
    bad = np.flatnonzero(lower > upper)
    if bad.size:
        raise ValueError(
            f"lower_bounds > upper_bounds for {bad.size} feature(s), e.g. feature {bad[0]}: "
            f"{lower[bad[0]]} > {upper[bad[0]]}" + (" (positive=True sets lower to 0)" if positive else "")
        )
    return lower, upper


def check_scalar(value, name, *, low=None, high=None, low_open=False, integer=False):
    kinds = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TypeError(f"{name} must be {'an integer' if integer else 'a real number'}; "
                        f"got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}; got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}; got {value}")
    return value


def check_lambdas(lambdas):
    lam = _as_float_array(lambdas, "lambdas").astype(np.float64).ravel()
    if lam.size == 0:
        raise ValueError("lambdas is empty: give at least one value")
    if np.any(np.isnan(lam)) or np.any(np.isinf(lam)):
        raise ValueError(f"lambdas must be finite; got {lam[~np.isfinite(lam)][:3]}")
    if np.any(lam < 0):
        raise ValueError(f"lambdas must be >= 0; got {lam[lam < 0][:3]}")
    return lam


def check_coef_init(coef_init, n_features, dtype):
    if coef_init is None:
        return None
    c = _as_float_array(coef_init, "coef_init").ravel()
    if c.shape[0] != n_features:
        raise ValueError(f"coef_init must have {n_features} values; got {c.shape[0]}")
    _check_finite(c, "coef_init")
    return np.ascontiguousarray(c, dtype=dtype)
