"""The comparison's rounds (benchmarks/compare.py rerun_rounds): turns, minimum, failures;
and its extension rungs (run_ladders, summarize, the report): no peer is needed."""
import json
import sys
import types
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
compare = pytest.importorskip("compare")


class FakeSolver:
    tol_name = "tol"

    def __init__(self, name, times, log, fail_after=None):
        self.name, self.times, self.log, self.fail_after = name, list(times), log, fail_after

    def solve(self, problem, tol):
        self.log.append((self.name, tol))
        if self.fail_after is not None and len([e for e in self.log if e[0] == self.name]) > self.fail_after:
            raise RuntimeError("subprocess died")
        return types.SimpleNamespace(time=self.times.pop(0))


def test_rounds_take_turns_keep_the_fastest_and_survive_failures():
    log = []
    fast = FakeSolver("fastreg", [1.5, 2.5, 0.5, 2.0], log)
    peer = FakeSolver("glmnet", [4.0], log, fail_after=1)
    records = [dict(solver="fastreg", tol=1e-4, time=2.0, error=None),
               dict(solver="fastreg", tol=1e-5, time=3.0, error=None),
               dict(solver="glmnet", tol=1e-7, time=5.0, error=None),
               dict(solver="glmnet", tol=1e-8, time=500.0, error=None),     # over max_seconds
               dict(solver="glmnet", tol=1e-9, time=None, error="RuntimeError: x")]
    compare.rerun_rounds([fast, peer], None, records,
                         types.SimpleNamespace(rounds=3, max_seconds=300.0))
    # turns: each solver's first rung, then the second rungs; the long and failed runs not again
    assert log == [("fastreg", 1e-4), ("glmnet", 1e-7), ("fastreg", 1e-5),
                   ("fastreg", 1e-4), ("glmnet", 1e-7), ("fastreg", 1e-5)]
    assert [r["time"] for r in records[:4]] == [0.5, 2.0, 4.0, 500.0]
    assert records[0]["round_times"] == [2.0, 1.5, 0.5]
    assert records[2]["round_errors"] == ["RuntimeError: subprocess died"]


# ---------------------------------------------------------------------------------------
# the extension rungs (compare.run_ladders, summarize; report.markdown)

peers = compare.peers
report = compare.report
P0 = 0.5   # the null objective of the fake problem's y


class LadderSolver:
    """Solves a one-lambda fake problem: each tolerance gives (seconds, suboptimality); the
    objective is 1 + P0 * suboptimality (compare.objectives is patched to read it back)."""

    def __init__(self, name, runs, ladder, extension):
        self.name, self.runs, self.ladder, self.extension = name, runs, ladder, extension
        self.tol_name = "tol"
        self.log = []

    def solve(self, problem, tol):
        self.log.append(tol)
        seconds, subopt = self.runs[tol]
        return types.SimpleNamespace(time=seconds, coef=np.array([[1.0 + P0 * subopt]]), info={})


@pytest.fixture
def fake_problem(monkeypatch):
    monkeypatch.setattr(compare, "objectives", lambda X, y, coef, lambdas, l1_ratio: coef[0])
    return types.SimpleNamespace(X=None, y=np.array([1.0, -1.0]), lambdas=np.array([0.1]),
                                 l1_ratio=1.0)


def make_solvers(fastreg_ext_seconds=0.3):
    # fastreg: both extension runs are on target (counting those hits would end the
    # prescribed ladder after 1e-4), the 1e-2 one fastest, the 1e-3 one better than the 1e-4
    # run by more than the target (judging the early stop against that P* would take the
    # prescribed ladder on to 1e-6)
    fastreg = LadderSolver("fastreg", {1e-2: (fastreg_ext_seconds, 5e-7), 1e-3: (0.5, 0.0),
                                       1e-4: (1.0, 2e-6), 1e-5: (1.2, 1e-8), 1e-6: (1.4, 1e-9),
                                       1e-7: (1.6, 1e-10), 1e-8: (1.8, 0.0)},
                           peers.ITERATIVE_LADDER, peers.ITERATIVE_EXTENSION)
    glmnet = LadderSolver("glmnet", {1e-5: (2.0, 3e-7), 1e-6: (2.5, 1e-7), 1e-7: (4.0, 5e-8),
                                     1e-8: (5.0, 1e-8), 1e-9: (6.0, 1e-9), 1e-10: (7.0, 0.0)},
                          peers.THRESH_LADDER, peers.THRESH_EXTENSION)
    return fastreg, glmnet


