# Covariance mode of the working-set solver (included by _cd.pyx).
#
# Coordinate descent can keep the gradients of the working-set features up to date
# through their Gram matrix instead of the residual (Friedman, Hastie & Tibshirani 2010,
# "Regularization paths for generalized linear models via coordinate descent", sec. 2.2,
# covariance updates): after b_j += delta,
#
#     s_k -= G_kj delta   for every slotted feature k,   G_kj = x_ck^T W x_cj / n,
#
# so a move costs O(slots) instead of O(nnz_j), and a coordinate that stays put costs
# nothing. The residual goes stale during the epochs: in this mode every certificate
# recomputes it from beta first (recompute_residual). A Gram entry costs a column dot,
# so the mode is switched on (per working set) only when an epoch costs at most half as
# much and the epochs it saves pay for the entries of the features that enter.

# the Gram cache may hold at most this many bytes (64 MiB: 2896 slots)
cdef double GRAM_MAX_BYTES = 64.0 * 1024 * 1024


cdef inline double current_grad(const Design* X, Py_ssize_t j, const floating* w,
                                const floating* r, const State* st) noexcept nogil:
    # s_j = x_cj^T W r / n: kept up to date in covariance mode, from r otherwise
    if st.gram.on:
        return st.gram.grad[st.gram.slot[j]]
    return feature_grad(X, j, w, r, st)


cdef inline void apply_delta(const Design* X, Py_ssize_t j, double delta, floating* r,
                             State* st) noexcept nogil:
    # b_j += delta: r -= delta x_cj, or in covariance mode s -= delta G[:, j]
    cdef Py_ssize_t t
    cdef const double* column
    cdef double* grad = st.gram.grad
    if st.gram.on:
        column = st.gram.G + st.gram.slot[j] * st.gram.cap
        for t in range(st.gram.n_slots):
            grad[t] -= column[t] * delta
    else:
        col_update(X, j, delta, st.mean[j], r, &st.offset)
        st.drift_steps += 1
        st.drift_move += fabs(delta) * st.raw_norm[j]


cdef void gram_free(GramCache* g) noexcept nogil:
    free(g.slot); free(g.feature); free(g.G); free(g.grad); free(g.buf)


cdef int gram_init(GramCache* g, Py_ssize_t n, Py_ssize_t p) noexcept nogil:
    cdef Py_ssize_t j
    g.on = False
    g.cap = 0
    g.n_slots = 0
    g.max_slots = min(p, <Py_ssize_t> sqrt(GRAM_MAX_BYTES / sizeof(double)))
    g.feature = NULL
    g.G = NULL
    g.grad = NULL
    g.buf = calloc(n, sizeof(double))      # n floating, kept zero between uses
    g.slot = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    if g.buf == NULL or g.slot == NULL:
        return -1
    for j in range(p):
        g.slot[j] = -1
    return 0


