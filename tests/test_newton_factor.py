"""The Newton step's linear algebra (_newton.pxi), checked against numpy.

The path keeps the single-precision Cholesky factor of K_SS = G_SS + diag(kappa_S) between
steps: features that enter the set A are appended to it, those that leave it stay in S and
are held at zero by a constraint, and a factor whose ridge terms belong to another lambda
(elastic net) is corrected by refinements. Each direction must equal the solution of
(G_AA + diag(kappa_A)) d = b however it was computed, and each of these ways must actually
be taken on these sequences of sets (the counts come from the hook's report of |S| and
|S minus A|).
"""
import numpy as np
import pytest
from scipy.signal import lfilter

from fastreg import _cd

N_SAMPLES, N_FEATURES = 1_000, 400


def gram(seed=0, rho=0.8):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((N_SAMPLES, N_FEATURES))
    X = lfilter([np.sqrt(1.0 - rho ** 2)], [1.0, -rho], Z, axis=1)
    X -= X.mean(axis=0)
    return np.ascontiguousarray(X.T @ X / N_SAMPLES)


def drifting_sets(seed=0, start=200, steps=20, enter=4, leave=1):
    """A grows by `enter` features and loses `leave` per step, as along a lasso path."""
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(N_FEATURES))
    A, sets = order[:start], []
    rest = order[start:]
    for _ in range(steps):
        sets.append(np.array(A))
        for _ in range(leave):
            A.pop(rng.integers(len(A)))
        A += [rest.pop() for _ in range(enter)]
    return sets


def gram_with_a_copy(seed):
    """G with feature 1 a copy of feature 0: any set holding both is singular."""
    G = gram(seed)
    G[1, :] = G[0, :]
    G[:, 1] = G[:, 0]
    return G


def assert_fresh_and_exact(G, out, A, b):
    d, fs, nr = out
    assert fs == len(A) and nr == 0
    np.testing.assert_allclose(d, np.linalg.solve(G[np.ix_(A, A)], b[:len(A)]),
                               rtol=1e-7, atol=1e-9)


def directions(G, sets, lambdas, l1_ratio, factor, seed=0):
    rng = np.random.default_rng(seed)
    rhs = rng.standard_normal((len(sets), N_FEATURES))
    out = _cd._newton_directions(G, sets, np.asarray(lambdas, dtype=float), l1_ratio,
                                 factor, rhs, N_SAMPLES)
    errors = []
    for k, (A, (d, fs, nr)) in enumerate(zip(sets, out)):
        assert d is not None
        assert fs - nr == len(A)
        kappa = lambdas[k] * (1.0 - l1_ratio) * factor[A]
        exact = np.linalg.solve(G[np.ix_(A, A)] + np.diag(kappa), rhs[k, :len(A)])
        errors.append(np.linalg.norm(d - exact) / np.linalg.norm(exact))
    return np.array(errors), np.array([o[1] for o in out]), np.array([o[2] for o in out])


def test_lasso_directions_from_a_kept_factor_are_exact():
    G, sets = gram(), drifting_sets()
    errors, fs, nr = directions(G, sets, np.ones(len(sets)), 1.0, np.ones(N_FEATURES))
    # (float32 factor, one refinement in double: (eps_32 cond)^2 relative)
    assert errors.max() < 1e-8
    # S grows by the entering features, R by those that left, until S outgrows its room
    kept = np.flatnonzero(np.diff(fs) == 4) + 1
    assert kept.size >= 12 and np.all(np.diff(nr)[kept - 1] == 1)
    assert 1 <= np.count_nonzero(nr[1:] == 0) <= 3


def test_features_back_in_a_leave_the_constraint():
    rng = np.random.default_rng(5)
    A, sets, left = list(range(150)), [], []
    for step in range(30):
        sets.append(np.array(A))
        left.append(A.pop(rng.integers(len(A))))
        A.append(150 + step)
        if step % 3 == 2:
            A += [left.pop(0), left.pop(0)]       # two that left come back
    errors, fs, nr = directions(gram(5), sets, np.ones(len(sets)), 1.0, np.ones(N_FEATURES))
    assert errors.max() < 1e-8
    assert np.any(np.diff(nr) < 0) and np.any(np.diff(nr) > 0)


def test_a_fresh_factor_when_the_features_that_left_outgrow_their_room():
    # 6 leave per step: R reaches its room (|S| / 8) and the factor starts over
    G, sets = gram(6), drifting_sets(6, start=240, steps=20, enter=6, leave=6)
    errors, fs, nr = directions(G, sets, np.ones(len(sets)), 1.0, np.ones(N_FEATURES))
    assert errors.max() < 1e-8
    assert np.count_nonzero(nr[1:] == 0) >= 2 and nr.max() >= 24


