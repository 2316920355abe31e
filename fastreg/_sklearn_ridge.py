"""Drop-in replacements for scikit-learn's Ridge and RidgeCV on `fastreg.ridge_path`.

``Ridge`` solves each target directly (one Cholesky factorization of the smaller Gram
matrix, or the shared Krylov basis for large sparse X) and reports the duality gap of
its solution. ``RidgeCV`` computes the exact leave-one-out curve of every alpha from one
eigendecomposition, shared by all targets (``cv=None``), or runs K-fold cross-validation
with one ridge path per fold (``cv`` an int, splitter or iterable). Same parameters,
objective, selection rule and fitted attributes as scikit-learn's estimators.
"""
from __future__ import annotations

from inspect import signature

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils.validation import validate_data

from fastreg import _validation as v
from fastreg._ridge import (_SOLVERS, _choose_solver, _loo_curve, _path,
                            _warn_if_not_converged)
from fastreg._ridge_design import Reduction
from fastreg._ridge_direct import Direct
from fastreg.sklearn import _CDRidge, _LinearPredictMixin

__all__ = ["Ridge", "RidgeCV"]

# scikit-learn's solver names -> fastreg's routes
_SOLVER_ROUTES = {"auto": "auto", "svd": "eigen", "cholesky": "cholesky", "lsqr": "lsqr",
                  "sparse_cg": "lsqr", "sag": "lsqr", "saga": "lsqr", "lbfgs": "auto"}


def _validate_fit_data(estimator, X, y, sample_weight):
    """(X, Y (n, n_targets), single target?, raw sample_weight or None)."""
    X, y = validate_data(estimator, X, y, accept_sparse="csc", dtype=[np.float64, np.float32],
                         order="F", multi_output=True, y_numeric=True)
    y = np.asarray(y, dtype=np.float64)
    single = y.ndim == 1
    if sample_weight is not None:
        sample_weight = v._as_float_array(sample_weight, "sample_weight").astype(np.float64)
        if sample_weight.ndim == 0:
            sample_weight = np.full(X.shape[0], float(sample_weight))
        v.check_sample_weight(sample_weight, X.shape[0], np.float64)   # errors name it
    return X, (y[:, None] if single else y), single, sample_weight


def _shared_reduction(X, sample_weight, fit_intercept, solver, loo, few_lambdas):
    """(X, reduction, route, direct decomposition or None) shared by every target."""
    X = v.check_design(X)
    n_samples, n_features = X.shape
    w = v.check_sample_weight(sample_weight, n_samples, np.float64)
    if solver not in _SOLVERS:
        raise ValueError(f"solver must be one of {_SOLVERS}; got {solver!r}")
    red = Reduction(X, w, np.ones(n_features), fit_intercept)
    solver = _choose_solver(solver, red, sp.issparse(X), loo, few_lambdas)
    direct = Direct(red, eigen=solver == "eigen") if solver != "lsqr" else None
    return X, red, solver, direct


def _paths_for_targets(X, Y, grids, *, sample_weight=None, fit_intercept=True, solver="auto",
                       loo=False, store_loo=False, tol=1e-4, max_epochs=10_000):
    """One path per column of Y (grids[t] its lambdas), sharing one reduction and one
    decomposition: the engine of the scikit-learn estimators. X and sample_weight as
    given to them (validated here); returns (list of RidgePathResult, solver used)."""
    X, red, solver, direct = _shared_reduction(X, sample_weight, fit_intercept, solver, loo,
                                               max(len(g) for g in grids) <= 2)
    results = []
    for t in range(Y.shape[1]):
        grid = np.sort(v.check_lambdas(grids[t]))[::-1].copy()
        results.append(_path(red, np.asarray(Y[:, t], dtype=np.float64), grid, solver, tol,
                             max_epochs, loo, store_loo, X.dtype, X, False, direct))
    return results, solver


