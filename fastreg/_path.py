"""The path driver: validate, call the compiled path once, wrap the result."""
from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from fastreg import _cd
from fastreg import _validation as v

__all__ = ["ConvergenceWarning", "PathResult", "enet_path", "lasso_path", "relax"]

_STATUS_TEXT = {
    1: "the epoch budget (max_epochs) ran out",
    2: ("no coordinate moves any more while the gap is above tol: tol is below what {dtype} "
        "reaches here"),
}


class ConvergenceWarning(UserWarning):
    """A solution did not reach its duality-gap target."""


class _Coefficients:
    """`PathResult.coef`: to the reader always the dense (n_features, n_lambdas) array.

    Given sparse (any scipy.sparse matrix or array, as `enet_path` gives it), it is kept
    as a CSC array and made dense on the first read of ``coef`` (then kept): a path's
    n_features x n_lambdas array, which for large p outweighs a sparse X (200,000 features,
    100 lambdas: 160 MB), is only allocated when asked for. `coef_sparse`, `coef_column`,
    `n_nonzero`, `n_features` and `predict(X)` (every lambda) do not need it.
    """

    _lock = threading.Lock()     # one thread builds the dense array, the others wait

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        dense, sparse = obj._held()
        if dense is None:
            with self._lock:
                dense, sparse = obj._held()
                if dense is None:
                    dense = sparse.toarray(order="F")
                    obj.__dict__["_coef"] = dense
        return dense

    def __set__(self, obj, value):
        if sp.issparse(value):
            # a canonical CSC array without stored zeros (enet_path's) is kept as it is, as
            # a dense array is; anything else is copied and made so
            S = value
            if not (isinstance(S, sp.csc_array) and S.has_canonical_format and S.data.all()):
                S = sp.csc_array(value, copy=True)
                S.sum_duplicates()      # (sorted rows, one entry each)
                S.eliminate_zeros()
            obj.__dict__["_coef_sparse"] = S
            obj.__dict__["_coef"] = None
        else:
            obj.__dict__["_coef"] = np.asarray(value)
            obj.__dict__["_coef_sparse"] = None


