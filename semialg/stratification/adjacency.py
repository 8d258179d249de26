"""Neighbours above each stratum of a branch tree: the C with S ⊂ closure(C) (theory §2).

A search of the branch tree for the leaves whose *relaxed* conditions (``<`` to
``<=``) hold at S's sample: necessary for any cell, and sufficient for a linear
one, whose closure is the relaxed set (a nonempty relatively open polyhedron).
Subtrees holding no stratum of larger dimension are skipped, and so are
*implied* edges (a node's only feasible branch holds on all of its parent's cell,
hence relaxed on its closure).

That one sample decides for all of S (the frontier condition) is checked exactly
for linear S on the generators of S's closure, edge by edge (S's own path needs
no check: its conditions are constant on S); a failure (possible only where a
kink's argument jumps) is reported in the reasons. Nonlinear candidates are
confirmed by a certificate or an exact quantified query
(:func:`semialg.stratification.nonlinear.in_closure`). A nonlinear 0-dimensional stratum is a
finite set of points: they are all enumerated, and when their neighbours differ
the stratum is split, one stratum per point, by linear separating conditions.

>>> from semialg.frontends.text import parse
>>> from semialg.stratification import stratify
>>> s = stratify(parse("relu(relu(x) - y)"), method="tree")
>>> origin = s.locate((0, 0)); len(s.above[origin.id])     # 4 rays and 4 sectors meet there
8
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from math import gcd
from operator import mul
from typing import Sequence

from semialg import smt
from semialg.core.poly import Poly
from semialg.stratification import nonlinear
from semialg.stratification.branch_tree import Options, Tree
from semialg.stratification.cells import exact_sign, linear_key, normalize, point_sympy
from semialg.stratification.frontier import Frontier, certified_pairs, graph_conditions


class Search:
    """The tree data the search needs, computed once per stratification."""

    def __init__(self, strata, leaves, tree: Tree, n: int, options: Options, keys: dict):
        self.strata, self.leaves, self.tree, self.n, self.options = strata, leaves, tree, n, options
        self.reasons: list[str] = []
        self.unknown_dim = any(s.dim is None for s in strata)
        big = n + 1
        self.maxdim = maxdim = [-1] * len(tree.conds)
        self.parent = parent = [0] * len(tree.conds)
        for node in range(len(tree.conds) - 1, -1, -1):
            sid = tree.stratum[node]
            m = (big if strata[sid].dim is None else strata[sid].dim) if sid is not None else -1
            for c in tree.children[node]:
                parent[c] = node
                m = max(m, maxdim[c])
            maxdim[node] = m
        for conds in tree.conds:
            for p, _ in conds:
                if id(p) not in keys:
                    keys[id(p)] = linear_key(p) if p.is_linear else None
        self.edges = [[] if implied else [(keys[id(p)], p, s, id(p)) for p, s in conds]
                      for conds, implied in zip(tree.conds, tree.implied)]
        self.linear = [leaves[s.id].cone is not None or s.linear for s in strata]

    def above(self, s, sample: tuple, cone) -> list[int]:
        """Ids of the strata of larger dimension whose closure contains ``sample`` (a point of ``s``)."""
        tree, strata, edges, maxdim = self.tree, self.strata, self.edges, self.maxdim
        sdim = -1 if s.dim is None else s.dim
        rational = all(isinstance(v, Fraction) for v in sample)
        cache: dict = {}
        if rational:
            den = 1
            for v in sample:
                den = den * v.denominator // gcd(den, v.denominator)
            hom = (den,) + tuple(int(v * den) for v in sample)
            point = sample
        else:  # one exact z3 evaluation for every kink of the tree
            hom, point = None, None
            objects = [p for conds in tree.conds for p, _ in conds]
            polys = list(dict.fromkeys(objects))   # equal polynomials may be distinct objects
            signs = smt.exact_signs(sample, polys, self.options.query_ms())
            if signs is not None:
                by_value = dict(zip(polys, signs))
                cache = {id(p): by_value[p] for p in objects}
            else:
                point = point_sympy(sample)
        on_path = set()
        node = self.leaves[s.id].tree_node if cone is not None else 0
        while node:
            on_path.add(node)
            node = self.parent[node]
        spread: dict = {}
        found: list[int] = []
        stack = [(0, False)]
        while stack:
            node, partial = stack.pop()
            sid = tree.stratum[node]
            if sid is not None:
                c = strata[sid]
                if sid != s.id and (c.dim is None or s.dim is None or c.dim > s.dim):
                    if self.linear[sid]:
                        found.append(sid)
                        if partial:
                            self.reasons.append(
                                f"stratum {s.id} lies only partly in the closure of stratum {sid} "
                                "(the frontier condition fails: a kink's argument is discontinuous there)")
                    elif self._closure_holds(s, sample, c):
                        found.append(sid)
                continue
            for child in tree.children[node]:
                if maxdim[child] <= sdim:
                    continue
                ok = True
                for key, p, t, pid in edges[child]:
                    v = cache.get(pid)
                    if v is None:
                        if key is not None and hom is not None:
                            x = sum(map(mul, key, hom))
                            v = (x > 0) - (x < 0)
                        else:
                            v = exact_sign(p.eval(point))
                        cache[pid] = v
                    if (v != 0) if t == 0 else (v * t < 0):
                        ok = False
                        break
                if not ok:
                    continue
                child_partial = partial
                if not partial and cone is not None and child not in on_path:
                    for key, p, t, pid in edges[child]:
                        if key is None:
                            continue
                        sp = spread.get(pid)
                        if sp is None:
                            sp = spread[pid] = _spread(cone, key)
                        if (sp[0] or sp[1]) if t == 0 else (sp[1] if t > 0 else sp[0]):
                            child_partial = True
                            break
                stack.append((child, child_partial))
        return sorted(found)

    def _closure_holds(self, s, sample: tuple, c) -> bool:
        """``sample`` satisfies C's relaxed conditions and C is nonlinear: decide the closure exactly."""
        rational = all(isinstance(v, Fraction) for v in sample)
        conds = graph_conditions(c.conditions, s.conditions, self.roots)   # a lifted program: in the user's variables
        answer = nonlinear.in_closure(sample, rational, conds, c.sample, self.n, self.options.query_ms(),
                                      self.n_user)
        if answer is None:
            self.reasons.append(f"adjacency of stratum {s.id} to {c.id} undecided")
            return True
        return answer