class Ridge(_CDRidge):
    """Linear least squares with an L2 prior, as scikit-learn's Ridge, solved directly.

    Minimizes ``sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||^2`` (s: raw sample weights):
    fastreg's objective with lambda = alpha / sum(s). ``alpha`` may hold one value per
    target. ``solver`` maps scikit-learn's names to fastreg's routes: "svd" -> eigen,
    "cholesky" -> cholesky, "lsqr"/"sparse_cg"/"sag"/"saga" -> lsqr (the shared Krylov
    basis), "auto"/"lbfgs" -> cholesky, or lsqr when min(n, p) exceeds 4000 (dense) or
    1000 (sparse).
    ``positive=True`` is solved by fastreg's coordinate descent (with bounds).
    ``tol`` is the relative duality gap the lsqr route stops at; ``max_iter`` its
    iteration budget. Fitted: ``coef_``, ``intercept_``, ``n_iter_`` (lsqr's iterations;
    1 on the direct routes), ``dual_gap_`` (absolute), ``solver_`` (the route taken).
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the model. X: (n_samples, n_features) array or sparse; y: (n_samples,) or
        (n_samples, n_targets); sample_weight: (n_samples,) non-negative, optional."""
        if self.positive:
            return super().fit(X, y, sample_weight=sample_weight)
        if self.solver not in _SOLVER_ROUTES:
            raise ValueError(f"solver must be one of {sorted(_SOLVER_ROUTES)}; "
                             f"got {self.solver!r}")
        X, Y, single, sample_weight = _validate_fit_data(self, X, y, sample_weight)
        weight_sum = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        lambdas, _ = self._penalty(Y.shape[1], weight_sum)
        tol = float(v.check_scalar(self.tol, "tol", low=0.0, low_open=True))
        max_epochs = self._max_epochs()
        paths, _ = _paths_for_targets(
            X, Y, [[lam] for lam in lambdas], sample_weight=sample_weight,
            fit_intercept=self.fit_intercept, solver=_SOLVER_ROUTES[self.solver], tol=tol,
            max_epochs=max_epochs)
        for path in paths:
            _warn_if_not_converged(path, _SklearnConvergenceWarning, stacklevel=3)
        coef = np.stack([path.coef[:, 0] for path in paths]).astype(X.dtype, copy=False)
        intercept = np.array([path.intercept[0] for path in paths], dtype=X.dtype)
        gaps = np.array([path.dual_gap[0] * path.null_objective for path in paths])
        # lsqr: iterations (shared basis plus CG); the direct routes count their one solve
        n_iter = np.array([max(int(path.n_epochs[0]), 1) for path in paths])
        if single:
            self.coef_, self.intercept_, self.dual_gap_ = coef[0], intercept[0], gaps[0]
            self.n_iter_ = int(n_iter[0])
        else:
            self.coef_, self.intercept_, self.dual_gap_, self.n_iter_ = coef, intercept, gaps, n_iter
        self.solver_ = paths[0].solver
        return self


class _FixedLinearModel(RegressorMixin, BaseEstimator):
    """A fitted linear model (coef, intercept), for scorers on held-out folds."""

    def __init__(self, coef=None, intercept=None):
        self.coef = coef
        self.intercept = intercept

    def fit(self, X=None, y=None):
        """Already fitted (scorers require the method)."""
        return self

    def predict(self, X):
        return np.asarray(X @ self.coef.T) + self.intercept


class _IdentityRegressor(RegressorMixin, BaseEstimator):
    """Its predictions are its input: scores given leave-one-out predictions."""

    def predict(self, y_pred):
        return y_pred


