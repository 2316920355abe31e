"""The Golub-Kahan step loop of the lsqr ridge route, compiled (the math: _ridge_krylov).

One bidiagonalization of the reduced design A (``_ridge_design``) started at z,

    beta_1 u_1 = z,                     alpha_1 v_1 = A^T u_1,
    beta_{k+1} u_{k+1} = A v_k - alpha_k u_k,   alpha_{k+1} v_{k+1} = A^T u_{k+1} - beta_{k+1} v_k,

with damped LSQR's two Givens rotations per step run for every lambda (Paige & Saunders
1982, sec. 4.1 with damp = sqrt(lambda)), without the GIL and without Python per step.
`GolubKahan.run` fills one block of the stored basis (the columns v_k and A v_k) and
records alpha, beta and the rotations (rho, theta, phi per lambda); the Python layer
allocates the blocks, solves the bidiagonal systems and forms the certificate.

A is seen through two products per step, written per storage (`Operator`). Two includes
hold what runs once per path: `_csr_rows.pxi` (the CSR rows built from CSC, the column
moments) and `_basis_products.pxi` (after the loop: gamma = V Y and the RSS).

- dense: A itself (n, p), column-major, already centred, weighted and projected; BLAS gemv;
- CSR: A = P S (X - 1 mu^T) / sqrt(n) applied implicitly (P = I - Q0 Q0^T, S = diag(sqrt w)),
  X never densified. Without unpenalized features (Q0 empty, the usual case) both products
  of a step take one pass over the rows: row i gives (A v)_i, hence w_i = (A v)_i - alpha u_i,
  and scatters s_i w_i x_i into A^T w while the row is in cache. This is the product
  A^T w of the actual vector w = beta u_{k+1}, not a recurrence: A^T u_{k+1} = (A^T w) / beta
  to one rounding per entry, so the computed vectors satisfy the two recurrences above to
  rounding, as the certificate needs. With Q0 the projection of A v needs the whole pass
  first: two passes.
"""
from libc.float cimport DBL_EPSILON
from libc.math cimport fabs, hypot, sqrt
from libc.string cimport memcpy, memset
from libc.stdint cimport int32_t, int64_t
from cython cimport floating
from scipy.linalg.cython_blas cimport ddot, dgemm, dgemv

