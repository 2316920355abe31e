"""pytest-benchmark suite for fastreg's own paths: one benchmark per shape and penalty.

    pytest benchmarks/ --benchmark-only

Not part of the test run (``pytest`` and ``pytest tests`` collect tests/ only). Sizes are
the full shapes of datasets.py times FASTREG_BENCH_SCALE (default 0.1); each dataset is
made once per module. Every round gets fresh copies of X and y (``benchmark.pedantic``
with a setup), so no round reuses a previous round's buffers. The lambda grid and the
objective follow compare.py: 100 lambdas from lambda_max, tol 1e-6 relative duality gap.
Comparisons with the peers live in compare.py, not here.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytest_benchmark")
fastreg = pytest.importorskip("fastreg")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import datasets  # noqa: E402
from compare import PENALTIES, lambda_grid  # noqa: E402

SCALE = float(os.environ.get("FASTREG_BENCH_SCALE", "0.1"))
TOL = 1e-6
ROUNDS = int(os.environ.get("FASTREG_BENCH_ROUNDS", "3"))


@pytest.fixture(scope="module", params=list(datasets.SHAPES))
def shape_data(request):
    X, y, _ = datasets.make(request.param, scale=SCALE)
    return request.param, X, y


@pytest.mark.parametrize("penalty", list(PENALTIES))
def test_enet_path(benchmark, shape_data, penalty):
    shape, X, y = shape_data
    l1_ratio = PENALTIES[penalty]
    lambdas = lambda_grid(X, y, l1_ratio)
    benchmark.group = f"{shape}-{penalty}"
    benchmark.extra_info.update(shape=shape, penalty=penalty, n_samples=X.shape[0],
                                n_features=X.shape[1], scale=SCALE, tol=TOL)

    def fresh_inputs():
        return (X.copy(), y.copy()), dict(l1_ratio=l1_ratio, lambdas=lambdas, tol=TOL)

    result = benchmark.pedantic(fastreg.enet_path, setup=fresh_inputs, rounds=ROUNDS,
                                iterations=1, warmup_rounds=1)
    benchmark.extra_info["n_passes"] = int(np.sum(result.n_passes))
    assert result.coef.shape == (X.shape[1], lambdas.size)
    assert np.all(result.converged)
    assert np.max(result.dual_gap) <= TOL
