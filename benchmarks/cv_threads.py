"""Cross-validation cost against one path, with 1 and 2 threads (issue 4's measurement).

    OPENBLAS_NUM_THREADS=1 python benchmarks/cv_threads.py

For each shape: the time of one 100-lambda path, of a 10-fold CV on the same grid (the
full-data path plus 10 fold paths) with n_jobs=1 and n_jobs=2, min of 3 runs, and the process
CPU time (about twice the wall time when the two threads really run at once).
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import datasets  # noqa: E402

import fastreg  # noqa: E402


def best(func, repeats=3):
    runs = []
    for _ in range(repeats):
        cpu, wall = os.times(), time.perf_counter()
        func()
        wall, cpu2 = time.perf_counter() - wall, os.times()
        runs.append((wall, cpu2.user - cpu.user + cpu2.system - cpu.system))
    return min(runs)


def main(shapes=("dense_wide", "sparse_text")):
    print("| shape | one path | 10-fold CV, 1 thread | 10-fold CV, 2 threads | speed-up |")
    print("|---|---|---|---|---|")
    for name in shapes:
        X, y, _ = datasets.make(name)
        n, p = X.shape
        grid = dict(n_lambdas=100, lambda_min_ratio=1e-2 if n < p else 1e-3)
        fastreg.enet_path(X, y, n_lambdas=3, lambda_min_ratio=0.5)      # warm up
        t_path, _ = best(lambda: fastreg.enet_path(X, y, **grid))
        t1, c1 = best(lambda: fastreg.cv_path(X, y, folds=10, n_jobs=1, **grid))
        t2, c2 = best(lambda: fastreg.cv_path(X, y, folds=10, n_jobs=2, **grid))
        print(f"| {name} ({n} x {p}) | {t_path:.3f} s | {t1:.3f} s ({t1 / t_path:.1f} paths; "
              f"cpu {c1:.2f} s) | {t2:.3f} s ({t2 / t_path:.1f} paths; cpu {c2:.2f} s) | "
              f"{t1 / t2:.2f}x |")


if __name__ == "__main__":
    main(sys.argv[1:] or ("dense_wide", "sparse_text"))
