"""The comparison's rounds (benchmarks/compare.py rerun_rounds): turns, minimum, failures."""
import sys
import types
from pathlib import Path

import pytest

pytest.importorskip("numpy")
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
