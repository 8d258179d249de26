"""Branch tree -> cells -> strata, with exact samples, dimensions and adjacency.

theory §1-2. Walk the DAG in topological order; every nonsmooth node, once the
branches below it are fixed, has polynomial arguments, and branching on its
primitive's :class:`~semialg.core.primitives.Branch` es (sign conditions) gives a
*branch tree* whose leaves are the cells. Each leaf becomes a :class:`Stratum`:
conditions, dimension (exact rank; nonlinear rank drops are split or reported as
unknown), an exact sample point, the branch label of every nonsmooth node and
the polynomial piece ``f_S``.

Three exact engines, chosen per program (``Options.method="auto"``):

* a *global hyperplane arrangement* (every kink linear and independent of the
  other nodes' branches: one ReLU layer, ``abs(x) + abs(y)``, a box domain):
  the faces are enumerated directly with integer arithmetic, no solver, and
  the closure relation is the face order (:mod:`semialg.stratification.fastpath`,
  :mod:`semialg.stratification.arrangement`);
* otherwise the branch tree (:mod:`semialg.stratification.branch_tree`): linear cells carry
  the double description of their closure and decide every branch by signs at
  generators (:mod:`semialg.stratification.polyhedra`); nonlinear cells use witness points
  and z3's nlsat (:mod:`semialg.stratification.nonlinear`, :mod:`semialg.smt`).

>>> from semialg.frontends.text import parse
>>> s = stratify(parse("relu(x)"))
>>> [(t.dim, t.condition_text()) for t in s.strata]
[(1, ['x < 0']), (0, ['x = 0']), (1, ['x > 0'])]
>>> len(stratify(parse("relu(relu(x) - 1)")).strata)
5
>>> s.locate((Fraction(0),)).id
1
"""
from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Sequence

from semialg.core.budget import Deadline
from semialg.core.collector import fewer_collections
from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.errors import InputError
from semialg.core.poly import Poly
from semialg.frontends.coerce import as_program
from semialg.frontends.domains import Box
from semialg.frontends.lift import lift
from semialg.stratification import nonlinear, prefetch, subtrees
from semialg.stratification.adjacency import adjacency
from semialg.stratification.branch_tree import Options, Walker
from semialg.stratification.cells import (
    SIGN_TEXT,
    Condition,
    StratifyError,
    branch_dependencies,
    evaluate_memoized,
    evaluate_with_labels,
    exact_sign,
    is_branching,
    normalize,
    point_sympy,
)
from semialg.stratification.fastpath import plan_global, run_global
from semialg.stratification.frontier import Frontier, split_leaves
from semialg.stratification.in_box import in_box

if TYPE_CHECKING:   # networkx is loaded only when a graph is asked for
    import networkx as nx

__all__ = ["Options", "Stratum", "Stratification", "StratifyError", "stratify", "exact_sign", "normalize",
           "is_branching"]



@dataclass(frozen=True, repr=False)
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
    shown: int | None = field(repr=False, default=None)   # conditions of its own; the rest: a box's bounds

    @functools.cached_property
    def linear(self) -> bool:
        """Are all its conditions linear? (Asked many times per stratum by the checks: computed once.)"""
        return all(p.is_linear for p, _ in self.conditions)

    @property
    def rational(self) -> bool:
        return all(isinstance(v, Fraction) for v in self.sample)

    @property
    def equalities(self) -> tuple[Poly, ...]:
        return tuple(p for p, s in self.conditions if s == 0)

    def sample_float(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.sample)

    def __getattr__(self, name: str):
        """A stratum of a global arrangement keeps its ``labels`` and ``conditions`` as a branch
        code and rebuilds them here, on each access (:class:`~semialg.stratification.fastpath.BranchCodes`)."""
        if name in ("labels", "conditions"):
            state = self.__dict__
            if "_code" in state:
                return getattr(state["_table"], name)(state["_code"])
        raise AttributeError(f"'Stratum' object has no attribute '{name}'")

    def __repr__(self) -> str:
        sample = ", ".join(str(v) for v in self.sample)
        return f"<Stratum {self.id}, dim {self.dim}: {' and '.join(self.condition_text())}; sample ({sample})>"

    def condition_text(self) -> list[str]:
        """Conditions as text, e.g. ``['x + y > 0', 'x = 0']``."""
        own = self.conditions if self.shown is None else self.conditions[:self.shown]
        return [f"{p.to_str(self.names)} {SIGN_TEXT[s]} 0" for p, s in own] or ["true"]

    def contains(self, point: Sequence) -> bool:
        """Exact membership of a point (Fractions or sympy numbers).

        >>> from semialg.frontends.text import parse
        >>> stratify(parse("abs(x)")).strata[1].contains([0]), stratify(parse("abs(x)")).strata[1].contains([1])
        (True, False)
        """
        point = point_sympy(point)
        return all(exact_sign(p.eval(point)) == s for p, s in self.conditions)


