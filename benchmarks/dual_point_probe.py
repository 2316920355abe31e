"""Probe of the dual point after one sweep (docs/benchmarks.md, 2ff5a6f summary).

On the large lasso, at lambda k: the secant prediction from the certified solutions at k-1
and k-2, one cyclic CD sweep over the working set (the non-zeros and the strong rule), in
numpy; then the duality gap / target (tol 1e-4) with the uniformly scaled dual point, and
with theta = r - X_V z, z bringing the |V| worst s_j back to lam exactly.

    OPENBLAS_NUM_THREADS=1 python benchmarks/dual_point_probe.py 40,60,75,85,92,97
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import datasets  # noqa: E402
import fastreg  # noqa: E402

X, y, _ = datasets.make("sparse_large")
X = X.tocsc()
y = datasets.standardize_target(np.asarray(y, dtype=float))
n, p = X.shape
lams = fastreg.enet_path(X, y, l1_ratio=1.0, lambda_min_ratio=1e-3, n_lambdas=2).lambdas
lams = lams[0] * np.geomspace(1, 1e-3, 100)
ks = [int(a) for a in sys.argv[1].split(',')]
res = fastreg.enet_path(X, y, l1_ratio=1.0, lambdas=lams[:max(ks)], tol=1e-4)
B = res.coef_sparse.tocsc()
mean = np.asarray(X.mean(axis=0)).ravel()
yc = y - y.mean()
sqn = np.asarray(X.multiply(X).sum(axis=0)).ravel() / n - mean**2
Xc_dot = lambda b: X @ b - mean @ b
grad = lambda r: (X.T @ r - mean * r.sum()) / n
null = 0.5 * (yc @ yc) / n; target = 1e-4 * null
for k in ks:
    lam, lp = lams[k], lams[k-1]
    bp = B[:, [k-1]].toarray().ravel(); bpp = B[:, [k-2]].toarray().ravel()
    rp = yc - Xc_dot(bp); sp_ = grad(rp)
    ws = np.flatnonzero((bp != 0) | (np.abs(sp_) > 2*lam - lp))
    t = (lp - lam) / (lams[k-2] - lp)
    lin = bp + t*(bp - bpp); b = np.where(lin*bp > 0, lin, 0.0)
    r = yc - Xc_dot(b)
    # one cyclic CD epoch over ws
    Xw = X[:, ws].tocsc()
    for idx, j in enumerate(ws):
        lo, hi = Xw.indptr[idx], Xw.indptr[idx+1]
        rows, vals = Xw.indices[lo:hi], Xw.data[lo:hi]
        s = (vals @ r[rows] - mean[j]*r.sum()) / n
        z = b[j]*sqn[j] + s
        new = np.sign(z)*max(abs(z) - lam, 0)/sqn[j]
        dlt = new - b[j]
        if dlt != 0:
            r[rows] -= dlt*vals; r += dlt*mean[j]; b[j] = new
    s = grad(r)
    P = 0.5*(r@r)/n + lam*np.abs(b).sum()
    def dual(theta_r, smax):
        tt = min(1.0, lam/smax)
        return tt*(theta_r@yc)/n - 0.5*tt*tt*(theta_r@theta_r)/n
    smax_ws = np.abs(s[ws]).max(); smax_all = np.abs(s).max()
    Gu = P - dual(r, smax_all)
    out = [f"k={k} |ws|={len(ws)} nz={np.count_nonzero(b)} uniform gap/target={Gu/target:.2f} max|s|/lam={smax_all/lam:.5f}"]
    # corrected dual point along the worst columns V
    viol = np.abs(s[ws]) - lam
    order = np.argsort(-viol)
    for m in (10, 30, 100, 300, 1000):
        V = ws[order[:m]]; V = V[np.abs(s[V]) > lam]
        if len(V) == 0: break
        XV = X[:, V].toarray() - mean[V]
        GVV = XV.T @ XV / n
        tgt = np.sign(s[V]) * lam
        z = np.linalg.solve(GVV + 1e-12*np.eye(len(V)), s[V] - tgt)
        u = XV @ z
        rr = r - u
        s2 = grad(rr)
        G2 = P - dual(rr, np.abs(s2).max())
        out.append(f"m={m}({len(V)}): gap/target={G2/target:.3f} max|s'|/lam={np.abs(s2).max()/lam:.6f}")
    print("; ".join(out), flush=True)