@pytest.mark.parametrize("l1_ratio", [0.5, 0.0])
@pytest.mark.parametrize("spread", [1.0, 5.0])
def test_a_factor_of_an_earlier_lambda_is_corrected_to_the_exact_direction(l1_ratio, spread):
    # consecutive lambdas 7% apart: the correction for the ridge terms contracts by
    # q = 1 - lam / lam_factor (at most 0.25: four lambdas), in more solves when the penalty
    # factors spread; the refinement in double is corrected the same way
    G, sets = gram(1), drifting_sets(1)
    lambdas = 0.5 * 0.93 ** np.arange(len(sets))
    factor = np.random.default_rng(1).uniform(1.0, spread, N_FEATURES)
    errors, fs, nr = directions(G, sets, lambdas, l1_ratio, factor)
    sizes = np.array([len(A) for A in sets])
    assert errors.max() < 1e-8
    assert np.count_nonzero(fs > sizes) >= 10     # kept across lambdas
    assert np.count_nonzero(fs == sizes) >= 4     # fresh every fifth lambda or so


def test_elastic_net_factor_is_fresh_when_lambdas_are_far_apart():
    # lambdas 30% apart: q = 0.3 > 0.25, every lambda takes a fresh factor; and with an
    # unpenalized feature in A the rate is unbounded, so again a fresh one each time
    G, sets = gram(2), drifting_sets(2)
    factor = np.ones(N_FEATURES)
    errors, fs, nr = directions(G, sets, 0.5 * 0.7 ** np.arange(len(sets)), 0.5, factor)
    assert errors.max() < 1e-8
    assert np.array_equal(fs, [len(A) for A in sets]) and not nr.any()
    factor[sets[0][0]] = 0.0
    errors, fs, nr = directions(G, sets, 0.5 * 0.93 ** np.arange(len(sets)), 0.5, factor)
    assert errors.max() < 1e-8
    assert np.array_equal(fs, [len(A) for A in sets]) and not nr.any()


def test_fresh_factor_when_the_room_grows_or_the_lasso_set_would_reach_n():
    G = gram(7)
    order = np.random.default_rng(7).permutation(N_FEATURES)
    # 100 features, then 300: the room (a quarter above |A|) is outgrown, the factor dropped
    sets = [order[:100], order[:104], order[:300], order[:304]]
    errors, fs, nr = directions(G, sets, np.ones(4), 1.0, np.ones(N_FEATURES))
    assert errors.max() < 1e-8
    assert list(fs) == [100, 104, 300, 304]
    assert list(nr) == [0, 0, 0, 0]
    # n = 205 samples: S may not reach n for the lasso (G_SS would be singular there)
    rng = np.random.default_rng(8)
    rhs = rng.standard_normal((3, N_FEATURES))
    sets = [order[:200], order[1:204], order[2:205]]
    out = _cd._newton_directions(G, sets, np.ones(3), 1.0, np.ones(N_FEATURES), rhs, 205)
    assert [(o[1], o[2]) for o in out] == [(200, 0), (204, 1), (203, 0)]


def test_singular_extension_falls_back_to_a_fresh_factor():
    # feature 1 a copy of feature 0: S = base + {0, 1} is singular, A = base + {1} is not
    G = gram_with_a_copy(9)
    base = np.arange(2, 202)
    sets = [np.r_[base, 0], np.r_[base, 1]]
    rhs = np.random.default_rng(9).standard_normal((2, N_FEATURES))
    out = _cd._newton_directions(G, sets, np.ones(2), 1.0, np.ones(N_FEATURES), rhs,
                                 N_SAMPLES)
    assert_fresh_and_exact(G, out[1], sets[1], rhs[1])


def test_same_lambda_reuses_the_elastic_net_factor_exactly():
    G, sets = gram(3), drifting_sets(3, steps=6)
    errors, fs, nr = directions(G, sets, np.full(len(sets), 0.2), 0.5,
                                np.random.default_rng(3).uniform(1.0, 3.0, N_FEATURES))
    assert errors.max() < 1e-8
    assert np.count_nonzero(nr > 0) >= 3


def test_nearly_singular_sets_are_refused_even_when_appended():
    G = gram_with_a_copy(4)
    base = np.arange(2, 202)
    sets = [base, np.r_[base, 0], np.r_[base, 0, 1], np.r_[base, 0, 300]]
    rhs = np.random.default_rng(4).standard_normal((len(sets), N_FEATURES))
    out = _cd._newton_directions(G, sets, np.ones(len(sets)), 1.0, np.ones(N_FEATURES),
                                 rhs, N_SAMPLES)
    assert out[0][0] is not None and out[1][0] is not None
    assert out[2][0] is None
    # and the next step starts over from a fresh factor of its own set
    assert_fresh_and_exact(G, out[3], sets[3], rhs[3])


def test_hook_rejects_bad_input():
    G, ones = gram(), np.ones(N_FEATURES)
    with pytest.raises(ValueError, match="non-empty"):
        _cd._newton_directions(G, [np.array([], dtype=np.intp)], np.ones(1), 1.0, ones,
                               np.zeros((1, N_FEATURES)), N_SAMPLES)
    with pytest.raises(ValueError, match="one entry"):
        _cd._newton_directions(G, [np.arange(3), np.arange(4)], np.ones(1), 1.0, ones,
                               np.zeros((2, N_FEATURES)), N_SAMPLES)
    with pytest.raises(ValueError, match="one row"):
        _cd._newton_directions(G, [np.arange(3)], np.ones(1), 1.0, ones,
                               np.zeros((1, 10)), N_SAMPLES)
