r"""Ridge paths: one decomposition (or one Krylov basis) for every lambda, exact leave-one-out.

The problem is `enet_path`'s with ``l1_ratio = 0``: for each lambda,

    P(beta, b) = 1/(2n) sum_i w_i (y_i - b - x_i.beta)^2 + lam/2 sum_j v_j beta_j^2,

w rescaled to sum to n, b and the features with v_j = 0 unpenalized. The pieces:

- `_ridge_design`: the reduction to P = 1/2 ||z - A gamma||^2 + lam/2 ||gamma||^2 (the
  intercept and unpenalized features projected out exactly, gamma = sqrt(v) * beta), A as
  an operator over dense or sparse storage, and the certificate;
- `_ridge_direct`: ``solver="eigen"`` (one eigendecomposition of the smaller Gram
  matrix: every lambda, df, exact leave-one-out and GCV) and ``solver="cholesky"``;
- `_ridge_krylov`: ``solver="lsqr"`` (one Golub-Kahan basis shared by every lambda, CG
  where its certificate fails), for large sparse X, never densified;
- this module: `ridge_path`, its result, and the path driver that picks a route and
  certifies what it returns.

**Certificate.** For the dual point r = z - A gamma the duality gap of ridge is exactly
P(gamma) - D(r) = ||A^T r - lam gamma||^2 / (2 lam). The direct routes evaluate it
through the normal matrix M they formed from the data (not through its decomposition,
so the eigensolver's errors show); the iterative route from the products it computed
(the residuals from the stored A v_i, A^T r from the stored v_i and the recurrences
that the computed vectors satisfy to rounding, without assuming their orthogonality;
`_ridge_krylov`), with no further pass over X. float32 results are
certified as returned (rounded), from X in two passes; sparse direct results from X too
(the sparse Gram's cancellation is invisible through M). ``dual_gap`` divides it by the
null objective 1/2 ||z||^2 (intercept and unpenalized features only). At lam = 0 (least
squares) the eigen route reports the exact suboptimality 1/2 g^T (A^T A)^+ g; the
iterative route has no certificate there.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from fastreg import _validation as v
from fastreg._path import ConvergenceWarning, PathResult
from fastreg._ridge_design import Reduction, certificate
from fastreg._ridge_design import gap as certificate_gap
from fastreg._ridge_direct import Direct
from fastreg._ridge_krylov import cg_polish, krylov_path

__all__ = ["RidgePathResult", "ridge_path"]

EIGEN_MAX_DENSE = 4000          # solver="auto": eigen when min(n, p) <= this (dense) ...
EIGEN_MAX_SPARSE = 1000         # ... or this (sparse); else lsqr
_SOLVERS = ("auto", "eigen", "cholesky", "lsqr")
_STATUS_TEXT = {
    1: "the iteration budget (max_epochs) ran out",
    2: "tol is below what {dtype} and the conditioning at this lambda reach",
    3: "lambda = 0 (least squares) has no duality-gap certificate on the iterative route",
}


@dataclass(frozen=True, eq=False, repr=False)
class RidgePathResult(PathResult):
    """A ridge path: `PathResult` plus what one decomposition gives for free.

    Attributes (besides PathResult's; ``l1_ratio`` is 0)
    ----------
    df : (n_lambdas,) effective degrees of freedom of the penalized part,
        tr(A (A^T A + lam)^{-1} A^T), from ~0 to the rank of the centred design; the
        intercept and unpenalized features add ``n_unpenalized`` more. None when the
        route does not see the spectrum (cholesky, lsqr).
    n_unpenalized : rank of the intercept and unpenalized block.
    loo_mse : (n_lambdas,) leave-one-out mean squared error sum_i w_i e_(-i)^2 / n, where
        e_(-i) is sample i's residual when the model is refitted without it at the same
        penalty on the sum-of-squares scale (n * lam, as scikit-learn's alpha); exact,
        through the hat matrix. None when the route does not give it (cholesky, lsqr).
    gcv : (n_lambdas,) generalized cross-validation RSS_w / (1 - tr(H) / n_+)^2, RSS_w the
        weighted mean squared residual, tr(H) = df + n_unpenalized and n_+ the number of
        positive weights; inf when tr(H) >= n_+. None when loo_mse is.
    loo_predictions : (n_samples, n_lambdas) leave-one-out predictions y_i - e_(-i), when
        asked for with ``store_loo=True`` (else None).
    solver : the route taken, "eigen", "cholesky" or "lsqr".

    ``status`` is 0 (converged), 1 (lsqr: max_epochs ran out), 2 (the direct route's
    float64 solution, rounded to X's dtype, does not reach tol: ill-conditioning at a tiny
    lambda) or 3 (lsqr at lambda = 0, which has no certificate). The eigen route retries
    a lambda whose certificate fails by Cholesky (scale-invariant, unlike the eigensolver's
    error eps ||A||^2); its leave-one-out and GCV values keep that error, with a warning.
    """

    df: np.ndarray | None
    n_unpenalized: int
    loo_mse: np.ndarray | None
    gcv: np.ndarray | None
    loo_predictions: np.ndarray | None
    solver: str

    def best_lambda(self, criterion="loo"):
        """The lambda minimizing ``loo_mse`` (criterion "loo") or ``gcv`` ("gcv")."""
        values = {"loo": self.loo_mse, "gcv": self.gcv}.get(criterion, "bad")
        if isinstance(values, str):
            raise ValueError(f"criterion must be 'loo' or 'gcv'; got {criterion!r}")
        if values is None:
            raise ValueError(f"this path has no {criterion} values (solver={self.solver!r}); "
                             "use solver='eigen'")
        return float(self.lambdas[int(np.argmin(values))])

    def __repr__(self) -> str:
        df = "" if self.df is None else f"df=[{self.df[0]:.3g} .. {self.df[-1]:.3g}], "
        return (f"RidgePathResult(n_features={self.n_features}, n_lambdas={self.lambdas.size}, "
                f"solver={self.solver!r}, lambdas=[{self.lambdas[0]:.4g} .. {self.lambdas[-1]:.4g}], "
                f"{df}converged={int(self.converged.sum())}/{self.lambdas.size})")



def _choose_solver(solver, red, sparse, loo, few_lambdas=False):
    """"auto": lsqr for large designs (unless loo), else cholesky when the estimators
    solve one or two lambdas (few_lambdas), else eigen."""
    if solver == "auto":
        large = min(red.n, red.p_pen) > (EIGEN_MAX_SPARSE if sparse else EIGEN_MAX_DENSE)
        solver = ("eigen" if loo else "lsqr" if large else "cholesky" if few_lambdas
                  else "eigen")
    if loo and solver != "eigen":
        raise ValueError(f"loo=True needs solver='eigen' (or 'auto'); got solver={solver!r}")
    return solver


def ridge_path(X, y, *, lambdas=None, n_lambdas=100, lambda_min_ratio=None, sample_weight=None,
               penalty_factor=None, fit_intercept=True, solver="auto", loo=None, store_loo=False,
               tol=1e-4, max_epochs=10_000, check_convergence=True) -> RidgePathResult:
    r"""Ridge regularization path, exact leave-one-out and GCV, for the price of one decomposition.

    Minimizes, for each lambda, ``1/(2n) sum_i w_i (y_i - b - x_i.beta)^2 + lam/2 sum_j
    v_j beta_j^2`` (w rescaled to sum to n; b and features with v_j = 0 unpenalized):
    `enet_path` with ``l1_ratio=0``, same answers, solved directly (module docstring).

    Parameters
    ----------
    X : (n_samples, n_features) array or scipy sparse matrix, float32 or float64
        Dense X is copied once, to float64 (centring, weighting and the decomposition
        need it). Sparse X is never densified: CSR X (float64) is used as it is, CSC X
        transposed once to a float64 CSR twin for fast products; other formats go
        through CSC.
    y : (n_samples,) targets.
    lambdas : non-negative floats, optional; solved and returned in decreasing order.
    n_lambdas : int, default 100
    lambda_min_ratio : float, optional
        The default grid is geometric from lambda_max = 100 ||A||_F^2 (A the weighted,
        centred design scaled by 1/sqrt(v): df(lambda_max) <= 0.01) down to
        ``lambda_min_ratio * lambda_max``, by default 1e-4 / min(n - 1, p), where a flat
        spectrum has df = rank / 1.01. It depends on X, w and v only (not on the route).
    sample_weight : (n_samples,) non-negative, optional (rescaled to sum to n).
    penalty_factor : (n_features,) or scalar, non-negative, optional
        v_j; 0 leaves a feature unpenalized (projected out exactly, on every route).
    fit_intercept : bool
    solver : {"auto", "eigen", "cholesky", "lsqr"}
        "eigen": one eigendecomposition of the smaller Gram matrix, then every lambda and
        the leave-one-out and GCV curves in O(min(n, p) p) each. "cholesky": one
        factorization per lambda. "lsqr": one Golub-Kahan basis for all lambdas, CG
        where needed. "auto": lsqr when min(n, p) > 4000 (dense) or 1000 (sparse) and
        loo is not True, else eigen.
    loo : bool, optional
        Compute ``loo_mse`` and ``gcv`` (needs the eigen route). Default: when eigen.
    store_loo : bool
        Also return the (n_samples, n_lambdas) leave-one-out predictions.
    tol : float
        Duality gap target, relative to the null objective. The direct routes reach
        machine precision and report their actual gap; lsqr stops at tol.
    max_epochs : int
        lsqr: iterations of the shared basis, and of CG per lambda after it.
    check_convergence : bool
        Warn with a `ConvergenceWarning` naming the worst lambda and its gap.

    Returns
    -------
    RidgePathResult
        ``n_epochs`` 0 and ``n_passes`` 1 on the direct routes; on lsqr, the shared
        iterations plus each lambda's CG iterations (``n_passes``: one more, the
        initial A^T z, and one per CG certificate; float64 results are certified from
        the bidiagonalization's recurrences without a pass, float32 ones from X).
    """
    X = v.check_design(X, sparse_formats=("csc", "csr"))
    n_samples, n_features = X.shape
    dtype = X.dtype
    y = v.check_target(y, n_samples, dtype)
    w = v.check_sample_weight(sample_weight, n_samples, np.float64)
    factor = v.check_per_feature(penalty_factor, n_features, "penalty_factor", 1.0, nonneg=True)
    tol = float(v.check_scalar(tol, "tol", low=0.0, low_open=True))
    max_epochs = int(v.check_scalar(max_epochs, "max_epochs", low=1, integer=True))
    if solver not in _SOLVERS:
        raise ValueError(f"solver must be one of {_SOLVERS}; got {solver!r}")
    if loo is not None and not isinstance(loo, (bool, np.bool_)):
        raise TypeError(f"loo must be True, False or None; got {loo!r}")
    if lambdas is None:
        n_lambdas = int(v.check_scalar(n_lambdas, "n_lambdas", low=1, integer=True))
        if lambda_min_ratio is not None:
            lambda_min_ratio = float(v.check_scalar(lambda_min_ratio, "lambda_min_ratio",
                                                    low=0.0, high=1.0, low_open=True))
    else:
        grid = np.sort(v.check_lambdas(lambdas))[::-1].copy()
    red = Reduction(X, w, factor, fit_intercept)
    solver = _choose_solver(solver, red, sp.issparse(X), bool(loo))
    if lambdas is None:
        grid = red.default_grid(n_lambdas, lambda_min_ratio)
    want_loo = (solver == "eigen") if loo is None else bool(loo)
    return _path(red, np.asarray(y, dtype=np.float64), grid, solver, tol, max_epochs, want_loo,
                 store_loo, dtype, X, check_convergence)


def _path(red, y, grid, solver, tol, max_epochs, want_loo, store_loo, dtype, X,
          check_convergence, direct=None):
    z, ybar, q0z = red.target(y)
    null_obj = 0.5 * float(z @ z)
    target = tol * null_obj if null_obj > 0 else tol
    L = grid.size
    epochs, passes = np.zeros(L, dtype=np.int64), np.ones(L, dtype=np.int64)
    status = np.zeros(L, dtype=np.int32)
    loo_resid = None
    if solver != "lsqr":
        if solver == "cholesky" and np.any(grid == 0):
            solver = "eigen"
        if direct is None or direct.eigen != (solver == "eigen"):
            direct = Direct(red, eigen=solver == "eigen")
        try:
            Gamma, side = direct.solve(z, grid)
        except la.LinAlgError:          # not numerically positive definite: eigen instead
            solver, direct = "eigen", Direct(red, eigen=True)
            Gamma, side = direct.solve(z, grid)
        rss, gap = direct.certificate(z, Gamma, side, grid)
        bad = np.flatnonzero((gap > target) & (grid > 0)) if solver == "eigen" else []
        if len(bad):
            # the eigensolver's absolute error eps ||M|| is too large at these lambdas
            # (badly scaled columns, say); a Cholesky factorization is scale-invariant
            try:
                Gamma_c, side_c = direct.cholesky(z, grid[bad])
                rss_c, gap_c = direct.certificate(z, Gamma_c, side_c, grid[bad])
                better = gap_c < gap[bad]
                Gamma[:, bad[better]] = Gamma_c[:, better]
                if not direct.primal:
                    side[:, bad[better]] = side_c[:, better]
                rss[bad[better]], gap[bad[better]] = rss_c[better], gap_c[better]
            except la.LinAlgError:
                pass
            if want_loo:
                warnings.warn(
                    f"fastreg: the eigendecomposition misses tol at {len(bad)} lambda(s) "
                    f"(largest {grid[bad[0]]:.3g}); their coefficients were refactored by "
                    "Cholesky, but their leave-one-out and GCV values carry its error. "
                    "Badly scaled columns? Standardize X.", ConvergenceWarning, stacklevel=4)
        coef, intercept = red.full_coef(Gamma, ybar, q0z, dtype)
        if dtype != np.float64:     # the certificate of the coefficients as rounded
            rss, gap = certificate(red, z, red.rounded_gamma(coef), grid)
        elif red.sparse:
            # the sparse Gram is formed as X^T W X / n - mu mu^T, whose cancellation the
            # certificate through M cannot see: certify from the data (two passes)
            rss, gap = certificate(red, z, Gamma, grid)
        status[gap > target] = 2
        if solver == "eigen" and want_loo:
            loo_resid = direct.loo_residuals(z, grid)
    else:
        Gamma, rss, grad_sq, k, mean_gamma = krylov_path(red, z, grid, target, max_epochs)
        epochs[:], passes[:] = k, k + 1
        coef, intercept = red.full_coef(Gamma, ybar, q0z, dtype,
                                        mean_gamma if dtype == np.float64 else None)
        if dtype == np.float64:
            # the RSS from the stored products A v_i, the gradients from the
            # bidiagonalization's recurrences (_ridge_krylov): no pass over X
            gap = certificate_gap(grad_sq, grid)
        else:       # the coefficients as rounded to X's dtype, from the data
            rss, gap = certificate(red, z, red.rounded_gamma(coef), grid)
        budget_out = np.zeros(L, dtype=bool)
        redo = np.flatnonzero((gap > target) & (grid > 0))
        if redo.size:
            diag = red.op.col_sq_norms()
            for j in redo:
                Gamma[:, j], its = cg_polish(red, z, grid[j], Gamma[:, j], diag, target,
                                             max_epochs)
                epochs[j] += its
                passes[j] += its + 1
                budget_out[j] = its >= max_epochs
            coef, intercept = red.full_coef(Gamma, ybar, q0z, dtype)
            rss[redo], gap[redo] = certificate(red, z, red.rounded_gamma(coef[:, redo]),
                                               grid[redo])
        # float64 converged but the rounding to float32 did not: the dtype's limit
        status[gap > target] = np.where(budget_out | (dtype == np.float64), 1, 2)[gap > target]
        status[(grid == 0) & (gap > target)] = 3
    df = direct.df(grid) if solver == "eigen" else None
    loo_mse = gcv = loo_pred = None
    if loo_resid is not None:
        loo_mse = np.sum(loo_resid * loo_resid, axis=0)
        denom = 1.0 - (df + red.n_unpenalized) / max(red.n_positive, 1)
        gcv = np.full(L, np.inf)
        gcv[denom > 0] = rss[denom > 0] / denom[denom > 0] ** 2
        if store_loo:
            loo_pred = _loo_predictions(red, y, loo_resid, X, coef, intercept)
    result = RidgePathResult(
        lambdas=grid, coef=coef, intercept=np.asarray(intercept, dtype=np.float64),
        dual_gap=gap / null_obj if null_obj > 0 else gap, n_epochs=epochs, n_passes=passes,
        converged=status == 0, status=status,
        dev_ratio=1.0 - 0.5 * rss / null_obj if null_obj > 0 else np.zeros(L),
        l1_ratio=0.0, tol=tol, lambda_max=float(grid[0]), null_objective=null_obj,
        df=df, n_unpenalized=red.n_unpenalized, loo_mse=loo_mse, gcv=gcv,
        loo_predictions=loo_pred, solver=solver)
    if check_convergence:
        _warn_if_not_converged(result)
    return result


def _loo_curve(red, direct, y, grid):
    """Leave-one-out predictions (n_samples, n_lambdas) of y for every lambda of grid,
    from the eigen route's decomposition alone: no coefficients, no certificate (what
    RidgeCV needs before it solves its one selected lambda). Every weight must be > 0
    (a zero-weight sample's prediction needs the coefficients)."""
    z, _, _ = red.target(y)
    return _loo_predictions(red, y, direct.loo_residuals(z, grid), None, None, None)


def _loo_predictions(red, y, loo_resid, X, coef, intercept):
    """y_i - e_(-i) on the original scale; zero-weight samples get the plain prediction."""
    out = np.empty_like(loo_resid)
    pos = red.s > 0
    out[pos] = y[pos, None] - loo_resid[pos] * (np.sqrt(red.n) / red.s[pos])[:, None]
    if not pos.all():
        rows = np.flatnonzero(~pos)
        out[rows] = np.asarray(X[rows] @ coef, dtype=np.float64) + intercept
    return out


def _warn_if_not_converged(result, category=ConvergenceWarning, stacklevel=4):
    bad = np.flatnonzero(result.status != 0)
    if bad.size == 0:
        return
    k = bad[np.argmax(result.dual_gap[bad])]
    why = _STATUS_TEXT[int(result.status[k])].format(dtype=result.coef.dtype.name)
    warnings.warn(
        f"fastreg: {bad.size} of {result.status.size} lambda(s) did not converge. Worst: "
        f"lambda={result.lambdas[k]:.6g} (index {k}) stopped at duality gap "
        f"{result.dual_gap[k]:.3g} x null objective > tol={result.tol:g} "
        f"(solver={result.solver!r}, {result.n_epochs[k]} iterations): {why}.",
        category, stacklevel=stacklevel)
