# Newton step on the working set (included by _cd.pyx).
#
# On ill-conditioned problems (n ~ p, correlated columns, hundreds of non-zeros) cyclic
# CD needs hundreds of epochs per lambda. On the set A of non-zero working-set features
# strictly inside their bounds, with their signs fixed, the objective is a quadratic:
#
#     (G_AA + diag(kappa_A)) d = s_A - alpha_A sign(b_A) - kappa_A b_A
#
# gives its exact minimizer b_A + d (G the Gram matrix of the centred columns, s_j the
# gradients; Cholesky by LAPACK in single precision, refined in double). The full step
# projected on the signs' orthant and the box is tried first, then the longest step
# without a sign change or a bound crossing (the coordinate that stops it lands exactly on
# 0 or its bound).
# Kept only if the working-set objective falls; CD and the certificates carry on as before
# (the step is a way to reach the solution, never part of the proof).
#
# The factor L L^T = K_SS = G_SS + diag(kappa_S) is kept between steps, for a set S that
# covers A, and between lambdas when its ridge terms do not change (the lasso) or while
# a few more solves make up for them (newton_contraction). Features that enter A are appended to it (a
# triangular solve and a small factor, O(|S|^2) per feature instead of the O(|A|^3 / 3)
# of a fresh one); those of S that left A (R = S minus A) stay in it, held at d_R = 0 by
# a constraint through V = L^-1 E_R, kept too (a column when a feature leaves A, rows
# when S grows):
#
#     y = L^-1 b,   y -= V C^-1 V^T y,   d = L^-T y,   C = V^T V = (K^-1)_RR,
#
# the exact solution of the system on A (d_R = V^T y = 0), without forming the Schur
# complement. A fresh factor of A alone is taken when appending would cost more, or R
# outgrows its room.
# (Along a dense_square lasso path, 1,000 x 1,000, A changes by a few per cent between
# steps: the 148 fresh factors of about 860 x 860 were a quarter of the path's time.)
from scipy.linalg.cython_lapack cimport spotrf, spotrs
from scipy.linalg.cython_blas cimport strsm, strsv, ssyrk, sgemm, sgemv, dgemv

# a Newton step is tried after this many epochs on one working set without convergence
# (NEWTON_SOON in covariance mode: the Gram entries are there and the factor is kept, so
# a step costs a few epochs; elsewhere it would have to fill them first); after a step
# that did not help, the wait doubles (up to NEWTON_MAX_WAIT), after one that did, it is
# back to NEWTON_AFTER (or NEWTON_SOON)
cdef enum:
    NEWTON_AFTER = 12
    NEWTON_SOON = 2
    NEWTON_MAX_WAIT = 1 << 20
# smallest squared Cholesky pivot (single precision), relative to the largest diagonal
# entry, for a step
cdef double NEWTON_PIVOT = 1e-6
# a step is tried only when an epoch from the residual costs at least this times m^2
cdef double NEWTON_EPOCH_SHARE = 0.25
# a factor whose ridge terms are another lambda's (elastic net) is kept while the rate q
# of the iteration that corrects for them is at most this (q = |flam - lam| / flam:
# consecutive lambdas of a 100-lambda grid over 3 decades are 0.07 apart, four 0.25);
# it runs (solves only, no Gram entries) until spread q^(k+1) is at most NEWTON_REFINED
# (newton_contraction)
cdef double NEWTON_MAX_Q = 0.25
cdef double NEWTON_REFINED = 1e-4


cdef inline Py_ssize_t newton_wait(const State* st) noexcept nogil:
    # epochs before the next try (counted from now)
    if st.gram.on and st.newton.wait == NEWTON_AFTER:
        return NEWTON_SOON
    return st.newton.wait


cdef void newton_init(NewtonWork* nw) noexcept nogil:
    nw.L = NULL; nw.aux = NULL; nw.vec = NULL; nw.idx = NULL; nw.slot = NULL
    nw.fidx = NULL; nw.fpos = NULL; nw.rpos = NULL; nw.rcol = NULL; nw.in_a = NULL
    nw.cap = 0
    nw.rcap = 0
    nw.fs = 0
    nw.nr = 0
    nw.m = 0
    nw.c_valid = False
    nw.wait = NEWTON_AFTER
    nw.gvec = NULL
    nw.gcap = 0