import numpy as np

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define FASTREG_PREFETCH_NTA(p) __builtin_prefetch((p), 0, 0)
    #else
    #define FASTREG_PREFETCH_NTA(p) ((void) (p))
    #endif
    """
    # a hint to load p's cache line for reading once (not kept in L2); a no-op elsewhere
    void prefetch_nta "FASTREG_PREFETCH_NTA"(const void* p) noexcept nogil

# non-zeros ahead of the current row whose values and indices are prefetched, not kept in
# L2: the streamed X then leaves v and A^T w there (text-like benchmark, the 90 steps
# alternating in one process: 77.0 -> 75.4 ms; one pass 2-10% faster depending on the
# machine's load; 128 and 512 ahead, or prefetching whole rows, gain less or lose)
cdef enum:
    PREFETCH_AHEAD = 256

__all__ = ["Operator", "GolubKahan", "column_moments", "combine_in_place", "csr_from_csc",
           "csr_operator", "dense_operator", "residual_norms"]


# ---------------------------------------------------------------------------------
# the storage layer: two products, written once per storage
# ---------------------------------------------------------------------------------

ctypedef struct DenseA:
    const double* data        # A (n, p), column-major; column j starts at data + j * ld
    Py_ssize_t ld
    Py_ssize_t n_rows
    Py_ssize_t n_cols

ctypedef struct CSRRows32:
    const double* data        # values of the non-zeros of X, row after row
    const int32_t* indices    # column of each non-zero
    const int32_t* indptr     # row i holds entries indptr[i] .. indptr[i + 1] - 1
    const double* mean        # mu (p,): the centring of the columns
    const double* row_scale   # s_i / sqrt(n) (n,)
    const double* Q0          # (n, k0) column-major, orthonormal columns; NULL when k0 = 0
    Py_ssize_t k0
    Py_ssize_t n_rows
    Py_ssize_t n_cols

ctypedef struct CSRRows64:
    const double* data
    const int64_t* indices
    const int64_t* indptr
    const double* mean
    const double* row_scale
    const double* Q0
    Py_ssize_t k0
    Py_ssize_t n_rows
    Py_ssize_t n_cols

ctypedef fused CSRRows:
    CSRRows32
    CSRRows64

ctypedef fused Storage:
    DenseA
    CSRRows32
    CSRRows64

cdef enum Kind:
    DENSE = 0
    CSR32 = 1
    CSR64 = 2


cdef inline double _dot(const double* x, const double* y, Py_ssize_t n) noexcept nogil:
    # np.dot(x, y), by BLAS as numpy does
    cdef int n_ = <int> n, one = 1
    return ddot(&n_, <double*> x, &one, <double*> y, &one) if n > 0 else 0.0


cdef void _next_direction(double* v_next, double* q, const double* v, const double* mean,
                          double shift, double scale, double beta, Py_ssize_t p) noexcept nogil:
    # v_next = (q - shift mu) scale - beta v ; q = 0   (one pass; mu NULL: no shift)
    cdef Py_ssize_t i
    if mean == NULL:
        for i in range(p):
            v_next[i] = q[i] * scale - beta * v[i]
            q[i] = 0.0
    else:
        for i in range(p):
            v_next[i] = (q[i] - shift * mean[i]) * scale - beta * v[i]
            q[i] = 0.0


cdef void _project(const CSRRows* X, double* t, double* work) noexcept nogil:
    # t -= Q0 (Q0^T t)
    cdef int n = <int> X.n_rows, k0 = <int> X.k0, one = 1
    cdef double d_one = 1.0, d_zero = 0.0, d_minus = -1.0
    if k0 == 0:
        return
    dgemv(b"T", &n, &k0, &d_one, <double*> X.Q0, &n, t, &one, &d_zero, work, &one)
    dgemv(b"N", &n, &k0, &d_minus, <double*> X.Q0, &n, work, &one, &d_one, t, &one)


cdef double _csr_pass(const CSRRows* X, const double* v, double mv, const double* u,
                      double alpha, double* av, double* w, double* q, bint gather,
                      bint scatter) noexcept nogil:
    """One pass over the rows of X, computing (unprojected), with mv = mu . v,

    gather:   av = S (X v - 1 mu^T v) / sqrt(n);  w = av - alpha u
    scatter:  q += X^T S w / sqrt(n), returning sum(S w) / sqrt(n): the centred product
              (X - 1 mu^T)^T S w / sqrt(n) is q - mu * that, for q = 0 on entry

    both in the same pass when asked for both (w_i is known once row i is gathered).
    """
    cdef const double* x = X.data
    cdef Py_ssize_t i, k, start, end, nnz = X.indptr[X.n_rows]
    cdef double acc, t, sw, sw_sum = 0.0
    for i in range(X.n_rows):
        start = X.indptr[i]
        end = X.indptr[i + 1]
        if start + PREFETCH_AHEAD + 8 < nnz:
            prefetch_nta(x + start + PREFETCH_AHEAD)
            prefetch_nta(x + start + PREFETCH_AHEAD + 8)
            prefetch_nta(X.indices + start + PREFETCH_AHEAD)
        if gather:
            # av_i = s_i (x_i . v - mu . v)
            acc = 0.0
            for k in range(start, end):
                acc = acc + x[k] * v[X.indices[k]]
            t = X.row_scale[i] * (acc - mv)
            av[i] = t
            w[i] = t - alpha * u[i]
        if scatter:
            # q += s_i w_i x_i
            sw = w[i] * X.row_scale[i]
            sw_sum += sw
            for k in range(start, end):
                q[X.indices[k]] += sw * x[k]
    return sw_sum


cdef void rmatvec(const Storage* A, double* w, double* q, double* work) noexcept nogil:
    """q = A^T w (w is projected in place first, for CSR with Q0)."""
    cdef int n, p, ld, one = 1
    cdef double d_one = 1.0, d_zero = 0.0, shift
    cdef Py_ssize_t k
    if Storage is DenseA:
        n, p, ld = <int> A.n_rows, <int> A.n_cols, <int> A.ld
        dgemv(b"T", &n, &p, &d_one, <double*> A.data, &ld, w, &one, &d_zero, q, &one)
    else:
        _project(A, w, work)
        memset(q, 0, A.n_cols * sizeof(double))
        shift = _csr_pass(A, NULL, 0.0, NULL, 0.0, NULL, w, q, False, True)
        # q -= mu * sum(S w) / sqrt(n)
        for k in range(A.n_cols):
            q[k] -= A.mean[k] * shift


cdef double step_products(const Storage* A, const double* v, double mv, const double* u,
                          double alpha, double* av, double* w, double* q,
                          double* work) noexcept nogil:
    """av = A v;  w = av - alpha u;  q + (A^T w - q) with A^T w = q - mu * shift, the
    returned shift (0 for dense A, whose centring is stored). q must be 0 on entry for
    CSR (the loop zeroes it as it reads it); mv = mu . v."""
    cdef int n, p, ld, one = 1
    cdef double d_one = 1.0, d_zero = 0.0
    cdef Py_ssize_t i
    if Storage is DenseA:
        n, p, ld = <int> A.n_rows, <int> A.n_cols, <int> A.ld
        dgemv(b"N", &n, &p, &d_one, <double*> A.data, &ld, <double*> v, &one, &d_zero, av, &one)
        for i in range(A.n_rows):
            w[i] = av[i] - alpha * u[i]
        dgemv(b"T", &n, &p, &d_one, <double*> A.data, &ld, w, &one, &d_zero, q, &one)
        return 0.0
    else:
        if A.k0 == 0:
            return _csr_pass(A, v, mv, u, alpha, av, w, q, True, True)
        _csr_pass(A, v, mv, u, alpha, av, w, q, True, False)
        _project(A, av, work)
        for i in range(A.n_rows):
            w[i] = av[i] - alpha * u[i]
        _project(A, w, work)
        return _csr_pass(A, NULL, 0.0, NULL, 0.0, NULL, w, q, False, True)


cdef class Operator:
    """A for the compiled loop: the arrays are held, not copied."""
    cdef Kind kind
    cdef DenseA dense
    cdef CSRRows32 csr32
    cdef CSRRows64 csr64
    cdef readonly Py_ssize_t n_rows, n_cols
    cdef object arrays
    cdef double[::1] work     # k0 scratch for the projection
    cdef const double* mean   # mu for CSR (the centring of the products), NULL for dense

    def matvec(self, v):
        """A v (for tests)."""
        v = np.ascontiguousarray(v, dtype=np.float64)
        if v.shape != (self.n_cols,):
            raise ValueError(f"v must have shape ({self.n_cols},); got {v.shape}")
        av, w, q = np.empty(self.n_rows), np.empty(self.n_rows), np.zeros(self.n_cols)
        cdef double[::1] v_ = v, av_ = av, w_ = w, q_ = q
        cdef double[::1] u_ = np.zeros(self.n_rows)
        cdef double mv = _dot(self.mean, &v_[0], self.n_cols) if self.mean != NULL else 0.0
        self._step(&v_[0] if self.n_cols else NULL, mv, &u_[0] if self.n_rows else NULL, 0.0,
                   &av_[0] if self.n_rows else NULL, &w_[0] if self.n_rows else NULL,
                   &q_[0] if self.n_cols else NULL)
        return av

    def rmatvec(self, u):
        """A^T u (for tests)."""
        w = np.array(u, dtype=np.float64)
        if w.shape != (self.n_rows,):
            raise ValueError(f"u must have shape ({self.n_rows},); got {w.shape}")
        q = np.empty(self.n_cols)
        cdef double[::1] w_ = w, q_ = q
        self._rmat(&w_[0] if self.n_rows else NULL, &q_[0] if self.n_cols else NULL)
        return q

    cdef void _rmat(self, double* w, double* q) noexcept nogil:
        cdef double* work = &self.work[0]
        if self.kind == DENSE:
            rmatvec(&self.dense, w, q, work)
        elif self.kind == CSR32:
            rmatvec(&self.csr32, w, q, work)
        else:
            rmatvec(&self.csr64, w, q, work)

    cdef double _step(self, const double* v, double mv, const double* u, double alpha,
                      double* av, double* w, double* q) noexcept nogil:
        cdef double* work = &self.work[0]
        if self.kind == DENSE:
            return step_products(&self.dense, v, mv, u, alpha, av, w, q, work)
        elif self.kind == CSR32:
            return step_products(&self.csr32, v, mv, u, alpha, av, w, q, work)
        else:
            return step_products(&self.csr64, v, mv, u, alpha, av, w, q, work)


def dense_operator(const double[::1, :] A not None):
    """The compiled operator of an explicit A (n, p), Fortran-ordered float64."""
    cdef Operator op = Operator.__new__(Operator)
    op.kind = DENSE
    op.dense.data = &A[0, 0] if A.shape[0] and A.shape[1] else NULL
    op.dense.ld = max(A.shape[0], 1)
    op.dense.n_rows, op.dense.n_cols = A.shape[0], A.shape[1]
    op.n_rows, op.n_cols = A.shape[0], A.shape[1]
    op.arrays = A
    op.work = np.zeros(1)
    op.mean = NULL
    return op


ctypedef fused index_t:
    int32_t
    int64_t


cdef void _fill_rows(CSRRows* c, const double[::1] data, const double[::1] mean,
                     const double[::1] row_scale, const double[::1, :] Q0, Py_ssize_t n,
                     Py_ssize_t n_cols):
    # the fields the two index widths share (the caller sets indices and indptr)
    c.data = &data[0] if data.shape[0] else NULL
    c.mean = &mean[0] if n_cols else NULL
    c.row_scale = &row_scale[0] if n else NULL
    c.Q0 = &Q0[0, 0] if Q0.shape[1] and n else NULL
    c.k0 = Q0.shape[1] if n else 0
    c.n_rows, c.n_cols = n, n_cols


def csr_operator(const double[::1] data not None, const index_t[::1] indices not None,
                 const index_t[::1] indptr not None, Py_ssize_t n_cols, *,
                 const double[::1] mean not None, const double[::1] row_scale not None,
                 const double[::1, :] Q0 not None):
    """The compiled operator of A = (I - Q0 Q0^T) diag(row_scale) (X - 1 mean^T) for X in
    CSR arrays (float64 values, int32 or int64 indices; duplicates are summed)."""
    cdef Py_ssize_t n = indptr.shape[0] - 1
    if n < 0 or mean.shape[0] != n_cols or row_scale.shape[0] != n or Q0.shape[0] != n:
        raise ValueError("csr_operator: inconsistent shapes")
    if (indices.shape[0] != data.shape[0] or indptr[0] != 0 or indptr[n] != data.shape[0]
            or np.any(np.diff(np.asarray(indptr)) < 0)):
        raise ValueError("csr_operator: indptr does not match data")
    if data.shape[0] and (np.min(np.asarray(indices)) < 0 or np.max(np.asarray(indices)) >= n_cols):
        raise ValueError("csr_operator: column indices out of range")
    cdef Operator op = Operator.__new__(Operator)
    if index_t is int32_t:
        op.kind = CSR32
        op.csr32.indices = &indices[0] if indices.shape[0] else NULL
        op.csr32.indptr = &indptr[0]
        _fill_rows(&op.csr32, data, mean, row_scale, Q0, n, n_cols)
    else:
        op.kind = CSR64
        op.csr64.indices = &indices[0] if indices.shape[0] else NULL
        op.csr64.indptr = &indptr[0]
        _fill_rows(&op.csr64, data, mean, row_scale, Q0, n, n_cols)
    op.n_rows, op.n_cols = n, n_cols
    op.arrays = (data, indices, indptr, mean, row_scale, Q0)
    op.work = np.zeros(max(Q0.shape[1], 1))
    op.mean = &mean[0] if n_cols else NULL
    return op


include "_csr_rows.pxi"


# ---------------------------------------------------------------------------------
# the step loop
# ---------------------------------------------------------------------------------

cdef class GolubKahan:
    """The bidiagonalization of A started at z, with damped LSQR's rotations for every
    lambda; `run` adds steps, one stored block at a time.

    A lambda is done when its estimated ||A^T r - lam gamma||, alpha_{k+1} |s_k phi_k|,
    satisfies grad^2 <= bound (lam > 0), or grad <= sqrt(eps sum(alpha^2 + beta^2)) |phibar|
    (lam = 0, LSQR's test for least squares with ||A||_F estimated from the bidiagonal).
    """
    cdef Operator op
    cdef double[::1] u, v, w, q
    cdef double[::1] damp, bound, rhobar, phibar
    cdef unsigned char[::1] zero
    cdef double[::1] alphas, betas
    cdef double[:, ::1] rhos, thetas, phis
    cdef readonly double alpha, beta, a_norm_sq
    cdef readonly Py_ssize_t steps
    cdef readonly bint finished

    def __init__(self, Operator op not None, z, lambdas, bound):
        """beta_1 u_1 = z, alpha_1 v_1 = A^T u_1; ``bound`` per lambda as in the class
        docstring (lambdas = 0 use the least-squares test)."""
        cdef Py_ssize_t n = op.n_rows, p = op.n_cols, i
        z = np.ascontiguousarray(z, dtype=np.float64)
        lambdas = np.ascontiguousarray(lambdas, dtype=np.float64)
        bound = np.ascontiguousarray(bound, dtype=np.float64)
        if z.shape != (n,) or lambdas.ndim != 1 or bound.shape != lambdas.shape:
            raise ValueError("GolubKahan: z must have A's n_rows entries and bound one per lambda")
        if np.any(lambdas < 0):
            raise ValueError("GolubKahan: lambdas must be non-negative")
        self.op = op
        self.damp = np.sqrt(lambdas)
        self.bound = bound
        self.zero = (lambdas == 0).view(np.uint8)
        self.u, self.w = np.zeros(n), np.zeros(n)
        self.v, self.q = np.zeros(p), np.zeros(p)
        self.alphas, self.betas = np.zeros(1), np.zeros(1)
        self.rhos = self.thetas = self.phis = np.zeros((0, lambdas.size))
        self.steps, self.finished = 0, False
        cdef double[::1] z_ = z
        self.beta = sqrt(_dot(&z_[0], &z_[0], n)) if n else 0.0
        self.alpha = 0.0
        if self.beta > 0 and p:
            for i in range(n):
                self.u[i] = z_[i] / self.beta
            self.w[:] = self.u
            self.op._rmat(&self.w[0], &self.q[0])
            self.alpha = sqrt(_dot(&self.q[0], &self.q[0], p))
            if self.alpha > 0:
                for i in range(p):
                    self.v[i] = self.q[i] / self.alpha
        self.alphas[0], self.betas[0] = self.alpha, self.beta
        self.rhobar = np.full(lambdas.size, self.alpha)
        self.phibar = np.full(lambdas.size, self.beta)
        self.a_norm_sq = self.alpha * self.alpha
        self.finished = self.alpha == 0.0

    @property
    def v_next(self):
        """v_{k+1} (a copy): the basis vector after the last stored one."""
        return np.array(self.v)

    def bidiagonal(self):
        """(alphas (k+1,), betas (k+1,), rho, theta, phi (k, n_lambdas)) after k steps:
        alpha_1..alpha_{k+1}, beta_1..beta_{k+1} and each step's rotations."""
        k = self.steps
        return (np.array(self.alphas[:k + 1]), np.array(self.betas[:k + 1]),
                np.array(self.rhos[:k]), np.array(self.thetas[:k]), np.array(self.phis[:k]))

    def _reserve(self, Py_ssize_t total):
        """Room for the coefficients of ``total`` steps (the arrays double when full)."""
        cdef Py_ssize_t cap = self.rhos.shape[0], L = self.damp.shape[0]
        if total <= cap:
            return
        cap = max(total, 2 * cap)
        rho, theta, phi = np.empty((cap, L)), np.empty((cap, L)), np.empty((cap, L))
        alphas, betas = np.empty(cap + 1), np.empty(cap + 1)
        rho[:self.steps], theta[:self.steps], phi[:self.steps] = (
            self.rhos[:self.steps], self.thetas[:self.steps], self.phis[:self.steps])
        alphas[:self.steps + 1] = self.alphas[:self.steps + 1]
        betas[:self.steps + 1] = self.betas[:self.steps + 1]
        self.rhos, self.thetas, self.phis, self.alphas, self.betas = rho, theta, phi, alphas, betas

    def run(self, double[::1, :] V not None, double[::1, :] AV not None, Py_ssize_t max_steps):
        """Add up to max_steps steps (at most V's columns), storing v_k in V[:, j] and A v_k
        in AV[:, j], j = 0, 1, ...; stop early when every lambda is done or the
        bidiagonalization ends (alpha or beta = 0). Returns the number of steps taken."""
        cdef Py_ssize_t n = self.op.n_rows, p = self.op.n_cols
        if V.shape[0] != p or AV.shape[0] != n or AV.shape[1] != V.shape[1]:
            raise ValueError(f"run: V must be ({p}, m) and AV ({n}, m)")
        cdef Py_ssize_t m = min(max_steps, V.shape[1])
        if self.finished or m <= 0:
            return 0
        self._reserve(self.steps + m)
        cdef Py_ssize_t j
        with nogil:
            j = self._steps(V, AV, m)
        return j

    cdef Py_ssize_t _steps(self, double[::1, :] V, double[::1, :] AV, Py_ssize_t m) noexcept nogil:
        cdef Py_ssize_t n = self.op.n_rows, p = self.op.n_cols, L = self.damp.shape[0]
        cdef Py_ssize_t i, j = 0, l, k
        cdef double* u = &self.u[0] if n else NULL
        cdef double* w = &self.w[0] if n else NULL
        cdef double* q = &self.q[0]
        cdef double* v
        cdef double* v_next
        cdef double* av
        cdef double alpha = self.alpha, beta = self.beta, scale, rhobar1, rho, cs, sn, grad, ls_tol
        cdef double shift, mv
        cdef const double* mean = self.op.mean
        cdef bint all_done
        memcpy(&V[0, 0], &self.v[0], p * sizeof(double))
        memset(q, 0, p * sizeof(double))        # the products accumulate into q
        v_next = &V[0, 0]
        mv = _dot(mean, v_next, p) if mean != NULL else 0.0
        for j in range(m):
            k = self.steps
            v = v_next
            av = &AV[0, j] if n else NULL
            # beta u = A v - alpha u ; alpha v = A^T u - beta v   (A^T u = A^T w / beta,
            # A^T w = q - shift mu)
            shift = self.op._step(v, mv, u, alpha, av, w, q)
            beta = sqrt(_dot(w, w, n))
            # v_{k+1} goes to the next column of the block, or to self.v after the last
            v_next = &V[0, j + 1] if j + 1 < V.shape[1] else &self.v[0]
            # u = w / beta ; v_next = (q - shift mu) / beta - beta v, q = 0 for the next
            # step (w = 0 when beta = 0; by reciprocals: one more rounding per entry, not
            # a division each)
            scale = 1.0 / beta if beta > 0 else 1.0
            for i in range(n):
                u[i] = w[i] * scale
            _next_direction(v_next, q, v, mean, shift, scale, beta, p)
            alpha = sqrt(_dot(v_next, v_next, p))
            if alpha > 0:
                # v_next /= alpha
                scale = 1.0 / alpha
                for i in range(p):
                    v_next[i] = v_next[i] * scale
                # mu . v_next, for the next step's gather
                mv = _dot(mean, v_next, p) if mean != NULL else 0.0
            self.alphas[k + 1] = alpha
            self.betas[k + 1] = beta
            self.a_norm_sq += alpha * alpha + beta * beta
            # the damping rotation, then the one eliminating beta (Paige & Saunders 1982)
            all_done = True
            ls_tol = sqrt(DBL_EPSILON * self.a_norm_sq)
            for l in range(L):
                rhobar1 = hypot(self.rhobar[l], self.damp[l])
                self.phibar[l] = self.rhobar[l] / rhobar1 * self.phibar[l]
                rho = hypot(rhobar1, beta)
                cs = rhobar1 / rho
                sn = beta / rho
                self.rhos[k, l] = rho
                self.thetas[k, l] = sn * alpha
                self.rhobar[l] = -cs * alpha
                self.phis[k, l] = cs * self.phibar[l]
                self.phibar[l] = sn * self.phibar[l]
                # ||A^T r - lam gamma||, estimated
                grad = alpha * fabs(sn * self.phis[k, l])
                if self.zero[l]:
                    all_done = all_done and grad <= ls_tol * fabs(self.phibar[l])
                else:
                    all_done = all_done and grad * grad <= self.bound[l]
            self.steps = k + 1
            if all_done or alpha == 0.0 or beta == 0.0:
                self.finished = True
                break
        if v_next != &self.v[0]:
            memcpy(&self.v[0], v_next, p * sizeof(double))
        self.alpha, self.beta = alpha, beta
        return j + 1


include "_basis_products.pxi"
