"""Cross-validation, lambda_1se, interpolation on the path, degrees of freedom, relaxed lasso."""
import numpy as np
import pytest
import scipy.sparse as sp

import fastreg
from fastreg import cv_path, enet_path, make_folds, relax
from conftest import make_problem


@pytest.fixture(scope="module")
def data():
    return make_problem(120, 60, seed=3)


def manual_cv(X, y, fold_ids, lambdas, l1_ratio, w=None):
    """Held-out MSE per fold by fitting each fold on its own rows (the oracle)."""
    w = np.ones(len(y)) if w is None else w
    out = []
    for f in range(fold_ids.max() + 1):
        tr, te = fold_ids != f, fold_ids == f
        path = enet_path(X[tr], y[tr], l1_ratio=l1_ratio, lambdas=lambdas, sample_weight=w[tr],
                         tol=1e-10)
        resid = y[te, None] - path.predict(X[te])
        out.append((w[te] @ resid ** 2) / w[te].sum())
    return np.stack(out, axis=1)


@pytest.mark.parametrize("sparse", [False, True])
def test_fold_weights_equal_fitting_on_the_rows(sparse):
    X, y = make_problem(90, 40, seed=4, density=0.3 if sparse else None)
    w = np.random.default_rng(0).uniform(0.5, 2.0, 90)
    fold_ids = make_folds(90, 5, random_state=1)
    res = cv_path(X, y, l1_ratio=0.7, n_lambdas=15, folds=fold_ids, sample_weight=w, tol=1e-10)
    expected = manual_cv(X.tocsr() if sparse else X, y, fold_ids, res.lambdas, 0.7, w)
    np.testing.assert_allclose(res.cv_folds, expected, rtol=1e-6)
    fold_w = np.array([w[fold_ids == f].sum() for f in range(5)])
    np.testing.assert_allclose(res.cv_mean, expected @ fold_w / fold_w.sum(), rtol=1e-6)


def test_lambda_min_and_1se_rule(data):
    X, y = data
    res = cv_path(X, y, n_lambdas=40, folds=5)
    mean, se = res.cv_mean, res.cv_se
    assert res.index_min == np.argmin(mean)
    assert res.lambda_1se >= res.lambda_min
    assert mean[res.index_1se] <= mean[res.index_min] + se[res.index_min]
    # every larger lambda is outside the band: 1se is the largest lambda inside it
    assert np.all(mean[:res.index_1se] > mean[res.index_min] + se[res.index_min])
    assert np.all(se > 0)
    # training error keeps falling while validation error turns up past lambda_min
    assert np.all(np.diff(res.train_mean) <= 1e-9)
    assert mean[-1] > mean[res.index_min]
    np.testing.assert_allclose(res.selected_coef("min"), res.path.coef[:, res.index_min])
    np.testing.assert_allclose(res.predict(X, "1se"),
                               X @ res.selected_coef("1se") + res.selected_intercept("1se"))
    assert "lambda_1se" in repr(res)
    assert {"lambda_min", "cv_mean", "path", "l1_ratio"} <= set(dir(res))
    with pytest.raises(ValueError, match="features"):
        res.predict(X[:, :5])
    with pytest.raises(ValueError, match="which must be"):
        res.selected_coef("best")


