"""Argmin problems: exact solutions, conservative Jacobians of the solution map, hypergradients (theory §7).

For an :class:`~semialg.frontends.argmin.ArgminProblem` (the optimality equation ``F(θ, x) = 0``
of a prox or KKT problem):

1. :func:`solve` finds the solution *exactly*: scipy minimises the original problem
   (:func:`semialg.numeric.argmin_solve`), its float answer only proposes the branch of every
   kink of ``F`` (support and signs, active bounds, active constraints); on that branch ``F`` is
   affine in the unknowns (``h`` quadratic), the linear system is solved in rationals, and the
   result is accepted only if ``F = 0`` holds exactly at it;
2. :func:`argmin_at` applies the nonsmooth implicit function theorem
   (:func:`~semialg.checks.implicit.theorem.implicit`) at that point: when every ``B`` of
   ``conv J_F`` is invertible, ``J_x*(θ)`` has the vertices ``-B^{-1}A`` (the x-rows);
   otherwise a singular ``B`` is the witness;
3. :func:`hypergradient`: for ``θ ↦ C(θ, x*(θ))`` with ``C`` smooth, the chain rule gives the
   vertices ``∇_θ C + J^T ∇_x C`` over the vertices ``J`` of ``J_x*``. ``conv J_F`` is a product
   of row hulls; with all rows of ``[A B]`` fixed but one, Cramer's rule makes every entry of
   ``-B^{-1}A`` a ratio of functions affine in that row, over ``det B``, whose sign is constant
   since every ``B`` is invertible. A linear functional of ``-B^{-1}A`` is then extremal at a
   vertex of each row's hull in turn, hence at an all-vertex choice: the convex hull of the set
   is the hull of the vertex values, a conservative field of ``θ ↦ C(θ, x*(θ))`` (chain rule).

>>> from semialg.frontends.argmin import argmin
>>> p = argmin("1/2*(x1 - 2)**2 + 1/2*(x2 + t)**2", x="x1,x2", theta="t", penalty="nonneg")
>>> r = argmin_at(p, {"t": 0})                     # x* = (2, 0): x2 = relu(-t) has a kink at t = 0
>>> r.solution.x, r.verdict, r.jacobian_x
((Fraction(2, 1), Fraction(0, 1)), 'invertible', (((Fraction(0, 1),), (Fraction(0, 1),)), ((Fraction(0, 1),), (Fraction(-1, 1),))))
>>> hypergradient(p, "x2**2/2 + x2", {"t": 0}).vertices          # C = x2²/2 + x2: slopes 0 and -1
((Fraction(0, 1),), (Fraction(-1, 1),))
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from semialg.checks import VerdictResult
from semialg.checks.implicit.jacsets import Matrix
from semialg.checks.implicit.theorem import EXIT, INVERTIBLE, NOT_INVERTIBLE, ImplicitResult, implicit, point_values
from semialg.core.errors import InputError
from semialg.frontends.argmin import ArgminProblem, parse_over, parse_penalty
from semialg.frontends.sympy import from_sympy, symbols_for, to_sympy
from semialg.frontends.text import parse
from semialg.numeric import exact_value
from semialg.rules import fmt_exact

TOLERANCES = (1e-10, 1e-8, 1e-6, 1e-4, 1e-3)
_INCOMPLETE = ("note: conv J_F has more vertices than are listed (jacsets.MAX_LISTED): the vertices above are "
               "members of the set, their hull may be smaller than its hull")


@dataclass(frozen=True)
class ArgminSolution:
    """An exact solution: ``F(θ, x, multipliers) = 0`` holds exactly; ``how`` says how it was found."""

    theta: tuple[Fraction, ...]
    x: tuple[Fraction, ...]
    multipliers: tuple[Fraction, ...]
    how: str

    @property
    def point(self) -> tuple[Fraction, ...]:
        """``θ + x + multipliers``: the point of ``F``'s inputs."""
        return self.theta + self.x + self.multipliers


# --------------------------------------------------------------------------- exact numbers and points
def _exact(v, what: str) -> Fraction:
    try:
        return Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    except (TypeError, ValueError, ZeroDivisionError):
        raise InputError(f"{what}: {v!r} is not an exact rational such as 1/2, -3 or 0.25") from None


