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


cdef void save_reference(const floating* r, State* st) noexcept nogil:
    # after a full pass (offset folded, grad[] exact for every feature): the reference of
    # the bound test
    cdef Py_ssize_t i, j
    for i in range(st.n):
        st.r_ref[i] = r[i]
    for j in range(st.p):
        st.grad_ref[j] = st.grad[j]


cdef Py_ssize_t bound_check(const Design* X, const floating* w, const floating* r,
                            State* st, const Penalty* pen, double alpha_scale,
                            double strong_scale) noexcept nogil:
    # KKT check of the features outside the working set without a full pass, right after
    # recompute_residual. With r the exact residual (offset folded) and r_ref the one of
    # the last full pass,
    #     |s_j| <= |s_j(r_ref)| + |x_cj^T W (r - r_ref)| / n
    #           <= |grad_ref_j| + col_norm_j * ||r - r_ref||_W / sqrt(n)   (Cauchy-Schwarz),
    # so a feature whose bound is below its threshold lam a v_j satisfies its KKT
    # condition, and its conjugate term of the duality gap is 0 (b_j = 0 is feasible):
    # the restricted gap is then the gap of the whole problem. The features the bound
    # cannot clear get their exact s_j (O(nnz) each). Returns the violators (added to the
    # working set), or -1 when checking the uncleared ones would cost more than half a
    # full pass: do the full pass instead.
    # The same sweep gathers the strong-rule candidates of the next lambda
    # (|s_j| > strong_scale v_j, s_j as last computed).
    cdef Py_ssize_t j, idx, n_cand = 0, cost = 0, added = 0
    cdef double thresh, dr = sqrt(st.dr2 / st.n) * (1.0 + 1e-12)
    st.n_strong = 0
    for j in range(st.p):
        if st.flags[j] & (IN_WS | CONSTANT):
            continue
        thresh = alpha_scale * pen.factor[j]
        if fabs(st.grad_ref[j]) + st.col_norm[j] * dr >= thresh * (1.0 - 1e-12):
            st.cand[n_cand] = j
            n_cand += 1
            cost += col_nnz(X, j)
        elif kkt_violation(st.grad[j], strong_scale * pen.factor[j],
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