@dataclass(frozen=True, repr=False)
class Stratification:
    """All strata of a program, their closure relation and how they were found.

    ``above[i]``: ids of the strata whose closure contains stratum ``i`` (its
    neighbours above). ``complete`` is False when a solver answer was unknown;
    ``reasons`` says where. ``stats["method"]`` names the engine used.
    """

    program: Program
    branch_nodes: tuple[Node, ...]
    strata: tuple[Stratum, ...]
    above: tuple[tuple[int, ...], ...]
    complete: bool
    reasons: tuple[str, ...]
    stats: dict
    tree: object = field(repr=False, default=None)   # a locator: .locate(point) -> stratum id | None
    in_domain: tuple[bool, ...] | None = None        # with an unpruned domain: which strata lie in it
    _walks: dict = field(repr=False, compare=False, default_factory=dict)    # roots -> (order, deps)
    _values: dict = field(repr=False, compare=False, default_factory=dict)   # (node, labels below) -> value
    domain: object = field(repr=False, compare=False, default=None)   # a Box, or the Restriction (Segment/Plane)
    undefined: tuple = ()   # cells where the program has no value: (conditions, sample, labels)

    def __getstate__(self) -> dict:
        """Pickled without its caches, which are keyed by node identity (a Dask worker rebuilds them)."""
        state = dict(self.__dict__)
        state["_walks"], state["_values"] = {}, {}
        return state

    @property
    def n(self) -> int:
        """The number of variables of the polynomials (a lifted program's auxiliary ones included)."""
        return self.program.n_inputs

    @property
    def full_dim(self) -> int:
        """The dimension of the input space (the user's variables: a lifted program's cells are graphs over it)."""
        lifting = self.program.lifting
        return self.n if lifting is None else lifting.n_user

    def graph(self, hasse: bool = False) -> nx.DiGraph:
        """The closure graph: an edge S -> C when S lies in the closure of C; with
        ``hasse=True`` only the covering edges (its transitive reduction, the Hasse diagram).

        >>> from semialg.frontends.text import parse
        >>> g = stratify(parse("relu(x)")).graph()
        >>> sorted(g.edges), g.nodes[1]["dim"]
        ([(1, 0), (1, 2)], 0)
        >>> s = stratify(parse("abs(x) + abs(y)"))
        >>> len(s.graph().edges), len(s.graph(hasse=True).edges)
        (16, 12)
        """
        import networkx as nx  # here, not at module level: it costs 0.1-0.2 s at start-up
        g = nx.DiGraph()
        for s in self.strata:
            g.add_node(s.id, dim=s.dim)
        for s in self.strata:
            for c in self.above[s.id]:
                g.add_edge(s.id, c)
        if hasse:
            h = nx.transitive_reduction(g)
            h.add_nodes_from(g.nodes(data=True))
            return h
        return g

    def locate(self, point: Sequence) -> Stratum:
        """The stratum containing a rational point (exact).

        Raises :class:`~semialg.core.errors.InputError` outside the domain.
        """
        point = tuple(Fraction(v) for v in point)
        if len(point) != self.n:
            raise InputError(f"the point has {len(point)} coordinates; the program has {self.n} variables")
        found = self.tree.locate(point)
        if found is None:
            raise InputError("the point is outside the domain of the stratification")
        return self.strata[found]

    def __repr__(self) -> str:
        return (f"<Stratification of {self.program.to_text()}: {len(self.strata)} strata "
                f"({self.stats.get('method')}){'' if self.complete else ', incomplete'}>")

    def to_json(self) -> list[dict]:
        """The strata as the JSON objects of ``semialg strata --json`` (exact strings)."""
        from semialg.stratification.render import strata_json
        out = strata_json(self)
        to_original = getattr(self.domain, "to_original", None)
        if to_original is not None:   # a segment or plane: samples also in the original coordinates
            from semialg.rules import fmt_exact
            for entry, s in zip(out, self.strata):
                entry["original"] = [fmt_exact(v) for v in to_original(s.sample)]
        return out

    def to_text(self) -> str:
        """The table ``semialg strata`` prints.

        >>> from semialg.frontends.text import parse
        >>> stratify(parse("relu(x)")).to_text().splitlines()[3].split()
        ['1', '0', '0', '0', 'x', '=', '0', '0,', '2']
        """
        from semialg.stratification.render import strata_text
        return strata_text(self)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self) if cycle else self.to_text())

    def _repr_html_(self) -> str:
        from semialg.stratification.render import html
        return html({"command": "strata", "function": self.program.to_text(),
                     "verdict": "computed" if self.complete else "unknown",
                     "reason": "; ".join(self.reasons) or f"{len(self.strata)} strata", "strata": self.to_json()})

    def asked(self) -> list[Stratum]:
        """The strata where the checks ask their questions: those inside the domain (all of them
        when the domain pruned the rest, or there is none).

        >>> from semialg.frontends.text import parse
        >>> d = parse("where(x >= 0, 1, 0)").outputs[0].args[0]
        >>> s = stratify(parse("relu(x)"), domain=d, prune_domain=False)
        >>> [t.condition_text() for t in s.asked()], len(s.strata)
        ([['x = 0'], ['x > 0']], 3)
        """
        if self.in_domain is None:
            return list(self.strata)
        return [s for s, inside in zip(self.strata, self.in_domain) if inside]

    def full_dimensional(self) -> list[Stratum]:
        return [s for s in self.strata if s.dim == self.full_dim]

    def label_of(self, stratum: Stratum, node: Node):
        return stratum.labels[self.branch_index[id(node)]]

    @property
    def branch_index(self) -> dict[int, int]:
        return {id(n): i for i, n in enumerate(self.branch_nodes)}

    def node_values(self, stratum: Stratum, roots: Sequence[Node] | None = None) -> dict[int, object]:
        """Value (Poly or bool) of every node on the stratum, keyed by ``id(node)``.

        Memoised across strata: a node's value depends only on the branches of the
        nodes below it, so a layer's linear kink arguments are built once, not per stratum.
        """
        labels = {id(n): lab for n, lab in zip(self.branch_nodes, stratum.labels)}
        roots = tuple(roots) if roots is not None else tuple(self.program.outputs)
        walk = self._walks.get(tuple(id(r) for r in roots))
        if walk is None:
            order = walk_postorder(roots)
            walk = self._walks[tuple(id(r) for r in roots)] = (order, branch_dependencies(order))
        order, deps = walk
        if any(d not in labels for node in order for d in deps[id(node)][-1:]):
            return evaluate_with_labels(order, self.program.inputs, labels)  # roots outside the stratification
        return evaluate_memoized(order, self.program.inputs, labels, deps, self._values)