def _rational(expr) -> Fraction | None:
    return Fraction(int(expr.p), int(expr.q)) if getattr(expr, "is_Rational", False) else None


def _fmt(values) -> str:
    return ", ".join(fmt_exact(v) for v in values)


# --------------------------------------------------------------------------- the numeric proposal
def _weight(problem: ArgminProblem, theta) -> Fraction:
    _, arg = parse_penalty(problem.penalty)
    weight = exact_value(parse(arg, list(problem.theta)), theta)[0]
    if weight < 0:
        raise InputError(f"the l1 weight {arg} = {fmt_exact(weight)} is negative at θ = ({_fmt(theta)}): "
                         "soft-thresholding is the prox of a nonnegative weight only")
    return weight


def _proposal(problem: ArgminProblem, theta) -> list[float]:
    from semialg.numeric import argmin_solve
    names = list(problem.theta + problem.x)
    objective = parse(problem.objective, names)
    gradient = parse(", ".join(problem.gradient), names)
    penalty = None
    if problem.penalty is not None:
        kind, arg = parse_penalty(problem.penalty)
        if kind == "l1":
            penalty = ("l1", float(_weight(problem, theta)))
        elif kind == "box":
            penalty = ("box",) + tuple(float(Fraction(v)) for v in arg.split(","))
        else:
            penalty = (kind,)
    ineq = [parse(g, names) for g in problem.inequalities]
    eq = [parse(e, names) for e in problem.equalities]
    x = argmin_solve(objective, gradient, [float(v) for v in theta], penalty, ineq, eq)
    return [float(v) for v in x]


# --------------------------------------------------------------------------- exact certification
class _Exact:
    """The sympy pieces of the problem at a fixed rational θ: ``∇_x h`` and the constraint functions."""

    def __init__(self, problem: ArgminProblem, theta):
        import sympy
        names = list(problem.theta + problem.x)
        syms = symbols_for(names)
        at = {s: sympy.Rational(v.numerator, v.denominator) for s, v in zip(syms, theta)}
        self.xsyms = syms[len(problem.theta):]
        self.msyms = symbols_for(problem.multipliers)

        def exprs(texts):
            return [to_sympy(parse(t, names), syms)[0].subs(at) for t in texts]
        self.grad = exprs(problem.gradient)
        self.ineq = exprs(problem.inequalities)
        self.eq = exprs(problem.equalities)


def _branch_equations(problem: ArgminProblem, ex: _Exact, theta, xf: list[float], tol: float):
    """The equations of the branch of ``F`` the float solution lies on (``h`` quadratic: affine ones)."""
    import sympy
    scale = tol * max([1.0] + [abs(v) for v in xf])
    gamma = sympy.Rational(problem.step.numerator, problem.step.denominator)
    X, grad = ex.xsyms, ex.grad
    unknowns, eqs, key = list(X) + list(ex.msyms), [], []
    if problem.kind == "prox":
        kind, arg = parse_penalty(problem.penalty)
        if kind == "l1":
            t = gamma * sympy.Rational(*_weight(problem, theta).as_integer_ratio())
            for i, v in enumerate(xf):   # x_i = v_i ∓ t on the support (v = x - γ∇h), else x_i = 0
                s = (v > scale) - (v < -scale)
                key.append(s)
                eqs.append(gamma * grad[i] + s * t if s else X[i])
        elif kind == "nonneg":
            for i, v in enumerate(xf):
                key.append(v > scale)
                eqs.append(grad[i] if v > scale else X[i])
        elif kind == "box":
            lo, hi = (sympy.Rational(*Fraction(s).as_integer_ratio()) for s in arg.split(","))
            for i, v in enumerate(xf):
                side = -1 if abs(v - float(lo)) <= scale else 1 if abs(v - float(hi)) <= scale else 0
                key.append(side)
                eqs.append(X[i] - lo if side < 0 else X[i] - hi if side > 0 else grad[i])
        else:   # simplex: x_i = v_i - τ on the support S, 0 off it, Σx = 1
            tau = sympy.Symbol("tau_simplex", real=True)
            unknowns.append(tau)
            for i, v in enumerate(xf):
                key.append(v > scale)
                eqs.append(gamma * grad[i] + tau if v > scale else X[i])
            eqs.append(sum(X, sympy.Integer(-1)))
        return eqs, unknowns, tuple(key)
    at = dict(zip(X, [sympy.Float(v) for v in xf]))
    mus, nus = ex.msyms[:len(ex.ineq)], ex.msyms[len(ex.ineq):]
    active = [float(g.subs(at)) >= -scale for g in ex.ineq]
    for i, s in enumerate(X):
        eqs.append(grad[i] + sum((m * sympy.diff(g, s) for m, g in zip(mus, ex.ineq)), sympy.Integer(0))
                   + sum((m * sympy.diff(e, s) for m, e in zip(nus, ex.eq)), sympy.Integer(0)))
    eqs += [g if on else m for g, m, on in zip(ex.ineq, mus, active)]
    eqs += list(ex.eq)
    return eqs, unknowns, tuple(active)


