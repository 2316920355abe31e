"""fastreg: fast, certified regularization paths for Lasso, Elastic Net and Ridge.

The core is a compiled coordinate-descent path solver (dense and CSC designs, float32
and float64) that carries a duality-gap certificate with every solution. Scikit-learn
compatible estimators live in :mod:`fastreg.sklearn` (needs scikit-learn).
"""
from fastreg._path import ConvergenceWarning, PathResult, enet_path, lasso_path, relax
from fastreg._cv import CVCurve, CVResult, cv_path, make_folds
from fastreg._datasets import load_data
from fastreg._ridge import RidgePathResult, ridge_path
from fastreg._datasets import load_default as load_diabetes

__version__ = "0.1.0"
__all__ = ["CVCurve", "CVResult", "ConvergenceWarning", "PathResult", "cv_path", "enet_path",
           "RidgePathResult", "get_include", "lasso_path", "load_data", "load_diabetes", "make_folds",
           "relax", "ridge_path",
           "__version__"]


def get_include():
    """Directory to add to Cython's include path to ``cimport fastreg._cd`` and
    ``fastreg._design`` (the public .pxd declarations), as ``numpy.get_include()``."""
    import os
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