def _stratum(id_, dim, code, table, sample, piece, names) -> Stratum:
    """A Stratum of the arrangement engine without the frozen dataclass's per-field ``__setattr__``
    (thousands are made at once), its labels and conditions as a branch code (``Stratum.__getattr__``).
    Its conditions are the arrangement's hyperplanes, so ``linear`` is known and stored (the cached
    property's slot)."""
    s = object.__new__(Stratum)
    s.__dict__.update(id=id_, dim=dim, _code=code, _table=table, sample=sample, piece=piece,
                      names=names, reason="", linear=True)
    return s


# --------------------------------------------------------------------------- entry point
def stratify(program, options: Options | None = None, *, variables=None, data=None, **kwargs) -> Stratification:
    """Stratify ``program``: see :func:`_stratify_program` for the arguments (``data`` with
    ``variables`` the parameters: the mean over the data points, see
    :func:`~semialg.frontends.data.bind_data`).

    ``domain`` (keyword, or ``Options.domain``) may be a predicate node, a condition text, a
    :class:`~semialg.frontends.domains.Box` (its condition), or a ``Segment`` / ``Plane``: the
    program restricted to it is stratified (variables ``t`` or ``s, t``), and
    ``Stratification.domain`` holds the Restriction (``to_original`` maps samples back).

    >>> from semialg.frontends.text import parse
    >>> from semialg.frontends.domains import Segment
    >>> s = stratify(parse("relu(x - y)"), domain=Segment([0, 1], [2, 0]))
    >>> [t.sample for t in s.asked() if t.dim == 0], s.domain.to_original([Fraction(1, 3)])
    ([(Fraction(0, 1),), (Fraction(1, 3),), (Fraction(1, 1),)], (Fraction(2, 3), Fraction(2, 3)))
    """
    if data is not None:
        program, variables = as_program(program, variables, data), None
    domain = kwargs.get("domain") if options is None else options.domain
    if domain is None or isinstance(domain, Node):
        return _stratify_program(program, options, variables=variables, **kwargs)
    from semialg.frontends.restrict import localize
    from semialg.frontends.text import parse
    program, condition, local = localize(as_program(program, variables), domain)
    node = parse(f"where({condition}, 1, 0)", list(program.inputs)).outputs[0].args[0] if condition else None
    options = Options(**dict(kwargs, domain=node)) if options is None else replace(options, domain=node)
    strat = _stratify_program(program, options)
    if isinstance(local, Box):
        return in_box(strat, local, options.timeout_ms, options.deadline)
    return strat if local is None else replace(strat, domain=local)


