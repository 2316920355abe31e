# The storage layer: the four column operations coordinate descent needs, written
# once per storage. Everything above this file (the epoch, the duality gap, the
# screening and working-set logic) is written once against these functions and
# specialised at compile time through the fused type `Design`.
#
# Conventions (n = n_samples):
#   * `w` is the vector of sample weights, rescaled to sum to n, or NULL for unit weights.
#   * The residual is stored as a pair (r, offset): the true residual is r + offset * 1.
#     Dense storage keeps offset == 0 and updates r with the centred column directly
#     (no cancellation); CSC storage moves the centring into the scalar offset so that
#     an update costs O(nnz of the column), not O(n) (implicit centring; the dense copies
#     of near-dense columns, below, are updated centred, at O(n) <= O(2 nnz) each).
#   * Data pointers are `const void*` and read as `floating*`: the floating type of a
#     call is the one of the vectors passed with it, so one struct serves both dtypes.
from libc.stdint cimport int32_t, int64_t
from cython cimport floating


ctypedef struct DenseDesign:
    const void* data          # column-major values; column j starts at data + j * ld
    Py_ssize_t ld             # leading dimension (elements between two columns)
    Py_ssize_t n_samples
    Py_ssize_t n_features

ctypedef struct CSCDesign32:
    const void* data          # values of the non-zeros, column after column
    const int32_t* indices    # row of each non-zero (any order, no duplicates)
    const int32_t* indptr     # column j holds entries indptr[j] .. indptr[j + 1] - 1
    Py_ssize_t n_samples
    Py_ssize_t n_features
    # NULL, or per column: 1 when every stored value is exactly 1 (one-hot and presence
    # data), whose dots and updates then skip the values (same results, a third less
    # memory traffic); see `unit_columns`. Fill the struct with csc_design32 below.
    const char* unit
    # NULL, or per column: its slot in `dense` (-1: none). A near-dense column (at least
    # half its entries stored) is read from a dense copy: a dot over all n rows in
    # sequence is 1.6x (half full) to 3x (full) faster than the gather over its stored
    # entries. enet_path makes these copies itself (see _cd.pyx, attach_dense_columns):
    # csc_design32 leaves them NULL.
    const Py_ssize_t* dense_slot
    const void* dense         # slots x n_samples values, column-major

ctypedef struct CSCDesign64:
    const void* data
    const int64_t* indices
    const int64_t* indptr
    Py_ssize_t n_samples
    Py_ssize_t n_features
    const char* unit
    const Py_ssize_t* dense_slot
    const void* dense

ctypedef fused Design:
    DenseDesign
    CSCDesign32
    CSCDesign64


cdef inline void csc_design32(CSCDesign32* d, const void* data, const int32_t* indices,
                              const int32_t* indptr, Py_ssize_t n_samples,
                              Py_ssize_t n_features, const char* unit) noexcept nogil:
    """Fill every field of a CSC design (unit: NULL, or flags from _cd.unit_columns).
    Use it rather than setting the fields one by one: a field left unset is garbage."""
    d.data = data
    d.indices = indices
    d.indptr = indptr
    d.n_samples = n_samples
    d.n_features = n_features
    d.unit = unit
    d.dense_slot = NULL
    d.dense = NULL


cdef inline void csc_design64(CSCDesign64* d, const void* data, const int64_t* indices,
                              const int64_t* indptr, Py_ssize_t n_samples,
                              Py_ssize_t n_features, const char* unit) noexcept nogil:
    """As csc_design32, for 64-bit indices."""
    d.data = data
    d.indices = indices
    d.indptr = indptr
    d.n_samples = n_samples
    d.n_features = n_features
    d.unit = unit
    d.dense_slot = NULL
    d.dense = NULL


cdef inline double _dot(const floating* x, const floating* v, Py_ssize_t n) noexcept nogil:
    # np.dot(x, v), accumulated in float64 with four independent sums
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef Py_ssize_t i, m = n - n % 4
    for i in range(0, m, 4):
        s0 += <double> x[i] * v[i]
        s1 += <double> x[i + 1] * v[i + 1]
        s2 += <double> x[i + 2] * v[i + 2]
        s3 += <double> x[i + 3] * v[i + 3]
    for i in range(m, n):
        s0 += <double> x[i] * v[i]
    return (s0 + s1) + (s2 + s3)


