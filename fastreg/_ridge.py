r"""Ridge paths: one decomposition (or one Krylov basis) for every lambda, exact leave-one-out.

The problem is `enet_path`'s with ``l1_ratio = 0``: for each lambda,

    P(beta, b) = 1/(2n) sum_i w_i (y_i - b - x_i.beta)^2 + lam/2 sum_j v_j beta_j^2,

w rescaled to sum to n, b and the features with v_j = 0 unpenalized.

**Reduction.** With s = sqrt(w), the weighted means mu and ybar, the unpenalized block is
eliminated by projection. Let Q0 be an orthonormal basis of the centred, weighted
unpenalized columns S (X_0 - 1 mu_0^T) / sqrt(n), and for the penalized, non-constant
columns (rescaled by 1/sqrt(v_j), so that gamma = sqrt(v) * beta)

    A = (I - Q0 Q0^T) S (X_P - 1 mu_P^T) V_P^{-1/2} / sqrt(n),
    z = (I - Q0 Q0^T) S (y - ybar) / sqrt(n).

Then P = 1/2 ||z - A gamma||^2 + lam/2 ||gamma||^2 (plus nothing: the intercept and the
unpenalized coefficients are the exact least-squares fit given gamma), whose solution is
gamma(lam) = (A^T A + lam I)^{-1} A^T z. A column whose centred squared norm is below
1e-12 of its raw one is constant and keeps beta_j = 0, as in the CD kernel.

**Direct route** (``solver="eigen"``, dense X or small sparse X). One symmetric
eigendecomposition of the smaller of A^T A (p x p, when p < n) and A A^T (n x n, also
when n = p: leave-one-out then needs no product A W), then for every lambda in
O(min(n, p) * p): the coefficients, the effective degrees of freedom
df = sum_k s_k^2 / (s_k^2 + lam), and, from the hat matrix H = P_0 + A (A^T A + lam)^{-1} A^T
(P_0 the projection on the intercept and unpenalized block), the exact leave-one-out
residuals e_i / (1 - H_ii) (Allen 1974; Golub, Heath & Wahba 1979 for GCV; the stable
kernel form of Rifkin & Lippert 2007 when n < p) and GCV = RSS / (1 - tr(H)/n)^2.
``solver="cholesky"`` factors A^T A + lam I (or A A^T + lam I) instead: the cheapest route
for one or two lambdas, without leave-one-out.

**Iterative route** (``solver="lsqr"``, large sparse X, never densified). The ridge
systems for all lambdas share one Krylov space (A^T A + lam I has the Krylov space of
A^T A): one Golub-Kahan bidiagonalization of A started at z, the engine of LSQR
(Paige & Saunders 1982, sec. 3-4), serves every lambda; damped LSQR's rotations are
run for all lambdas at once (O(n_lambdas) per iteration) and stop when every lambda's
estimated gap is below target. Each lambda's solution is gamma = V_k R_k^{-1} f_k from the
stored basis V_k. A lambda whose certificate fails (loss of orthogonality, memory cap on
V_k) is finished by Jacobi-preconditioned CG on the normal equations, warm-started there.

**Certificate.** For the dual point r = z - A gamma the duality gap of ridge is exactly
P(gamma) - D(r) = ||A^T r - lam gamma||^2 / (2 lam). The direct routes evaluate it through
the normal matrix M they formed from the data (not through its decomposition, so the
eigensolver's errors show), O(min(n, p)^2) per lambda. The iterative route evaluates it
from X: the residuals come from the stored products A v_i, A^T r takes one pass for the
whole path. float32 results are certified as returned (rounded), from X in two passes.
``dual_gap`` divides it by the null objective 1/2 ||z||^2 (intercept and unpenalized
features only). At lam = 0 (least squares) the eigen route reports the exact
suboptimality 1/2 g^T (A^T A)^+ g; the iterative route has no certificate there.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from fastreg import _validation as v
from fastreg._path import ConvergenceWarning, PathResult

__all__ = ["RidgePathResult", "ridge_path"]

CONSTANT_RTOL = 1e-10           # the CD kernel's: centred norm <= this * |mean| * sqrt(n)
DF_AT_LAMBDA_MAX = 1e-2         # default grid: df(lambda_max) <= this
DF_SHORTFALL_AT_LAMBDA_MIN = 1e-2   # ... and lambda_min = this * mean eigenvalue
EIGEN_MAX_DENSE = 4000          # solver="auto": eigen when min(n, p) <= this (dense) ...
EIGEN_MAX_SPARSE = 1000         # ... or this (sparse); else lsqr
KRYLOV_MEMORY = 1 << 30         # bytes of stored Krylov basis before switching to CG
_SOLVERS = ("auto", "eigen", "cholesky", "lsqr")
_STATUS_TEXT = {
    1: "the iteration budget (max_epochs) ran out",
    2: "tol is below what {dtype} and the conditioning at this lambda reach",
    3: "lambda = 0 (least squares) has no duality-gap certificate on the iterative route",
}


@dataclass(frozen=True, eq=False, repr=False)
class RidgePathResult(PathResult):
    """A ridge path: `PathResult` plus what one decomposition gives for free.

    Attributes (besides PathResult's; ``l1_ratio`` is 0)
    ----------
    df : (n_lambdas,) effective degrees of freedom of the penalized part,
        tr(A (A^T A + lam)^{-1} A^T), from ~0 to the rank of the centred design; the
        intercept and unpenalized features add ``n_unpenalized`` more. None when the
        route does not see the spectrum (cholesky, lsqr).
    n_unpenalized : rank of the intercept and unpenalized block.
    loo_mse : (n_lambdas,) leave-one-out mean squared error sum_i w_i e_(-i)^2 / n, where
        e_(-i) is sample i's residual when the model is refitted without it at the same
        penalty on the sum-of-squares scale (n * lam, as scikit-learn's alpha); exact,
        through the hat matrix. None when the route does not give it (cholesky, lsqr).
    gcv : (n_lambdas,) generalized cross-validation RSS_w / (1 - tr(H) / n_+)^2, RSS_w the
        weighted mean squared residual, tr(H) = df + n_unpenalized and n_+ the number of
        positive weights; inf when tr(H) >= n_+. None when loo_mse is.
    loo_predictions : (n_samples, n_lambdas) leave-one-out predictions y_i - e_(-i), when
        asked for with ``store_loo=True`` (else None).
    solver : the route taken, "eigen", "cholesky" or "lsqr".

    ``status`` is 0 (converged), 1 (lsqr: max_epochs ran out), 2 (the direct route's
    float64 solution, rounded to X's dtype, does not reach tol: ill-conditioning at a tiny
    lambda) or 3 (lsqr at lambda = 0, which has no certificate). The eigen route retries
    a lambda whose certificate fails by Cholesky (scale-invariant, unlike the eigensolver's
    error eps ||A||^2); its leave-one-out and GCV values keep that error, with a warning.
    """

    df: np.ndarray | None
    n_unpenalized: int
    loo_mse: np.ndarray | None
    gcv: np.ndarray | None
    loo_predictions: np.ndarray | None
    solver: str

    def best_lambda(self, criterion="loo"):
        """The lambda minimizing ``loo_mse`` (criterion "loo") or ``gcv`` ("gcv")."""
        values = {"loo": self.loo_mse, "gcv": self.gcv}.get(criterion, "bad")
        if isinstance(values, str):
            raise ValueError(f"criterion must be 'loo' or 'gcv'; got {criterion!r}")
        if values is None:
            raise ValueError(f"this path has no {criterion} values (solver={self.solver!r}); "
                             "use solver='eigen'")
        return float(self.lambdas[int(np.argmin(values))])

    def __repr__(self) -> str:
        df = "" if self.df is None else f"df=[{self.df[0]:.3g} .. {self.df[-1]:.3g}], "
        return (f"RidgePathResult(n_features={self.n_features}, n_lambdas={self.lambdas.size}, "
                f"solver={self.solver!r}, lambdas=[{self.lambdas[0]:.4g} .. {self.lambdas[-1]:.4g}], "
                f"{df}converged={int(self.converged.sum())}/{self.lambdas.size})")


# ---------------------------------------------------------------------------------------
# the design layer: A as an operator, one class per storage

class _DenseOperator:
    """A stored explicitly: (n, p_P) float64, Fortran-ordered."""

    def __init__(self, A):
        self.A = A

    def matmat(self, B):
        return self.A @ B

    def rmatmat(self, C):
        return self.A.T @ C

    def gram(self):
        return self.A.T @ self.A

    def kernel(self):
        return self.A @ self.A.T

    def col_sq_norms(self):
        return np.einsum("ij,ij->j", self.A, self.A)


class _SparseOperator:
    """A applied implicitly: S (X_P - 1 mu^T) / sqrt(n), then I - Q0 Q0^T. X_P is kept in
    CSC (its transpose, CSR, serves A^T) and CSR (serves A): two copies of the non-zeros."""

    def __init__(self, XP, mean, s, Q0, C0):
        self.XP, self.mean, self.s, self.Q0, self.C0 = XP, mean, s, Q0, C0
        self.s_scaled = s / np.sqrt(XP.shape[0])

    @cached_property
    def rows(self):
        return self.XP.tocsr()

    def _project(self, T):
        if self.Q0.shape[1]:
            T = T - self.Q0 @ (self.Q0.T @ T)
        return T

    def centred_matmat(self, B):
        # S (X_P B - 1 mu^T B) / sqrt(n)
        T = np.asarray(self.rows @ B)
        T -= self.mean @ B
        T *= self.s_scaled if T.ndim == 1 else self.s_scaled[:, None]
        return T

    def centred_rmatmat(self, C):
        # (X_P - 1 mu^T)^T S C / sqrt(n)
        if C.ndim == 1:
            SC = C * self.s_scaled
            return self.XP.T @ SC - self.mean * SC.sum()
        SC = C * self.s_scaled[:, None]
        out = np.asarray(self.XP.T @ SC)
        out -= self.mean[:, None] * SC.sum(axis=0)
        return out

    def matmat(self, B):
        return self._project(self.centred_matmat(B))

    def rmatmat(self, C):
        return self.centred_rmatmat(self._project(C))

    def gram(self):
        n = self.XP.shape[0]
        W = sp.diags(self.s ** 2)
        G = (self.XP.T @ (W @ self.XP)).toarray() / n - np.outer(self.mean, self.mean)
        return G - self.C0.T @ self.C0

    def kernel(self):
        n = self.XP.shape[0]
        t = np.asarray(self.XP @ self.mean).ravel()
        K = (self.XP @ self.XP.T).toarray()
        K -= t[:, None]
        K -= t[None, :]
        K += self.mean @ self.mean
        K *= np.outer(self.s, self.s) / n
        if self.Q0.shape[1]:
            KQ = K @ self.Q0
            K += self.Q0 @ ((self.Q0.T @ KQ) @ self.Q0.T) - KQ @ self.Q0.T - self.Q0 @ KQ.T
        return K

    def col_sq_norms(self):
        n = self.XP.shape[0]
        sq = np.asarray(self.XP.multiply(self.XP).T @ self.s ** 2).ravel() / n - self.mean ** 2
        return np.maximum(sq - np.einsum("ij,ij->j", self.C0, self.C0), 0.0)


class _Reduction:
    """The reduced problem of the module docstring for one (X, w, v, fit_intercept).

    Dense X is copied once, to float64 (centring, weighting and scaling happen in the
    copy); sparse X keeps its pattern (float64 data, columns rescaled; never densified).
    """

    def __init__(self, X, w, factor, fit_intercept):
        n, p = X.shape
        self.n, self.p, self.fit_intercept = n, p, bool(fit_intercept)
        self.sparse = sp.issparse(X)
        self.w = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
        self.s = np.sqrt(self.w)
        self.n_positive = int(np.count_nonzero(self.w))
        sqrt_n = np.sqrt(n)
        sparse = sp.issparse(X)
        if sparse:
            X = X.astype(np.float64) if X.dtype != np.float64 else X
            raw = np.asarray(X.multiply(X).T @ self.w).ravel() / n
            self.mean = (np.asarray(X.T @ self.w).ravel() / n if self.fit_intercept
                         else np.zeros(p))
            sq = raw - self.mean ** 2
        else:
            # A_all = S (X - 1 mu^T) / sqrt(n), the one copy of dense X
            A_all = np.array(X, dtype=np.float64, order="F")
            self.mean = A_all.T @ self.w / n if self.fit_intercept else np.zeros(p)
            if self.fit_intercept:
                A_all -= self.mean
            A_all *= (self.s / sqrt_n)[:, None]
            sq = np.einsum("ij,ij->j", A_all, A_all)
            raw = sq + self.mean ** 2            # sum_i w_i x_ij^2 / n
        # sparse moments come from raw - mean^2, whose rounding (~1e-15 raw) is the floor
        constant = sq <= np.maximum(CONSTANT_RTOL ** 2 * self.mean ** 2,
                                    1e-15 * raw if sparse else 0.0)
        self.pen = np.flatnonzero(~constant & (factor > 0))
        self.unpen = np.flatnonzero(~constant & (factor == 0))
        self.scale = 1.0 / np.sqrt(factor[self.pen])
        self.rescaled = bool(np.any(self.scale != 1.0))

        # the unpenalized block: Q0 and the map to its coefficients, pinv(A_0) = W0 S0^-1 Q0^T
        if sparse:
            A0 = (X[:, self.unpen].toarray() - self.mean[self.unpen]) * (self.s / sqrt_n)[:, None]
        else:
            A0 = A_all[:, self.unpen]
        self.Q0, self.unpen_map = _orthonormal_basis(A0)

        if sparse:
            XP = X[:, self.pen] if self.pen.size < p else X
            XP = XP @ sp.diags(self.scale) if self.rescaled else XP
            XP = sp.csc_matrix(XP)
            mean_P = self.mean[self.pen] * self.scale
            op = _SparseOperator(XP, mean_P, self.s, self.Q0, np.zeros((self.Q0.shape[1], 0)))
            op.C0 = op.centred_rmatmat(self.Q0).T           # Q0^T A_c
            self.C0 = op.C0
        else:
            A = A_all if self.pen.size == p else np.asfortranarray(A_all[:, self.pen])
            del A_all
            if self.rescaled:
                A *= self.scale
            self.C0 = self.Q0.T @ A                           # Q0^T A_c, then project
            if self.Q0.shape[1]:
                A -= self.Q0 @ self.C0
            op = _DenseOperator(A)
        self.op = op
        self.p_pen = self.pen.size
        self.n_unpenalized = int(self.fit_intercept) + self.Q0.shape[1]
        self.proj_diag = (self.w / n if self.fit_intercept else np.zeros(n)) + np.einsum(
            "ij,ij->i", self.Q0, self.Q0)

    def target(self, y):
        """(z, ybar, Q0^T z_c) for y: the reduced target and what recovers b and beta_0."""
        y = np.asarray(y, dtype=np.float64)
        ybar = 0.0
        if self.fit_intercept:
            ybar = float(self.w @ y) / self.n
            if np.all(y == y[0]):
                ybar = float(y[0])          # constant y: centre exactly
        zc = self.s * (y - ybar) / np.sqrt(self.n)
        q0z = self.Q0.T @ zc
        return zc - self.Q0 @ q0z, ybar, q0z

    def full_coef(self, Gamma, ybar, q0z, dtype):
        """beta (p, L) in dtype and intercepts (L,) from gamma (p_P, L)."""
        L = Gamma.shape[1]
        if self.pen.size == self.p and not self.rescaled:
            beta = Gamma.astype(dtype, copy=False)
        else:
            beta = np.zeros((self.p, L), dtype=dtype)
            beta[self.pen] = Gamma * self.scale[:, None]
            if self.unpen.size:
                beta[self.unpen] = self.unpen_map @ (q0z[:, None] - self.C0 @ Gamma)
        intercept = (ybar - self.mean @ beta) if self.fit_intercept else np.zeros(L)
        return beta, intercept

    def rounded_gamma(self, beta):
        """gamma of the coefficients as returned (after rounding to their dtype)."""
        gamma = np.asarray(beta[self.pen] if self.pen.size < self.p else beta, dtype=np.float64)
        return gamma / self.scale[:, None] if self.rescaled else gamma

    def default_grid(self, n_lambdas, lambda_min_ratio):
        """Geometric from lambda_max = ||A||_F^2 / DF_AT_LAMBDA_MAX (df <= 0.01 there) down to
        DF_SHORTFALL * ||A||_F^2 / rank_bound (df = rank / 1.01 for a flat spectrum)."""
        trace = float(np.sum(self.op.col_sq_norms())) if self.p_pen else 0.0
        rank_bound = max(min(self.n_positive - self.n_unpenalized, self.p_pen), 1)
        lam_max = trace / DF_AT_LAMBDA_MAX if trace > 0 else 1.0
        if lambda_min_ratio is None:
            lambda_min_ratio = DF_SHORTFALL_AT_LAMBDA_MIN * DF_AT_LAMBDA_MAX / rank_bound
        if n_lambdas == 1:
            return np.array([lam_max])
        return np.geomspace(lam_max, lam_max * lambda_min_ratio, n_lambdas)


def _orthonormal_basis(A0):
    """(Q, pinv map W S^-1) of the columns of A0 by a thin SVD, rank-revealing."""
    n, k = A0.shape
    if k == 0:
        return np.zeros((n, 0)), np.zeros((0, 0))
    U, sv, Wt = np.linalg.svd(A0, full_matrices=False)
    keep = sv > max(n, k) * np.finfo(np.float64).eps * (sv[0] if sv.size else 0.0)
    if not keep.any():
        return np.zeros((n, 0)), np.zeros((k, 0))
    return U[:, keep], Wt[keep].T / sv[keep]


# ---------------------------------------------------------------------------------------
# the direct routes

class _Direct:
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
            sq, self.vecs = la.eigh(self.M, check_finite=False)
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
            rss = np.maximum(z @ z - 2.0 * side @ Gamma + np.sum(Gamma * MG, axis=0), 0.0)
            grad_sq = np.sum(grad * grad, axis=0)
            if self.eigen and np.any(lambdas == 0):
                g = self.vecs[:, self.positive].T @ grad[:, lambdas == 0]
                ls = 0.5 * np.sum(g * g / self.sq[self.positive, None], axis=0)
        else:
            # r = z - K alpha, g = A^T (r - lam alpha), ||g||^2 = d^T K d
            R = z[:, None] - self.M @ side
            D = R - lambdas * side
            rss, grad_sq = np.sum(R * R, axis=0), np.sum(D * (self.M @ D), axis=0)
            if self.eigen and np.any(lambdas == 0):
                g = self.vecs[:, self.positive].T @ R[:, lambdas == 0]
                ls = 0.5 * np.sum(g * g, axis=0)
        gap = _gap(grad_sq, lambdas)
        if self.eigen and np.any(lambdas == 0):
            gap[lambdas == 0] = ls
        return rss, gap

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
        Up, Fp = U[:, pos], F[pos]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_lam = np.where(lambdas > 0, 1.0 / np.where(lambdas > 0, lambdas, 1.0), 0.0)
            out = ((Up @ (d[pos, None] * Fp) + z0[:, None] * inv_lam)
                   / ((Up * Up) @ Fp + d0[:, None] * inv_lam))
            zero = lambdas == 0
            if zero.any():       # lam = 0: the limit z0 / d0 where the null space reaches i
                reach = d0 > 1e-12
                out[np.ix_(reach, zero)] = (z0[reach] / d0[reach])[:, None]
        return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


# ---------------------------------------------------------------------------------------
# the iterative route

def _krylov_path(red, z, lambdas, target, max_iter):
    """One Golub-Kahan bidiagonalization for all lambdas, damped LSQR's rotations vectorized.

    Returns (gamma (p_P, L), residuals z - A gamma (n, L), iterations). The residuals come
    from the stored products A v_i, not from a new pass. Stops when every lambda's
    estimated gap ||A^T r - lam gamma||^2 / (2 lam) is below target / 2 (lam = 0:
    ||A^T r|| below sqrt(eps) ||A||_F ||r||), at max_iter, or when the stored bases
    (V and A V) reach KRYLOV_MEMORY.
    """
    op, L = red.op, lambdas.size
    Gamma, R = np.zeros((red.p_pen, L)), np.repeat(z[:, None], L, axis=1)
    beta = np.linalg.norm(z)
    v = op.rmatmat(z / beta) if beta > 0 and red.p_pen else np.zeros(red.p_pen)
    alpha = np.linalg.norm(v)
    if alpha == 0.0:
        return Gamma, R, 0
    u, v = z / beta, v / alpha
    max_iter = max(1, min(max_iter, KRYLOV_MEMORY // (8 * (red.p_pen + red.n))))
    chunk = min(max_iter, 128)
    V, AV = [], []                          # chunks of v_i (rows) and of A v_i (columns)
    damp = np.sqrt(lambdas)
    rhobar, phibar = np.full(L, alpha), np.full(L, beta)
    rho_hist, theta_hist, phi_hist = [], [], []
    a_norm_sq = alpha * alpha
    zero = lambdas == 0
    k = 0
    while k < max_iter:
        if k % chunk == 0:
            V.append(np.empty((chunk, red.p_pen)))
            AV.append(np.empty((red.n, chunk), order="F"))
        V[-1][k % chunk] = v
        # beta u = A v - alpha u ; alpha v = A^T u - beta v
        Av = op.matmat(v)
        AV[-1][:, k % chunk] = Av
        u = Av - alpha * u
        beta = np.linalg.norm(u)
        if beta > 0:
            u /= beta
        v = op.rmatmat(u) - beta * v
        alpha = np.linalg.norm(v)
        if alpha > 0:
            v /= alpha
        a_norm_sq += alpha * alpha + beta * beta
        # the damping rotation, then the one eliminating beta (LSQR, Paige & Saunders 1982)
        rhobar1 = np.hypot(rhobar, damp)
        phibar = rhobar / rhobar1 * phibar
        rho = np.hypot(rhobar1, beta)
        cs, sn = rhobar1 / rho, beta / rho
        theta = sn * alpha
        rhobar = -cs * alpha
        phi = cs * phibar
        phibar = sn * phibar
        rho_hist.append(rho)
        theta_hist.append(theta)
        phi_hist.append(phi)
        k += 1
        grad = alpha * np.abs(sn * phi)              # ||A^T r - lam gamma||, estimated
        done = grad * grad <= target * np.where(zero, np.inf, lambdas)   # gap <= target / 2
        if zero.any():
            done[zero] = grad[zero] <= np.sqrt(np.finfo(float).eps * a_norm_sq) * np.abs(phibar[zero])
        if done.all() or alpha == 0.0 or beta == 0.0:
            break
    # gamma = V_k y, R_k y = f_k with R_k upper bidiagonal (rho on, theta above the diagonal)
    rho_h, theta_h, phi_h = np.array(rho_hist), np.array(theta_hist), np.array(phi_hist)
    Y = np.empty((k, L))
    Y[k - 1] = phi_h[k - 1] / rho_h[k - 1]
    for i in range(k - 2, -1, -1):
        Y[i] = (phi_h[i] - theta_h[i] * Y[i + 1]) / rho_h[i]
    # drop what cannot matter (and would be denormal numbers, slow in the products)
    Y[np.abs(Y) < 1e-30 * np.max(np.abs(Y), axis=0)] = 0.0
    for c, (block, products) in enumerate(zip(V, AV)):
        rows = slice(c * chunk, min((c + 1) * chunk, k))
        used = rows.stop - rows.start
        Gamma += block[:used].T @ Y[rows]
        R -= products[:, :used] @ Y[rows]
    return Gamma, R, k


def _cg_polish(red, z, lam, gamma, diag, target, max_iter):
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


# ---------------------------------------------------------------------------------------
# the certificate, written once for every route

def _certificate(red, z, Gamma, lambdas, R=None):
    """(RSS, gap) of each column of Gamma from the data: two passes over X for the path
    (one when the residuals R = z - A Gamma are known)."""
    R = z[:, None] - red.op.matmat(Gamma) if R is None else R
    grad = red.op.rmatmat(R) - lambdas[None, :] * Gamma
    return np.sum(R * R, axis=0), _gap(np.sum(grad * grad, axis=0), lambdas)


def _gap(grad_sq, lambdas):
    """Ridge's duality gap ||A^T r - lam gamma||^2 / (2 lam); at lam = 0, inf unless 0."""
    gap = np.where(grad_sq > 0, np.inf, 0.0)
    np.divide(grad_sq, 2.0 * lambdas, out=gap, where=lambdas > 0)
    return gap


def _choose_solver(solver, red, sparse, loo, few_lambdas=False):
    """"auto": lsqr for large designs (unless loo), else cholesky when the estimators
    solve one or two lambdas (few_lambdas), else eigen."""
    if solver == "auto":
        large = min(red.n, red.p_pen) > (EIGEN_MAX_SPARSE if sparse else EIGEN_MAX_DENSE)
        solver = ("eigen" if loo else "lsqr" if large else "cholesky" if few_lambdas
                  else "eigen")
    if loo and solver != "eigen":
        raise ValueError(f"loo=True needs solver='eigen' (or 'auto'); got solver={solver!r}")
    return solver


def ridge_path(X, y, *, lambdas=None, n_lambdas=100, lambda_min_ratio=None, sample_weight=None,
               penalty_factor=None, fit_intercept=True, solver="auto", loo=None, store_loo=False,
               tol=1e-4, max_epochs=10_000, check_convergence=True) -> RidgePathResult:
    r"""Ridge regularization path, exact leave-one-out and GCV, for the price of one decomposition.

    Minimizes, for each lambda, ``1/(2n) sum_i w_i (y_i - b - x_i.beta)^2 + lam/2 sum_j
    v_j beta_j^2`` (w rescaled to sum to n; b and features with v_j = 0 unpenalized):
    `enet_path` with ``l1_ratio=0``, same answers, solved directly (module docstring).

    Parameters
    ----------
    X : (n_samples, n_features) array or scipy sparse matrix, float32 or float64
        Dense X is copied once, to float64 (centring, weighting and the decomposition
        need it). Sparse X is never densified; its non-zeros are copied to float64 and
        to a CSR twin for fast products.
    y : (n_samples,) targets.
    lambdas : non-negative floats, optional; solved and returned in decreasing order.
    n_lambdas : int, default 100
    lambda_min_ratio : float, optional
        The default grid is geometric from lambda_max = 100 ||A||_F^2 (A the weighted,
        centred design scaled by 1/sqrt(v): df(lambda_max) <= 0.01) down to
        ``lambda_min_ratio * lambda_max``, by default 1e-4 / min(n - 1, p), where a flat
        spectrum has df = rank / 1.01. It depends on X, w and v only (not on the route).
    sample_weight : (n_samples,) non-negative, optional (rescaled to sum to n).
    penalty_factor : (n_features,) or scalar, non-negative, optional
        v_j; 0 leaves a feature unpenalized (projected out exactly, on every route).
    fit_intercept : bool
    solver : {"auto", "eigen", "cholesky", "lsqr"}
        "eigen": one eigendecomposition of the smaller Gram matrix, then every lambda and
        the leave-one-out and GCV curves in O(min(n, p) p) each. "cholesky": one
        factorization per lambda. "lsqr": one Golub-Kahan basis for all lambdas, CG
        where needed. "auto": lsqr when min(n, p) > 4000 (dense) or 1000 (sparse) and
        loo is not True, else eigen.
    loo : bool, optional
        Compute ``loo_mse`` and ``gcv`` (needs the eigen route). Default: when eigen.
    store_loo : bool
        Also return the (n_samples, n_lambdas) leave-one-out predictions.
    tol : float
        Duality gap target, relative to the null objective. The direct routes reach
        machine precision and report their actual gap; lsqr stops at tol.
    max_epochs : int
        lsqr: iterations of the shared basis, and of CG per lambda after it.
    check_convergence : bool
        Warn with a `ConvergenceWarning` naming the worst lambda and its gap.

    Returns
    -------
    RidgePathResult
        ``n_epochs`` 0 and ``n_passes`` 1 on the direct routes; on lsqr, the shared
        iterations plus each lambda's CG iterations (and the passes of the certificate).
    """
    X = v.check_design(X)
    n_samples, n_features = X.shape
    dtype = X.dtype
    y = v.check_target(y, n_samples, dtype)
    w = v.check_sample_weight(sample_weight, n_samples, np.float64)
    factor = v.check_per_feature(penalty_factor, n_features, "penalty_factor", 1.0, nonneg=True)
    tol = float(v.check_scalar(tol, "tol", low=0.0, low_open=True))
    max_epochs = int(v.check_scalar(max_epochs, "max_epochs", low=1, integer=True))
    if solver not in _SOLVERS:
        raise ValueError(f"solver must be one of {_SOLVERS}; got {solver!r}")
    if loo is not None and not isinstance(loo, (bool, np.bool_)):
        raise TypeError(f"loo must be True, False or None; got {loo!r}")
    if lambdas is None:
        n_lambdas = int(v.check_scalar(n_lambdas, "n_lambdas", low=1, integer=True))
        if lambda_min_ratio is not None:
            lambda_min_ratio = float(v.check_scalar(lambda_min_ratio, "lambda_min_ratio",
                                                    low=0.0, high=1.0, low_open=True))
    else:
        grid = np.sort(v.check_lambdas(lambdas))[::-1].copy()
    red = _Reduction(X, w, factor, fit_intercept)
    solver = _choose_solver(solver, red, sp.issparse(X), bool(loo))
    if lambdas is None:
        grid = red.default_grid(n_lambdas, lambda_min_ratio)
    want_loo = (solver == "eigen") if loo is None else bool(loo)
    return _path(red, np.asarray(y, dtype=np.float64), grid, solver, tol, max_epochs, want_loo,
                 store_loo, dtype, X, check_convergence)


def _path(red, y, grid, solver, tol, max_epochs, want_loo, store_loo, dtype, X,
          check_convergence, direct=None):
    z, ybar, q0z = red.target(y)
    null_obj = 0.5 * float(z @ z)
    target = tol * null_obj if null_obj > 0 else tol
    L = grid.size
    epochs, passes = np.zeros(L, dtype=np.int64), np.ones(L, dtype=np.int64)
    status = np.zeros(L, dtype=np.int32)
    loo_resid = None
    if solver != "lsqr":
        if solver == "cholesky" and np.any(grid == 0):
            solver = "eigen"
        if direct is None or direct.eigen != (solver == "eigen"):
            direct = _Direct(red, eigen=solver == "eigen")
        try:
            Gamma, side = direct.solve(z, grid)
        except la.LinAlgError:          # not numerically positive definite: eigen instead
            solver, direct = "eigen", _Direct(red, eigen=True)
            Gamma, side = direct.solve(z, grid)
        rss, gap = direct.certificate(z, Gamma, side, grid)
        bad = np.flatnonzero((gap > target) & (grid > 0)) if solver == "eigen" else []
        if len(bad):
            # the eigensolver's absolute error eps ||M|| is too large at these lambdas
            # (badly scaled columns, say); a Cholesky factorization is scale-invariant
            try:
                Gamma_c, side_c = direct.cholesky(z, grid[bad])
                rss_c, gap_c = direct.certificate(z, Gamma_c, side_c, grid[bad])
                better = gap_c < gap[bad]
                Gamma[:, bad[better]] = Gamma_c[:, better]
                if not direct.primal:
                    side[:, bad[better]] = side_c[:, better]
                rss[bad[better]], gap[bad[better]] = rss_c[better], gap_c[better]
            except la.LinAlgError:
                pass
            if want_loo:
                warnings.warn(
                    f"fastreg: the eigendecomposition misses tol at {len(bad)} lambda(s) "
                    f"(largest {grid[bad[0]]:.3g}); their coefficients were refactored by "
                    "Cholesky, but their leave-one-out and GCV values carry its error. "
                    "Badly scaled columns? Standardize X.", ConvergenceWarning, stacklevel=4)
        coef, intercept = red.full_coef(Gamma, ybar, q0z, dtype)
        if dtype != np.float64:     # the certificate of the coefficients as rounded
            rss, gap = _certificate(red, z, red.rounded_gamma(coef), grid)
        elif red.sparse:
            # the sparse Gram is formed as X^T W X / n - mu mu^T, whose cancellation the
            # certificate through M cannot see: certify from the data (two passes)
            rss, gap = _certificate(red, z, Gamma, grid)
        status[gap > target] = 2
        if solver == "eigen" and want_loo:
            loo_resid = direct.loo_residuals(z, grid)
    else:
        Gamma, R, k = _krylov_path(red, z, grid, target, max_epochs)
        epochs[:], passes[:] = k, k + 1
        coef, intercept = red.full_coef(Gamma, ybar, q0z, dtype)
        # float64: the residuals of the basis are those of the returned coefficients
        rss, gap = _certificate(red, z, red.rounded_gamma(coef), grid,
                                R if dtype == np.float64 else None)
        budget_out = np.zeros(L, dtype=bool)
        redo = np.flatnonzero((gap > target) & (grid > 0))
        if redo.size:
            diag = red.op.col_sq_norms()
            for j in redo:
                Gamma[:, j], its = _cg_polish(red, z, grid[j], Gamma[:, j], diag, target,
                                              max_epochs)
                epochs[j] += its
                passes[j] += its + 1
                budget_out[j] = its >= max_epochs
            coef, intercept = red.full_coef(Gamma, ybar, q0z, dtype)
            rss, gap = _certificate(red, z, red.rounded_gamma(coef), grid)
        # float64 converged but the rounding to float32 did not: the dtype's limit
        status[gap > target] = np.where(budget_out | (dtype == np.float64), 1, 2)[gap > target]
        status[(grid == 0) & (gap > target)] = 3
    df = direct.df(grid) if solver == "eigen" else None
    loo_mse = gcv = loo_pred = None
    if loo_resid is not None:
        loo_mse = np.sum(loo_resid * loo_resid, axis=0)
        denom = 1.0 - (df + red.n_unpenalized) / max(red.n_positive, 1)
        gcv = np.full(L, np.inf)
        gcv[denom > 0] = rss[denom > 0] / denom[denom > 0] ** 2
        if store_loo:
            loo_pred = _loo_predictions(red, y, loo_resid, X, coef, intercept)
    result = RidgePathResult(
        lambdas=grid, coef=coef, intercept=np.asarray(intercept, dtype=np.float64),
        dual_gap=gap / null_obj if null_obj > 0 else gap, n_epochs=epochs, n_passes=passes,
        converged=status == 0, status=status,
        dev_ratio=1.0 - 0.5 * rss / null_obj if null_obj > 0 else np.zeros(L),
        l1_ratio=0.0, tol=tol, lambda_max=float(grid[0]), null_objective=null_obj,
        df=df, n_unpenalized=red.n_unpenalized, loo_mse=loo_mse, gcv=gcv,
        loo_predictions=loo_pred, solver=solver)
    if check_convergence:
        _warn_if_not_converged(result)
    return result


def _loo_predictions(red, y, loo_resid, X, coef, intercept):
    """y_i - e_(-i) on the original scale; zero-weight samples get the plain prediction."""
    out = np.empty_like(loo_resid)
    pos = red.s > 0
    out[pos] = y[pos, None] - loo_resid[pos] * (np.sqrt(red.n) / red.s[pos])[:, None]
    if not pos.all():
        rows = np.flatnonzero(~pos)
        out[rows] = np.asarray(X[rows] @ coef, dtype=np.float64) + intercept
    return out


def _warn_if_not_converged(result, category=ConvergenceWarning, stacklevel=4):
    bad = np.flatnonzero(result.status != 0)
    if bad.size == 0:
        return
    k = bad[np.argmax(result.dual_gap[bad])]
    why = _STATUS_TEXT[int(result.status[k])].format(dtype=result.coef.dtype.name)
    warnings.warn(
        f"fastreg: {bad.size} of {result.status.size} lambda(s) did not converge. Worst: "
        f"lambda={result.lambdas[k]:.6g} (index {k}) stopped at duality gap "
        f"{result.dual_gap[k]:.3g} x null objective > tol={result.tol:g} "
        f"(solver={result.solver!r}, {result.n_epochs[k]} iterations): {why}.",
        category, stacklevel=stacklevel)
