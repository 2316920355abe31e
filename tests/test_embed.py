"""The public .pxd declarations work from another Cython module, without the GIL."""
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastreg

pytest.importorskip("Cython")
pytest.importorskip("setuptools")


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                    reason="needs a C compiler")
def test_cimport_and_call_enet_path_nogil(tmp_path):
    shutil.copy(Path(__file__).with_name("embed_demo.pyx"), tmp_path)
    (tmp_path / "setup.py").write_text(textwrap.dedent(f"""
        from setuptools import setup
        from Cython.Build import cythonize
        setup(ext_modules=cythonize("embed_demo.pyx", include_path=[{fastreg.get_include()!r}],
                                    quiet=True))
    """))
    subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tmp_path,
                   check=True, capture_output=True)
    sys.path.insert(0, str(tmp_path))
    try:
        import embed_demo
    finally:
        sys.path.remove(str(tmp_path))
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.standard_normal((50, 20)))
    y = 2 * X[:, 0] + rng.standard_normal(50)
    err, coef, intercept, gap, status = embed_demo.lasso_at(X, y, 0.1)
    ref = fastreg.lasso_path(X, y, lambdas=[0.1], tol=1e-10)
    assert err == 0 and status == 0 and gap <= 1e-10
    np.testing.assert_allclose(coef, ref.coef[:, 0], atol=1e-12)
    assert intercept == pytest.approx(ref.intercept[0])
    # a CSC design and the sparse output
    import scipy.sparse as sp
    Xs = sp.random(80, 30, density=0.3, format="csc", random_state=1, dtype=np.float64)
    Xs.indices = Xs.indices.astype(np.int32)
    Xs.indptr = Xs.indptr.astype(np.int32)
    ys = Xs @ np.r_[3.0, -2.0, np.zeros(28)] + 0.1 * rng.standard_normal(80)
    ref = fastreg.lasso_path(Xs, ys, n_lambdas=8, tol=1e-10)
    err, values, rows, indptr, b0, status = embed_demo.lasso_path_csc(
        Xs.data, Xs.indices, Xs.indptr, ys, ref.lambdas.copy())
    assert err == 0 and (status == 0).all()
    C = sp.csc_array((values, rows, indptr), shape=(30, 8)).toarray()
    np.testing.assert_allclose(C, ref.coef, atol=1e-10)
    np.testing.assert_allclose(b0, ref.intercept, atol=1e-10)