cdef inline double _wdot(const floating* x, const floating* w, const floating* v,
                         Py_ssize_t n) noexcept nogil:
    # np.dot(x, w * v), accumulated in float64
    cdef double s0 = 0.0, s1 = 0.0
    cdef Py_ssize_t i, m = n - n % 2
    for i in range(0, m, 2):
        s0 += <double> x[i] * w[i] * v[i]
        s1 += <double> x[i + 1] * w[i + 1] * v[i + 1]
    for i in range(m, n):
        s0 += <double> x[i] * w[i] * v[i]
    return s0 + s1


cdef inline double _cdot(const floating* x, const floating* w, const floating* v, double mean,
                         Py_ssize_t n) noexcept nogil:
    # np.dot(x - mean, w * v) (w may be NULL), accumulated in float64 with four sums
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef Py_ssize_t i, m = n - n % 4
    if w == NULL:
        for i in range(0, m, 4):
            s0 += (<double> x[i] - mean) * v[i]
            s1 += (<double> x[i + 1] - mean) * v[i + 1]
            s2 += (<double> x[i + 2] - mean) * v[i + 2]
            s3 += (<double> x[i + 3] - mean) * v[i + 3]
        for i in range(m, n):
            s0 += (<double> x[i] - mean) * v[i]
    else:
        for i in range(0, m, 4):
            s0 += (<double> x[i] - mean) * w[i] * v[i]
            s1 += (<double> x[i + 1] - mean) * w[i + 1] * v[i + 1]
            s2 += (<double> x[i + 2] - mean) * w[i + 2] * v[i + 2]
            s3 += (<double> x[i + 3] - mean) * w[i + 3] * v[i + 3]
        for i in range(m, n):
            s0 += (<double> x[i] - mean) * w[i] * v[i]
    return (s0 + s1) + (s2 + s3)


cdef inline const floating* column_values(const Design* X, Py_ssize_t j,
                                         const floating* like) noexcept nogil:
    """All n_samples values of column j in sequence, or NULL: dense storage's column in
    place, a CSC column's dense copy when it has one (enet_path's attach_dense_columns),
    NULL for the other CSC columns (read through their stored entries). ``like``: any
    array of X's dtype (it selects the specialization; not read)."""
    if Design is DenseDesign:
        return (<const floating*> X.data) + j * X.ld
    else:
        if X.dense_slot == NULL or X.dense_slot[j] < 0:
            return NULL
        return (<const floating*> X.dense) + X.dense_slot[j] * X.n_samples


cdef inline double col_dot(const Design* X, Py_ssize_t j, const floating* w,
                           const floating* v) noexcept nogil:
    """sum_i w_i X[i, j] v_i for the raw (uncentred) column j."""
    cdef const floating* x
    cdef Py_ssize_t k, i, start, end
    cdef double acc = 0.0
    x = column_values(X, j, v)
    if x != NULL:
        if w == NULL:
            return _dot(x, v, X.n_samples)
        return _wdot(x, w, v, X.n_samples)
    if Design is not DenseDesign:
        x = <const floating*> X.data
        start = X.indptr[j]
        end = X.indptr[j + 1]
        if X.unit != NULL and X.unit[j]:
            # every stored value is 1: acc = v[rows].sum() (or (w * v)[rows].sum())
            if w == NULL:
                for k in range(start, end):
                    acc += v[X.indices[k]]
            else:
                for k in range(start, end):
                    i = X.indices[k]
                    acc += <double> w[i] * v[i]
        elif w == NULL:
            for k in range(start, end):
                acc += <double> x[k] * v[X.indices[k]]
        else:
            for k in range(start, end):
                i = X.indices[k]
                acc += <double> x[k] * w[i] * v[i]
    return acc


cdef inline Py_ssize_t col_nnz(const Design* X, Py_ssize_t j) noexcept nogil:
    """Stored entries of column j: the cost of col_dot and col_update on it."""
    if Design is DenseDesign:
        return X.n_samples
    else:
        return X.indptr[j + 1] - X.indptr[j]


cdef inline void cols_dot(const Design* X, const floating* w, const floating* v,
                          double* out) noexcept nogil:
    """out[j] = sum_i w_i X[i, j] v_i for every column j: one pass over X.

    (Our own loops rather than BLAS gemv: measured as fast single-threaded on the
    benchmark shapes, and free of BLAS's own thread pool, which oversubscribes the cores
    when folds run in parallel threads and costs 5x on small problems.)
    """
    cdef Py_ssize_t j
    for j in range(X.n_features):
        out[j] = col_dot(X, j, w, v)