class RidgeCV(_LinearPredictMixin, MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Ridge regression with built-in cross-validation of alpha, as scikit-learn's RidgeCV.

    ``cv=None``: exact leave-one-out for every alpha from one eigendecomposition of the
    smaller Gram matrix of the centred, weighted X, shared by all targets (sparse X is
    never densified; its Gram matrix is formed from sparse products). The score of an
    alpha is ``-mean(s_i e_(-i)^2)`` (s: sample weights) or ``scoring`` applied to the
    leave-one-out predictions (with the sample weights), as scikit-learn's. ``gcv_mode``
    is accepted for compatibility: every mode is the same exact computation.

    ``cv`` an int, splitter or iterable: K-fold cross-validation with one ridge path (all
    alphas) per training fold, scored on the held-out fold by ``scoring`` (default R^2,
    weighted by the held-out sample weights when the scorer accepts them, as scikit-learn
    1.9's GridSearchCV), averaged over folds, then a refit at the best alpha. Ties go to
    the first alpha in the order given.

    Fitted: ``alpha_``, ``best_score_``, ``coef_``, ``intercept_``, ``cv_results_`` (with
    ``store_cv_results=True`` and cv=None: (n_samples, [n_targets,] n_alphas) squared
    errors times the sample weights, or leave-one-out predictions when ``scoring`` is set).
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), *, fit_intercept=True, scoring=None, cv=None,
                 gcv_mode=None, store_cv_results=False, alpha_per_target=False):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target

    def _check_alphas(self):
        alphas = v._as_float_array(self.alphas, "alphas").astype(np.float64).ravel()
        if alphas.size == 0:
            raise ValueError("alphas is empty: give at least one value")
        if not np.all(np.isfinite(alphas)):
            raise ValueError(f"alphas must be finite; got {alphas[~np.isfinite(alphas)][:3]}")
        loo = self.cv is None
        bad = alphas <= 0 if loo else alphas < 0
        if bad.any():
            rule = "> 0 with cv=None (leave-one-out)" if loo else ">= 0"
            raise ValueError(f"alphas must be {rule}; got {alphas[bad][:3]}")
        return alphas

    def fit(self, X, y, sample_weight=None):
        """Fit the model and select alpha. X: (n_samples, n_features) array or sparse;
        y: (n_samples,) or (n_samples, n_targets); sample_weight: (n_samples,), optional."""
        if self.gcv_mode not in (None, "auto", "svd", "eigen"):
            raise ValueError("gcv_mode must be None, 'auto', 'svd' or 'eigen'; "
                             f"got {self.gcv_mode!r}")
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise ValueError(f"fit_intercept must be a bool; got {self.fit_intercept!r}")
        alphas = self._check_alphas()
        if self.cv is not None:
            if self.store_cv_results:
                raise ValueError("cv!=None and store_cv_results=True are incompatible")
            if self.alpha_per_target:
                raise ValueError("cv!=None and alpha_per_target=True are incompatible")
        X, Y, single, sample_weight = _validate_fit_data(self, X, y, sample_weight)
        if self.cv is None:
            coef, intercept = self._fit_loo(X, Y, single, alphas, sample_weight)
        else:
            coef, intercept = self._fit_kfold(X, Y, alphas, sample_weight)
        if single:
            self.coef_, self.intercept_ = coef[0], intercept[0]
        else:
            # scikit-learn's shapes for a (n, 1) target: leave-one-out ravels coef_
            self.coef_, self.intercept_ = coef, intercept
            if Y.shape[1] == 1 and self.cv is None:
                self.coef_ = coef[0]
        return self

    def _fit_loo(self, X, Y, single, alphas, sample_weight):
        """Leave-one-out curves of every alpha from one decomposition, then one solve at
        the selected alpha per target (the coefficients of the other alphas are not
        formed, unless a zero sample weight needs them for its plain prediction)."""
        n, n_targets = Y.shape
        sw = np.ones(n) if sample_weight is None else sample_weight
        lambdas = alphas / float(np.sum(sw))
        # the paths are sorted by decreasing lambda: back to the order of alphas
        order = np.argsort(-lambdas, kind="stable")
        position = np.empty_like(order)
        position[order] = np.arange(order.size)
        grid = lambdas[order]
        X, red, _, direct = _shared_reduction(X, sample_weight, self.fit_intercept, "eigen",
                                              True, False)
        paths = None
        if np.all(sw > 0):
            loo_pred = np.stack([_loo_curve(red, direct, Y[:, t].astype(np.float64), grid)
                                 [:, position] for t in range(n_targets)], axis=1)  # n, t, a
        else:
            paths = [_path(red, Y[:, t].astype(np.float64), grid, "eigen", 1e-4, 10_000, True,
                           True, X.dtype, X, False, direct) for t in range(n_targets)]
            loo_pred = np.stack([p.loo_predictions[:, position] for p in paths], axis=1)
        if self.scoring is None:
            values = sw[:, None, None] * (Y[:, :, None] - loo_pred) ** 2
            scores = -values.mean(axis=0) if self.alpha_per_target else -values.mean(axis=(0, 1))
        else:
            values = loo_pred
            scorer = check_scoring(self, scoring=self.scoring)
            params = {} if sample_weight is None else {"sample_weight": sample_weight}
            identity = _IdentityRegressor()
            if self.alpha_per_target:
                scores = np.array([[scorer(identity, loo_pred[:, t, a], Y[:, t], **params)
                                    for a in range(alphas.size)] for t in range(n_targets)])
            else:
                pred = loo_pred[:, 0, :] if single else loo_pred
                truth = Y[:, 0] if single else Y
                scores = np.array([scorer(identity, pred[..., a], truth, **params)
                                   for a in range(alphas.size)])
        if self.alpha_per_target and n_targets > 1:
            best = np.argmax(scores, axis=1)
            self.alpha_ = alphas[best]
            self.best_score_ = scores[np.arange(n_targets), best]
        else:
            scores = scores.reshape(-1, alphas.size)[0] if scores.ndim > 1 else scores
            best = np.full(n_targets, int(np.argmax(scores)))
            self.alpha_ = float(alphas[best[0]])
            self.best_score_ = float(scores[best[0]])
        if self.store_cv_results:
            self.cv_results_ = (values[:, 0, :] if single else values).astype(X.dtype, copy=False)
        if paths is None:       # one solve per target, at its alpha, from the decomposition
            paths = [_path(red, Y[:, t].astype(np.float64), lambdas[best[t]:best[t] + 1],
                           "eigen", 1e-4, 10_000, False, False, X.dtype, X, False, direct)
                     for t in range(n_targets)]
            columns = np.zeros(n_targets, dtype=int)
        else:
            columns = position[best]
        coef = np.stack([p.coef[:, columns[t]] for t, p in enumerate(paths)])
        intercept = np.array([p.intercept[columns[t]] for t, p in enumerate(paths)])
        return coef.astype(X.dtype, copy=False), intercept.astype(X.dtype)

    def _fit_kfold(self, X, Y, alphas, sample_weight):
        n, n_targets = Y.shape
        target = Y[:, 0] if n_targets == 1 else Y
        folds = list(check_cv(self.cv, target, classifier=False).split(X, target))
        scorer = check_scoring(_FixedLinearModel(), scoring=self.scoring)
        # as GridSearchCV (scikit-learn >= 1.9): held-out scores weighted when the scorer can
        weigh = sample_weight is not None and (
            scorer._accept_sample_weight() if hasattr(scorer, "_accept_sample_weight")
            else "sample_weight" in signature(scorer).parameters)
        scores = np.zeros((len(folds), alphas.size))
        for f, (train, test) in enumerate(folds):
            sw = None if sample_weight is None else sample_weight[train]
            lambdas = alphas / (len(train) if sw is None else float(np.sum(sw)))
            paths, _ = _paths_for_targets(X[train], Y[train], [lambdas] * n_targets,
                                          sample_weight=sw, fit_intercept=self.fit_intercept)
            order = np.argsort(-lambdas, kind="stable")
            position = np.empty_like(order)
            position[order] = np.arange(order.size)
            for a in range(alphas.size):
                k = position[a]
                model = _FixedLinearModel(
                    np.stack([p.coef[:, k] for p in paths]).astype(np.float64),
                    np.array([p.intercept[k] for p in paths]))
                if n_targets == 1:
                    model.coef, model.intercept = model.coef[0], model.intercept[0]
                extra = {"sample_weight": sample_weight[test]} if weigh else {}
                scores[f, a] = scorer(model, X[test], target[test], **extra)
        mean_scores = scores.mean(axis=0)
        best = int(np.argmax(mean_scores))
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(mean_scores[best])
        weight_sum = n if sample_weight is None else float(np.sum(sample_weight))
        paths, _ = _paths_for_targets(X, Y, [[self.alpha_ / weight_sum]] * n_targets,
                                      sample_weight=sample_weight, fit_intercept=self.fit_intercept)
        coef = np.stack([p.coef[:, 0] for p in paths]).astype(X.dtype, copy=False)
        return coef, np.array([p.intercept[0] for p in paths], dtype=X.dtype)