@dataclass(frozen=True, eq=False)
class PathResult:
    """A regularization path: one column of ``coef`` per lambda, in decreasing lambda order.

    Attributes
    ----------
    lambdas : ndarray of shape (n_lambdas,)
        Decreasing regularization strengths.
    coef : ndarray of shape (n_features, n_lambdas)
        Coefficients, in the dtype of X. `enet_path` keeps them sparse and builds this
        array on its first use (then keeps it); see `coef_sparse`.
    intercept : ndarray of shape (n_lambdas,)
        Intercepts (0 when fit_intercept=False).
    dual_gap : ndarray of shape (n_lambdas,)
        Duality gap of each solution divided by the null objective (the objective of the
        intercept-only model): a certificate, objective - optimum <= dual_gap * null_objective.
    n_epochs : ndarray of shape (n_lambdas,)
        Coordinate-descent sweeps over the working set.
    n_passes : ndarray of shape (n_lambdas,)
        Full passes over X (gradient of every feature). 0 when a bound on how far the
        residual moved since the last full pass proved the KKT conditions of the features
        outside the working set (most lambdas of a path).
    converged : ndarray of shape (n_lambdas,)
        Whether dual_gap <= tol.
    status : ndarray of shape (n_lambdas,)
        0 converged, 1 the epoch budget ran out, 2 stalled (no coordinate moves any
        more: tol is below what the dtype's precision reaches).
    dev_ratio : ndarray of shape (n_lambdas,)
        Fraction of the (weighted) deviance explained.
    l1_ratio : float
        The mixing parameter.
    tol : float
        The tolerance on dual_gap.
    lambda_max : float
        The smallest lambda whose solution has no penalized non-zero.
    null_objective : float
        Objective value of the intercept-only model.
    fit_intercept : bool
        Whether an intercept was fitted.
    lower_bounds, upper_bounds : ndarray of shape (n_features,) or None
        The box constraints of the fit (None: unbounded).
    """

    lambdas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    dual_gap: np.ndarray
    n_epochs: np.ndarray
    n_passes: np.ndarray
    converged: np.ndarray
    status: np.ndarray
    dev_ratio: np.ndarray
    l1_ratio: float
    tol: float
    lambda_max: float
    null_objective: float
    fit_intercept: bool = field(default=True, kw_only=True)
    lower_bounds: np.ndarray | None = field(default=None, kw_only=True)
    upper_bounds: np.ndarray | None = field(default=None, kw_only=True)

    def _held(self):
        """(dense coef or None, CSC coef or None): the forms built so far (one at least)."""
        return self.__dict__.get("_coef"), self.__dict__.get("_coef_sparse")

    def __setstate__(self, state):
        # (results pickled before coef could be held sparse stored it as "coef")
        if "coef" in state:
            state = dict(state, _coef=state["coef"], _coef_sparse=None)
            del state["coef"]
        self.__dict__.update(state)

    @property
    def coef_sparse(self) -> sp.csc_array:
        """The coefficients as a CSC array (n_features, n_lambdas), sorted rows and no
        stored zeros, without making the dense `coef`. Built once: when only the dense
        `coef` is held (a ridge path), from it as it then was."""
        dense, S = self._held()
        if S is None:
            with _Coefficients._lock:
                dense, S = self._held()
                if S is None:
                    S = sp.csc_array(dense)
                    self.__dict__["_coef_sparse"] = S
        return S

    def coef_column(self, k) -> np.ndarray:
        """The coefficients at lambda index k, a new (n_features,) array, from whichever
        form is held (no n_features x n_lambdas array is made for it)."""
        dense, S = self._held()
        if dense is not None:
            return dense[:, k].copy()
        return S[:, [k]].toarray()[:, 0]

    @property
    def n_nonzero(self) -> np.ndarray:
        """Number of non-zero coefficients at each lambda."""
        dense, S = self._held()
        return np.count_nonzero(dense, axis=0) if dense is not None else np.diff(S.indptr)

    @property
    def n_features(self) -> int:
        """Number of features."""
        dense, S = self._held()
        return (S if dense is None else dense).shape[0]

    @property
    def _dtype(self):
        dense, S = self._held()
        return (S if dense is None else dense).dtype

    def _interpolation(self, lambdas):
        """(left index, right index, weight of right) for each requested lambda.

        Linear interpolation in lambda between the two neighbouring grid points (exact
        for the lasso while the active set does not change between them). Above the grid
        the first solution is used only when the grid starts at lambda_max (it is then
        the exact all-zero solution); below the grid is an error.
        """
        lam = v._as_float_array(lambdas, "lambdas").astype(np.float64).ravel()
        grid = self.lambdas
        # above lambda_max the solution stays the null model, which the grid's first
        # solution is when the grid starts there (lambda_max is exact for l1_ratio >= 1e-3)
        top_exact = self.l1_ratio >= 1e-3 and grid[0] >= self.lambda_max * (1 - 1e-12)
        too_low = lam < grid[-1] * (1 - 1e-12)
        too_high = (lam > grid[0] * (1 + 1e-12)) & (not top_exact)
        if np.any(~np.isfinite(lam)) or np.any(too_low | too_high):
            raise ValueError(
                f"lambdas must lie within the path's grid [{grid[-1]:.6g}, {grid[0]:.6g}]"
                f"{' (or above lambda_max)' if top_exact else ''}; got {lam[too_low | too_high][:3]}."
                " Refit the path with a grid that covers them."
            )
        # the grid decreases: search on its reverse
        asc = grid[::-1]
        pos = np.clip(np.searchsorted(asc, lam), 1, max(grid.size - 1, 1))
        if grid.size == 1:
            zeros = np.zeros(lam.size, dtype=np.intp)
            return zeros, zeros, np.zeros(lam.size)
        lo_asc, hi_asc = pos - 1, pos
        span = asc[hi_asc] - asc[lo_asc]
        t = np.clip(np.where(span > 0, (lam - asc[lo_asc]) / np.where(span > 0, span, 1), 0), 0, 1)
        # t is the weight of the larger lambda (hi_asc); convert indices to the decreasing grid
        return grid.size - 1 - hi_asc, grid.size - 1 - lo_asc, 1 - t

    def coef_at(self, lambdas) -> np.ndarray:
        """Coefficients at any lambda(s) of the grid's range, interpolated linearly in
        lambda between grid points: (n_features,) for a scalar, else (n_features, m)."""
        i, j, t = self._interpolation(lambdas)
        coef = self.coef[:, i] * (1 - t) + self.coef[:, j] * t
        return coef[:, 0] if np.ndim(lambdas) == 0 else coef

    def intercept_at(self, lambdas):
        """Intercept(s) at any lambda(s), interpolated as `coef_at`."""
        i, j, t = self._interpolation(lambdas)
        b = self.intercept[i] * (1 - t) + self.intercept[j] * t
        return float(b[0]) if np.ndim(lambdas) == 0 else b

    def predict(self, X, lambdas=None) -> np.ndarray:
        """Predictions (n_samples, n_lambdas) for every lambda of the path, or at the
        given lambdas (interpolated, see `coef_at`; (n_samples,) for a scalar)."""
        if not sp.issparse(X):
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"X must be 2-D; got shape {X.shape}")
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features; the path was fitted on {self.n_features}")
        if lambdas is None:
            dense, S = self._held()
            return _sparse_product(X, S if dense is None else dense) + self.intercept
        coef = self.coef_at(lambdas)
        return _sparse_product(X, coef) + self.intercept_at(lambdas)

    def effective_df(self, X, sample_weight=None, penalty_factor=None) -> np.ndarray:
        """Effective degrees of freedom per lambda (the intercept not counted).

        The lasso's is the number of non-zeros (Zou, Hastie & Tibshirani 2007); the
        elastic net's is tr(X_A (X_A^T W X_A + n lam (1-a) V_A)^{-1} X_A^T W) on the active
        set A with centred columns (bounds are not taken into account).
        """
        if self.l1_ratio == 1.0:
            return self.n_nonzero.astype(np.float64)
        X = v.check_design(X)
        n, p = X.shape
        if p != self.n_features:
            raise ValueError(f"X has {p} features; the path was fitted on {self.n_features}")
        w = v.check_sample_weight(sample_weight, n, np.float64)
        w = np.ones(n) if w is None else w
        factor = v.check_per_feature(penalty_factor, p, "penalty_factor", 1.0, nonneg=True)
        df = np.zeros(self.lambdas.size)
        for k, lam in enumerate(self.lambdas):
            active = np.flatnonzero(self.coef[:, k])
            if active.size == 0:
                continue
            XA = X[:, active]
            XA = XA.toarray() if sp.issparse(XA) else np.asarray(XA, dtype=np.float64)
            if self.fit_intercept:
                XA = XA - (w @ XA) / n
            G = (XA.T * w) @ XA / n
            ridge = lam * (1 - self.l1_ratio) * factor[active]
            df[k] = np.trace(np.linalg.lstsq(G + np.diag(ridge), G, rcond=None)[0])
        return df

    def __repr__(self) -> str:
        return (f"PathResult(n_features={self.n_features}, n_lambdas={self.lambdas.size}, "
                f"l1_ratio={self.l1_ratio}, lambdas=[{self.lambdas[0]:.4g} .. {self.lambdas[-1]:.4g}], "
                f"converged={int(self.converged.sum())}/{self.lambdas.size})")


