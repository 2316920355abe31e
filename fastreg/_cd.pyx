"""Coordinate descent along a regularization path, written once for every storage.

Primal problem, for each lambda of the path (n = n_samples, weights w summing to n,
centred y and centred columns x_j when an intercept is fitted)::

    P(b) = 1/(2n) sum_i w_i r_i^2 + sum_j g_j(b_j),     r = y - X b,
    g_j(b) = lam v_j (a |b| + (1 - a)/2 b^2) + indicator(lower_j <= b <= upper_j).

Fenchel dual (Fercoq, Gramfort & Salmon 2015, "Mind the duality gap", eq. 3-4; with the
datafit conjugate for weights), for a dual point theta = t W r / n, 0 < t <= 1::

    D(theta) = t/n sum_i w_i r_i y_i - t^2/(2n) sum_i w_i r_i^2 - sum_j g_j*(t s_j),
    s_j = x_j^T W r / n.

g_j* is finite everywhere when (1 - a) v_j > 0 or both bounds are finite; otherwise the
scaling t restores feasibility (|t s_j| <= lam a v_j on the unbounded sides).
Unpenalized, unbounded features (v_j = 0) are refitted exactly by a small block
least-squares step before every certificate, which makes s_j = 0 for them.

The solver keeps a working set: cyclic CD epochs on it until its own (restricted)
duality gap is small (the certificate of the working-set problem: the running residual is
the dual point, the primal allows for its rounding drift); then the features outside
the working set are cleared by a bound on |s_j| from the last two full passes (Cauchy-Schwarz
on the part of the residual outside their span, _screening.pxi), the few it cannot clear
checked exactly, so that
most lambdas need no full pass. A full pass computes every s_j, which serves at once
the duality gap, the KKT check and the sequential strong rule (Tibshirani et al. 2012,
eq. 5) at the next lambda.

When the working set is small next to n, the epochs update the gradients through the
Gram matrix of the working set instead of the residual (covariance mode, _gram.pxi), and
on ill-conditioned problems a Newton step on the non-zero set solves the working-set
problem for the current signs (_newton.pxi).

The CD iterates on the working set are accelerated by Anderson extrapolation (Bertrand &
Massias 2021, "Anderson acceleration of coordinate descent"): every K + 1 epochs,
with U the K successive differences of the last K + 1 iterates x_0..x_K,

    c = (U^T U + eps I)^{-1} 1 / (1^T (U^T U + eps I)^{-1} 1),   x_e = sum_{k=1}^K c_k x_k,

and x_e (clipped to the bounds) replaces x_K only if it lowers the objective
(_anderson.pxi).

Files: this one holds the state's layout, the epoch, the duality gap and the path driver;
the penalty (_penalty.pxi), covariance mode, Newton step, Anderson extrapolation,
screening and the state's set-up (_state.pxi) are included from their own files; the
storage layer is _design.pxd.
"""
from libc.math cimport fabs, sqrt, INFINITY
from libc.stdlib cimport malloc, calloc, realloc, free, qsort
from libc.string cimport memcpy, memmove
from libc.stdint cimport int32_t, int64_t
from cython cimport floating

import numpy as np

from fastreg._design cimport (Design, DenseDesign, CSCDesign32, CSCDesign64,
                              csc_design32, csc_design64, col_dot, cols_dot, col_update,
                              column_values,
                              col_update_f64, col_moments, col_nnz, _dot, _cdot)

cdef extern from *:
    """
    #if defined(__linux__)
    #include <stdint.h>
    #include <sys/mman.h>
    /* ask for transparent huge pages on [p, p + n) (page-aligned inside); a no-op
       where the OS has none */
    static void advise_huge_pages(void* p, size_t n) {
        uintptr_t start = ((uintptr_t) p + 4095) & ~(uintptr_t) 4095;
        if (n > start - (uintptr_t) p)
            (void) madvise((void*) start, n - (start - (uintptr_t) p), MADV_HUGEPAGE);
    }
    #else
    static void advise_huge_pages(void* p, size_t n) { (void) p; (void) n; }
    #endif
    """
    void advise_huge_pages(void* p, size_t n) noexcept nogil


# flags of a feature
cdef enum:
    IN_WS = 1            # in the working set
    UNPENALIZED = 2      # v_j = 0 and unbounded: fitted by the exact block step
    CONSTANT = 4         # centred column is zero: b_j sits at clip(0, lower, upper)
    PREDICTED = 8        # met by the predictor's sweep (_predict.pxi), cleared after it
    BOXED_FREE = 16      # v_j = 0 with a finite bound: in the exact block step (and out of
                         # the duality gap, s_j = 0 there) while strictly inside its bounds

# a column is constant when its centred norm is below this fraction of |mean| * sqrt(n)
# (rounding of the two-pass moments in float64 is ~1e-16 of it; a real feature such as a
# Unix timestamp within one hour varies by 1e-6 of its mean)
cdef double CONSTANT_RTOL = 1e-10
# ratio lambda_max uses when l1_ratio is 0, as glmnet does
cdef double MIN_L1_RATIO_FOR_GRID = 1e-3
# Anderson extrapolation: K differences of K + 1 iterates, and the ridge added to U^T U
# relative to its largest diagonal entry (Bertrand & Massias 2021 use K = 5)
cdef enum:
    ANDERSON_K = 5
cdef double ANDERSON_RIDGE = 1e-10
# residuals of the last full passes kept as references of the bound test (_screening.pxi)
cdef enum:
    N_REF = 2
# cheap_sweep: the short columns it sweeps hold at most this share of the working set's
# entries
cdef double CHEAP_SHARE = 0.2
# few_added: the features the bound test adds are swept alone, and the gap checked right
# after, when they hold at most this share of the working set's entries
cdef double QUICK_SHARE = 0.05
# the smallest inner tolerance (relative to the target) a lambda hands to the next
cdef double INNER_RATIO_FLOOR = 1e-6
# the path's predictor (_predict.pxi) always runs below this many samples
cdef enum:
    SHORT_SWEEP = 4096
# unit roundoff of double and of float
cdef double ROUNDOFF = 1.12e-16
cdef double ROUNDOFF32 = 5.97e-8


cdef struct Anderson:
    # the last iterates beta[ws] of CD on one working set, and the scratch of the step
    Py_ssize_t count     # iterates stored since the last reset
    Py_ssize_t capacity  # coordinates an iterate can hold (grown with the working set)
    bint enabled         # False when the history could not grow: plain CD
    double* history      # (K + 1) x capacity, iterate k at history + k * capacity
    double* gram         # K x K, U^T U (+ ridge)
    double* ldl          # K x K, its factor
    double* coef         # K, the extrapolation weights


cdef struct Secant:
    # the path's predictor (_predict.pxi): the last lambda's residual and support
    bint valid           # r_prev, support and drift describe the previous solution
    double* r_prev       # n, its residual (offset folded)
    double r_prev_norm   # ||r_prev||_W
    double drift         # st.drift when it was stored
    Py_ssize_t recomputes  # st.recomputes then (a recomputation breaks the chain)
    double recompute_err   # st.recompute_err then
    Py_ssize_t* support  # its non-zero features (the non-constant ones)
    Py_ssize_t* next_support  # p scratch: this lambda's, swapped in
    Py_ssize_t n_support


cdef struct GramCache:
    # Gram matrix of the working-set features, for covariance mode (_gram.pxi)
    bint on              # epochs update the slotted gradients, not the residual
    Py_ssize_t cap       # slots allocated: G is cap x cap
    Py_ssize_t max_slots
    Py_ssize_t n_slots
    Py_ssize_t* slot     # p, slot of feature j or -1
    Py_ssize_t* feature  # cap, feature of slot s
    double* G            # G[s * cap + t] = x_c(feature s)^T W x_c(feature t) / n
    double* grad         # cap, s_j of the feature in each slot (covariance mode)
    void* buf            # n floating, zero between uses


cdef struct NewtonWork:
    # scratch of the Newton step (_newton.pxi), grown with the working set
    Py_ssize_t cap
    Py_ssize_t wait      # epochs on a working set before the next try
    Py_ssize_t m         # size of the set A of the last step
    float* L             # cap x cap, column-major: the single-precision factor of K_SS
    float* aux           # cap x rcap + rcap x rcap + cap + rcap: V = L^-1 E_R (leading
                         # dimension cap), the factor of V^T V, two vectors
    double* vec          # 4 cap: d, b (then beta_A), a residual, its correction
    Py_ssize_t* idx      # cap: the features of A
    Py_ssize_t* slot     # cap: their slots in the Gram cache
    Py_ssize_t* fidx     # cap: the features of S in the factor's order
    Py_ssize_t* fpos     # p: position of feature j in the factor, or -1
    Py_ssize_t* rpos     # rcap: positions in the factor of S minus A (V's columns)
    Py_ssize_t* rcol     # cap: V's column of a position in the factor, or -1
    char* in_a           # cap: position in the factor belongs to A
    Py_ssize_t rcap      # at most this many features of S outside A
    Py_ssize_t fs        # |S|, 0: no factor
    Py_ssize_t nr        # |S minus A|: V's columns
    bint c_valid         # C's factor is that of the current V
    double flam          # the lambda of the factor's ridge terms
    double fdiag         # the largest diagonal entry of K_SS
    double* gvec         # 2 gcap: scratch in the Gram cache's slot order
    Py_ssize_t gcap


