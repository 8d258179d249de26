"""The branch tree of a program (theory §1), walked depth first without recursion.

Each node of the walk is a cell: the conjunction of the sign conditions chosen
so far. At the next nonsmooth node of the DAG (topological order), the
primitive's branches give new conditions; a branch is kept iff the cell meets
them, decided exactly:

* while every condition on the path is linear, the cell carries the double
  description of its closure (:class:`~semialg.stratification.polyhedra.Cone`) and each branch
  is decided by the signs of the kink at the generators: no solver at all;
* once a nonlinear condition enters, the branch is first tried at the parent's
  exact sample (witness propagation) and otherwise sent to a fresh z3 ``nlsat``
  solver (:func:`semialg.smt.check`), whose model becomes the child's witness.

``method="smt"`` sends every branch that its parent's sample does not witness
to z3 instead (the independent oracle the tests compare against).

>>> from semialg.frontends.text import parse
>>> w = Walker(parse("relu(relu(x) - 1)"), Options())
>>> w.run()
>>> [tuple(str(c) for c in leaf.labels) for leaf in w.leaves]
[('neg', 'neg'), ('zero', 'neg'), ('pos', 'neg'), ('pos', 'zero'), ('pos', 'pos')]
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd
from typing import Callable, Sequence

from semialg import smt
from semialg.core import primitives
from semialg.core.budget import Deadline
from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.poly import Poly
from semialg.core.primitives.semialgebraic import UNDEFINED
from semialg.stratification.cells import (
    Condition,
    StratifyError,
    exact_sign,
    is_branching,
    linear_key,
    normalize,
    rationalize,
    smooth_value,
)
from semialg.stratification.polyhedra import Cone


@dataclass(frozen=True)
class Options:
    """How to stratify. ``domain``: a predicate node (``x**2 + y**2 <= 4``) restricting
    the input space; ``extra_roots``: more nodes to branch on (a hand-written field);
    ``progress``: called as ``progress(strata_so_far, seconds)`` about once a second;
    ``method``: ``"auto"`` (global hyperplane arrangements by exact face enumeration,
    otherwise the branch tree), ``"tree"`` (always the branch tree) or ``"smt"`` (the
    branch tree deciding every unwitnessed branch with z3). ``prune_domain=False`` keeps the
    cells outside the domain (``Stratification.in_domain`` marks the others): a domain then
    restricts where the questions are asked, not the function (theory §4, restricted
    domains), so Clarke sets and closures at its boundary see the cells outside.
    ``timeout_ms``: the limit per solver query (0 or None: none). ``time_limit``: seconds for
    the whole stratification (None: none), or ``deadline``: a shared
    :class:`~semialg.core.budget.Deadline` (a check's whole command); when it runs out,
    :func:`~semialg.stratification.stratify` raises :class:`~semialg.core.budget.TimeLimitReached`.
    ``parallel_map``: a ``map(function, items, deadline) -> list`` run on other processes
    (:func:`semialg.checks.parallel.dask_map`): a nonlinear program's dimension and frontier
    questions are asked through it ahead of the serial stages, and a piecewise-linear program's
    branch tree is walked through it in subtrees (:mod:`~semialg.stratification.subtrees`), with
    the same strata."""

    timeout_ms: int = 10_000
    domain: Node | None = None
    extra_roots: tuple[Node, ...] = ()
    progress: Callable[[int, float], None] | None = None
    max_strata: int = 1_000_000
    method: str = "auto"
    prune_domain: bool = True
    time_limit: float | None = None
    deadline: Deadline | None = None
    regions_only: bool = False      # skip every branch with an equality: the open cells only (regions.py)
    parallel_map: Callable | None = None

    def query_ms(self) -> int | None:
        """The limit for the next solver query: ``min(timeout_ms, time remaining)``."""
        return self.timeout_ms if self.deadline is None else self.deadline.query_ms(self.timeout_ms)


@dataclass
class Leaf:
    """A feasible leaf of the branch tree, before it becomes a stratum."""

    conds: tuple
    sample: tuple | None
    labels: tuple
    piece: tuple
    tree_node: int
    cone: Cone | None
    dim: int | None = None
    reason: str = ""


@dataclass
class Tree:
    """The branch tree, flat: node 0 is the root; ``conds[i]`` added on the edge into ``i``."""

    conds: list = field(default_factory=lambda: [()])
    children: list = field(default_factory=lambda: [[]])
    stratum: list = field(default_factory=lambda: [None])
    implied: list = field(default_factory=lambda: [True])

    def add(self, parent: int, conds: tuple, implied: bool = False) -> int:
        """A child of ``parent``; ``implied``: its conditions hold on all of the parent's cell
        (the only feasible branch), so a point of the parent's closure satisfies them relaxed."""
        self.conds.append(conds)
        self.children.append([])
        self.stratum.append(None)
        self.implied.append(implied)
        self.children[parent].append(len(self.conds) - 1)
        return len(self.conds) - 1

    def locate(self, point: Sequence[Fraction]) -> int | None:
        """Index of the stratum whose conditions hold at ``point`` (None: outside the domain)."""
        node = 0
        while self.stratum[node] is None:
            for child in self.children[node]:
                if all(exact_sign(p.eval(point)) == s for p, s in self.conds[child]):
                    node = child
                    break
            else:
                return None
        return self.stratum[node]


@dataclass
class _Frame:
    pos: int                  # index in the topological order of the branching node
    pending: list             # feasible (label, value, new_conds, sample, cone) still to visit
    cond_len: int
    tree_node: int
    only: bool                # a single feasible branch: its conditions are implied by the cell


class Walker:
    """One depth-first walk of the branch tree (mutable state lives here only)."""

    def __init__(self, program: Program, options: Options):
        self.program = program
        self.options = options
        self.n = program.n_inputs
        roots = list(program.outputs) + list(options.extra_roots)
        if options.domain is not None:
            roots = [options.domain] + roots
        self.order = schedule_early(walk_postorder(roots))
        for node in self.order:
            if node.op in ("floor", "round"):
                raise StratifyError(f"{node.op} jumps at every integer, so it has no finite stratification; "
                                    "semialg check reports such programs as not Lipschitz when it finds a jump")
        self.var_index = {name: i for i, name in enumerate(program.inputs)}
        self.pos = {id(node): i for i, node in enumerate(self.order)}
        self.branch_positions = [i for i, node in enumerate(self.order) if is_branching(node)]
        self.output_positions = [self.pos[id(o)] for o in program.outputs]
        self.values: list = [None] * len(self.order)
        self.labels: list = [None] * len(self.order)
        self.conds: list[Condition] = []
        self.cond_keys: dict = {}
        self.stats = smt.Stats()
        self.use_cones = options.method != "smt"
        self.reasons: list[str] = []
        self.tree = Tree()
        self.leaves: list[Leaf] = []
        self.undefined: list[tuple] = []   # (conditions, sample, labels) of cells where the program has no value
        self.domain_pos = self.pos[id(options.domain)] if options.domain is not None and options.prune_domain else None
        # memo of every node's value (and a branching node's normalized branches) keyed by the
        # labels of the branching nodes its arguments depend on: a value is computed once per
        # distinct combination, not once per tree node
        self.arg_pos = [tuple(self.pos[id(a)] for a in node.args) for node in self.order]
        self.branching = [is_branching(node) for node in self.order]
        deps: list[tuple] = []
        for i, node in enumerate(self.order):
            acc: dict = {}
            for j in self.arg_pos[i]:
                if self.branching[j]:
                    acc[j] = None
                for d in deps[j]:
                    acc[d] = None
            deps.append(tuple(sorted(acc)))
        self.deps = deps
        self.memo: list[dict] = [dict() for _ in self.order]
        # the smooth nodes between two branching nodes form a segment, memoized as a whole
        # by the labels of the branching nodes any of them depends on
        self.segments: dict[int, tuple] = {}
        for start in [0] + [b + 1 for b in self.branch_positions]:
            stop = start
            while stop < len(self.order) and not self.branching[stop]:
                stop += 1
            union: dict = {}
            for j in range(start, stop):
                for d in deps[j]:
                    union[d] = None
            has_domain = self.domain_pos is not None and start <= self.domain_pos < stop
            self.segments[start] = (tuple(range(start, stop)), tuple(sorted(union)), {}, stop, has_domain)
        self.keys: dict = {}          # id(normalized condition) -> linear_key or None (nonlinear)
        self.canon: dict = {}         # one object per normalized condition, so ids can key dicts
        self.canon_linear: dict = {}  # integer key (c, a_1..a_n) -> the normalized linear Poly
        self.pool: list = []          # recent rational witnesses from z3 models

    # -- conditions ----------------------------------------------------------
    def _normalized(self, conds: Sequence[Condition]) -> list[Condition] | None:
        """Normalized non-constant conditions of a branch (canonical objects); None if a constant one fails."""
        out: list[Condition] = []
        for p, s in conds:
            if p.is_const:
                if exact_sign(p.const_value) != s:
                    return None
                continue
            if p.is_linear:   # integer fast path, the same normal form as cells.normalize
                key, flip = _linear_normal(p)
                q = self.canon_linear.get(key)
                if q is None:
                    q = self.canon_linear[key] = Poly.linear(key[1:], key[0])
                    self.keys[id(q)] = key
                out.append((q, -s if flip else s))
                continue
            q, t = normalize(p, s)
            q = self.canon.setdefault(q, q)
            if id(q) not in self.keys:
                self.keys[id(q)] = linear_key(q) if q.is_linear else None
            out.append((q, t))
        return out

    def _new_conditions(self, conds: Sequence[Condition]) -> list[Condition] | None:
        """Normalized conditions not implied by the path; None if one contradicts it."""
        out: list[Condition] = []
        seen: dict = {}
        for q, t in conds:
            known = self.cond_keys.get(id(q), seen.get(id(q)))
            if known is not None:
                if known != t:
                    return None
                continue
            seen[id(q)] = t
            out.append((q, t))
        return out

    def _push(self, conds: list[Condition]):
        for q, t in conds:
            self.cond_keys[id(q)] = t
            self.conds.append((q, t))

    def _restore(self, frame: _Frame):
        """Undo every condition pushed since ``frame`` was created."""
        while len(self.conds) > frame.cond_len:
            q, _ = self.conds.pop()
            del self.cond_keys[id(q)]

    def _cone_child(self, cone: Cone, new: list[Condition], memo: dict) -> Cone | None:
        """The cone of ``cell ∩ new`` (linear conditions), by successive exact splits."""
        for q, t in new:
            key = (id(cone), id(q))
            parts = memo.get(key)
            if parts is None:
                parts = memo[key] = (cone, cone.split(self.keys[id(q)]))
            cone = parts[1][t + 1]
            if cone is None:
                return None
        return cone

    def _feasible(self, new: list[Condition], sample: tuple):
        """Solver path: (True, sample) / (False, None) / (None, None) for unknown."""
        if all(isinstance(v, Fraction) for v in sample):
            witnessed = all(exact_sign(p.eval(sample)) == s for p, s in new)
        else:
            signs = smt.exact_signs(sample, [p for p, _ in new], self.options.query_ms())
            witnessed = signs is not None and all(v == s for v, (_, s) in zip(signs, new))
        if witnessed:
            return True, sample
        conds = self.conds + new
        for point in reversed(self.pool):   # a witness found earlier for another cell
            if all(exact_sign(p.eval(point)) == s for p, s in conds):
                return True, point
        if self.options.deadline is not None:
            self.options.deadline.check("stratify", len(self.leaves), unit="strata")
        result = smt.check(conds, self.n, self.options.query_ms(), self.stats)
        if result.status == smt.SAT:
            point = rationalize(result.point, conds)
            if all(isinstance(v, Fraction) for v in point):
                self.pool.append(point)
                if len(self.pool) > 64:
                    del self.pool[0]
            return True, point
        if result.status == smt.UNSAT:
            return False, None
        self.reasons.append(f"a branch could not be decided ({result.reason})")
        return None, None

    # -- the walk ------------------------------------------------------------
    def _advance(self, start: int, sample: tuple | None, cone: Cone | None, tree_node: int) -> _Frame | None:
        """Compute smooth values from ``start``; stop at the next branching node with several
        feasible branches (a frame) or at a leaf. A node with a single feasible branch is
        followed at once: its conditions hold on the whole cell (no tree node is made for it)."""
        values, labels, order, keys = self.values, self.labels, self.order, self.keys
        end = len(order)
        while True:
            positions, seg_deps, seg_memo, i, has_domain = self.segments[start]
            if positions:
                key = tuple([labels[d] for d in seg_deps]) if seg_deps else ()
                vals = seg_memo.get(key)
                if vals is None:
                    vals = []
                    for j in positions:
                        v = values[j] = smooth_value(order[j], [values[a] for a in self.arg_pos[j]], self.n,
                                                     self.var_index)
                        vals.append(v)
                    seg_memo[key] = vals
                else:
                    for j, v in zip(positions, vals):
                        values[j] = v
                if has_domain and not values[self.domain_pos]:
                    return None  # outside the domain: prune
            if i == end:
                break
            deps = self.deps[i]
            key = tuple([labels[d] for d in deps]) if deps else ()
            hit = self.memo[i].get(key)
            if hit is None:
                node = order[i]
                args = [values[j] for j in self.arg_pos[i]]
                if any(a is UNDEFINED for a in args):   # no value below: none here either (one pseudo-branch)
                    hit = self.memo[i][key] = [("undefined", UNDEFINED, [])]
                else:
                    hit = self.memo[i][key] = [(b.label, b.value, self._normalized(b.conditions))
                                               for b in primitives.REGISTRY[node.op].branches(args, node.param)]
                    if self.options.regions_only:   # a branch with an equality is a lower-dimensional set
                        hit = self.memo[i][key] = [h for h in hit if h[2] is None or all(t for _, t in h[2])]
            pending = []
            split_memo: dict = {}
            for label, value, conds in hit:
                if conds is None:
                    continue
                new = self._new_conditions(conds)
                if new is None:
                    continue
                if cone is not None and all(keys[id(q)] is not None for q, _ in new):
                    child = self._cone_child(cone, new, split_memo) if new else cone
                    if child is not None:
                        pending.append((label, value, new, None, child))
                    continue
                if sample is None:
                    sample = _cone_point(cone)
                ok, point = self._feasible(new, sample)
                if ok:
                    pending.append((label, value, new, point, None))
            if len(pending) != 1:
                pending.reverse()
                return _Frame(i, pending, len(self.conds), tree_node, False)
            label, value, new, point, child_cone = pending[0]   # the only feasible branch
            self._push(new)
            values[i] = value
            labels[i] = label
            if i == self.domain_pos and not value:
                return None
            if self.reasons:   # after an undecided branch "only feasible" is not proven: keep the edge
                tree_node = self.tree.add(tree_node, tuple(new), False)
            if child_cone is not None:
                cone = child_cone
            else:
                cone, sample = None, point
            start = i + 1
        leaf_labels = tuple(labels[i] for i in self.branch_positions)
        piece = tuple(values[i] for i in self.output_positions)
        if any(v is UNDEFINED for v in piece):   # the program has no value on this cell: a finding, not a stratum
            if len(self.undefined) < 64:
                self.undefined.append((tuple(self.conds), sample if sample is not None else _cone_point(cone), leaf_labels))
            return None
        self.leaves.append(Leaf(tuple(self.conds), sample, leaf_labels, piece, tree_node, cone))
        return None

    def run(self):
        """Walk the whole tree: ``leaves``, ``tree`` and ``undefined`` are filled."""
        frame = self.start()
        self.walk([frame] if frame is not None else [])
        self.finish()

    def start(self) -> _Frame | None:
        """The root cell (R^n) advanced to its first branching node with several feasible branches."""
        origin = tuple(Fraction(0) for _ in range(self.n))  # the root cell is R^n: any point witnesses it
        root_cone = Cone.whole_space(self.n) if self.use_cones else None
        return self._advance(0, None if root_cone else origin, root_cone, 0)

    def finish(self) -> None:
        """Each leaf's sample and dimension from its cone (a linear cell)."""
        for leaf in self.leaves:
            if leaf.sample is None:
                leaf.sample = _cone_point(leaf.cone)
            if leaf.cone is not None:
                leaf.dim = leaf.cone.dim

    def take(self, frame: _Frame):
        """Take the next pending branch of ``frame``: its conditions pushed, its value and label set;
        ``(tree node, point, cone)`` of the child cell, or None when the branch leaves the domain."""
        self._restore(frame)
        label, value, new, point, cone = frame.pending.pop()
        self._push(new)
        self.values[frame.pos] = value
        self.labels[frame.pos] = label
        if frame.pos == self.domain_pos and not value:
            return None  # this branch leaves the domain
        return self.tree.add(frame.tree_node, tuple(new), frame.only and not self.reasons), point, cone

    def descend(self, frame: _Frame, child: int, point, cone) -> _Frame | None:
        """Advance the child cell taken from ``frame`` to its next frame (None at a leaf)."""
        return self._advance(frame.pos + 1, point, cone, child)

    def walk(self, stack: list):
        """Depth first from the frames on ``stack`` until every branch below them is taken."""
        t0 = time.perf_counter()
        last = t0
        progress = self.options.progress
        deadline = self.options.deadline
        steps = 0
        while stack:
            steps += 1
            if deadline is not None and not steps & 63:
                deadline.check("stratify", len(self.leaves), unit="strata")
            frame = stack[-1]
            if not frame.pending:
                stack.pop()
                continue
            taken = self.take(frame)
            if taken is None:
                continue
            nxt = self.descend(frame, *taken)
            if nxt is not None:
                stack.append(nxt)
            if progress is not None and time.perf_counter() - last > 1.0:
                last = time.perf_counter()
                progress(len(self.leaves), last - t0)
            if len(self.leaves) > self.options.max_strata:
                raise StratifyError(f"more than {self.options.max_strata} strata; restrict the domain")


def _cone_point(cone: Cone) -> tuple:
    num, den = cone.sample()
    return tuple(Fraction(v, den) for v in num)


def schedule_early(order: Sequence[Node]) -> list[Node]:
    """The same branching nodes in the same sequence, every other node as early as its
    arguments allow (so a value is computed at the shallowest depth of the tree).

    >>> from semialg.frontends.text import parse
    >>> [n.op for n in schedule_early(walk_postorder(parse("relu(x) + 2*y").outputs))]
    ['var', 'const', 'mul', 'var', 'relu', 'add']
    """
    position = {id(node): i for i, node in enumerate(order)}
    users: list[list[int]] = [[] for _ in order]
    waiting = [0] * len(order)
    for i, node in enumerate(order):
        for a in {id(a): a for a in node.args}.values():
            users[position[id(a)]].append(i)
            waiting[i] += 1
    sequence = [i for i, node in enumerate(order) if is_branching(node)]
    ready = [i for i, node in enumerate(order) if not waiting[i] and not is_branching(node)]
    out: list[int] = []
    done = [False] * len(order)

    def emit(i: int):
        out.append(i)
        done[i] = True
        for u in users[i]:
            waiting[u] -= 1
            if not waiting[u] and not is_branching(order[u]):
                ready.append(u)

    for b in sequence + [None]:
        while ready:
            emit(ready.pop())
        if b is not None:
            emit(b)
    return [order[i] for i in out]


def _linear_normal(p: Poly) -> tuple[tuple[int, ...], bool]:
    """``(key, flipped)``: the normalized form of a linear condition as integers
    ``(c, a_1..a_n)`` (coprime, first nonzero ``a_i`` positive), as :func:`~semialg.stratification.cells.normalize`.

    >>> _linear_normal(Poly.linear([0, -2], 4))
    ((-2, 0, 1), True)
    """
    n = p.nvars
    den = 1
    for c in p.terms.values():
        d = c.denominator
        if d != 1:
            den = den * d // gcd(den, d)
    vec = [0] * (n + 1)
    for m, c in p.terms.items():
        k = 0
        for i, e in enumerate(m):
            if e:
                k = i + 1
                break
        vec[k] = (c.numerator * den) // c.denominator
    g = 0
    for v in vec:
        g = gcd(g, v)
    lead = next(v for v in vec[1:] if v)
    flip = lead < 0
    if flip:
        g = -g
    return tuple(v // g for v in vec), flip