def _linear_solution(eqs, unknowns, fill: dict) -> dict | None:
    """A rational solution of a linear system (free unknowns set from ``fill``, else 0), or None."""
    import sympy
    if any(sympy.Poly(e, *unknowns).total_degree() > 1 for e in eqs if e != 0):
        return None
    sols = sympy.linsolve(eqs, unknowns)
    if not sols:
        return None
    sol = next(iter(sols))
    free = set().union(*[v.free_symbols for v in sol]) & set(unknowns)
    sub = {u: fill.get(u, sympy.Integer(0)) for u in free}
    out = {}
    for u, v in zip(unknowns, sol):
        value = _rational(v.subs(sub) if free else v)
        if value is None:
            return None
        out[u] = value
    return out


def _is_zero(problem: ArgminProblem, theta, x, mults) -> bool:
    return all(r == 0 for r in exact_value(problem.program, tuple(theta) + tuple(x) + tuple(mults)))


def _certify(problem: ArgminProblem, theta, xf: list[float]) -> ArgminSolution | None:
    import sympy
    ex = _Exact(problem, theta)
    fill = {s: sympy.Rational(*Fraction(v).limit_denominator(10 ** 6).as_integer_ratio())
            for s, v in zip(ex.xsyms, xf)}
    tried = set()
    for tol in TOLERANCES:
        eqs, unknowns, key = _branch_equations(problem, ex, theta, xf, tol)
        if key in tried:
            continue
        tried.add(key)
        sol = _linear_solution(eqs, unknowns, fill)
        if sol is None:
            continue
        x = tuple(sol[s] for s in ex.xsyms)
        mults = tuple(sol[s] for s in ex.msyms)
        if _is_zero(problem, theta, x, mults):
            return ArgminSolution(tuple(theta), x, mults,
                                  f"scipy's minimiser of the original problem proposed the branch (threshold {tol:g}); "
                                  "its linear system was solved in rationals and F = 0 holds exactly")
    if not problem.multipliers:   # h not quadratic: try small-denominator rationals near the float solution
        for den in (10 ** 2, 10 ** 4, 10 ** 6):
            x = tuple(Fraction(v).limit_denominator(den) for v in xf)
            if _is_zero(problem, theta, x, ()):
                return ArgminSolution(tuple(theta), x, (), f"scipy's minimiser rounded to denominators <= {den}; "
                                      "F = 0 holds exactly")
    return None


def _verify_guess(problem: ArgminProblem, theta, guess) -> ArgminSolution:
    import sympy
    xs, ms = problem.x, problem.multipliers
    n_given = len(guess) if not isinstance(guess, (str, dict)) else \
        len(guess) if isinstance(guess, dict) else len([p for p in guess.split(",") if p.strip()])
    if ms and n_given == len(xs):   # x only: the multipliers from the exact active set
        x = point_values(guess, xs, "guess")
        ex = _Exact(problem, theta)
        at = dict(zip(ex.xsyms, [sympy.Rational(v.numerator, v.denominator) for v in x]))
        eqs, _, _ = _branch_equations(problem, ex, theta, [float(v) for v in x], 0.0)
        active = [g.subs(at) == 0 for g in ex.ineq]
        eqs = [e.subs(at) for e in eqs[:len(xs)]] + [m for m, on in zip(ex.msyms, active) if not on]
        sol = _linear_solution(eqs, list(ex.msyms), {})
        mults = tuple(sol[m] for m in ex.msyms) if sol else None
        how = "the given x, with multipliers from the exact active set"
    else:
        values = point_values(guess, problem.unknowns, "guess")
        x, mults = values[:len(xs)], values[len(xs):]
        how = "the given exact solution"
    if mults is None or not _is_zero(problem, theta, x, mults):
        point = tuple(theta) + tuple(x) + tuple(mults or (0,) * len(ms))
        res = exact_value(problem.program, point) if mults is not None else None
        detail = f"the residual F is ({_fmt(res)})" if res is not None else "no multipliers satisfy stationarity"
        raise InputError(f"guess= is not a solution at θ = ({_fmt(theta)}): {detail}; a guess is checked "
                         "exactly, never trusted")
    return ArgminSolution(tuple(theta), tuple(x), tuple(mults), how + ", F = 0 checked exactly")


