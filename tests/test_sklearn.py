"""fastreg.sklearn: drop-in replacements, checked by scikit-learn's own estimator checks
and against scikit-learn's estimators on the same problems."""
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

sklearn = pytest.importorskip("sklearn")
from sklearn import linear_model as sk  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from fastreg.sklearn import ElasticNet, Lasso, Ridge  # noqa: E402
from conftest import make_problem  # noqa: E402


@parametrize_with_checks([Lasso(), ElasticNet(), Ridge()])
def test_check_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("positive", [False, True])
def test_elastic_net_and_lasso_match_sklearn(sparse, fit_intercept, weights, positive):
    X, y = make_problem(60, 25, seed=1, density=0.4 if sparse else None)
    w = np.random.default_rng(0).uniform(0.5, 2, 60) if weights else None
    for ours, theirs in [
        (Lasso(alpha=0.05, fit_intercept=fit_intercept, positive=positive, tol=1e-12, max_iter=10**5),
         sk.Lasso(alpha=0.05, fit_intercept=fit_intercept, positive=positive, tol=1e-12, max_iter=10**5)),
        (ElasticNet(alpha=0.1, l1_ratio=0.3, fit_intercept=fit_intercept, positive=positive,
                    tol=1e-12, max_iter=10**5),
         sk.ElasticNet(alpha=0.1, l1_ratio=0.3, fit_intercept=fit_intercept, positive=positive,
                       tol=1e-12, max_iter=10**5)),
    ]:
        ours.fit(X, y, sample_weight=w)
        theirs.fit(X, y, sample_weight=w)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
        assert ours.intercept_ == pytest.approx(theirs.intercept_, abs=1e-5)
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-5)
        assert ours.dual_gap_ >= 0 and isinstance(ours.n_iter_, int)
        assert sp.issparse(ours.sparse_coef_)


def _dense(X):
    return X.toarray() if sp.issparse(X) else X


@pytest.mark.parametrize("sparse", [False, True])
def test_ridge_matches_sklearn(sparse):
    X, y = make_problem(50, 20, seed=2, density=0.5 if sparse else None)
    w = np.random.default_rng(1).uniform(0.5, 2, 50)
    for alpha in [0.1, 10.0]:
        ours = Ridge(alpha=alpha, tol=1e-12, max_iter=10**5).fit(X, y, sample_weight=w)
        # scikit-learn's exact solver (its sparse solvers stop at their own tol=1e-4)
        theirs = sk.Ridge(alpha=alpha, solver="cholesky").fit(_dense(X), y, sample_weight=w)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
        assert ours.intercept_ == pytest.approx(theirs.intercept_, abs=1e-5)
    # one alpha per target
    Y = np.c_[y, 2 * y + 1]
    ours = Ridge(alpha=[1.0, 5.0], tol=1e-12, max_iter=10**5).fit(X, Y)
    theirs = sk.Ridge(alpha=[1.0, 5.0], solver="cholesky").fit(_dense(X), Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    with pytest.raises(ValueError, match="alpha has 3 values for 2 targets"):
        Ridge(alpha=[1, 2, 3]).fit(X, Y)


def test_multi_output_and_float32():
    X, y = make_problem(40, 10, seed=3)
    Y = np.c_[y, -y, y ** 2 / 10]
    ours = ElasticNet(alpha=0.05, tol=1e-12, max_iter=10**5).fit(X, Y)
    theirs = sk.ElasticNet(alpha=0.05, tol=1e-12, max_iter=10**5).fit(X, Y)
    assert ours.coef_.shape == (3, 10) and ours.intercept_.shape == (3,)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-5)
    m32 = Lasso(alpha=0.05).fit(X.astype(np.float32), y.astype(np.float32))
    assert m32.coef_.dtype == np.float32


def test_warm_start_reuses_coef():
    X, y = make_problem(50, 80, seed=4)
    model = Lasso(alpha=0.05, warm_start=True, tol=1e-10).fit(X, y)
    first = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ <= 2 < first
    cold = Lasso(alpha=0.05, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, cold.coef_, atol=1e-6)


def test_convergence_warning_is_sklearns():
    X, y = make_problem(50, 200, seed=5)
    with pytest.warns(ConvergenceWarning, match="duality gap"):
        Lasso(alpha=1e-4, max_iter=2, tol=1e-12).fit(X, y)


def test_bad_parameters():
    X, y = make_problem(20, 5, seed=6)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        Lasso(alpha=-1).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet(l1_ratio=2).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        Lasso().fit(X, y, sample_weight=-np.ones(20))
    with pytest.raises(ValueError, match="selection"):
        Lasso(selection="best").fit(X, y)


def test_import_error_without_sklearn():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "try:\n    import fastreg.sklearn\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd="/")
    assert "pip install scikit-learn" in out.stdout
    # the core does not need scikit-learn at all
    code = "import sys; sys.modules['sklearn'] = None\nimport fastreg; print(fastreg.enet_path)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd="/", capture_output=True)


def test_warm_start_survives_a_change_of_targets():
    X, y = make_problem(30, 5, seed=7)
    model = Lasso(alpha=0.01, warm_start=True).fit(X, y)
    model.fit(X, np.c_[y, 2 * y])
    assert model.coef_.shape == (2, 5)
    model.fit(X, y)
    assert model.coef_.shape == (5,)
