# Newton step on the working set (included by _cd.pyx).
#
# On ill-conditioned problems (n ~ p, correlated columns, hundreds of non-zeros) cyclic
# CD needs hundreds of epochs per lambda. On the set A of non-zero working-set features
# strictly inside their bounds, with their signs fixed, the objective is a quadratic:
#
#     (G_AA + diag(kappa_A)) d = s_A - alpha_A sign(b_A) - kappa_A b_A
#
# gives its exact minimizer b_A + d (G the Gram matrix of the centred columns, s_j the
# gradients; Cholesky by LAPACK in single precision, one refinement in double). The full
# step projected on the signs' orthant and the box is tried first, then the longest step
# without a sign change or a bound crossing (the coordinate that stops it lands exactly on
# 0 or its bound).
# Kept only if the working-set objective falls; CD and the certificates carry on as before
# (the step is a way to reach the solution, never part of the proof).
from scipy.linalg.cython_lapack cimport spotrf, spotrs

# a Newton step is tried after this many epochs on one working set without convergence;
# after a step that did not help, the wait doubles (up to NEWTON_MAX_WAIT), after one that
# did, it is back to NEWTON_AFTER
cdef enum:
    NEWTON_AFTER = 12
    NEWTON_MAX_WAIT = 1 << 20
# smallest squared Cholesky pivot (single precision), relative to the largest diagonal
# entry, for a step
cdef double NEWTON_PIVOT = 1e-6


cdef bint newton_reserve(NewtonWork* nw, Py_ssize_t m) noexcept nogil:
    cdef float* H
    cdef double* v
    if m <= nw.cap:
        return True
    H = <float*> realloc(nw.H, (m * m + m) * sizeof(float))
    if H == NULL:
        return False
    nw.H = H
    v = <double*> realloc(nw.vec, 2 * m * sizeof(double))
    if v == NULL:
        return False
    nw.vec = v
    nw.idx = <Py_ssize_t*> realloc(nw.idx, m * sizeof(Py_ssize_t))
    if nw.idx == NULL:
        return False
    nw.slot = <Py_ssize_t*> realloc(nw.slot, m * sizeof(Py_ssize_t))
    if nw.slot == NULL:
        return False
    nw.cap = m
    return True


cdef void newton_free(NewtonWork* nw) noexcept nogil:
    free(nw.H); free(nw.vec); free(nw.idx); free(nw.slot)


