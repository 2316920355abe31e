r"""The iterative ridge route: one Krylov basis for every lambda (large sparse X).

The ridge systems (A^T A + lam I) gamma = A^T z of all lambdas share one Krylov space,
that of A^T A started at A^T z: one Golub-Kahan bidiagonalization of A started at z, the
engine of LSQR (Paige & Saunders 1982, sec. 3-4), serves every lambda. After k steps,

    A V_k = U_{k+1} B_k,    A^T U_{k+1} = V_k B_k^T + alpha_{k+1} v_{k+1} e_{k+1}^T,

and damped LSQR's Givens rotations, run for all lambdas at once (O(n_lambdas) per step),
give each lambda's iterate gamma = V_k y and the estimate alpha_{k+1} |s_k phi_k| of its
gradient norm ||A^T r - lam gamma||. The recursion stops when every lambda's estimated
gap is below half the target; V_k and the products A V_k are stored, so the iterates
and their residual sums of squares ||z - A V_k y||^2 cost two matrix products, no pass
over X.

**Certificate without a pass.** LSQR's estimate assumes orthogonal bases, which
floating point loses. The computed vectors do satisfy the two recurrences above to
rounding, whatever their orthogonality (Paige 1976), so A^T r - lam gamma = V_{k+1} h
with h from the bidiagonal (`_gradient_coordinates`), and by the triangle inequality

    ||A^T r - lam gamma|| = ||V_{k+1} h|| <= sum_i |h_i| ||v_i|| <= (1 + nu) ||h||_1,

nu bounding the rounding of the computed unit vectors' norms (`_gradient_bound`): no
orthogonality assumed, O(k n_lambdas). The bound is tight because h is concentrated on
its last coordinate: h_1..h_k are the residual of the projected normal equations
B_k^T (beta_1 e_1 - B_k y) = lam y that y solves (zero up to the rounding of that small
solve), h_{k+1} = alpha_{k+1} c_{k+1} is LSQR's estimate. On the text-like benchmark it
equals h^T (V^T V) h (the exact ||V h||^2 up to the rounding of the Gram matrix, the
previous certificate, 12 ms of the 0.146 s path) at the lambdas nearest their target,
to 3e-11 at tol 1e-4 and 1e-8 and 2e-7 at tol 1e-12 (249 steps); it is larger (up to
12x) only where the gap is many decades below the target and rounding dominates h.

Measured on the text-like benchmark (20,000 x 50,000 TF-IDF, 100-lambda grid down to
df ~ rank / 1.01): the smallest lambda needs ~85-90 steps for a suboptimality of 1e-6
of P(0), and full reorthogonalization of U and V changes that by less than one step
(the convergence is the spectrum's, not lost orthogonality), so none is done.

The steps run in compiled code (`_krylov`, without the GIL): per step one pass over the
CSR rows of sparse X gives A v and A^T (A v - alpha u) (0.65-0.7 ms against 0.77 ms for
two passes on the text-like benchmark), and the rotations of every lambda; Python only
allocates the stored blocks and, after the loop, solves the bidiagonal systems and forms
the certificate; gamma (over the first block of V, no memory of its own) and the RSS
are formed in compiled code too, row block by row block (`_pieces`).

A lambda whose certificate still fails (loss of orthogonality at a tight tol, the
KRYLOV_MEMORY cap on the stored bases) is finished by Jacobi-preconditioned CG on the
normal equations, warm-started there, and certified from the data
(`_ridge_design.certificate`).
"""
from __future__ import annotations

import numpy as np

from fastreg import _krylov
from fastreg._krylov import GolubKahan

__all__ = ["KRYLOV_MEMORY", "cg_polish", "krylov_path"]

KRYLOV_MEMORY = 1 << 30         # bytes of stored Krylov basis before switching to CG
CHUNK = 128                     # basis vectors per stored block


