r"""The ridge design layer: the reduced problem, A as an operator, and the certificate.

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

Dense X is stored as A itself (one float64 copy); sparse X is applied implicitly
(`SparseOperator`), never densified. The routes (`_ridge_direct`, `_ridge_krylov`) see A
only through ``matmat``, ``rmatmat``, ``gram``, ``kernel`` and ``col_sq_norms``, and the
compiled Golub-Kahan loop through ``compiled`` (the same storage, handed to `_krylov`).

**Certificate.** For the dual point r = z - A gamma the duality gap of ridge is exactly
P(gamma) - D(r) = ||A^T r - lam gamma||^2 / (2 lam) (`gap`); `certificate` evaluates it
from the data, for every route.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from fastreg import _krylov
from fastreg import _validation as v

__all__ = ["CONSTANT_RTOL", "Reduction", "certificate", "gap"]

CONSTANT_RTOL = 1e-10           # the CD kernel's: centred norm <= this * |mean| * sqrt(n)
DF_AT_LAMBDA_MAX = 1e-2         # default grid: df(lambda_max) <= this
DF_SHORTFALL_AT_LAMBDA_MIN = 1e-2   # ... and lambda_min = this * mean eigenvalue

class DenseOperator:
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

    def compiled(self):
        """A for the compiled Golub-Kahan loop (`_krylov`), sharing the array."""
        return _krylov.dense_operator(self.A)


class SparseOperator:
    """A applied implicitly: S (X_P - 1 mu^T) / sqrt(n), then I - Q0 Q0^T. X_P is held in
    CSR (``rows``, float64 values) and in CSC (``cols``: X itself when it came in CSC,
    else built on first use). A v gathers along the CSR rows; A^T u scatters along them
    too (one vector: 0.43 ms against 0.60 ms for the gather along the CSC columns on the
    text-like benchmark), blocks of vectors gather along CSC. The compiled Golub-Kahan
    loop (`compiled`) takes the CSR arrays and does both products of a step in one pass
    over the rows. ``col_sq``: the centred, weighted squared column norms of X_P / n."""

    def __init__(self, rows, mean, s, Q0, C0, col_sq, cols=None):
        self.rows, self.mean, self.s, self.Q0, self.C0 = rows, mean, s, Q0, C0
        self.col_sq, self._cols = col_sq, cols
        self.n = rows.shape[0]
        self.s_scaled = s / np.sqrt(self.n)

    @property
    def cols(self):
        if self._cols is None:
            self._cols = sp.csc_matrix(self.rows)
        return self._cols

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
            out = self.rows.T @ SC
            return blas.daxpy(self.mean, out, a=-SC.sum())     # out -= mean * sum(SC)
        SC = C * self.s_scaled[:, None]
        out = np.asarray(self.cols.T @ SC)
        out -= self.mean[:, None] * SC.sum(axis=0)
        return out

    def matmat(self, B):
        return self._project(self.centred_matmat(B))

    def rmatmat(self, C):
        return self.centred_rmatmat(self._project(C))

    def gram(self):
        n, XP = self.n, self.cols
        W = sp.diags(self.s ** 2)
        G = (XP.T @ (W @ XP)).toarray() / n - np.outer(self.mean, self.mean)
        return G - self.C0.T @ self.C0

    def kernel(self):
        n, XP = self.n, self.cols
        t = np.asarray(XP @ self.mean).ravel()
        K = (XP @ XP.T).toarray()
        K -= t[:, None]
        K -= t[None, :]
        K += self.mean @ self.mean
        K *= np.outer(self.s, self.s) / n
        if self.Q0.shape[1]:
            KQ = K @ self.Q0
            K += self.Q0 @ ((self.Q0.T @ KQ) @ self.Q0.T) - KQ @ self.Q0.T - self.Q0 @ KQ.T
        return K

    def compiled(self):
        """A for the compiled Golub-Kahan loop (`_krylov`): the CSR arrays, mu, S / sqrt(n)
        and Q0, shared, not copied."""
        rows = self.rows
        return _krylov.csr_operator(
            np.ascontiguousarray(rows.data, dtype=np.float64), *_index_arrays(rows),
            rows.shape[1], mean=self.mean, row_scale=self.s_scaled,
            Q0=np.asfortranarray(self.Q0))

    def col_sq_norms(self):
        return np.maximum(self.col_sq - np.einsum("ij,ij->j", self.C0, self.C0), 0.0)


class Reduction:
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
            if not X.has_canonical_format:     # duplicates would break the squares
                X = X.copy()
                X.sum_duplicates()
            # X in CSR with float64 values: X itself when it is one, else built once; with
            # sum_i w_i x_ij and sum_i w_i x_ij^2, one pass over the non-zeros
            if X.format == "csr":
                rows = X.astype(np.float64, copy=False)
                sums, squares = _krylov.column_moments(rows.data, *_index_arrays(rows), p,
                                                       self.w)
            else:
                rows, sums, squares = csr_rows(sp.csc_matrix(X), self.w)
            raw = squares / n
            self.mean = sums / n if self.fit_intercept else np.zeros(p)
            sq = raw - self.mean ** 2
        else:
            # A_all = S (X - 1 mu^T) / sqrt(n), the one copy of dense X
            if self.fit_intercept and X.dtype == np.float64:    # copy and centre in one go
                self.mean = X.T @ self.w / n
                A_all = np.empty((n, p), order="F")
                np.subtract(X, self.mean, out=A_all)
            else:
                A_all = np.array(X, dtype=np.float64, order="F")
                self.mean = A_all.T @ self.w / n if self.fit_intercept else np.zeros(p)
                if self.fit_intercept:
                    A_all -= self.mean
            if np.all(self.s == self.s[0]):
                A_all *= self.s[0] / sqrt_n
            else:
                A_all *= (self.s / sqrt_n)[:, None]
            sq = np.einsum("ij,ij->j", A_all, A_all)
            raw = sq + self.mean ** 2            # sum_i w_i x_ij^2 / n
        bad = ~(np.isfinite(sq) & np.isfinite(raw) & np.isfinite(self.mean))
        if np.any(bad):
            # squares beyond float64 (|x| above ~1e154): the column would count as constant
            raise v.column_too_large(int(np.flatnonzero(bad)[0]))
        # sparse moments come from raw - mean^2, whose rounding (~1e-15 raw) is the floor
        constant = sq <= np.maximum(CONSTANT_RTOL ** 2 * self.mean ** 2,
                                    1e-15 * raw if sparse else 0.0)
        self.pen = np.flatnonzero(~constant & (factor > 0))
        self.unpen = np.flatnonzero(~constant & (factor == 0))
        self.scale = 1.0 / np.sqrt(factor[self.pen])
        self.rescaled = bool(np.any(self.scale != 1.0))

        # the unpenalized block: Q0 and the map to its coefficients, pinv(A_0) = W0 S0^-1 Q0^T
        if sparse:
            A0 = ((rows[:, self.unpen].toarray() - self.mean[self.unpen])
                  * (self.s / sqrt_n)[:, None])
        else:
            A0 = A_all[:, self.unpen]
        self.Q0, self.unpen_map = _orthonormal_basis(A0)

        if sparse:
            whole = self.pen.size == p and not self.rescaled
            XP = rows[:, self.pen] if self.pen.size < p else rows
            XP = sp.csr_matrix(XP @ sp.diags(self.scale)) if self.rescaled else XP
            mean_P = self.mean[self.pen] * self.scale
            cols = X if whole and X.format == "csc" and X.dtype == np.float64 else None
            op = SparseOperator(XP, mean_P, self.s, self.Q0, np.zeros((self.Q0.shape[1], 0)),
                                sq[self.pen] * self.scale ** 2, cols)
            # Q0^T A_c (no product without unpenalized features: CSR input needs no CSC)
            op.C0 = (op.centred_rmatmat(self.Q0).T if self.Q0.shape[1]
                     else np.zeros((0, self.pen.size)))
            self.C0 = op.C0
        else:
            A = A_all if self.pen.size == p else np.asfortranarray(A_all[:, self.pen])
            del A_all
            if self.rescaled:
                A *= self.scale
            self.C0 = self.Q0.T @ A                           # Q0^T A_c, then project
            if self.Q0.shape[1]:
                A -= self.Q0 @ self.C0
            op = DenseOperator(A)
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

    def full_coef(self, Gamma, ybar, q0z, dtype, mean_gamma=None):
        """beta (p, L) in dtype and intercepts (L,) from gamma (p_P, L); ``mean_gamma``,
        mu_P^T gamma (mu_P = mu[pen] * scale) when the route formed it, spares the
        intercepts' pass over beta."""
        L = Gamma.shape[1]
        if self.pen.size == self.p and not self.rescaled:
            beta = Gamma.astype(dtype, copy=False)
        else:
            beta = np.zeros((self.p, L), dtype=dtype)
            beta[self.pen] = Gamma * self.scale[:, None]
            if self.unpen.size:
                beta[self.unpen] = self.unpen_map @ (q0z[:, None] - self.C0 @ Gamma)
        if not self.fit_intercept:
            return beta, np.zeros(L)
        if mean_gamma is None:
            return beta, ybar - self.mean @ beta
        # mu^T beta = mu_P^T gamma + mu_0^T beta_0
        return beta, ybar - mean_gamma - self.mean[self.unpen] @ beta[self.unpen]

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