@fewer_collections()
def _stratify_program(program, options: Options | None = None, *, variables=None, **kwargs) -> Stratification:
    """Stratify ``program`` (text, a Program, a builder expression, sympy, or a list of them):
    every cell of its branch tree, as strata with adjacency.

    Other keyword arguments build an :class:`Options` (``time_limit=`` seconds for the whole
    stratification: past it :class:`~semialg.core.budget.TimeLimitReached` is raised, its message
    the phase and the strata found so far; there is no partial stratification to return).

    >>> from semialg.frontends.text import parse
    >>> s = stratify(parse("abs(x) + abs(y)"))
    >>> sorted(t.dim for t in s.strata), s.stats["method"]
    ([0, 1, 1, 1, 1, 2, 2, 2, 2], 'arrangement')
    >>> origin = [t for t in s.strata if t.dim == 0][0]
    >>> len(s.above[origin.id])
    8
    >>> stratify(parse("abs(x) + abs(y)"), method="tree").above == s.above
    True
    """
    options = options or Options(**kwargs)
    program = lift(as_program(program, variables), tuple(options.extra_roots) + (options.domain,))
    if program.lifting is not None and (options.extra_roots or options.domain is not None):
        node_of = program.lifting.node_of   # the field and the domain share the program's auxiliary variables
        options = replace(options, extra_roots=tuple(node_of(e) for e in options.extra_roots),
                          domain=node_of(options.domain) if options.domain is not None else None)
    if options.deadline is None and options.time_limit is not None:
        options = replace(options, deadline=Deadline.of(options.time_limit))
    if options.method not in ("auto", "tree", "smt"):
        raise InputError(f"unknown stratification method '{options.method}'; use auto, tree or smt")
    t0 = time.perf_counter()
    n = program.n_inputs
    names = tuple(program.inputs)
    roots = ([options.domain] if options.domain is not None else []) + list(program.outputs) + list(options.extra_roots)
    plan = plan_global(roots, n, program.inputs) if options.method == "auto" and program.lifting is None else None
    if plan is not None:
        res = run_global(plan, n, program.inputs, program.outputs, options.domain, options.max_strata,
                         options.progress, options.prune_domain, options.deadline)
        faces = res.faces.faces
        strata = tuple(_stratum(k, faces[f].dim, res.codes[k], res.table, faces[f].point(), res.pieces[k], names)
                       for k, f in enumerate(res.face_ids))
        t1 = time.perf_counter()
        up = res.faces.closure_above()
        sof = res.locator.stratum_of_face
        above = tuple(tuple(sorted(sof[c] for c in up[f] if c in sof)) for f in res.face_ids)
        t2 = time.perf_counter()
        stats = {"method": "arrangement", "solver_calls": 0, "solver_seconds": 0.0, "hyperplanes": len(plan.planes),
                 "faces": len(faces), "seconds_faces": res.seconds_faces, "seconds_cells": t1 - t0,
                 "seconds_adjacency": t2 - t1}
        if options.progress is not None and t2 - t0 > 1.0:
            options.progress(len(strata), t2 - t0)
        return _mark_domain(Stratification(program, tuple(plan.order[p.pos] for p in plan.nodes), strata, above,
                                           True, (), stats, res.locator), options)
    pmap = options.parallel_map   # solver questions and subtrees handed to other processes (prefetch, subtrees)
    if pmap and subtrees.splittable(program, options):
        walker = subtrees.walk(program, options, pmap)
    else:
        walker = Walker(program, options)
        walker.run()
    free = program.lifting.free if program.lifting is not None else 0   # reciprocals: free along every cell
    known = prefetch.dimensions(walker.leaves, n, options.query_ms(), walker.stats, pmap, options.deadline) if pmap else None
    leaves = nonlinear.refine(walker.leaves, walker.tree, n, options.timeout_ms, walker.stats, walker.reasons,
                              options.deadline, free, known)
    frontier = Frontier(n, options.timeout_ms, walker.stats, options.deadline, _root_degrees(program))
    frontier.n_user = program.lifting.n_user if program.lifting is not None else None
    if pmap:
        prefetch.frontier_answers(leaves, frontier, n, free, pmap, options.deadline)
    leaves = split_leaves(leaves, walker.tree, n, frontier, walker.stats, walker.reasons, free=free)
    strata = tuple(Stratum(i, leaf.dim, leaf.conds, leaf.sample, leaf.labels, leaf.piece, names, leaf.reason)
                   for i, leaf in enumerate(leaves))
    for i, leaf in enumerate(leaves):
        walker.tree.stratum[leaf.tree_node] = i
    t1 = time.perf_counter()
    strata, above, adj_reasons = adjacency(strata, leaves, walker.tree, n, options, walker.keys, frontier, free)
    t2 = time.perf_counter()
    strata = tuple(s if not s.reason else replace(s, reason=_named(s.reason, names)) for s in strata)
    untaken = _untaken_quotients(program, walker, strata)
    if untaken:
        adj_reasons = list(adj_reasons) + [untaken]

    reasons = tuple(dict.fromkeys(_named(r, names) for r in
                                  walker.reasons + adj_reasons + [s.reason for s in strata if s.dim is None]))
    stats = {"method": "tree" if options.method != "smt" else "smt", "solver_calls": walker.stats.calls,
             "solver_seconds": walker.stats.seconds, "tree_nodes": len(walker.tree.conds),
             "seconds_cells": t1 - t0, "seconds_adjacency": t2 - t1}
    return _mark_domain(Stratification(program, tuple(walker.order[i] for i in walker.branch_positions), strata,
                                       above, not reasons, reasons, stats, walker.tree,
                                       undefined=tuple(walker.undefined)), options)


