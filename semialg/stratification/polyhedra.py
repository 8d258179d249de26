"""Exact polyhedral cells by the double description method (integers only).

A linear cell of the branch tree is a relatively open convex polyhedron ``C``.
Its closure is kept as a homogenized cone ``K = cone(gens) + span(lin)`` in
``R^{n+1}`` (coordinates ``(x0, x1..xn)``; a generator with ``x0 > 0`` is a vertex
``x/x0``, with ``x0 = 0`` a ray; ``lin`` spans the lineality space), together with,
for each generator, the bitmask of the constraints tight on it. With it every
question the branch tree asks about a new affine kink ``h`` is answered exactly
by signs of ``h`` at the generators, with no solver:

* ``C ∩ {h > 0} ≠ ∅`` iff some generator has ``h > 0`` (or some lineality vector
  has ``h ≠ 0``): ``C`` is dense in its closure, and an open half-space that meets
  the closure meets ``C``;
* ``C ∩ {h = 0} ≠ ∅`` iff ``h`` takes both signs on the generators or vanishes
  on all of them: an affine function that is ``<= 0`` on a relatively open convex
  set and ``0`` somewhere on it is ``0`` on all of it;
* the closures of the three children are ``cl C ∩ {h <= 0}``, ``cl C ∩ {h = 0}``,
  ``cl C ∩ {h >= 0}`` (Rockafellar, *Convex Analysis*, Thm 6.5), whose generators
  one double-description step computes: the old generators on the right side and
  ``h(p) q - h(q) p`` for every *adjacent* pair ``p, q`` with ``h(p) > 0 > h(q)``,
  adjacency by the combinatorial test (no third generator is tight on every
  constraint tight on both; Fukuda & Prodon, *Double description method
  revisited*, Prop. 7);
* a point of ``C``: the sum of all generators (a strictly positive combination
  lies in the relative interior).

>>> root = Cone.whole_space(2)
>>> neg, zero, pos = root.split((0, 1, 0))          # the kink x
>>> zero.dim, zero.sample()
(1, ((0, 0), 1))
>>> below, on, above = pos.split((-1, 0, 1))        # then y - 1 on x > 0
>>> on.dim, on.sample()
(1, ((1, 1), 1))
>>> pos.split((1, 1, 0))                            # x + 1 > 0 on all of x > 0
(None, None, Cone(dim=2, 2 generators, 1 lineality))
"""
from __future__ import annotations

from math import gcd
from operator import mul
from typing import Sequence


