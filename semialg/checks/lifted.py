"""The checks for programs with roots, quotients and norms (semialgebraic lifting, theory §1, §4).

Three questions are new once a program is lifted (:mod:`semialg.frontends.lift`):

* **Reciprocals in a question.** A derivative of ``s = a**(1/q)`` is a polynomial in ``r = 1/s``;
  :func:`with_reciprocals` adds ``r*s = 1`` to the stratum a projection-formula question is asked on
  (its tangent space is unchanged: ``r`` is a function of the other coordinates on it).
* **Values that are not finite.** A conservative field has nonempty, locally bounded values
  (theory §4), so a rule that returns NaN or inf at a point of the domain is refuted there:
  :func:`nonfinite_witness`.
* **Bounded slopes.** A continuous semialgebraic function is locally Lipschitz iff its gradient
  is locally bounded on the open strata. Only a root ``a**e`` with ``e < 1`` can make it unbounded
  (every other primitive, the norm included, is locally Lipschitz on the domain). :func:`slopes`
  proves a polynomial bound ``|grad f|**2 <= K (1 + |x|**2 + |s|**2)**d`` on each open stratum (a
  polynomial of continuous functions is locally bounded), or finds a ray ``z + h*d`` from a point
  where the root's argument vanishes along which ``(f(z + h d) - f(z)) / h`` is unbounded: the
  exact limit (sympy's Gruntz algorithm on the radical expression), confirmed numerically.

>>> from semialg.stratification import stratify
>>> r = slopes(stratify("sqrt(relu(x))"))
>>> r.status, r.witness.point, r.witness.direction
('not_lipschitz', (Fraction(0, 1),), (Fraction(1, 1),))
>>> slopes(stratify("sqrt(x**2 + y**2)")).status
'lipschitz'
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Sequence

from semialg import smt
from semialg.core.dag import walk_postorder
from semialg.core.poly import Poly
from semialg.core.primitives.semialgebraic import NonFinite
from semialg.frontends.lift import reciprocal_relations
from semialg.rules import Rule, derivative_at, field_polys, fmt_exact, with_reciprocals
from semialg.stratification import Stratification, Stratum

LIPSCHITZ, NOT_LIPSCHITZ, UNDECIDED = "lipschitz", "not_lipschitz", "unknown"


@dataclass(frozen=True)
class UnboundedSlope:
    """``(f(point + h*direction) - f(point)) / h`` is unbounded as ``h -> 0+``: ``limit`` is its
    exact limit (``oo`` or ``-oo``), ``quotients`` numeric values ``(h, quotient)`` confirming it."""

    stratum: int
    point: tuple
    direction: tuple
    limit: str
    quotients: tuple


@dataclass(frozen=True)
class SlopeResult:
    status: str
    witness: UnboundedSlope | None = None
    reason: str = ""


@dataclass(frozen=True)
class NonFiniteWitness:
    """The rule's value at ``point`` (a point of stratum ``stratum``) is not finite: ``value`` per
    input ("nan", "inf", "-inf" or an exact number)."""

    stratum: int
    output: int
    point: tuple
    value: tuple
    source: str


# --------------------------------------------------------------------------- reciprocals
def with_reciprocals_stratum(strat: Stratification, s: Stratum, polys: Sequence) -> Stratum | None:
    """``s`` with ``r*s = 1`` for the reciprocals ``polys`` use (and its sample completed), or None
    when one of them inverts a root that vanishes on ``s``."""
    lifting = strat.program.lifting
    if lifting is None:
        return s
    pinned = {i: _sign_on(s, i) for i in lifting.roots}
    extra = reciprocal_relations(strat.program, polys, pinned)
    if extra is None:
        return None
    if not extra:
        return s
    return replace(s, conditions=tuple(s.conditions) + tuple(extra), sample=with_reciprocals(lifting, s.sample))


def _sign_on(s: Stratum, index: int) -> int:
    """The sign of a root variable on a stratum (its branch pins it: ``s = 0``, ``s > 0`` or ``s < 0``)."""
    for p, sign in s.conditions:
        if p.is_linear and len(p.terms) == 1:
            (m, c), = p.terms.items()
            if m[index] == 1 and sum(m) == 1:
                return sign if c > 0 else -sign
    return 0


# --------------------------------------------------------------------------- NaN and inf
def nonfinite_witness(strat: Stratification, fields: dict, rule: Rule) -> NonFiniteWitness | None:
    """The first stratum of the domain on which a vertex of the rule has a NaN or infinite
    component (label-determined: the same on the whole stratum), with the value at its sample."""
    lifting = strat.program.lifting
    if lifting is None:
        return None
    n = lifting.n_user
    for s in strat.asked():
        for k, vertices in enumerate(fields.get(s.id, ())):
            for v in vertices:
                if not any(isinstance(c, NonFinite) for c in v[:n]):
                    continue
                point = lifting.user_point(s.sample)
                value = tuple(c.kind if isinstance(c, NonFinite) else None for c in v[:n])
                if all(isinstance(c, Fraction) for c in point) and rule.base in ("pytorch", "jax", "tensorflow") \
                        and rule.field is None and not rule.overrides:
                    exact = derivative_at(lifting.user_program, point, rule)[k][0]
                    value = tuple(_fmt(c) for c in exact)
                else:
                    value = tuple(c or _fmt(p.eval(with_reciprocals(lifting, s.sample)))
                                  for c, p in zip(value, v[:n]))
                if not any(x in ("nan", "inf", "-inf") for x in value):
                    continue   # the exact evaluation disagrees: no refutation from this vertex
                source = ("the framework's reverse mode (every node on a path from the output multiplies its "
                          "adjoint, 0 included, by its partial)" if rule.base in ("pytorch", "jax", "tensorflow")
                          else "the chain rule with an unbounded partial")
                return NonFiniteWitness(s.id, k, point, value, source)
    return None


def _fmt(c) -> str:
    if isinstance(c, float):
        return "nan" if math.isnan(c) else "inf" if c > 0 else "-inf"
    return fmt_exact(c)


# --------------------------------------------------------------------------- bounded slopes
def lifted_slopes(continuity, strat: Stratification, timeout_ms: int = 10_000, deadline=None):
    """Step 1 of the check for a lifted program: continuity (``continuity``, a
    :class:`~semialg.checks.lipschitz.LipschitzResult`) and then bounded slopes; ``deadline`` (a
    :class:`~semialg.core.budget.Deadline`) is checked between rays and between bound queries."""
    from semialg.checks.lipschitz import LipschitzResult
    result = slopes(strat, timeout_ms, deadline)
    if result.status == NOT_LIPSCHITZ:
        return LipschitzResult(NOT_LIPSCHITZ, result.witness, "the slope is unbounded")
    if result.status == UNDECIDED:
        reason = "; ".join(r for r in (continuity.reason, result.reason) if r)
        return LipschitzResult(UNDECIDED, None, reason)
    return continuity


def _risky_roots(program) -> list:
    """The lifted root nodes whose derivative is unbounded at 0 (exponent below 1)."""
    from semialg.core import primitives
    out = []
    for node in walk_postorder(program.outputs):
        prim = primitives.REGISTRY.get(node.op)
        if hasattr(prim, "exponent") and prim.exponent(node.param) < 1:
            out.append(node)
    return out


def slopes(strat: Stratification, timeout_ms: int = 10_000, deadline=None) -> SlopeResult:
    """Is the gradient locally bounded (the function then locally Lipschitz, being continuous)?"""
    from semialg.core.budget import Deadline
    deadline = deadline or Deadline(None)
    program = strat.program
    lifting = program.lifting
    if lifting is None:
        return SlopeResult(LIPSCHITZ)
    risky = _risky_roots(program)
    index = strat.branch_index
    positions = [index[id(node)] for node in risky if id(node) in index]
    if not positions:
        return SlopeResult(LIPSCHITZ, reason="no root with an unbounded derivative")
    vanishing = [s for s in strat.asked() if any(s.labels[i] == "zero" for i in positions)]
    if not vanishing:
        return SlopeResult(LIPSCHITZ, reason="no root's argument vanishes on the domain")
    for k, s in enumerate(vanishing):   # a witness first: an unbounded difference quotient along a ray
        for c in strat.above[s.id]:
            if strat.strata[c].dim != strat.full_dim:
                continue
            deadline.check("slopes", k, len(vanishing), unit="strata")
            w = _ray_witness(strat, s, strat.strata[c])
            if w is not None:
                return SlopeResult(NOT_LIPSCHITZ, w)
    reasons = []
    clarke = Rule("clarke")
    for c in strat.full_dimensional():
        if not any(c.labels[i] in ("pos", "neg") for i in positions):
            continue
        grads = field_polys(strat, c, clarke)
        for vertices in grads:
            for g in vertices:
                deadline.check("slopes", c.id, len(strat.strata), unit="strata")
                if not _bounded(strat, c, g[:lifting.n_user], deadline.query_ms(timeout_ms)):
                    reasons.append(f"the gradient on stratum {c.id} was not bounded by a polynomial, and no ray "
                                   "with an unbounded slope was found")
    if reasons:
        return SlopeResult(UNDECIDED, reason="; ".join(dict.fromkeys(reasons)))
    return SlopeResult(LIPSCHITZ, reason="the gradient is bounded by a polynomial on every open stratum")


def _bounded(strat: Stratification, c: Stratum, g: Sequence[Poly], timeout_ms: int) -> bool:
    """An exact certificate: ``|g|**2 <= K (1 + sum of squares of the non-reciprocal variables)**d``
    on all of ``c`` (no point violates it: an unsat query), for a few ``(K, d)``."""
    if any(isinstance(p, NonFinite) for p in g):
        return False
    n = strat.n
    lifting = strat.program.lifting
    aug = with_reciprocals_stratum(strat, c, g)
    if aug is None:
        return False
    norm2 = sum((p * p for p in g), Poly.constant(n, 0))
    if norm2.is_const:
        return True
    recips = {r for r, _ in lifting.reciprocals}
    base = Poly.constant(n, 1) + sum((Poly.variable(n, i) * Poly.variable(n, i) for i in range(n) if i not in recips),
                                     Poly.constant(n, 0))
    if norm2.degree > 8:   # such queries can stall nlsat beyond its resource budget: no certificate tried
        return False
    for d in (0, 1):   # polynomial growth of degree 2 at most: enough for norms and roots of smooth arguments
        for K in (1, 64, 4096):
            bound = base ** d * K
            r = smt.check(list(aug.conditions) + [(norm2 - bound, 1)], n, timeout_ms)
            if r.status == smt.UNSAT:
                return True
    return False


def _ray_witness(strat: Stratification, s: Stratum, c: Stratum) -> UnboundedSlope | None:
    """A ray from the sample of ``s`` (rational) along which the slope is unbounded, or None."""
    lifting = strat.program.lifting
    z = lifting.user_point(s.sample)
    target = lifting.user_point(c.sample)
    if not all(isinstance(v, Fraction) for v in tuple(z) + tuple(target)):
        return None
    n = lifting.n_user
    dirs = [tuple(b - a for a, b in zip(z, target))]
    for i in range(n):
        for sign in (1, -1):
            dirs.append(tuple(Fraction(sign if j == i else 0) for j in range(n)))
    import sympy
    user = lifting.user_program
    h = sympy.Symbol("h", positive=True)
    exprs = _sympy_outputs(user)
    for d in dirs:
        if not any(d):
            continue
        subs = {sympy.Symbol(name, real=True): sympy.Rational(zi.numerator, zi.denominator) +
                h * sympy.Rational(di.numerator, di.denominator) for name, zi, di in zip(user.inputs, z, d)}
        for expr in exprs:
            g = expr.subs(subs)
            g0 = g.subs(h, 0)
            try:
                lim = sympy.limit((g - g0) / h, h, 0, "+")
            except Exception:   # sympy could not take the limit: no witness from this ray
                continue
            if lim in (sympy.oo, -sympy.oo):
                quotients = _numeric_quotients(g, g0, h)
                if quotients and abs(quotients[-1][1]) > 10 * abs(quotients[0][1]):
                    return UnboundedSlope(s.id, tuple(z), d, str(lim), quotients)
    return None


def _sympy_outputs(program) -> list:
    """The user program's outputs as sympy expressions in real symbols."""
    from semialg.core import primitives
    import sympy
    values: dict[int, object] = {}
    for node in walk_postorder(program.outputs):
        args = [values[id(a)] for a in node.args]
        op = node.op
        if op == "const":
            values[id(node)] = sympy.Rational(node.param.numerator, node.param.denominator)
        elif op == "var":
            values[id(node)] = sympy.Symbol(node.param, real=True)
        elif op == "add":
            values[id(node)] = sympy.Add(*args)
        elif op == "mul":
            values[id(node)] = sympy.Mul(*args)
        elif op == "pow":
            values[id(node)] = args[0] ** node.param
        else:
            values[id(node)] = primitives.REGISTRY[op].to_sympy(args, node.param)
    return [values[id(o)] for o in program.outputs]


