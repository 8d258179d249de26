"""Argmin front ends: the optimality equation ``F(θ, x) = 0`` of a small optimisation problem, as a program.

Two forms (theory §7; Bolte, Le, Pauwels, Silveti-Falls 2021):

* **prox** (``penalty=`` given): ``x ∈ argmin h(θ, x) + g(x)`` with ``h`` smooth (a polynomial in
  ``x``) and ``g`` one of ``l1[:W]``, ``nonneg``, ``box:lo,hi``, ``simplex``, whose prox maps are
  piecewise linear. ``x`` is a minimiser iff it is a fixed point of forward-backward splitting,
  ``F(θ, x) = x - prox_{γg}(x - γ∇_x h(θ, x)) = 0`` (any step ``γ > 0``).
* **kkt** (``constraints=`` given): ``min h(θ, x)`` (quadratic in ``x``) subject to linear
  constraints ``g_i(x) <= 0`` and ``e_j(x) = 0``; the unknowns are ``x``, ``mu_i``, ``nu_j`` and
  ``F = [∇_x h + Σ mu_i ∇g_i + Σ nu_j ∇e_j ; min(mu_i, -g_i) ; e_j]``, where ``min(a, b) = 0`` iff
  ``a >= 0, b >= 0, ab = 0`` (complementarity as one piecewise-linear equation).

This module only builds programs; :mod:`semialg.checks.implicit.argmin` solves and differentiates them.

>>> p = argmin("1/2*(x1 - lam)**2", x="x1", theta="lam", penalty="l1")
>>> p.kind, p.unknowns, p.program.to_text()
('prox', ('x1',), 'x1 - (relu(lam - 1) - relu(-lam - 1))')
>>> q = argmin("(x1 - t)**2 + x2**2", ["x1 + x2 >= 1"], x="x1,x2", theta="t")
>>> q.unknowns, q.program.to_text()
(('x1', 'x2', 'mu1'), '-mu1 - 2 * t + 2 * x1, -mu1 + 2 * x2, min(mu1, x1 + x2 - 1)')
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.core.dag import Program, to_text
from semialg.core.errors import InputError, ParseError
from semialg.frontends.sympy import from_sympy, symbols_for, to_sympy
from semialg.frontends.text import parse, variable_names

PENALTIES = ("l1", "l1:W", "nonneg", "box:lo,hi", "simplex")
MAX_SIMPLEX = 6
_OPERATORS = re.compile(r"<=|>=|==")


@dataclass(frozen=True)
class ArgminProblem:
    """The optimality equation ``F(θ, unknowns) = 0`` of an argmin problem and how it was stated.

    ``program.inputs == theta + x + multipliers``; ``gradient``: ``∇_x h`` as program texts over
    ``theta + x``; ``inequalities`` / ``equalities``: the KKT constraints as ``g_i`` (meaning
    ``g_i <= 0``) and ``e_j`` (meaning ``e_j = 0``), texts over ``theta + x``.
    """

    program: Program
    theta: tuple[str, ...]
    x: tuple[str, ...]
    multipliers: tuple[str, ...]
    kind: str
    objective: str
    penalty: str | None
    constraints: tuple[str, ...]
    step: Fraction
    gradient: tuple[str, ...] = ()
    inequalities: tuple[str, ...] = ()
    equalities: tuple[str, ...] = ()

    @property
    def unknowns(self) -> tuple[str, ...]:
        """``x`` then the multipliers: the ``y`` of the implicit function theorem."""
        return self.x + self.multipliers

    def to_text(self) -> str:
        """A readable statement of the problem and of ``F``.

        >>> print(argmin("x1**2 - t*x1", x="x1", theta="t", penalty="nonneg").to_text())
        argmin over x1 of h + g, parameters t
          h = x1**2 - t*x1
          g = nonneg
          optimality (prox form, step 1): F = x - prox_{γg}(x - γ∇h) = 0 with
            F1 = x1 - relu(t - x1)
        """
        lines = [f"argmin over {', '.join(self.x)} of h{' + g' if self.penalty else ''}, parameters "
                 f"{', '.join(self.theta)}", f"  h = {self.objective}"]
        rows = _output_texts(self.program)
        if self.kind == "prox":
            lines.append(f"  g = {self.penalty}")
            lines.append(f"  optimality (prox form, step {self.step}): F = x - prox_{{γg}}(x - γ∇h) = 0 with")
        else:
            lines += [f"  subject to {c}" for c in self.constraints]
            lines.append("  optimality (KKT): F = [∇h + Σ mu_i ∇g_i + Σ nu_j ∇e_j ; min(mu_i, -g_i) ; e_j] = 0, "
                         f"unknowns {', '.join(self.unknowns)}, with")
        lines += [f"    F{k + 1} = {r}" for k, r in enumerate(rows)]
        return "\n".join(lines)


def _output_texts(program: Program) -> list[str]:
    return to_text(program.outputs)


# --------------------------------------------------------------------------- penalties
def parse_penalty(penalty: str) -> tuple[str, str | None]:
    """``(kind, argument)`` from a penalty spec such as ``"l1:lam"`` or ``"box:-1,1"``.

    >>> parse_penalty("l1"), parse_penalty("box: -1, 1/2"), parse_penalty("simplex")
    (('l1', '1'), ('box', '-1,1/2'), ('simplex', None))
    """
    if not isinstance(penalty, str):
        raise InputError(f"the penalty is given as text such as 'l1', 'l1:lam', 'nonneg', 'box:-1,1' or "
                         f"'simplex', got {penalty!r}")
    kind, _, arg = penalty.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in ("l1", "nonneg", "box", "simplex"):
        raise InputError(f"unknown penalty '{penalty}': the accepted penalties are {', '.join(PENALTIES)} "
                         "(W a number or an expression in θ, lo and hi rationals)")
    arg = arg.strip() or None
    if kind in ("nonneg", "simplex") and arg is not None:
        raise InputError(f"the penalty '{kind}' takes no argument, got '{penalty}'")
    if kind == "box":
        parts = (arg or "").split(",")
        try:
            lo, hi = (Fraction(s.strip()) for s in parts) if len(parts) == 2 else (None, None)
        except (ValueError, ZeroDivisionError):
            lo = hi = None
        if lo is None or lo > hi:
            raise InputError(f"the penalty '{penalty}' must be 'box:lo,hi' with rationals lo <= hi, e.g. 'box:-1,1'")
        arg = f"{lo},{hi}"
    return kind, (arg if kind != "l1" else (arg or "1"))


def _simplex_threshold(v: Sequence[str]) -> str:
    # Projection onto {x >= 0, Σx = 1}: x_i = relu(v_i - τ) with Σ_i relu(v_i - τ) = 1. For every
    # nonempty S, Σ_S (v_i - τ) <= Σ_S relu(v_i - τ) <= 1, so (Σ_S v_i - 1)/|S| <= τ; for
    # S = {i : v_i > τ} (nonempty, as the sum is 1 > 0) equality holds. Hence τ is the max over S.
    terms = []
    for size in range(1, len(v) + 1):
        for subset in itertools.combinations(v, size):
            total = _sum_text(subset)
            terms.append(f"{total}" if size == 1 else f"({total})/{size}")
    return f"({terms[0]})" if len(terms) == 1 else f"max({', '.join(terms)})"


def _sum_text(parts: Sequence[str]) -> str:
    """``Σ parts - 1``, simplified by sympy when the parts parse (``t + (-t)`` becomes ``0``)."""
    import sympy
    try:
        exprs = [to_sympy(parse(s))[0] for s in parts]
    except ParseError:
        return " + ".join(f"({s})" for s in parts) + " - 1"
    total = sympy.expand(sum(exprs, sympy.Integer(-1)))
    return from_sympy(total, sorted(str(s) for s in total.free_symbols)).to_text()


def prox_text(penalty: str, v: Sequence[str], step=1) -> list[str]:
    """``prox_{step·g}(v)`` as one program text per coordinate (``v``: texts of its arguments).

    ``l1[:W]``: soft-thresholding ``relu(v - t) - relu(-v - t)`` at ``t = step·W``; ``nonneg``:
    ``relu(v)``; ``box:lo,hi``: ``clip(v, lo, hi)``; ``simplex``: ``relu(v_i - τ)`` with ``τ`` the
    maximum of ``(Σ_S v_i - 1)/|S|`` over the nonempty subsets ``S`` (at most 6 coordinates).

    >>> prox_text("l1:lam", ["z"], "1/2")
    ['relu((z) - 1/2*(lam)) - relu(-(z) - 1/2*(lam))']
    >>> prox_text("box:0,1", ["a", "b"])
    ['clip(a, 0, 1)', 'clip(b, 0, 1)']
    >>> prox_text("simplex", ["a", "b"])
    ['relu((a) - max(a - 1, b - 1, (a + b - 1)/2))', 'relu((b) - max(a - 1, b - 1, (a + b - 1)/2))']
    """
    kind, arg = parse_penalty(penalty)
    step = _step(step)
    v = list(v)
    if kind == "l1":
        try:
            t = f"{Fraction(arg) * step}"
        except (ValueError, ZeroDivisionError):
            t = f"({arg})" if step == 1 else f"{step}*({arg})"
        return [f"relu(({s}) - {t}) - relu(-({s}) - {t})" for s in v]
    if kind == "nonneg":
        return [f"relu({s})" for s in v]
    if kind == "box":
        lo, hi = arg.split(",")
        return [f"clip({s}, {lo}, {hi})" for s in v]
    if len(v) > MAX_SIMPLEX:
        raise InputError(f"the simplex prox is written with the maximum over all 2^n - 1 subsets, limited to "
                         f"n <= {MAX_SIMPLEX} coordinates; got n = {len(v)}")
    tau = _simplex_threshold(v)
    return [f"relu(({s}) - {tau})" for s in v]


def _step(step) -> Fraction:
    try:
        value = Fraction(repr(step)) if isinstance(step, float) else Fraction(step)
    except (TypeError, ValueError, ZeroDivisionError):
        raise InputError(f"the step must be an exact positive rational such as 1 or 1/2, got {step!r}") from None
    if value <= 0:
        raise InputError(f"the step must be positive, got {value}")
    return value


# --------------------------------------------------------------------------- parsing the problem
def parse_over(text, what: str, names: list[str], theta: list[str], x: list[str]) -> Program:
    """``text`` as a one-output program over ``names`` (= ``theta + x``); the errors name ``what``."""
    if not isinstance(text, str):
        raise InputError(f"{what} must be text such as '1/2*(x1 - 1)**2', got {type(text).__name__}")
    try:
        program = parse(text)
    except ParseError as exc:
        raise InputError(f"{what} '{text}' does not parse: {exc}") from None
    if program.n_outputs != 1:
        raise InputError(f"{what} '{text}' must be one expression, got {program.n_outputs}")
    extra = sorted(program.free_variables() - set(names))
    if extra:
        raise InputError(f"'{extra[0]}' in {what} '{text}' is in neither x nor theta: x and theta must partition "
                         f"the variables (x: {', '.join(x)}; theta: {', '.join(theta) or 'none'})")
    return Program(tuple(names), program.outputs)


def _sympy_of(program: Program, symbols):
    return to_sympy(program, symbols)[0]


def _text(expr, names: Sequence[str]) -> str:
    import sympy
    return from_sympy(sympy.expand(expr), list(names)).to_text()


def _smooth_gradient(h, xsyms, text: str) -> list:
    import sympy
    if h.is_polynomial(*xsyms) is not True:
        bad = sorted((str(a) for a in h.atoms(sympy.Function, sympy.Pow, sympy.Piecewise)
                      if a.free_symbols & set(xsyms) and a.is_polynomial(*xsyms) is not True), key=len)
        where = f" (at {bad[0]})" if bad else ""
        raise InputError(f"h must be smooth: the objective '{text}' is not a polynomial in x{where}; put the "
                         "nonsmooth part in penalty= (l1, nonneg, box, simplex) or in constraints=")
    return [sympy.diff(h, s) for s in xsyms]


def _constraint(k: int, text, theta, x, names, syms, xsyms) -> tuple[str, object]:
    """``("le" | "eq", g)`` with ``g <= 0`` or ``g = 0``, linear in x, from ``"lhs <= rhs"`` etc."""
    import sympy
    if not isinstance(text, str):
        raise InputError(f"constraint {k} must be text such as 'x1 + x2 <= 1', got {text!r}")
    ops = _OPERATORS.findall(text)
    if len(ops) != 1:
        raise InputError(f"constraint {k} '{text}' must be 'lhs <= rhs', 'lhs >= rhs' or 'lhs == rhs' "
                         "(one non-strict comparison), e.g. 'x1 + x2 <= 1'")
    lhs, rhs = (s.strip() for s in text.split(ops[0]))
    sides = [_sympy_of(parse_over(s, f"constraint {k}", names, theta, x), syms) for s in (lhs, rhs)]
    g = sides[0] - sides[1] if ops[0] != ">=" else sides[1] - sides[0]
    grads = [sympy.diff(g, s) for s in xsyms] if g.is_polynomial(*xsyms) is True else None
    if grads is None or any(d.free_symbols & set(xsyms) for d in grads):
        raise InputError(f"constraint {k} '{text}' is not linear in x ({', '.join(x)}): the KKT form takes linear "
                         "constraints (θ may appear anywhere else), e.g. 'x1 + t*x2 <= 1'")
    return ("eq" if ops[0] == "==" else "le"), g


def argmin(objective, constraints=(), *, x, theta, penalty=None, step=1) -> ArgminProblem:
    """The optimality equation of ``argmin_x h(θ, x) [+ g(x)] [s.t. constraints]`` as a program.

    ``objective``: ``h`` as text over ``theta`` and ``x``; ``x`` / ``theta``: the unknowns and the
    parameters (lists or ``"x1,x2"``), partitioning the variables; ``penalty``: ``"l1"``,
    ``"l1:W"`` (``W`` a rational or an expression in θ), ``"nonneg"``, ``"box:lo,hi"`` or
    ``"simplex"`` (the prox form, step ``step``); ``constraints``: texts ``"lhs <= rhs"``,
    ``"lhs >= rhs"``, ``"lhs == rhs"``, linear in ``x`` (the KKT form; ``h`` quadratic in ``x``).
    With neither, ``F = ∇_x h``. Raises :class:`InputError` with the offending text.

    >>> p = argmin("1/2*(x1 - t)**2 + 1/2*(x2 + t)**2", x="x1,x2", theta="t", penalty="simplex")
    >>> p.program.to_text()
    'x1 - relu(t - max(t - 1, -t - 1, -1/2)), x2 - relu(-t - max(t - 1, -t - 1, -1/2))'
    >>> argmin("x1**2", ["x1*x1 <= 1"], x="x1", theta="t")
    Traceback (most recent call last):
    ...
    semialg.core.errors.InputError: constraint 1 'x1*x1 <= 1' is not linear in x (x1): the KKT form takes linear constraints (θ may appear anywhere else), e.g. 'x1 + t*x2 <= 1'
    """
    import sympy
    xs, ths = variable_names(x, "x"), variable_names(theta, "theta")
    both = sorted(set(xs) & set(ths))
    if both:
        raise InputError(f"'{both[0]}' is in both x and theta: x (the unknowns) and theta (the parameters) must "
                         "partition the variables")
    if not xs or not ths:
        raise InputError("give at least one unknown x= and one parameter theta= (lists or 'a,b')")
    if isinstance(constraints, str):
        constraints = [c for c in constraints.split(";") if c.strip()]
    constraints = tuple(constraints)
    if penalty is not None and constraints:
        raise InputError("give either penalty= (the prox form x = prox_{γg}(x - γ∇h)) or constraints= (the KKT form), "
                         "not both; write the penalty's set as constraints instead (nonneg: 'x1 >= 0'; box: "
                         "'x1 >= lo', 'x1 <= hi'; simplex: 'x1 >= 0', ..., 'x1 + ... + xn == 1')")
    gamma = _step(step)
    names = ths + xs
    syms = symbols_for(names)
    xsyms = syms[len(ths):]
    h = _sympy_of(parse_over(objective, "the objective", names, ths, xs), syms)
    grad = _smooth_gradient(h, xsyms, objective)
    gradient = tuple(_text(d, names) for d in grad)
    if penalty is not None:
        kind, arg = parse_penalty(penalty)
        if kind == "l1":
            weight = parse_over(arg, f"the l1 weight of the penalty '{penalty}'", names, ths, xs)
            used = sorted(weight.free_variables() & set(xs))
            if used:
                raise InputError(f"the l1 weight '{arg}' uses the unknown {used[0]}: W must be a number or an "
                                 "expression in θ only")
        spec = kind if arg is None else f"{kind}:{arg}"
        rate = sympy.Rational(gamma.numerator, gamma.denominator)
        v = [_text(s - rate * d, names) for s, d in zip(xsyms, grad)]
        rows = [f"{xi} - ({p})" for xi, p in zip(xs, prox_text(spec, v, gamma))]
        return ArgminProblem(_program(rows, names), tuple(ths), tuple(xs), (), "prox", objective, spec, (),
                             gamma, gradient)
    forms = [_constraint(k + 1, c, ths, xs, names, syms, xsyms) for k, c in enumerate(constraints)]
    if forms:
        hess = [sympy.diff(d, s) for d in grad for s in xsyms]
        if any(e.free_symbols & set(xsyms) for e in hess):
            raise InputError(f"the KKT form needs an objective quadratic in x; '{objective}' has degree > 2 "
                             "(use penalty= with a smooth h, or a quadratic h)")
    ineq = [g for k, g in forms if k == "le"]
    eq = [g for k, g in forms if k == "eq"]
    mus = [f"mu{i + 1}" for i in range(len(ineq))]
    nus = [f"nu{j + 1}" for j in range(len(eq))]
    clash = sorted(set(mus + nus) & set(names))
    if clash:
        raise InputError(f"'{clash[0]}' names a KKT multiplier: rename that variable (multipliers are mu1.., nu1..)")
    all_names = names + mus + nus
    msyms = symbols_for(mus + nus)
    rows = []
    for i, s in enumerate(xsyms):
        stat = grad[i] + sum((m * sympy.diff(g, s) for m, g in zip(msyms, ineq + eq)), sympy.Integer(0))
        rows.append(_text(stat, all_names))
    rows += [f"min({m}, {_text(-g, names)})" for m, g in zip(mus, ineq)]
    rows += [_text(e, names) for e in eq]
    return ArgminProblem(_program(rows, all_names), tuple(ths), tuple(xs), tuple(mus + nus), "kkt", objective, None,
                         constraints, gamma, gradient, tuple(_text(g, names) for g in ineq),
                         tuple(_text(e, names) for e in eq))


def _program(rows: list[str], names: list[str]) -> Program:
    program = parse(", ".join(rows), names)
    return Program(tuple(names), program.outputs)
