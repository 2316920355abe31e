# The penalty as data (one prox, one value, one conjugate, one KKT test) and the small
# dense LDL^T solver of the unpenalized block; included by _cd.pyx.

# ---------------------------------------------------------------------------------
# the penalty, as data: one prox, one value, one conjugate, one KKT test
# ---------------------------------------------------------------------------------

cdef inline double clip(double b, double lo, double hi) noexcept nogil:
    return lo if b < lo else (hi if b > hi else b)


cdef inline double prox(double z, double denom, double alpha, double lo, double hi) noexcept nogil:
    # argmin_b denom/2 b^2 - z b + alpha |b| on [lo, hi] = clip(soft(z, alpha) / denom)
    if z > alpha:
        return clip((z - alpha) / denom, lo, hi)
    if z < -alpha:
        return clip((z + alpha) / denom, lo, hi)
    return clip(0.0, lo, hi)


cdef inline double penalty_value(double b, double alpha, double kappa) noexcept nogil:
    return alpha * fabs(b) + 0.5 * kappa * b * b


cdef inline double penalty_conjugate(double s, double alpha, double kappa,
                                     double lo, double hi) noexcept nogil:
    # g*(s) = sup_{lo <= b <= hi} s b - alpha |b| - kappa/2 b^2 (a concave 1-d problem)
    cdef double b, val
    if kappa > 0.0:
        b = prox(s, kappa, alpha, lo, hi)
        return s * b - alpha * fabs(b) - 0.5 * kappa * b * b
    # piecewise linear: the sup sits at 0 or at a finite bound (the infinite sides were
    # made feasible by the dual scaling)
    val = 0.0 if lo <= 0.0 <= hi else -INFINITY
    if hi < INFINITY:
        val = max(val, s * hi - alpha * fabs(hi))
    if lo > -INFINITY:
        val = max(val, s * lo - alpha * fabs(lo))
    return val


cdef inline double kkt_violation(double s, double alpha, double lo, double hi) noexcept nogil:
    # how far b = 0 is from optimal: s must lie in [-alpha, alpha], one side only at a bound
    cdef double v = 0.0
    if hi > 0.0:
        v = max(v, s - alpha)
    if lo < 0.0:
        v = max(v, -s - alpha)
    return v


# ---------------------------------------------------------------------------------
# small dense linear algebra for the unpenalized block
# ---------------------------------------------------------------------------------

cdef void ldl_factor(const double* G, double* F, Py_ssize_t m, double rtol=1e-13) noexcept nogil:
    # G = L D L^T for symmetric PSD G; a pivot that is (numerically) dependent on the
    # previous columns (below rtol of its diagonal entry) gets D = 0 and is left out of the
    # solves
    cdef Py_ssize_t i, k, l
    cdef double d, acc
    for k in range(m):
        d = G[k * m + k]
        for i in range(k):
            d -= F[k * m + i] * F[k * m + i] * F[i * m + i]
        if d <= rtol * G[k * m + k] or d <= 0.0:
            d = 0.0
        F[k * m + k] = d
        for l in range(k + 1, m):
            acc = G[l * m + k]
            for i in range(k):
                acc -= F[l * m + i] * F[k * m + i] * F[i * m + i]
            F[l * m + k] = acc / d if d > 0.0 else 0.0


cdef void ldl_solve(const double* F, Py_ssize_t m, double* x) noexcept nogil:
    # x <- G^+ x from the factor (least-squares solution when G is singular)
    cdef Py_ssize_t i, k
    for k in range(m):
        for i in range(k):
            x[k] -= F[k * m + i] * x[i]
    for k in range(m):
        x[k] = x[k] / F[k * m + k] if F[k * m + k] > 0.0 else 0.0
    for k in range(m - 1, -1, -1):
        for i in range(k + 1, m):
            x[k] -= F[i * m + k] * x[i]
