"""Every face of an affine hyperplane arrangement, exactly, without a solver.

A *face* of the arrangement of hyperplanes ``h_1..h_m`` in R^n is a nonempty set
``{x : sign(h_i(x)) = sigma_i for all i}`` (its *sign vector* ``sigma``); faces are
relatively open convex polyhedra and partition R^n. This module lists them all,
each with an exact rational sample point, its dimension and the *cover* relation
(``G`` a facet of ``F``), from which the closure relation follows:
``G ⊂ closure(F)`` iff ``sigma_G <= sigma_F`` componentwise (``0 <= ±1``) iff
there is a chain of covers from ``G`` up to ``F`` (the face poset of an
arrangement is graded; Ziegler, *Lectures on Polytopes*, §2.2 and §7).

The enumeration works up from the minimal flats (theory §2, linear strata):

1. *Minimal flats.* If the normals have rank ``r``, every flat of the
   arrangement contains a minimal flat of dimension ``n - r`` (the restriction
   to a flat ``L`` has rank ``r - codim L``), which no hyperplane crosses: it is
   a face. They are the solutions of the independent ``r``-subsets.
2. *Stepping.* Every face ``F`` of a larger dimension ``j`` lies in the flat
   ``L = aff F`` and has a facet ``G`` there (a region of the restricted
   arrangement that is not all of ``L`` has a boundary). From ``G``'s sample
   ``p``, ``p ± ε d`` with ``d ∈ dir(L) \\ dir(G)`` lands in the two ``j``-faces of
   ``L`` on either side of ``G``; the step ``ε = 1/K`` is chosen exactly so that
   no hyperplane nonzero at ``p`` changes sign, so the new sign vector is known
   without a search. New faces are deduplicated by sign vector.

All arithmetic is on Python integers: a hyperplane is ``(a_1..a_n, c)`` meaning
``a·x + c``; a point is integer numerators over one positive denominator.

>>> faces = enumerate_faces([(1, 0, 0), (0, 1, 0)], 2)   # the two axes
>>> sorted(f.dim for f in faces.faces)
[0, 1, 1, 1, 1, 2, 2, 2, 2]
>>> origin = faces.faces[0]; origin.point()
(Fraction(0, 1), Fraction(0, 1))
>>> sorted(faces.faces[i].dim for i in faces.closure_above()[0])
[1, 1, 1, 1, 2, 2, 2, 2]
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Sequence

from semialg.core.poly import nullspace, rank

Plane = tuple  # (a_1, ..., a_n, c) integers: the affine function a·x + c


@dataclass(slots=True)
class Face:
    """One face: sign vector (``bytes``, ``sign + 1`` per hyperplane), sample
    ``num / den``, the mask of hyperplanes vanishing on it, its dimension. (The values of
    the hyperplanes at the sample are recomputed when the face is stepped from, not kept:
    with k hyperplanes they would be k integers per face, most of a large layer's memory.)"""

    sigma: bytes
    num: tuple
    den: int
    zmask: int
    dim: int

    def point(self) -> tuple[Fraction, ...]:
        """The exact sample point."""
        return tuple(Fraction(v, self.den) for v in self.num)


@dataclass
class Faces:
    """The faces of an arrangement (minimal flats first, then by dimension),
    the index of each sign vector and the cover pairs ``(facet, face)``."""

    n: int
    planes: tuple
    faces: list
    index: dict
    covers: list

    def closure_above(self) -> list[set[int]]:
        """For each face, the faces whose closure contains it (transitive closure of covers)."""
        up: list[set[int]] = [set() for _ in self.faces]
        direct: list[list[int]] = [[] for _ in self.faces]
        for g, f in self.covers:
            direct[g].append(f)
        for g in sorted(range(len(self.faces)), key=lambda i: -self.faces[i].dim):
            acc = up[g]
            for f in direct[g]:
                acc.add(f)
                acc |= up[f]
        return up

    def locate(self, point: Sequence[Fraction]) -> int | None:
        """Index of the face containing a rational point (sign-vector lookup)."""
        return self.index.get(sign_vector(self.planes, point))


def sign_vector(planes: Sequence[Plane], point: Sequence[Fraction]) -> bytes:
    """``bytes(sign(h(point)) + 1 for h in planes)``, exactly."""
    den = 1
    for v in point:
        den = den * Fraction(v).denominator // gcd(den, Fraction(v).denominator)
    num = [int(Fraction(v) * den) for v in point]
    out = []
    for h in planes:
        s = sum(a * x for a, x in zip(h, num)) + h[-1] * den
        out.append((s > 0) - (s < 0) + 1)
    return bytes(out)


def _primitive(vec: Sequence[int]) -> tuple:
    g = 0
    for v in vec:
        g = gcd(g, v)
    return tuple(v // g for v in vec) if g > 1 else tuple(vec)


def _solve(rows: Sequence[Sequence[int]], rhs: Sequence[int], n: int):
    """One rational solution of ``rows @ x = rhs`` as ``(num, den)``; None if the
    rows are dependent. Closed forms for 1 and 2 equations in the plane, Fractions otherwise."""
    k = len(rows)
    if n == 2 and k == 2:
        (a, b), (c, d) = rows
        det = a * d - b * c
        if not det:
            return None
        x, y = rhs[0] * d - b * rhs[1], a * rhs[1] - c * rhs[0]
        if det < 0:
            det, x, y = -det, -x, -y
        g = gcd(gcd(x, y), det)
        return (x // g, y // g), det // g
    m = [[Fraction(v) for v in r] + [Fraction(b)] for r, b in zip(rows, rhs)]
    pivots = []
    r = 0
    for col in range(n):
        piv = next((i for i in range(r, k) if m[i][col]), None)
        if piv is None:
            continue
        m[r], m[piv] = m[piv], m[r]
        pv = m[r][col]
        m[r] = [v / pv for v in m[r]]
        for i in range(k):
            if i != r and m[i][col]:
                f = m[i][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(col)
        r += 1
        if r == k:
            break
    if r < k:
        return None
    x = [Fraction(0)] * n
    for row, p in zip(m, pivots):
        x[p] = row[-1]
    den = 1
    for v in x:
        den = den * v.denominator // gcd(den, v.denominator)
    return tuple(int(v * den) for v in x), den


class _Enumerator:
    """State of one enumeration (flats, cached directions, the faces found)."""

    def __init__(self, planes: Sequence[Plane], n: int):
        self.planes = [tuple(int(v) for v in h) for h in planes]
        self.normals = [h[:n] for h in self.planes]
        self.consts = [h[n] for h in self.planes]
        self.n = n
        self.m = len(self.planes)
        self.faces: list[Face] = []
        self.index: dict[bytes, int] = {}
        self.covers: list[tuple[int, int]] = []
        self._upper: dict[int, list] = {}
        self._delta: dict[tuple, tuple] = {}

    # -- faces ----------------------------------------------------------------
    def _values(self, num: tuple, den: int) -> tuple:
        n = self.n
        if n == 2:
            x, y = num
            return tuple(a * x + b * y + c * den for a, b, c in self.planes)
        return tuple(sum(a * v for a, v in zip(h, num)) + h[n] * den for h in self.planes)

    def _add(self, num, den, values, dim) -> tuple[int, bool]:
        sigma = bytes([(v > 0) - (v < 0) + 1 for v in values])
        found = self.index.get(sigma)
        if found is not None:
            return found, False
        zmask = 0
        for i, v in enumerate(values):
            if not v:
                zmask |= 1 << i
        self.index[sigma] = len(self.faces)
        self.faces.append(Face(sigma, num, den, zmask, dim))
        return len(self.faces) - 1, True

    # -- step 1: minimal flats --------------------------------------------------
    def minimal_flats(self):
        n, m = self.n, self.m
        r = rank(self.normals) if m else 0
        if r == 0:
            self._add((0,) * n, 1, self._values((0,) * n, 1), n)
            return r
        done: set[tuple] = set()
        for subset in itertools.combinations(range(m), r):
            if subset in done:
                continue
            sol = _solve([self.normals[i] for i in subset], [-self.consts[i] for i in subset], n)
            if sol is None:
                continue
            num, den = sol
            values = self._values(num, den)
            idx, new = self._add(num, den, values, n - r)
            if new:
                zeros = [i for i, v in enumerate(values) if not v]
                if len(zeros) > r and len(zeros) <= 24:
                    done.update(itertools.combinations(zeros, r))
        return r

    # -- step 2: flats one dimension up and step directions --------------------
    def upper_flats(self, zmask: int, dim: int) -> list:
        """``(L mask, direction key)`` for each flat of dimension ``dim + 1`` containing the flat ``zmask``."""
        cached = self._upper.get(zmask)
        if cached is not None:
            return cached
        zeros = [i for i in range(self.m) if zmask >> i & 1]
        k = self.n - dim                       # rank of the zero set
        if len(zeros) == k:                    # general position: drop one hyperplane
            masks = [(zmask & ~(1 << i), i) for i in zeros]
        else:
            masks, seen = [], set()
            for subset in itertools.combinations(zeros, k - 1):
                rows = [self.normals[i] for i in subset]
                if k > 1 and rank(rows) < k - 1:
                    continue
                closure = [i for i in zeros if rank(rows + [self.normals[i]]) == k - 1] if k > 1 else []
                lmask = sum(1 << i for i in closure)
                if lmask not in seen:
                    seen.add(lmask)
                    out_plane = next(i for i in zeros if not lmask >> i & 1)
                    masks.append((lmask, out_plane))
        result = []
        for lmask, h0 in masks:
            d, delta = self._direction(lmask, h0)
            # the hyperplanes through the face but not through L become nonzero after the
            # step, with the sign of s * (a_i · d): the new sign vector is known in advance
            flips = [(i, (delta[i] > 0) - (delta[i] < 0)) for i in zeros if not lmask >> i & 1]
            result.append((lmask, d, delta, flips))
        self._upper[zmask] = result
        return result

    def _direction(self, lmask: int, h0: int) -> tuple:
        """An integer direction ``d`` in dir(L) on which ``h0`` is not constant, with
        the values ``a_i·d`` for every hyperplane (a basis of dir(L) is cached per flat)."""
        basis = self._delta.get(lmask)
        if basis is None:
            n = self.n
            rows = [self.normals[i] for i in range(self.m) if lmask >> i & 1]
            null = nullspace(rows, n) if rows else [tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n)]
            basis = []
            for b in null:
                den = 1
                for v in b:
                    den = den * v.denominator // gcd(den, v.denominator)
                d = _primitive([int(v * den) for v in b])
                basis.append((d, tuple(sum(x * y for x, y in zip(a, d)) for a in self.normals)))
            self._delta[lmask] = basis
        for d, delta in basis:
            if delta[h0]:
                return d, delta
        raise ArithmeticError("no transverse direction (the flat lattice is inconsistent)")

    def step_up(self, g: int):
        """Step from face ``g`` into every flat one dimension up, both sides.

        The sign vector of each side is predicted (the flipped hyperplanes take the sign
        of ``s * a_i·d``, the others keep theirs, as the step below guarantees); the point
        is computed only when that sign vector is new.
        """
        face = self.faces[g]
        sigma = face.sigma
        index, covers = self.index, self.covers
        values = None
        for lmask, d, delta, flips in self.upper_flats(face.zmask, face.dim):
            K = None
            for s in (1, -1):
                b = bytearray(sigma)
                for i, sg in flips:
                    b[i] = 1 + s * sg
                key = bytes(b)
                idx = index.get(key)
                if idx is None:
                    if K is None:
                        if values is None:
                            values = self._values(face.num, face.den)
                        K = self._step_size(face.den, values, delta)
                    idx = self._new_face(face, d, s, K, key, lmask)
                covers.append((g, idx))

    @staticmethod
    def _step_size(den: int, values: tuple, delta: tuple) -> int:
        """The least integer K with ``|a_i·d| · den < K · |v_i|`` for every hyperplane nonzero
        at the sample (``v_i = den · h_i(p)``): then no such hyperplane changes sign between
        ``p`` and ``p ± d/K``, since ``den · h_i(p ± d/K) = v_i ± den · a_i·d / K``."""
        big = 0
        for v, dl in zip(values, delta):
            if v and dl:
                q = (abs(dl) * den) // abs(v)
                if q > big:
                    big = q
        return big + 1

    def _new_face(self, face: Face, d, s: int, K: int, sigma: bytes, lmask: int) -> int:
        num, den = face.num, face.den
        dK = den * K
        nn = [a * K + s * b * den for a, b in zip(num, d)]
        gg = dK
        for x in nn:
            gg = gcd(gg, x)
        if gg > 1:
            nn = [x // gg for x in nn]
            dK //= gg
        self.index[sigma] = len(self.faces)
        self.faces.append(Face(sigma, tuple(nn), dK, lmask, face.dim + 1))
        return len(self.faces) - 1


class TooManyFaces(Exception):
    """More faces than the caller allowed (``max_faces``)."""


def enumerate_faces(planes: Sequence[Plane], n: int, max_faces: int | None = None, progress=None,
                    deadline=None) -> Faces:
    """All faces of the arrangement of ``planes`` (integer tuples ``(a_1..a_n, c)``,
    pairwise distinct hyperplanes, no constant ones) in R^n. Raises
    :class:`TooManyFaces` past ``max_faces``; ``progress(faces, seconds)`` is called
    about once a second.

    >>> f = enumerate_faces([(1, 0), (1, -1)], 1)        # x = 0 and x = 1 on the line
    >>> [(x.dim, x.point()) for x in f.faces]
    [(0, (Fraction(0, 1),)), (0, (Fraction(1, 1),)), (1, (Fraction(1, 2),)), (1, (Fraction(-1, 2),)), (1, (Fraction(3, 2),))]
    """
    for h in planes:
        if not any(h[:n]):
            raise ValueError("a constant hyperplane is not a hyperplane")
    e = _Enumerator(planes, n)
    r = e.minimal_flats()
    start = 0
    last = t0 = time.perf_counter()
    for _ in range(r):
        stop = len(e.faces)
        for g in range(start, stop):
            e.step_up(g)
            if g % 256 == 0:
                if max_faces is not None and len(e.faces) > max_faces:
                    raise TooManyFaces(f"more than {max_faces} faces")
                if deadline is not None:   # a Deadline (semialg.core.budget): TimeLimitReached when out
                    deadline.check("stratify", len(e.faces), unit="faces")
                if progress is not None and time.perf_counter() - last > 1.0:
                    last = time.perf_counter()
                    progress(len(e.faces), last - t0)
        start = stop
    if max_faces is not None and len(e.faces) > max_faces:
        raise TooManyFaces(f"more than {max_faces} faces")
    return Faces(n, tuple(e.planes), e.faces, e.index, e.covers)