def solve(problem: ArgminProblem, theta, guess=None) -> ArgminSolution:
    """The exact solution at ``θ`` (a dict, ``"t=1/2"`` or a sequence), certified by ``F = 0``.

    ``guess``: an exact solution (all unknowns, or ``x`` alone for a KKT problem), verified.

    >>> from semialg.frontends.argmin import argmin
    >>> p = argmin("(x1 - t)**2 + x2**2", ["x1 + x2 >= 1"], x="x1,x2", theta="t")
    >>> s = solve(p, "t=0"); s.x, s.multipliers
    ((Fraction(1, 2), Fraction(1, 2)), (Fraction(1, 1),))
    >>> solve(p, "t=0", guess=[1, 0]).multipliers
    Traceback (most recent call last):
    ...
    semialg.core.errors.InputError: guess= is not a solution at θ = (0): no multipliers satisfy stationarity; a guess is checked exactly, never trusted
    """
    theta = point_values(theta, problem.theta, "θ")
    if guess is not None:
        return _verify_guess(problem, theta, guess)
    xf = _proposal(problem, theta)
    sol = _certify(problem, theta, xf)
    if sol is None:
        raise InputError(f"the solution at θ = ({_fmt(theta)}) could not be certified: scipy proposed x ≈ "
                         f"({', '.join(f'{v:.6g}' for v in xf)}) but no branch of F nor a nearby rational gives "
                         "F = 0 exactly (is h quadratic? is the solution rational?); give an exact solution with guess=")
    return sol


# --------------------------------------------------------------------------- differentiation
def _count(k: int, one: str, many: str) -> str:
    return f"{k} {one if k == 1 else many}"


def _matrix_text(mx) -> str:
    return "[" + "; ".join(_fmt(row) for row in mx) + "]"


@dataclass(frozen=True, repr=False)
class ArgminResult(VerdictResult):
    """The solution map ``θ ↦ x*(θ)`` at ``θ``: the exact solution, the implicit function theorem's
    answer for ``F`` and ``jacobian_x``, the vertices of ``J_x*(θ)`` (``len(x) x len(θ)`` each; the
    x-rows of the images ``-B^{-1}A``, without repeats; empty unless the verdict is ``invertible``);
    ``complete``: False when ``conv J_F`` has more vertices than ``implicit`` lists (then the
    vertices listed are members of ``J_x*(θ)`` but may not span its hull)."""

    EXIT = EXIT

    problem: ArgminProblem
    solution: ArgminSolution
    implicit: ImplicitResult
    jacobian_x: tuple[Matrix, ...]
    complete: bool = True   # False when conv J_F has more vertices than ``implicit`` lists images

    @property
    def verdict(self) -> str:
        return self.implicit.verdict

    @property
    def reason(self) -> str:
        return self.implicit.reason

    @property
    def program(self):
        return self.problem.program

    @property
    def rule(self):
        return self.implicit.rule

    def _solution_lines(self) -> list[str]:
        s, p = self.solution, self.problem
        lines = [f"at {', '.join(f'{n} = {fmt_exact(v)}' for n, v in zip(p.theta, s.theta))}:",
                 "  x* = (" + _fmt(s.x) + ")" + (f", multipliers ({', '.join(p.multipliers)}) = ({_fmt(s.multipliers)})"
                                                if p.multipliers else ""),
                 f"  certificate of the solution: {s.how}"]
        return lines

    def to_text(self) -> str:
        """The problem, the exact solution and ``J_x*(θ)`` with its certificate."""
        lines = [self.problem.to_text()] + self._solution_lines()
        lines.append(f"implicit function theorem ({self.rule.name}): {self.verdict}: {self.reason}")
        if self.jacobian_x:
            lines.append(f"J_x*(θ) = conv of {_count(len(self.jacobian_x), 'vertex', 'vertices')} (rows x, columns θ):")
            lines += [f"  {_matrix_text(mx)}" for mx in self.jacobian_x]
        lines += [] if self.complete else [_INCOMPLETE]
        return "\n".join(lines)

    def to_json(self) -> dict:
        """Exact numbers as strings; ``implicit`` is the JSON of the implicit function theorem's answer."""
        from semialg.report import header
        s, p = self.solution, self.problem
        return {**header("argmin", p.program.to_text(), list(p.program.inputs)), "kind": p.kind, "program": p.program.to_text(), "objective": p.objective, "penalty": p.penalty,
                "constraints": list(p.constraints), "step": fmt_exact(p.step),
                "theta": {n: fmt_exact(v) for n, v in zip(p.theta, s.theta)},
                "x": {n: fmt_exact(v) for n, v in zip(p.x, s.x)},
                "multipliers": {n: fmt_exact(v) for n, v in zip(p.multipliers, s.multipliers)},
                "certificate": s.how, "verdict": self.verdict, "reason": self.reason,
                "jacobian_x": [[[fmt_exact(v) for v in row] for row in mx] for mx in self.jacobian_x],
                "complete": self.complete,
                "implicit": self.implicit.to_json()}


