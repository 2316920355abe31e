r"""The direct ridge routes: one eigendecomposition for every lambda, or Cholesky per lambda.

``solver="eigen"`` (dense X or small sparse X): one symmetric eigendecomposition of the
smaller of M = A^T A (p x p, when p < n) and M = A A^T (n x n, also when n = p:
leave-one-out then needs no product A W), by LAPACK's divide and conquer (``syevd``,
measured 4% faster than ``syevr`` at 2000 x 2000 with vectors). Then for every lambda in
O(min(n, p) * p): the coefficients, the effective degrees of freedom
df = sum_k s_k^2 / (s_k^2 + lam), and, from the hat matrix H = P_0 + A (A^T A + lam)^{-1} A^T
(P_0 the projection on the intercept and unpenalized block), the exact leave-one-out
residuals e_i / (1 - H_ii) (Allen 1974; Golub, Heath & Wahba 1979 for GCV; the stable
kernel form of Rifkin & Lippert 2007 when n < p) and GCV = RSS / (1 - tr(H)/n)^2. The
hat diagonals of all lambdas are one matrix product, diag(H_lam) = (U * U) @ F with
F[k, l] = s_k^2 / (s_k^2 + lam_l) (or its kernel form).

The decomposition is the floor of this route: at n = p = 2000 it is 1.1 s of a
1.3 s path with leave-one-out (single-threaded BLAS), and scikit-learn's RidgeCV pays
the same eigendecomposition (the eigenvalues alone take half of it; the hat diagonal
needs the vectors).

``solver="cholesky"`` factors M + lam I instead: the cheapest route for one or two
lambdas, without leave-one-out.

The certificate of both is evaluated through the normal matrix M as formed from the data
(not through its decomposition, so the eigensolver's errors show), O(min(n, p)^2) per
lambda.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as la

from fastreg._ridge_design import gap

__all__ = ["Direct"]


def _eigh(M):
    """Eigenvalues (ascending) and vectors of the symmetric M, divide and conquer first."""
    try:
        return la.eigh(M, check_finite=False, driver="evd")
    except la.LinAlgError:          # syevd did not converge (rare): the RRR driver
        return la.eigh(M, check_finite=False, driver="evr")


class Direct:
    """The normal matrix M = A^T A ("primal", when p_P < n) or A A^T ("dual"), kept for the
    certificate, and its eigendecomposition A = U diag(sig) W^T (eigen) or one Cholesky
    factorization per lambda (cholesky). Shared by every target of a fit."""

    def __init__(self, red, eigen):
        self.red, self.eigen = red, eigen
        self.primal = red.p_pen < red.n
        self.M = red.op.gram() if self.primal else red.op.kernel()
        self._AW = None
        if not eigen:
            return
        if self.M.size:
            sq, self.vecs = _eigh(self.M)
        else:
            sq, self.vecs = np.zeros(0), np.zeros((0, 0))
        top = max(sq[-1], 0.0) if sq.size else 0.0
        # the numerical rank (for lam = 0 and the null space of leave-one-out); at lam > 0
        # every eigenvalue is used, as a Cholesky factorization would
        self.positive = sq > max(red.n, red.p_pen) * np.finfo(np.float64).eps * top
        self.sq = np.maximum(sq, 0.0)
        self.rank = int(self.positive.sum())

    def filters(self, lambdas):
        """F[k, l] = 1 / (s_k^2 + lam_l); at lam = 0 the pseudo-inverse's (0 off the rank)."""
        with np.errstate(divide="ignore"):
            F = 1.0 / (self.sq[:, None] + lambdas[None, :])
        F[np.ix_(~self.positive, lambdas == 0)] = 0.0
        return F

    def df(self, lambdas):
        return self.sq @ self.filters(lambdas)

    def solve(self, z, lambdas):
        """(gamma (p_P, L), dual coefficients alpha (n, L) with gamma = A^T alpha on the dual
        side, else A^T z). Raises LinAlgError when a Cholesky factorization fails."""
        if not self.eigen:
            return self.cholesky(z, lambdas)
        F = self.filters(lambdas)
        if self.primal:
            b = self.red.op.rmatmat(z)
            return self.vecs @ ((self.vecs.T @ b)[:, None] * F), b
        alpha = self.vecs @ ((self.vecs.T @ z)[:, None] * F)
        return self.red.op.rmatmat(alpha), alpha

    def cholesky(self, z, lambdas):
        """solve() by one Cholesky factorization of M + lam I per lambda (lam > 0)."""
        b = self.red.op.rmatmat(z) if self.primal else None
        rhs = b if self.primal else z
        sol = np.empty((self.M.shape[0], lambdas.size))
        for k, lam in enumerate(lambdas):
            sol[:, k] = la.cho_solve(la.cho_factor(self.M + lam * np.eye(self.M.shape[0]),
                                                   check_finite=False), rhs, check_finite=False)
        return (sol, b) if self.primal else (self.red.op.rmatmat(sol), sol)

    def certificate(self, z, Gamma, side, lambdas):
        """(RSS, ||A^T r - lam gamma||^2) through M, O(min(n, p)^2) per lambda; side is
        solve()'s second output. lam = 0 gets 1/2 g^T (A^T A)^+ g (eigen)."""
        if self.primal:
            # g = A^T z - (G + lam) gamma ; RSS = ||z||^2 - 2 gamma^T A^T z + gamma^T G gamma
            MG = self.M @ Gamma
            grad = side[:, None] - MG - lambdas * Gamma
            rss = np.maximum(z @ z - 2.0 * side @ Gamma + np.einsum("ij,ij->j", Gamma, MG), 0.0)
            grad_sq = np.einsum("ij,ij->j", grad, grad)
            if self.eigen and np.any(lambdas == 0):
                g = self.vecs[:, self.positive].T @ grad[:, lambdas == 0]
                ls = 0.5 * np.sum(g * g / self.sq[self.positive, None], axis=0)
        else:
            # r = z - K alpha, g = A^T (r - lam alpha), ||g||^2 = d^T K d
            R = z[:, None] - self.M @ side
            D = R - lambdas * side
            rss = np.einsum("ij,ij->j", R, R)
            grad_sq = np.einsum("ij,ij->j", D, self.M @ D)
            if self.eigen and np.any(lambdas == 0):
                g = self.vecs[:, self.positive].T @ R[:, lambdas == 0]
                ls = 0.5 * np.sum(g * g, axis=0)
        gaps = gap(grad_sq, lambdas)
        if self.eigen and np.any(lambdas == 0):
            gaps[lambdas == 0] = ls
        return rss, gaps

    def loo_residuals(self, z, lambdas):
        """e_i / (1 - H_ii) on the reduced (weighted, scaled) scale, (n, L)."""
        red, F = self.red, self.filters(lambdas)
        if self.primal:
            if self._AW is None:
                AW = red.op.matmat(self.vecs)               # A W = U diag(sig)
                self._AW = (AW, AW * AW)
            AW, AW2 = self._AW
            c = self.vecs.T @ red.op.rmatmat(z)
            resid = z[:, None] - AW @ (c[:, None] * F)
            one_minus_h = 1.0 - red.proj_diag[:, None] - AW2 @ F
            return resid / np.maximum(one_minus_h, np.finfo(np.float64).eps)
        # kernel form, numerator and 1 - H_ii divided by lam (Rifkin & Lippert 2007):
        # e = z0 + lam U+ F d, 1 - H_ii = d0_i + lam (U+^2 F)_i, stable as lam -> 0
        U, pos = self.vecs, self.positive
        d = U.T @ z
        if red.n - self.rank - red.n_unpenalized > 0:     # a null space beyond P_0's range
            U0 = U[:, ~pos]
            z0 = U0 @ d[~pos]
            d0 = np.maximum(np.einsum("ij,ij->i", U0, U0) - red.proj_diag, 0.0)
        else:
            z0 = d0 = np.zeros(red.n)
        # the positive part (no copy when the kernel has full rank, as it usually has)
        start = int(np.argmax(pos)) if pos.any() else U.shape[1]
        full = bool(pos[start:].all())
        Up = U[:, start:] if full else U[:, pos]
        Fp = F[start:] if full else F[pos]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_lam = np.where(lambdas > 0, 1.0 / np.where(lambdas > 0, lambdas, 1.0), 0.0)
            numer = Up @ (d[pos, None] * Fp)
            numer += z0[:, None] * inv_lam
            denom = np.square(Up) @ Fp
            denom += d0[:, None] * inv_lam
            out = numer / denom
            zero = lambdas == 0
            if zero.any():       # lam = 0: the limit z0 / d0 where the null space reaches i
                reach = d0 > 1e-12
                out[np.ix_(reach, zero)] = (z0[reach] / d0[reach])[:, None]
        return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0, copy=False)
