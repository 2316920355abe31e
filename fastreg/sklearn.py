"""Drop-in replacements for scikit-learn's Lasso, ElasticNet, Ridge and their CV versions.

Same parameters, same objective and the same fitted attributes as scikit-learn's
estimators of the same names (``coef_``, ``intercept_``, ``n_iter_``, ``dual_gap_``,
``sparse_coef_``), with sparse input, ``sample_weight``, ``warm_start`` and ``positive``.
``precompute``, ``copy_X``, ``random_state`` and ``selection`` are accepted for
compatibility; fastreg never modifies X and orders its coordinates itself (working sets),
so they do not change the solution.
"""
from __future__ import annotations

try:
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "fastreg.sklearn needs scikit-learn >= 1.6. Install it with "
        "`pip install scikit-learn` or `pip install 'fastreg[sklearn]'`."
    ) from exc

import numpy as np
import scipy.sparse as sp

from fastreg import _validation as v
from fastreg._cv import cv_path
from fastreg._path import enet_path, warn_if_not_converged

__all__ = ["ElasticNet", "ElasticNetCV", "Lasso", "LassoCV", "Ridge", "RidgeCV"]


class _LinearPredictMixin:
    """predict() and tags shared by every fitted linear model here (coef_, intercept_)."""

    def predict(self, X):
        """Predictions X @ coef_.T + intercept_."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=True, dtype=[np.float64, np.float32],
                          reset=False)
        return np.asarray(X @ np.asarray(self.coef_).T) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        return tags


class _PenalizedLinearModel(_LinearPredictMixin, RegressorMixin, BaseEstimator):
    """Fit one penalized least-squares problem per target with `fastreg.enet_path`."""

    def _penalty(self, n_targets, sample_weight_sum):
        """(lambda per target, l1_ratio) in fastreg's parametrisation."""
        raise NotImplementedError

    def _max_epochs(self):
        return self.max_iter

    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model. X: (n_samples, n_features) array or sparse; y: (n_samples,) or
        (n_samples, n_targets); sample_weight: (n_samples,) non-negative, optional."""
        X, y = validate_data(self, X, y, accept_sparse="csc", dtype=[np.float64, np.float32],
                             order="F", multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype=X.dtype)
        single = y.ndim == 1
        Y = y[:, None] if single else y
        n_samples, n_features = X.shape
        weight_sum = n_samples
        if sample_weight is not None:
            sample_weight = v._as_float_array(sample_weight, "sample_weight")
            if sample_weight.ndim == 0:
                sample_weight = np.full(n_samples, float(sample_weight))
            v.check_sample_weight(sample_weight, n_samples, X.dtype)  # errors before use
            weight_sum = float(np.sum(sample_weight))
        lambdas, l1_ratio = self._penalty(Y.shape[1], weight_sum)
        init = getattr(self, "coef_", None) if self.warm_start else None
        if init is not None:
            init = np.atleast_2d(init)
            if init.shape != (Y.shape[1], n_features):
                init = None                       # another shape of problem: a cold start

        coef = np.zeros((Y.shape[1], n_features), dtype=X.dtype)
        intercept = np.zeros(Y.shape[1], dtype=X.dtype)
        n_iter, gaps = [], []
        for t in range(Y.shape[1]):
            path = enet_path(
                X, Y[:, t], l1_ratio=l1_ratio, lambdas=[lambdas[t]], sample_weight=sample_weight,
                positive=self.positive, fit_intercept=self.fit_intercept, tol=self.tol,
                max_epochs=self._max_epochs(), coef_init=None if init is None else init[t],
                check_convergence=False,
            )
            warn_if_not_converged(path, _SklearnConvergenceWarning, stacklevel=2)
            coef[t] = path.coef[:, 0]
            intercept[t] = path.intercept[0]
            n_iter.append(int(path.n_epochs[0]))
            gaps.append(float(path.dual_gap[0] * path.null_objective))
        if single:
            self.coef_, self.intercept_ = coef[0], intercept[0]
            self.n_iter_, self.dual_gap_ = n_iter[0], gaps[0]
        else:
            self.coef_, self.intercept_ = coef, intercept
            self.n_iter_, self.dual_gap_ = n_iter, np.array(gaps)
        return self

    @property
    def sparse_coef_(self):
        """coef_ as a scipy CSR matrix."""
        return sp.csr_matrix(np.atleast_2d(self.coef_))



class ElasticNet(_PenalizedLinearModel):
    """Linear regression with combined L1 and L2 priors, as scikit-learn's ElasticNet.

    Minimizes ``1/(2n) ||y - Xw - b||^2 + alpha * l1_ratio * ||w||_1
    + 0.5 * alpha * (1 - l1_ratio) * ||w||^2`` (weighted by sample_weight rescaled to sum
    to n), stopping at duality gap <= tol * (objective of the intercept-only model).
    """

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, precompute=False,
                 max_iter=1000, copy_X=True, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic"):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def _penalty(self, n_targets, sample_weight_sum):
        alpha = v.check_scalar(self.alpha, "alpha", low=0.0)
        if self.selection not in ("cyclic", "random"):
            raise ValueError(f"selection must be 'cyclic' or 'random'; got {self.selection!r}")
        return np.full(n_targets, float(alpha)), self.l1_ratio


class Lasso(ElasticNet):
    """Linear regression with an L1 prior, as scikit-learn's Lasso (ElasticNet, l1_ratio=1)."""

    def __init__(self, alpha=1.0, *, fit_intercept=True, precompute=False, copy_X=True,
                 max_iter=1000, tol=1e-4, warm_start=False, positive=False,
                 random_state=None, selection="cyclic"):
        super().__init__(alpha=alpha, l1_ratio=1.0, fit_intercept=fit_intercept,
                         precompute=precompute, max_iter=max_iter, copy_X=copy_X, tol=tol,
                         warm_start=warm_start, positive=positive, random_state=random_state,
                         selection=selection)