def run(fake_problem, argv=(), **solver_options):
    solvers = make_solvers(**solver_options)
    args = compare.parse_args(list(argv))
    records, _, stopped = compare.run_ladders(solvers, fake_problem, args)
    return solvers, records, stopped, args


def prescribed_runs(records):
    return [(r["solver"], r["tol"]) for r in records if r["rung"] == "prescribed"]


def test_extension_hits_do_not_stop_or_move_the_prescribed_ladder(fake_problem):
    (fastreg, glmnet), records, stopped, _ = run(fake_problem)
    _, plain, plain_stopped, _ = run(fake_problem, ["--no-extension"])
    # extension first, every rung of it; then the prescribed ladder, two rungs after its own
    # first hit, exactly as without the extension
    assert fastreg.log == [1e-2, 1e-3, 1e-4, 1e-5]
    assert glmnet.log == [1e-5, 1e-6, 1e-7, 1e-8]
    assert [r["rung"] for r in records] == ["extension"] * 2 + ["prescribed"] * 2 + \
        ["extension"] * 2 + ["prescribed"] * 2
    assert prescribed_runs(records) == prescribed_runs(plain)
    assert stopped == plain_stopped == {}
    # the final judge is the best any run reached: fastreg's 1e-3 extension run
    assert records[1]["precision"] == 0.0
    assert records[2]["precision"] == pytest.approx(2e-6)


def test_the_resume_counts_prescribed_runs_only(fake_problem):
    # glmnet first: its 1e-7 and 1e-8 runs look on target until fastreg's runs lower P*;
    # only its extension runs are then on target, so its prescribed ladder resumes
    glmnet = LadderSolver("glmnet", {1e-5: (1.0, 5e-7), 1e-6: (1.1, 5e-7), 1e-7: (2.0, 2.5e-6),
                                     1e-8: (2.5, 2e-6), 1e-9: (3.0, 1e-7), 1e-10: (3.5, 0.0)},
                          peers.THRESH_LADDER, peers.THRESH_EXTENSION)
    fastreg = LadderSolver("fastreg", {1e-2: (0.1, 1e-5), 1e-3: (0.1, 1e-5), 1e-4: (0.2, 0.0),
                                       1e-5: (0.3, 0.0)},
                           peers.ITERATIVE_LADDER, peers.ITERATIVE_EXTENSION)
    records, _, _ = compare.run_ladders([glmnet, fastreg], fake_problem, compare.parse_args([]))
    assert glmnet.log == [1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]
    assert fastreg.log == [1e-2, 1e-3, 1e-4, 1e-5]


def test_no_extension_runs_none(fake_problem):
    (fastreg, glmnet), records, _, args = run(fake_problem, ["--no-extension"])
    assert args.extension is False
    assert fastreg.log == [1e-4, 1e-5] and glmnet.log == [1e-7, 1e-8]
    assert {r["rung"] for r in records} == {"prescribed"}


def test_summaries_prescribed_ignores_extension_extended_picks_it(fake_problem):
    solvers, records, _, args = run(fake_problem)
    summary, ratio = compare.summarize(records, solvers, args.target, pass_time=0.01)
    assert (summary["fastreg"]["tol"], summary["fastreg"]["rung"]) == (1e-5, "prescribed")
    assert (summary["glmnet"]["tol"], summary["glmnet"]["time"]) == (1e-7, 4.0)
    assert ratio == pytest.approx(1.2 / 4.0)
    extended, ratio_ext = compare.summarize(records, solvers, args.target, pass_time=0.01,
                                            extended=True)
    assert (extended["fastreg"]["tol"], extended["fastreg"]["rung"]) == (1e-2, "extension")
    assert (extended["glmnet"]["tol"], extended["glmnet"]["rung"]) == (1e-5, "extension")
    assert ratio_ext == pytest.approx(0.3 / 2.0)