def test_matches_sklearn_lasso_cv(data):
    sk = pytest.importorskip("sklearn.linear_model")
    from sklearn.model_selection import KFold
    X, y = data
    splits = list(KFold(4).split(X))
    res = cv_path(X, y, n_lambdas=20, folds=splits, tol=1e-10)
    theirs = sk.LassoCV(alphas=res.lambdas, cv=splits, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(res.cv_folds, theirs.mse_path_, rtol=1e-5)
    assert res.lambda_min == pytest.approx(theirs.alpha_)


def test_several_l1_ratios_pick_the_best(data):
    X, y = data
    res = cv_path(X, y, l1_ratio=[0.2, 0.6, 1.0], n_lambdas=20, folds=4)
    assert len(res.curves) == 3
    minima = [c.cv_mean[c.index_min] for c in res.curves]
    assert res.l1_ratio == [0.2, 0.6, 1.0][int(np.argmin(minima))]
    np.testing.assert_array_equal(res.l1_ratios, [0.2, 0.6, 1.0])
    for c in res.curves:   # each l1_ratio has its own grid from its own lambda_max
        assert c.lambdas[0] == pytest.approx(c.path.lambda_max)


def test_parallel_threads_and_joblib_agree(data):
    X, y = data
    serial = cv_path(X, y, n_lambdas=15, folds=5)
    threads = cv_path(X, y, n_lambdas=15, folds=5, n_jobs=2)
    np.testing.assert_array_equal(serial.cv_folds, threads.cv_folds)
    pytest.importorskip("joblib")
    jl = cv_path(X, y, n_lambdas=15, folds=5, n_jobs=2, parallel="joblib")
    np.testing.assert_array_equal(serial.cv_folds, jl.cv_folds)


def test_dask_backend(data):
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    import joblib
    X, y = data
    serial = cv_path(X, y, n_lambdas=10, folds=3)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        with joblib.parallel_config("dask"):
            res = cv_path(X, y, n_lambdas=10, folds=3, parallel="joblib", n_jobs=2)
    np.testing.assert_allclose(res.cv_folds, serial.cv_folds, rtol=1e-12)


def test_groups_stay_together_and_fold_ids(data):
    X, y = data
    groups = np.repeat(np.arange(30), 4)
    ids = make_folds(120, 5, groups=groups)
    assert set(ids) == set(range(5))
    for g in range(30):
        assert len(set(ids[groups == g])) == 1
    res = cv_path(X, y, n_lambdas=10, folds=5, groups=groups)
    assert res.n_folds == 5
    same = cv_path(X, y, n_lambdas=10, folds=ids)
    np.testing.assert_array_equal(res.cv_folds, same.cv_folds)


def test_integer_weights_equal_repetition_in_cv():
    X, y = make_problem(50, 20, seed=5)
    counts = np.random.default_rng(2).integers(1, 4, 50)
    ids = make_folds(50, 5, random_state=0)
    weighted = cv_path(X, y, n_lambdas=10, folds=ids, sample_weight=counts, tol=1e-11)
    repeated = cv_path(np.repeat(X, counts, axis=0), np.repeat(y, counts), folds=np.repeat(ids, counts),
                       lambdas=weighted.lambdas, tol=1e-11)
    np.testing.assert_allclose(weighted.cv_folds, repeated.cv_folds, rtol=1e-6)
    np.testing.assert_allclose(weighted.train_mean, repeated.train_mean, rtol=1e-6)


def test_progress_counter(data, capsys, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    cv_path(*data, n_lambdas=5, folds=3, progress=True)
    assert "cv folds: 3/3" in capsys.readouterr().err


def test_bad_cv_input(data):
    X, y = data
    with pytest.raises(ValueError, match="folds must be between 2 and n_samples"):
        cv_path(X, y, folds=1)
    with pytest.raises(ValueError, match="folds must be between 2 and n_samples"):
        cv_path(X, y, folds=500)
    with pytest.raises(ValueError, match="groups must have shape"):
        cv_path(X, y, folds=3, groups=np.arange(5))
    with pytest.raises(ValueError, match="number of groups"):
        cv_path(X, y, folds=5, groups=np.repeat([0, 1], 60))
    with pytest.raises(ValueError, match="l1_ratio must be <= 1"):
        cv_path(X, y, l1_ratio=[0.5, 2.0])
    with pytest.raises(ValueError, match="parallel must be"):
        cv_path(X, y, parallel="processes")
    with pytest.raises(ValueError, match="n_jobs must be a positive"):
        cv_path(X, y, n_jobs=0)
    with pytest.raises(TypeError, match="folds must be an int"):
        cv_path(X, y, folds=3.5)
    with pytest.raises(ValueError, match="at least 2 splits"):
        cv_path(X, y, folds=[(np.arange(100), np.arange(100, 120))])


# --- the path between grid points -----------------------------------------------------

def test_coef_at_interpolates_linearly(data):
    X, y = data
    path = enet_path(X, y, n_lambdas=20)
    np.testing.assert_allclose(path.coef_at(path.lambdas), path.coef)
    mid = 0.5 * (path.lambdas[4] + path.lambdas[5])
    np.testing.assert_allclose(path.coef_at(mid), 0.5 * (path.coef[:, 4] + path.coef[:, 5]))
    assert path.intercept_at(mid) == pytest.approx(0.5 * (path.intercept[4] + path.intercept[5]))
    # above lambda_max the solution is exactly zero
    np.testing.assert_array_equal(path.coef_at(10 * path.lambda_max), 0)
    np.testing.assert_allclose(path.predict(X, lambdas=[mid]).ravel(),
                               X @ path.coef_at(mid) + path.intercept_at(mid))
    with pytest.raises(ValueError, match="within the path's grid"):
        path.coef_at(path.lambdas[-1] / 2)
    short = enet_path(X, y, lambdas=[0.5, 0.1])
    with pytest.raises(ValueError, match="within the path's grid"):
        short.coef_at(1.0)


def test_effective_df(data):
    X, y = data
    lasso = enet_path(X, y, n_lambdas=10)
    np.testing.assert_array_equal(lasso.effective_df(X), lasso.n_nonzero)
    ridge = enet_path(X, y, l1_ratio=0.0, lambdas=[10.0, 1.0, 0.1], tol=1e-10)
    Xc = X - X.mean(0)
    d = np.linalg.svd(Xc, compute_uv=False) ** 2 / X.shape[0]
    expected = [np.sum(d / (d + lam)) for lam in ridge.lambdas]
    np.testing.assert_allclose(ridge.effective_df(X), expected, rtol=1e-8)
    enet = enet_path(X, y, l1_ratio=0.5, n_lambdas=10)
    df = enet.effective_df(sp.csc_matrix(X))
    assert np.all(df <= enet.n_nonzero + 1e-9) and np.all(np.diff(df) >= -1e-9)


def test_relaxed_lasso(data):
    X, y = data
    path = enet_path(X, y, n_lambdas=15, tol=1e-10)
    np.testing.assert_allclose(relax(path, X, y, gamma=1.0).coef, path.coef, atol=1e-12)
    relaxed = relax(path, X, y, gamma=0.0)
    for k in [3, 8, 14]:
        support = np.flatnonzero(path.coef[:, k])
        A = np.column_stack([np.ones(120), X[:, support]])
        ls = np.linalg.lstsq(A, y, rcond=None)[0]
        np.testing.assert_allclose(relaxed.coef[support, k], ls[1:], rtol=1e-6, atol=1e-8)
        assert relaxed.intercept[k] == pytest.approx(ls[0], rel=1e-6)
    # relaxing removes shrinkage: a better training fit on the same support
    assert np.all(relaxed.dev_ratio >= path.dev_ratio - 1e-9)
    half = relax(path, X, y, gamma=0.5)
    np.testing.assert_allclose(half.coef, 0.5 * (path.coef + relaxed.coef), atol=1e-12)
    with pytest.raises(ValueError, match="gamma must be <= 1"):
        relax(path, X, y, gamma=2)


def test_sklearn_cv_estimators(data):
    pytest.importorskip("sklearn")
    from sklearn.model_selection import KFold
    from sklearn.utils.estimator_checks import check_estimator
    from fastreg.sklearn import ElasticNetCV, LassoCV
    X, y = data
    m = LassoCV(cv=KFold(5), n_jobs=2).fit(X, y)
    assert m.alpha_ == m.alpha_min_ and m.alpha_1se_ >= m.alpha_min_
    assert m.mse_path_.shape == (100, 5)
    m1 = LassoCV(cv=KFold(5), refit_with="1se").fit(X, y)
    assert m1.alpha_ == m.alpha_1se_
    assert np.count_nonzero(m1.coef_) <= np.count_nonzero(m.coef_)
    e = ElasticNetCV(l1_ratio=[0.3, 0.9], cv=3).fit(X, y)
    assert e.mse_path_.shape == (2, 100, 3) and e.l1_ratio_ in (0.3, 0.9)
    with pytest.raises(ValueError, match="refit_with"):
        LassoCV(refit_with="max").fit(X, y)
    for est in (LassoCV(), ElasticNetCV()):
        fails = [r for r in check_estimator(est, on_fail=None) if r["status"] == "failed"]
        assert not fails, [(f["check_name"], f["exception"]) for f in fails]


def test_path_settings_are_honoured_by_df_relax_and_coef_at(data):
    X, y = data
    # effective df without an intercept uses the raw columns
    ridge = enet_path(X, y, l1_ratio=0.0, lambdas=[1.0], fit_intercept=False, tol=1e-12,
                      max_epochs=100_000)
    d = np.linalg.svd(X, compute_uv=False) ** 2 / X.shape[0]
    assert ridge.effective_df(X)[0] == pytest.approx(np.sum(d / (d + 1.0)), rel=1e-8)
    # relax keeps the path's intercept setting and bounds
    path = enet_path(X, y, n_lambdas=10, fit_intercept=False, positive=True, tol=1e-10)
    relaxed = relax(path, X, y, gamma=0.0)
    assert np.all(relaxed.intercept == 0) and np.all(relaxed.coef >= 0)
    assert relaxed.fit_intercept is False and relaxed.lower_bounds is not None
    # above the grid: exact for the lasso, refused where lambda_max is not the null model
    with pytest.raises(ValueError, match="within the path's grid"):
        ridge.coef_at(100.0)
    tiny_l1 = enet_path(X, y, l1_ratio=1e-4, n_lambdas=5)
    with pytest.raises(ValueError, match="within the path's grid"):
        tiny_l1.coef_at(10 * tiny_l1.lambdas[0])