class _CDRidge(_PenalizedLinearModel):
    """Linear least squares with an L2 prior, as scikit-learn's Ridge, by coordinate descent
    (the base of `Ridge`, which solves it directly when no bounds are set).

    Minimizes ``sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||^2`` (s: raw sample weights),
    which is fastreg's objective with l1_ratio=0 and lambda = alpha / sum(s). ``alpha`` may
    be an array with one value per target. Solved by the same coordinate-descent solver
    (``solver`` is accepted for compatibility).
    """

    def __init__(self, alpha=1.0, *, fit_intercept=True, copy_X=True, max_iter=None,
                 tol=1e-4, solver="auto", positive=False, random_state=None):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state

    warm_start = False

    def _max_epochs(self):
        return 10_000 if self.max_iter is None else self.max_iter

    def _penalty(self, n_targets, sample_weight_sum):
        alpha = v._as_float_array(self.alpha, "alpha").astype(np.float64).ravel()
        if alpha.size == 1:
            alpha = np.full(n_targets, alpha[0])
        if alpha.size != n_targets:
            raise ValueError(f"alpha has {alpha.size} values for {n_targets} targets")
        if not np.all(np.isfinite(alpha)) or np.any(alpha < 0):
            raise ValueError(f"alpha must be finite and >= 0; got {alpha}")
        return alpha / sample_weight_sum, 0.0