def test_an_extension_run_over_the_limit_ends_the_extension_only(fake_problem):
    (fastreg, _), records, stopped, _ = run(fake_problem, ["--max-seconds", "100"],
                                            fastreg_ext_seconds=500.0)
    assert fastreg.log == [1e-2, 1e-4, 1e-5]
    assert stopped == {"fastreg (extension)": "run over 100 s"}


def test_rounds_repeat_the_extension_rungs_in_turns(fake_problem):
    (fastreg, glmnet), records, _, args = run(fake_problem, ["--rounds", "2"])
    del fastreg.log[:], glmnet.log[:]
    compare.rerun_rounds([fastreg, glmnet], fake_problem, records, args)
    assert fastreg.log == [1e-2, 1e-3, 1e-4, 1e-5] and glmnet.log == [1e-5, 1e-6, 1e-7, 1e-8]
    assert all(len(r["round_times"]) == 2 for r in records)


def results_of(solvers, records, args, extended=True):
    """compare.main's results of one fake problem; without ``extended``, in the format saved
    before the extension existed (no extended summary, no rung)."""
    summary, ratio = compare.summarize(records, solvers, args.target, pass_time=0.01)
    prob = dict(shape="fake", description="", penalty="lasso", l1_ratio=1.0, n_samples=2,
                n_features=1, nnz=2, scale=1.0, sparse=False, lambda_max=0.1, lambda_min=0.1,
                null_objective=P0, best_objective=[1.0], matvec_time=0.01, runs=records,
                summary=summary, ratio=ratio, stopped={})
    if extended:
        prob["summary_extended"], prob["ratio_extended"] = compare.summarize(
            records, solvers, args.target, pass_time=0.01, extended=True)
    else:
        for entry in records + list(summary.values()):
            entry.pop("rung")
    machine = dict(cpu="cpu", cores=1, memory="1 GiB", platform="p", blas="b", threads={},
                   fastreg_revision="abc", versions={})
    return dict(command="python benchmarks/compare.py", target=1e-6, scale=1.0, seed=0,
                machine=machine, skipped={}, problems=[prob])


def table_rows(text):
    """The fake problem's rows: the main table's, then the extended ladders' (if any)."""
    return [line for line in text.splitlines() if line.startswith("| fake")]


def test_report_shows_both_ratios_and_marks_extension_rungs(fake_problem):
    solvers, records, _, args = run(fake_problem)
    text = report.markdown(results_of(solvers, records, args))
    main, extended = table_rows(text)
    # the prescribed headline, † where the loosest prescribed rung reached the target
    assert "| 1.2 s (1.0e-08 @ 1e-05) | 4 s † (5.0e-08 @ 1e-07) | **0.30** | 0.15 |" in main
    # the extended ladders' runs, † where the loosest extension rung reached the target
    assert ("| 0.3 s † (5.0e-07 @ 1e-02 ext.) | glmnet 2 s † (3.0e-07 @ 1e-05 ext.) |"
            in extended)
    assert "| fastreg | 1e-02 ext. |" in text


def test_old_results_without_the_extension_render(fake_problem, tmp_path):
    solvers, records, _, args = run(fake_problem, ["--no-extension"])
    path = tmp_path / "old.json"
    path.write_text(json.dumps(results_of(solvers, records, args, extended=False)))
    compare.main(["--render", str(path), "--markdown", str(tmp_path / "old.md")])
    rows = table_rows((tmp_path / "old.md").read_text())
    assert len(rows) == 1 and "| **0.30** | — |" in rows[0]
