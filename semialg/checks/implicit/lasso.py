"""The Lasso solution path, differentiated through its fixed-point equation (theory §7; ISMP 2024 slides).

The Lasso is one instance of the argmin front end: :func:`lasso_program` is
``argmin(½||Ax - b||², x=x1..xp, theta=lam, penalty="l1:lam")`` and
:func:`semialg.checks.implicit.argmin.argmin_at` differentiates it like any other problem (the
tests check that ``λ`` times its ``J_x*``, a derivative in ``λ``, is the set of vertices here,
derivatives in ``θ = log λ``). What this module adds is what
only the Lasso has: the exact homotopy of the whole path, the equicorrelation set and its rank
condition, and the closed form of Prop. 5 as a second, independent computation of ``D``.

``x̂(θ) ∈ argmin 1/2 ||Ax - b||^2 + e^θ ||x||_1`` is a zero of
``F(θ, x) = x - prox_{e^θ ||.||_1}(x - A^T(Ax - b))`` (soft-thresholding is piecewise
linear). With ``λ = e^θ`` rational and ``A, b`` rational everything is exact:

- the numeric solver (:func:`semialg.numeric.lasso_solve`, float64) proposes a
  support and signs; the solution is then *certified* exactly by the Lasso
  optimality conditions (``x_S = (A_S^T A_S)^{-1}(A_S^T b - λ s_S)``, signs, and
  ``|A_j^T(b - Ax)| <= λ``), or recomputed by the exact homotopy :func:`lasso_path`;
- the equicorrelation set ``E = {j : |A_j^T(b - Ax̂)| = λ}`` and the support ``S``;
- the rank of ``A_E^T A_E`` and the exact invertibility of ``∂_x F = I - diag(q)(I - A^T A)``
  for every ``q`` in ``M(θ)`` (``q_i = 1`` on ``S``, ``[0, 1]`` on ``E \\ S``, ``0`` off ``E``);
- the conservative Jacobian (Prop. 5 of Bolte, Le, Pauwels, Silveti-Falls 2021)
  ``D(q) = -e^θ (I - diag(q)(I - A^T A))^{-1} diag(q) sign(x̂ - A^T(Ax̂ - b))``, its
  vertices (``q`` at the corners of ``M``) and an exact membership test.

>>> A = [[1, 0], [0, 2]]; b = [3, 2]
>>> pt = lasso_at(A, b, lam=1)
>>> pt.x, pt.support, pt.equicorrelation, pt.full_rank
((Fraction(2, 1), Fraction(3, 4)), (0, 1), (0, 1), True)
>>> pt.vertices()                                        # a smooth point: D is a singleton
[((), (Fraction(-1, 1), Fraction(-1, 4)))]
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.checks.implicit.fixedpoint import fixed_point_jacobian
from semialg.checks.implicit.jacsets import (
    F0,
    F1,
    Matrix,
    MatrixSet,
    Singularity,
    find_singular,
    identity,
    inverse,
    matmul,
)
from semialg.core.errors import InputError

MAX_VERTICES = 1024


def _exact(v, what: str) -> Fraction:
    try:
        return Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    except (TypeError, ValueError, ZeroDivisionError):
        raise InputError(f"{what}: {v!r} is not an exact number (use ints, Fractions or strings like '1/2')") from None


def _data(A, b) -> tuple[Matrix, tuple[Fraction, ...]]:
    mat = tuple(tuple(_exact(v, "A") for v in row) for row in A)
    vec = tuple(_exact(v, "b") for v in b)
    if not mat or any(len(r) != len(mat[0]) for r in mat):
        raise InputError("A must be a nonempty rectangular matrix (a list of rows)")
    if len(vec) != len(mat):
        raise InputError(f"b has {len(vec)} entries but A has {len(mat)} rows")
    return mat, vec


def _gram(A: Matrix) -> Matrix:
    return matmul(tuple(zip(*A)), A)


def _atb(A: Matrix, b) -> tuple[Fraction, ...]:
    return tuple(sum((A[i][j] * b[i] for i in range(len(A))), F0) for j in range(len(A[0])))


def _correlation(A: Matrix, b, x) -> tuple[Fraction, ...]:
    r = tuple(bi - sum((a * xi for a, xi in zip(row, x)), F0) for row, bi in zip(A, b))
    return _atb(A, r)


def _sign(v) -> int:
    return (v > 0) - (v < 0)


def certify(A: Matrix, b, lam: Fraction, support: Sequence[int], signs: Sequence[int]) -> tuple[Fraction, ...] | None:
    """The exact Lasso solution with this support and these signs, if the optimality conditions hold.

    >>> certify(((1, 0), (0, 1)), (3, 1), Fraction(1), [0], [1])
    (Fraction(2, 1), Fraction(0, 1))
    >>> certify(((1, 0), (0, 1)), (3, 2), Fraction(1), [0], [1]) is None     # |A_2^T r| = 2 > 1
    True
    """
    p = len(A[0])
    G = _gram(A)
    c0 = _atb(A, b)
    S = list(support)
    x = [F0] * p
    if S:
        inv = inverse(tuple(tuple(G[i][j] for j in S) for i in S))
        if inv is None:
            return None
        rhs = [c0[i] - lam * s for i, s in zip(S, signs)]
        for k, i in enumerate(S):
            x[i] = sum((inv[k][l] * rhs[l] for l in range(len(S))), F0)
            if _sign(x[i]) != signs[k]:
                return None
    c = _correlation(A, b, x)
    if any(abs(cj) > lam for cj in c):
        return None
    return tuple(x)


# --------------------------------------------------------------------------- exact homotopy (LARS-Lasso)
@dataclass(frozen=True)
class Knot:
    """A knot of the Lasso path at ``lam``: the solution, the active set and signs, and the
    exact slope ``dx/dλ`` on the segment just below the knot."""

    lam: Fraction
    x: tuple[Fraction, ...]
    active: tuple[int, ...]
    signs: tuple[int, ...]
    slope: tuple[Fraction, ...]


def lasso_path(A, b, lam_min=0, max_knots: int = 1000) -> list[Knot]:
    """The exact piecewise-linear Lasso path from ``λ_max = max|A^T b|`` down to ``lam_min``.

    Exact homotopy (LARS with the Lasso modification) in rational arithmetic; assumes
    the path is unique (``A_E^T A_E`` invertible along it), else ArithmeticError.

    >>> [(str(k.lam), [str(v) for v in k.x]) for k in lasso_path([[1, 0], [0, 2]], [3, 2])]
    [('4', ['0', '0']), ('3', ['0', '1/4']), ('0', ['3', '1'])]
    """
    A, b = _data(A, b) if not isinstance(A, tuple) else (A, tuple(b))
    lam_min = Fraction(lam_min)
    p = len(A[0])
    G = _gram(A)
    c = list(_atb(A, b))
    lam = max(abs(v) for v in c)
    x = [F0] * p
    active = [j for j in range(p) if abs(c[j]) == lam and lam > 0]
    signs = {j: _sign(c[j]) for j in active}
    knots: list[Knot] = []
    while len(knots) < max_knots:
        if not active or lam <= lam_min:
            knots.append(Knot(lam, tuple(x), tuple(active), tuple(signs[j] for j in active), (F0,) * p))
            if lam <= lam_min or lam == 0:
                return knots
        inv = inverse(tuple(tuple(G[i][j] for j in active) for i in active))
        if inv is None:
            raise ArithmeticError(f"A_E^T A_E is singular on the active set {active}: the Lasso path is not unique")
        d = [F0] * p
        for k, i in enumerate(active):
            d[i] = -sum((inv[k][l] * signs[j] for l, j in enumerate(active)), F0)
        if not knots or knots[-1].lam != lam:
            knots.append(Knot(lam, tuple(x), tuple(active), tuple(signs[j] for j in active), tuple(d)))
        e = [-sum((G[j][i] * d[i] for i in active), F0) for j in range(p)]   # dc_j/dλ
        events = []
        for i in active:
            if d[i] != 0 and x[i] / d[i] > 0:
                events.append(lam - x[i] / d[i])
        for j in range(p):
            if j in signs:
                continue
            for s in (1, -1):   # c_j + (λ' - λ) e_j = s λ'
                den = s - e[j]
                if den != 0:
                    cand = (c[j] - lam * e[j]) / den
                    if 0 <= cand < lam:
                        events.append(cand)
        nxt = max([v for v in events if v < lam] + [lam_min])
        nxt = max(nxt, lam_min)
        x = [xi + (nxt - lam) * di for xi, di in zip(x, d)]
        c = [cj + (nxt - lam) * ej for cj, ej in zip(c, e)]
        lam = nxt
        for i in list(active):
            if x[i] == 0 and d[i] != 0:
                active.remove(i)
                del signs[i]
        for j in range(p):
            if j not in signs and abs(c[j]) == lam and lam > 0:
                active.append(j)
                signs[j] = _sign(c[j])
        active.sort()
        if lam <= lam_min:
            knots.append(Knot(lam, tuple(x), tuple(active), tuple(signs[j] for j in active), (F0,) * p))
            return knots
    raise ArithmeticError(f"more than {max_knots} knots")


def path_solution(knots: Sequence[Knot], lam: Fraction) -> tuple[Fraction, ...]:
    """``x̂(λ)`` by exact linear interpolation on the path (``λ`` within its range)."""
    lam = Fraction(lam)
    if lam >= knots[0].lam:
        return tuple(F0 for _ in knots[0].x)
    for hi, lo in zip(knots, knots[1:]):
        if lo.lam <= lam <= hi.lam:
            return tuple(xh + (lam - hi.lam) * s for xh, s in zip(hi.x, hi.slope))
    raise InputError(f"λ = {lam} is below the end of the computed path ({knots[-1].lam})")


# --------------------------------------------------------------------------- the conservative Jacobian
@dataclass(frozen=True)
class LassoPoint:
    """The Lasso at ``λ = e^θ``: exact solution, sets, rank check and conservative Jacobian.

    ``signs[i]`` is ``sign(x̂ - A^T(Ax̂ - b))_i`` (= ``sign(A_i^T(b - Ax̂))`` on ``E``, 0 off it);
    ``invertibility``: exact answer for ``∂_x F`` over all ``q ∈ M(θ)``; ``certificate``
    says how ``x̂`` was obtained; ``numeric_x`` is the float solution that was certified.
    """

    A: Matrix
    b: tuple[Fraction, ...]
    lam: Fraction
    x: tuple[Fraction, ...]
    correlation: tuple[Fraction, ...]
    support: tuple[int, ...]
    equicorrelation: tuple[int, ...]
    signs: tuple[int, ...]
    gram_rank: int
    invertibility: Singularity
    certificate: str
    numeric_x: tuple[float, ...] | None = None

    @property
    def p(self) -> int:
        return len(self.x)

    @property
    def theta(self) -> float:
        """``log λ`` (a float: θ itself is transcendental unless λ = 1)."""
        return math.log(self.lam)

    @property
    def free(self) -> tuple[int, ...]:
        """``E \\ S``: the coordinates where ``q_i`` ranges over ``[0, 1]`` (the kinks)."""
        return tuple(i for i in self.equicorrelation if i not in self.support)

    @property
    def full_rank(self) -> bool:
        """``A_E^T A_E`` full rank (Prop. 5's condition); equivalent to the invertibility over ``M``."""
        return self.gram_rank == len(self.equicorrelation)

    def _q(self, q) -> list[Fraction]:
        full = [F0] * self.p
        for i in self.support:
            full[i] = F1
        if len(q) == len(self.free):
            for i, v in zip(self.free, q):
                full[i] = Fraction(v)
        elif len(q) == self.p:
            full = [Fraction(v) for v in q]
            ok = all((full[i] == 1) if i in self.support else (0 <= full[i] <= 1) if i in self.free else full[i] == 0
                     for i in range(self.p))
            if not ok:
                raise InputError("q must be 1 on the support, in [0, 1] on E \\ S and 0 outside E")
        else:
            raise InputError(f"q needs {len(self.free)} values (one per index of E \\ S = {list(self.free)}) or {self.p}")
        if any(not 0 <= v <= 1 for v in full):
            raise InputError("q must lie in [0, 1]")
        return full

    def jacobian_h(self, q, gamma=1) -> Matrix:
        """``[A_H B_H]`` for the forward-backward map ``H(θ, x) = ST(x - γA^T(Ax - b), γe^θ)``:
        ``[-γλ diag(q) s, diag(q)(I - γA^TA)]`` (``p x (1 + p)``)."""
        qv, gamma = self._q(q), Fraction(gamma)
        G = _gram(self.A)
        rows = []
        for i in range(self.p):
            a = -gamma * self.lam * qv[i] * self.signs[i]
            rows.append((a,) + tuple(qv[i] * ((1 if i == j else 0) - gamma * G[i][j]) for j in range(self.p)))
        return tuple(rows)

    def derivative(self, q, gamma=1) -> tuple[Fraction, ...]:
        """``D(q) = dx̂/dθ`` for one ``q ∈ M(θ)`` (values on ``E \\ S``, or all ``p``), exactly:
        ``(I - B_H)^{-1} A_H`` (with ``γ = 1`` the slide's formula)."""
        jh = self.jacobian_h(q, gamma)
        d = fixed_point_jacobian(tuple(r[:1] for r in jh), tuple(r[1:] for r in jh))
        if d is None:
            raise ArithmeticError("I - diag(q)(I - γA^TA) is singular for this q")
        return tuple(r[0] for r in d)

    def vertices(self, limit: int = MAX_VERTICES) -> list[tuple[tuple[int, ...], tuple[Fraction, ...]]]:
        """``(q on E \\ S, D(q))`` for ``q`` at the corners of ``M(θ)`` (the images of the vertices;
        ``q = ()`` at a smooth point, where ``D`` is a singleton)."""
        return [(q, self.derivative(q)) for q in itertools.islice(itertools.product((1, 0), repeat=len(self.free)), limit)]

    def contains(self, v) -> tuple[Fraction, ...] | None:
        """Exact membership of a vector in ``{D(q) : q ∈ M(θ)}``: the ``q`` on ``E \\ S``, or None.

        ``v = D(q)`` iff ``v_i = q_i ((I - A^TA) v + ... )_i``: with ``w = (I - A^TA)v - e^θ s``,
        ``v_i = q_i w_i`` for every ``i`` (one linear equation per coordinate, no solver).
        """
        v = [_exact(t, "v") for t in v]
        if len(v) != self.p:
            raise InputError(f"expected {self.p} numbers")
        G = _gram(self.A)
        w = [v[i] - sum((G[i][j] * v[j] for j in range(self.p)), F0) - self.lam * self.signs[i] for i in range(self.p)]
        qs = []
        for i in range(self.p):
            if i in self.support:
                if v[i] != w[i]:
                    return None
            elif i in self.free:
                if w[i] == 0:
                    if v[i] != 0:
                        return None
                    qs.append(F0)
                else:
                    t = v[i] / w[i]
                    if not 0 <= t <= 1:
                        return None
                    qs.append(t)
            elif v[i] != 0:
                return None
        return tuple(qs)

    def implicit_set(self) -> MatrixSet:
        """``conv J_F`` for ``F(θ, x) = x - ST(x - A^T(Ax - b), e^θ)`` row by row: ``[∂_θ F, ∂_x F]``."""
        G = _gram(self.A)
        rows = []
        for i in range(self.p):
            off = (F0,) + tuple(F1 if i == j else F0 for j in range(self.p))
            on = (self.lam * self.signs[i],) + tuple(G[i])
            rows.append([on] if i in self.support else [off, on] if i in self.free else [off])
        return MatrixSet.from_rows(rows)


def lasso_at(A, b, lam=None, theta: float | None = None, x=None, timeout: float = 60.0) -> LassoPoint:
    """Solve, certify and differentiate the Lasso at ``λ = e^θ`` (give ``lam`` exactly, or ``theta``).

    ``x``: a float solution from any solver (default: :func:`semialg.numeric.lasso_solve`);
    it is only used to guess the support and signs, which are certified exactly
    (falling back to the exact homotopy :func:`lasso_path`).
    """
    A, b = _data(A, b)
    if (lam is None) == (theta is None):
        raise InputError("give exactly one of lam (= e^θ, exact) and theta")
    lam = _exact(lam, "lam") if lam is not None else Fraction(repr(math.exp(theta)))
    if lam <= 0:
        raise InputError(f"λ = e^θ must be positive, got {lam}")
    p = len(A[0])
    if x is None:
        from semialg.numeric import lasso_solve
        x = lasso_solve([[float(v) for v in row] for row in A], [float(v) for v in b], float(lam))
    xf = tuple(float(v) for v in x)
    if len(xf) != p:
        raise InputError(f"x has {len(xf)} entries but A has {p} columns")
    exact, how = None, ""
    scale = max([1.0] + [abs(v) for v in xf])
    for tol in (1e-10, 1e-8, 1e-6, 1e-4, 1e-3):
        S = [i for i, v in enumerate(xf) if abs(v) > tol * scale]
        exact = certify(A, b, lam, S, [_sign(Fraction(xf[i])) for i in S])
        if exact is not None:
            how = f"the numeric solution's support and signs (threshold {tol:g}), certified by the exact optimality conditions"
            break
    if exact is None:
        exact = path_solution(lasso_path(A, b, lam), lam)
        how = "the exact homotopy (the numeric solution could not be certified)"
    c = _correlation(A, b, exact)
    E = tuple(j for j in range(p) if abs(c[j]) == lam)
    S = tuple(i for i in range(p) if exact[i] != 0)
    signs = tuple(_sign(c[i]) if i in E else 0 for i in range(p))
    G = _gram(A)
    from semialg.core.poly import rank
    gram_rank = rank([[G[i][j] for j in E] for i in E]) if E else 0
    pt = LassoPoint(A, b, lam, exact, c, S, E, signs, gram_rank, Singularity("unknown"), how, xf)
    bset = pt.implicit_set().columns(1, 1 + p)
    inv = find_singular(bset, int(timeout * 1000))
    return LassoPoint(A, b, lam, exact, c, S, E, signs, gram_rank, inv, how, xf)


def lasso_program(A, b):
    """``F(lam, x) = x - ST(x - A^T(Ax - b), lam)`` as a program in ``lam, x1..xp``, with
    ``ST(z, lam) = relu(z - lam) - relu(-z - lam)``: the generic :func:`semialg.checks.implicit.theorem.implicit`
    applies to it (``dx̂/dθ = λ dx̂/dλ``).

    >>> lasso_program([[1]], [2]).to_text()
    'x1 - (relu(-lam + 2) - relu(-lam - 2))'
    """
    # The Lasso is one instance of the argmin front end's prox form (theory §7): h = 1/2 ||Ax - b||^2,
    # g = lam ||x||_1, unit step.
    from semialg.frontends.argmin import argmin
    A, b = _data(A, b)
    names = [f"x{i + 1}" for i in range(len(A[0]))]
    residuals = [" + ".join(f"({a})*{x}" for a, x in zip(row, names)) + f" - ({bi})" for row, bi in zip(A, b)]
    h = "1/2*(" + " + ".join(f"({r})**2" for r in residuals) + ")"
    return argmin(h, x=names, theta=["lam"], penalty="l1:lam").program


def identity_check(pt: LassoPoint) -> bool:
    """``D(q)`` from the slide's closed form equals the fixed-point form for every corner ``q``.

    >>> identity_check(lasso_at([[1, 0], [0, 2]], [3, 2], lam=3))
    True
    """
    G = _gram(pt.A)
    for q, d in pt.vertices():
        qv = pt._q(q if pt.free else ())
        Q = tuple(tuple(qv[i] if i == j else F0 for j in range(pt.p)) for i in range(pt.p))
        M = tuple(tuple(identity(pt.p)[i][j] - qv[i] * (identity(pt.p)[i][j] - G[i][j]) for j in range(pt.p))
                  for i in range(pt.p))
        inv = inverse(M)
        s = tuple((pt.signs[i],) for i in range(pt.p))
        closed = tuple(-pt.lam * r[0] for r in matmul(matmul(inv, Q), s))
        if closed != d:
            return False
    return True
