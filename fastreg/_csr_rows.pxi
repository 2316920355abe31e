# Included in _krylov.pyx: the CSR rows of the sparse ridge design, built once from the
# validated input (the transposition of CSC, the column moments of the reduction).

# ---------------------------------------------------------------------------------
# building the CSR rows: once, straight from the validated input
# ---------------------------------------------------------------------------------

def csr_from_csc(const floating[::1] data not None, const index_t[::1] indices not None,
                 const index_t[::1] indptr not None, Py_ssize_t n_rows):
    """(data, indices, indptr) of the CSR form of a CSC matrix with n_rows rows: values in
    float64, indices of the input's width, column indices sorted within each row. A
    counting sort (one pass counts each row's entries, one places them): X.tocsr()
    without scipy's intermediate copies or the float64 conversion of a second pass."""
    cdef Py_ssize_t n_cols = indptr.shape[0] - 1, nnz = indptr[n_cols], i, j, k, dst
    dtype = np.int32 if index_t is int32_t else np.int64
    out_data = np.empty(nnz, dtype=np.float64)
    out_indices = np.empty(nnz, dtype=dtype)
    out_indptr = np.zeros(n_rows + 1, dtype=dtype)
    cdef double[::1] od = out_data
    cdef index_t[::1] oi = out_indices, op = out_indptr
    cdef index_t[::1] fill = np.empty(max(n_rows, 1), dtype=dtype)
    with nogil:
        # op[i + 1] = np.bincount(indices, minlength=n_rows)[i], then its cumulative sum
        for k in range(nnz):
            op[indices[k] + 1] += 1
        for i in range(n_rows):
            op[i + 1] += op[i]
            fill[i] = op[i]
        # row i's entries go to op[i] .., in the order of the columns
        for j in range(n_cols):
            for k in range(indptr[j], indptr[j + 1]):
                i = indices[k]
                dst = fill[i]
                fill[i] += 1
                oi[dst] = <index_t> j
                od[dst] = data[k]
    return out_data, out_indices, out_indptr


def column_moments(const double[::1] data not None, const index_t[::1] indices not None,
                   const index_t[::1] indptr not None, Py_ssize_t n_cols,
                   const double[::1] w not None):
    """(sum_i w_i x_ij, sum_i w_i x_ij^2) for every column j of X given by CSR arrays
    without duplicates (n_cols columns, w one weight per row): one pass over the rows."""
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
