"""Fixed points, forward-backward splitting and unrolled differentiation, exactly (theory §7; the seeds).

A fixed point ``x̄(θ) = H(θ, x̄(θ))`` is the zero of ``F(θ, x) = H(θ, x) - x``; with
``[A B]`` a conservative Jacobian of ``H`` at the fixed point, the implicit
function theorem gives ``D = (I - B)^{-1} A`` (``-(B - I)^{-1}A``). Unrolling the
iteration ``x_{k+1} = H(θ, x_k)`` and propagating Jacobians forward,
``D_{k+1} = B D_k + A``, converges to the same limit when ``B`` is a contraction
(spectral radius < 1): ``D_k - D = B^k (D_0 - D)``.

Forward-backward: for ``0 ∈ 𝒜_θ(x) + ℬ_θ(x)``, ``H(θ, x) = T(θ, S(θ, x))`` with the
resolvent ``T(θ, u) = (I + γ𝒜_θ)^{-1}(u)`` and the forward step
``S(θ, x) = x - γℬ_θ(x)``. The product of Clarke Jacobians
``J_H = {[A - γBC, B(I - γD)] : [A B] ∈ Jac^c T, [C D] ∈ Jac^c ℬ}`` is a
conservative Jacobian of ``H`` (ISMP 2024 slides).

>>> u = unroll([[1]], [["1/2"]], steps=4)                 # D_{k+1} = D_k / 2 + 1 -> 2
>>> [str(d[0][0]) for d in u.iterates], str(u.limit[0][0])
(['0', '1', '3/2', '7/4', '15/8'], '2')
>>> [str(e) for e in u.errors]
['2', '1', '1/2', '1/4', '1/8']
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.checks.implicit.jacsets import F0, Matrix, as_matrix, identity, inverse, matadd, matmul


def fixed_point_jacobian(a: Sequence[Sequence], b: Sequence[Sequence]) -> Matrix | None:
    """``(I - B)^{-1} A`` exactly, or None when ``I - B`` is singular.

    >>> fixed_point_jacobian([[1]], [["1/2"]])
    ((Fraction(2, 1),),)
    """
    a, b = as_matrix(a), as_matrix(b)
    inv = inverse(matadd(identity(len(b)), b, Fraction(-1)))
    return None if inv is None else matmul(inv, a)


def forward_backward(jt: Sequence[Sequence[Sequence]], jb: Sequence[Sequence[Sequence]], gamma, k: int) -> list[Matrix]:
    """Vertices of ``J_H`` for ``H = T(θ, x - γℬ_θ(x))``: ``[A - γBC, B(I - γD)]`` for every
    ``[A B]`` in ``jt`` and ``[C D]`` in ``jb`` (``k`` parameters θ; matrices ``p x (k + p)``).

    >>> # T(θ, u) = u (no constraint), ℬ(x) = x (gradient of x²/2), γ = 1/2: H(θ, x) = x/2
    >>> [[str(v) for v in row] for mx in forward_backward([[[0, 1]]], [[[0, 1]]], "1/2", 1) for row in mx]
    [['0', '1/2']]
    """
    gamma = Fraction(gamma)
    out: dict[Matrix, None] = {}
    for t in jt:
        t = as_matrix(t)
        a_t = tuple(row[:k] for row in t)
        b_t = tuple(row[k:] for row in t)
        p = len(b_t)
        for s in jb:
            s = as_matrix(s)
            c = tuple(row[:k] for row in s)
            d = tuple(row[k:] for row in s)
            left = matadd(a_t, matmul(b_t, c), -gamma)
            right = matmul(b_t, matadd(identity(p), d, -gamma))
            out.setdefault(tuple(l + r for l, r in zip(left, right)))
    return list(out)


@dataclass(frozen=True)
class Unrolling:
    """Exact iterates ``D_0 .. D_steps`` of ``D_{k+1} = B D_k + A``, their limit ``(I - B)^{-1}A``
    and the errors ``max |D_k - limit|`` (entrywise, exact)."""

    iterates: tuple[Matrix, ...]
    limit: Matrix | None
    errors: tuple[Fraction, ...]

    @property
    def converges(self) -> bool | None:
        """Do the errors decrease to the last one (a numeric illustration, not a proof of convergence)?"""
        if self.limit is None:
            return None
        return all(e2 <= e1 for e1, e2 in zip(self.errors, self.errors[1:])) and self.errors[-1] < self.errors[0]


def unroll(a: Sequence[Sequence], b: Sequence[Sequence], d0: Sequence[Sequence] | None = None,
           steps: int = 30) -> Unrolling:
    """``D_{k+1} = B D_k + A`` from ``D_0`` (default 0), exactly, ``steps`` times."""
    a, b = as_matrix(a), as_matrix(b)
    d = as_matrix(d0) if d0 is not None else tuple(tuple(F0 for _ in row) for row in a)
    iterates = [d]
    for _ in range(steps):
        d = matadd(matmul(b, d), a)
        iterates.append(d)
    limit = fixed_point_jacobian(a, b)
    errors = () if limit is None else tuple(max(abs(x - y) for rx, ry in zip(it, limit) for x, y in zip(rx, ry))
                                            for it in iterates)
    return Unrolling(tuple(iterates), limit, errors)


def implicit_form(jh: Sequence[Sequence], k: int) -> Matrix:
    """``[A, B - I]``: the Jacobian of ``F = H - x`` from a Jacobian ``[A B]`` of ``H``.

    >>> implicit_form([[1, "1/2"]], 1)
    ((Fraction(1, 1), Fraction(-1, 2)),)
    """
    jh = as_matrix(jh)
    return tuple(row[:k] + tuple(v - (1 if i == j else 0) for j, v in enumerate(row[k:])) for i, row in enumerate(jh))