cdef inline void col_update(const Design* X, Py_ssize_t j, double delta, double mean,
                            floating* r, double* offset) noexcept nogil:
    """(r + offset) -= delta * (X[:, j] - mean): the residual after beta_j += delta."""
    cdef const floating* x
    cdef Py_ssize_t i, k
    cdef floating d = <floating> delta
    x = column_values(X, j, r)
    if x != NULL:
        # the centred column itself, offset untouched (for a CSC column's dense copy too:
        # with every row at hand, nothing is gained by moving the centring into offset)
        if mean == 0.0:
            for i in range(X.n_samples):
                r[i] -= d * x[i]
        else:
            # centred in float64: a float32 mean of a column far from 0 would be off by
            # its rounding, shifting every r_i
            for i in range(X.n_samples):
                r[i] -= <floating> (delta * (x[i] - mean))
        return
    if Design is not DenseDesign:
        x = <const floating*> X.data
        if X.unit != NULL and X.unit[j]:
            # r[rows] -= d (every stored value is 1)
            for k in range(X.indptr[j], X.indptr[j + 1]):
                r[X.indices[k]] -= d
        else:
            for k in range(X.indptr[j], X.indptr[j + 1]):
                r[X.indices[k]] -= d * x[k]
        offset[0] += delta * mean


cdef inline void col_update_f64(const Design* X, const floating* like, Py_ssize_t j,
                                double delta, double mean, double* r,
                                double* offset) noexcept nogil:
    """(r + offset) -= delta * (X[:, j] - mean) into a float64 vector, whatever X's dtype
    (the residual of a certificate for float32 data, computed without float32 rounding).
    ``like``: any array of X's dtype (it selects the specialization; not read)."""
    cdef const floating* x = column_values(X, j, like)
    cdef Py_ssize_t i, k
    if x != NULL:
        # (centred, offset untouched: as col_update)
        for i in range(X.n_samples):
            r[i] -= delta * (x[i] - mean)
        return
    if Design is not DenseDesign:
        x = <const floating*> X.data
        for k in range(X.indptr[j], X.indptr[j + 1]):
            r[X.indices[k]] -= delta * x[k]
        offset[0] += delta * mean


cdef inline void col_moments(const Design* X, Py_ssize_t j, const floating* w,
                             bint center, double* mean, double* sq_norm,
                             double* raw_sq_norm) noexcept nogil:
    """Weighted mean, centred and raw squared norms of column j, all divided by n.

    mean = sum(w * x) / n (0 when not centring), sq_norm = sum(w * (x - mean)**2) / n,
    raw_sq_norm = sum(w * x**2) / n (the scale against which a column counts as constant).
    Two passes, so a column with a large mean loses no precision.
    """
    cdef const floating* x
    cdef Py_ssize_t n = X.n_samples, i, k
    cdef double s = 0.0, ss = 0.0, raw = 0.0, wsum_nz = 0.0, wi, dx, mu
    if Design is DenseDesign:
        x = (<const floating*> X.data) + j * X.ld
        for i in range(n):
            wi = 1.0 if w == NULL else w[i]
            s += wi * x[i]
            raw += wi * x[i] * x[i]
        mu = s / n if center else 0.0
        for i in range(n):
            wi = 1.0 if w == NULL else w[i]
            dx = x[i] - mu
            ss += wi * dx * dx
    else:
        x = <const floating*> X.data
        for k in range(X.indptr[j], X.indptr[j + 1]):
            wi = 1.0 if w == NULL else w[X.indices[k]]
            s += wi * x[k]
            raw += wi * x[k] * x[k]
            wsum_nz += wi
        mu = s / n if center else 0.0
        for k in range(X.indptr[j], X.indptr[j + 1]):
            wi = 1.0 if w == NULL else w[X.indices[k]]
            dx = x[k] - mu
            ss += wi * dx * dx
        # the implicit zeros of the column, each (0 - mu)**2, carry weight n - wsum_nz
        ss += mu * mu * max(n - wsum_nz, 0.0)
    mean[0] = mu
    sq_norm[0] = ss / n
    raw_sq_norm[0] = raw / n
