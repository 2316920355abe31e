# The path's predictor (included by _cd.pyx): the next lambda starts from the secant
# through the last two solutions, not from the last one.
#
# Along a lasso path beta(lam) is piecewise linear in lam (and smooth for the elastic
# net), so with t = (lam_next - lam) / (lam - lam_prev)
#     beta_pred = beta + t (beta - beta_prev)
# errs by O(dlam^2) where the warm start beta errs by O(dlam): the first epochs at the
# next lambda have less to do. Its residual is the same secant of the residuals,
#     r(beta_pred) = (1 + t) r - t r_prev,
# one O(n) sweep, not a column update per non-zero. A coefficient whose secant crosses 0
# (it is leaving the support) or a bound stops there instead, and only those get a
# column update.


cdef void predict_next(const Design* X, const floating* yc, const floating* w, floating* r,
                       floating* beta, State* st, const Penalty* pen,
                       const floating* coef_prev, double lam_prev, double lam,
                       double lam_next) noexcept nogil:
    # after lambda `lam` is solved (coef_prev: the solution at lam_prev, or NULL):
    # move beta and r to the secant prediction for lam_next, and keep this solution's
    # residual and support for the next call
    cdef Secant* sec = &st.sec
    cdef Py_ssize_t i, j, idx, m = 0, moving, new
    cdef Py_ssize_t* swap
    cdef double t, b1, b_prev, lin, target, delta, ri, wi, u_data, chain
    cdef double sweep_rounding, coef_rounding = 0.0
    cdef double wr2 = 0.0, wry = 0.0, sum_wr = 0.0, ws_nnz
    cdef bint predict, moved = False, gram_on
    u_data = ROUNDOFF if floating is double else ROUNDOFF32
    # worth it when the epochs it saves (measured: a fifth to a third of them) cost more
    # than its O(n) sweeps: not for covariance-mode epochs over a few features of a long
    # residual (one-hot data, the start of most paths). Short sweeps (microseconds) are
    # always worth it, which also keeps the choice the same for data with repeated rows
    # and for the same data with weights (the same iterates, as scikit-learn checks)
    ws_counts(X, beta, st, &ws_nnz, &moving, &new)
    if st.n > SHORT_SWEEP and (
            st.last_epochs * epoch_cost(ws_nnz, moving, st.n_ws, st.gram.n_slots, st.gram.on)
            < 8.0 * st.n):
        sec.valid = False
        return
    # (in covariance mode too: the residual was recomputed for the certificate, and the
    # next lambda's slotted gradients are computed from it)
    gram_on = st.gram.on
    st.gram.on = False
    if st.offset != 0.0 or st.drift_steps > 0:
        settle_residual(r, yc, w, st, False)
    predict = (sec.valid and coef_prev != NULL and lam_prev > lam > lam_next)
    t = min((lam - lam_next) / (lam_prev - lam), 1.0) if predict else 0.0
    if predict:
        # r(beta) errs from yc - X_c beta by e, r_prev by e_prev, and the secant's error is
        # e + t (e - e_prev): e - e_prev is what the drift grew by since r_prev was stored
        # (the rounding of the last recomputation, common to both, cancels); when a
        # recomputation came in between, both errors, each with its recomputation's
        # rounding (which a certificate does not count, but t amplifies here)
        if st.recomputes == sec.recomputes:
            chain = st.drift - sec.drift
        else:
            chain = st.drift + st.recompute_err + sec.drift + sec.recompute_err
        # r <- (1 + t) r - t r_prev, r_prev <- r, and the new r's sums (as in
        # settle_residual)
        for i in range(st.n):
            ri = r[i]
            r[i] = <floating> ((1.0 + t) * ri - t * sec.r_prev[i])
            sec.r_prev[i] = ri
            wi = 1.0 if w == NULL else w[i]
            ri = r[i]
            wr2 += wi * ri * ri
            wry += wi * ri * yc[i]
            sum_wr += wi * ri
        # each entry rounds by 3u of the terms' magnitudes (and by u_data when stored)
        sweep_rounding = ((3.0 * ROUNDOFF + u_data)
                          * ((1.0 + t) * st.r_norm + t * sec.r_prev_norm))
        sec.r_prev_norm = st.r_norm
        sec.drift = st.drift
        st.drift += t * chain + sweep_rounding
        st.wr2 = wr2
        st.wry = wry
        st.sum_wr = sum_wr
        st.r_norm = sqrt(wr2)
    else:
        for i in range(st.n):
            sec.r_prev[i] = r[i]
        sec.r_prev_norm = st.r_norm
        sec.drift = st.drift
    sec.recomputes = st.recomputes
    sec.recompute_err = st.recompute_err
    # this solution's support (every non-zero is in the working set, or constant)
    for idx in range(st.n_ws):
        j = st.ws[idx]
        if beta[j] != 0.0 and not st.flags[j] & CONSTANT:
            sec.next_support[m] = j
            m += 1
    # the coefficients: every feature non-zero now or at lam_prev (PREDICTED marks the
    # ones met), r already moved to the secant of them all
    for idx in range(sec.n_support + st.n_ws if predict else 0):
        j = sec.support[idx] if idx < sec.n_support else st.ws[idx - sec.n_support]
        if st.flags[j] & (PREDICTED | CONSTANT):
            continue
        st.flags[j] |= PREDICTED
        b1 = beta[j]
        b_prev = coef_prev[j]
        lin = b1 + t * (b1 - b_prev)
        if st.flags[j] & UNPENALIZED:
            target = lin
        else:
            target = clip(lin if lin * b1 > 0.0 else 0.0, pen.lower[j], pen.upper[j])
        beta[j] = <floating> target
        # the secant of r moved b_j to lin (computed with rounding 3u (|b1| + t |b1 - b_prev|));
        # a clipped one, or its rounding into beta's dtype, is the difference
        delta = <double> beta[j] - lin
        coef_rounding += 3.0 * ROUNDOFF * (fabs(b1) + t * fabs(b1 - b_prev)) * st.raw_norm[j]
        if delta != 0.0:
            apply_delta(X, j, delta, r, st)
            moved = True
    if predict:
        for idx in range(sec.n_support + st.n_ws):
            j = sec.support[idx] if idx < sec.n_support else st.ws[idx - sec.n_support]
            st.flags[j] &= ~PREDICTED
        st.drift += coef_rounding
        if moved:
            settle_residual(r, yc, w, st, False)
        else:
            st.primal_r2 = (st.r_norm + st.drift) ** 2
    st.gram.on = gram_on
    swap = sec.support
    sec.support = sec.next_support
    sec.next_support = swap
    sec.n_support = m
    sec.valid = True
