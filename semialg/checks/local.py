"""Local questions on programs with many inputs, answered in the reduced coordinates.

A 784-input network cannot be stratified globally, but near a point it is
``f(x) = g_0 . (x - x0) + H(B (x - x0))`` with ``H`` a program in the few coordinates its
remaining kinks see (:mod:`semialg.frontends.reduce`). This module turns the answers about
``H`` into answers about ``f``:

* :func:`box_preimage`: a point ``x`` of the open box with ``B (x - x0)`` in a given stratum of
  ``H`` (one exact linear query), so that a violation found for ``H`` becomes a witness in
  the box, or is shown to lie outside it (the Clarke Jacobian at a point in reduced coordinates:
  :func:`semialg.checks.clarke.clarke_at`);
* :func:`reduction_for`: the reduction when it applies (piecewise-linear programs with more
  than :data:`LOCAL_DIM` inputs), else None.

>>> from semialg.frontends.text import parse
>>> red = reduction_for(parse("relu(x0 + x1 + x2 + x3 + x4 + x5) + 2 * x5"), [0] * 6, "1/2")
>>> status, x = box_preimage(red, [(Poly.variable(1, 0) - 1, 1)])    # a point with s1 > 1 in the box
>>> red.dim, status, sum(x) > 1, max(abs(v) for v in x) < Fraction(1, 2)
(1, 'sat', True, True)
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from semialg import smt
from semialg.core.dag import Program
from semialg.core.poly import Poly
from semialg.frontends.domains import Box
from semialg.frontends.normal_form import NotPiecewiseLinear
from semialg.frontends.reduce import Reduction, reduce_near
from semialg.stratification.in_box import box_conditions

__all__ = ["LOCAL_DIM", "reduction_for", "box_preimage"]

LOCAL_DIM = 4
"""Programs with more inputs than this are answered in reduced coordinates when they are
piecewise linear (below it the direct computation is as fast and reports in ``x``)."""


def reduction_for(program: Program, center: Sequence, radius=0) -> Reduction | None:
    """The :class:`~semialg.frontends.reduce.Reduction` near ``center`` when ``program`` has more
    than :data:`LOCAL_DIM` inputs and a piecewise-linear normal form; None otherwise. The last
    few are remembered (one ``assert_valid`` asks for the same one three times)."""
    if program.n_inputs <= LOCAL_DIM:
        return None
    key = (program, tuple(Fraction(v) for v in center), Fraction(radius))
    for k, red in _RECENT:
        if k == key:
            return red
    try:
        red = reduce_near(program, center, radius)
    except NotPiecewiseLinear:
        red = None
    _RECENT.insert(0, (key, red))
    del _RECENT[_REMEMBERED:]
    return red


_RECENT: list = []
_REMEMBERED = 4


def box_preimage(red: Reduction, conditions, timeout_ms: int | None = 10_000):
    """A rational ``x`` with ``|x_i - c_i| < r`` and ``B (x - c)`` satisfying ``conditions`` (sign
    conditions over ``s``), as ``(status, x)``: ``smt.SAT`` with the point, ``smt.UNSAT`` (no such
    point: what was found about ``H`` there lies outside the box) or ``smt.UNKNOWN``."""
    n = len(red.center)
    box = Box(red.center, red.radius)
    h = Poly.variables(n)
    images = []
    for row in red.basis:
        image = Poly.constant(n, 0)
        for i, b in enumerate(row):
            if b:
                image = image + (h[i] - red.center[i]) * b
        images.append(image)
    composed = tuple((p.compose(images), s) for p, s in conditions)
    answer = smt.check(composed + box_conditions(box, n), n, timeout_ms)
    return answer.status, (tuple(answer.point) if answer.status == smt.SAT else None)