cdef struct State:
    Py_ssize_t n
    Py_ssize_t p
    double* mean         # weighted column means (0 without intercept)
    double* sq_norm      # centred weighted squared column norms / n
    double* grad         # s_j = x_j^T W r / n, as of its last computation
    double* yc_dot       # x_j^T W y / n (fixed along the path)
    char* flags
    Py_ssize_t* ws       # the working set, as a list
    Py_ssize_t n_ws
    Py_ssize_t* unpen    # unpenalized features: the unbounded ones, then the bounded ones
    Py_ssize_t n_unpen
    Py_ssize_t n_boxed   # the bounded ones (BOXED_FREE)
    double* unpen_gram   # their Gram matrix / n, m x m
    double* unpen_ldl    # its LDL^T factor (L strictly below the diagonal, D on it)
    double* unpen_work   # 4 m + 2 m^2: the block step's scratch (unpenalized_step)
    double offset        # true residual = r + offset
    double sum_wr        # sum_i w_i r_i of the true residual, as of its last recomputation
    double wr2           # sum_i w_i r_i^2 (kept up to date)
    double wry           # sum_i w_i r_i y_i
    # the rounding the running residual gathered since it was last recomputed from beta:
    # drift bounds ||r - (yc - X_c beta)||_W as of the last settle_residual; since then
    # drift_steps column updates moved beta by drift_move = sum |delta_j| ||x_j||_W, from a
    # residual of norm r_norm (see settle_residual)
    double drift
    Py_ssize_t recomputes    # recompute_residual calls: each restarts the drift from 0
    double recompute_err     # a bound on the last recomputation's own rounding (uncounted)
    Py_ssize_t drift_steps
    double drift_move
    double r_norm
    double* raw_norm     # ||x_j||_W, uncentred
    double max_raw_norm
    # the certificate's bound on ||r(beta)||_W^2: (sqrt(wr2) + drift)^2 after a settle; for
    # float32 data, after a recomputation, the residual's squared norm in float64
    double primal_r2
    double* r64          # n, float32 data only: the recomputed residual in float64
    double null_obj
    # the references of the bound test: the true residuals (offset folded) and every s_j
    # of the last N_REF full passes, a ring; unused slots are zero
    double* r_ref        # N_REF x n, reference k at r_ref + k n
    double* grad_ref     # p x N_REF, s_j of reference k at grad_ref[j N_REF + k]
    double* ref_gram     # N_REF x N_REF: sum_i w_i ref_k,i ref_l,i
    double* ref_ldl      # N_REF x N_REF scratch: its factor
    double* ref_max      # N_REF: max_j |s_j| of each reference
    double* ref_coef     # N_REF: c, the combination of the references nearest r
    Py_ssize_t n_ref     # references stored
    Py_ssize_t ref_next  # the slot the next one takes
    double ref_dist      # upper bound on ||r - sum_k c_k ref_k||_W (last settle_residual)
    double* col_norm     # sqrt(sq_norm)
    Py_ssize_t nnz       # stored entries of X, the cost of one full pass
    Py_ssize_t* cand     # p, scratch: the features the bound test could not clear
    # the strong-rule candidates outside the working set for the next lambda, gathered by
    # the last bound test (valid = False: scan every feature instead)
    Py_ssize_t* strong
    Py_ssize_t n_strong
    bint strong_valid
    # constant features held away from 0 by their bounds (b_j = clip(0) != 0, never in
    # the working set)
    Py_ssize_t* fixed
    Py_ssize_t n_fixed
    GramCache gram
    NewtonWork newton
    Py_ssize_t last_epochs   # epochs the previous lambda took
    Py_ssize_t quick_score   # few_added: its gap checks passed minus those failed
    double inner_ratio       # its final inner tolerance / target
    Anderson acc
    Secant sec


include "_penalty.pxi"


# ---------------------------------------------------------------------------------
# the pieces of the algorithm, each written once against the Design interface
# ---------------------------------------------------------------------------------

cdef inline double feature_grad(const Design* X, Py_ssize_t j, const floating* w,
                                const floating* r, const State* st) noexcept nogil:
    # s_j = x_cj^T W r_true / n, r_true = r + offset. Dense columns: the centred column
    # itself (r carries no offset), whatever sum(w r) drifted to since it was last summed;
    # with the running sum in its place, a column far from 0 turned that float32 drift
    # into gradient errors that CD fed back (NaN on float32 columns spread 1e-3 of their
    # mean, divergence at 1e-6 in float64: tests/test_off_centre.py). Sparse columns:
    #     = x_j^T W r / n + offset * mean_j - mean_j * sum(w * r_true) / n
    # (the last term is 0 in exact arithmetic; it absorbs the rounding drift of r)
    # A CSC column with a dense copy (attach_dense_columns) is read as dense storage is:
    # these near-dense columns are the ones far from 0, where the running sum would cost
    # the most (float32 coefficients blew up to 1e23-1e35 on the mixed-scale test problem).
    # (Its omitted term offset * sum(w (x_j - mean_j)) / n is 0 but for rounding.)
    cdef const floating* x = column_values(X, j, r)
    if x != NULL:
        return _cdot(x, w, r, st.mean[j], st.n) / st.n
    return col_dot(X, j, w, r) / st.n + st.mean[j] * (st.offset - st.sum_wr / st.n)


cdef void compute_grads(const Design* X, const floating* w, const floating* r,
                        State* st, bint all_features) noexcept nogil:
    # grad[J] = X_c[:, J]^T W r / n for the working set, or for every feature (one pass)
    # (through feature_grad, as the sweeps: lambda_max, the passes and the sweeps see the
    # same s_j)
    cdef Py_ssize_t idx, j
    if all_features:
        for j in range(st.p):
            st.grad[j] = 0.0 if st.flags[j] & CONSTANT else feature_grad(X, j, w, r, st)
        return
    for idx in range(st.n_ws):
        j = st.ws[idx]
        st.grad[j] = 0.0 if st.flags[j] & CONSTANT else feature_grad(X, j, w, r, st)


cdef void settle_residual(floating* r, const floating* y, const floating* w, State* st,
                          bint to_references) noexcept nogil:
    # in one sweep: r <- r + offset, offset <- 0 (bounds the cancellation of implicit
    # centring), and the exact sums wr2 = sum(w r^2), wry = sum(w r y), sum_wr = sum(w r).
    # With to_references, also the distance from r to the span of the references
    # (ref_dist, ref_coef), which the bound test needs:
    #     c = argmin ||r - R c||_W:  (R^T W R) c = R^T W r,   e = r - R c
    # (the bound on ||e||_W holds whatever c and the conditioning of R^T W R)
    cdef Py_ssize_t i, k, n = st.n
    cdef double a = 0.0, b = 0.0, c = 0.0, d2, wi, ri, scale, u, bound
    cdef double proj[N_REF]
    cdef floating shift = <floating> st.offset
    st.offset = 0.0
    for k in range(N_REF):
        proj[k] = 0.0
    for i in range(n):
        r[i] += shift
        wi = 1.0 if w == NULL else w[i]
        ri = r[i]
        a += wi * ri * ri
        b += wi * ri * y[i]
        c += wi * ri
        if to_references:
            for k in range(st.n_ref):
                proj[k] += wi * ri * st.r_ref[k * n + i]
    st.wr2 = a
    st.wry = b
    st.sum_wr = c
    # the drift since the last settle: an update r -= delta x_j errs by at most
    # u (|r_i| + 3 |delta x_ij|) per entry (the product, the difference, and delta against
    # the change of the stored beta_j), so by u (||r||_W + 3 |delta| ||x_j||_W) in norm,
    # with ||r||_W <= r_norm + drift_move all along; folding the offset by u (||r||_W +
    # sqrt(n) |shift|) more. Twice that, for the second-order terms.
    u = ROUNDOFF if floating is double else ROUNDOFF32
    bound = st.r_norm + st.drift_move
    st.drift += 2.0 * u * (st.drift_steps * bound + 3.0 * st.drift_move
                           + bound + sqrt(<double> n) * fabs(<double> shift))
    st.drift_steps = 0
    st.drift_move = 0.0
    st.r_norm = sqrt(a)
    st.primal_r2 = (st.r_norm + st.drift) ** 2
    if not to_references:
        return
    # c = (R^T W R)^+ R^T W r, the nearly dependent references dropped by the factor
    # (a pivot below sqrt((n + 4) u) of its diagonal entry: the references are too close
    # for their difference to be known to better than the allowance below)
    ldl_factor(st.ref_gram, st.ref_ldl, N_REF, sqrt((n + 4) * ROUNDOFF))
    for k in range(N_REF):
        st.ref_coef[k] = proj[k]
    ldl_solve(st.ref_ldl, N_REF, st.ref_coef)
    # ||e||_W^2 = r^T W r - 2 c^T R^T W r + c^T R^T W R c, from the sums (no second sweep).
    # Each sum of n products is off by at most gamma = (n + N_REF + 2) u times the sum of
    # the products' magnitudes, and all of them together by gamma * scale^2 with
    # scale = ||r||_W + sum_k |c_k| ||ref_k||_W (Cauchy-Schwarz): added, it keeps the
    # distance an upper bound whatever the cancellation
    d2 = a
    scale = sqrt(a)
    for k in range(N_REF):
        d2 -= 2.0 * st.ref_coef[k] * proj[k]
        scale += fabs(st.ref_coef[k]) * sqrt(st.ref_gram[k * N_REF + k])
        for i in range(N_REF):
            d2 += st.ref_coef[k] * st.ref_coef[i] * st.ref_gram[k * N_REF + i]
    st.ref_dist = sqrt(max(d2, 0.0) + 2.0 * (n + N_REF + 2) * ROUNDOFF * scale * scale)


