"""adelie on one benchmark problem at one tol; called by peers.AdelieSolver.

Usage: python _adelie_runner.py DATA_DIR LAMBDAS_FILE ALPHA TOL OUT_DIR REPEAT_BELOW

Runs in adelie's own environment (it pins numpy < 2), so it imports nothing from the
benchmarks. Reads the raw binaries written by peers.write_data, times ``adelie.grpnet``
alone, and writes the coefficients (p x K) as coef.npy and the time and lambdas solved
as result.json.
"""
import gc
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import adelie as ad


def load(data_dir):
    n, p, is_sparse, nnz = (int(v) for v in (data_dir / "meta.txt").read_text().split())
    y = np.fromfile(data_dir / "y.bin", dtype="<f8")
    if is_sparse:
        X = sp.csc_matrix((np.fromfile(data_dir / "data.bin", dtype="<f8"),
                           np.fromfile(data_dir / "indices.bin", dtype="<i4"),
                           np.fromfile(data_dir / "indptr.bin", dtype="<i4")), shape=(n, p))
    else:
        X = np.fromfile(data_dir / "X.bin", dtype="<f8").reshape((n, p), order="F")
    return X, y


def as_matrix(X):
    if sp.issparse(X):
        return ad.matrix.sparse(X, method="naive")
    return ad.matrix.dense(X, method="naive")


def fit(X, y, alpha, lambdas, tol):
    """Build adelie's objects (untimed), then time grpnet alone."""
    matrix, glm = as_matrix(X), ad.glm.gaussian(y)
    gc.collect()
    t0 = time.perf_counter()
    state = ad.grpnet(matrix, glm=glm, alpha=alpha, lmda_path=lambdas, intercept=True,
                      early_exit=False, tol=tol, progress_bar=False)
    return time.perf_counter() - t0, state


def main():
    data_dir, lambdas_file = Path(sys.argv[1]), sys.argv[2]
    alpha, tol = float(sys.argv[3]), float(sys.argv[4])
    out_dir, repeat_below = Path(sys.argv[5]), float(sys.argv[6])
    X, y = load(data_dir)
    lambdas = np.fromfile(lambdas_file, dtype="<f8")

    # untimed warm-up on a tiny problem of the same storage
    rng = np.random.default_rng(0)
    tiny = rng.standard_normal((20, 5))
    tiny = sp.csc_matrix(tiny) if sp.issparse(X) else np.asfortranarray(tiny)
    fit(tiny, rng.standard_normal(20), alpha, np.geomspace(1.0, 0.1, 3), 1e-7)

    times = []
    while True:
        seconds, state = fit(X, y, alpha, lambdas, tol)
        times.append(seconds)
        if seconds >= repeat_below or len(times) >= 3:
            break
    betas = state.betas.toarray() if sp.issparse(state.betas) else np.asarray(state.betas)
    np.save(out_dir / "coef.npy", np.ascontiguousarray(betas.T))
    (out_dir / "result.json").write_text(json.dumps(dict(
        time=min(times), n_lambdas_returned=int(betas.shape[0]),
        lambdas=[float(v) for v in state.lmdas])))


if __name__ == "__main__":
    main()
