"""Branch tree -> cells -> strata, with exact samples, dimensions and adjacency.

THEORY §1-2. Walk the DAG in topological order; every nonsmooth node, once the
branches below it are fixed, has polynomial arguments, and branching on its
primitive's :class:`~semialg.primitives.Branch` es (sign conditions) gives a
*branch tree* whose leaves are the cells. Infeasible branches are pruned
exactly. Each leaf becomes a :class:`Stratum`: conditions, dimension (exact rank;
nonlinear rank drops are split or reported as unknown), an exact sample point,
the branch label of every nonsmooth node and the polynomial piece ``f_S``.

Cost model (the issue's performance notes): a branch is first tried at the
sample of its parent cell (exact evaluation, no solver); the solver is asked only
for branches that sample does not witness. Linear systems use one incremental
z3 solver along the walk; nonlinear ones a fresh nlsat solver per query.

>>> from semialg.parse import parse
>>> s = stratify(parse("relu(x)"))
>>> [(t.dim, t.condition_text()) for t in s.strata]
[(1, ['x < 0']), (0, ['x = 0']), (1, ['x > 0'])]
>>> len(stratify(parse("relu(relu(x) - 1)")).strata)
5
>>> s.locate((Fraction(0),)).id
1
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import networkx as nx

from . import primitives, smt
from .dag import Node, Program, walk_postorder
from .errors import SemialgError
from .poly import Poly, rank, row_echelon
from .smt import AlgebraicNumber

Condition = tuple[Poly, int]
SIGN_TEXT = {-1: "<", 0: "=", 1: ">"}


class StratifyError(SemialgError):
    """The program cannot be stratified (e.g. floor/round, whose jumps are unbounded in number)."""


@dataclass(frozen=True)
class Options:
    """How to stratify. ``domain``: a predicate node (``x**2 + y**2 <= 4``) restricting
    the input space; ``extra_roots``: more nodes to branch on (a hand-written field);
    ``progress``: called as ``progress(strata_so_far, seconds)`` about once a second."""

    timeout_ms: int = 10_000
    domain: Node | None = None
    extra_roots: tuple[Node, ...] = ()
    progress: Callable[[int, float], None] | None = None
    max_strata: int = 1_000_000


@dataclass(frozen=True)
class Stratum:
    """A cell on which every branch is fixed and which is a C^1 manifold.

    ``dim`` is None when the dimension could not be decided exactly (``reason``
    says why). ``sample`` holds Fractions, or :class:`~semialg.smt.AlgebraicNumber`
    where no rational point was found. ``labels[i]`` is the branch of
    ``Stratification.branch_nodes[i]``; ``piece[k]`` is output ``k`` on the stratum.
    """

    id: int
    dim: int | None
    conditions: tuple[Condition, ...]
    sample: tuple
    labels: tuple
    piece: tuple[Poly, ...]
    names: tuple[str, ...] = field(repr=False, default=())
    reason: str = ""

    @property
    def linear(self) -> bool:
        return all(p.is_linear for p, _ in self.conditions)

    @property
    def rational(self) -> bool:
        return all(isinstance(v, Fraction) for v in self.sample)

    @property
    def equalities(self) -> tuple[Poly, ...]:
        return tuple(p for p, s in self.conditions if s == 0)

    def sample_float(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.sample)

    def condition_text(self) -> list[str]:
        """Conditions as text, e.g. ``['x + y > 0', 'x = 0']``."""
        return [f"{p.to_str(self.names)} {SIGN_TEXT[s]} 0" for p, s in self.conditions] or ["true"]

    def contains(self, point: Sequence) -> bool:
        """Exact membership of a point (Fractions or sympy numbers)."""
        point = _point_sympy(point)
        return all(exact_sign(p.eval(point)) == s for p, s in self.conditions)


@dataclass(frozen=True)
class Stratification:
    """All strata of a program, their closure relation and how they were found.

    ``above[i]``: ids of the strata whose closure contains stratum ``i`` (its
    neighbours above). ``complete`` is False when a solver answer was unknown;
    ``reasons`` says where.
    """

    program: Program
    branch_nodes: tuple[Node, ...]
    strata: tuple[Stratum, ...]
    above: tuple[tuple[int, ...], ...]
    complete: bool
    reasons: tuple[str, ...]
    stats: dict
    tree: "_Tree" = field(repr=False)

    @property
    def n(self) -> int:
        return self.program.n_inputs

    def graph(self) -> nx.DiGraph:
        """The closure (Hasse-like) graph: an edge S -> C when S lies in the closure of C."""
        g = nx.DiGraph()
        for s in self.strata:
            g.add_node(s.id, dim=s.dim)
        for s in self.strata:
            for c in self.above[s.id]:
                g.add_edge(s.id, c)
        return g

    def locate(self, point: Sequence) -> Stratum:
        """The stratum containing a rational point (exact).

        Raises :class:`~semialg.errors.InputError` outside the domain.
        """
        from .errors import InputError
        point = tuple(Fraction(v) for v in point)
        node = 0
        while self.tree.stratum[node] is None:
            for child in self.tree.children[node]:
                if all(exact_sign(p.eval(point)) == s for p, s in self.tree.conds[child]):
                    node = child
                    break
            else:
                raise InputError("the point is outside the domain of the stratification")
        return self.strata[self.tree.stratum[node]]

    def full_dimensional(self) -> list[Stratum]:
        return [s for s in self.strata if s.dim == self.n]

    def label_of(self, stratum: Stratum, node: Node):
        return stratum.labels[self.branch_index[id(node)]]

    @property
    def branch_index(self) -> dict[int, int]:
        return {id(n): i for i, n in enumerate(self.branch_nodes)}

    def node_values(self, stratum: Stratum, roots: Sequence[Node] | None = None) -> dict[int, object]:
        """Value (Poly or bool) of every node on the stratum, keyed by ``id(node)``."""
        labels = {id(n): lab for n, lab in zip(self.branch_nodes, stratum.labels)}
        order = walk_postorder(roots if roots is not None else self.program.outputs)
        return _evaluate_with_labels(order, self.program.inputs, labels)


# --------------------------------------------------------------------------- exact helpers
def exact_sign(value) -> int:
    """Sign of an exact number (Fraction, int, or a sympy algebraic expression)."""
    if isinstance(value, (Fraction, int)):
        return (value > 0) - (value < 0)
    import sympy
    expr = sympy.nsimplify(value) if not isinstance(value, sympy.Basic) else value
    if expr.is_Rational:
        return int(sympy.sign(expr))
    if expr.is_zero:
        return 0
    from sympy.polys.numberfields import minimal_polynomial
    t = sympy.Symbol("t")
    if minimal_polynomial(expr, t) == t:
        return 0
    approx = sympy.N(expr, 60)
    if approx == 0:
        raise ArithmeticError("could not decide the sign of an algebraic number")
    return 1 if approx > 0 else -1


def normalize(p: Poly, s: int) -> Condition:
    """Scale a condition so that equal half-spaces have equal keys (content 1, first coefficient > 0)."""
    _, q = p.primitive()
    if q.terms:
        lead = q.terms[min(q.terms, key=lambda m: (-sum(m), tuple(-e for e in m)))]
        if lead < 0:
            return -q, -s
    return q, s


def _point_sympy(point: Sequence):
    return tuple(v.to_sympy() if isinstance(v, AlgebraicNumber) else v for v in point)


def _rationalize(point: Sequence, conds: Sequence[Condition]) -> tuple:
    """A rational point satisfying ``conds`` near an algebraic one, if rounding finds one."""
    if all(isinstance(v, Fraction) for v in point):
        return tuple(point)
    for digits in (2, 4, 8, 16, 32):
        cand = tuple(v if isinstance(v, Fraction) else Fraction(v.approx).limit_denominator(10 ** digits) for v in point)
        if all(exact_sign(p.eval(cand)) == s for p, s in conds):
            return cand
    return tuple(point)


# --------------------------------------------------------------------------- evaluation on a branch
def _evaluate_with_labels(order: Sequence[Node], inputs: Sequence[str], labels: dict[int, object]) -> dict[int, object]:
    """Values of nodes in ``order`` given the branch label of each branching node."""
    n = len(inputs)
    var_index = {name: i for i, name in enumerate(inputs)}
    values: dict[int, object] = {}
    for node in order:
        args = [values[id(a)] for a in node.args]
        if id(node) in labels:
            prim = primitives.REGISTRY[node.op]
            for b in prim.branches(args, node.param):
                if b.label == labels[id(node)]:
                    values[id(node)] = b.value
                    break
        else:
            values[id(node)] = _smooth_value(node, args, n, var_index)
    return values


def _smooth_value(node: Node, args: list, n: int, var_index: dict[str, int]):
    op = node.op
    if op == "const":
        return Poly.constant(n, node.param)
    if op == "var":
        return Poly.variable(n, var_index[node.param])
    if op == "add":
        total = args[0]
        for a in args[1:]:
            total = total + a
        return total
    if op == "mul":
        prod = args[0]
        for a in args[1:]:
            prod = prod * a
        return prod
    if op == "pow":
        return args[0] ** node.param
    if op == "where":
        return args[1] if args[0] else args[2]
    if op in ("and", "or", "not"):
        return primitives.REGISTRY[op].exact(args)
    raise StratifyError(f"no value rule for node {op}")


def is_branching(node: Node) -> bool:
    """Nodes the branch tree splits on: nonsmooth primitives and comparisons (not where/and/or/not)."""
    return node.op in primitives.NONSMOOTH and node.op != "where"


# --------------------------------------------------------------------------- the tree
@dataclass
class _Tree:
    """The branch tree, flat: node 0 is the root; ``conds[i]`` added on the edge into ``i``."""

    conds: list = field(default_factory=lambda: [()])
    children: list = field(default_factory=lambda: [[]])
    stratum: list = field(default_factory=lambda: [None])

    def add(self, parent: int, conds: tuple) -> int:
        self.conds.append(conds)
        self.children.append([])
        self.stratum.append(None)
        self.children[parent].append(len(self.conds) - 1)
        return len(self.conds) - 1


@dataclass
class _Frame:
    pos: int                  # index in the topological order of the branching node
    pending: list             # feasible (label, value, new_conds, sample) still to visit
    cond_len: int
    depth: int
    tree_node: int
    sample: tuple


class _Walker:
    """One depth-first walk of the branch tree (mutable state lives here only)."""

    def __init__(self, program: Program, options: Options):
        self.program = program
        self.options = options
        self.n = program.n_inputs
        roots = list(program.outputs) + list(options.extra_roots)
        if options.domain is not None:
            roots = [options.domain] + roots
        self.order = walk_postorder(roots)
        for node in self.order:
            if node.op in ("floor", "round"):
                raise StratifyError(f"{node.op} jumps at every integer, so it has no finite stratification; "
                                    "semialg check reports such programs as not Lipschitz when it finds a jump")
        self.var_index = {name: i for i, name in enumerate(program.inputs)}
        self.branch_positions = [i for i, node in enumerate(self.order) if is_branching(node)]
        self.values: list = [None] * len(self.order)
        self.labels: list = [None] * len(self.order)
        self.conds: list[Condition] = []
        self.cond_keys: dict[Poly, int] = {}
        self.stats = smt.Stats()
        self.nonlinear = 0
        self.incremental = smt.IncrementalLinear(self.n, options.timeout_ms, self.stats)
        self.reasons: list[str] = []
        self.tree = _Tree()
        self.leaves: list[tuple] = []
        self.domain_pos = self.order.index(options.domain) if options.domain is not None else None

    # -- conditions ----------------------------------------------------------
    def _new_conditions(self, conds: Sequence[Condition]) -> list[Condition] | None:
        """Normalized conditions not implied by the path; None if one contradicts it."""
        out: list[Condition] = []
        seen: dict[Poly, int] = {}
        for p, s in conds:
            if p.is_const:
                if exact_sign(p.const_value) != s:
                    return None
                continue
            q, t = normalize(p, s)
            known = self.cond_keys.get(q, seen.get(q))
            if known is not None:
                if known != t:
                    return None
                continue
            seen[q] = t
            out.append((q, t))
        return out

    def _push(self, conds: list[Condition]):
        for q, t in conds:
            self.cond_keys[q] = t
            self.conds.append((q, t))
            if not q.is_linear:
                self.nonlinear += 1
        self.incremental.push([c for c in conds if c[0].is_linear])

    def _restore(self, frame: "_Frame"):
        """Undo every condition pushed since ``frame`` was created."""
        while len(self.conds) > frame.cond_len:
            q, _ = self.conds.pop()
            del self.cond_keys[q]
            if not q.is_linear:
                self.nonlinear -= 1
        if self.incremental.depth > frame.depth:
            self.incremental.pop(self.incremental.depth - frame.depth)

    def _feasible(self, new: list[Condition], sample: tuple):
        """(True, sample) / (False, None) / (None, None) for unknown."""
        point = sample if all(isinstance(v, Fraction) for v in sample) else _point_sympy(sample)
        if all(exact_sign(p.eval(point)) == s for p, s in new):
            return True, sample
        if not self.nonlinear and all(p.is_linear for p, _ in new):
            result = self.incremental.check(new)
        else:
            result = smt.check(self.conds + new, self.n, self.options.timeout_ms, self.stats)
        if result.status == smt.SAT:
            return True, _rationalize(result.point, self.conds + new)
        if result.status == smt.UNSAT:
            return False, None
        self.reasons.append(f"a branch could not be decided ({result.reason})")
        return None, None

    # -- the walk ------------------------------------------------------------
    def _advance(self, start: int, sample: tuple, tree_node: int) -> _Frame | None:
        """Compute smooth values from ``start``; stop at the next branching node (a frame) or a leaf."""
        for i in range(start, len(self.order)):
            node = self.order[i]
            args = [self.values[self._pos[id(a)]] for a in node.args]
            if is_branching(node):
                prim = primitives.REGISTRY[node.op]
                pending = []
                for branch in prim.branches(args, node.param):
                    new = self._new_conditions(branch.conditions)
                    if new is None:
                        continue
                    ok, point = self._feasible(new, sample)
                    if ok:
                        pending.append((branch.label, branch.value, new, point))
                pending.reverse()
                return _Frame(i, pending, len(self.conds), self.incremental.depth, tree_node, sample)
            self.values[i] = _smooth_value(node, args, self.n, self.var_index)
            if i == self.domain_pos and not self.values[i]:
                return None  # outside the domain: prune
        self._leaf(sample, tree_node)
        return None

    def run(self):
        self._pos = {id(node): i for i, node in enumerate(self.order)}
        t0 = time.perf_counter()
        last = t0
        stack: list[_Frame] = []
        origin = tuple(Fraction(0) for _ in range(self.n))  # the root cell is R^n: any point witnesses it
        frame = self._advance(0, origin, 0)
        if frame is not None:
            stack.append(frame)
        while stack:
            frame = stack[-1]
            self._restore(frame)
            if not frame.pending:
                stack.pop()
                continue
            label, value, new, point = frame.pending.pop()
            self._push(new)
            self.values[frame.pos] = value
            self.labels[frame.pos] = label
            if frame.pos == self.domain_pos and not value:
                continue  # this branch leaves the domain
            child = self.tree.add(frame.tree_node, tuple(new))
            nxt = self._advance(frame.pos + 1, point, child)
            if nxt is not None:
                stack.append(nxt)
            if self.options.progress is not None and time.perf_counter() - last > 1.0:
                last = time.perf_counter()
                self.options.progress(len(self.leaves), last - t0)
            if len(self.leaves) > self.options.max_strata:
                raise StratifyError(f"more than {self.options.max_strata} strata; restrict the domain")

    def _leaf(self, sample: tuple, tree_node: int):
        labels = tuple(self.labels[i] for i in self.branch_positions)
        piece = tuple(self.values[self._pos[id(o)]] for o in self.program.outputs)
        self.leaves.append((tuple(self.conds), sample, labels, piece, tree_node))


# --------------------------------------------------------------------------- dimension
def _dimension(conds: Sequence[Condition], n: int, timeout_ms: int, stats: smt.Stats) -> tuple[int | None, str, list[Poly]]:
    """(dim, reason, split_polys). THEORY §2: linear equalities by exact rank; a set
    ``E'`` of nonlinear equalities whose gradients never drop rank on the cell cuts
    out a manifold of dimension ``n - |E'|``, provided the remaining equalities lie in
    the ideal of ``E'`` (or ``|E'| = n``). Otherwise ask for a split on the partial
    derivatives (``split_polys``) or answer unknown."""
    eqs = [p for p, s in conds if s == 0]
    lin = [p for p in eqs if p.is_linear]
    nonlin = [p for p in eqs if not p.is_linear]
    lin_rows = [list(p.linear_coeffs()) for p in lin]
    rref, pivots = row_echelon(lin_rows) if lin_rows else ([], [])
    if not nonlin:
        return n - len(pivots), "", []
    chosen = [Poly.linear(row, 0) for row in rref]  # independent linear gradients
    # rebuild independent linear equalities with their constants: pick originals by greedy rank
    chosen = []
    for p in lin:
        if rank([list(q.linear_coeffs()) for q in chosen + [p]]) > len(chosen):
            chosen.append(p)
    leftover = []
    for p in nonlin:
        if len(chosen) == n:
            leftover.append(p)
            continue
        r = smt.rank_drop(conds, chosen + [p], n, timeout_ms, stats)
        if r.status == smt.UNSAT:
            chosen.append(p)
        elif r.status == smt.UNKNOWN:
            return None, f"rank of the equalities could not be decided ({r.reason})", []
        else:
            leftover.append(p)
    if len(chosen) == n:
        return 0, "", []
    for p in leftover:
        if not _in_ideal(p, chosen, n):
            splits = []
            for q in [p] + [c for c in chosen if not c.is_linear]:
                splits.extend(d for d in q.gradient() if not d.is_const)
            return None, (f"the equality {p.to_str([f'x{i}' for i in range(n)])} = 0 is singular or dependent "
                          "on this cell"), splits
    for p in leftover + [c for c in chosen if c.is_linear]:
        pass
    # every chosen nonlinear equality also needs linear independence from earlier linear ones: rank_drop covered it
    # every leftover linear equality is implied: it lies in the span check above via _in_ideal
    return n - len(chosen), "", []


def _in_ideal(p: Poly, gens: Sequence[Poly], n: int) -> bool:
    """Exact ideal membership via a Groebner basis (sympy)."""
    if not gens:
        return p.is_zero
    import sympy
    xs = sympy.symbols(f"x0:{n}")
    basis = sympy.groebner([g.to_sympy(xs) for g in gens], *xs, order="grevlex", domain="QQ")
    return basis.contains(p.to_sympy(xs))


# --------------------------------------------------------------------------- entry point
def stratify(program: Program, options: Options | None = None, **kwargs) -> Stratification:
    """Stratify ``program``: every cell of its branch tree, as strata with adjacency.

    Keyword arguments build an :class:`Options`.

    >>> from semialg.parse import parse
    >>> s = stratify(parse("abs(x) + abs(y)"))
    >>> sorted(t.dim for t in s.strata)
    [0, 1, 1, 1, 1, 2, 2, 2, 2]
    >>> origin = [t for t in s.strata if t.dim == 0][0]
    >>> len(s.above[origin.id])
    8
    """
    options = options or Options(**kwargs)
    t0 = time.perf_counter()
    walker = _Walker(program, options)
    walker.run()
    leaves = _refine_nonlinear(walker, program, options)
    names = tuple(program.inputs)
    strata = tuple(Stratum(i, dim, conds, sample, labels, piece, names, reason)
                   for i, (conds, sample, labels, piece, tree_node, dim, reason) in enumerate(leaves))
    for i, leaf in enumerate(leaves):
        walker.tree.stratum[leaf[4]] = i
    t1 = time.perf_counter()
    above, adj_reasons = _adjacency(strata, walker.tree, program, options, walker)
    t2 = time.perf_counter()
    reasons = tuple(dict.fromkeys(walker.reasons + adj_reasons + [s.reason for s in strata if s.dim is None]))
    stats = {"solver_calls": walker.stats.calls, "solver_seconds": walker.stats.seconds,
             "tree_nodes": len(walker.tree.conds), "seconds_cells": t1 - t0, "seconds_adjacency": t2 - t1}
    return Stratification(program, tuple(walker.order[i] for i in walker.branch_positions), strata, above,
                          not reasons, reasons, stats, walker.tree)


def _refine_nonlinear(walker: _Walker, program: Program, options: Options) -> list[tuple]:
    """Attach dimensions; split cells whose nonlinear equalities are singular (one round)."""
    out = []
    n = program.n_inputs
    queue = [(leaf, 0) for leaf in walker.leaves]
    while queue:
        (conds, sample, labels, piece, tree_node), depth = queue.pop(0)
        dim, reason, splits = _dimension(conds, n, options.timeout_ms, walker.stats)
        if dim is None and splits and depth < 2:
            sub = _split_cell(conds, sample, splits, n, options, walker)
            for sconds, ssample in sub:
                child = walker.tree.add(tree_node, tuple(c for c in sconds if c not in conds))
                queue.append(((sconds, ssample, labels, piece, child), depth + 1))
            continue
        out.append((conds, sample, labels, piece, tree_node, dim, reason))
    return out


def _split_cell(conds, sample, polys, n, options, walker) -> list[tuple]:
    """All feasible sign patterns of ``polys`` inside the cell ``conds`` (exact)."""
    cells = [(list(conds), sample)]
    for p in polys:
        nxt = []
        for cc, smp in cells:
            keys = {normalize(q, s)[0]: normalize(q, s)[1] for q, s in cc}
            for s in (-1, 0, 1):
                q, t = normalize(p, s)
                if q.is_const:
                    if exact_sign(q.const_value) == t:
                        nxt.append((cc, smp))
                    continue
                if q in keys:
                    if keys[q] == t:
                        nxt.append((cc, smp))
                    continue
                new = cc + [(q, t)]
                point = _point_sympy(smp)
                if exact_sign(q.eval(point)) == t:
                    nxt.append((new, smp))
                    continue
                r = smt.check(new, n, options.timeout_ms, walker.stats)
                if r.status == smt.SAT:
                    nxt.append((new, _rationalize(r.point, new)))
                elif r.status == smt.UNKNOWN:
                    walker.reasons.append(f"a split of a singular cell could not be decided ({r.reason})")
        # dedupe identical cells
        seen, cells = set(), []
        for cc, smp in nxt:
            key = tuple(cc)
            if key not in seen:
                seen.add(key)
                cells.append((cc, smp))
    return [(tuple(cc), smp) for cc, smp in cells]


def _adjacency(strata: Sequence[Stratum], tree: _Tree, program: Program, options: Options, walker: _Walker):
    """Neighbours above each stratum: C with S ⊂ closure(C).

    A search of the branch tree for the leaves whose *relaxed* conditions (< to <=)
    hold at S's sample: for a nonempty linear cell the relaxed set is exactly its
    closure (it is convex and relatively open). Nonlinear candidates are confirmed
    by an exact quantified query. For programs of continuous primitives, the sign
    of every condition of C is constant on S, so one sample decides the whole
    stratum (frontier condition; THEORY §2).
    """
    n = program.n_inputs
    reasons: list[str] = []
    above: list[list[int]] = [[] for _ in strata]
    for s in strata:
        point = s.sample if s.rational else _point_sympy(s.sample)
        cache: dict[Poly, int] = {}

        def sign_at(p: Poly) -> int:
            v = cache.get(p)
            if v is None:
                v = cache[p] = exact_sign(p.eval(point))
            return v

        stack = [0]
        while stack:
            node = stack.pop()
            sid = tree.stratum[node]
            if sid is not None:
                c = strata[sid]
                if sid != s.id and (c.dim is None or s.dim is None or c.dim > s.dim):
                    if c.linear or _confirm_closure(s, c, n, options, reasons):
                        above[s.id].append(sid)
                continue
            for child in tree.children[node]:
                if all((sign_at(p) == 0) if t == 0 else (sign_at(p) * t >= 0) for p, t in tree.conds[child]):
                    stack.append(child)
    return tuple(tuple(sorted(a)) for a in above), reasons


def _confirm_closure(s: Stratum, c: Stratum, n: int, options: Options, reasons: list) -> bool:
    r = smt.in_closure(s.sample, c.conditions, n, options.timeout_ms)
    if r.status == smt.UNKNOWN:
        reasons.append(f"adjacency of stratum {s.id} to {c.id} undecided ({r.reason})")
        return True
    return r.status == smt.SAT
