"""Cross-validation along the whole path: lambda_min, lambda_1se, several l1_ratios.

Each fold is one warm-started path on the grid of the full-data fit. A fold is expressed
as sample weights (zero on its held-out rows), which is exactly the fit on the training
rows: the weights are rescaled to sum to n, so the objective equals the training rows'
own. Folds therefore share X with no copy, and, since the kernel releases the GIL, run
in parallel threads.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fastreg import _validation as v
from fastreg._path import PathResult, _sparse_product, enet_path

__all__ = ["CVCurve", "CVResult", "cv_path", "make_folds"]


@dataclass(frozen=True, eq=False)
class CVCurve:
    """Cross-validation curve of one l1_ratio.

    Attributes
    ----------
    l1_ratio : float
    lambdas : ndarray of shape (n_lambdas,)
        The grid of the full-data fit, decreasing.
    cv_mean : ndarray of shape (n_lambdas,)
        Mean over folds of the held-out (weighted) mean squared error, the folds weighted
        by their total sample weight (glmnet's cvm).
    cv_se : ndarray of shape (n_lambdas,)
        Its standard error (glmnet's cvsd).
    cv_folds : ndarray of shape (n_lambdas, n_folds)
        Held-out MSE of each fold.
    train_mean : ndarray of shape (n_lambdas,)
        Mean over folds of the training MSE.
    index_min : int
        Position of lambda_min, the smallest cv_mean.
    index_1se : int
        Position of lambda_1se, the largest lambda whose cv_mean is within one standard
        error of the minimum.
    path : PathResult
        The path fitted on all the data, on the same grid.
    """

    l1_ratio: float
    lambdas: np.ndarray
    cv_mean: np.ndarray
    cv_se: np.ndarray
    cv_folds: np.ndarray
    train_mean: np.ndarray
    index_min: int
    index_1se: int
    path: PathResult

    @property
    def lambda_min(self) -> float:
        """Lambda of the smallest CV error."""
        return float(self.lambdas[self.index_min])

    @property
    def lambda_1se(self) -> float:
        """Largest lambda within one standard error of the smallest CV error."""
        return float(self.lambdas[self.index_1se])


@dataclass(frozen=True, eq=False)
class CVResult:
    """Result of `cv_path`: one `CVCurve` per l1_ratio, and the best one.

    Attributes
    ----------
    curves : list of CVCurve
        One per l1_ratio, in the order given.
    best_index : int
        Position in ``curves`` of the l1_ratio with the smallest CV error.
    n_folds : int
        Number of folds.

    The best curve's fields are available directly: ``lambdas``, ``cv_mean``, ``cv_se``,
    ``cv_folds``, ``train_mean``, ``index_min``, ``index_1se``, ``lambda_min``,
    ``lambda_1se``, ``path`` and ``l1_ratio``.
    """

    curves: list
    best_index: int
    n_folds: int

    @property
    def best(self) -> CVCurve:
        """The curve of the best l1_ratio."""
        return self.curves[self.best_index]

    @property
    def l1_ratios(self) -> np.ndarray:
        """The cross-validated l1_ratios."""
        return np.array([c.l1_ratio for c in self.curves])

    # the best curve's fields
    lambdas = property(lambda self: self.best.lambdas, doc="Grid of the best l1_ratio.")
    cv_mean = property(lambda self: self.best.cv_mean, doc="Mean held-out MSE per lambda.")
    cv_se = property(lambda self: self.best.cv_se, doc="Its standard error per lambda.")
    cv_folds = property(lambda self: self.best.cv_folds, doc="Held-out MSE per lambda and fold.")
    train_mean = property(lambda self: self.best.train_mean, doc="Mean training MSE per lambda.")
    index_min = property(lambda self: self.best.index_min, doc="Index of lambda_min.")
    index_1se = property(lambda self: self.best.index_1se, doc="Index of lambda_1se.")
    lambda_min = property(lambda self: self.best.lambda_min, doc="Lambda of the smallest CV error.")
    lambda_1se = property(lambda self: self.best.lambda_1se,
                          doc="Largest lambda within one standard error of the smallest CV error.")
    path = property(lambda self: self.best.path, doc="Full-data path of the best l1_ratio.")
    l1_ratio = property(lambda self: self.best.l1_ratio, doc="The best l1_ratio.")

    def selected_coef(self, which="1se") -> np.ndarray:
        """Coefficients of the full-data path at lambda_min (``"min"``) or lambda_1se (``"1se"``)."""
        return self.best.path.coef_column(self._index(which))

    def selected_intercept(self, which="1se") -> float:
        """Intercept of the full-data path at lambda_min (``"min"``) or lambda_1se (``"1se"``)."""
        return float(self.best.path.intercept[self._index(which)])

    def predict(self, X, which="1se") -> np.ndarray:
        """Predictions of the full-data path at lambda_min (``"min"``) or lambda_1se (``"1se"``)."""
        k = self._index(which)
        return self.best.path.predict(X, lambdas=self.best.lambdas[k])

    def _index(self, which):
        if which not in ("min", "1se"):
            raise ValueError(f"which must be 'min' or '1se'; got {which!r}")
        return self.best.index_min if which == "min" else self.best.index_1se

    def __repr__(self):
        return (f"CVResult(n_folds={self.n_folds}, l1_ratio={self.l1_ratio}, "
                f"lambda_min={self.lambda_min:.4g}, lambda_1se={self.lambda_1se:.4g})")


def make_folds(n_samples, folds=10, *, groups=None, random_state=None) -> np.ndarray:
    """A fold id in 0..K-1 for each sample, as `cv_path` assigns them.

    Parameters
    ----------
    n_samples : int
    folds : int or array of shape (n_samples,)
        K random balanced folds, or fold ids to validate and renumber 0..K-1.
    groups : array of shape (n_samples,), optional
        With an int ``folds``, whole groups go to the same fold (largest groups first,
        each into the currently smallest fold).
    random_state : int, optional
        Seed of the random assignment.

    Returns
    -------
    fold_ids : ndarray of shape (n_samples,)
    """
    if isinstance(folds, (int, np.integer)) and not isinstance(folds, bool):
        k = int(folds)
        if groups is not None:
            g = np.asarray(groups)
            if g.shape != (n_samples,):
                raise ValueError(f"groups must have shape ({n_samples},); got {g.shape}")
            labels, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
            if not 2 <= k <= labels.size:
                raise ValueError(f"folds must be between 2 and the number of groups "
                                 f"({labels.size}); got {k}")
            sizes = np.zeros(k)
            group_fold = np.empty(labels.size, dtype=np.intp)
            for gi in np.argsort(-counts, kind="stable"):
                group_fold[gi] = np.argmin(sizes)
                sizes[group_fold[gi]] += counts[gi]
            return group_fold[inverse]
        if not 2 <= k <= n_samples:
            raise ValueError(f"folds must be between 2 and n_samples ({n_samples}); got {k}")
        rng = np.random.default_rng(random_state)
        return rng.permutation(np.arange(n_samples) % k)
    ids = np.asarray(folds)
    if ids.shape != (n_samples,) or ids.dtype.kind not in "iu":
        raise ValueError(f"folds as fold ids must be {n_samples} integers; got shape "
                         f"{ids.shape}, dtype {ids.dtype}")
    _, ids = np.unique(ids, return_inverse=True)
    if ids.max() < 1:
        raise ValueError("folds as fold ids must contain at least two distinct folds")
    return ids


def _splits(n_samples, folds, groups, random_state):
    """(train, test) index pairs from an int, fold ids, or an iterable of pairs."""
    is_ids = isinstance(folds, np.ndarray) or (isinstance(folds, (list, tuple)) and len(folds)
                                                and np.isscalar(folds[0]))
    if (isinstance(folds, (int, np.integer)) and not isinstance(folds, bool)) or is_ids:
        ids = make_folds(n_samples, folds, groups=groups, random_state=random_state)
        return [(np.flatnonzero(ids != f), np.flatnonzero(ids == f)) for f in range(ids.max() + 1)]
    try:
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in folds]
    except (TypeError, ValueError) as exc:
        raise TypeError("folds must be an int, an array of fold ids, or an iterable of "
                        f"(train, test) index pairs; got {type(folds).__name__}") from exc
    if len(splits) < 2:
        raise ValueError(f"folds must describe at least 2 splits; got {len(splits)}")
    return splits


def cv_path(X, y, *, l1_ratio=1.0, lambdas=None, n_lambdas=100, lambda_min_ratio=None,
            folds=10, groups=None, sample_weight=None, penalty_factor=None,
            lower_bounds=None, upper_bounds=None, positive=False, fit_intercept=True,
            tol=1e-4, max_epochs=10_000, n_jobs=None, parallel="threads", random_state=0,
            progress=False) -> CVResult:
    """K-fold cross-validation of the elastic-net path; see `enet_path` for the model
    and for the parameters not listed here.

    Parameters
    ----------
    l1_ratio : float or sequence of floats
        Several values are cross-validated on the same folds; the best pair
        (l1_ratio, lambda_min) is reported.
    folds : int, array of shape (n_samples,), or iterable of (train, test) index pairs
        Default 10 random folds (seeded by ``random_state``).
    groups : array of shape (n_samples,), optional
        Labels; with an int ``folds``, samples of one group stay in one fold.
    sample_weight : array of shape (n_samples,), optional
        Honoured in the fits and in the held-out errors (weighted MSE).
    n_jobs : int, optional
        Parallel fold fits (None: 1; -1: all cores).
    parallel : 'threads' or 'joblib'
        'threads' shares X between folds without a copy (the kernels release the GIL);
        'joblib' hands the fold fits to joblib, so that an active joblib backend (e.g.
        Dask's ``parallel_config("dask")``) runs them.
    progress : bool
        Show a progress bar over the fold fits (tqdm when installed, else a counter).

    Returns
    -------
    CVResult
    """
    X = v.check_design(X)
    n, p = X.shape
    y = v.check_target(y, n, X.dtype)
    w = v.check_sample_weight(sample_weight, n, np.float64)
    w = np.ones(n) if w is None else w
    ratios = np.atleast_1d(np.asarray(l1_ratio, dtype=np.float64))
    if ratios.ndim != 1 or ratios.size == 0:
        raise ValueError(f"l1_ratio must be a float or a 1-D sequence; got {l1_ratio!r}")
    for a in ratios:
        v.check_scalar(float(a), "l1_ratio", low=0.0, high=1.0)
    if parallel not in ("threads", "joblib"):
        raise ValueError(f"parallel must be 'threads' or 'joblib'; got {parallel!r}")
    n_jobs = _resolve_n_jobs(n_jobs)
    splits = _splits(n, folds, groups, random_state)
    for f, (train, test) in enumerate(splits):
        if train.size == 0 or test.size == 0 or w[train].sum() <= 0 or w[test].sum() <= 0:
            raise ValueError(f"fold {f} has no training or no held-out samples with positive weight")

    common = dict(penalty_factor=penalty_factor, lower_bounds=lower_bounds,
                  upper_bounds=upper_bounds, positive=positive, fit_intercept=fit_intercept,
                  tol=tol, max_epochs=max_epochs)
    # the full-data fits fix each l1_ratio's grid
    full = [enet_path(X, y, l1_ratio=a, lambdas=lambdas, n_lambdas=n_lambdas,
                      lambda_min_ratio=lambda_min_ratio, sample_weight=w, **common)
            for a in ratios]

    def fit_fold(task):
        r, f = task
        train, test = splits[f]
        fold_w = np.zeros(n)
        fold_w[train] = w[train]
        path = enet_path(X, y, l1_ratio=ratios[r], lambdas=full[r].lambdas, sample_weight=fold_w,
                         **common)
        resid = y[test, None] - _sparse_product(X, path.coef_sparse, rows=test) - path.intercept
        test_mse = (w[test] @ resid ** 2) / w[test].sum()
        # the kernel's deviance ratio gives the (weighted) training MSE for free
        train_mse = 2 * path.null_objective * (1 - path.dev_ratio)
        return test_mse, train_mse

    tasks = [(r, f) for r in range(ratios.size) for f in range(len(splits))]
    results = _run_tasks(fit_fold, tasks, n_jobs, parallel, progress)

    fold_weight = np.array([w[test].sum() for _, test in splits])
    curves = []
    for r, a in enumerate(ratios):
        test = np.stack([results[r * len(splits) + f][0] for f in range(len(splits))], axis=1)
        train = np.stack([results[r * len(splits) + f][1] for f in range(len(splits))], axis=1)
        mean = test @ fold_weight / fold_weight.sum()
        var = ((test - mean[:, None]) ** 2) @ fold_weight / fold_weight.sum()
        se = np.sqrt(var / max(len(splits) - 1, 1))
        i_min = int(np.argmin(mean))
        # lambdas decrease: the first index within one SE of the minimum is the largest lambda
        i_1se = int(np.flatnonzero(mean <= mean[i_min] + se[i_min])[0])
        curves.append(CVCurve(l1_ratio=float(a), lambdas=full[r].lambdas, cv_mean=mean, cv_se=se,
                              cv_folds=test, train_mean=train @ fold_weight / fold_weight.sum(),
                              index_min=i_min, index_1se=i_1se, path=full[r]))
    best = int(np.argmin([c.cv_mean[c.index_min] for c in curves]))
    return CVResult(curves=curves, best_index=best, n_folds=len(splits))


def _resolve_n_jobs(n_jobs):
    import os
    if n_jobs is None:
        return 1
    n_jobs = int(v.check_scalar(n_jobs, "n_jobs", integer=True))
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive integer, -1 for all cores, or None")
    return max(1, (os.cpu_count() or 1) + 1 + n_jobs) if n_jobs < 0 else n_jobs


def _progress(total, enabled):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
        return tqdm(total=total, desc="cv folds", unit="fit")
    except ImportError:
        return _Counter(total)


class _Counter:
    """A minimal progress line on stderr when tqdm is not installed."""

    def __init__(self, total):
        self.total, self.done = total, 0

    def update(self, k=1):
        import sys
        self.done += k
        sys.stderr.write(f"\rcv folds: {self.done}/{self.total}")
        sys.stderr.flush()

    def close(self):
        import sys
        sys.stderr.write("\n")


def _run_tasks(func, tasks, n_jobs, parallel, progress):
    bar = _progress(len(tasks), progress)
    try:
        if parallel == "joblib":
            try:
                import joblib
            except ImportError as exc:
                raise ImportError("parallel='joblib' needs joblib: pip install joblib") from exc
            out = []
            runner = joblib.Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")
            for res in runner(joblib.delayed(func)(t) for t in tasks):
                out.append(res)
                if bar is not None:
                    bar.update(1)
            return out
        if n_jobs == 1:
            out = []
            for t in tasks:
                out.append(func(t))
                if bar is not None:
                    bar.update(1)
            return out
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(func, t) for t in tasks]
            out = []
            for fut in futures:
                out.append(fut.result())
                if bar is not None:
                    bar.update(1)
            return out
    finally:
        if bar is not None:
            bar.close()