def csr_rows(X, w):
    """(the CSR form of CSC X with float64 values, sum_i w_i x_ij, sum_i w_i x_ij^2), X
    without duplicates (`_krylov.csr_from_csc`: a counting sort, column indices sorted
    within each row, the moments while each column is read)."""
    data, indices, indptr, sums, squares = _krylov.csr_from_csc(
        X.data, *_index_arrays(X), X.shape[0], w)
    rows = sp.csr_matrix((data, indices, indptr), shape=X.shape, copy=False)
    rows.has_sorted_indices = True
    return rows, sums, squares


def _index_arrays(X):
    """(indices, indptr) of compressed X in one integer width."""
    index = np.result_type(X.indices, X.indptr)
    return X.indices.astype(index, copy=False), X.indptr.astype(index, copy=False)


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
# the certificate, written once for every route

def certificate(red, z, Gamma, lambdas, R=None, block=16):
    """(RSS, gap) of each column of Gamma from the data: two passes over X for the path
    (one when the residuals R = z - A Gamma are known), taken ``block`` lambdas at a
    time so that no (p, n_lambdas) temporary is formed."""
    L = lambdas.size
    rss, grad_sq = np.empty(L), np.empty(L)
    for start in range(0, L, block):
        cols = slice(start, min(start + block, L))
        G = Gamma[:, cols]
        Rc = z[:, None] - red.op.matmat(G) if R is None else R[:, cols]
        grad = red.op.rmatmat(Rc)                 # A^T r - lam gamma
        grad -= lambdas[cols] * G
        rss[cols] = np.einsum("ij,ij->j", Rc, Rc)
        grad_sq[cols] = np.einsum("ij,ij->j", grad, grad)
    return rss, gap(grad_sq, lambdas)


def gap(grad_sq, lambdas):
    """Ridge's duality gap ||A^T r - lam gamma||^2 / (2 lam); at lam = 0, inf unless 0."""
    out = np.where(grad_sq > 0, np.inf, 0.0)
    np.divide(grad_sq, 2.0 * lambdas, out=out, where=lambdas > 0)
    return out