class ElasticNetCV(_PenalizedLinearModel):
    """Elastic net with alpha (and l1_ratio) chosen by cross-validation, as scikit-learn's
    ElasticNetCV, plus the one-standard-error rule.

    Every fold is one warm-started path on the full-data grid, fitted in parallel threads
    (``n_jobs``) that share X without a copy. The held-out MSE is weighted by
    ``sample_weight`` and the fold means are weighted by the folds' total weights (as
    glmnet's cv.glmnet). ``refit_with="1se"`` keeps ``alpha_1se_`` (the largest alpha within
    one standard error of the best) instead of ``alpha_min_``. The final model is the
    full-data path at the chosen alpha, so no extra fit is needed.

    Extra attributes: ``alpha_min_``, ``alpha_1se_``, ``mse_std_`` (standard errors),
    ``cv_result_`` (the `fastreg.CVResult`).
    """

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=1000, tol=1e-4, cv=None, copy_X=True, verbose=0,
                 n_jobs=None, positive=False, random_state=None, selection="cyclic",
                 refit_with="min"):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
        self.refit_with = refit_with

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the path, then keep the full-data solution at the chosen alpha."""
        from sklearn.model_selection import check_cv

        X, y = validate_data(self, X, y, accept_sparse="csc", dtype=[np.float64, np.float32],
                             order="F", y_numeric=True)
        if self.refit_with not in ("min", "1se"):
            raise ValueError(f"refit_with must be 'min' or '1se'; got {self.refit_with!r}")
        if isinstance(self.alphas, (int, np.integer)) and not isinstance(self.alphas, bool):
            grid = dict(n_lambdas=int(self.alphas),
                        lambda_min_ratio=v.check_scalar(self.eps, "eps", low=0, low_open=True))
        else:
            grid = dict(lambdas=self.alphas)
        splits = list(check_cv(self.cv).split(X, y, **({"groups": params["groups"]}
                                                        if "groups" in params else {})))
        result = cv_path(X, y, l1_ratio=self.l1_ratio, folds=splits, sample_weight=sample_weight,
                         positive=self.positive, fit_intercept=self.fit_intercept, tol=self.tol,
                         max_epochs=self.max_iter, n_jobs=self.n_jobs, progress=bool(self.verbose),
                         **grid)
        best = result.best
        k = best.index_min if self.refit_with == "min" else best.index_1se
        self.cv_result_ = result
        self.l1_ratio_ = best.l1_ratio
        self.alpha_min_, self.alpha_1se_ = best.lambda_min, best.lambda_1se
        self.alpha_ = float(best.lambdas[k])
        self.coef_ = best.path.coef_column(k)
        self.intercept_ = best.path.intercept[k]
        self.dual_gap_ = float(best.path.dual_gap[k] * best.path.null_objective)
        self.n_iter_ = int(best.path.n_epochs[k])
        single = np.ndim(self.l1_ratio) == 0
        self.alphas_ = best.lambdas if single else np.stack([c.lambdas for c in result.curves])
        self.mse_path_ = best.cv_folds if single else np.stack([c.cv_folds for c in result.curves])
        self.mse_std_ = best.cv_se if single else np.stack([c.cv_se for c in result.curves])
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = False
        return tags


class LassoCV(ElasticNetCV):
    """Lasso with alpha chosen by cross-validation, as scikit-learn's LassoCV (see
    `ElasticNetCV` for what fastreg adds: ``alpha_1se_`` and ``refit_with``)."""

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, precompute="auto",
                 max_iter=1000, tol=1e-4, copy_X=True, cv=None, verbose=False, n_jobs=None,
                 positive=False, random_state=None, selection="cyclic", refit_with="min"):
        super().__init__(l1_ratio=1.0, eps=eps, alphas=alphas, fit_intercept=fit_intercept,
                         precompute=precompute, max_iter=max_iter, tol=tol, cv=cv,
                         copy_X=copy_X, verbose=verbose, n_jobs=n_jobs, positive=positive,
                         random_state=random_state, selection=selection, refit_with=refit_with)


def __getattr__(name):
    # Ridge and RidgeCV solve the L2 path from one decomposition (fastreg._sklearn_ridge,
    # which builds on _CDRidge above: imported on first use to avoid an import cycle)
    if name in ("Ridge", "RidgeCV"):
        from fastreg import _sklearn_ridge
        return getattr(_sklearn_ridge, name)
    raise AttributeError(f"module 'fastreg.sklearn' has no attribute {name!r}")