# (set after the dataclass is made, so that the field stays required; the generated
# __init__ assigns through it)
PathResult.coef = _Coefficients()


def _sparse_product(X, coef, rows=None):
    """X[rows] @ coef, touching only the columns of X where coef has a non-zero row."""
    squeeze = coef.ndim == 1
    coef = coef[:, None] if squeeze else coef
    if sp.issparse(coef):
        # (a path's CSC coefficients: their rows, densified alone)
        active = np.unique(coef.indices)
        coef_active = sp.csr_array(coef)[active].toarray()
    else:
        active = np.flatnonzero(np.any(coef != 0, axis=1))
        coef_active = coef[active]
    n_rows = X.shape[0] if rows is None else len(rows)
    if active.size == 0:
        out = np.zeros((n_rows, coef.shape[1]))
    else:
        XA = X[:, active]
        out = np.asarray((XA if rows is None else XA[rows]) @ coef_active)
    return out[:, 0] if squeeze else out


def enet_path(X, y, *, l1_ratio=1.0, lambdas=None, n_lambdas=100, lambda_min_ratio=None,
              sample_weight=None, penalty_factor=None, lower_bounds=None, upper_bounds=None,
              positive=False, fit_intercept=True, tol=1e-4, max_epochs=10_000, coef_init=None,
              check_convergence=True) -> PathResult:
    """Elastic-net regularization path by working-set coordinate descent.

    Minimizes, for each lambda of the path::

        1/(2n) sum_i w_i (y_i - b - x_i.beta)^2 + lambda sum_j v_j (a |beta_j| + (1-a)/2 beta_j^2)
        subject to lower_j <= beta_j <= upper_j

    with the intercept b unpenalized, weights w rescaled to sum to n, penalty factors v
    and a = ``l1_ratio``. The whole path is one call into compiled code that releases
    the GIL; each lambda is warm-started from the previous one.

    Parameters
    ----------
    X : array or scipy sparse matrix of shape (n_samples, n_features)
        Fortran-ordered float32/float64 arrays and CSC matrices (int32 or int64 indices)
        are used without a copy; other input is converted once. float32 is solved in
        float32. Sparse X is never densified: the intercept is handled by implicit
        centring.
    y : array of shape (n_samples,)
        Targets.
    l1_ratio : float in [0, 1]
        1 is the lasso, 0 ridge (solved here by coordinate descent too).
    lambdas : array of non-negative floats, optional
        The grid, solved in decreasing order (the result is sorted that way). At
        lambda = 0 the problem is least squares, whose dual point is feasible only at an
        exact solution: expect a ConvergenceWarning there.
    n_lambdas : int, default 100
        Size of the default grid, geometric from lambda_max down to
        ``lambda_min_ratio * lambda_max``.
    lambda_min_ratio : float, optional
        Default 1e-2 when n_samples < n_features, else 1e-4.
    sample_weight : array of shape (n_samples,), optional
        Non-negative weights (rescaled to sum to n).
    penalty_factor : array of shape (n_features,), optional
        Per-feature multipliers v_j of the penalty; 0 leaves a feature unpenalized.
    lower_bounds, upper_bounds : float or array of shape (n_features,), optional
        Box constraints on the coefficients (may be infinite).
    positive : bool
        Shorthand for ``lower_bounds=0``.
    fit_intercept : bool
    tol : float
        Stop at duality gap <= tol * null objective (the intercept-only model's).
    max_epochs : int
        Sweeps over the working set allowed per lambda.
    coef_init : array of shape (n_features,), optional
        Warm start for the first lambda.
    check_convergence : bool
        Warn with a `ConvergenceWarning` when a lambda misses its gap target.

    Returns
    -------
    PathResult
    """
    X = v.check_design(X)
    n_samples, n_features = X.shape
    dtype = X.dtype
    y = v.check_target(y, n_samples, dtype)
    w = v.check_sample_weight(sample_weight, n_samples, dtype)
    l1_ratio = float(v.check_scalar(l1_ratio, "l1_ratio", low=0.0, high=1.0))
    tol = float(v.check_scalar(tol, "tol", low=0.0, low_open=True))
    max_epochs = int(v.check_scalar(max_epochs, "max_epochs", low=1, integer=True))
    factor = v.check_per_feature(penalty_factor, n_features, "penalty_factor", 1.0, nonneg=True)
    lower, upper = v.check_bounds(lower_bounds, upper_bounds, positive, n_features)
    coef_init = v.check_coef_init(coef_init, n_features, dtype)

    if lambdas is None:
        n_lambdas = int(v.check_scalar(n_lambdas, "n_lambdas", low=1, integer=True))
        if lambda_min_ratio is None:
            lambda_min_ratio = 1e-2 if n_samples < n_features else 1e-4
        lambda_min_ratio = float(v.check_scalar(lambda_min_ratio, "lambda_min_ratio",
                                                low=0.0, high=1.0, low_open=True))
        grid = np.geomspace(1.0, lambda_min_ratio, n_lambdas) if n_lambdas > 1 else np.ones(1)
        relative = True
    else:
        grid = np.sort(v.check_lambdas(lambdas))[::-1].copy()
        relative = False

    kwargs = dict(sample_weight=w, penalty_factor=factor, lower_bounds=lower, upper_bounds=upper,
                  l1_ratio=l1_ratio, lambdas=grid, lambdas_relative=relative, coef_init=coef_init,
                  tol=tol, max_epochs=max_epochs, fit_intercept=bool(fit_intercept))
    # the solutions come back sparse (a few non-zeros per lambda), `coef` is made dense
    # when first read
    if sp.issparse(X):
        out = _cd.enet_path_csc(X.data, X.indices, X.indptr, n_samples, y, sparse_coef=True,
                                **kwargs)
    else:
        out = _cd.enet_path_dense(X, y, sparse_coef=True, **kwargs)
    coef = sp.csc_array(out["coef_sparse"], shape=(n_features, grid.size))
    coef.sum_duplicates()    # (in place: sorts each column's rows; the kernel writes no zeros)

    status = out["status"]
    result = PathResult(
        lambdas=grid, coef=coef, intercept=out["intercept"], dual_gap=out["dual_gap"],
        n_epochs=out["n_epochs"], n_passes=out["n_passes"], converged=status == 0,
        status=status,
        dev_ratio=out["dev_ratio"], l1_ratio=l1_ratio, tol=tol,
        lambda_max=float(out["lambda_max"]), null_objective=float(out["null_objective"]),
        fit_intercept=bool(fit_intercept),
        lower_bounds=lower if np.any(np.isfinite(lower)) else None,
        upper_bounds=upper if np.any(np.isfinite(upper)) else None,
    )
    if check_convergence:
        warn_if_not_converged(result, ConvergenceWarning)
    return result