def _numeric_quotients(g, g0, h) -> tuple:
    """Difference quotients at ``h = 10^-4, 10^-8, 10^-12`` (50 digits): an illustration of the
    exact limit, never the decision."""
    import sympy
    out = []
    for k in (4, 8, 12):
        hv = sympy.Rational(1, 10 ** k)
        q = sympy.N(((g - g0) / h).subs(h, hv), 50)
        try:
            out.append((float(hv), float(q)))
        except TypeError:
            return ()
    return tuple(out)


# --------------------------------------------------------------------------- numeric illustration
def confirm_in_user_space(program, output: int, point, direction, field_value, field_along) -> dict:
    """A refutation's numeric illustration for a lifted program: one-sided difference quotients of
    ``f`` at ``point`` along ``direction`` (50-digit arithmetic on the radical expression), which
    tend to the derivative of the stratum's piece along a tangent direction, against the field's
    ``<v, d>``. It never decides: the exact refutation stands alone when this is inconclusive."""
    import sympy
    try:
        expr = _sympy_outputs(program)[output]
        symbols = [sympy.Symbol(name, real=True) for name in program.inputs]
        h = sympy.Symbol("h", positive=True)
        subs = {x: sympy.nsimplify(p) + h * sympy.nsimplify(d) for x, p, d in zip(symbols, point, direction)}
        g = expr.subs(subs)
        g0 = sympy.N(g.subs(h, 0), 50)
        quotients = []
        for k in (8, 12, 16):
            hv = sympy.Rational(1, 10 ** k)
            quotients.append((float(hv), float((sympy.N(g.subs(h, hv), 60) - g0) / hv)))
        target = float(sympy.N(sympy.nsimplify(field_along), 30))
        last = quotients[-1][1]
        confirmed = abs(last - target) > 1e-6 * max(1.0, abs(target))
        return {"confirmed": confirmed, "difference_quotients": quotients, "field_along_curve": target,
                "method": "one-sided difference quotients of f along the direction (50 digits)"}
    except (TypeError, ValueError, ArithmeticError) as exc:
        return {"confirmed": False, "reason": f"inconclusive ({type(exc).__name__}: {exc})"}