cdef void newton_release(NewtonWork* nw) noexcept nogil:
    # the arrays sized by cap
    free(nw.L); free(nw.aux); free(nw.vec); free(nw.idx); free(nw.slot); free(nw.fidx)
    free(nw.rpos); free(nw.rcol); free(nw.in_a)
    nw.L = NULL; nw.aux = NULL; nw.vec = NULL; nw.idx = NULL; nw.slot = NULL
    nw.fidx = NULL; nw.rpos = NULL; nw.rcol = NULL; nw.in_a = NULL
    nw.cap = 0


cdef void newton_free(NewtonWork* nw) noexcept nogil:
    newton_release(nw)
    free(nw.fpos)
    free(nw.gvec)
    newton_init(nw)


cdef double* newton_slot_buffer(NewtonWork* nw, Py_ssize_t n) noexcept nogil:
    # 2 n doubles of scratch, or NULL when memory ran out (the caller does without)
    cdef double* buf
    if n > nw.gcap:
        buf = <double*> realloc(nw.gvec, 2 * n * sizeof(double))
        if buf == NULL:
            return NULL
        nw.gvec = buf
        nw.gcap = n
    return nw.gvec


cdef void newton_forget(NewtonWork* nw) noexcept nogil:
    # no factor: S (and R) empty
    cdef Py_ssize_t pos
    for pos in range(nw.fs):
        nw.fpos[nw.fidx[pos]] = -1
        nw.rcol[pos] = -1
    nw.fs = 0
    nw.nr = 0
    nw.c_valid = False


