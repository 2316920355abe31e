# cython: language_level=3
from fastreg._design cimport DenseDesign
from fastreg._cd cimport Penalty, SolverOptions, PathReport, enet_path
import numpy as np

def lasso_at(double[::1, :] X, double[::1] y, double lam):
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    cdef DenseDesign design
    design.data = &X[0, 0]
    design.ld = n
    design.n_samples = n
    design.n_features = p
    factor = np.ones(p); lower = np.full(p, -np.inf); upper = np.full(p, np.inf)
    cdef double[::1] f = factor, lo = lower, hi = upper
    cdef double[::1] lambdas = np.array([lam])
    cdef double[::1, :] coefs = np.zeros((p, 1), order="F")
    cdef double[::1] b0 = np.zeros(1), gap = np.zeros(1), dev = np.zeros(1)
    cdef Py_ssize_t[::1] epochs = np.zeros(1, dtype=np.intp), passes = np.zeros(1, dtype=np.intp)
    cdef int[::1] status = np.zeros(1, dtype=np.intc)
    cdef Penalty pen = Penalty(l1_ratio=1.0, factor=&f[0], lower=&lo[0], upper=&hi[0])
    cdef SolverOptions opts = SolverOptions(tol=1e-10, max_epochs=10000, fit_intercept=True,
                                         plain_warm_start=False)
    cdef PathReport rep
    rep.intercept = &b0[0]; rep.dual_gap = &gap[0]; rep.dev_ratio = &dev[0]
    rep.n_epochs = &epochs[0]; rep.n_passes = &passes[0]; rep.status = &status[0]
    cdef int err
    with nogil:
        err = enet_path(&design, &y[0], <const double*> NULL, &pen, &opts, &lambdas[0], 1, False,
                        <const double*> NULL, &coefs[0, 0], &rep)
    return err, np.asarray(coefs)[:, 0], b0[0], gap[0], status[0]