def warn_if_not_converged(result, category, stacklevel=3):
    """One warning naming the worst lambda, its duality gap and why it stopped."""
    status = result.status
    bad = np.flatnonzero(status != 0)
    if bad.size == 0:
        return
    k = bad[np.argmax(result.dual_gap[bad])]
    why = _STATUS_TEXT.get(int(status[k]), "unknown").format(dtype=result._dtype.name)
    warnings.warn(
        f"fastreg: {bad.size} of {status.size} lambda(s) did not converge. Worst: lambda="
        f"{result.lambdas[k]:.6g} (index {k}) stopped at duality gap {result.dual_gap[k]:.3g} "
        f"x null objective > tol={result.tol:g} after {result.n_epochs[k]} epochs: {why}. "
        "Raise max_epochs or tol, or check the data's scaling.",
        category, stacklevel=stacklevel,
    )


def lasso_path(X, y, **kwargs) -> PathResult:
    """Lasso path: `enet_path` with ``l1_ratio=1`` (see there for the parameters)."""
    if "l1_ratio" in kwargs:
        raise TypeError("lasso_path() fixes l1_ratio=1; use enet_path() to set it")
    return enet_path(X, y, l1_ratio=1.0, **kwargs)


def relax(path, X, y, *, gamma=0.0, sample_weight=None) -> PathResult:
    """Relaxed lasso (Meinshausen 2007; glmnet's ``relax=TRUE``) along a path.

    For each lambda, the features in the path's support are refitted by least squares
    without shrinkage, and the result is blended: ``gamma * coef + (1 - gamma) * refit``
    (gamma = 1 is the original path, gamma = 0 the unshrunk refit). The refit is the
    solver with penalty factor 0 on the support (its exact unpenalized block step), with
    the path's intercept setting and bounds; pass the path's ``sample_weight`` again.
    Returns a PathResult on the same grid whose dual_gap is that of the refits.
    """
    fit_intercept = path.fit_intercept
    gamma = float(v.check_scalar(gamma, "gamma", low=0.0, high=1.0))
    X = v.check_design(X)
    if X.shape[1] != path.n_features:
        raise ValueError(f"X has {X.shape[1]} features; the path was fitted on {path.n_features}")
    coef = np.array(path.coef, copy=True)
    intercept = np.array(path.intercept, copy=True)
    gaps = np.zeros_like(path.dual_gap)
    cache = {}
    for k in range(path.lambdas.size):
        support = np.flatnonzero(path.coef[:, k])
        if support.size == 0:
            continue
        key = support.tobytes()
        if key not in cache:
            XS = X[:, support]
            XS = XS if sp.issparse(XS) else np.asfortranarray(XS)
            bounds = {name: None if b is None else b[support] for name, b in
                      (("lower_bounds", path.lower_bounds), ("upper_bounds", path.upper_bounds))}
            refit = enet_path(XS, y, lambdas=[1.0], penalty_factor=0.0, sample_weight=sample_weight,
                              fit_intercept=fit_intercept, tol=path.tol, check_convergence=False,
                              **bounds)
            cache[key] = refit
        refit = cache[key]
        coef[support, k] = gamma * path.coef[support, k] + (1 - gamma) * refit.coef[:, 0]
        intercept[k] = gamma * path.intercept[k] + (1 - gamma) * refit.intercept[0]
        gaps[k] = refit.dual_gap[0]
    # deviance explained by the blended fits
    y = v.check_target(y, X.shape[0], np.float64)
    w = v.check_sample_weight(sample_weight, X.shape[0], np.float64)
    w = np.ones(X.shape[0]) if w is None else w
    resid = y[:, None] - _sparse_product(X, coef) - intercept
    dev_ratio = 1 - (w @ resid ** 2) / (2 * X.shape[0] * path.null_objective) if path.null_objective > 0 \
        else np.zeros_like(gaps)
    return PathResult(
        lambdas=path.lambdas, coef=coef, intercept=intercept, dual_gap=gaps,
        n_epochs=path.n_epochs, n_passes=path.n_passes, converged=path.converged,
        status=path.status, dev_ratio=dev_ratio, l1_ratio=path.l1_ratio, tol=path.tol,
        lambda_max=path.lambda_max, null_objective=path.null_objective,
        fit_intercept=path.fit_intercept, lower_bounds=path.lower_bounds,
        upper_bounds=path.upper_bounds,
    )