def _spread(cone, key) -> tuple[bool, bool]:
    """Does the affine function ``key`` take positive / negative values on the closure of the cone's cell?"""
    pos = neg = False
    for l in cone.lin:
        if sum(map(mul, key, l)):
            return True, True
    for g in cone.gens:
        x = sum(map(mul, key, g))
        if x > 0:
            pos = True
        elif x < 0:
            neg = True
    return pos, neg


def adjacency(strata: Sequence, leaves: Sequence, tree: Tree, n: int, options: Options, keys: dict,
              frontier: Frontier | None = None, free: int = 0):
    """``(strata, above, reasons)``: the neighbours above every stratum (see the module docstring);
    ``strata`` comes back longer when a finite stratum had to be split into its points.
    With ``frontier``, every pair a sample cannot decide is certified on all of the stratum.
    ``free``: trailing variables no condition mentions (a lifted program's reciprocals)."""
    search = Search(strata, leaves, tree, n, options, keys)
    search.roots = frontier.roots if frontier is not None else {}
    search.n_user = getattr(frontier, "n_user", None)
    above = []
    deadline = options.deadline
    for s in strata:
        if deadline is not None and not s.id & 63:
            deadline.check("adjacency", s.id, len(strata), unit="strata")
        if s.dim == n - free and not search.unknown_dim:
            above.append([])
        else:
            above.append(search.above(s, s.sample, leaves[s.id].cone))
    if frontier is not None:
        for s, pool in zip(strata, certified_pairs(leaves)):
            if pool and s.dim is not None and 0 < s.dim < n - free:
                if deadline is not None:
                    deadline.check("adjacency", s.id, len(strata), unit="strata")
                above[s.id] = _certified(s, above[s.id], [strata[j] for j in pool], frontier, search.reasons)
    strata = list(strata)
    for s in list(strata):
        if s.dim != 0 or s.linear:
            continue
        points = smt.enumerate_points(s.conditions, n, 64, options.query_ms(), free)
        if points is None:
            search.reasons.append(f"the points of the 0-dimensional stratum {s.id} could not be enumerated")
            continue
        if len(points) < 2:
            continue
        aboves = [search.above(s, p, None) for p in points]
        if all(a == above[s.id] for a in aboves):
            continue
        extras = separate(points, n, options.query_ms())
        if extras is None:
            search.reasons.append(f"the points of stratum {s.id} have different neighbours and could not be separated")
            continue
        node = leaves[s.id].tree_node
        tree.stratum[node] = None
        for k, (extra, point, up) in enumerate(zip(extras, points, aboves)):
            sid = s.id if k == 0 else len(strata)
            new = replace(s, id=sid, conditions=s.conditions + extra, sample=point)
            child = tree.add(node, extra)
            tree.stratum[child] = sid
            if k == 0:
                strata[sid], above[sid] = new, up
            else:
                strata.append(new)
                above.append(up)
    return tuple(strata), tuple(tuple(a) for a in above), search.reasons


def _certified(s, found: list[int], pool: Sequence, frontier: Frontier, reasons: list) -> list[int]:
    """The neighbours above ``s``, each cell of ``pool`` decided for all of ``s`` (module
    :mod:`~semialg.stratification.frontier`); an undecided pair keeps the sample's answer and a reason."""
    out = set(found)
    for c in pool:
        answer, split, why = frontier.decide(s.conditions, s.sample, c.conditions)
        if answer is True:
            out.add(c.id)
        elif answer is False:
            out.discard(c.id)
        else:
            reasons.append(f"whether stratum {s.id} lies in the closure of stratum {c.id} on all of stratum {s.id} "
                           f"is undecided: {why or 'adjacency is not constant on it (the split budget is spent)'}")
    return sorted(out)


def separate(points: list, n: int, timeout_ms: int) -> list[tuple] | None:
    """Linear conditions ``x_j - c > 0`` / ``x_j - c < 0`` putting each point in a part of its own
    (checked exactly at every point), or None when no coordinate separates them.

    >>> separate([(Fraction(0),), (Fraction(1),)], 1, 1000)
    [((Poly(2*x0 - 1), -1),), ((Poly(2*x0 - 1), 1),)]
    """
    xs = Poly.variables(n)
    for j in range(n):
        order = sorted((float(p[j]), k) for k, p in enumerate(points))
        if any(b[0] - a[0] < 1e-9 for a, b in zip(order, order[1:])):
            continue
        cuts = [Fraction((a[0] + b[0]) / 2).limit_denominator(10 ** 12) for a, b in zip(order, order[1:])]
        extra: list = [()] * len(points)
        for rank, (_, k) in enumerate(order):
            conds = []
            if rank > 0:
                conds.append(normalize(xs[j] - cuts[rank - 1], 1))
            if rank < len(cuts):
                conds.append(normalize(xs[j] - cuts[rank], -1))
            signs = smt.exact_signs(points[k], [q for q, _ in conds], timeout_ms)
            if signs is None or any(v != t for v, (_, t) in zip(signs, conds)):
                break
            extra[k] = tuple(conds)
        else:
            return extra
    return None
