"""Peak memory of a fastreg path fit: is the input ever copied? (issue 3)

What: for each benchmark shape of datasets.py, lasso and elastic net (l1_ratio 0.5), in
float64 (and float32 for the dense shapes and sparse_text), the resident memory a
`fastreg.enet_path` call adds on top of what the process held just before it.

How: one fresh subprocess per (shape, penalty, dtype) builds the data (X Fortran-ordered
or CSC with int32 indices, y standardized), runs a warm-up fit on a 1000 x 300 slice
(lazy imports, BLAS/LAPACK buffers), gives freed heap back to the OS (malloc_trim; blocks
of 128 KiB or more are mmapped, MALLOC_MMAP_THRESHOLD_, so none hides in resident heap),
then fits
    enet_path(X, y, l1_ratio=a, n_lambdas=100, lambda_min_ratio=1e-2 if n < p else 1e-3,
              tol=1e-4)
while a thread samples RSS from /proc/self/statm every ~1 ms (the kernel releases the
GIL). The kernel's exact high-water mark (VmHWM, reset through /proc/self/clear_refs) is
read too, so transients shorter than a sample are not missed; "extra" is the larger peak
minus the RSS just before the call. "validation" is the same measurement around the
input checks alone (check_design, check_target), which run before the compiled path.

The rule: the result (the coefficients, which come back sparse: `coef_sparse`; the dense
`coef` is only built when read, after the measurement; and the per-lambda arrays) is a
legitimate allocation and is subtracted; what is left must fit in
    allowed = 0.2 * input bytes + c * (n + p) * 8 bytes,   c = 16,
input bytes = X.data + X.indices + X.indptr (or X.nbytes) + y.nbytes. A copy of X (or a
float32 -> float64 upcast) alone would exceed it. A row that fails is measured again with
X and y stacked 4 times (--probe-rows): the same problem, path and working sets with 4x
the input bytes, which tells scratch sized by the working set (Gram cache, Newton
matrix: up to 64 MiB each) from memory that grows with X.

    OPENBLAS_NUM_THREADS=1 python benchmarks/memory.py [--small | --scale S] [--shapes ...]
        [--out benchmarks/memory_results.md]
"""
from __future__ import annotations

import argparse, ctypes, json, os, subprocess, sys, threading, time, warnings

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402
from report import machine_info  # noqa: E402

C_WORK = 16          # the c of the rule: c * (n + p) doubles of work arrays
SHAPES = list(datasets.SHAPES)
FLOAT32_SHAPES = ("dense_wide", "dense_square", "sparse_text")
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1e6


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def hwm():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmHWM"))


