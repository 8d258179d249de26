"""The z3 encoding: polynomials and sign conditions as z3 terms, exact models (rationals and
algebraic numbers), three-valued results, and the satisfiability check of a conjunction."""
from __future__ import annotations

import functools
import sys
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

from semialg.core.poly import Poly


class _Z3OnFirstUse:
    """Stands for the module ``z3`` until a solver or a term is built: reading an attribute
    imports z3 (about 30 ms, so ``import semialg.smt`` stays cheap when no query is asked) and
    puts the module itself in place of this stand-in in every ``semialg.smt`` module that
    holds it, so later reads are plain global lookups.

    >>> z3.Real("x").sort()
    Real
    """

    def __getattr__(self, name: str):
        import z3 as module
        for module_name, loaded in list(sys.modules.items()):
            if module_name.startswith("semialg.smt") and getattr(loaded, "z3", None) is self:
                loaded.z3 = module
        return getattr(module, name)

    def __repr__(self) -> str:
        return "<z3, imported on first use>"


z3 = _Z3OnFirstUse()

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"
Condition = tuple[Poly, int]


@dataclass(frozen=True)
class AlgebraicNumber:
    """A real algebraic number: the ``index``-th real root (0-based, increasing) of
    the integer polynomial with ``coefficients`` (highest degree first), with a float beside it.

    >>> AlgebraicNumber((1, 0, -2), 1, 1.4142135623730951).to_sympy()
    sqrt(2)
    """

    coefficients: tuple[int, ...]
    index: int
    approx: float

    def to_sympy(self):
        import sympy
        t = sympy.Symbol("t")
        return sympy.real_roots(sympy.Poly(list(self.coefficients), t))[self.index]

    def __float__(self):
        return self.approx

    def __str__(self):
        """``root(P(t), i)``: the i-th real root (0-based, increasing) of P, e.g. ``root(t**2 - 2, 1)``."""
        import sympy
        t = sympy.Symbol("t")
        return f"root({sympy.Poly(list(self.coefficients), t).as_expr()}, {self.index})"


@dataclass(frozen=True)
class Result:
    """The answer to one query: ``status`` and, when sat, an exact ``point``."""

    status: str
    point: tuple | None = None
    reason: str = ""


@dataclass
class Stats:
    """Counters of solver work (mutable on purpose: one per stratification run)."""

    calls: int = 0
    linear_calls: int = 0
    nonlinear_calls: int = 0
    seconds: float = 0.0
    unknown: int = 0
    reasons: list = field(default_factory=list)


_STANDARD: dict = {}     # nvars -> the z3 variables x0..x{n-1} (z3 terms are immutable and shared)
_TERMS: dict = {}        # (Poly, nvars) -> its z3 term over the standard variables


def _variables(nvars: int):
    xs = _STANDARD.get(nvars)
    if xs is None:
        xs = _STANDARD[nvars] = [z3.Real(f"x{i}") for i in range(nvars)]
    return list(xs)


def _val(c: Fraction):
    return z3.RealVal(c.numerator) if c.denominator == 1 else z3.Q(c.numerator, c.denominator)


def to_z3(p: Poly, xs):
    """The polynomial as a z3 arithmetic term over the variables ``xs``."""
    terms = []
    for mono, c in p.terms.items():
        factors = [xs[i] if e == 1 else xs[i] ** e for i, e in enumerate(mono) if e]
        if not factors:
            terms.append(_val(c))
            continue
        prod = factors[0]
        for f in factors[1:]:
            prod = prod * f
        terms.append(prod if c == 1 else _val(c) * prod)
    if not terms:
        return z3.RealVal(0)
    return terms[0] if len(terms) == 1 else z3.Sum(*terms)


def _atom(p: Poly, s: int, xs):
    std = _STANDARD.get(len(xs))
    if std is not None and all(a is b for a, b in zip(xs, std)):
        t = _TERMS.get((p, len(xs)))
        if t is None:
            if len(_TERMS) > 100_000:
                _TERMS.clear()
            t = _TERMS[(p, len(xs))] = to_z3(p, xs)
    else:
        t = to_z3(p, xs)
    return t < 0 if s < 0 else (t == 0 if s == 0 else t > 0)


