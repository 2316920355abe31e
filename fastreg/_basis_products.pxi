# Included in _krylov.pyx: after the Golub-Kahan loop, the stored columns times the
# coefficients of every lambda (gamma = V Y over V itself, the RSS from A V), in pieces
# that skip the coefficients of the lambdas that converged earlier.

# ---------------------------------------------------------------------------------
# after the loop: the stored columns B (V or A V) times the coefficients Y of every lambda
# ---------------------------------------------------------------------------------

cdef void _rows_times(const Py_ssize_t[::1] starts, Py_ssize_t ld, const Py_ssize_t[:, ::1] pieces,
                      const double[::1, :] Y, Py_ssize_t r0, int m, double alpha, bint overwrite,
                      double* C, int ldc) noexcept nogil:
    """C = alpha B[r0:r0 + m] Y (overwrite) or C += alpha B[r0:r0 + m] Y, C (m, L) with
    leading dimension ldc. Piece t = (block, column, row, count, l0) multiplies ``count``
    stored columns (from ``column`` of the block whose first entry is at address
    starts[block]) by rows row.. of Y, columns l0.. only: the columns of Y before l0 are
    zero there (the lambdas that converged earlier). The first piece (rows 0.., l0 = 0)
    writes every column of C."""
    cdef int count, n_cols, ldb = <int> ld, ldy = <int> Y.shape[0]
    cdef double one = 1.0, beta
    cdef Py_ssize_t t, l0
    for t in range(pieces.shape[0]):
        count, l0 = <int> pieces[t, 3], pieces[t, 4]
        n_cols = <int> (Y.shape[1] - l0)
        beta = 0.0 if overwrite and t == 0 else 1.0
        dgemm(b"N", b"N", &m, &n_cols, &count, &alpha,
              <double*> starts[pieces[t, 0]] + pieces[t, 1] * ld + r0, &ldb,
              <double*> &Y[pieces[t, 2], l0], &ldy, &beta, C + l0 * ldc, &ldc)


def _block_starts(list blocks, Py_ssize_t ld):
    for b in blocks:
        if b.ndim != 2 or b.shape[0] != ld or not b.flags.f_contiguous or b.dtype != np.float64:
            raise ValueError("the stored blocks must be Fortran-ordered float64 with equal rows")
    return np.array([b.ctypes.data for b in blocks], dtype=np.intp)


def combine_in_place(list blocks not None, const double[::1, :] Y not None,
                     const Py_ssize_t[:, ::1] pieces not None, const double[::1] weights=None,
                     Py_ssize_t rows_per_block=768):
    """blocks[0][:, :L] = B Y, B the stored columns (``pieces`` as in `_rows_times`), over
    the first L columns of the first block: row block by row block, each formed in a
    scratch block (it reads those rows of B) and then written over them. The (p, L)
    result takes no memory of its own, hence no first-touch page faults. Returns
    weights^T (B Y) (L,) when given weights (p,) (while each row block is in cache),
    else None."""
    cdef Py_ssize_t p = blocks[0].shape[0], L = Y.shape[1], r0, m, j
    if blocks[0].shape[1] < L or rows_per_block < 1 or p < 1:
        raise ValueError("combine_in_place: the first block needs a column per lambda")
    if pieces.shape[0] == 0 or pieces[0, 2] != 0 or pieces[0, 4] != 0:
        raise ValueError("combine_in_place: the first piece must start at row 0, column 0")
    if weights is not None and weights.shape[0] != p:
        raise ValueError("combine_in_place: weights must have a row per stored row")
    cdef Py_ssize_t[::1] starts = _block_starts(blocks, p)
    cdef double[::1, :] out = blocks[0]
    cdef double[::1, :] scratch = np.empty((min(rows_per_block, p), L), order="F")
    weighted = None if weights is None else np.zeros(L)
    cdef double[::1] wsum = weighted
    cdef const double* w = &weights[0] if weights is not None else NULL
    cdef int m_, L_ = <int> L, ld = <int> scratch.shape[0], one = 1
    cdef double d_one = 1.0
    with nogil:
        r0 = 0
        while r0 < p:
            m = min(rows_per_block, p - r0)
            # scratch = B[r0:r0 + m] Y ; out[r0:r0 + m] = scratch
            _rows_times(starts, p, pieces, Y, r0, <int> m, 1.0, True, &scratch[0, 0],
                        <int> scratch.shape[0])
            for j in range(L):
                memcpy(&out[r0, j], &scratch[0, j], m * sizeof(double))
            if w != NULL:
                # wsum += scratch^T weights[r0:r0 + m]
                m_ = <int> m
                dgemv(b"T", &m_, &L_, &d_one, &scratch[0, 0], &ld, <double*> w + r0, &one,
                      &d_one, &wsum[0], &one)
            r0 += m
    return weighted


def residual_norms(list blocks not None, const double[::1, :] Y not None,
                   const Py_ssize_t[:, ::1] pieces not None, const double[::1] z not None,
                   Py_ssize_t rows_per_block=768):
    """||z - B y_l||^2 for every column y_l of Y (B and ``pieces`` as in `_rows_times`),
    row block by row block: no (n, L) residual matrix."""
    cdef Py_ssize_t n = blocks[0].shape[0], L = Y.shape[1], r0, m, j
    if z.shape[0] != n or rows_per_block < 1 or n < 1:
        raise ValueError("residual_norms: z must have a row per stored row")
    cdef Py_ssize_t[::1] starts = _block_starts(blocks, n)
    cdef double[::1, :] scratch = np.empty((min(rows_per_block, n), L), order="F")
    out = np.zeros(L)
    cdef double[::1] rss = out
    with nogil:
        r0 = 0
        while r0 < n:
            m = min(rows_per_block, n - r0)
            # scratch = z[r0:r0 + m, None] - B[r0:r0 + m] Y ; rss += sum(scratch^2, axis=0)
            for j in range(L):
                memcpy(&scratch[0, j], &z[r0], m * sizeof(double))
            _rows_times(starts, n, pieces, Y, r0, <int> m, -1.0, False, &scratch[0, 0],
                        <int> scratch.shape[0])
            for j in range(L):
                rss[j] += _dot(&scratch[0, j], &scratch[0, j], m)
            r0 += m
    return out
