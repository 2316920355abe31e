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


from fastreg._design cimport CSCDesign32, csc_design32
from libc.stdint cimport int32_t
from libc.stdlib cimport free


def lasso_path_csc(const double[::1] data, const int32_t[::1] indices,
                   const int32_t[::1] indptr, double[::1] y, double[::1] lambdas):
    # a CSC design filled by csc_design32 (unit = NULL: every column reads its values),
    # the solutions returned sparse (coefs = NULL): (values, rows, indptr) of CSC columns
    cdef Py_ssize_t n = y.shape[0], p = indptr.shape[0] - 1, K = lambdas.shape[0]
    cdef CSCDesign32 design
    csc_design32(&design, &data[0], &indices[0], &indptr[0], n, p, NULL)
    factor = np.ones(p); lower = np.full(p, -np.inf); upper = np.full(p, np.inf)
    cdef double[::1] f = factor, lo = lower, hi = upper
    cdef double[::1] b0 = np.zeros(K), gap = np.zeros(K), dev = np.zeros(K)
    cdef Py_ssize_t[::1] epochs = np.zeros(K, dtype=np.intp), passes = np.zeros(K, dtype=np.intp)
    cdef int[::1] status = np.zeros(K, dtype=np.intc)
    cdef Py_ssize_t[::1] col_ptr = np.zeros(K + 1, dtype=np.intp)
    cdef Penalty pen = Penalty(l1_ratio=1.0, factor=&f[0], lower=&lo[0], upper=&hi[0])
    cdef SolverOptions opts = SolverOptions(tol=1e-10, max_epochs=10000, fit_intercept=True,
                                         plain_warm_start=False)
    cdef PathReport rep
    rep.intercept = &b0[0]; rep.dual_gap = &gap[0]; rep.dev_ratio = &dev[0]
    rep.n_epochs = &epochs[0]; rep.n_passes = &passes[0]; rep.status = &status[0]
    rep.coef_indptr = &col_ptr[0]
    cdef int err
    with nogil:
        err = enet_path(&design, &y[0], <const double*> NULL, &pen, &opts, &lambdas[0], K,
                        False, <const double*> NULL, <double*> NULL, &rep)
    cdef Py_ssize_t nnz = col_ptr[K], k
    rows = np.array([rep.coef_indices[k] for k in range(nnz)], dtype=np.intp)
    values = np.array([(<double*> rep.coef_values)[k] for k in range(nnz)])
    free(rep.coef_indices)
    free(rep.coef_values)
    return err, values, rows, np.asarray(col_ptr), np.asarray(b0), np.asarray(status)
