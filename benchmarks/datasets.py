"""Seeded benchmark problems: the shapes users bring (see shared BENCHMARKING.md).

Every generator returns ``(X, y, beta_true)`` with X Fortran-ordered float64 (dense) or
CSC float64 with int32 indices (sparse), and y standardized to mean 0 and unit variance
(1/n), since glmnet rescales y internally and its elastic-net problem only matches ours
when y already has unit variance.

y is made from a sparse true coefficient vector plus Gaussian noise at a fixed
signal-to-noise ratio, then standardized.

``make(name, scale=...)`` builds a shape by name; ``scale`` multiplies n_samples and
n_features; ``scale="small"`` is the smoke-test size of that shape (`SMALL_SCALE`, less for
the large case). Nothing is downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.signal import lfilter

__all__ = ["SHAPES", "SMALL_SCALE", "Shape", "make", "standardize_target",
           "make_dense_correlated", "make_tfidf", "make_onehot"]

SMALL_SCALE = 0.05  # n and p multiplier of the --small smoke test


@dataclass(frozen=True)
class Shape:
    """A named benchmark shape at full scale."""

    name: str
    description: str
    n_samples: int
    n_features: int
    kind: str          # "dense_correlated", "tfidf" or "onehot"
    options: dict
    min_samples: int = 20
    min_features: int = 10
    small_scale: float = SMALL_SCALE


SHAPES = {s.name: s for s in [
    Shape("dense_wide", "dense p>>n, AR(1) correlated columns (rho=0.5), genomics-like",
          100, 10_000, "dense_correlated", dict(rho=0.5, n_informative=20), min_samples=50),
    Shape("dense_square", "dense n~p, AR(1) correlated columns (rho=0.5)",
          1_000, 1_000, "dense_correlated", dict(rho=0.5, n_informative=50)),
    Shape("sparse_text", "sparse p>n TF-IDF, ~25 terms per row, Zipf column frequencies",
          20_000, 50_000, "tfidf", dict(terms_per_row=25, zipf_exponent=1.1, n_informative=100)),
    Shape("sparse_onehot", "sparse n>>p one-hot of 8 categorical columns, skewed level counts",
          300_000, 5_000, "onehot",
          dict(level_fractions=(0.4, 0.3, 0.15, 0.08, 0.04, 0.02, 0.007, 0.003),
               n_informative=200)),
    Shape("sparse_large", "large sparse TF-IDF, ~50 terms per row, Zipf column frequencies",
          200_000, 200_000, "tfidf", dict(terms_per_row=50, zipf_exponent=1.1, n_informative=500),
          small_scale=0.01),
]}


def make(name, *, scale=1.0, seed=0):
    """Build the shape ``name`` with n and p multiplied by ``scale``; returns (X, y, beta_true)."""
    shape = SHAPES[name]
    if scale == "small":
        scale = shape.small_scale
    n = max(int(round(shape.n_samples * scale)), shape.min_samples)
    p = max(int(round(shape.n_features * scale)), shape.min_features)
    generator = {"dense_correlated": make_dense_correlated, "tfidf": make_tfidf,
                 "onehot": make_onehot}[shape.kind]
    options = dict(shape.options)
    if shape.kind == "onehot":
        options["n_features"] = p
        return generator(n, seed=seed, **options)
    return generator(n, p, seed=seed, **options)


def standardize_target(y):
    """y - mean(y), divided by its 1/n standard deviation."""
    y = np.asarray(y, dtype=np.float64)
    y = y - y.mean()
    return y / np.sqrt(np.mean(y ** 2))


def _target(X, beta, rng, snr):
    """y = X beta + noise with var(X beta) / var(noise) = snr, standardized."""
    signal = np.asarray(X @ beta).ravel()
    sigma = np.std(signal) / np.sqrt(snr)
    if not sigma > 0:
        sigma = 1.0
    return standardize_target(signal + sigma * rng.standard_normal(signal.size))


def _sparse_beta(rng, n_features, n_informative, support=None):
    """A true coefficient vector with n_informative +-(1..2) entries on ``support`` (or any)."""
    beta = np.zeros(n_features)
    pool = np.arange(n_features) if support is None else np.asarray(support)
    k = min(n_informative, pool.size)
    idx = rng.choice(pool, size=k, replace=False)
    beta[idx] = rng.choice([-1.0, 1.0], size=k) * rng.uniform(1.0, 2.0, size=k)
    return beta


def make_dense_correlated(n_samples, n_features, *, rho=0.5, n_informative=20, snr=3.0, seed=0):
    """Dense Gaussian design with Toeplitz correlation corr(x_i, x_j) = rho^|i-j|.

    Each row is a stationary AR(1) sequence over the features,
    x_j = rho x_{j-1} + sqrt(1 - rho^2) z_j, run as one linear filter along the
    feature axis (O(n p), no p x p covariance). Returns a Fortran-ordered array.
    """
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_samples, n_features))
    # x_0 = z_0 (stationary start): pre-divide so the filter's gain sqrt(1-rho^2) cancels
    Z[:, 0] /= np.sqrt(1.0 - rho ** 2)
    X = lfilter([np.sqrt(1.0 - rho ** 2)], [1.0, -rho], Z, axis=1)
    X = np.asfortranarray(X)
    beta = _sparse_beta(rng, n_features, n_informative)
    return X, _target(X, beta, rng, snr), beta


def make_tfidf(n_samples, n_features, *, terms_per_row=25, zipf_exponent=1.1,
               n_informative=100, snr=3.0, seed=0):
    """Sparse TF-IDF matrix with power-law (Zipf) term frequencies, rows L2-normalized.

    Tokens are drawn from a vocabulary of 4 * n_features candidate terms, the term of
    rank r with probability proportional to r^-zipf_exponent; the n_features terms that
    occur in most documents become the columns (as a min_df / max_features vectorizer
    keeps them), so no column is empty and document frequencies follow a power law.
    A document draws a Poisson number of tokens, sized so that it holds about
    ``terms_per_row`` distinct terms; repeated tokens add up to a term count. Weights are
    sublinear tf (1 + log count) times the smoothed idf log((1 + n) / (1 + df)) + 1, as
    scikit-learn's TfidfTransformer. The informative terms are drawn among those present
    in at least 0.1% of the documents.
    """
    rng = np.random.default_rng(seed)
    n_candidates = 4 * n_features
    probs = np.arange(1, n_candidates + 1, dtype=np.float64) ** -zipf_exponent
    probs /= probs.sum()
    tokens_per_row = _tokens_for_distinct(probs, terms_per_row)

    lengths = np.maximum(rng.poisson(tokens_per_row, size=n_samples), 1)
    rows = np.repeat(np.arange(n_samples, dtype=np.int64), lengths)
    terms = rng.choice(n_candidates, size=rows.size, p=probs)
    counts = sp.csc_matrix((np.ones(rows.size), (rows, terms)), shape=(n_samples, n_candidates))
    counts.sum_duplicates()

    df = np.diff(counts.indptr)
    # keep the n_features most frequent terms (ties broken at random), in random order
    kept = np.lexsort((rng.random(n_candidates), -df))[:n_features]
    counts = counts[:, rng.permutation(kept)].tocsr()
    df = np.bincount(counts.indices, minlength=n_features)
    idf = np.log((1.0 + n_samples) / (1.0 + df)) + 1.0
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    row_norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    row_norms[row_norms == 0] = 1.0
    counts.data /= np.repeat(row_norms, np.diff(counts.indptr))
    X = _as_csc(counts)

    frequent = np.flatnonzero(df >= max(1, n_samples // 1000))
    beta = _sparse_beta(rng, n_features, n_informative, support=frequent)
    return X, _target(X, beta, rng, snr), beta


def _tokens_for_distinct(probs, n_distinct):
    """Tokens L per document whose expected distinct count sum_j 1 - (1 - p_j)^L is n_distinct."""
    low, high = float(n_distinct), 100.0 * n_distinct
    for _ in range(50):  # bisection: the expected distinct count increases with L
        mid = 0.5 * (low + high)
        if np.sum(-np.expm1(mid * np.log1p(-probs))) < n_distinct:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def make_onehot(n_samples, *, n_features=5_000, level_fractions=(0.5, 0.3, 0.2),
                n_informative=200, snr=3.0, seed=0):
    """One-hot encoding of several categorical columns (n >> p, one 1 per block per row).

    Categorical column c has round(level_fractions[c] * n_features) levels (at least 2),
    the levels of one column drawn with Zipf-like skewed frequencies, so a few levels are
    common and thousands are rare. Every level is kept as a column (no reference level):
    the intercept is unpenalized, so the penalty picks the representation.
    """
    rng = np.random.default_rng(seed)
    fractions = np.asarray(level_fractions, dtype=np.float64)
    levels = np.maximum(np.round(fractions / fractions.sum() * n_features).astype(np.int64), 2)
    levels[0] += n_features - levels.sum()          # exact total
    offsets = np.concatenate([[0], np.cumsum(levels)[:-1]])

    columns = np.empty((n_samples, levels.size), dtype=np.int64)
    for c, (n_levels, offset) in enumerate(zip(levels, offsets)):
        probs = np.arange(1, n_levels + 1, dtype=np.float64) ** -1.0
        probs /= probs.sum()
        columns[:, c] = offset + rng.choice(n_levels, size=n_samples, p=probs)
    rows = np.repeat(np.arange(n_samples, dtype=np.int64), levels.size)
    X = sp.coo_matrix((np.ones(rows.size), (rows, columns.ravel())),
                      shape=(n_samples, n_features))
    X = _as_csc(X)

    counts = np.diff(X.indptr)
    frequent = np.flatnonzero(counts >= max(1, n_samples // 2000))
    beta = _sparse_beta(rng, n_features, n_informative, support=frequent)
    return X, _target(X, beta, rng, snr), beta


def _as_csc(X):
    """Canonical CSC float64 with int32 indices (sorted, no duplicates)."""
    X = sp.csc_matrix(X, dtype=np.float64)
    X.sum_duplicates()
    X.sort_indices()
    X.indices = X.indices.astype(np.int32, copy=False)
    X.indptr = X.indptr.astype(np.int32, copy=False)
    return X
