# Working set and screening (included by _cd.pyx): the working-set list, the KKT check
# of a full pass, and the bound test that certifies a lambda without one.

cdef inline void ws_add(State* st, Py_ssize_t j) noexcept nogil:
    if not st.flags[j] & IN_WS:
        st.flags[j] |= IN_WS
        st.ws[st.n_ws] = j
        st.n_ws += 1


cdef void ws_clear(State* st) noexcept nogil:
    cdef Py_ssize_t idx
    for idx in range(st.n_ws):
        st.flags[st.ws[idx]] &= ~IN_WS
    st.n_ws = 0


cdef Py_ssize_t add_violators(State* st, const Penalty* pen, double alpha_scale) noexcept nogil:
    # every feature outside the working set with b_j = 0 violating |s_j| <= alpha_scale v_j
    cdef Py_ssize_t j, added = 0
    for j in range(st.p):
        if st.flags[j] & (IN_WS | CONSTANT):
            continue
        if kkt_violation(st.grad[j], alpha_scale * pen.factor[j],
                         pen.lower[j], pen.upper[j]) > 0.0:
            ws_add(st, j)
            added += 1
    return added


cdef void save_reference(const floating* r, const floating* w, State* st) noexcept nogil:
    # after a full pass (offset folded, grad[] exact for every feature): a new reference of
    # the bound test, in the slot of the oldest
    cdef Py_ssize_t i, j, k = st.ref_next, l, n = st.n
    cdef double* ref = st.r_ref + k * n
    cdef double acc, top = 0.0
    for i in range(n):
        ref[i] = r[i]
    for j in range(st.p):
        st.grad_ref[j * N_REF + k] = st.grad[j]
        top = max(top, fabs(st.grad[j]))
    st.ref_max[k] = top
    st.ref_next = (k + 1) % N_REF
    st.n_ref = min(st.n_ref + 1, <Py_ssize_t> N_REF)
    # row and column k of R^T W R
    for l in range(st.n_ref):
        acc = 0.0
        for i in range(n):
            acc += (1.0 if w == NULL else w[i]) * ref[i] * st.r_ref[l * n + i]
        st.ref_gram[k * N_REF + l] = acc
        st.ref_gram[l * N_REF + k] = acc


cdef Py_ssize_t bound_check(const Design* X, const floating* w, const floating* r,
                            State* st, const Penalty* pen, double alpha_scale,
                            double strong_scale) noexcept nogil:
    # KKT check of the features outside the working set without a full pass, right after
    # settle_residual (or recompute_residual) measured r against the references. s_j is
    # linear in the residual, and every reference residual ref_k comes with its
    # s_j(ref_k); with c the combination of the references nearest r and
    # e = r - sum_k c_k ref_k (settle_residual),
    #     |s_j| <= |sum_k c_k s_j(ref_k)| + |x_cj^T W e| / n
    #           <= |sum_k c_k s_j(ref_k)| + col_norm_j * ||e||_W / sqrt(n)   (Cauchy-Schwarz),
    # so a feature whose bound is below its threshold lam a v_j satisfies its KKT
    # condition, and its conjugate term of the duality gap is 0 (b_j = 0 is feasible):
    # the restricted gap is then the gap of the whole problem. Along a path the residual
    # moves mostly within the span of the last few references (it is piecewise linear in
    # lambda for the lasso), so e stays far smaller than r - ref of one reference:
    # measured, 2-10x fewer full passes than with the last reference alone. The features
    # the bound cannot clear get their exact s_j (O(nnz) each). Returns the violators
    # (added to the working set), or -1 when checking the uncleared ones would cost more
    # than half a full pass: do the full pass instead.
    # The same sweep gathers the strong-rule candidates of the next lambda,
    # |s_j| > strong_scale v_j, with s_j exact for the features checked and estimated by
    # sum_k c_k s_j(ref_k) for the others.
    cdef Py_ssize_t j, k, idx, n_cand = 0, cost = 0, added = 0
    cdef double thresh, est, dr = st.ref_dist / sqrt(st.n), slack = 0.0, cnorm
    cdef const double* c = st.ref_coef
    cdef const double* g
    if st.n_ref == 0:
        st.strong_valid = False
        return -1
    # rounding of sum_k c_k s_j(ref_k): at most N_REF u sum_k |c_k| max_j |s_j(ref_k)|,
    # and that of each s_j(ref_k) itself (a column dot and the centring term, at most
    # 2 (n + 2) u ||x_j||_W ||ref_k||_W / n), amplified by |c_k|
    cnorm = 0.0
    for k in range(N_REF):
        slack += fabs(c[k]) * st.ref_max[k]
        cnorm += fabs(c[k]) * sqrt(st.ref_gram[k * N_REF + k])
    slack = (N_REF * ROUNDOFF * slack
             + 2.0 * (st.n + 2) * ROUNDOFF * st.max_raw_norm * cnorm / st.n)
    st.n_strong = 0
    for j in range(st.p):
        if st.flags[j] & (IN_WS | CONSTANT):
            continue
        thresh = alpha_scale * pen.factor[j]
        g = st.grad_ref + j * N_REF
        est = 0.0
        for k in range(N_REF):
            est += c[k] * g[k]
        # (written so that a NaN anywhere leaves the feature uncleared)
        if not (fabs(est) + st.col_norm[j] * dr + slack < thresh * (1.0 - 1e-12)):
            st.cand[n_cand] = j
            n_cand += 1
            cost += col_nnz(X, j)
        elif kkt_violation(est, strong_scale * pen.factor[j],
                           pen.lower[j], pen.upper[j]) > 0.0:
            st.strong[st.n_strong] = j
            st.n_strong += 1
    if 2 * cost > st.nnz:
        st.strong_valid = False
        return -1
    for idx in range(n_cand):
        j = st.cand[idx]
        thresh = alpha_scale * pen.factor[j]
        st.grad[j] = feature_grad(X, j, w, r, st)
        if kkt_violation(st.grad[j], thresh, pen.lower[j], pen.upper[j]) > 0.0:
            ws_add(st, j)
            added += 1
        elif fabs(st.grad[j]) > thresh:
            # inside the KKT conditions only thanks to a bound of the box: let the gap
            # see this feature
            ws_add(st, j)
        elif kkt_violation(st.grad[j], strong_scale * pen.factor[j],
                           pen.lower[j], pen.upper[j]) > 0.0:
            st.strong[st.n_strong] = j
            st.n_strong += 1
    st.strong_valid = True
    return added