cdef void recompute_residual(const Design* X, const floating* yc, const floating* w,
                            floating* r, const floating* beta, State* st) noexcept nogil:
    # r = yc - X_c beta from scratch (O(n + nnz of the non-zero columns)), then its sums and
    # its distance to the references: the certificate is that of the returned coefficients,
    # whatever rounding the running residual gathered. Float32 data: computed in float64
    # (st.r64), whose squared norm is the primal's, then rounded into r (the dual point)
    cdef Py_ssize_t i, j, m = 0
    cdef double offset = 0.0, acc = 0.0, value, moved = 0.0
    for j in range(st.p):
        if beta[j] != 0.0 and not st.flags[j] & CONSTANT:
            m += 1
            moved += fabs(<double> beta[j]) * st.raw_norm[j]
    if floating is float:
        for i in range(st.n):
            st.r64[i] = yc[i]
        for j in range(st.p):
            if beta[j] != 0.0 and not st.flags[j] & CONSTANT:
                col_update_f64(X, yc, j, beta[j], st.mean[j], st.r64, &offset)
        for i in range(st.n):
            value = st.r64[i] + offset
            acc += (1.0 if w == NULL else w[i]) * value * value
            r[i] = <floating> value
        st.offset = 0.0
    else:
        for i in range(st.n):
            r[i] = yc[i]
        st.offset = 0.0
        for j in range(st.p):
            if beta[j] != 0.0 and not st.flags[j] & CONSTANT:
                col_update(X, j, beta[j], st.mean[j], r, &st.offset)
    # the recomputed residual is the reference point: its own rounding is not counted in
    # float64 (as for every quantity computed once from the data), but bounded for the
    # predictor, which combines two recomputed residuals (_predict.pxi): m column updates,
    # each off by u (||r||_W + 3 |b_j| ||x_j||_W) with ||r||_W <= ||yc||_W + sum |b_l| ||x_l||_W,
    # plus the float32 rounding of r
    st.drift_steps = 0
    st.drift_move = 0.0
    settle_residual(r, yc, w, st, True)
    st.drift = 0.0
    st.recomputes += 1
    # (||yc||_W^2 = 2 n P(0))
    st.recompute_err = ROUNDOFF * (m * sqrt(2.0 * st.n * st.null_obj) + (m + 3) * moved)
    if floating is float:
        st.recompute_err += ROUNDOFF32 * st.r_norm
    if floating is float:
        st.primal_r2 = acc
    else:
        st.primal_r2 = st.wr2


include "_gram.pxi"


cdef inline bint moments_finite(double mean, double sq_norm, double raw) noexcept nogil:
    # a column's moments in float64 (|x| above ~1e154 overflows its squares; NaN fails too)
    return fabs(mean) < INFINITY and sq_norm < INFINITY and raw < INFINITY


cdef inline void move(const Design* X, Py_ssize_t j, double delta, double s,
                      floating* r, State* st) noexcept nogil:
    # b_j += delta, with s = s_j before the move: residual (or gradients) and sums follow
    apply_delta(X, j, delta, r, st)
    st.wr2 += st.n * delta * (delta * st.sq_norm[j] - 2.0 * s)
    st.wry -= st.n * delta * st.yc_dot[j]


cdef double cd_sweep(const Design* X, const floating* w, floating* r, floating* beta,
                     State* st, const Penalty* pen, double lam, const Py_ssize_t* features,
                     Py_ssize_t count) noexcept nogil:
    # one cyclic sweep over the features listed; returns max_j (norm_j + kappa_j)
    # delta_j^2 / 2, the largest decrease of the objective a single coordinate brought
    cdef Py_ssize_t idx, j
    cdef double s, old, new, delta, alpha, kappa, change, max_change = 0.0
    cdef double a = pen.l1_ratio
    for idx in range(count):
        j = features[idx]
        s = current_grad(X, j, w, r, st)
        alpha = lam * a * pen.factor[j]
        kappa = lam * (1.0 - a) * pen.factor[j]
        old = beta[j]
        new = prox(old * st.sq_norm[j] + s, st.sq_norm[j] + kappa, alpha,
                   pen.lower[j], pen.upper[j])
        beta[j] = <floating> new
        delta = <double> beta[j] - old
        if delta != 0.0:
            move(X, j, delta, s, r, st)
            change = 0.5 * (st.sq_norm[j] + kappa) * delta * delta
            if change > max_change:
                max_change = change
    return max_change


cdef inline double cd_epoch(const Design* X, const floating* w, floating* r,
                            floating* beta, State* st, const Penalty* pen,
                            double lam) noexcept nogil:
    # one cyclic sweep over the working set
    return cd_sweep(X, w, r, beta, st, pen, lam, st.ws, st.n_ws)


cdef bint few_added(const Design* X, const State* st, Py_ssize_t m) noexcept nogil:
    # the bound test added ws[m:] to the working set (after its gap was checked): when
    # they hold at most QUICK_SHARE of its entries, a sweep over them alone may be
    # enough (their moves hardly disturb the rest) and the gap is checked right after it,
    # instead of after full epochs run down to the inner tolerance (two of them at the
    # last lambdas of sparse_large, where one violator joined 14,000-19,000 features).
    # Not in covariance mode (epochs cost O(slots) there), and not once it has failed
    # more often than not along the path (a failure costs a working-set gap: at tight
    # tolerances one sweep of the newcomers disturbs the rest by more than the target).
    cdef Py_ssize_t idx
    cdef double total = 0.0, new = 0.0
    if st.gram.on or st.quick_score < 0:
        return False
    for idx in range(st.n_ws):
        if idx < m:
            total += col_nnz(X, st.ws[idx])
        else:
            new += col_nnz(X, st.ws[idx])
    return new <= QUICK_SHARE * total


cdef void cheap_sweep(const Design* X, const floating* w, floating* r, floating* beta,
                      State* st, const Penalty* pen, double lam) noexcept nogil:
    # one sweep over the working set's short columns, before the epochs of a lambda.
    # After the step to a new lambda, most of what the first epoch gains comes from few
    # features with short columns: on sparse_large (lasso, the last lambdas, 12k-19k
    # features in the working set) 90% of the first epoch's decrease came from 9% of the
    # features, holding 0.5% of its entries. Sweeping them first, for a fraction of an
    # epoch, leaves the epochs less to do: measured in entries read by the sweeps of the
    # whole path, 106.5 -> 86.3 passes' worth (sparse_large lasso, tol 1e-4), 17.3 -> 15.8
    # (sparse_text); one-hot the same (72.5 -> 72.4). The short columns: at most half the
    # working set's mean length, and the shortest ones, chosen by powers of 2 up to
    # CHEAP_SHARE of its entries (dense data has none); swept in working-set order. Only after a lambda that took several epochs: when
    # one epoch is enough (the elastic net on these shapes), the sweep cannot save any
    # (measured: 10-20% more entries read, for nothing).
    cdef Py_ssize_t idx, j, z, b, m = 0
    cdef double total = 0.0, acc = 0.0, limit
    cdef double share[64]
    for b in range(64):
        share[b] = 0.0
    for idx in range(st.n_ws):
        z = col_nnz(X, st.ws[idx])
        total += z
        b = 0
        while (z >> (b + 1)) > 0:
            b += 1
        share[b] += z
    b = 0
    while b < 62 and acc + share[b] <= CHEAP_SHARE * total:
        acc += share[b]
        b += 1
    if b == 0 or total <= 0.0:
        return
    # (columns in the buckets below b: shorter than 2^b entries)
    limit = min(0.5 * total / st.n_ws, <double> ((<Py_ssize_t> 1) << b) - 1.0)
    for idx in range(st.n_ws):
        j = st.ws[idx]
        if col_nnz(X, j) <= limit:
            st.cand[m] = j
            m += 1
    if m > 0:
        cd_sweep(X, w, r, beta, st, pen, lam, st.cand, m)


cdef inline double free_tolerance(Py_ssize_t j, const State* st, bint single) noexcept nogil:
    # |s_j| below this counts as 0 for a bounded unpenalized feature after the exact block
    # step: 1e-9 (float32 data: 1e-5, the coefficients' own rounding) of the largest |s_j|
    # the residual allows (Cauchy-Schwarz), far above the rounding of the step (the
    # unbounded ones' rounding is not counted at all)
    return (1e-5 if single else 1e-9) * st.col_norm[j] * sqrt(max(st.wr2, 0.0) / st.n)


cdef inline bint is_free(Py_ssize_t j, const floating* beta, const State* st,
                         const Penalty* pen) noexcept nogil:
    # left out of the duality gap, its s_j = 0 by the exact block step: unpenalized and
    # unbounded, or unpenalized, strictly inside its bounds and with s_j at rounding level
    # (otherwise it is counted as any feature: its conjugate is infinite, and the gap too)
    if st.flags[j] & UNPENALIZED:
        return True
    if st.flags[j] & BOXED_FREE:
        return (pen.lower[j] < beta[j] and beta[j] < pen.upper[j]
                and fabs(st.grad[j]) <= free_tolerance(j, st, sizeof(beta[0]) == sizeof(float)))
    return False


