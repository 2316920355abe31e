# Anderson extrapolation of the CD iterates (Bertrand & Massias 2021), included by _cd.pyx.


cdef void anderson_reset(State* st) noexcept nogil:
    # start a new sequence of iterates (the working set changed, or beta moved outside
    # CD); the history grows with the working set, or CD goes on plain if it cannot
    cdef Anderson* acc = &st.acc
    cdef Py_ssize_t cap
    cdef double* grown
    acc.count = 0
    if st.n_ws > acc.capacity:
        cap = min(max(st.n_ws, 2 * acc.capacity), st.p)
        grown = <double*> realloc(acc.history, (ANDERSON_K + 1) * cap * sizeof(double))
        if grown != NULL:
            acc.history = grown
            acc.capacity = cap
    acc.enabled = st.n_ws <= acc.capacity


cdef bint anderson_step(const Design* X, const floating* w, floating* r, floating* beta,
                        State* st, const Penalty* pen, double lam) noexcept nogil:
    # record beta[ws] as the next iterate; at the (K+1)-th, move beta to the extrapolation
    # x_e (clipped to the bounds) and keep it if P(x_e) < P(beta), else move back.
    # Cost: O(K^2 |ws|) for U^T U and one epoch for the moves (half more to undo them),
    # O(nnz of the working set): nothing of size n_samples (but for the dense copies of
    # near-dense CSC columns, at most twice their nnz).
    cdef Anderson* acc = &st.acc
    cdef Py_ssize_t K = ANDERSON_K, cap = acc.capacity, m = st.n_ws, idx, j, k, l
    cdef double* x = acc.history
    cdef double* x_last = acc.history + K * cap
    cdef double* c = acc.coef
    cdef double* G = acc.gram
    cdef double scale = 0.0, total = 0.0, running, extra, old, before, wr2, wry, offset
    if not acc.enabled:
        return False
    for idx in range(m):
        x[acc.count * cap + idx] = beta[st.ws[idx]]
    acc.count += 1
    if acc.count <= K:
        return False
    acc.count = 0
    # rows 0..K-1 of the history become U[:, k] = x_{k+1} - x_k; row K keeps x_K = beta
    for k in range(K):
        for idx in range(m):
            x[k * cap + idx] = x[(k + 1) * cap + idx] - x[k * cap + idx]
    # G = U^T U + eps max(diag) I
    for k in range(K):
        for l in range(k + 1):
            G[k * K + l] = _dot(x + k * cap, x + l * cap, m)
            G[l * K + k] = G[k * K + l]
        scale = max(scale, G[k * K + k])
    if not scale > 0.0:
        return False
    for k in range(K):
        G[k * K + k] += ANDERSON_RIDGE * scale
    # c = G^{-1} 1 / (1^T G^{-1} 1)
    ldl_factor(G, acc.ldl, K)
    for k in range(K):
        c[k] = 1.0
    ldl_solve(acc.ldl, K, c)
    for k in range(K):
        total += c[k]
    if not (fabs(total) > 0.0 and fabs(total) < INFINITY):
        return False
    # x_e = sum_{k=1}^K c_k x_k = x_K - sum_{l=0}^{K-1} (c_1 + ... + c_l) U[:, l]:
    # c[l] <- the partial sum of the weights of x_1..x_l
    running = 0.0
    for l in range(K):
        extra = c[l] / total
        c[l] = running
        running += extra

    # each move keeps the residual and its running sums up to date, as a CD update does
    before = ws_objective(st, pen, lam, beta)
    wr2 = st.wr2
    wry = st.wry
    offset = st.offset
    for idx in range(m):
        j = st.ws[idx]
        extra = x_last[idx]
        for l in range(1, K):
            extra -= c[l] * x[l * cap + idx]
        old = beta[j]
        beta[j] = <floating> clip(extra, pen.lower[j], pen.upper[j])
        if beta[j] != old:
            move(X, j, <double> beta[j] - old, current_grad(X, j, w, r, st), r, st)
    if ws_objective(st, pen, lam, beta) < before:
        return True
    # no decrease: back to the CD iterate x_K
    for idx in range(m):
        j = st.ws[idx]
        if beta[j] != x_last[idx]:
            apply_delta(X, j, x_last[idx] - <double> beta[j], r, st)
            beta[j] = <floating> x_last[idx]
    st.wr2 = wr2
    st.wry = wry
    st.offset = offset
    return False