def _untaken_quotients(program, walker, strata) -> str:
    """A reason when the program is defined where a quotient's denominator vanishes (the branch of a
    ``where`` that is not taken): the reciprocal is unbounded there, so the lifted cells are not the
    graph of a continuous function up to those points, and closures there are not decided
    (``where(x > 0, x / y, 0)`` jumps at the origin)."""
    if program.lifting is None:
        return ""
    positions = [k for k, i in enumerate(walker.branch_positions) if walker.order[i].op == "inv"]
    hit = [t for t in strata if any(t.labels[k] == "zero" for k in positions)]
    if not hit:
        return ""
    return (f"the program is defined where a denominator vanishes (stratum {hit[0].id}, through the branch of a where "
            "that is not taken): the quotient is unbounded there, so the closure and continuity there are not decided")


def _root_degrees(program) -> dict:
    """A lifted program's root variables (index -> the degree q of its relation ``s**q = a``; -2 for
    a norm, whose argument is a sum of squares)."""
    lifting = program.lifting
    if lifting is None:
        return {}
    from semialg.core import primitives
    index = {name: i for i, name in enumerate(program.inputs)}
    out = {}
    for node in lifting.nodes:
        prim = primitives.REGISTRY[node.op]
        if node.op == "inv":
            continue
        s = index[node.args[len(node.args) - prim.n_aux].param]
        out[s] = -2 if node.op == "norm" else prim.exponent(node.param).denominator   # negative: a norm
    return out


_INTERNAL_NAME = re.compile(r"\bx(\d+)\b")


def _named(reason: str, names: Sequence[str]) -> str:
    """A reason written by the engines (variables ``x0, x1, ...``) in the program's own names.

    >>> _named("the equality x0**3 = 0 is singular", ("t",))
    'the equality t**3 = 0 is singular'
    """
    return _INTERNAL_NAME.sub(lambda m: names[int(m.group(1))] if int(m.group(1)) < len(names) else m.group(0), reason)


def _mark_domain(strat: Stratification, options: Options) -> Stratification:
    """Mark the strata inside an unpruned domain (the domain predicate is constant on each stratum:
    its comparisons are branch nodes)."""
    if options.domain is None or options.prune_domain:
        return strat
    inside = tuple(bool(strat.node_values(s, [options.domain])[id(options.domain)]) for s in strat.strata)
    return replace(strat, in_domain=inside)