cdef void unpenalized_step(const Design* X, const floating* w, floating* r,
                           floating* beta, State* st, const Penalty* pen) noexcept nogil:
    # exact least squares in the unpenalized features, the others fixed:
    # delta = G^+ X_U^T W r / n; afterwards s_j = 0 for j in U. With bounded ones
    # (BOXED_FREE) the least squares on their box, by active sets (Lawson & Hanson's NNLS,
    # for boxes): the free set F holds the unbounded ones, the bounded ones inside their
    # bounds and those at a bound that s_j pushes inwards; the step G_FF^+ s_F is taken up
    # to the first bound it meets, that feature lands on it and leaves F, and the step is
    # solved again, until a full step fits; then the features at a bound are checked
    # again, and the ones s_j now pushes inwards rejoin F. (Every unpenalized feature stays
    # in the working set, bounded or not: in covariance mode its gradient and its moves
    # go through its Gram slot.)
    cdef Py_ssize_t m = st.n_unpen, a, j, k, f, nf, block, rounds = 0
    cdef double* s = st.unpen_work
    cdef double* delta = st.unpen_work + m
    cdef double* sub = st.unpen_work + 2 * m             # m x m: G_FF
    cdef double* fac = sub + m * m                       # m x m: its factor
    cdef double* in_f = fac + m * m                      # m: 1 in F, 0 out
    cdef Py_ssize_t* free_set = <Py_ssize_t*> (in_f + m)  # m: positions of F in unpen
    cdef double old, tau, step, bound
    cdef bint outer_done, single = sizeof(beta[0]) == sizeof(float)
    if m == 0:
        return
    for a in range(m):
        s[a] = current_grad(X, st.unpen[a], w, r, st)
    if st.n_boxed == 0:
        for a in range(m):
            delta[a] = s[a]
        ldl_solve(st.unpen_ldl, m, delta)
        unpenalized_move(X, w, r, beta, st, delta, s, 1.0)
        return
    for a in range(m):
        in_f[a] = 0.0
    while rounds < 4 * m + 4:
        # (outer) F: every feature inside its bounds, and those s_j pushes inwards
        outer_done = True
        for a in range(m):
            j = st.unpen[a]
            if st.flags[j] & UNPENALIZED or (pen.lower[j] < beta[j] < pen.upper[j]):
                in_f[a] = 1.0
            elif ((beta[j] <= pen.lower[j] and s[a] > free_tolerance(j, st, single))
                    or (beta[j] >= pen.upper[j] and s[a] < -free_tolerance(j, st, single))):
                if in_f[a] == 0.0:
                    in_f[a] = 1.0
                    outer_done = False
            else:
                in_f[a] = 0.0
        if outer_done and rounds > 0:
            return
        # (inner) steps on F until a full one fits
        while rounds < 4 * m + 4:
            rounds += 1
            nf = 0
            for a in range(m):
                if in_f[a] != 0.0:
                    free_set[nf] = a
                    nf += 1
            if nf == 0:
                return
            for f in range(nf):
                for k in range(nf):
                    sub[f * nf + k] = st.unpen_gram[free_set[f] * m + free_set[k]]
                delta[f] = s[free_set[f]]
            ldl_factor(sub, fac, nf)
            ldl_solve(fac, nf, delta)
            tau = 1.0
            block = -1
            for f in range(nf):
                j = st.unpen[free_set[f]]
                if delta[f] > 0.0 and pen.upper[j] < INFINITY:
                    step = (pen.upper[j] - beta[j]) / delta[f]
                elif delta[f] < 0.0 and pen.lower[j] > -INFINITY:
                    step = (pen.lower[j] - beta[j]) / delta[f]
                else:
                    continue
                if step < tau:
                    tau = max(step, 0.0)
                    block = f
            for a in range(m):
                sub[a] = 0.0
            for f in range(nf):
                sub[free_set[f]] = delta[f]
            unpenalized_move(X, w, r, beta, st, sub, s, tau)
            if block < 0:
                break
            # the blocking feature lands exactly on its bound and leaves F
            a = free_set[block]
            j = st.unpen[a]
            bound = pen.upper[j] if delta[block] > 0.0 else pen.lower[j]
            if <double> beta[j] != bound:
                old = beta[j]
                beta[j] = <floating> bound
                step = <double> beta[j] - old
                move(X, j, step, s[a], r, st)
                for k in range(m):
                    s[k] -= st.unpen_gram[k * m + a] * step
            in_f[a] = 0.0


cdef void unpenalized_move(const Design* X, const floating* w, floating* r,
                           floating* beta, State* st, double* delta, double* s,
                           double tau) noexcept nogil:
    # beta_U += tau delta (delta over U's positions, overwritten with the moves made),
    # with the residual (or the slotted gradients) and the sums; s_U (gradients before
    # the move) becomes s_U - G_UU moves
    cdef Py_ssize_t m = st.n_unpen, a, b, j
    cdef double old, quad = 0.0, lin = 0.0
    for a in range(m):
        if delta[a] == 0.0:
            continue            # (outside F: no column update, no rounding to count)
        j = st.unpen[a]
        old = beta[j]
        beta[j] = <floating> (old + tau * delta[a])
        delta[a] = <double> beta[j] - old
        apply_delta(X, j, delta[a], r, st)
        st.wry -= st.n * delta[a] * st.yc_dot[j]
        lin += delta[a] * s[a]
    # sum w r^2 changes by n (delta^T G delta - 2 delta^T s)
    for a in range(m):
        for b in range(m):
            quad += delta[a] * st.unpen_gram[a * m + b] * delta[b]
    st.wr2 += st.n * (quad - 2.0 * lin)
    for a in range(m):
        for b in range(m):
            s[a] -= st.unpen_gram[a * m + b] * delta[b]


cdef double ws_objective(const State* st, const Penalty* pen, double lam,
                         const floating* beta) noexcept nogil:
    # P(beta) up to the fixed terms of the features outside the working set:
    # sum(w r^2) / (2n) from the running sum, plus sum_{j in ws} g_j(beta_j)
    cdef Py_ssize_t idx, j
    cdef double a = pen.l1_ratio, value = 0.5 * st.wr2 / st.n
    for idx in range(st.n_ws):
        j = st.ws[idx]
        if st.flags[j] & CONSTANT or is_free(j, beta, st, pen):
            continue
        value += penalty_value(beta[j], lam * a * pen.factor[j],
                               lam * (1.0 - a) * pen.factor[j])
    return value


cdef double duality_gap(const State* st, const Penalty* pen, double lam,
                        const floating* beta, bint all_features, bint certified) noexcept nogil:
    # P(beta) - D(t W r / n) over the working set (restricted problem) or all features;
    # uses grad[] as last computed and the residual sums. Certified: the primal takes the
    # bound on ||r(beta)||_W^2 (primal_r2, allowing for the drift of r from beta's
    # residual); otherwise an estimate from wr2
    cdef Py_ssize_t idx, j, count = st.p if all_features else st.n_ws
    cdef double a = pen.l1_ratio, alpha, kappa, s, t = 1.0
    cdef double primal, dual
    if certified:
        # (the float64 rounding of the sums themselves, ~sqrt(n) u of them, is not
        # counted: a worst-case allowance of n u would put tol = 1e-13 out of reach at
        # n = 300 while the largest understatement measured was 3e-15 of P(0))
        primal = 0.5 * st.primal_r2 / st.n
    else:
        primal = 0.5 * max(st.wr2, 0.0) / st.n
    cdef double n = st.n
    # primal penalty and the largest feasible scaling of the dual point
    for idx in range(count):
        j = idx if all_features else st.ws[idx]
        if st.flags[j] & CONSTANT or is_free(j, beta, st, pen):
            continue
        alpha = lam * a * pen.factor[j]
        kappa = lam * (1.0 - a) * pen.factor[j]
        primal += penalty_value(beta[j], alpha, kappa)
        if kappa == 0.0:
            s = st.grad[j]
            if s > alpha and pen.upper[j] == INFINITY:
                t = min(t, alpha / s)
            elif s < -alpha and pen.lower[j] == -INFINITY:
                t = min(t, -alpha / s)
    dual = t * st.wry / n - 0.5 * t * t * st.wr2 / n
    for idx in range(count):
        j = idx if all_features else st.ws[idx]
        if st.flags[j] & CONSTANT or is_free(j, beta, st, pen):
            continue
        alpha = lam * a * pen.factor[j]
        kappa = lam * (1.0 - a) * pen.factor[j]
        s = t * st.grad[j]
        if kappa == 0.0:
            # the scaling makes |s| <= alpha on unbounded sides up to rounding
            if pen.upper[j] == INFINITY and s > alpha:
                s = alpha
            if pen.lower[j] == -INFINITY and s < -alpha:
                s = -alpha
        dual -= penalty_conjugate(s, alpha, kappa, pen.lower[j], pen.upper[j])
    return primal - dual


include "_newton.pxi"


include "_anderson.pxi"


include "_screening.pxi"


cdef double null_lambda_max(const State* st, const Penalty* pen) noexcept nogil:
    # smallest lam at which b = 0 satisfies the KKT conditions for every penalized feature
    cdef Py_ssize_t j
    cdef double a = max(pen.l1_ratio, MIN_L1_RATIO_FOR_GRID), lmax = 0.0
    for j in range(st.p):
        if st.flags[j] & (CONSTANT | UNPENALIZED) or pen.factor[j] == 0.0:
            continue
        if not (pen.lower[j] <= 0.0 <= pen.upper[j]):
            continue
        lmax = max(lmax, kkt_violation(st.grad[j], 0.0, pen.lower[j], pen.upper[j])
                   / (a * pen.factor[j]))
    return lmax


