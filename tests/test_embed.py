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
