# Included in _krylov.pyx: the CSR rows of the sparse ridge design, built once from the
# validated input (the transposition of CSC, the column moments of the reduction).

# ---------------------------------------------------------------------------------
# building the CSR rows: once, straight from the validated input
# ---------------------------------------------------------------------------------

def csr_from_csc(const floating[::1] data not None, const index_t[::1] indices not None,
                 const index_t[::1] indptr not None, Py_ssize_t n_rows,
                 const double[::1] w not None):
    """(data, indices, indptr) of the CSR form of a CSC matrix with n_rows rows (values in
    float64, indices of the input's width, column indices sorted within each row) and
    the column moments (sum_i w_i x_ij, sum_i w_i x_ij^2) of a matrix without duplicates
    (`column_moments`, while each column is read). A counting sort (one pass counts each
    row's entries, one places them): X.tocsr() without scipy's intermediate copies or the
    float64 conversion of a second pass."""
    cdef Py_ssize_t n_cols = indptr.shape[0] - 1, nnz = indptr[n_cols], i, j, k, dst
    if w.shape[0] != n_rows:
        raise ValueError("csr_from_csc: w must have one entry per row")
    dtype = np.int32 if index_t is int32_t else np.int64
    out_data = np.empty(nnz, dtype=np.float64)
    out_indices = np.empty(nnz, dtype=dtype)
    out_indptr = np.zeros(n_rows + 1, dtype=dtype)
    sums, squares = np.empty(n_cols), np.empty(n_cols)
    cdef double[::1] od = out_data, s1 = sums, s2 = squares
    cdef index_t[::1] oi = out_indices, op = out_indptr
    cdef index_t[::1] fill = np.empty(max(n_rows, 1), dtype=dtype)
    cdef double x, wx, a1, a2
    with nogil:
        # op[i + 1] = np.bincount(indices, minlength=n_rows)[i], then its cumulative sum
        for k in range(nnz):
            op[indices[k] + 1] += 1
        for i in range(n_rows):
            op[i + 1] += op[i]
            fill[i] = op[i]
        # row i's entries go to op[i] .., in the order of the columns;
        # s1[j] = w . x_j, s2[j] = w . x_j^2 (x_j the j-th column)
        for j in range(n_cols):
            a1 = a2 = 0.0
            for k in range(indptr[j], indptr[j + 1]):
                i = indices[k]
                dst = fill[i]
                fill[i] += 1
                oi[dst] = <index_t> j
                x = data[k]
                od[dst] = x
                wx = w[i] * x
                a1 += wx
                a2 += wx * x
            s1[j], s2[j] = a1, a2
    return out_data, out_indices, out_indptr, sums, squares


def column_moments(const double[::1] data not None, const index_t[::1] indices not None,
                   const index_t[::1] indptr not None, Py_ssize_t n_cols,
                   const double[::1] w not None):
    """(sum_i w_i x_ij, sum_i w_i x_ij^2) for every column j of X given by CSR arrays
    without duplicates (n_cols columns, w one weight per row): one pass over the rows
    (for CSR input; CSC input gets them from `csr_from_csc`)."""
    cdef Py_ssize_t n_rows = indptr.shape[0] - 1, i, j, k
    if w.shape[0] != n_rows:
        raise ValueError("column_moments: w must have one entry per row")
    sums, squares = np.zeros(n_cols), np.zeros(n_cols)
    cdef double[::1] s1 = sums, s2 = squares
    cdef double wi, wx
    with nogil:
        for i in range(n_rows):
            # s1 += w_i x_i ; s2 += w_i x_i^2   (x_i the i-th row)
            wi = w[i]
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                wx = wi * data[k]
                s1[j] += wx
                s2[j] += wx * data[k]
    return sums, squares