# ---------------------------------------------------------------------------------
# the path
# ---------------------------------------------------------------------------------

include "_state.pxi"


cdef Py_ssize_t solve_lambda(const Design* X, const floating* yc, const floating* w,
                             floating* r, floating* beta, State* st, const Penalty* pen,
                             const SolverOptions* opts, double lam, double lam_prev,
                             double lam_next, double* gap_out, Py_ssize_t* passes_out,
                             int* status_out) noexcept nogil:
    # working-set CD at one lambda, warm-started from beta; returns the epochs spent
    cdef Py_ssize_t j, idx, m, epochs = 0, ws_epochs = 0, passes = 0, added
    cdef Py_ssize_t next_newton
    cdef double a = pen.l1_ratio, target = opts.tol * st.null_obj
    # the inner tolerance starts where the previous lambda's ended (relative to the
    # target, loosened 2x): each round it tightens costs a working-set gap
    cdef double inner_tol = target * min(1.0, 2.0 * st.inner_ratio), last_change, gap
    # moves of a few units in the last place of the dtype are rounding, not progress
    cdef double eps = 1.2e-7 if floating is float else 2.3e-16
    cdef double noise = eps * eps * st.null_obj
    cdef int status
    # quick: the next round skips the epochs (few_added); shortcut: this round did
    cdef bint exact, quick = False, shortcut

    # working set: non-zeros, unpenalized features, and the sequential strong rule
    # (Tibshirani et al. 2012), |s_j| > a v_j (2 lam - lam_prev) with s_j as last computed
    if st.strong_valid:
        # the last bound test gathered the candidates outside the working set; inside
        # it, every non-zero is kept and the rest is judged on its exact s_j
        m = 0
        for idx in range(st.n_ws):
            j = st.ws[idx]
            if (beta[j] != 0.0 or st.flags[j] & (UNPENALIZED | BOXED_FREE)
                    or kkt_violation(st.grad[j], a * pen.factor[j] * (2.0 * lam - lam_prev),
                                     pen.lower[j], pen.upper[j]) > 0.0):
                st.ws[m] = j
                m += 1
            else:
                st.flags[j] &= ~IN_WS
        st.n_ws = m
        for idx in range(st.n_strong):
            ws_add(st, st.strong[idx])
    else:
        ws_clear(st)
        for j in range(st.p):
            if st.flags[j] & CONSTANT:
                continue
            if (beta[j] != 0.0 or st.flags[j] & (UNPENALIZED | BOXED_FREE)
                    or kkt_violation(st.grad[j], a * pen.factor[j] * (2.0 * lam - lam_prev),
                                     pen.lower[j], pen.upper[j]) > 0.0):
                ws_add(st, j)
    gram_choose(X, w, r, beta, st, False)
    if not st.gram.on and st.last_epochs > 1 and st.n_ws > 0:
        cheap_sweep(X, w, r, beta, st, pen, lam)
    next_newton = newton_wait(st)

    anderson_reset(st)
    while True:
        last_change = INFINITY
        shortcut = quick
        while epochs < opts.max_epochs and not quick:
            last_change = cd_epoch(X, w, r, beta, st, pen, lam)
            epochs += 1
            ws_epochs += 1
            if last_change <= noise:
                last_change = 0.0
            if last_change <= inner_tol:
                break
            if ws_epochs >= next_newton:
                if newton_step(X, w, r, beta, st, pen, lam):
                    st.newton.wait = NEWTON_AFTER
                    next_newton = ws_epochs + newton_wait(st)
                    anderson_reset(st)
                    continue
                st.newton.wait = min(2 * st.newton.wait, <Py_ssize_t> NEWTON_MAX_WAIT)
                next_newton = ws_epochs + st.newton.wait
            anderson_step(X, w, r, beta, st, pen, lam)
        # duality gap of the working-set problem, O(nnz of the working set) (O(|ws|) in
        # covariance mode). From the running residual, settled (offset folded, exact
        # sums), it is already the certificate's: the residual is the dual point, and the
        # primal allows for its drift from beta's residual. Only when that drift would
        # cost more than 1% of the target (float32 data, tight tol), or in covariance
        # mode (the residual is not kept), is the residual recomputed from beta first.
        if st.n_unpen > 0:
            unpenalized_step(X, w, r, beta, st, pen)
            anderson_reset(st)
        if st.gram.on:
            gram_pull(st)
            exact = False
        else:
            settle_residual(r, yc, w, st, True)
            exact = (sqrt(st.wr2) + 0.5 * st.drift) * st.drift <= 0.01 * target * st.n
            compute_grads(X, w, r, st, False)
        # (an estimate when the residual will be recomputed). On to the certificate once
        # the gap is below the target: with the residual kept exact this gap is the
        # certificate's own (unless the bound test finds violators); an estimate keeps a
        # margin of 2x for what the recomputation may add. (With the 2x margin for both,
        # lambdas whose exact gap ended between 0.5 and 1 of the target paid one more
        # epoch and working-set gap: epochs per path dense_wide lasso 1,122 -> 820, enet
        # 459 -> 390, sparse_large lasso 209 -> 202.)
        gap = duality_gap(st, pen, lam, beta, False, exact)
        if quick:
            # (no epoch since the last gap: the inner tolerance is not to blame)
            quick = False
            if gap > (1.0 if exact else 0.5) * target:
                st.quick_score -= 1
                continue
            st.quick_score += 1
        elif (gap > (1.0 if exact else 0.5) * target and epochs < opts.max_epochs
                and last_change > 0.0):
            # tighten the inner tolerance by the factor the gap still has to fall (under
            # linear convergence the gap and the largest coordinate decrease fall
            # together), by 2x to 1000x
            inner_tol *= min(max(0.25 * target / gap, 1e-3), 0.5)
            continue
        # the certificate: exact s_j on the working set, and the features outside it
        # cleared by the bound test (or checked exactly), which costs no full pass while
        # the residual stays near the span of the references
        if not exact:
            recompute_residual(X, yc, w, r, beta, st)
            compute_grads(X, w, r, st, False)
        m = st.n_ws
        added = bound_check(X, w, r, st, pen, lam * a, a * (2.0 * lam_next - lam))
        if st.n_ws != m:
            # (also when no violator was added: a feature inside its KKT conditions only
            # thanks to a bound joins the working set, and Anderson's history must grow)
            gram_choose(X, w, r, beta, st, True)
            anderson_reset(st)
        elif st.gram.on:
            gram_push(st)      # exact gradients: the drift of the slotted ones is gone
        if added > 0:
            anderson_reset(st)
            ws_epochs = 0
            next_newton = newton_wait(st)
            # (the shortcut's sweep is not an epoch: none once the budget is spent)
            quick = epochs < opts.max_epochs and few_added(X, st, m)
            if quick:
                cd_sweep(X, w, r, beta, st, pen, lam, st.ws + m, st.n_ws - m)
            continue
        if added == 0:
            gap = duality_gap(st, pen, lam, beta, False, True)
            if gap <= target:
                status = CONVERGED
                break
            if epochs < opts.max_epochs and last_change > 0.0:
                # the rest is cleared: only the working-set problem needs more epochs
                # (after a shortcut round, without epochs, the tolerance is not to blame)
                if not shortcut:
                    inner_tol *= min(max(0.25 * target / gap, 1e-3), 0.5)
                continue
        # one full pass: duality gap, KKT check of the rest, strong rule for later
        compute_grads(X, w, r, st, True)
        save_reference(r, w, st)
        st.strong_valid = False
        passes += 1
        gap = duality_gap(st, pen, lam, beta, True, True)
        if gap <= target:
            status = CONVERGED
            break
        if epochs >= opts.max_epochs:
            status = MAX_EPOCHS
            break
        added = add_violators(st, pen, lam * a)
        if added == 0:
            if last_change == 0.0:
                status = STALLED
                break
            if not shortcut:
                inner_tol *= 0.1
        else:
            anderson_reset(st)
            ws_epochs = 0
        gram_choose(X, w, r, beta, st, True)
        if added > 0:
            next_newton = newton_wait(st)     # (in the mode just chosen)
    st.last_epochs = epochs
    # (floored: a lambda that ended at the rounding floor must not start the next one
    # below CD's reach)
    st.inner_ratio = max(inner_tol / target, INNER_RATIO_FLOOR) if target > 0.0 else 1.0
    gap_out[0] = gap
    passes_out[0] = passes
    status_out[0] = status
    return epochs


include "_predict.pxi"


# near-dense columns of CSC data get dense copies of at most this fraction of X's bytes,
# plus DENSE_COPY_WORK (n + p) values (within the memory rule: 0.2 of the input's bytes
# plus O(n + p) work arrays)
cdef double DENSE_COPY_FRACTION = 0.1
cdef double DENSE_COPY_WORK = 4.0


cdef struct ColumnSize:
    Py_ssize_t nnz
    Py_ssize_t j
    double mass          # sum of the weights of its stored rows (its weighted density * n)


