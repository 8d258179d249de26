"""Deep-equilibrium layers ``z = σ(W z + U x + b)``, exactly: the fixed point, a contraction
certificate, invertibility over the convex set and the conservative Jacobian of ``z*(x)`` (theory §7).

:func:`deq_at` does four things at a rational input ``x``:

1. finds the fixed point ``z*`` **exactly**: a float iteration proposes which piece of ``σ`` each
   unit is on; on those pieces ``z = S(Wz + Ux + b) + c`` is linear and is solved with Fractions;
   the answer counts only if ``F(x, z*) = 0`` exactly (if the iteration does not settle, every
   piece pattern is tried, which lists *all* fixed points);
2. looks for a **contraction certificate**: with ``L`` the Lipschitz constant of ``σ``,
   ``L·||W||_p < 1`` for ``p = ∞`` (row sums), ``1`` (column sums) or ``2`` (``I - L² WᵀW``
   positive definite, by its leading minors). Then ``T(x, ·)`` is a contraction, ``z*(x)`` is
   unique for every ``x`` (Banach), and every ``B = I - DW`` with ``D`` diagonal, ``|d_i| <= L``
   (every element of the convexified Jacobian, anywhere) is invertible, because
   ``||DW||_p <= L ||W||_p < 1`` (the induced norm of a diagonal matrix is ``max |d_i|`` for these
   three ``p``; Neumann series): a proof of invertibility that needs no solver;
3. runs the nonsmooth implicit function theorem (:func:`~semialg.checks.implicit.theorem.implicit`)
   on ``F(x, z) = z - σ(Wz + Ux + b)``: invertibility of every ``I - DW`` of the convex set at the
   point, decided exactly, or a singular ``B`` with its weights;
4. gives ``J_z*(x) = {(I - DW)^{-1} D U}``: the images of the vertices (``d_i`` the slopes of the
   pieces at a kink, the one slope elsewhere), computed both by the theorem and by this closed form.

>>> r = deq_at(deq_layer([["-1/2"]], [[2]], [1]), [Fraction(-1, 2)])
>>> r.z, r.verdict, r.certificate.norm, [str(m[0][0]) for m in r.jacobian]
((Fraction(0, 1),), 'invertible', 'inf', ['0', '4/3'])
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.checks import VerdictResult
from semialg.checks.implicit.jacsets import F0, F1, Matrix, det, identity, inverse, matmul
from semialg.checks.implicit.theorem import EXIT, ImplicitResult, implicit
from semialg.core.errors import InputError
from semialg.frontends.equilibrium import DEQLayer, _exact, deq_layer  # noqa: F401 (deq_layer: doctests)
from semialg.rules import fmt_exact

MAX_PATTERNS = 4096
SINGULAR = "singular"


# --------------------------------------------------------------------------- contraction
@dataclass(frozen=True)
class Contraction:
    """``L·||W||_p < 1`` decided exactly for ``p`` in ``inf``, ``1``, ``2``; ``value`` is
    ``L·||W||_p`` for ``inf`` / ``1``, and for ``2`` the smallest leading principal minor of
    ``I - L²WᵀW`` (Sylvester: all positive iff it is positive definite iff ``L·||W||_2 < 1``)."""

    norm: str
    value: Fraction
    holds: bool
    text: str


def contraction(W: Matrix, lipschitz: Fraction) -> tuple[Contraction, ...]:
    """The three norm tests, exactly.

    >>> [(c.norm, c.holds) for c in contraction(((Fraction(1, 2), Fraction(1, 2)), (F0, Fraction(1, 2))), F1)]
    [('inf', False), ('1', False), ('2', True)]
    """
    m = len(W)
    row = lipschitz * max(sum(abs(v) for v in r) for r in W)
    col = lipschitz * max(sum(abs(W[i][j]) for i in range(m)) for j in range(m))
    out = [Contraction("inf", row, row < 1, f"L·||W||_∞ = {fmt_exact(row)} (L = {fmt_exact(lipschitz)}, max row sum)"),
           Contraction("1", col, col < 1, f"L·||W||_1 = {fmt_exact(col)} (max column sum)")]
    gram = matmul(tuple(zip(*W)), W)
    test = tuple(tuple((F1 if i == j else F0) - lipschitz ** 2 * gram[i][j] for j in range(m)) for i in range(m))
    minors = [det(tuple(r[:k] for r in test[:k])) for k in range(1, m + 1)]
    least = min(minors)
    out.append(Contraction("2", least, least > 0,
                           f"I - L²WᵀW has leading minors {', '.join(fmt_exact(v) for v in minors)}"
                           f" ({'all positive: ||W||_2 < 1/L' if least > 0 else 'not all positive: ||W||_2 >= 1/L'})"))
    return tuple(out)


# --------------------------------------------------------------------------- the fixed point
def _solve_pattern(layer: DEQLayer, x: Sequence[Fraction], pattern: Sequence[int]):
    """The fixed point with unit ``i`` on piece ``pattern[i]``: ``(I - SW) z = S(Ux + b) + c``,
    kept only if every pre-activation lies in its piece (then ``F = 0``); None if there is none,
    ``SINGULAR`` if ``I - SW`` is singular (a line of fixed points may lie on these pieces)."""
    pieces = [layer.activation.pieces[k] for k in pattern]
    m = len(layer.W)
    lhs = tuple(tuple((F1 if i == j else F0) - pieces[i][0] * layer.W[i][j] for j in range(m)) for i in range(m))
    inv = inverse(lhs)
    if inv is None:
        return SINGULAR
    ux = layer.preactivation(x, [F0] * m)
    rhs = tuple((pieces[i][0] * ux[i] + pieces[i][1],) for i in range(m))
    z = tuple(r[0] for r in matmul(inv, rhs))
    for v, (_, _, lower, upper) in zip(layer.preactivation(x, z), pieces):
        if (lower is not None and v < lower) or (upper is not None and v > upper):
            return None
    return z


def _float_guess(layer: DEQLayer, x: Sequence[Fraction], steps: int = 2000) -> list[list[int]] | None:
    """Piece patterns suggested by a float fixed-point iteration (both pieces where a unit sits
    within rounding of a kink); None if the iteration does not settle."""
    act = layer.activation
    W = [[float(v) for v in r] for r in layer.W]
    ux = [float(v) for v in layer.preactivation(x, [F0] * len(W))]
    fl = [(float(s), float(c), None if lo is None else float(lo), None if hi is None else float(hi))
          for s, c, lo, hi in act.pieces]

    def sigma(v: float) -> float:
        for s, c, lo, hi in fl:
            if (lo is None or v >= lo) and (hi is None or v <= hi):
                return s * v + c
        return 0.0  # pragma: no cover

    z = [0.0] * len(W)
    for _ in range(steps):
        pre = [sum(w * zj for w, zj in zip(r, z)) + u for r, u in zip(W, ux)]
        new = [sigma(v) for v in pre]
        if max(abs(a - b) for a, b in zip(new, z)) <= 1e-13 * (1 + max(abs(a) for a in new)):
            z = new
            break
        z = new
    else:
        return None
    pre = [sum(w * zj for w, zj in zip(r, z)) + u for r, u in zip(W, ux)]
    tol = 1e-9 * (1 + max(abs(v) for v in pre))
    choices = []
    for v in pre:
        near = [k for k, (_, _, lo, hi) in enumerate(fl) if (lo is None or v >= lo - tol) and (hi is None or v <= hi + tol)]
        choices.append(near)
    return [list(p) for p in itertools.islice(itertools.product(*choices), 64)]


def fixed_points(layer: DEQLayer, x, z=None, all_points: bool = False) -> tuple[tuple[tuple[Fraction, ...], ...], str]:
    """The fixed point(s) at ``x`` exactly, and how they were found.

    ``z`` given: verified (an input error if ``F(x, z) != 0``). Otherwise the float iteration's
    patterns are solved exactly; if it does not settle, or with ``all_points``, every piece
    pattern is (``MAX_PATTERNS`` at most) and every isolated fixed point found is returned (the
    text says when a pattern's system is singular: a continuum of fixed points may lie there).

    >>> layer = deq_layer([[1]], [[0]], [0])            # z = relu(z): every z >= 0 is a fixed point
    >>> fixed_points(layer, [0], z=["5/2"])[0]
    ((Fraction(5, 2),),)
    >>> fixed_points(deq_layer([[2]], [[1]], [-1]), [0])[0]              # z = relu(2z - 1) from z = 0
    ((Fraction(0, 1),),)
    >>> fixed_points(deq_layer([[2]], [[1]], [-1]), [0], all_points=True)
    (((Fraction(0, 1),), (Fraction(1, 1),)), 'every piece pattern solved exactly (2 patterns): all the fixed points')
    """
    x = tuple(_exact(v, f"x[{j + 1}]") for j, v in enumerate(x))
    if len(x) != len(layer.x):
        raise InputError(f"x has {len(x)} entries but the layer has {len(layer.x)} inputs (columns of U)")
    if z is not None:
        z = tuple(_exact(v, f"z[{i + 1}]") for i, v in enumerate(z))
        if len(z) != len(layer.z) or layer.T(x, z) != z:
            raise InputError(f"z = ({', '.join(fmt_exact(v) for v in z)}) is not a fixed point at x: "
                             f"σ(Wz + Ux + b) = ({', '.join(fmt_exact(v) for v in layer.T(x, z))})")
        return (z,), "given, verified exactly"
    guesses = None if all_points else _float_guess(layer, x)
    if guesses is not None:
        for pattern in guesses:
            found = _solve_pattern(layer, x, pattern)
            if found not in (None, SINGULAR) and layer.T(x, found) == found:
                return (found,), "a float iteration's pieces, solved and verified exactly"
    k, m = len(layer.activation.pieces), len(layer.z)
    if k ** m > MAX_PATTERNS:
        raise InputError(f"no fixed point certified: the float iteration did not settle and {k}^{m} piece patterns "
                         f"are more than {MAX_PATTERNS}; give an exact fixed point with z=")
    found_all: list[tuple[Fraction, ...]] = []
    singular = 0
    for pattern in itertools.product(range(k), repeat=m):
        z = _solve_pattern(layer, x, pattern)
        if z is SINGULAR:
            singular += 1
        elif z is not None and layer.T(x, z) == z and z not in found_all:
            found_all.append(z)
    tail = (f"{singular} pattern(s) with a singular I - SW, where a continuum of fixed points may lie: "
            "the isolated fixed points" if singular else "all the fixed points")
    if not found_all:
        raise InputError("no isolated fixed point at this x (every piece pattern was solved exactly"
                         + (f"; {singular} singular pattern(s): give an exact fixed point with z=)" if singular else ")"))
    return tuple(sorted(found_all)), f"every piece pattern solved exactly ({k ** m} patterns): {tail}"


# --------------------------------------------------------------------------- the closed form
def closed_form_jacobian(layer: DEQLayer, x, z) -> tuple[Matrix, ...] | None:
    """``{(I - DW)^{-1} D U}`` over the vertex choices of ``D`` (each unit's slopes at its
    pre-activation), or None if one ``I - DW`` is singular.

    >>> [m[0][0] for m in closed_form_jacobian(deq_layer([["-1/2"]], [[2]], [1]), [Fraction(-1, 2)], [F0])]
    [Fraction(0, 1), Fraction(4, 3)]
    """
    slopes = [layer.activation.slopes_at(v) for v in layer.preactivation(x, z)]
    m = len(layer.W)
    out: list[Matrix] = []
    for d in itertools.product(*slopes):
        DW = tuple(tuple(d[i] * w for w in layer.W[i]) for i in range(m))
        inv = inverse(tuple(tuple(identity(m)[i][j] - DW[i][j] for j in range(m)) for i in range(m)))
        if inv is None:
            return None
        J = matmul(inv, tuple(tuple(d[i] * u for u in layer.U[i]) for i in range(m)))
        if J not in out:
            out.append(J)
    return tuple(sorted(out))


# --------------------------------------------------------------------------- the result
@dataclass(frozen=True, repr=False)
class DEQResult(VerdictResult):
    """What :func:`deq_at` found. ``jacobian``: the vertices of ``J_z*(x)`` (``m x n``, from the
    theorem); ``closed_form``: the same from ``(I - DW)^{-1} D U``; ``certificate``: the first
    norm test that holds (None: no contraction proved); ``fixed_points``: every fixed point found
    (more than one only when the patterns were enumerated)."""

    EXIT = EXIT

    layer: DEQLayer
    x: tuple[Fraction, ...]
    z: tuple[Fraction, ...]
    how: str
    fixed_points: tuple[tuple[Fraction, ...], ...]
    norms: tuple[Contraction, ...]
    implicit: ImplicitResult
    closed_form: tuple[Matrix, ...] | None

    @property
    def program(self):
        return self.layer.program

    @property
    def verdict(self) -> str:
        return self.implicit.verdict

    @property
    def rule(self):
        return self.implicit.rule

    @property
    def certificate(self) -> Contraction | None:
        return next((c for c in self.norms if c.holds), None)

    @property
    def jacobian(self) -> tuple[Matrix, ...]:
        return tuple(sorted({img for _, img in self.implicit.images}))

    def to_json(self) -> dict:
        """The JSON object of ``semialg deq --json``."""
        from semialg.report.implicit import deq_json
        return deq_json(self)

    def to_text(self) -> str:
        """The text ``semialg deq`` prints."""
        from semialg.report.implicit import deq_text
        return deq_text(self)


def deq_at(layer: DEQLayer, x, rule: str = "clarke", overrides: Sequence[str] = (), z=None, clarke: bool = True,
           all_points: bool = False, timeout: float = 60.0, time_limit: float | None = None) -> DEQResult:
    """The layer at the rational input ``x``: its fixed point, contraction certificate, the
    implicit function theorem's verdict and ``J_z*(x)`` (module docstring).

    ``layer``: a :class:`~semialg.frontends.equilibrium.DEQLayer` (:func:`deq_layer`); ``rule``,
    ``overrides``, ``clarke``, ``timeout``, ``time_limit`` as for
    :func:`~semialg.checks.implicit.theorem.implicit`; ``z``: an exact fixed point to use (verified);
    ``all_points``: enumerate every piece pattern (all isolated fixed points; the smallest is used).
    """
    points, how = fixed_points(layer, x, z, all_points)
    xs = tuple(_exact(v, "x") for v in x)
    zs = points[0]
    norms = contraction(layer.W, layer.activation.lipschitz)
    result = implicit(layer.program, x=list(layer.x), y=list(layer.z), at=list(xs + zs), rule=rule,
                      overrides=overrides, clarke=clarke, explicit=False, timeout=timeout, time_limit=time_limit)
    return DEQResult(layer, xs, zs, how, points, norms, result, closed_form_jacobian(layer, xs, zs))