def _primitive(vec: list) -> tuple:
    g = 0
    for v in vec:
        g = gcd(g, v)
        if g == 1:
            return tuple(vec)
    return tuple(v // g for v in vec) if g > 1 else tuple(vec)


def _dot(h: Sequence[int], g: Sequence[int]) -> int:
    return sum(map(mul, h, g))


class Cone:
    """The homogenized closure of a linear cell (see the module docstring).

    ``dim`` is the dimension of the cell (tracked exactly: a kink that crosses
    the cell lowers it by one on its zero branch).
    """

    __slots__ = ("gens", "masks", "lin", "nbits", "dim")

    def __init__(self, gens, masks, lin, nbits, dim):
        self.gens = gens
        self.masks = masks
        self.lin = lin
        self.nbits = nbits
        self.dim = dim

    @classmethod
    def whole_space(cls, n: int) -> "Cone":
        """R^n: the origin as one vertex, every coordinate direction as lineality."""
        origin = (1,) + (0,) * n
        lin = [tuple(int(i == j) for j in range(n + 1)) for i in range(1, n + 1)]
        return cls([origin], [0], lin, 1, n)

    def __repr__(self):
        return f"Cone(dim={self.dim}, {len(self.gens)} generators, {len(self.lin)} lineality)"

    def sample(self) -> tuple[tuple[int, ...], int]:
        """An exact point of the (relatively open) cell: ``(numerators, denominator)``."""
        total = [0] * len(self.gens[0])
        for g in self.gens:
            for i, v in enumerate(g):
                total[i] += v
        total = _primitive(total)
        return tuple(total[1:]), total[0]

    def split(self, h: Sequence[int]):
        """``(neg, zero, pos)``: the children cones for ``h < 0``, ``h = 0``, ``h > 0``
        (None where the branch is empty). ``h = (c, a_1..a_n)`` means ``c + a·x``."""
        bit = 1 << self.nbits
        nb = self.nbits + 1
        lin = self.lin
        for k, l in enumerate(lin):
            hl = _dot(h, l)
            if hl:
                return self._split_lineality(h, k, hl, bit, nb)
        gens, masks = self.gens, self.masks
        vals = [sum(map(mul, h, g)) for g in gens]
        P = [i for i, v in enumerate(vals) if v > 0]
        N = [i for i, v in enumerate(vals) if v < 0]
        if not P or not N:
            if len(P) == len(gens) or len(N) == len(gens):
                # h is nonzero at every generator: the cell lies strictly on one side and
                # the constraint is tight nowhere, so it needs no bit (the cone is unchanged)
                return (None, None, self) if P else (self, None, None)
            tight = [m | bit if not v else m for m, v in zip(masks, vals)]
            same = Cone(gens, tight, lin, nb, self.dim)
            if not P and not N:
                return None, same, None
            return (same, None, None) if not P else (None, None, same)
        Z = [i for i, v in enumerate(vals) if not v]
        new_gens, new_masks = [], []
        need = len(gens[0]) - len(lin) - 2   # a pair of adjacent rays shares >= D - 2 tight constraints
        for p in P:
            mp, vp, gp = masks[p], vals[p], gens[p]
            for q in N:
                common = mp & masks[q]
                if need > 0 and bin(common).count("1") < need:
                    continue
                adjacent = True
                for r, mr in enumerate(masks):
                    if r != p and r != q and mr & common == common:
                        adjacent = False
                        break
                if not adjacent:
                    continue
                vq, gq = vals[q], gens[q]
                new_gens.append(_primitive([vp * b - vq * a for a, b in zip(gp, gq)]))
                new_masks.append(common | bit)
        zg = [gens[i] for i in Z] + new_gens
        zm = [masks[i] | bit for i in Z] + new_masks
        zero = Cone(zg, zm, lin, nb, self.dim - 1)
        pos = Cone([gens[i] for i in P] + zg, [masks[i] for i in P] + zm, lin, nb, self.dim)
        neg = Cone([gens[i] for i in N] + zg, [masks[i] for i in N] + zm, lin, nb, self.dim)
        return neg, zero, pos

    def _split_lineality(self, h, k, hl, bit, nb):
        """``h`` is not constant along the lineality vector ``lin[k]``: project it out."""
        l = self.lin[k]
        if hl < 0:
            l, hl = tuple(-v for v in l), -hl
        proj = lambda g: _primitive([hl * a - _dot(h, g) * b for a, b in zip(g, l)])
        gens = [proj(g) for g in self.gens]
        masks = [m | bit for m in self.masks]
        lin = [proj(v) for i, v in enumerate(self.lin) if i != k]
        full = bit - 1                      # every earlier constraint vanishes on lineality
        zero = Cone(gens, masks, lin, nb, self.dim - 1)
        pos = Cone(gens + [l], masks + [full], lin, nb, self.dim)
        neg = Cone(gens + [tuple(-v for v in l)], masks + [full], lin, nb, self.dim)
        return neg, zero, pos

    def within(self, conditions: Sequence[tuple[Sequence[int], int]]) -> bool:
        """Is the whole cell inside the closure of ``{sign(h) = s for (h, s)}``?
        (Every generator satisfies the relaxed conditions, lineality keeps every ``h`` fixed.)"""
        for h, s in conditions:
            for l in self.lin:
                if _dot(h, l):
                    return False
            for g in self.gens:
                v = _dot(h, g)
                if (v != 0) if s == 0 else (v * s < 0):
                    return False
        return True