cdef int larger_first(const void* a, const void* b) noexcept nogil:
    cdef const ColumnSize* x = <const ColumnSize*> a
    cdef const ColumnSize* y = <const ColumnSize*> b
    if x.nnz != y.nnz:
        return -1 if x.nnz > y.nnz else 1
    # (ties by column: the same choice on every platform's qsort)
    return (x.j > y.j) - (x.j < y.j)


cdef int attach_dense_columns(Design* X, const floating* w, bint center) noexcept nogil:
    # Dense copies of the near-dense columns of CSC data. Two gains:
    #   * speed: col_dot and col_update read them in sequence instead of gathering
    #     (_design.pxd). Power-law data has a few such columns (sparse_large: 9 hold 15%
    #     of the entries; sparse_text: 5, 15%), and they are the ones the bound test
    #     cannot clear and every pass reads. Columns with at least half their entries
    #     stored get these copies, the fullest first, within the budget above;
    #   * accuracy (with an intercept): feature_grad reads them centred, as dense storage.
    #     Only a column whose stored rows carry most of the weight can be far from 0
    #     (|mean| / std <= sqrt(d / (1 - d)), d the weight of its stored rows / n), and
    #     for such a column the implicit centring's correction, mean_j times the drift of
    #     sum(w r) since it was last summed, swamped its gradient in float32 (coefficients
    #     of 1e23 and NaN, 16-22 of 30 lambdas unconverged, on the mixed-scale test problem
    #     with 80 of 400 columns full and 50 std from 0; every lambda converged with the
    #     copies). So a column 3 or more std from 0 (d >= 0.9) gets its copy beyond the
    #     budget too: correctness before memory.
    # Returns 0, or -1 when the copies an off-centre column needs could not be allocated
    # (the speed copies alone are best effort). w: the weights, or NULL. Free with
    # detach_dense_columns.
    cdef Py_ssize_t n = X.n_samples, p = X.n_features, j, k, s, m = 0, count = 0, nnz
    cdef ColumnSize* cand
    cdef Py_ssize_t* slot
    cdef floating* dense
    cdef const floating* data
    cdef double budget, mean, sq_norm, raw, mass
    cdef bint needed = False
    if Design is DenseDesign:
        return 0
    else:
        X.dense_slot = NULL
        X.dense = NULL
        if n == 0:
            return 0
        nnz = X.indptr[p] - X.indptr[0]
        budget = (DENSE_COPY_FRACTION * nnz * (sizeof(floating) + sizeof(X.indices[0]))
                  + DENSE_COPY_WORK * (n + p) * sizeof(floating))
        cand = <ColumnSize*> malloc(p * sizeof(ColumnSize))
        if cand == NULL:
            return -1
        for j in range(p):
            k = X.indptr[j + 1] - X.indptr[j]
            mass = k
            if w != NULL and center:
                mass = 0.0
                for s in range(X.indptr[j], X.indptr[j + 1]):
                    mass += w[X.indices[s]]
            if 2 * k >= n or (center and 10.0 * mass >= 9.0 * n):
                cand[m].nnz = k
                cand[m].j = j
                cand[m].mass = mass
                m += 1
        qsort(cand, m, sizeof(ColumnSize), larger_first)
        # the chosen ones first in cand[0 .. count)
        for s in range(m):
            if 2 * cand[s].nnz >= n and (count + 1) * n * sizeof(floating) <= budget:
                cand[count] = cand[s]
                count += 1
            elif center and 10.0 * cand[s].mass >= 9.0 * n:
                col_moments(X, cand[s].j, w, True, &mean, &sq_norm, &raw)
                if sq_norm > 0.0 and mean * mean >= 9.0 * sq_norm:
                    cand[count] = cand[s]
                    count += 1
                    needed = True
        slot = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t)) if count > 0 else NULL
        dense = <floating*> calloc(count * n, sizeof(floating)) if slot != NULL else NULL
        if dense == NULL:
            free(cand); free(slot)
            return -1 if needed else 0
        for j in range(p):
            slot[j] = -1
        data = <const floating*> X.data
        for s in range(count):
            j = cand[s].j
            slot[j] = s
            for k in range(X.indptr[j], X.indptr[j + 1]):
                dense[s * n + X.indices[k]] = data[k]
        free(cand)
        X.dense_slot = slot
        X.dense = dense
        return 0


cdef void detach_dense_columns(Design* X) noexcept nogil:
    if Design is not DenseDesign:
        free(<void*> X.dense_slot)
        free(<void*> X.dense)
        X.dense_slot = NULL
        X.dense = NULL


cdef int enet_path(const Design* X, const floating* y, const floating* w,
                   const Penalty* pen, const SolverOptions* opts,
                   double* lambdas, Py_ssize_t n_lambdas, bint lambdas_relative,
                   const floating* beta_init, floating* coefs,
                   PathReport* report) noexcept nogil:
    """Elastic-net path by working-set coordinate descent; see the module docstring.

    X: the design (any storage); y, w: targets and weights (w sums to n, or NULL);
    lambdas: decreasing, absolute, or multiples of lambda_max when lambdas_relative
    (then overwritten with the absolute values); beta_init: warm start or NULL;
    coefs: n_features x n_lambdas, column-major, zero-filled by the caller (only the
    non-zeros are written), or NULL: the non-zeros go to report.coef_indptr/indices/values
    (report.coef_indices and coef_values start NULL and are grown here); report: per-lambda
    results. Returns 0; -1 when memory ran out; -2 when a column of X is too large for
    float64 arithmetic (the sum of its squares overflows: values above ~1e154; rescale X).
    """
    cdef Design local = X[0]
    cdef int err = attach_dense_columns(&local, w, opts.fit_intercept)
    if err != 0:
        return err
    err = solve_path(&local, y, w, pen, opts, lambdas, n_lambdas, lambdas_relative,
                     beta_init, coefs, report)
    detach_dense_columns(&local)
    return err


