# The solver state's allocation, column moments and flags, and its release; included by
# _cd.pyx.

cdef void state_free(State* st) noexcept nogil:
    free(st.mean); free(st.sq_norm); free(st.grad); free(st.yc_dot); free(st.flags)
    free(st.ws); free(st.unpen); free(st.unpen_gram); free(st.unpen_ldl)
    free(st.unpen_work)
    free(st.r_ref); free(st.grad_ref); free(st.ref_gram)
    free(st.col_norm); free(st.raw_norm); free(st.r64)
    free(st.cand); free(st.strong)
    free(st.fixed)
    free(st.sec.r_prev); free(st.sec.support); free(st.sec.next_support)
    gram_free(&st.gram)
    newton_free(&st.newton)
    free(st.acc.history); free(st.acc.gram); free(st.acc.ldl); free(st.acc.coef)


cdef int state_init(const Design* X, const floating* w, floating* buf, State* st,
                    const Penalty* pen, bint fit_intercept) noexcept nogil:
    # column moments, flags and the unpenalized block's Gram matrix (buf: n scratch);
    # -1: out of memory, -2: a column's moments overflow float64
    cdef Py_ssize_t n = X.n_samples, p = X.n_features, j, a, b, i, m = 0
    cdef double raw, buf_offset
    st.n = n
    st.p = p
    st.mean = <double*> malloc(p * sizeof(double))
    st.sq_norm = <double*> malloc(p * sizeof(double))
    st.grad = <double*> calloc(p, sizeof(double))
    st.yc_dot = <double*> calloc(p, sizeof(double))
    st.flags = <char*> calloc(p, sizeof(char))
    st.ws = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    st.unpen = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    st.unpen_gram = NULL
    st.unpen_ldl = NULL
    st.unpen_work = NULL
    st.r_ref = <double*> calloc(N_REF * n, sizeof(double))
    st.grad_ref = <double*> calloc(N_REF * p, sizeof(double))
    st.ref_gram = <double*> calloc(2 * N_REF * N_REF + 2 * N_REF, sizeof(double))
    if st.ref_gram != NULL:
        st.ref_ldl = st.ref_gram + N_REF * N_REF
        st.ref_max = st.ref_ldl + N_REF * N_REF
        st.ref_coef = st.ref_max + N_REF
    st.n_ref = 0
    st.ref_next = 0
    st.ref_dist = INFINITY
    st.col_norm = <double*> malloc(p * sizeof(double))
    st.raw_norm = <double*> malloc(p * sizeof(double))
    st.max_raw_norm = 0.0
    st.primal_r2 = 0.0
    st.r64 = <double*> malloc(n * sizeof(double)) if floating is float else NULL
    st.nnz = 0
    st.cand = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    st.strong = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    st.fixed = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    st.n_strong = 0
    st.strong_valid = False
    st.n_fixed = 0
    st.recomputes = 0
    st.recompute_err = 0.0
    st.sec.valid = False
    st.sec.n_support = 0
    st.sec.r_prev = <double*> malloc(n * sizeof(double))
    st.sec.support = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    st.sec.next_support = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    st.last_epochs = 0
    st.quick_score = 0
    st.inner_ratio = 1.0
    newton_init(&st.newton)
    st.n_ws = 0
    st.offset = 0.0
    st.sum_wr = 0.0
    st.drift = 0.0
    st.drift_steps = 0
    st.drift_move = 0.0
    st.r_norm = 0.0
    st.acc.count = 0
    st.acc.capacity = 0
    st.acc.enabled = False
    st.acc.history = NULL     # grown with the working set by anderson_reset
    st.acc.gram = <double*> malloc(ANDERSON_K * ANDERSON_K * sizeof(double))
    st.acc.ldl = <double*> malloc(ANDERSON_K * ANDERSON_K * sizeof(double))
    st.acc.coef = <double*> malloc(ANDERSON_K * sizeof(double))
    # (last: every pointer state_free frees is set by now, whatever fails)
    if gram_init(&st.gram, n, p) != 0:
        return -1
    if (st.mean == NULL or st.sq_norm == NULL or st.grad == NULL or st.yc_dot == NULL
            or st.flags == NULL or st.ws == NULL or st.unpen == NULL
            or st.acc.gram == NULL or st.acc.ldl == NULL or st.acc.coef == NULL
            or st.r_ref == NULL or st.grad_ref == NULL or st.ref_gram == NULL
            or st.col_norm == NULL or st.raw_norm == NULL
            or (floating is float and st.r64 == NULL)
            or st.cand == NULL or st.strong == NULL or st.fixed == NULL
            or st.sec.r_prev == NULL or st.sec.support == NULL
            or st.sec.next_support == NULL):
        return -1
    for j in range(p):
        col_moments(X, j, w, fit_intercept, &st.mean[j], &st.sq_norm[j], &raw)
        if not moments_finite(st.mean[j], st.sq_norm[j], raw):
            # squares beyond float64 (|x| above ~1e154): every product with this column
            # would be inf or NaN (before this check the column counted as constant)
            return -2
        st.raw_norm[j] = sqrt(n * raw)
        st.max_raw_norm = max(st.max_raw_norm, st.raw_norm[j])
        if st.sq_norm[j] <= CONSTANT_RTOL * CONSTANT_RTOL * st.mean[j] * st.mean[j]:
            st.sq_norm[j] = 0.0
            st.flags[j] |= CONSTANT
        elif (pen.factor[j] == 0.0 and pen.lower[j] == -INFINITY
              and pen.upper[j] == INFINITY):
            st.flags[j] |= UNPENALIZED
            st.unpen[m] = j
            m += 1
        st.col_norm[j] = sqrt(st.sq_norm[j])
        st.nnz += col_nnz(X, j)
    # then the unpenalized features with a finite bound (the block step keeps them inside)
    st.n_boxed = 0
    for j in range(p):
        if (pen.factor[j] == 0.0 and not st.flags[j] & (CONSTANT | UNPENALIZED)):
            st.flags[j] |= BOXED_FREE
            st.unpen[m] = j
            m += 1
            st.n_boxed += 1
    st.n_unpen = m
    if m == 0:
        return 0
    st.unpen_gram = <double*> malloc(m * m * sizeof(double))
    st.unpen_ldl = <double*> malloc(m * m * sizeof(double))
    # s, delta, G_FF and its factor, membership of F, the free set (m Py_ssize_t)
    st.unpen_work = <double*> malloc((4 * m + 2 * m * m) * sizeof(double))
    if st.unpen_gram == NULL or st.unpen_ldl == NULL or st.unpen_work == NULL:
        return -1
    # G[a, b] = x_ca^T W x_cb / n, through a dense copy of the centred column b
    for b in range(m):
        for i in range(n):
            buf[i] = 0.0
        buf_offset = 0.0
        col_update(X, st.unpen[b], -1.0, st.mean[st.unpen[b]], buf, &buf_offset)
        for a in range(m):
            st.unpen_gram[a * m + b] = (col_dot(X, st.unpen[a], w, buf) / n
                                        + buf_offset * st.mean[st.unpen[a]])
    ldl_factor(st.unpen_gram, st.unpen_ldl, m)
    return 0