def _model_value(v) -> Fraction | AlgebraicNumber:
    if z3.is_rational_value(v):
        return Fraction(v.numerator_as_long(), v.denominator_as_long())
    if z3.is_algebraic_value(v):
        poly = v.poly()
        coeffs = _poly_coefficients(poly)
        approx = float(Fraction(v.approx(30).as_fraction()))
        roots = sorted(r for r in _real_roots(coeffs))
        index = min(range(len(roots)), key=lambda i: abs(roots[i] - approx)) if roots else 0
        return AlgebraicNumber(coeffs, index, approx)
    raise ValueError(f"unexpected model value {v}")


def _poly_coefficients(poly) -> tuple[int, ...]:
    """Integer coefficients (highest first) of z3's defining polynomial (z3 gives lowest first)."""
    coeffs = [int(str(c)) for c in poly]
    return tuple(reversed(coeffs))


def _real_roots(coeffs: Sequence[int]) -> list[float]:
    import numpy as np
    roots = np.roots(np.array(coeffs, dtype=float))
    return [float(r.real) for r in roots if abs(r.imag) < 1e-9]


def _point_from_model(model, xs) -> tuple:
    return tuple(_model_value(model.eval(x, model_completion=True)) for x in xs)


def _solver_for(conds: Sequence[Condition]):
    linear = all(p.is_linear for p, _ in conds)
    return (linear_solver() if linear else nonlinear_solver()), linear


RLIMIT_PER_SECOND = 400_000
"""z3 resource units a nonlinear query may spend per second of its time limit: nlsat spent
0.37-0.41 million units per CPU second on hard queries here (its first 100,000 units go ~10x
faster), so a limit of ``t`` seconds lets a hard query run about ``t`` CPU seconds."""


def linear_solver():
    """A fresh solver for linear real arithmetic (its time limit: :class:`_Watchdog`)."""
    return z3.SolverFor("QF_LRA")


@functools.lru_cache(maxsize=1)
def _nlsat_tactic():
    """The nlsat tactic, built once: building it costs ~90 µs, a solver from it ~3 µs."""
    return z3.Tactic("qfnra-nlsat")


def nonlinear_solver():
    """A fresh nlsat solver for nonlinear real arithmetic (its limit: a resource budget)."""
    solver = _nlsat_tactic().solver()
    solver.semialg_budget = True
    return solver


class _Watchdog:
    """One thread that interrupts the z3 query (linear, or quantified) running past its deadline.

    Why not z3's own ``timeout`` parameter: z3 5.0-5.4 crash the process (SIGSEGV, in
    ``check`` or in the solver's destructor) when a nonlinear (nlsat) query is cancelled
    from another thread, by z3's timer or by ``interrupt()``: once in a few hundred
    short-limit queries on a loaded machine. So nonlinear queries get a deterministic
    resource budget instead (``rlimit``: checked by the solver's own thread, no race, and
    the same answer on a busy machine as on a quiet one); linear and quantified queries,
    whose resource count barely moves with time, are interrupted by this thread. An interrupt that arrives
    after the query returned finds nothing to cancel (z3 interrupts only a running check),
    and the watchdog interrupts only while the deadline of the running query is set and past
    (under the lock that the query takes to clear it), so no deadline leaks into the next.
    """

    def __init__(self):
        self.lock = threading.Condition()
        self.deadline: float | None = None
        self.context = None
        self.thread: threading.Thread | None = None

    def check(self, solver, timeout_ms: int, assumptions) -> object:
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._watch, name="semialg-z3-watchdog", daemon=True)
                self.thread.start()
            self.deadline = time.monotonic() + timeout_ms / 1000
            self.context = solver.ctx
            self.lock.notify()
        try:
            return solver.check(*assumptions)
        except z3.Z3Exception as exc:
            # a tactic-built (nlsat) solver interrupted mid-tactic raises instead of answering
            # unknown (seen on a loaded machine, when the backstop fired): the query timed out
            if "cancel" not in str(exc) and "interrupt" not in str(exc):
                raise
            solver.semialg_interrupted = True
            return z3.unknown
        finally:
            with self.lock:
                self.deadline = None

    def _watch(self) -> None:
        with self.lock:
            while True:
                if self.deadline is None:
                    self.lock.wait()
                    continue
                remaining = self.deadline - time.monotonic()
                if remaining > 0:
                    self.lock.wait(remaining)
                    continue
                # Past the deadline: interrupt, and again every 10 ms until the query returns
                # (its check clears the deadline): an interrupt that lands before z3 has
                # registered the running check is lost.
                self.context.interrupt()
                self.lock.wait(0.01)


_WATCHDOGS = threading.local()