def peak_extra(fn):
    """(fn(), peak RSS during fn minus RSS before (max of VmHWM and samples), sampled alone)."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f:  # reset VmHWM to the current RSS
        f.write("5")
    base, peak, done = rss(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss())
            time.sleep(1e-3)

    thread = threading.Thread(target=sample)
    thread.start()
    try:
        out = fn()
    finally:
        done.set()
        thread.join()
    sampled = max(peak[0], rss()) - base
    return out, max(hwm() - base, sampled), sampled


def child(shape, penalty, dtype, scale, rows=1):
    """Runs in the fresh subprocess: one measurement, returned as a dict.

    rows > 1 stacks X (and y) that many times: the same problem (same path, working sets,
    Gram and Newton sizes), with `rows` times the input bytes, so what grows with X shows.
    """
    import fastreg
    from fastreg import _validation as v
    X, y, _ = datasets.make(shape, scale=scale)
    a = 1.0 if penalty == "lasso" else 0.5
    kw = dict(l1_ratio=a, n_lambdas=100, tol=1e-4,
              lambda_min_ratio=1e-2 if X.shape[0] < X.shape[1] else 1e-3)
    y = np.tile(datasets.standardize_target(y).astype(dtype), rows)
    if rows > 1:
        X = datasets._as_csc(sp.vstack([X] * rows)) if sp.issparse(X) else np.tile(X, (rows, 1))
    X = X.astype(dtype, copy=False)
    X = X if sp.issparse(X) else np.asfortranarray(X)   # layouts fastreg uses in place
    assert sp.isspmatrix_csc(X) and X.indices.dtype == np.int32 or X.flags.f_contiguous
    n, p = X.shape
    warnings.simplefilter("ignore")
    small = X[:min(n, 1000), :min(p, 300)]     # warm-up: same format, dtype and kernels
    fastreg.enet_path(small.tocsc() if sp.issparse(small) else np.asfortranarray(small),
                      y[:small.shape[0]], **kw)
    _, validation, _ = peak_extra(lambda: (v.check_design(X), v.check_target(y, n, X.dtype)))
    t0 = time.perf_counter()
    res, extra, sampled = peak_extra(lambda: fastreg.enet_path(X, y, **kw))
    seconds = time.perf_counter() - t0
    parts = (X.data, X.indices, X.indptr) if sp.issparse(X) else (X,)
    S = res.coef_sparse          # (the coefficients as the fit returns them: sparse)
    arrays = ([f for f in vars(res).values() if isinstance(f, np.ndarray)]
              + [S.data, S.indices, S.indptr])
    return dict(shape=shape, penalty=penalty, dtype=dtype, n=n, p=p, scale=scale, rows=rows,
                input=sum(x.nbytes for x in parts) + y.nbytes, coef_dtype=str(res.coef.dtype),
                output=sum(x.nbytes for x in arrays), extra=extra, sampled=sampled,
                validation=validation, seconds=seconds, max_nnz=int(res.n_nonzero.max()))


def run(shape, penalty, dtype, scale, rows=1):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MALLOC_MMAP_THRESHOLD_="131072")  # big blocks always mmapped: RSS sees them
    cmd = [sys.executable, os.path.abspath(__file__), "--child",
           json.dumps([shape, penalty, dtype, scale, rows])]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def verdict(r):
    allowed = 0.2 * r["input"] + C_WORK * (r["n"] + r["p"]) * 8
    work = r["extra"] - r["output"]
    ok = work <= allowed and r["coef_dtype"] == r["dtype"]
    return allowed, work, "PASS" if ok else "FAIL"


def table(rows):
    head = ["shape", "penalty", "dtype", "n", "p", "input MB", "output MB", "extra MB",
            "sampled extra MB", "validation MB", "(extra-output)/input", "allowed MB",
            "fit s", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        allowed, work, ok = verdict(r)
        cells = [r["shape"], r["penalty"], r["dtype"], r["n"], r["p"]]
        cells += [f"{r[k] / MB:.2f}" for k in ("input", "output", "extra", "sampled", "validation")]
        cells += [f"{work / r['input']:.3f}", f"{allowed / MB:.2f}", f"{r['seconds']:.2f}", ok]
        lines.append("| " + " | ".join(map(str, cells)) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shapes", nargs="+", default=SHAPES, choices=SHAPES)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--small", action="store_true", help="--scale 0.1")
    ap.add_argument("--probe-rows", type=int, default=4,
                    help="rerun FAIL rows with X stacked this many times (0: no)")
    ap.add_argument("--out", help="markdown file to write")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*json.loads(args.child))))
        return
    scale = 0.1 if args.small else args.scale
    rows = []
    for shape in args.shapes:
        for dtype in ["float64"] + (["float32"] if shape in FLOAT32_SHAPES else []):
            for penalty in ("lasso", "enet"):
                rows.append(run(shape, penalty, dtype, scale))
                print(rows[-1], file=sys.stderr, flush=True)
    text = table(rows)
    probes = [run(r["shape"], r["penalty"], r["dtype"], scale, args.probe_rows)
              for r in rows if args.probe_rows > 1 and verdict(r)[2] == "FAIL"]
    if probes:
        text += (f"\n\nEvery FAIL row again with X and y stacked {args.probe_rows} times (the "
                 "same problem and path, more input bytes):\n\n" + table(probes) + "\n")
    for probe in probes:
        r = next(r for r in rows if r["shape"] == probe["shape"] and r["penalty"] ==
                 probe["penalty"] and r["dtype"] == probe["dtype"])
        grown, added = verdict(probe)[1] - verdict(r)[1], probe["input"] - r["input"]
        text += (f"\n- {r['shape']} {r['penalty']} {r['dtype']}: {added / MB:.1f} MB more "
                 f"input, extra - output {verdict(r)[1] / MB:.1f} -> {verdict(probe)[1] / MB:.1f}"
                 f" MB ({grown / added:+.1%} of the added bytes): " +
                 ("the excess does not grow with X, it is not a copy of X" if grown < 0.2 * added
                  else "the excess grows with X"))
    print(text)
    if args.out:
        command = "OPENBLAS_NUM_THREADS=1 python benchmarks/memory.py " + " ".join(sys.argv[1:])
        with open(args.out, "w") as f:
            m = machine_info([])
            machine = (f"{m['cpu']}, {m['cores']} cores, {m['memory']}, {m['platform']}; "
                       f"fastreg {m['fastreg_revision']}; " + ", ".join(
                           f"{k} {v}" for k, v in m["versions"].items()))
            f.write(f"# Peak memory of a path fit\n\nMachine: {machine}\n\n"
                    f"Command: `{command}`\n\nRule: (extra - output) <= 0.2 x input bytes + "
                    f"{C_WORK} x (n + p) x 8 bytes (c = {C_WORK}); float32 input must give a "
                    f"float32 result.\n\n{text}\n")


if __name__ == "__main__":
    main()