def krylov_path(red, z, lambdas, target, max_iter):
    """One Golub-Kahan bidiagonalization for all lambdas, damped LSQR's rotations vectorized.

    Returns (gamma (p_P, L), Fortran-ordered, RSS ||z - A gamma||^2 (L,),
    ||A^T r - lam gamma||^2 (L,), iterations, mu_P^T gamma (L,) with mu_P the centring
    of the penalized columns as rescaled, for the intercepts). Stops when every lambda's estimated gap
    ||A^T r - lam gamma||^2 / (2 lam) is below target / 2 (lam = 0: ||A^T r|| below
    sqrt(eps) ||A||_F ||r||), at max_iter, or when the stored bases (V and A V) reach
    KRYLOV_MEMORY. The steps run in compiled code (`_krylov.GolubKahan`), one stored block
    of CHUNK columns per call (the first one has at least L columns: gamma is formed over
    them, `_krylov.combine_in_place`).
    """
    L, n, p = lambdas.size, red.n, red.p_pen
    # the test is grad^2 <= target * lam, i.e. gap <= target / 2; lam = 0 separately
    steps = GolubKahan(red.op.compiled(), z, lambdas, target * lambdas)
    if steps.finished and steps.steps == 0:         # A^T z = 0: gamma = 0 for every lambda
        return np.zeros((p, L), order="F"), np.full(L, float(z @ z)), np.zeros(L), 0, np.zeros(L)
    max_iter = max(1, min(max_iter, KRYLOV_MEMORY // (8 * (p + n))))
    chunk = min(max_iter, CHUNK)
    V, AV = [], []                  # blocks of the columns v_i and A v_i, Fortran-ordered
    k = 0
    while k < max_iter and not steps.finished:
        V.append(np.empty((p, chunk if V else max(chunk, L)), order="F"))
        AV.append(np.empty((n, V[-1].shape[1]), order="F"))
        k += steps.run(V[-1], AV[-1], max_iter - k)
    alphas, betas, rho_h, theta_h, phi_h = steps.bidiagonal()
    Y = np.asfortranarray(_basis_coefficients(rho_h, theta_h, phi_h))
    pieces = _pieces([block.shape[1] for block in V], Y)
    # RSS = ||z - (A V_k) y||^2 from the stored products, then gamma = V_k y over V itself
    rss = _krylov.residual_norms(AV, Y, pieces, z)
    mean_gamma = _krylov.combine_in_place(V, Y, pieces, red.mean[red.pen] * red.scale)
    H = _gradient_coordinates(alphas, betas, Y, lambdas)
    grad_sq = _gradient_bound(H, p)
    return V[0][:, :L], rss, grad_sq, k, mean_gamma


def _pieces(widths, Y, width=16):
    """The products B Y of the stored columns B (blocks of the given widths) in pieces
    (block, column, row, count, l0) for `_krylov`: ``width`` rows of Y at a time (within
    a block), each multiplying only the columns of Y from the first one with a non-zero
    there on (the first piece: all of them). The larger lambdas converge in fewer steps,
    and their trailing coefficients are zero (`_basis_coefficients`).

    Measured on the text-like benchmark (90 steps, 100 lambdas, 48% of Y non-zero before
    the tail rule of `_basis_coefficients`, 40% after): V Y 16.5 -> 12.2 ms, (A V) Y 5.6
    -> 4.4 ms at 48% (BLAS, pieces against one product; width 12-32 within 1 ms of each
    other; columns of Y in groups, each with its own depth: no gain).
    """
    k, L = Y.shape
    nonzero = Y != 0
    # last[l]: 1 + the row of Y[:, l]'s last non-zero (0 if none)
    last = np.where(nonzero.any(axis=0), k - np.argmax(nonzero[::-1], axis=0), 0)
    pieces, start = [], 0
    for block, w in enumerate(widths):
        for lo in range(0, min(w, k - start), width):
            count = min(width, w - lo, k - start - lo)
            # Y[start + lo:, l] = 0 for every l < l0 (the first piece takes every column)
            l0 = int(np.argmax(np.append(last > start + lo, True))) if pieces else 0
            if l0 < L:
                pieces.append((block, lo, start + lo, count, l0))
        start += w
    return np.array(pieces, dtype=np.intp).reshape(-1, 5)


def _basis_coefficients(rho_h, theta_h, phi_h):
    """Y ((k, L)) with gamma = V_k y for every lambda: R_k y = f_k, R_k upper bidiagonal
    (rho on, theta above the diagonal) from the rotations of k steps."""
    k, L = rho_h.shape
    Y = np.empty((k, L))
    Y[k - 1] = phi_h[k - 1] / rho_h[k - 1]
    for i in range(k - 2, -1, -1):
        Y[i] = (phi_h[i] - theta_h[i] * Y[i + 1]) / rho_h[i]
    # drop what cannot matter: denormal-bound numbers (slow in the products), and each
    # column's tail whose sum is below one rounding of its largest entry, eps max |y_i|
    # (the later steps of a lambda that converged early; `_pieces` skips them)
    size = np.max(np.abs(Y), axis=0)
    Y[np.abs(Y) < 1e-30 * size] = 0.0
    tail = np.cumsum(np.abs(Y[::-1]), axis=0)[::-1]      # sum_{j >= i} |y_j|
    Y[tail < np.finfo(np.float64).eps * size] = 0.0
    return Y


def _gradient_coordinates(alphas, betas, Y, lambdas):
    """H ((k+1, L)) with A^T r - lam gamma = V_{k+1} H for gamma = V_k Y, r = z - A gamma.

    The computed vectors satisfy, to rounding and whatever their orthogonality (Paige
    1976), A v_i = alpha_i u_i + beta_{i+1} u_{i+1} and A^T u_i = alpha_i v_i + beta_i v_{i-1},
    with z = beta_1 u_1. Hence r = U_{k+1} c, c = beta_1 e_1 - B_k y (B_k lower bidiagonal,
    alpha on and beta below the diagonal), and A^T r = V_{k+1} B_{k+1}^T c, B_{k+1} the
    square (k+1) lower bidiagonal: h_i = alpha_i c_i + beta_{i+1} c_{i+1}. ``alphas`` and
    ``betas`` are alpha_1..alpha_{k+1} and beta_1..beta_{k+1}.
    """
    k, L = Y.shape
    C = np.zeros((k + 1, L))
    C[0] = betas[0]
    C[:k] -= alphas[:k, None] * Y                      # - B_k y: alpha_i y_i ...
    C[1:] -= betas[1:, None] * Y                       # ... and beta_{i+1} y_i below
    H = alphas[:, None] * C
    H[:k] += betas[1:, None] * C[1:]
    H[:k] -= lambdas * Y
    return H


def _gradient_bound(H, p):
    """An upper bound on ||V H_l||^2 for each column H_l of H ((m, L)), V any (p, m) matrix
    whose columns were computed as unit vectors (or zero): (1 + nu) ||h||_1 squared, with
    no assumption on V^T V (module docstring).

    A computed column v = fl(x fl(1 / alpha)) with alpha = fl(sqrt(fl(x . x))) has
    ||v|| <= (1 + u)^2 / ((1 - u) sqrt(1 - gamma_p)) <= 1 + (p / 2 + 4) u (u = eps / 2,
    gamma_p the dot product's relative error for non-negative terms; v_1 = fl(x / alpha)
    has less). The rounding of the sum of m terms (gamma_m) and of the squaring are
    covered by the same factor: (1 + (p + m + 12) eps) ||h||_1, squared.
    """
    m = H.shape[0]
    # sum_i |h_i| (1 + nu), nu covering the norms of the v_i and this sum's rounding
    h1 = np.sum(np.abs(H), axis=0) * (1.0 + (p + m + 12) * np.finfo(np.float64).eps)
    return h1 * h1


def cg_polish(red, z, lam, gamma, diag, target, max_iter):
    """Jacobi-preconditioned CG on (A^T A + lam) gamma = A^T z from gamma, until the true
    gap ||g||^2 / (2 lam) <= target. Returns (gamma, iterations)."""
    op = red.op
    b = op.rmatmat(z)
    r = b - op.rmatmat(op.matmat(gamma)) - lam * gamma
    precond = 1.0 / (diag + lam)
    zr = precond * r
    direction = zr.copy()
    rz = r @ zr
    for it in range(max_iter):
        if r @ r / (2.0 * lam) <= 0.5 * target:
            r = b - op.rmatmat(op.matmat(gamma)) - lam * gamma   # the recursion drifts
            if r @ r / (2.0 * lam) <= target:
                return gamma, it
            zr = precond * r
            direction, rz = zr.copy(), r @ zr
        q = op.rmatmat(op.matmat(direction)) + lam * direction
        step = rz / (direction @ q)
        gamma = gamma + step * direction
        r = r - step * q
        zr = precond * r
        rz_new = r @ zr
        direction = zr + (rz_new / rz) * direction
        rz = rz_new
    return gamma, max_iter
