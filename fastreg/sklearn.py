"""Drop-in replacements for scikit-learn's Lasso, ElasticNet and Ridge, on fastreg's solver.

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
from fastreg._path import enet_path, warn_if_not_converged

__all__ = ["ElasticNet", "Lasso", "Ridge"]


class _PenalizedLinearModel(RegressorMixin, BaseEstimator):
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
            init = np.asarray(init).reshape(Y.shape[1], -1)
            if init.shape[1] != n_features:
                init = None

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


class Ridge(_PenalizedLinearModel):
    """Linear least squares with an L2 prior, as scikit-learn's Ridge.

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
