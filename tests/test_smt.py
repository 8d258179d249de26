"""Tests of semialg.smt, the only z3 user: every answer three-valued and exact."""
from __future__ import annotations

from fractions import Fraction

import pytest

from semialg import smt
from semialg.core.poly import Poly

x, y = Poly.variables(2)
SQRT2 = smt.AlgebraicNumber((1, 0, -2), 1, 2 ** 0.5)


def test_check_linear_and_nonlinear():
    r = smt.check([(x + y - 1, 0), (x - y, 1)], 2)
    assert r.status == smt.SAT and r.point[0] + r.point[1] == 1 and r.point[0] > r.point[1]
    assert smt.check([(x, 1), (x, -1)], 2).status == smt.UNSAT
    r = smt.check([(x * x - 2, 0), (x, 1)], 2)
    assert r.status == smt.SAT and isinstance(r.point[0], smt.AlgebraicNumber)
    assert str(r.point[0]) == "root(t**2 - 2, 1)" and abs(float(r.point[0]) - 2 ** 0.5) < 1e-12
    assert smt.check([(x * x + y * y + 1, -1)], 2).status == smt.UNSAT


def test_stats_count_calls():
    stats = smt.Stats()
    smt.check([(x, 1)], 2, stats=stats)
    smt.check([(x * y - 1, 0)], 2, stats=stats)
    assert (stats.calls, stats.linear_calls, stats.nonlinear_calls) == (2, 1, 1)


def test_incremental_push_pop():
    inc = smt.IncrementalLinear(2)
    inc.push([(x, 1)])
    assert inc.check([(x + 1, -1)]).status == smt.UNSAT
    inc.push([(y - x, 0)])
    assert inc.check([(y, 1)]).status == smt.SAT
    inc.pop(2)
    assert inc.depth == 0 and inc.check([(x + 1, -1)]).status == smt.SAT


def test_exact_signs_at_algebraic_points():
    assert smt.exact_signs((SQRT2, Fraction(1)), [x * x - 2, x - y, x * y - 2, x - Fraction(141421, 100000)]) == [0, 1, -1, 1]
    assert smt.exact_signs((Fraction(1, 2), Fraction(-3)), [x + y, x * y]) == [-1, -1]


def test_enumerate_points():
    pts = smt.enumerate_points([(x * x + y * y - 1, 0), (y - x, 0)], 2)
    assert len(pts) == 2 and {round(float(p[0]), 9) for p in pts} == {round(0.5 ** 0.5, 9), -round(0.5 ** 0.5, 9)}
    assert smt.enumerate_points([(x * x + 1, 0)], 2) == []
    assert smt.enumerate_points([(x, 0), (y - 2, 0)], 2) == [(Fraction(0), Fraction(2))]


def test_rank_drop():
    assert smt.rank_drop([(x * x + y * y - 1, 0)], [x * x + y * y - 1], 2).status == smt.UNSAT
    assert smt.rank_drop([(x * y, 0)], [x * y], 2).status == smt.SAT      # singular at the origin


@pytest.mark.parametrize("point, conds, expected", [
    ((Fraction(1), Fraction(0)), [(x * x + y * y - 1, -1)], smt.SAT),
    ((Fraction(2), Fraction(0)), [(x * x + y * y - 1, -1)], smt.UNSAT),
    ((Fraction(0), Fraction(0)), [(y - x * x, 1), (-y - x * x, 1)], smt.UNSAT),
    ((Fraction(0), Fraction(0)), [(y - x * x, 0), (x, 1)], smt.SAT),
])
def test_in_closure(point, conds, expected):
    assert smt.in_closure(point, conds, 2).status == expected


def test_to_z3_round_trip():
    import z3
    xs = [z3.Real("a"), z3.Real("b")]
    term = smt.to_z3(x * x * y - 3 * y + Fraction(1, 2), xs)
    s = z3.Solver()
    s.add(xs[0] == 2, xs[1] == 1)
    assert s.check() == z3.sat
    assert s.model().eval(term).as_fraction() == Fraction(3, 2)


_SHORT_TIMEOUTS = """
from semialg.checks.conservative import check
for _ in range(400):
    r = check("relu(x**4*y**3 + y**4*z**3 + z**4*x**3 - x*y*z - 1)", rule="clarke", timeout=0.001)
    assert r.verdict == "unknown", r.verdict
print("ok")
"""


def test_short_limits_do_not_crash_the_solver():
    """z3 5.x crashes (SIGSEGV) when a nonlinear query is cancelled from another thread (its own
    timer or ``interrupt()``); a crash kills the whole process, so the loop runs in a child.
    With z3's ``timeout`` it crashed within 400 rounds in 6 of 9 runs (5.3.3, 5.4.1); with the
    resource budget of ``smt.timed_check`` it did not crash in 3,200 rounds of 5.0.0 or 5.4.1."""
    import subprocess
    import sys
    run = subprocess.run([sys.executable, "-c", _SHORT_TIMEOUTS], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip() == "ok", (run.returncode, run.stderr[-2000:])


def test_an_interrupted_tactic_solver_answers_unknown_timeout():
    """A tactic-built (nlsat) solver interrupted mid-tactic raises Z3Exception('canceled') instead of
    answering unknown (seen on a loaded machine when the watchdog's backstop fired): it is a timeout."""
    import z3

    from semialg.smt.encoding import _Watchdog, unknown_reason

    class Interrupted:
        ctx = z3.main_ctx()

        def check(self, *assumptions):
            raise z3.Z3Exception(b"canceled")

        def reason_unknown(self):
            return ""

    solver = Interrupted()
    assert _Watchdog().check(solver, 1000, ()) == z3.unknown
    assert unknown_reason(solver) == "timeout"

    class Broken(Interrupted):
        def check(self, *assumptions):
            raise z3.Z3Exception(b"invalid argument")

    with pytest.raises(z3.Z3Exception):
        _Watchdog().check(Broken(), 1000, ())
