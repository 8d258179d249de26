"""A piecewise-linear program near a point, in the few coordinates its kinks see.

Near ``x0`` a network with 784 inputs has only a handful of kinks that can switch (the ones
tied at ``x0``, or crossing a small box around it; :mod:`semialg.frontends.prune` resolves the
rest exactly). Written in its piecewise-linear normal form
(:mod:`semialg.frontends.normal_form`), every remaining kink argument is
``c_j + g_j . (x - x0) + (earlier kinks)`` and every output is
``c_0 + g_0 . (x - x0) + (kinks)``. Let the rows of ``B`` be a basis of the span of the ``g_j``
(``m`` rows, ``m`` at most the number of kink arguments) and ``s = B (x - x0)``: each ``g_j`` is
``mu_j B`` for exact coefficients ``mu_j``, so

    f(x) = c_0 + g_0 . (x - x0) + H(B (x - x0)),

where ``H`` (the :attr:`Reduction.program`, over ``s1 .. sm``) keeps only the kinks, with
arguments ``c_j + mu_j . s + (earlier kinks)``. Consequences used by the local checks
(:mod:`semialg.checks.local`):

* Clarke Jacobians: ``x -> B (x - x0)`` is linear and onto ``R^m``, so by Clarke's chain rule
  for a surjective linear inner map (an equality, Clarke 1983, Thm 2.3.10) the Clarke Jacobian
  of ``f`` at ``x`` is ``g_0 + (Clarke Jacobian of H at s(x)) B``.
* Derivative rules: backprop of ``f`` is the chain rule through the same kinks with the same
  local partials (the kinks of ``H`` are the same primitives at the same argument values), so
  the rule's value is ``g_0 + D_H(s(x)) B``; since ``B`` has independent rows this is a
  one-to-one image, and the rule is conservative for ``f`` on a set ``U`` exactly when it is
  conservative for ``H`` on ``s(U)``.

>>> from semialg.frontends.text import parse
>>> r = reduce_near(parse("relu(x + y) + relu(2*x + 2*y) + relu(x - 1) + 3*z"), [0, 0, 0])
>>> r.program.inputs, r.program.to_text(), r.basis, r.linear
(('s1',), 'relu(s1) + relu(2 * s1)', ((Fraction(1, 1), Fraction(1, 1), Fraction(0, 1)),), ((Fraction(0, 1), Fraction(0, 1), Fraction(3, 1)),))
>>> r.gradient_of([Fraction(1) + 2])   # the piece where both relus are active
((Fraction(3, 1), Fraction(3, 1), Fraction(3, 1)),)
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Sequence

from semialg.core.dag import Program
from semialg.core.errors import InputError
from semialg.core.poly import solve_affine
from semialg.frontends.normal_form import AffineForm, Kink, NormalForm, normal_form
from semialg.frontends.prune import interval_of_poly, kink_summary, possible_branches

__all__ = ["Reduction", "reduce_near"]

F0 = Fraction(0)


def _dot(u: dict, v: dict) -> Fraction:
    if len(u) > len(v):
        u, v = v, u
    return sum((c * v[i] for i, c in u.items() if i in v), F0)


class _Span:
    """An exact basis of the span of sparse vectors, chosen among the vectors themselves."""

    def __init__(self):
        self.basis: list[dict] = []
        self._echelon: list[tuple[int, dict]] = []   # (pivot, row with 1 at the pivot)

    def add(self, v: dict) -> None:
        r = dict(v)
        for pivot, row in self._echelon:
            c = r.get(pivot)
            if c:
                for i, a in row.items():
                    r[i] = r.get(i, F0) - c * a
                r = {i: a for i, a in r.items() if a}
        if r:
            pivot = min(r)
            lead = r[pivot]
            self._echelon.append((pivot, {i: a / lead for i, a in r.items()}))
            self.basis.append(v)

    def coefficients(self, v: dict) -> tuple[Fraction, ...] | None:
        """``mu`` with ``v = sum mu_b basis_b`` (the Gram system, exact), or None off the span."""
        if not self.basis:
            return () if not v else None
        gram = [[_dot(a, b) for b in self.basis] for a in self.basis]
        rhs = [_dot(a, v) for a in self.basis]
        mu = solve_affine(gram, rhs)
        if mu is None:
            return None
        rebuilt: dict = {}
        for m, b in zip(mu, self.basis):
            for i, a in b.items():
                rebuilt[i] = rebuilt.get(i, F0) + m * a
        if {i: a for i, a in rebuilt.items() if a} != {i: a for i, a in v.items() if a}:
            return None
        return tuple(mu)


@dataclass(frozen=True)
class Reduction:
    """``f(x) = linear . (x - center) + program(basis (x - center))`` near ``center``
    (within ``radius`` in every coordinate; radius 0: on some neighbourhood), exactly.

    ``program``: ``H`` over ``s1 .. sm``; ``basis``: the ``m`` rows of ``B`` (length ``n``);
    ``linear``: ``g_0`` per output; ``pruned``: how many kinks were resolved (:class:`KinkCount`).
    """

    original: Program
    center: tuple[Fraction, ...]
    radius: Fraction
    program: Program
    basis: tuple[tuple[Fraction, ...], ...]
    linear: tuple[tuple[Fraction, ...], ...]
    pruned: "KinkCount"

    @property
    def dim(self) -> int:
        return len(self.basis)

    def coordinates(self, x: Sequence) -> tuple:
        """``s = B (x - center)``."""
        h = [Fraction(v) - c for v, c in zip(x, self.center)]
        return tuple(sum((b * d for b, d in zip(row, h) if b), F0) for row in self.basis)

    def to_original(self, s: Sequence) -> tuple[Fraction, ...]:
        """The nearest ``x`` with ``B (x - center) = s``: ``center + B^T (B B^T)^{-1} s`` (exact)."""
        gram = [[sum((a * b for a, b in zip(u, v) if a and b), F0) for v in self.basis] for u in self.basis]
        y = solve_affine(gram, [Fraction(v) for v in s]) if self.basis else ()
        x = list(self.center)
        for c, row in zip(y, self.basis):
            for i, a in enumerate(row):
                if a:
                    x[i] += c * a
        return tuple(x)

    def gradient_of(self, jacobian_h: Sequence) -> tuple[tuple[Fraction, ...], ...]:
        """``g_0 + J_H B``: a Jacobian of ``H`` (rows per output, or one row for one output) as a
        Jacobian of ``f`` (rows of length ``n``)."""
        rows = [jacobian_h] if jacobian_h and not isinstance(jacobian_h[0], (list, tuple)) else jacobian_h
        if len(rows) != len(self.linear):
            raise InputError(f"expected {len(self.linear)} rows, got {len(rows)}")
        out = []
        for g0, v in zip(self.linear, rows):
            row = list(g0)
            for c, b in zip(v, self.basis):
                if c:
                    for i, a in enumerate(b):
                        if a:
                            row[i] += c * a
            out.append(tuple(row))
        return tuple(out)

    def coefficients_of(self, gradient_f: Sequence) -> tuple | None:
        """The ``J_H`` with ``gradient_f = g_0 + J_H B`` (rows per output), or None when some row of
        ``gradient_f - g_0`` is not in the span of ``B`` (then no Jacobian of ``H`` maps to it)."""
        span = _Span()
        for b in self.basis:
            span.add({i: a for i, a in enumerate(b) if a})
        rows = []
        for g0, g in zip(self.linear, gradient_f):
            diff = {i: Fraction(a) - b for i, (a, b) in enumerate(zip(g, g0)) if Fraction(a) != b}
            mu = span.coefficients(diff)
            if mu is None:
                return None
            rows.append(mu)
        return tuple(rows)


def _reduced_form(form: AffineForm, span: _Span, center) -> AffineForm:
    shift = sum((c * center[i] for i, c in form.inputs.items()), F0)
    mu = span.coefficients(form.inputs) if form.inputs else ()
    if mu is None:  # cannot happen: every argument's gradient was added to the span
        raise AssertionError("a kink argument outside the span of the kink arguments")
    return AffineForm(form.const + shift, {k: m for k, m in enumerate(mu) if m}, form.kinks)


@dataclass(frozen=True)
class KinkCount:
    """How many kinks the box (or the neighbourhood) resolved and how many it kept."""

    resolved: int
    kept: int
    near_point: bool = False   # radius 0: "near the point" rather than "in the box"

    def summary(self) -> str:
        return kink_summary(self.resolved, self.kept, "near the point" if self.near_point else "in the box")


class _Center:
    """The center as integers over one denominator, for exact dot products at integer speed."""

    def __init__(self, center):
        self.den = lcm(*(c.denominator for c in center)) if center else 1
        self.num = [c.numerator * (self.den // c.denominator) for c in center]

    def dot(self, coeffs: dict) -> Fraction:
        """``sum_i coeffs[i] * center[i]``, exactly."""
        if not coeffs:
            return F0
        den = lcm(*(c.denominator for c in coeffs.values()))
        total = sum(c.numerator * (den // c.denominator) * self.num[i] for i, c in coeffs.items())
        return Fraction(total, den * self.den)


def _abs_sum(coeffs: dict) -> Fraction:
    if not coeffs:
        return F0
    den = lcm(*(c.denominator for c in coeffs.values()))
    return Fraction(sum(abs(c.numerator) * (den // c.denominator) for c in coeffs.values()), den)


def _form_interval(form: AffineForm, center: _Center, radius, kink_intervals) -> tuple | None:
    """The exact range of the input part over the box (``value at center +- r * sum |coeff|``) plus
    the interval of the kink part: an interval containing the form on the box."""
    mid = form.const + center.dot(form.inputs)
    half = radius * _abs_sum(form.inputs) if radius else F0
    lo, hi = mid - half, mid + half
    for k, c in form.kinks.items():
        iv = kink_intervals[k]
        if iv is None:
            return None
        a, b = (c * iv[0], c * iv[1]) if c > 0 else (c * iv[1], c * iv[0])
        lo, hi = lo + a, hi + b
    return lo, hi


def _resolve(nf: NormalForm, center, radius):
    """Which kinks keep one branch on the box (or near the center when ``radius`` is 0): for each,
    its branch's affine value in its arguments (``None`` for a kept kink), by the exact interval
    argument of :mod:`semialg.frontends.prune` run on the normal form."""
    intervals: list = []
    branch_values: list = []
    center = _Center(center)
    for kink in nf.kinks:
        boxes = [_form_interval(a, center, radius, intervals) for a in kink.args]
        possible = possible_branches(kink.op, kink.param, boxes, nearby=radius == 0)
        if len(possible) == 1:
            branch_values.append(possible[0].value)
        else:
            branch_values.append(None)
        values = [interval_of_poly(b.value, boxes) for b in possible]
        intervals.append(None if not values or any(v is None for v in values)
                         else (min(v[0] for v in values), max(v[1] for v in values)))
    return branch_values


def _through_resolved(target: AffineForm, nf: NormalForm, branch_values) -> AffineForm:
    """``target`` with every resolved kink replaced by its branch (reverse order: a kink's arguments
    use only earlier kinks), as an affine form in the inputs and the kept kinks."""
    const, inputs, adjoint = target.const, dict(target.inputs), dict(target.kinks)
    kept: dict = {}
    while adjoint:
        k = max(adjoint)
        a = adjoint.pop(k)
        value = branch_values[k]
        if value is None:
            kept[k] = a
            continue
        for monomial, c in value.terms.items():   # affine in the arguments (piecewise-linear primitives)
            if not any(monomial):
                const += a * c
                continue
            arg = nf.kinks[k].args[monomial.index(1)]
            w = a * c
            const += w * arg.const
            for i, v in arg.inputs.items():
                inputs[i] = inputs.get(i, F0) + w * v
            for j, v in arg.kinks.items():
                adjoint[j] = adjoint.get(j, F0) + w * v
    return AffineForm(const, {i: v for i, v in inputs.items() if v}, {k: v for k, v in kept.items() if v})


def reduce_near(program: Program, center: Sequence, radius=0) -> Reduction:
    """The :class:`Reduction` of a piecewise-linear ``program`` near ``center``: the kinks that keep
    one branch on the box of ``radius`` (radius 0: near ``center``; the interval argument of
    :mod:`semialg.frontends.prune`, run on the normal form) resolved, the rest written in the
    coordinates ``s = B (x - center)``. Raises
    :class:`~semialg.frontends.normal_form.NotPiecewiseLinear` for other programs."""
    center = tuple(Fraction(v) for v in center)
    radius = Fraction(radius)
    if radius < 0:
        raise InputError(f"the radius must be 0 or positive, got {radius}")
    nf: NormalForm = normal_form(program)
    if len(center) != len(nf.inputs):
        raise InputError(f"the point has {len(center)} coordinates but the program has {len(nf.inputs)} variables")
    branch_values = _resolve(nf, center, radius)
    kept_ids = [k for k, v in enumerate(branch_values) if v is None]
    renumber = {k: i for i, k in enumerate(kept_ids)}
    kept_kinks = []
    for k in kept_ids:
        kink = nf.kinks[k]
        args = []
        for a in kink.args:
            form = _through_resolved(a, nf, branch_values)
            args.append(AffineForm(form.const, form.inputs, {renumber[j]: c for j, c in form.kinks.items()}))
        kept_kinks.append(Kink(kink.node, kink.op, kink.param, tuple(args), kink.level))
    outputs = []
    for o in nf.outputs:
        form = _through_resolved(o, nf, branch_values)
        outputs.append(AffineForm(form.const, form.inputs, {renumber[j]: c for j, c in form.kinks.items()}))
    span = _Span()
    for kink in kept_kinks:
        for arg in kink.args:
            if arg.inputs:
                span.add(arg.inputs)
    kinks = tuple(Kink(k.node, k.op, k.param, tuple(_reduced_form(a, span, center) for a in k.args), k.level)
                  for k in kept_kinks)
    n = len(nf.inputs)
    linear = tuple(tuple(o.inputs.get(i, F0) for i in range(n)) for o in outputs)
    reduced_outputs = tuple(AffineForm(o.const + sum((c * center[i] for i, c in o.inputs.items()), F0), {}, o.kinks)
                            for o in outputs)
    names = tuple(f"s{k + 1}" for k in range(len(span.basis)))
    reduced = NormalForm(names, kinks, reduced_outputs).to_program()
    basis = tuple(tuple(b.get(i, F0) for i in range(n)) for b in span.basis)
    return Reduction(program, center, radius, reduced, basis, linear, KinkCount(len(nf.kinks) - len(kept_ids), len(kept_ids),
                                                                                radius == 0))