cdef bint newton_step(const Design* X, const floating* w, floating* r, floating* beta,
                      State* st, const Penalty* pen, double lam) noexcept nogil:
    # returns True when the step was taken (the objective fell)
    cdef NewtonWork* nw = &st.newton
    cdef GramCache* g = &st.gram
    cdef Py_ssize_t idx, j, a, b, m = 0, stop = -1
    cdef double l1 = pen.l1_ratio, alpha, kappa, t = 1.0, ta, target, before, stop_value = 0.0
    cdef double diag_max = 0.0, value
    cdef float* H
    cdef float* rhs
    cdef const double* Gj
    cdef const Py_ssize_t* sl
    cdef double* d
    cdef double* old
    cdef int n_int, one = 1, info = 0
    cdef char lower = b'L'
    if not newton_reserve(nw, st.n_ws):
        return False
    d = nw.vec
    old = nw.vec + nw.cap
    # A and the right-hand side
    for idx in range(st.n_ws):
        j = st.ws[idx]
        if beta[j] == 0.0 and not st.flags[j] & UNPENALIZED:
            continue
        if beta[j] == pen.lower[j] or beta[j] == pen.upper[j]:
            continue
        nw.idx[m] = j
        m += 1
    if m == 0 or (m >= st.n and l1 == 1.0):
        return False          # (the lasso's G_AA has rank < n: singular, not worth a try)
    if not gram_fill(X, w, st):
        return False
    nw.m = m
    # (the slots of A once: G_AA is read twice, and a second indirection per entry cost
    # as much as the factor's solves)
    sl = nw.slot
    for a in range(m):
        nw.slot[a] = g.slot[nw.idx[a]]
    # the factor in single precision (half the time of double; the step only has to be a
    # good direction, it is kept only if the objective falls), refined once in double:
    # d = d0 + H^{-1} (b - H d0), with b held in old[] until the step is applied
    H = nw.H
    rhs = nw.H + m * m
    for a in range(m):
        j = nw.idx[a]
        alpha = lam * l1 * pen.factor[j]
        kappa = lam * (1.0 - l1) * pen.factor[j]
        old[a] = (current_grad(X, j, w, r, st) - (alpha if beta[j] > 0.0 else -alpha)
                  - kappa * beta[j])
        Gj = g.G + sl[a] * g.cap
        for b in range(m):
            H[a * m + b] = <float> Gj[sl[b]]
        H[a * m + a] += <float> kappa
    for a in range(m):
        diag_max = max(diag_max, H[a * m + a])
    n_int = <int> m
    spotrf(&lower, &n_int, H, &n_int, &info)
    if info != 0:
        return False          # singular on A (|A| > rank): CD goes on alone
    for a in range(m):
        # a pivot below NEWTON_PIVOT of the largest diagonal entry: nearly singular on A
        # (n < |A| or collinear columns) for a single-precision factor; the step would be
        # huge along the flat directions and undoing it would cost the residual its precision
        if <double> H[a * m + a] * H[a * m + a] < NEWTON_PIVOT * diag_max:
            return False
    for a in range(m):
        rhs[a] = <float> old[a]
    spotrs(&lower, &n_int, &one, H, &n_int, rhs, &n_int, &info)
    if info != 0:
        return False
    for a in range(m):
        d[a] = rhs[a]
    # one refinement: the residual of the system in double, from the Gram cache
    for a in range(m):
        j = nw.idx[a]
        Gj = g.G + sl[a] * g.cap
        value = old[a] - lam * (1.0 - l1) * pen.factor[j] * d[a]
        for b in range(m):
            value -= Gj[sl[b]] * d[b]
        rhs[a] = <float> value
    spotrs(&lower, &n_int, &one, H, &n_int, rhs, &n_int, &info)
    for a in range(m):
        d[a] += rhs[a]
    # first the full step projected on the orthant of the current signs (coordinates that
    # would change sign stop at 0) and on the box; if the objective does not fall, the
    # longest step keeping every sign and bound (the coordinate that stops it lands
    # exactly on 0 or its bound)
    before = ws_objective(st, pen, lam, beta)
    for a in range(m):
        old[a] = beta[nw.idx[a]]
    if newton_apply(X, w, r, beta, st, pen, lam, 1.0, -1, 0.0, before):
        return True
    for a in range(m):
        j = nw.idx[a]
        if d[a] == 0.0:
            continue
        if not st.flags[j] & UNPENALIZED and (old[a] > 0.0) != (old[a] + d[a] > 0.0):
            ta = -old[a] / d[a]
            if ta < t:
                t = ta
                stop = a
                stop_value = 0.0
        target = pen.upper[j] if d[a] > 0.0 else pen.lower[j]
        ta = (target - old[a]) / d[a]
        if ta < t:
            t = ta
            stop = a
            stop_value = target
    if t >= 1.0 or not t > 0.0:
        return False
    return newton_apply(X, w, r, beta, st, pen, lam, t, stop, stop_value, before)


cdef bint newton_apply(const Design* X, const floating* w, floating* r, floating* beta,
                       State* st, const Penalty* pen, double lam, double t, Py_ssize_t stop,
                       double stop_value, double before) noexcept nogil:
    # beta_A = old_A + t d, each coordinate stopped at 0 if its sign would change and
    # clipped to its bound; kept if the working-set objective falls below `before`, else
    # undone (beta, residual or gradients, running sums)
    cdef NewtonWork* nw = &st.newton
    cdef Py_ssize_t a, j, m = nw.m
    cdef double* d = nw.vec
    cdef double* old = nw.vec + nw.cap
    cdef double wr2 = st.wr2, wry = st.wry, offset = st.offset, value
    for a in range(m):
        j = nw.idx[a]
        if a == stop:
            value = stop_value
        else:
            value = old[a] + t * d[a]
            if not st.flags[j] & UNPENALIZED and old[a] != 0.0 and (old[a] > 0.0) != (value > 0.0):
                value = 0.0
            value = clip(value, pen.lower[j], pen.upper[j])
        if <floating> value != beta[j]:
            move(X, j, <double> (<floating> value) - <double> beta[j],
                 current_grad(X, j, w, r, st), r, st)
            beta[j] = <floating> value
    if ws_objective(st, pen, lam, beta) < before:
        return True
    for a in range(m):
        j = nw.idx[a]
        if beta[j] != old[a]:
            apply_delta(X, j, old[a] - <double> beta[j], r, st)
            beta[j] = <floating> old[a]
    st.wr2 = wr2
    st.wry = wry
    st.offset = offset
    return False