def argmin_at(problem: ArgminProblem, theta, rule="clarke", timeout: float = 60.0, time_limit: float | None = None,
              guess=None, clarke: bool = False, explicit: bool = False) -> ArgminResult:
    """Solve exactly at ``θ``, then apply the nonsmooth implicit function theorem to ``F`` there.

    ``rule``, ``timeout``, ``time_limit``, ``clarke``, ``explicit``: as for
    :func:`~semialg.checks.implicit.theorem.implicit` (Clarke's Jacobian of ``F`` and the explicit
    pieces of ``x*`` are off by default: they need a stratification of ``F``); ``guess``: as for :func:`solve`.

    >>> from semialg.frontends.argmin import argmin
    >>> p = argmin("1/2*(x1 - 3)**2", x="x1", theta="lam", penalty="l1:lam")
    >>> r = argmin_at(p, "lam=1"); r.solution.x, r.jacobian_x        # x* = 3 - lam
    ((Fraction(2, 1),), (((Fraction(-1, 1),),),))
    >>> argmin_at(p, "lam=3").jacobian_x                            # the kink: slopes 0 and -1
    (((Fraction(0, 1),),), ((Fraction(-1, 1),),))
    """
    sol = solve(problem, theta, guess)
    res = implicit(problem.program, x=list(problem.theta), y=list(problem.unknowns), at=sol.point, rule=rule,
                   clarke=clarke, explicit=explicit, timeout=timeout, time_limit=time_limit)
    nx = len(problem.x)
    seen: dict = {}
    for _, img in res.images:
        seen.setdefault(tuple(img[:nx]))
    n_vertices = 1
    for group in res.jacobian.groups:
        n_vertices *= len(group)
    complete = res.verdict != INVERTIBLE or len(res.images) == n_vertices
    return ArgminResult(problem, sol, res, tuple(seen), complete)