cdef int solve_path(const Design* X, const floating* y, const floating* w,
                    const Penalty* pen, const SolverOptions* opts,
                    double* lambdas, Py_ssize_t n_lambdas, bint lambdas_relative,
                    const floating* beta_init, floating* coefs,
                    PathReport* report) noexcept nogil:
    # enet_path on X as given (with its dense column copies attached, for CSC data)
    cdef Py_ssize_t n = X.n_samples, p = X.n_features, i, j, k, idx
    cdef Py_ssize_t nnz = 0, capacity = 0
    cdef double ymean = 0.0, lam, lam_prev, delta, b0
    cdef floating* yc = <floating*> malloc(n * sizeof(floating))
    cdef floating* r = <floating*> malloc(n * sizeof(floating))
    cdef floating* beta = <floating*> malloc(p * sizeof(floating))
    # sparse output: the previous solution, dense, for the predictor
    cdef floating* prev = (<floating*> calloc(p, sizeof(floating))
                           if coefs == NULL and p > 0 and n_lambdas > 0 else NULL)
    cdef floating* values = NULL
    cdef Py_ssize_t* rows = NULL
    cdef const floating* coef_prev
    cdef State st
    cdef int err = 0
    cdef bint null_model
    # (with n_lambdas = 0 there is no solution to write, whatever coefs is: the report's
    # coef_* fields are then not touched; with p = 0 the columns are empty)
    cdef bint sparse_out = coefs == NULL and n_lambdas > 0
    if sparse_out:
        report.coef_indices = NULL
        report.coef_values = NULL
        report.coef_indptr[0] = 0
    if yc == NULL or r == NULL or beta == NULL or (sparse_out and p > 0 and prev == NULL):
        free(yc); free(r); free(beta); free(prev)
        return -1
    err = state_init(X, w, r, &st, pen, opts.fit_intercept)
    if err == 0:
        # centred targets and the null model: b = clip(0), unpenalized features fitted
        if opts.fit_intercept:
            for i in range(n):
                ymean += (1.0 if w == NULL else w[i]) * y[i]
            ymean /= n
            # constant y on the rows that count: centre exactly, not up to rounding
            k = -1
            i = 0
            while i < n:
                if w == NULL or w[i] > 0:
                    if k < 0:
                        k = i
                    elif y[i] != y[k]:
                        break
                i += 1
            if i == n and k >= 0:
                ymean = y[k]
        for i in range(n):
            yc[i] = <floating> (y[i] - ymean)
            r[i] = yc[i]
        settle_residual(r, yc, w, &st, False)
        st.null_obj = 0.5 * st.wr2 / n
        cols_dot(X, w, yc, st.yc_dot)
        for j in range(p):
            st.yc_dot[j] = 0.0 if st.flags[j] & CONSTANT else st.yc_dot[j] / n
            beta[j] = <floating> clip(0.0, pen.lower[j], pen.upper[j])
            if beta[j] != 0.0:
                move(X, j, beta[j], feature_grad(X, j, w, r, &st), r, &st)
                if st.flags[j] & CONSTANT:
                    st.fixed[st.n_fixed] = j
                    st.n_fixed += 1
        unpenalized_step(X, w, r, beta, &st, pen)
        settle_residual(r, yc, w, &st, False)
        compute_grads(X, w, r, &st, True)
        save_reference(r, w, &st)
        report.lambda_max = null_lambda_max(&st, pen)
        report.null_objective = st.null_obj
        if lambdas_relative:
            # lambda_max = 0: no penalized feature correlates with y (constant y, say);
            # every lambda then gives the null model, keep the grid positive
            lam = report.lambda_max if report.lambda_max > 0.0 else 1.0
            for k in range(n_lambdas):
                lambdas[k] *= lam
        if beta_init != NULL:
            for j in range(p):
                delta = clip(beta_init[j], pen.lower[j], pen.upper[j]) - beta[j]
                if delta != 0.0 and not st.flags[j] & CONSTANT:
                    move(X, j, delta, feature_grad(X, j, w, r, &st), r, &st)
                    beta[j] = <floating> (beta[j] + delta)
            settle_residual(r, yc, w, &st, False)
            compute_grads(X, w, r, &st, True)
            save_reference(r, w, &st)

        lam_prev = max(report.lambda_max, lambdas[0] if n_lambdas > 0 else 0.0)
        null_model = beta_init == NULL
        for k in range(n_lambdas):
            lam = lambdas[k]
            null_model = null_model and lam >= report.lambda_max
            if null_model:
                # at or above lambda_max the null model (with the gradients of the set-up's
                # full pass) is the solution: certified as it stands, no sweep that could
                # move a feature whose |s_j| equals its threshold up to rounding (a
                # coefficient of 4e-16 at lambda_max once the set-up went without
                # covariance mode)
                report.dual_gap[k] = duality_gap(&st, pen, lam, beta, True, True)
                if report.dual_gap[k] <= opts.tol * st.null_obj:
                    report.n_epochs[k] = 0
                    report.n_passes[k] = 0
                    report.status[k] = CONVERGED
                    # (every non-zero in the working set, for the output below)
                    for j in range(p):
                        if ((beta[j] != 0.0 or st.flags[j] & (UNPENALIZED | BOXED_FREE))
                                and not st.flags[j] & CONSTANT):
                            ws_add(&st, j)
                else:
                    null_model = False
            if not null_model:
                report.n_epochs[k] = solve_lambda(
                    X, yc, w, r, beta, &st, pen, opts, lam, lam_prev,
                    lambdas[k + 1] if k + 1 < n_lambdas else lam, &report.dual_gap[k],
                    &report.n_passes[k], &report.status[k])
            lam_prev = lam
            # every non-zero is in the working set or fixed (coefs came zero-filled)
            b0 = ymean
            if not sparse_out:
                for idx in range(st.n_ws):
                    j = st.ws[idx]
                    coefs[k * p + j] = beta[j]
                    b0 -= st.mean[j] * beta[j]
                for idx in range(st.n_fixed):
                    j = st.fixed[idx]
                    coefs[k * p + j] = beta[j]
                    b0 -= st.mean[j] * beta[j]
            else:
                # column k of the CSC output: rows[nnz:] = the non-zero j, values[nnz:] = beta[j]
                if nnz + st.n_ws + st.n_fixed > capacity:
                    capacity = max(2 * capacity, nnz + st.n_ws + st.n_fixed, 1024)
                    rows = <Py_ssize_t*> realloc(report.coef_indices,
                                                 capacity * sizeof(Py_ssize_t))
                    if rows != NULL:
                        report.coef_indices = rows
                    values = <floating*> realloc(report.coef_values, capacity * sizeof(floating))
                    if values != NULL:
                        report.coef_values = values
                    if rows == NULL or values == NULL:
                        err = -1
                        break
                for idx in range(st.n_ws + st.n_fixed):
                    j = st.ws[idx] if idx < st.n_ws else st.fixed[idx - st.n_ws]
                    if beta[j] != 0.0:
                        rows[nnz] = j
                        values[nnz] = beta[j]
                        nnz += 1
                        b0 -= st.mean[j] * beta[j]
                report.coef_indptr[k + 1] = nnz
            report.intercept[k] = b0
            # a negative gap is rounding: the certificate is 0
            report.dual_gap[k] = max(report.dual_gap[k], 0.0)
            if st.null_obj > 0.0:
                report.dual_gap[k] /= st.null_obj
                report.dev_ratio[k] = 1.0 - 0.5 * st.wr2 / n / st.null_obj
            else:
                report.dev_ratio[k] = 0.0
            # the next lambda starts from the secant through this solution and the last
            if k + 1 < n_lambdas and not opts.plain_warm_start:
                # the solution at lambdas[k - 1]
                if k == 0:
                    coef_prev = NULL
                elif sparse_out:
                    coef_prev = prev
                else:
                    coef_prev = coefs + (k - 1) * p
                predict_next(X, yc, w, r, beta, &st, pen, coef_prev,
                             lambdas[k - 1] if k > 0 else lam, lam, lambdas[k + 1])
                if sparse_out:
                    # prev <- this solution: prev[col k-1 rows] = 0; prev[col k rows] = values
                    for idx in range(report.coef_indptr[k - 1] if k > 0 else 0,
                                     report.coef_indptr[k]):
                        prev[rows[idx]] = 0.0
                    for idx in range(report.coef_indptr[k], report.coef_indptr[k + 1]):
                        prev[rows[idx]] = values[idx]
    state_free(&st)
    free(yc); free(r); free(beta); free(prev)
    return err


# ---------------------------------------------------------------------------------
# Python entry points (the low-level API): the design is built from arrays, the path
# runs without the GIL, results come back as a dict of arrays
# ---------------------------------------------------------------------------------

ctypedef fused index_t:
    int32_t
    int64_t


cdef dict _run(const Design* X, const floating[::1] y, const floating[::1] sample_weight,
               const double[::1] penalty_factor, const double[::1] lower_bounds,
               const double[::1] upper_bounds, double l1_ratio, double[::1] lambdas,
               bint lambdas_relative, const floating[::1] coef_init, double tol,
               Py_ssize_t max_epochs, bint fit_intercept, bint plain_warm_start,
               bint sparse_coef):
    cdef Py_ssize_t p = X.n_features, K = lambdas.shape[0], nnz, n = X.n_samples
    dtype = np.float32 if floating is float else np.float64
    # the low-level entry points get no validation from fastreg.enet_path: lengths that do
    # not match would read and write outside the arrays, and weights that do not sum to n
    # would make every certificate fail (the objective's convention), so check them here
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} values but X has {n} rows")
    for name, arr in (("penalty_factor", penalty_factor), ("lower_bounds", lower_bounds),
                      ("upper_bounds", upper_bounds), ("coef_init", coef_init)):
        if arr is not None and arr.shape[0] != p:
            raise ValueError(f"{name} must have one entry per feature ({p}); "
                             f"got {arr.shape[0]}")
    if sample_weight is not None:
        if sample_weight.shape[0] != n:
            raise ValueError(f"sample_weight has {sample_weight.shape[0]} values but X has "
                             f"{n} rows")
        w_arr = np.asarray(sample_weight)
        total = float(np.sum(w_arr, dtype=np.float64))
        if n and (not abs(total - n) <= (1e-5 if dtype is np.float32 else 1e-9) * n
                  or float(np.min(w_arr)) < 0.0):
            raise ValueError(f"sample_weight must be >= 0 and sum to n_samples = {n} (the "
                             f"objective's convention; fastreg.enet_path rescales them); got "
                             f"sum {total:.9g}, min {float(np.min(w_arr)):.3g}: pass "
                             f"w * n / w.sum()")
    # dense: zeros (pages the OS zero-fills when first touched, untouched ones cost
    # nothing), in huge pages where the OS offers them: with 4 KiB pages the scattered
    # non-zeros fault one page at a time (sparse 200,000 x 200,000 lasso: 0.40 s of the
    # path; with huge pages still 0.25 s, the zero-filling of 160 MB in this VM)
    coefs_arr = np.zeros((0 if sparse_coef else p, K), dtype=dtype, order="F")
    if not sparse_coef:
        advise_huge_pages(<void*> <size_t> coefs_arr.ctypes.data, coefs_arr.nbytes)
    indptr_arr = np.zeros(K + 1, dtype=np.intp)
    cdef Py_ssize_t[::1] coef_indptr = indptr_arr
    out = {name: np.zeros(K) for name in ("intercept", "dual_gap", "dev_ratio")}
    out["n_epochs"] = np.zeros(K, dtype=np.intp)
    out["n_passes"] = np.zeros(K, dtype=np.intp)
    out["status"] = np.zeros(K, dtype=np.intc)
    cdef floating[::1, :] coefs = coefs_arr
    cdef double[::1] intercept = out["intercept"], dual_gap = out["dual_gap"]
    cdef double[::1] dev_ratio = out["dev_ratio"]
    cdef Py_ssize_t[::1] n_epochs = out["n_epochs"], n_passes = out["n_passes"]
    cdef int[::1] status = out["status"]
    cdef Penalty pen
    cdef SolverOptions opts
    cdef PathReport report
    cdef int err
    cdef const floating* w = NULL if sample_weight is None else &sample_weight[0]
    cdef const floating* b0 = NULL if coef_init is None else &coef_init[0]
    pen.l1_ratio = l1_ratio
    pen.factor = &penalty_factor[0]
    pen.lower = &lower_bounds[0]
    pen.upper = &upper_bounds[0]
    opts.tol = tol
    opts.max_epochs = max_epochs
    opts.fit_intercept = fit_intercept
    opts.plain_warm_start = plain_warm_start
    report.intercept = &intercept[0] if K else NULL
    report.dual_gap = &dual_gap[0] if K else NULL
    report.dev_ratio = &dev_ratio[0] if K else NULL
    report.n_epochs = &n_epochs[0] if K else NULL
    report.n_passes = &n_passes[0] if K else NULL
    report.status = &status[0] if K else NULL
    report.coef_indptr = &coef_indptr[0]
    report.coef_indices = NULL
    report.coef_values = NULL
    with nogil:
        err = enet_path(X, &y[0], w, &pen, &opts, &lambdas[0] if K else NULL, K,
                        lambdas_relative, b0,
                        &coefs[0, 0] if K and not sparse_coef else NULL, &report)
    if sparse_coef and err == 0:
        # (copied out: a few entries per lambda, not p)
        nnz = coef_indptr[K]
        rows = np.empty(nnz, dtype=np.intp)
        values = np.empty(nnz, dtype=dtype)
        if nnz:
            memcpy(<void*> <size_t> rows.ctypes.data, report.coef_indices,
                   nnz * sizeof(Py_ssize_t))
            memcpy(<void*> <size_t> values.ctypes.data, report.coef_values,
                   nnz * sizeof(floating))
        out["coef_sparse"] = (values, rows, indptr_arr)
    free(report.coef_indices)
    free(report.coef_values)
    if err == -2:
        from fastreg._validation import column_too_large
        raise column_too_large(_overflowing_column(X, sample_weight, fit_intercept))
    if err != 0:
        raise MemoryError("fastreg: could not allocate the solver's work arrays")
    out["coef"] = None if sparse_coef else coefs_arr
    out["lambda_max"] = report.lambda_max
    out["null_objective"] = report.null_objective
    return out


