"""Global hyperplane arrangements: the branch tree's leaves without walking the tree.

When no branching node's arguments depend on another branching node, every
kink is one fixed polynomial. If moreover every kink is linear and each node's
branch is an injective function of the signs of its own hyperplanes (a *local
1-D* table, checked below), the leaves of the branch tree are exactly the faces
of the arrangement of all those hyperplanes:

* a leaf ``{x : branch_i(x) = label_i for all i}`` is a union of faces, because
  each ``branch_i`` depends only on the signs of node ``i``'s hyperplanes;
* it is a single face, because the labels determine every node's local sign
  pattern (injectivity), hence every sign of the arrangement;
* and it is nonempty iff that face is, which is what the tree's pruning decides.

Qualifying nodes: ``relu, abs, leaky_relu, sign, step, heaviside``, the
comparisons, ``max/min/sort`` of two arguments (the sign of their difference),
``hardtanh, relu6`` and ``clip/clamp`` with constant bounds ``lo < hi`` (two
parallel hyperplanes). ``max`` of three or more arguments does not qualify (its
cells are coarser than the faces of the three difference hyperplanes), nor
``clip`` with ``lo > hi`` (constant, a non-injective table); those programs take
the branch tree. The faces are enumerated by :mod:`semialg.stratification.arrangement`; the
conditions of each stratum are the ones the tree walk would collect (path
order, implied ones dropped), so both methods give the same strata.

>>> from semialg.frontends.text import parse
>>> plan = plan_global(parse("relu(x) + max(x, y)").outputs, 2, ("x", "y"))
>>> len(plan.planes), plan_global(parse("max(x, y, 0)").outputs, 2, ("x", "y")) is None
(2, True)
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.core import primitives
from semialg.core.dag import Node, walk_postorder
from semialg.core.poly import Poly, rank
from semialg.stratification.arrangement import Faces, TooManyFaces, enumerate_faces, sign_vector
from semialg.stratification.cells import StratifyError, exact_sign, is_branching, normalize, smooth_value


@dataclass
class NodePlan:
    """A branching node of a global arrangement: its hyperplanes (indices), and for
    each local sign pattern the branch index; per branch its label, value and
    normalized conditions ``(plane index, sign)`` (constants dropped)."""

    pos: int
    planes: tuple[int, ...]
    table: dict
    labels: tuple
    values: tuple
    conds: tuple


@dataclass
class GlobalPlan:
    order: list
    planes: list            # integer tuples (a_1..a_n, c)
    polys: list             # the normalized Poly of each plane
    nodes: list             # NodePlan per branching node, in order
    fixed: dict             # position -> value of every node that does not depend on a branch


def _int_plane(q: Poly, n: int) -> tuple:
    a = [0] * n
    c = 0
    for m, v in q.terms.items():
        k = next((i for i, e in enumerate(m) if e), None)
        if k is None:
            c = v.numerator
        else:
            a[k] = v.numerator
    return tuple(a) + (c,)


def plan_global(roots: Sequence[Node], n: int, inputs: Sequence[str]) -> GlobalPlan | None:
    """The arrangement plan of a program, or None when it is not a global linear arrangement."""
    order = walk_postorder(roots)
    var_index = {name: i for i, name in enumerate(inputs)}
    pos = {id(node): i for i, node in enumerate(order)}
    depends = [False] * len(order)
    fixed: dict[int, object] = {}
    plane_index: dict[Poly, int] = {}
    polys: list[Poly] = []
    nodes: list[NodePlan] = []
    for i, node in enumerate(order):
        if node.op in ("floor", "round"):
            return None
        arg_pos = [pos[id(a)] for a in node.args]
        if is_branching(node):
            if any(depends[j] for j in arg_pos):
                return None
            args = [fixed[j] for j in arg_pos]
            if not all(isinstance(a, Poly) and a.is_linear for a in args):
                return None
            plan = _node_plan(i, node, args, plane_index, polys)
            if plan is None:
                return None
            nodes.append(plan)
            depends[i] = True
        elif any(depends[j] for j in arg_pos):
            depends[i] = True
        else:
            fixed[i] = smooth_value(node, [fixed[j] for j in arg_pos], n, var_index)
    planes = [_int_plane(q, n) for q in polys]
    return GlobalPlan(order, planes, polys, nodes, fixed)


def _node_plan(i: int, node: Node, args: list, plane_index: dict, polys: list) -> NodePlan | None:
    branches = primitives.REGISTRY[node.op].branches(args, node.param)
    local: dict[Poly, int] = {}
    normalized = []
    for b in branches:
        conds, alive = [], True
        for p, s in b.conditions:
            if p.is_const:
                alive = alive and exact_sign(p.const_value) == s
                continue
            q, t = normalize(p, s)
            local.setdefault(q, len(local))
            conds.append((q, t))
        normalized.append(conds if alive else None)
    qs = list(local)
    if len(qs) > 1 and rank([list(q.linear_coeffs()) for q in qs]) != 1:
        return None  # kinks not parallel: the node's cells are not faces (e.g. max of 3)
    # the local arrangement is 1-D: q_k = lam_k * l(x) + c_k with one linear form l
    lead = next(k for k, v in enumerate(qs[0].linear_coeffs()) if v) if qs else 0
    lam = [q.linear_coeffs()[lead] for q in qs]
    const = [q.const_value for q in qs]
    cuts = sorted({-c / a for a, c in zip(lam, const)})
    tests = ([cuts[0] - 1] + [c for c in cuts] + [(a + b) / 2 for a, b in zip(cuts, cuts[1:])] + [cuts[-1] + 1]) if cuts else [Fraction(0)]
    table, used = {}, set()
    for t in tests:
        pattern = tuple(exact_sign(a * t + c) for a, c in zip(lam, const))
        sign_of = dict(zip(qs, pattern))
        match = [k for k, conds in enumerate(normalized)
                 if conds is not None and all(sign_of[q] == s for q, s in conds)]
        if len(match) != 1 or match[0] in used:
            return None  # not a partition, or not injective: leave it to the branch tree
        used.add(match[0])
        table[pattern] = match[0]
    for q in qs:
        if q not in plane_index:
            plane_index[q] = len(polys)
            polys.append(q)
    idx = tuple(plane_index[q] for q in qs)
    # a branch's conditions in order, a repeated hyperplane once (clip(a, 1, 1) names a - 1 twice)
    conds = tuple(tuple({(plane_index[q], s): None for q, s in c}) if c is not None else None for c in normalized)
    return NodePlan(i, idx, table, tuple(b.label for b in branches), tuple(b.value for b in branches), conds)


class BranchCodes:
    """A stratum's labels and conditions from its *branch code* (``bytes``: the branch index
    of every branching node, in order), rebuilt on each access. A layer of k kinks has about
    2k² strata, each with k labels and k conditions: kept as two tuples they were 16 bytes per
    kink per stratum (4 KB at k = 256, most of the stratification's memory); a code is one byte.

    >>> from semialg.frontends.text import parse
    >>> plan = plan_global(parse("relu(x) + abs(y)").outputs, 2, ("x", "y"))
    >>> table = BranchCodes(plan)
    >>> table.labels(bytes([2, 0])), [(str(p), s) for p, s in table.conditions(bytes([2, 0]))]
    (('pos', 'neg'), [('Poly(x0)', 1), ('Poly(x1)', -1)])
    """

    __slots__ = ("node_labels", "branch_conds", "shared")

    def __init__(self, plan: "GlobalPlan"):
        self.node_labels = [p.labels for p in plan.nodes]
        condtab = [{s: (q, s) for s in (-1, 0, 1)} for q in plan.polys]
        # per node, per branch: its conditions as (plane index, (Poly, sign)), the pairs shared by all strata
        self.branch_conds = [[tuple((k, condtab[k][s]) for k, s in c) if c is not None else () for c in p.conds]
                             for p in plan.nodes]
        self.shared = len({k for p in plan.nodes for k in p.planes}) < sum(len(p.planes) for p in plan.nodes)

    def labels(self, code: bytes) -> tuple:
        return tuple([labels[c] for labels, c in zip(self.node_labels, code)])

    def conditions(self, code: bytes) -> tuple:
        """The conditions the tree walk would collect: path order, a plane named twice kept once."""
        if not self.shared:
            return tuple([cond for conds, c in zip(self.branch_conds, code) for _, cond in conds[c]])
        seen, out = set(), []
        for conds, c in zip(self.branch_conds, code):
            for k, cond in conds[c]:
                if k not in seen:
                    seen.add(k)
                    out.append(cond)
        return tuple(out)


@dataclass
class GlobalResult:
    """Faces that became strata, in tree-walk order, with what the strata need."""

    faces: Faces
    face_ids: list           # face index of each stratum
    codes: list              # per stratum: its branch code (labels and conditions: ``table``)
    table: BranchCodes
    pieces: list
    locator: "FaceLocator"
    seconds_faces: float = 0.0


class FaceLocator:
    """Point location by sign vector (exact)."""

    def __init__(self, faces: Faces, stratum_of_face: dict):
        self.faces = faces
        self.stratum_of_face = stratum_of_face

    def locate(self, point: Sequence[Fraction]) -> int | None:
        return self.stratum_of_face.get(self.faces.index.get(sign_vector(self.faces.planes, point)))


def run_global(plan: GlobalPlan, n: int, inputs: Sequence[str], output_nodes: Sequence[Node],
               domain: Node | None, max_faces: int | None = None, progress=None,
               prune_domain: bool = True, deadline=None) -> GlobalResult:
    """Enumerate the faces and turn each into a leaf (labels, conditions, piece).

    A node's value is memoized by the branches of the nodes it depends on, so a
    piece costs one evaluation per distinct combination, not one per face.
    """
    t0 = time.perf_counter()
    try:
        faces = enumerate_faces(plan.planes, n, max_faces, progress, deadline)
    except TooManyFaces:
        raise StratifyError(f"more than {max_faces} strata; restrict the domain") from None
    seconds_faces = time.perf_counter() - t0
    order, nodes = plan.order, plan.nodes
    pos = {id(node): i for i, node in enumerate(order)}
    var_index = {name: i for i, name in enumerate(inputs)}
    node_idx = {p.pos: k for k, p in enumerate(nodes)}
    deps: list[tuple] = [()] * len(order)          # node indices each position depends on
    for i, node in enumerate(order):
        if i in node_idx:
            deps[i] = (node_idx[i],)
        elif i not in plan.fixed:
            acc: dict = {}
            for a in node.args:
                for d in deps[pos[id(a)]]:
                    acc[d] = None
            deps[i] = tuple(acc)
    out_pos = [pos[id(o)] for o in output_nodes]
    domain_pos = pos[id(domain)] if domain is not None else None
    needed = _needed_positions(order, pos, out_pos + ([domain_pos] if domain_pos is not None else []), plan.fixed)
    # a node that depends on every branching node (a layer's sum) differs on every face: no memo
    # (its keys would be a k-tuple per face, the largest object of a wide layer's stratification)
    steps = [(i, node_idx.get(i), deps[i], [pos[id(a)] for a in order[i].args],
              {} if len(deps[i]) < len(nodes) or len(nodes) == 1 else None)
             for i in needed if i not in plan.fixed]
    template = [plan.fixed.get(i) for i in range(len(order))]
    lookups = []
    for p in nodes:
        if len(p.planes) == 1:
            lookups.append((p.planes[0], [p.table.get((s,)) for s in (-1, 0, 1)], None))
        else:
            lookups.append((None, p.table, p.planes))
    rows = []
    for f_id, face in enumerate(faces.faces):
        if deadline is not None and not f_id & 255:
            deadline.check("stratify", f_id, len(faces.faces), unit="faces")
        sigma = face.sigma
        ch = [tab[sigma[k]] if k is not None else tab[tuple(sigma[j] - 1 for j in planes)]
              for k, tab, planes in lookups]
        vals = template[:]
        for i, b, dep, args, memo in steps:
            if memo is None:
                vals[i] = smooth_value(order[i], [vals[j] for j in args], n, var_index)
                continue
            key = ch[dep[0]] if len(dep) == 1 else bytes([ch[d] for d in dep])
            hit = memo.get(key)
            if hit is None:
                if b is not None:
                    hit = nodes[b].values[ch[b]]
                else:
                    hit = smooth_value(order[i], [vals[j] for j in args], n, var_index)
                memo[key] = hit
            vals[i] = hit
        if prune_domain and domain_pos is not None and not vals[domain_pos]:
            continue
        # the branch code (each index < 256): the tree walk's order is the codes' order
        rows.append((bytes(ch), f_id, tuple([vals[j] for j in out_pos])))
    rows.sort(key=lambda r: r[0])
    stratum_of_face = {r[1]: k for k, r in enumerate(rows)}
    return GlobalResult(faces, [r[1] for r in rows], [r[0] for r in rows], BranchCodes(plan),
                        [r[2] for r in rows], FaceLocator(faces, stratum_of_face), seconds_faces)


def _needed_positions(order, pos, targets, fixed) -> list[int]:
    """Positions (in order) of the nodes the outputs and the domain need, excluding fixed ones' cones."""
    need = set()
    stack = [t for t in targets]
    while stack:
        i = stack.pop()
        if i in need:
            continue
        need.add(i)
        if i in fixed:
            continue
        for a in order[i].args:
            stack.append(pos[id(a)])
    return sorted(need)