# --------------------------------------------------------------------------- hypergradients
@dataclass(frozen=True, repr=False)
class Hypergradient(VerdictResult):
    """``{∇_θ C + J^T ∇_x C : J ∈ J_x*(θ)}`` for a smooth cost ``C(θ, x)`` at the exact solution.

    ``vertices``: the values at the vertices of ``J_x*`` (their hull is the hull of the set, see the
    module docstring); ``grad_theta`` / ``grad_x``: ``∇C`` there. Certificate: the verdict of the
    implicit function theorem (``not_invertible``: no set, ``result.implicit.singularity`` is the witness).
    """

    EXIT = EXIT

    result: ArgminResult
    cost: str
    vertices: tuple[tuple[Fraction, ...], ...]
    grad_theta: tuple[Fraction, ...]
    grad_x: tuple[Fraction, ...]

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def reason(self) -> str:
        return self.result.reason

    @property
    def program(self):
        return self.result.program

    @property
    def rule(self):
        return self.result.rule

    def to_text(self) -> str:
        """The hypergradient vertices, or the singular witness, with the solution's certificate."""
        p = self.result.problem
        lines = [f"hypergradient of C = {self.cost} through x*(θ) of", self.result.problem.to_text()]
        lines += self.result._solution_lines()
        lines.append(f"  ∇_θ C = ({_fmt(self.grad_theta)}), ∇_x C = ({_fmt(self.grad_x)})")
        lines.append(f"implicit function theorem ({self.rule.name}): {self.verdict}: {self.reason}")
        if self.verdict == INVERTIBLE:
            lines.append(f"d/d({', '.join(p.theta)}) C(θ, x*(θ)) ∈ conv of {_count(len(self.vertices), 'vertex', 'vertices')}:")
            lines += [f"  ({_fmt(v)})" for v in self.vertices]
            lines += [] if self.result.complete else [_INCOMPLETE]
        elif self.verdict == NOT_INVERTIBLE:
            sing = self.result.implicit.singularity
            lines.append(f"no hypergradient set: singular witness B = {_matrix_text(sing.witness_matrix)}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        """The argmin result's JSON with the cost, ``∇C`` and the vertices (exact strings)."""
        out = self.result.to_json()
        out.update({"command": "hypergradient", "cost": self.cost, "grad_theta": [fmt_exact(v) for v in self.grad_theta],
                    "grad_x": [fmt_exact(v) for v in self.grad_x],
                    "hypergradient": [[fmt_exact(v) for v in vx] for vx in self.vertices]})
        return out


def _cost_gradient(problem: ArgminProblem, cost: str, point) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
    import sympy
    names = list(problem.theta + problem.x)
    program = parse_over(cost, "the cost", names, list(problem.theta), list(problem.x))
    syms = symbols_for(names)
    c = to_sympy(program, syms)[0]
    if c.is_polynomial(*syms) is not True:
        raise InputError(f"the cost '{cost}' must be smooth (a polynomial in θ and x) for the chain rule "
                         "∇_θ C + J^T ∇_x C")
    grad = from_sympy([sympy.diff(c, s) for s in syms], names)
    values = exact_value(grad, point)
    return tuple(values[:len(problem.theta)]), tuple(values[len(problem.theta):])


def hypergradient(problem: ArgminProblem, cost: str, theta, rule="clarke", timeout: float = 60.0,
                  time_limit: float | None = None, guess=None) -> Hypergradient:
    """The hypergradient set of ``θ ↦ C(θ, x*(θ))`` at ``θ``, exactly, with its certificate.

    >>> from semialg.frontends.argmin import argmin
    >>> p = argmin("1/2*(x1 - x2)**2", ["x1 + x2 == t"], x="x1,x2", theta="t")
    >>> h = hypergradient(p, "x1", "t=1"); h.verdict, h.vertices, h.result.solution.x     # x* = (t/2, t/2)
    ('invertible', ((Fraction(1, 2),),), (Fraction(1, 2), Fraction(1, 2)))
    >>> q = argmin("1/2*(x1 - x2)**2", ["x1 + x2 == t", "2*x1 + 2*x2 == 2*t"], x="x1,x2", theta="t")
    >>> h = hypergradient(q, "x1", "t=1"); h.verdict, h.vertices       # a repeated constraint: B is singular
    ('not_invertible', ())
    >>> h.result.implicit.singularity.witness_matrix[2:]
    ((Fraction(1, 1), Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)), (Fraction(2, 1), Fraction(2, 1), Fraction(0, 1), Fraction(0, 1)))
    """
    r = argmin_at(problem, theta, rule=rule, timeout=timeout, time_limit=time_limit, guess=guess)
    s = r.solution
    g_theta, g_x = _cost_gradient(problem, cost, s.theta + s.x)
    vertices: dict = {}
    for jac in r.jacobian_x:   # (∇_θ C + J^T ∇_x C)_k = ∂C/∂θ_k + Σ_i J[i][k] ∂C/∂x_i
        vertices.setdefault(tuple(g_theta[k] + sum((jac[i][k] * g_x[i] for i in range(len(g_x))), Fraction(0))
                                  for k in range(len(g_theta))))
    return Hypergradient(r, cost, tuple(vertices), g_theta, g_x)
