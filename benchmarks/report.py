"""Machine description and the markdown report of compare.py."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

import peers

REPO = Path(__file__).resolve().parent.parent
SOLVER_ORDER = ("fastreg", "sklearn", "celer", "skglm", "glmnet", "adelie")
# the part of its solver's ladder a run belongs to (peers.py: the looser extension rungs run
# before the prescribed ladder of BENCHMARKING.md)
PRESCRIBED, EXTENSION = "prescribed", "extension"


def rung_of(rec):
    """A run's ladder part; runs saved before the extension existed are all prescribed."""
    return rec.get("rung", PRESCRIBED)


def prescribed(records):
    return [r for r in records if rung_of(r) == PRESCRIBED]


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _fastreg_revision():
    """The commit fastreg was measured at (read-only), '+ local changes' when the tree differs."""
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "fastreg"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head + (" + local changes" if dirty else "") if head else None
    except (OSError, subprocess.SubprocessError):
        return None


def _blas():
    try:
        from threadpoolctl import threadpool_info
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} thread(s))"
                         for i in threadpool_info())
    except Exception:  # noqa: BLE001
        return "unknown"


def machine_info(solvers):
    versions = {"python": sys.version.split()[0]}
    for dist in ("numpy", "scipy"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    for solver in solvers:
        versions.update({k: v for k, v in solver.versions().items() if v})
    return dict(cpu=_cpu_model(), cores=os.cpu_count(), memory=_memory(),
                platform=platform.platform(), blas=_blas(),
                threads={v: os.environ.get(v) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
                fastreg_revision=_fastreg_revision(), versions=versions)


def _sci(x):
    return f"{x:.1e}" if x is not None else "—"


def _seconds(t):
    return f"{t:.3g} s" if t >= 0.01 else f"{t * 1e3:.3g} ms"


def _tol(rec):
    """A run's tolerance, marked when it is an extension rung."""
    return f"{rec['tol']:.0e}" + (" ext." if rung_of(rec) == EXTENSION else "")


def _loosest_reached(prob, name, target, extended=False):
    """Whether the solver's first (loosest) run of its prescribed ladder, or with ``extended``
    of its whole ladder (the extension rungs come first), already reached the target."""
    first = next((r for r in prob["runs"] if r["solver"] == name and r["error"] is None
                  and (extended or rung_of(r) == PRESCRIBED)), None)
    return first is not None and first["precision"] <= target


def _cell(entry, loosest=False):
    if entry is None:
        return "not run"
    if entry.get("reached"):
        mark = " †" if loosest else ""
        return f"{_seconds(entry['time'])}{mark} ({_sci(entry['precision'])} @ {_tol(entry)})"
    if "error" in entry:
        return "failed"
    return f"did not reach (best {_sci(entry['best_precision'])})"


def _solvers_in(results):
    seen = {name for prob in results["problems"] for name in prob["summary"]}
    return [name for name in SOLVER_ORDER if name in seen]


def _shape_label(prob):
    dims = f"{prob['n_samples']:,} x {prob['n_features']:,}"
    if prob["sparse"]:
        dims += f", {prob['nnz'] / prob['n_samples']:.0f} nnz/row"
    return f"{prob['shape']} ({dims})"


def _fastest_peer(summary):
    """(name, entry) of the fastest peer that reached the target, or (None, None)."""
    reached = [(s["time"], name) for name, s in summary.items()
               if name != "fastreg" and s.get("reached")]
    if not reached:
        return None, None
    name = min(reached)[1]
    return name, summary[name]


def _ratio(ratio, fmt="{:.2f}"):
    return fmt.format(ratio) if ratio is not None else "—"


def problem_line(prob):
    parts = [f"  => {prob['shape']}/{prob['penalty']}:"]
    for name in SOLVER_ORDER:
        if name in prob["summary"]:
            parts.append(f"{name} {_cell(prob['summary'][name])};")
    if prob["ratio"] is not None:
        parts.append(f"fastreg/fastest peer {prob['ratio']:.2f};")
    if prob.get("summary_extended"):
        parts.append(f"extended ladders {_ratio(prob['ratio_extended'])}")
    breaches = certificate_breaches(prob)
    if breaches:
        parts.append(f"\n  !! fastreg's suboptimality exceeds its reported gap at tol {breaches}")
    return " ".join(parts)


def certificate_breaches(prob, slack=1e-12):
    """Tolerances of the runs whose reported duality gap did not bound their suboptimality."""
    return [rec["tol"] for rec in prob["runs"] if rec.get("certificate_excess", 0.0) > slack]


def _scale_text(results):
    if results["scale"] == 1.0:
        return "full size"
    scales = {prob["shape"]: prob["scale"] for prob in results["problems"]}
    return "n and p scaled by " + ", ".join(f"{s:g} ({name})" for name, s in scales.items())


def _span(ladder):
    return f"{ladder[0]:.0e}..{ladder[-1]:.0e}"


def _penalty_label(prob):
    return prob["penalty"] + ("" if prob["l1_ratio"] == 1.0 else f" (a={prob['l1_ratio']:g})")


def _footnote(target):
    it, th = peers.ITERATIVE_EXTENSION, peers.THRESH_EXTENSION
    return [
        "† the solver's loosest setting already reached the target, so this time is an upper "
        "bound on its time to reach it (BENCHMARKING.md's prescribed ladders: tol "
        f"{_span(peers.ITERATIVE_LADDER)}, thresh {_span(peers.THRESH_LADDER)}).",
        "",
        f"Ratio, extended ladders: every solver also runs looser extension rungs first (tol "
        f"{', '.join(f'{t:.0e}' for t in it)}; thresh {', '.join(f'{t:.0e}' for t in th)}), "
        f"because otherwise its time to {target:g} is capped by its ladder's loosest rung, "
        "which biases the ratio against whichever solver overshoots the target most there. "
        "This ratio is over all rungs, detailed in the table after this one, where † means the "
        "loosest extension rung already reached the target (— where the extension was not "
        "run: `--no-extension`, or results saved before it existed).",
    ]


def _main_table(results, solvers, target):
    lines = ["| shape | penalty | " + " | ".join(solvers)
             + " | fastreg / fastest peer | ratio, extended ladders | fastreg pass-eq. "
             "| fastest peer pass-eq. | X.T@v |",
             "|---|---|" + "---|" * len(solvers) + "---|---|---|---|---|"]
    for prob in results["problems"]:
        summary = prob["summary"]
        cells = [_cell(summary.get(name), _loosest_reached(prob, name, target)) for name in solvers]
        fast = summary.get("fastreg", {})
        fastest_peer = _fastest_peer(summary)[1]
        fast_pe = f"{fast['pass_equivalents']:.0f}" if fast.get("reached") else "—"
        peer_pe = f"{fastest_peer['pass_equivalents']:.0f}" if fastest_peer else "—"
        lines.append(f"| {_shape_label(prob)} | {_penalty_label(prob)} | " + " | ".join(cells)
                     + f" | {_ratio(prob['ratio'], '**{:.2f}**')} "
                     f"| {_ratio(prob.get('ratio_extended'))} | {fast_pe} | {peer_pe} "
                     f"| {_seconds(prob['matvec_time'])} |")
    return lines


def _extended_table(results, target):
    """fastreg's and the fastest peer's runs behind each extended ratio (none without extension)."""
    probs = [prob for prob in results["problems"] if prob.get("summary_extended")]
    if not probs:
        return []
    lines = ["", "Extended ladders (extension rungs, marked ext., then the prescribed ones): "
             "fastreg's and the fastest peer's fastest run at the target.", "",
             "| shape | penalty | fastreg | fastest peer | fastreg / fastest peer |",
             "|---|---|---|---|---|"]
    for prob in probs:
        summary = prob["summary_extended"]

        def cell(name):
            return _cell(summary.get(name), _loosest_reached(prob, name, target, extended=True))
        peer = _fastest_peer(summary)[0]
        lines.append(f"| {_shape_label(prob)} | {_penalty_label(prob)} | {cell('fastreg')} | "
                     + (f"{peer} {cell(peer)}" if peer else "none reached")
                     + f" | {_ratio(prob['ratio_extended'])} |")
    return lines


def _every_run(results):
    lines = ["", "## Every run", "",
             "Precision is max_k (P_k - P*_k) / P(0) against the final P*; pass-eq. = time / "
             "X.T@v time; ext. marks an extension rung. Rungs not listed were skipped by the "
             "early stop (a solver stops two prescribed rungs after reaching the target) or by "
             "the time limit.", ""]
    for prob in results["problems"]:
        lines += [f"### {_shape_label(prob)}, {prob['penalty']}", "",
                  f"lambda_max = {prob['lambda_max']:.6g}, lambda_min = {prob['lambda_min']:.6g}, "
                  f"P(0) = {prob['null_objective']:.6g}, X.T@v = {_seconds(prob['matvec_time'])}.",
                  "", "| solver | tol | time | pass-eq. | precision | notes |", "|---|---|---|---|---|---|"]
        for rec in prob["runs"]:
            if rec["error"]:
                lines.append(f"| {rec['solver']} | {_tol(rec)} | — | — | — | error: {rec['error'][:120]} |")
                continue
            notes = ", ".join(f"{k}={v:.2g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in rec["info"].items() if not k.startswith("_"))
            if rec.get("certificate_excess", 0.0) > 1e-12:
                notes += f", **suboptimality exceeds the reported gap by {rec['certificate_excess']:.1e}**"
            lines.append(f"| {rec['solver']} | {_tol(rec)} | {_seconds(rec['time'])} | "
                         f"{rec['time'] / prob['matvec_time']:.0f} | {_sci(rec['precision'])} | {notes} |")
        for name, why in prob.get("stopped", {}).items():
            lines.append(f"\n{name}: ladder stopped ({why}).")
        lines.append("")
    return lines


def markdown(results):
    solvers = _solvers_in(results)
    target = results["target"]
    lines = [
        "# fastreg vs its peers: regularization paths",
        "",
        f"Time of the fastest run whose worst relative suboptimality over the 100-lambda grid, "
        f"max_k (P_k - P*_k) / P(0), is <= {target:g}; in brackets the precision that run "
        "reached and the solver's own tolerance setting (tol; thresh for glmnet and adelie). "
        "P is our objective with the optimal intercept of each returned beta, P* the best any "
        "run reached. Ratio: fastreg time / fastest peer time in the same run. "
        "Pass-equivalents: path time / time of one `X.T @ v` on the same data. "
        "Method: shared/BENCHMARKING.md; code: `benchmarks/compare.py`.",
        "",
        *_footnote(target),
        "",
        *_main_table(results, solvers, target),
        *_extended_table(results, target),
        *_every_run(results),
    ]

    m = results["machine"]
    lines += ["## Machine and versions", "",
              f"- CPU: {m['cpu']}, {m['cores']} cores, {m['memory']} memory; {m['platform']}",
              f"- BLAS: {m['blas']}; thread limits: "
              + ", ".join(f"{k}={v}" for k, v in m["threads"].items()),
              f"- fastreg revision: {m['fastreg_revision']}",
              "- versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
              f"- data: {_scale_text(results)}, seed {results['seed']}"]
    if results["skipped"]:
        lines += ["- skipped peers: " + "; ".join(f"{k} ({v})" for k, v in results["skipped"].items())]
    lines += ["", "Command:", "", "```", results["command"], "```", ""]
    return "\n".join(lines)