def timed_check(solver, timeout_ms: int | None, *assumptions):
    """``solver.check(*assumptions)`` within a limit of ``timeout_ms`` (None or 0: no limit).

    nlsat solvers (:func:`nonlinear_solver`) get the resource budget of that many
    milliseconds (:data:`RLIMIT_PER_SECOND`); the others (linear, and the quantified
    closure queries, whose resource count barely moves with time: a budget would not stop
    them) are interrupted at the deadline. Either way a query that runs out answers
    ``unknown`` with the reason "timeout" (see :func:`unknown_reason`).
    """
    if not timeout_ms:
        return solver.check(*assumptions)
    dog = getattr(_WATCHDOGS, "dog", None)
    if dog is None:
        dog = _WATCHDOGS.dog = _Watchdog()
    if getattr(solver, "semialg_budget", False):
        solver.set("rlimit", max(1, int(timeout_ms * RLIMIT_PER_SECOND // 1000)))
        # nlsat can stall where its resource count does not move (seen with roots' relations): the
        # watchdog interrupts it as a backstop, well after the budget would have stopped it
        return dog.check(solver, int(4 * timeout_ms + 2000), assumptions)
    return dog.check(solver, int(timeout_ms), assumptions)


def check(conds: Sequence[Condition], nvars: int, timeout_ms: int | None = 10_000, stats: Stats | None = None) -> Result:
    """Is the conjunction of sign conditions satisfiable? (fresh solver)"""
    import time
    t0 = time.perf_counter()
    xs = _variables(nvars)
    solver, linear = _solver_for(conds)
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    return record(stats, t0, linear, _result(timed_check(solver, timeout_ms), solver, xs))


def record(stats: Stats | None, t0: float, linear: bool, result: Result) -> Result:
    """Count one query (started at ``perf_counter() == t0``) in ``stats``; returns ``result``."""
    import time
    if stats is not None:
        stats.calls += 1
        stats.seconds += time.perf_counter() - t0
        if linear:
            stats.linear_calls += 1
        else:
            stats.nonlinear_calls += 1
        if result.status == UNKNOWN:
            stats.unknown += 1
            stats.reasons.append(result.reason)
    return result


def _result(answer, solver, xs, *more) -> Result:
    """The three-valued answer; with sat, the model's values of ``xs`` (then of each of ``more``)."""
    if answer == z3.sat:
        model = solver.model()
        return Result(SAT, sum((_point_from_model(model, group) for group in more), _point_from_model(model, xs)))
    if answer == z3.unsat:
        return Result(UNSAT)
    return Result(UNKNOWN, reason=unknown_reason(solver))


def unknown_reason(solver, default: str = "z3 returned unknown") -> str:
    """Why z3 answered unknown; an interrupt by :func:`timed_check` is reported as "timeout"."""
    if getattr(solver, "semialg_interrupted", False):
        return "timeout"
    reason = str(solver.reason_unknown())
    if reason in ("canceled", "interrupted", "interrupted from keyboard", "max. resource limit exceeded",
                  "resource limits reached"):
        return "timeout"
    return reason or default


class IncrementalLinear:
    """A linear-arithmetic solver kept along a depth-first walk (push/pop).

    >>> from semialg.core.poly import Poly
    >>> x, = Poly.variables(1)
    >>> inc = IncrementalLinear(1)
    >>> inc.push([(x, 1)]); inc.check([(x - 1, -1)]).status
    'sat'
    >>> inc.check([(x, -1)]).status
    'unsat'
    """

    def __init__(self, nvars: int, timeout_ms: int | None = 10_000, stats: Stats | None = None):
        self.xs = _variables(nvars)
        self.solver = linear_solver()
        self.timeout_ms = timeout_ms
        self.stats = stats
        self.depth = 0

    def push(self, conds: Sequence[Condition]):
        self.solver.push()
        self.depth += 1
        for p, s in conds:
            self.solver.add(_atom(p, s, self.xs))

    def pop(self, levels: int = 1):
        self.solver.pop(levels)
        self.depth -= levels

    def check(self, extra: Sequence[Condition]) -> Result:
        import time
        t0 = time.perf_counter()
        assumptions = [_atom(p, s, self.xs) for p, s in extra]
        answer = timed_check(self.solver, self.timeout_ms, *assumptions)
        result = _result(answer, self.solver, self.xs)
        if self.stats is not None:
            self.stats.calls += 1
            self.stats.linear_calls += 1
            self.stats.seconds += time.perf_counter() - t0
            if result.status == UNKNOWN:
                self.stats.unknown += 1
                self.stats.reasons.append(result.reason)
        return result