cdef bint gram_reserve(GramCache* g, Py_ssize_t needed, Py_ssize_t p) noexcept nogil:
    # room for `needed` slots in all. The matrix grows by half (not 2x: it is cap^2) and is
    # re-laid in place, the last row first (row s moves right from s * old to s * cap, past
    # what is left of the rows before it, since old >= n_slots): no second matrix is
    # resident while it grows. (dense_wide lasso float32, 227 slots: a 432^2 matrix and the
    # 216^2 one it was copied from were 1.1 MB of a 2.3 MB fit)
    cdef Py_ssize_t cap, s, old = g.cap
    cdef double* G
    cdef double* grad
    cdef Py_ssize_t* feature
    if needed <= g.cap:
        return True
    if needed > g.max_slots:
        return False
    cap = min(max(needed, old + old // 2, 64), g.max_slots)
    # (the vectors first: on failure every array still holds the old layout)
    feature = <Py_ssize_t*> realloc(g.feature, cap * sizeof(Py_ssize_t))
    if feature == NULL:
        return False
    g.feature = feature
    grad = <double*> realloc(g.grad, cap * sizeof(double))
    if grad == NULL:
        return False
    g.grad = grad
    G = <double*> realloc(g.G, cap * cap * sizeof(double))
    if G == NULL:
        return False
    s = g.n_slots - 1
    while s > 0:
        memmove(G + s * cap, G + s * old, g.n_slots * sizeof(double))
        s -= 1
    g.G = G
    g.cap = cap
    return True


cdef void gram_clear(GramCache* g) noexcept nogil:
    cdef Py_ssize_t s
    for s in range(g.n_slots):
        g.slot[g.feature[s]] = -1
    g.n_slots = 0


cdef bint gram_fill(const Design* X, const floating* w, State* st) noexcept nogil:
    # a slot and its Gram entries for every working-set feature without one:
    # G[:, j] = X_c[:, slots]^T W x_cj / n through a dense copy of the centred column j,
    # O(n + nnz of the slotted columns) per new feature. False when they do not fit.
    cdef GramCache* g = &st.gram
    cdef Py_ssize_t idx, j, k, s, t, new = 0
    cdef floating* buf = <floating*> g.buf
    cdef double buf_offset, value
    for idx in range(st.n_ws):
        if g.slot[st.ws[idx]] < 0:
            new += 1
    if new == 0:
        return True
    if g.n_slots + new > g.max_slots:
        # start over with the working set alone (features that left it lose their slot)
        gram_clear(g)
        new = st.n_ws
    if not gram_reserve(g, g.n_slots + new, st.p):
        gram_clear(g)
        return False
    for idx in range(st.n_ws):
        j = st.ws[idx]
        if g.slot[j] >= 0:
            continue
        s = g.n_slots
        g.n_slots += 1
        g.slot[j] = s
        g.feature[s] = j
        # buf + buf_offset = x_cj; x_ck^T W x_cj / n = x_k^T W buf / n + buf_offset mean_k
        buf_offset = 0.0
        col_update(X, j, -1.0, st.mean[j], buf, &buf_offset)
        for t in range(s + 1):
            k = g.feature[t]
            value = col_dot(X, k, w, buf) / st.n + buf_offset * st.mean[k]
            g.G[s * g.cap + t] = value
            g.G[t * g.cap + s] = value
        # the opposite update restores exact zeros
        col_update(X, j, 1.0, st.mean[j], buf, &buf_offset)
    return True


cdef void gram_push(State* st) noexcept nogil:
    # the slotted gradients of the working set from grad[] (exact, just recomputed)
    cdef Py_ssize_t idx, j
    for idx in range(st.n_ws):
        j = st.ws[idx]
        st.gram.grad[st.gram.slot[j]] = st.grad[j]


cdef void gram_pull(State* st) noexcept nogil:
    # grad[] of the working set from the slotted gradients
    cdef Py_ssize_t idx, j
    for idx in range(st.n_ws):
        j = st.ws[idx]
        st.grad[j] = st.gram.grad[st.gram.slot[j]]


cdef void ws_counts(const Design* X, const floating* beta, const State* st, double* ws_nnz,
                    Py_ssize_t* moving, Py_ssize_t* new) noexcept nogil:
    # the working set's stored entries, its features that move in an epoch (non-zero or
    # unpenalized), and those without a slot in the Gram matrix
    cdef Py_ssize_t idx, j
    ws_nnz[0] = 0.0
    moving[0] = 0
    new[0] = 0
    for idx in range(st.n_ws):
        j = st.ws[idx]
        ws_nnz[0] += col_nnz(X, j)
        if beta[j] != 0.0 or st.flags[j] & UNPENALIZED:
            moving[0] += 1
        if st.gram.slot[j] < 0:
            new[0] += 1


cdef inline double epoch_cost(double ws_nnz, Py_ssize_t moving, Py_ssize_t n_ws,
                              double slots, bint covariance) noexcept nogil:
    # an epoch from the residual: one column dot per feature, one update per move;
    # in covariance mode (slots: the Gram matrix's): one slot update per move
    if covariance:
        return n_ws + moving * slots
    return ws_nnz + moving * (ws_nnz / max(n_ws, 1))


cdef void gram_choose(const Design* X, const floating* w, const floating* r,
                      const floating* beta, State* st, bint grads_exact) noexcept nogil:
    # covariance mode for the current working set when its epochs are cheaper by half and
    # the entries of the entering features cost less than the epochs expected to save.
    # Called whenever the working set changed, with r exact (and grad[] exact on the
    # working set when grads_exact).
    cdef GramCache* g = &st.gram
    cdef Py_ssize_t moving, new
    cdef double ws_nnz, residual_epoch, covariance_epoch, build, slots
    ws_counts(X, beta, st, &ws_nnz, &moving, &new)
    if g.n_slots + new > g.max_slots:
        new = st.n_ws
    slots = g.n_slots + new if g.n_slots + new <= g.max_slots else st.n_ws
    residual_epoch = epoch_cost(ws_nnz, moving, st.n_ws, slots, False)
    covariance_epoch = epoch_cost(ws_nnz, moving, st.n_ws, slots, True)
    build = new * (st.n + ws_nnz)
    # (weighed against one lambda's worth of epochs, as many as the last lambda took and
    # at least 2. The entries serve the following lambdas too, but weighing them against
    # three lambdas of at least 4 epochs each switched the mode on where the entries never
    # paid back: on one-hot data (300,000 x 5,000) the column dots of 318 entering
    # features, 169 M stored entries read, took half of a 0.55 s lasso path; measured in
    # one process, alternating: one-hot lasso 0.55 -> 0.46 s, enet 0.63 -> 0.35 s,
    # dense_wide, dense_square, sparse_text and the large case within noise)
    g.on = (st.n_ws <= g.max_slots and 2.0 * covariance_epoch < residual_epoch
            and build < max(st.last_epochs, 2) * (residual_epoch - covariance_epoch))
    if g.on:
        g.on = gram_fill(X, w, st)
    if g.on:
        if not grads_exact:
            compute_grads(X, w, r, st, False)
        gram_push(st)