cdef bint newton_reserve(NewtonWork* nw, Py_ssize_t m, Py_ssize_t p) noexcept nogil:
    # room for |A| = m and more for S (a quarter more, and grown by half at least); the
    # factor is laid out with leading dimension cap, so it is dropped when cap grows
    cdef Py_ssize_t cap, rcap, j
    if nw.fpos == NULL:
        nw.fpos = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
        if nw.fpos == NULL:
            return False
        for j in range(p):
            nw.fpos[j] = -1
    if m <= nw.cap:
        return True
    if nw.cap > 0:
        newton_forget(nw)
    cap = max(m + m // 4 + 8, nw.cap + nw.cap // 2)
    rcap = cap // 8 + 1
    newton_release(nw)
    nw.L = <float*> malloc(cap * cap * sizeof(float))
    nw.aux = <float*> malloc((cap * rcap + rcap * rcap + cap + rcap) * sizeof(float))
    nw.vec = <double*> malloc(4 * cap * sizeof(double))
    nw.idx = <Py_ssize_t*> malloc(cap * sizeof(Py_ssize_t))
    nw.slot = <Py_ssize_t*> malloc(2 * cap * sizeof(Py_ssize_t))
    nw.fidx = <Py_ssize_t*> malloc(cap * sizeof(Py_ssize_t))
    nw.rpos = <Py_ssize_t*> malloc(rcap * sizeof(Py_ssize_t))
    nw.rcol = <Py_ssize_t*> malloc(cap * sizeof(Py_ssize_t))
    nw.in_a = <char*> malloc(cap * sizeof(char))
    if (nw.L == NULL or nw.aux == NULL or nw.vec == NULL or nw.idx == NULL
            or nw.slot == NULL or nw.fidx == NULL or nw.rpos == NULL or nw.rcol == NULL
            or nw.in_a == NULL):
        newton_release(nw)
        return False
    for j in range(cap):
        nw.rcol[j] = -1
    nw.cap = cap
    nw.rcap = rcap
    return True


cdef bint newton_extend(NewtonWork* nw, const GramCache* g, const Penalty* pen,
                        double lam) noexcept nogil:
    # appends the features of A without a position to the factor:
    # [L11 0; L21 L22] with L21 = K21 L11^-T and L22 L22^T = K22 - L21 L21^T,
    # and V's rows for them: L21 V1 + L22 V2 = 0
    cdef Py_ssize_t s0 = nw.fs, k = 0, a, j, t, q, cap = nw.cap
    cdef Py_ssize_t* fslot = nw.slot + cap
    cdef float* L = nw.L
    cdef const double* Gt
    cdef float one = 1.0, minus_one = -1.0, zero = 0.0
    cdef int k_int, s_int, nr_int, ld = <int> cap, info = 0
    cdef char left = b'L', right = b'R', lower = b'L', trans = b'T', notrans = b'N'
    cdef char nonunit = b'N'
    for a in range(nw.m):
        j = nw.idx[a]
        if nw.fpos[j] < 0:
            nw.fpos[j] = s0 + k
            nw.fidx[s0 + k] = j
            nw.in_a[s0 + k] = 1
            k += 1
    nw.fs = s0 + k
    if s0 == 0:
        nw.flam = lam
        nw.fdiag = 0.0
    if k == 0:
        return True
    for t in range(s0 + k):
        fslot[t] = g.slot[nw.fidx[t]]
        if fslot[t] < 0:
            return False      # (a feature of S lost its Gram entries)
    # rows s0.. of K, lower part, column by column (G is symmetric: row t of G is column t)
    for t in range(s0 + k):
        Gt = g.G + fslot[t] * g.cap
        for q in range(max(t - s0, 0), k):
            L[s0 + q + t * cap] = <float> Gt[fslot[s0 + q]]
    for q in range(k):
        t = s0 + q
        L[t + t * cap] += <float> (nw.flam * (1.0 - pen.l1_ratio) * pen.factor[nw.fidx[t]])
        nw.fdiag = max(nw.fdiag, <double> L[t + t * cap])
    k_int = <int> k
    s_int = <int> s0
    if s0 > 0:
        strsm(&right, &lower, &trans, &nonunit, &k_int, &s_int, &one, L, &ld, L + s0, &ld)
        ssyrk(&lower, &notrans, &k_int, &s_int, &minus_one, L + s0, &ld, &one,
              L + s0 + s0 * cap, &ld)
    spotrf(&lower, &k_int, L + s0 + s0 * cap, &ld, &info)
    if info != 0:
        return False          # singular on S (|S| > rank)
    for q in range(k):
        t = s0 + q
        # a pivot below NEWTON_PIVOT of the largest diagonal entry: nearly singular
        # (n < |A| or collinear columns) for a single-precision factor; the step would be
        # huge along the flat directions and undoing it would cost the residual its precision
        if <double> L[t + t * cap] * L[t + t * cap] < NEWTON_PIVOT * nw.fdiag:
            return False
    if nw.nr > 0:
        nr_int = <int> nw.nr
        sgemm(&notrans, &notrans, &k_int, &nr_int, &s_int, &minus_one, L + s0, &ld,
              nw.aux, &ld, &zero, nw.aux + s0, &ld)
        strsm(&left, &lower, &notrans, &nonunit, &k_int, &nr_int, &one, L + s0 + s0 * cap,
              &ld, nw.aux + s0, &ld)
        nw.c_valid = False
    return True


cdef void newton_drop_returned(NewtonWork* nw) noexcept nogil:
    # the columns of V of features back in A (the last column moves into the gap)
    cdef Py_ssize_t c = 0, last, i, cap = nw.cap
    cdef float* V = nw.aux
    while c < nw.nr:
        if not nw.in_a[nw.rpos[c]]:
            c += 1
            continue
        nw.rcol[nw.rpos[c]] = -1
        nw.c_valid = False
        last = nw.nr - 1
        if c != last:
            for i in range(nw.fs):
                V[i + c * cap] = V[i + last * cap]
            nw.rpos[c] = nw.rpos[last]
            nw.rcol[nw.rpos[c]] = c
        nw.nr = last


cdef bint newton_constrain(NewtonWork* nw) noexcept nogil:
    # V's columns for the features of S that left A, and the factor of C = V^T V
    cdef Py_ssize_t pos, c, i, c0 = nw.nr, nr = nw.nr, fs = nw.fs, pmin = nw.fs
    cdef Py_ssize_t cap = nw.cap
    cdef float* V = nw.aux
    cdef float* C = nw.aux + cap * nw.rcap
    cdef float one = 1.0, zero = 0.0
    cdef double cmax = 0.0
    cdef int fs_int = <int> fs, ld = <int> cap, rows, cols, nr_int, info = 0
    cdef char left = b'L', lower = b'L', trans = b'T', notrans = b'N', nonunit = b'N'
    for pos in range(fs):
        if not nw.in_a[pos] and nw.rcol[pos] < 0:
            if nr == nw.rcap:
                return False
            nw.rpos[nr] = pos
            nw.rcol[pos] = nr
            nr += 1
            pmin = min(pmin, pos)
    nw.nr = nr
    if nr == 0 or (nw.c_valid and nr == c0):
        return True
    if nr > c0:
        # L^-1 e_pos is zero above pos: one triangular solve from the first of them
        for c in range(c0, nr):
            for i in range(fs):
                V[i + c * cap] = 0.0
            V[nw.rpos[c] + c * cap] = 1.0
        rows = <int> (fs - pmin)
        cols = <int> (nr - c0)
        strsm(&left, &lower, &notrans, &nonunit, &rows, &cols, &one, nw.L + pmin + pmin * cap,
              &ld, V + pmin + c0 * cap, &ld)
    nr_int = <int> nr
    ssyrk(&lower, &trans, &nr_int, &fs_int, &one, V, &ld, &zero, C, &nr_int)
    for c in range(nr):
        cmax = max(cmax, <double> C[c + c * nr])
    spotrf(&lower, &nr_int, C, &nr_int, &info)
    if info != 0:
        return False
    for c in range(nr):
        if <double> C[c + c * nr] * C[c + c * nr] < NEWTON_PIVOT * cmax:
            return False
    nw.c_valid = True
    return True


cdef double newton_contraction(const NewtonWork* nw, const Penalty* pen, double lam,
                               double* spread) noexcept nogil:
    # the rate q of x = K_flam^-1 (b + delta v x), delta = (flam - lam)(1 - a), converging to
    # K_lam^-1 b when the factor's ridge terms are those of nw.flam, not lam: the error e
    # maps to delta K_flam^-1 D e (D = diag(v)), and K_flam >= flam (1 - a) D (G is positive
    # semi-definite) bounds that map by q = |flam - lam| / flam in the norm |D^1/2 e|; the
    # relative error in the plain norm after k + 1 solves is at most spread q^(k+1),
    # spread = sqrt(max v / min v) over S and A (infinite with an unpenalized feature)
    cdef Py_ssize_t a, pos
    cdef double vmin = INFINITY, vmax = 0.0
    spread[0] = 1.0
    if pen.l1_ratio == 1.0 or nw.flam == lam:
        return 0.0
    if nw.flam <= 0.0:
        return INFINITY
    for pos in range(nw.fs):
        vmin = min(vmin, pen.factor[nw.fidx[pos]])
        vmax = max(vmax, pen.factor[nw.fidx[pos]])
    for a in range(nw.m):
        vmin = min(vmin, pen.factor[nw.idx[a]])
        vmax = max(vmax, pen.factor[nw.idx[a]])
    if not vmin > 0.0:
        return INFINITY
    spread[0] = sqrt(vmax / vmin)
    return fabs(nw.flam - lam) / nw.flam


cdef bint newton_factor(NewtonWork* nw, const GramCache* g, Py_ssize_t n,
                        const Penalty* pen, double lam) noexcept nogil:
    # the factor of K_SS for an S covering A (nw.idx[:nw.m]) and the constraint of S - A:
    # the kept one extended when that is cheaper than a fresh factor of A (with the ridge
    # terms of another lambda while q <= NEWTON_MAX_Q)
    cdef Py_ssize_t a, pos, k = 0, m = nw.m, fs = nw.fs, nr
    cdef double spread
    cdef bint reuse = fs > 0 and newton_contraction(nw, pen, lam, &spread) <= NEWTON_MAX_Q
    if reuse:
        for pos in range(fs):
            nw.in_a[pos] = 0
        for a in range(m):
            pos = nw.fpos[nw.idx[a]]
            if pos >= 0:
                nw.in_a[pos] = 1
            else:
                k += 1
        newton_drop_returned(nw)
        nr = fs - (m - k)
        # appending k costs about k |S|^2 flops, a fresh factor |A|^3 / 3, the columns of
        # V for features that left A at most |S|^2 / 2 each
        reuse = (fs + k <= nw.cap and nr <= nw.rcap
                 and 3 * k + 1.5 * (nr - nw.nr) <= m
                 and not (pen.l1_ratio == 1.0 and fs + k >= n))
        if reuse and newton_extend(nw, g, pen, lam) and newton_constrain(nw):
            return True
    newton_forget(nw)
    return newton_extend(nw, g, pen, lam) and newton_constrain(nw)


cdef void newton_solve(NewtonWork* nw, float* u) noexcept nogil:
    # u = d on S, from the right-hand side on A (zero on R): y = L^-1 u, y -= V C^-1 V^T y,
    # u = L^-T y
    cdef Py_ssize_t nr = nw.nr
    cdef float* V = nw.aux
    cdef float* C = nw.aux + nw.cap * nw.rcap
    cdef float* z = C + nw.rcap * nw.rcap + nw.cap
    cdef float one = 1.0, minus_one = -1.0, zero = 0.0
    cdef int fs_int = <int> nw.fs, ld = <int> nw.cap, nr_int = <int> nr, inc = 1, info = 0
    cdef char lower = b'L', notrans = b'N', trans = b'T', nonunit = b'N'
    strsv(&lower, &notrans, &nonunit, &fs_int, nw.L, &ld, u, &inc)
    if nr > 0:
        sgemv(&trans, &fs_int, &nr_int, &one, V, &ld, u, &inc, &zero, z, &inc)
        spotrs(&lower, &nr_int, &inc, C, &nr_int, z, &nr_int, &info)
        sgemv(&notrans, &fs_int, &nr_int, &minus_one, V, &ld, z, &inc, &one, u, &inc)
    strsv(&lower, &trans, &nonunit, &fs_int, nw.L, &ld, u, &inc)


cdef void newton_ridge_solve(NewtonWork* nw, const Penalty* pen, double delta,
                             Py_ssize_t iters, const double* rhs, double* x) noexcept nogil:
    # x = K_lam^-1 rhs on A (rhs and x in A's order): the factor's solve, then `iters` times
    # x = K_flam^-1 (rhs + delta v x) for ridge terms of another lambda
    cdef Py_ssize_t a, it, j
    cdef float* u = nw.aux + nw.cap * nw.rcap + nw.rcap * nw.rcap
    for it in range(iters + 1):
        for a in range(nw.fs):
            u[a] = 0.0
        for a in range(nw.m):
            j = nw.idx[a]
            u[nw.fpos[j]] = <float> (rhs[a] + (delta * pen.factor[j] * x[a] if it > 0 else 0.0))
        newton_solve(nw, u)
        for a in range(nw.m):
            x[a] = u[nw.fpos[nw.idx[a]]]


cdef void newton_direction(NewtonWork* nw, const GramCache* g, const Penalty* pen,
                           double lam) noexcept nogil:
    # d = (G_AA + diag(kappa_A))^-1 b, b in nw.vec[cap:2 cap], d in nw.vec[:cap]: the
    # factor's solves (corrected for another lambda's ridge terms until spread q^(k+1) <=
    # NEWTON_REFINED), then one refinement d += K^-1 (b - (G_AA + diag(kappa_A)) d) with
    # the residual in double from the Gram cache, for the precision the single-precision
    # factor lacks (its correction solved the same way)
    cdef Py_ssize_t a, b, j, m = nw.m, iters = 0
    cdef double* d = nw.vec
    cdef const double* rhs = nw.vec + nw.cap
    cdef double* res = nw.vec + 2 * nw.cap
    cdef double* corr = nw.vec + 3 * nw.cap
    cdef const Py_ssize_t* sl = nw.slot
    cdef const double* Gj
    cdef double value, spread, q = newton_contraction(nw, pen, lam, &spread), err
    cdef double delta = (nw.flam - lam) * (1.0 - pen.l1_ratio)
    cdef Py_ssize_t s, ns = g.n_slots
    cdef double* ds
    cdef double* gs
    cdef double one = 1.0, zero = 0.0
    cdef int ns_int = <int> ns, ld = <int> max(g.cap, 1), inc = 1
    cdef char trans = b'T'
    if 0.0 < q < 1.0:
        err = spread * q
        while err > NEWTON_REFINED:
            iters += 1
            err *= q
    newton_ridge_solve(nw, pen, delta, iters, rhs, d)
    # res = b - (G_AA + diag(kappa_A)) d. With A most of the slots, G_AA d through the whole
    # slotted block, one dgemv in slot order: ds = zeros(ns); ds[sl] = d; gs = G @ ds
    # (sparse 2,000 x 2,000 near saturation: the gathers G[sl[a], sl[b]] were 22% of the path)
    ds = newton_slot_buffer(nw, g.cap) if ns <= 2 * m else NULL
    if ds != NULL:
        gs = ds + g.cap
        for s in range(ns):
            ds[s] = 0.0
        for a in range(m):
            ds[sl[a]] = d[a]
        # (G[s * cap + t] is row s: column-major with leading dimension cap, G^T ds)
        dgemv(&trans, &ns_int, &ns_int, &one, g.G, &ld, ds, &inc, &zero, gs, &inc)
        for a in range(m):
            j = nw.idx[a]
            res[a] = rhs[a] - lam * (1.0 - pen.l1_ratio) * pen.factor[j] * d[a] - gs[sl[a]]
    else:
        for a in range(m):
            j = nw.idx[a]
            Gj = g.G + sl[a] * g.cap
            value = rhs[a] - lam * (1.0 - pen.l1_ratio) * pen.factor[j] * d[a]
            for b in range(m):
                value -= Gj[sl[b]] * d[b]
            res[a] = value
    newton_ridge_solve(nw, pen, delta, iters, res, corr)
    for a in range(m):
        d[a] += corr[a]


cdef inline bint in_newton_set(Py_ssize_t j, const floating* beta, const State* st,
                               const Penalty* pen) noexcept nogil:
    # the set A: non-zero (or unpenalized) and strictly inside the bounds
    if beta[j] == 0.0 and not st.flags[j] & UNPENALIZED:
        return False
    return not (beta[j] == pen.lower[j] or beta[j] == pen.upper[j])


cdef bint newton_step(const Design* X, const floating* w, floating* r, floating* beta,
                      State* st, const Penalty* pen, double lam) noexcept nogil:
    # returns True when the step was taken (the objective fell)
    cdef NewtonWork* nw = &st.newton
    cdef GramCache* g = &st.gram
    cdef Py_ssize_t idx, j, a, b, m = 0, stop = -1
    cdef double l1 = pen.l1_ratio, alpha, kappa, t = 1.0, ta, target, before, stop_value = 0.0
    cdef double* d
    cdef double* old
    cdef double ws_nnz
    cdef Py_ssize_t moving, new
    if st.n_ws > g.max_slots:
        return False          # (no room for its Gram entries)
    for idx in range(st.n_ws):
        if in_newton_set(st.ws[idx], beta, st, pen):
            m += 1
    if m == 0 or (m >= st.n and l1 == 1.0):
        return False          # (the lasso's G_AA has rank < n: singular, not worth a try)
    if not g.on:
        # a step costs several m^2 (its solves, the refinement, the factor's appends) and
        # saves some ten epochs: not worth it when an epoch from the residual costs less
        # than m^2 / 4 (sparse 2,000 x 2,000 near saturation, m ~ 1,800, 43 entries per
        # column: with the steps 1.08 s, 1,763 epochs; without 0.51 s, 3,069 epochs)
        ws_counts(X, beta, st, &ws_nnz, &moving, &new)
        if (epoch_cost(ws_nnz, moving, st.n_ws, 0.0, False)
                < NEWTON_EPOCH_SHARE * (<double> m) * m):
            return False
    if not newton_reserve(nw, m, st.p):
        return False
    m = 0
    for idx in range(st.n_ws):
        j = st.ws[idx]
        if in_newton_set(j, beta, st, pen):
            nw.idx[m] = j
            m += 1
    if not gram_fill(X, w, st):
        return False
    nw.m = m
    d = nw.vec
    old = nw.vec + nw.cap
    # (the slots of A once: G_AA is read in the refinement, and a second indirection per
    # entry cost as much as the factor's solves)
    for a in range(m):
        nw.slot[a] = g.slot[nw.idx[a]]
    if not newton_factor(nw, g, st.n, pen, lam):
        newton_forget(nw)
        return False
    # the factor in single precision (half the time of double; the step only has to be a
    # good direction, it is kept only if the objective falls), refined in double
    for a in range(m):
        j = nw.idx[a]
        alpha = lam * l1 * pen.factor[j]
        kappa = lam * (1.0 - l1) * pen.factor[j]
        old[a] = (current_grad(X, j, w, r, st) - (alpha if beta[j] > 0.0 else -alpha)
                  - kappa * beta[j])
    newton_direction(nw, g, pen, lam)
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
