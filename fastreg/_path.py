"""The path driver: validate, call the compiled path once, wrap the result."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from fastreg import _cd
from fastreg import _validation as v

__all__ = ["ConvergenceWarning", "PathResult", "enet_path", "lasso_path"]

_STATUS_TEXT = {
    1: "the epoch budget (max_epochs) ran out",
    2: "no coordinate moves any more: tol is below what {dtype} reaches",
}


class ConvergenceWarning(UserWarning):
    """A solution did not reach its duality-gap target."""


@dataclass(frozen=True, eq=False)
class PathResult:
    """A regularization path: one column of ``coef`` per lambda, in decreasing lambda order.

    Attributes
    ----------
    lambdas : (n_lambdas,) decreasing regularization strengths.
    coef : (n_features, n_lambdas) coefficients, in the dtype of X.
    intercept : (n_lambdas,) intercepts (0 when fit_intercept=False).
    dual_gap : (n_lambdas,) duality gap of each solution divided by the null objective
        (the objective of the intercept-only model); a certificate:
        objective - optimum <= dual_gap * null_objective.
    n_epochs : (n_lambdas,) coordinate-descent sweeps over the working set.
    n_passes : (n_lambdas,) full passes over X (gradient of every feature).
    converged : (n_lambdas,) whether dual_gap <= tol.
    status : (n_lambdas,) 0 converged, 1 the epoch budget ran out, 2 stalled (no
        coordinate moves any more: tol is below what the dtype's precision reaches).
    dev_ratio : (n_lambdas,) fraction of the (weighted) deviance explained.
    l1_ratio, tol : the mixing parameter and tolerance used.
    lambda_max : the smallest lambda whose solution has no penalized non-zero.
    null_objective : objective value of the intercept-only model.
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

    @property
    def n_nonzero(self) -> np.ndarray:
        """Number of non-zero coefficients at each lambda."""
        return np.count_nonzero(self.coef, axis=0)

    @property
    def n_features(self) -> int:
        return self.coef.shape[0]

    def predict(self, X) -> np.ndarray:
        """Predictions (n_samples, n_lambdas) for every lambda of the path."""
        if not sp.issparse(X):
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"X must be 2-D; got shape {X.shape}")
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} features; the path was fitted on {self.n_features}")
        return np.asarray(X @ self.coef) + self.intercept

    def __repr__(self) -> str:
        return (f"PathResult(n_features={self.n_features}, n_lambdas={self.lambdas.size}, "
                f"l1_ratio={self.l1_ratio}, lambdas=[{self.lambdas[0]:.4g} .. {self.lambdas[-1]:.4g}], "
                f"converged={int(self.converged.sum())}/{self.lambdas.size})")


def enet_path(X, y, *, l1_ratio=1.0, lambdas=None, n_lambdas=100, lambda_min_ratio=None,
              sample_weight=None, penalty_factor=None, lower_bounds=None, upper_bounds=None,
              positive=False, fit_intercept=True, tol=1e-4, max_epochs=10_000, coef_init=None,
              check_convergence=True) -> PathResult:
    r"""Elastic-net regularization path by working-set coordinate descent.

    Minimizes, for each lambda of the path,

    .. math::

        \frac{1}{2n}\sum_i w_i (y_i - b - x_i^\top\beta)^2
        + \lambda \sum_j v_j \Big(a|\beta_j| + \frac{1-a}{2}\beta_j^2\Big),
        \quad \text{lower}_j \le \beta_j \le \text{upper}_j,

    with the intercept b unpenalized, weights w rescaled to sum to n, penalty factors v
    and a = ``l1_ratio``. The whole path is one call into compiled code that releases
    the GIL; each lambda is warm-started from the previous one.

    Parameters
    ----------
    X : (n_samples, n_features) array or scipy sparse matrix
        Fortran-ordered float32/float64 arrays and CSC matrices (int32 or int64 indices)
        are used without a copy; other input is converted once. float32 is solved in
        float32. Sparse X is never densified: the intercept is handled by implicit
        centring.
    y : (n_samples,) targets.
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
    sample_weight : (n_samples,) non-negative weights, optional (rescaled to sum to n).
    penalty_factor : (n_features,) non-negative, optional
        Per-feature multipliers v_j of the penalty; 0 leaves a feature unpenalized.
    lower_bounds, upper_bounds : scalar or (n_features,), optional
        Box constraints on the coefficients (may be infinite).
    positive : bool
        Shorthand for ``lower_bounds=0``.
    fit_intercept : bool
    tol : float
        Stop at duality gap <= tol * null objective (the intercept-only model's).
    max_epochs : int
        Sweeps over the working set allowed per lambda.
    coef_init : (n_features,), optional
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
    if sp.issparse(X):
        out = _cd.enet_path_csc(X.data, X.indices, X.indptr, n_samples, y, **kwargs)
    else:
        out = _cd.enet_path_dense(X, y, **kwargs)

    status = out["status"]
    result = PathResult(
        lambdas=grid, coef=out["coef"], intercept=out["intercept"], dual_gap=out["dual_gap"],
        n_epochs=out["n_epochs"], n_passes=out["n_passes"], converged=status == 0,
        status=status,
        dev_ratio=out["dev_ratio"], l1_ratio=l1_ratio, tol=tol,
        lambda_max=float(out["lambda_max"]), null_objective=float(out["null_objective"]),
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
    why = _STATUS_TEXT.get(int(status[k]), "unknown").format(dtype=result.coef.dtype.name)
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