cdef Py_ssize_t _overflowing_column(const Design* X, const floating[::1] sample_weight,
                                    bint fit_intercept):
    # the first column whose moments overflow (state_init's check), or -1
    cdef Py_ssize_t j
    cdef double mean, sq_norm, raw
    cdef const floating* w = NULL if sample_weight is None else &sample_weight[0]
    for j in range(X.n_features):
        col_moments(X, j, w, fit_intercept, &mean, &sq_norm, &raw)
        if not moments_finite(mean, sq_norm, raw):
            return j
    return -1


def enet_path_dense(const floating[::1, :] X not None, const floating[::1] y not None, *,
                    const floating[::1] sample_weight=None,
                    const double[::1] penalty_factor not None,
                    const double[::1] lower_bounds not None,
                    const double[::1] upper_bounds not None,
                    double l1_ratio, double[::1] lambdas not None, bint lambdas_relative,
                    const floating[::1] coef_init=None, double tol, Py_ssize_t max_epochs,
                    bint fit_intercept, bint plain_warm_start=False, bint sparse_coef=False):
    """Path on a Fortran-ordered dense X (used in place). Arguments as for `enet_path`;
    sparse_coef: the solutions as out["coef_sparse"] = (values, rows, indptr), CSC columns
    with rows in any order, instead of the dense out["coef"]."""
    cdef DenseDesign design
    design.data = &X[0, 0]
    design.ld = X.strides[1] // sizeof(floating)
    design.n_samples = X.shape[0]
    design.n_features = X.shape[1]
    return _run(&design, y, sample_weight, penalty_factor, lower_bounds, upper_bounds,
                l1_ratio, lambdas, lambdas_relative, coef_init, tol, max_epochs,
                fit_intercept, plain_warm_start, sparse_coef)


def unit_columns(const floating[::1] data not None, const index_t[::1] indptr not None):
    """Per column of a CSC matrix, 1 when every stored value is exactly 1 (int8 array)."""
    cdef Py_ssize_t j, k, p = indptr.shape[0] - 1
    if p < 0:
        raise ValueError("indptr must have at least one entry (n_features + 1)")
    for j in range(p):
        if not 0 <= indptr[j] <= indptr[j + 1] <= data.shape[0]:
            raise ValueError(f"indptr must be non-decreasing within [0, len(data) = "
                             f"{data.shape[0]}]; got indptr[{j}:{j + 2}] = "
                             f"{indptr[j]}, {indptr[j + 1]}")
    out = np.zeros(p, dtype=np.int8)
    cdef char[::1] flags = out
    cdef char one
    # flags[j] = np.all(data[indptr[j]:indptr[j + 1]] == 1), stopping at the first other value
    with nogil:
        for j in range(p):
            one = 1
            for k in range(indptr[j], indptr[j + 1]):
                if data[k] != 1.0:
                    one = 0
                    break
            flags[j] = one
    return out


def enet_path_csc(const floating[::1] data not None, const index_t[::1] indices not None,
                  const index_t[::1] indptr not None, Py_ssize_t n_samples,
                  const floating[::1] y not None, *,
                  const floating[::1] sample_weight=None,
                  const double[::1] penalty_factor not None,
                  const double[::1] lower_bounds not None,
                  const double[::1] upper_bounds not None,
                  double l1_ratio, double[::1] lambdas not None, bint lambdas_relative,
                  const floating[::1] coef_init=None, double tol, Py_ssize_t max_epochs,
                  bint fit_intercept, bint plain_warm_start=False, bint sparse_coef=False,
                  bint skip_unit_values=True):
    """Path on a CSC matrix given by its arrays (used in place, no duplicate entries);
    sparse_coef as for `enet_path_dense`. skip_unit_values: columns whose stored values
    are all 1 take the value-free loops (the same results; False only to test that)."""
    cdef CSCDesign32 d32
    cdef CSCDesign64 d64
    cdef const void* values = &data[0] if data.shape[0] else NULL
    if indices.shape[0] != data.shape[0]:
        raise ValueError(f"indices must have one entry per stored value ({data.shape[0]}); "
                         f"got {indices.shape[0]}")
    unit_arr = unit_columns(data, indptr) if skip_unit_values else np.zeros(0, dtype=np.int8)
    cdef const char[::1] unit = unit_arr
    cdef const char* unit_ptr = &unit[0] if unit.shape[0] else NULL
    if index_t is int32_t:
        csc_design32(&d32, values, &indices[0] if indices.shape[0] else NULL, &indptr[0],
                     n_samples, indptr.shape[0] - 1, unit_ptr)
        return _run(&d32, y, sample_weight, penalty_factor, lower_bounds, upper_bounds,
                    l1_ratio, lambdas, lambdas_relative, coef_init, tol, max_epochs,
                    fit_intercept, plain_warm_start, sparse_coef)
    else:
        csc_design64(&d64, values, &indices[0] if indices.shape[0] else NULL, &indptr[0],
                     n_samples, indptr.shape[0] - 1, unit_ptr)
        return _run(&d64, y, sample_weight, penalty_factor, lower_bounds, upper_bounds,
                    l1_ratio, lambdas, lambdas_relative, coef_init, tol, max_epochs,
                    fit_intercept, plain_warm_start, sparse_coef)


def _newton_directions(const double[:, ::1] G not None, list sets not None,
                       const double[::1] lambdas not None, double l1_ratio,
                       const double[::1] penalty_factor not None,
                       const double[:, ::1] rhs not None, Py_ssize_t n_samples):
    """Test hook of the Newton step's linear algebra (_newton.pxi), without a design.

    For each k, the direction d = (G_AA + lambdas[k] (1 - l1_ratio) diag(v_A))^-1 b on
    A = sets[k] with b = rhs[k, :|A|], computed as the path computes it: by the factor kept
    from step k - 1 when that is cheaper (extended by the features that entered, constrained
    on those that left), else by a fresh one. Returns, per step, d (None where the factor
    was refused as nearly singular), |S| and |S minus A| of the factor used.
    """
    cdef Py_ssize_t p = G.shape[0], k, a, m
    cdef GramCache g
    cdef NewtonWork nw
    cdef Penalty pen
    cdef bint ok
    if G.shape[1] != p or penalty_factor.shape[0] != p:
        raise ValueError("G must be square and penalty_factor of its size")
    if lambdas.shape[0] != len(sets) or rhs.shape[0] != len(sets) or rhs.shape[1] < p:
        raise ValueError("lambdas must have one entry and rhs one row of at least "
                         "G.shape[0] entries per set")
    zeros = np.zeros(p)
    cdef const double[::1] bound = zeros
    pen.l1_ratio = l1_ratio
    pen.factor = &penalty_factor[0]
    pen.lower = &bound[0]
    pen.upper = &bound[0]
    g.cap = p
    g.max_slots = p
    g.n_slots = p
    g.G = <double*> &G[0, 0]
    g.slot = <Py_ssize_t*> malloc(p * sizeof(Py_ssize_t))
    if g.slot == NULL:
        raise MemoryError()
    for a in range(p):
        g.slot[a] = a
    newton_init(&nw)
    out = []
    try:
        for k, A in enumerate(sets):
            A = np.asarray(A, dtype=np.intp)
            m = A.shape[0]
            if m == 0 or A.min() < 0 or A.max() >= p or np.unique(A).shape[0] != m:
                raise ValueError(f"sets[{k}] must be a non-empty set of distinct feature "
                                 f"indices in [0, {p})")
            if not newton_reserve(&nw, m, p):
                raise MemoryError()
            for a in range(m):
                nw.idx[a] = A[a]
                nw.slot[a] = A[a]
            nw.m = m
            ok = newton_factor(&nw, &g, n_samples, &pen, lambdas[k])
            if not ok:
                newton_forget(&nw)
                out.append((None, 0, 0))
                continue
            for a in range(m):
                nw.vec[nw.cap + a] = rhs[k, a]
            newton_direction(&nw, &g, &pen, lambdas[k])
            out.append((np.array(<double[:m]> nw.vec), nw.fs, nw.nr))
    finally:
        newton_free(&nw)
        free(g.slot)
    return out
