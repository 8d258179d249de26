"""Short descriptions of strata for wide programs: activation patterns, a legend of the kinks,
and sign conditions simplified exactly.

A stratum of a 48-ReLU network carries 48 sign conditions; printed in full a line runs to
over a thousand characters. Two shorter descriptions describe the same stratum:

* the **activation pattern** (:func:`activation_pattern`): one symbol per branch node of
  ``Stratification.branch_nodes``, in that order, naming the stratum's branch there. The
  alphabet:

  ======================================================  =======================================
  relu, abs, leaky_relu, sign, step, heaviside,            ``+`` argument > 0, ``0`` at the kink,
  floor/round (argument minus the jump), comparisons       ``-`` argument < 0
  ``a OP b`` (the sign of ``a - b``)
  max, min                                                 the index of the active argument
                                                           (``0``, ``1``, ...); ``=`` both arguments
                                                           of a 2-argument max/min tie; with more
                                                           arguments a tie is its indices, ``(0=2)``
  sort(...)[k]                                             the index of the k-th smallest argument
                                                           (ties as for max), then ``>`` and the
                                                           indices below it when k > 0: ``(2>0,1)``
  clip, clamp, hardtanh, relu6                             ``L`` below lo (clamped), ``l`` at lo,
                                                           ``i`` inside, ``h`` at hi, ``H`` above hi;
                                                           crossing bounds: the label, ``(at_both)``
  custom                                                   ``.`` (it does not branch)
  ======================================================  =======================================

  A symbol longer than one character is written in parentheses. The nodes are grouped by
  depth (the number of branch nodes on the longest path below a node: a network's layers); a
  new group starts at a node deeper than all before it, groups are separated by one space.
  :func:`kink_legend` names the nodes once, ``#k`` being the ``k``-th symbol, with lower kinks
  inside an argument written as ``#j``.

* the **simplified conditions** (:func:`simplify`, :func:`simplify_conditions`): the same set,
  described by fewer conditions. Linear equalities are solved exactly (Gauss-Jordan over the
  rationals) and substituted into the other conditions; conditions that become constant are
  dropped; a strict linear inequality is dropped when the others imply it. For the
  relatively open polyhedron ``P = {h_i > 0}`` (nonempty), ``P`` is the relative interior of
  its closure, and the irredundant inequalities of a full-dimensional polyhedron are exactly
  the facet-defining ones, one per facet (Schrijver, *Theory of Linear and Integer
  Programming*, Thm 8.1). The closure is computed by the double-description cone of
  :mod:`semialg.stratification.polyhedra`; ``h_i`` defines a facet iff the generators on
  ``h_i = 0`` together with the lineality space span a cone of dimension ``n`` (one less than
  the homogenized cone). Nonlinear conditions are kept (after the substitution), unless
  constant or repeated. The described set never changes.

>>> from semialg.frontends.text import parse
>>> from semialg.stratification import stratify
>>> s = stratify(parse("relu(x) + relu(relu(y) - 1)"))
>>> kink_legend(s)
['#0 relu(x)', '#1 relu(y)', '#2 relu(#1 - 1)']
>>> sorted({activation_pattern(s, t) for t in s.strata if t.dim == 2})
['++ +', '++ -', '+- -', '-+ +', '-+ -', '-- -']
>>> x = Poly.variables(1)[0]
>>> simplify_conditions([(x + 1, 0), (x - 1, -1)], ["x"])
['x = -1']
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm
from typing import Sequence

from semialg.core.dag import Node, _node_text, _PRECEDENCE
from semialg.core.errors import InputError
from semialg.core.poly import Poly
from semialg.stratification.cells import SIGN_TEXT, is_branching, normalize
from semialg.stratification.polyhedra import Cone

__all__ = ["activation_pattern", "branch_symbol", "kink_legend", "simplify", "simplify_conditions", "Simplified",
           "Describer", "MODES", "SHORT"]

MODES = ("auto", "full", "simplified", "pattern")
"""Values of ``--conditions``: ``auto`` picks simplified conditions when every row's are short
(at most :data:`SHORT` characters), else the activation pattern."""
SHORT = 80
"""The width (characters) up to which ``auto`` prints a stratum's simplified conditions."""

_SIGN_SYMBOL = {-1: "-", 0: "0", 1: "+", "neg": "-", "zero": "0", "pos": "+"}
_CLIP_SYMBOL = {"below": "L", "at_lo": "l", "mid": "i", "at_hi": "h", "above": "H"}


# --------------------------------------------------------------------------- activation patterns
def branch_symbol(node: Node, label) -> str:
    """The pattern symbol of one branch (see the module docstring); longer ones in parentheses.

    >>> branch_symbol(Node.make("relu", (Node.var("x"),)), "zero")
    '0'
    >>> branch_symbol(Node.make("max", (Node.var("x"), Node.var("y"), Node.var("z"))), frozenset({0, 2}))
    '(0=2)'
    """
    if node.op == "sort" and isinstance(label, tuple) and len(label) == 2:
        below, tied = label
        text = "=".join(map(str, sorted(tied))) + (">" + ",".join(map(str, sorted(below))) if below else "")
    elif isinstance(label, frozenset):
        text = "=" if len(label) == 2 == len(node.args) else "=".join(map(str, sorted(label)))
    elif node.op in ("clip", "clamp", "hardtanh", "relu6") and label in _CLIP_SYMBOL:
        text = _CLIP_SYMBOL[label]
    elif node.op == "custom":
        text = "."
    elif isinstance(label, (int, str)) and not isinstance(label, bool) and label in _SIGN_SYMBOL:
        text = _SIGN_SYMBOL[label]
    else:
        text = str(label)
    return text if len(text) == 1 else f"({text})"


_LAYOUTS: dict[int, tuple] = {}


def _groups(branch_nodes: tuple) -> tuple[int, ...]:
    """For each branch node, the index of its group: a new group starts at a node deeper than
    every node before it, depth(v) = max over arguments a of depth(a) + [a branches] (a network's
    layer). The branch tree orders its nodes topologically, so a layer is one group, or a group
    holds a node of a lower layer that the order placed later."""
    hit = _LAYOUTS.get(id(branch_nodes))
    if hit is not None and hit[0] is branch_nodes:
        return hit[1]
    from semialg.core.dag import walk_postorder
    depth: dict[int, int] = {}
    for node in walk_postorder(list(branch_nodes)):
        depth[id(node)] = max((depth[id(a)] + (1 if is_branching(a) else 0) for a in node.args), default=0)
    groups, current, deepest = [], -1, -1
    for node in branch_nodes:
        d = depth[id(node)]
        if d > deepest:
            current, deepest = current + 1, d
        groups.append(current)
    if len(_LAYOUTS) > 64:
        _LAYOUTS.clear()
    _LAYOUTS[id(branch_nodes)] = (branch_nodes, tuple(groups))   # keeps the tuple alive: its id stays unique
    return tuple(groups)


def activation_pattern(strat, stratum) -> str:
    """The stratum's branches as one symbol per branch node, grouped by depth (module docstring).

    >>> from semialg.frontends.text import parse
    >>> from semialg.stratification import stratify
    >>> [activation_pattern(s, t) for s in [stratify(parse("relu(x)"))] for t in s.strata]
    ['-', '0', '+']
    """
    groups = _groups(tuple(strat.branch_nodes))
    out, previous = [], None
    for node, label, group in zip(strat.branch_nodes, stratum.labels, groups):
        if previous is not None and group != previous:
            out.append(" ")
        out.append(branch_symbol(node, label))
        previous = group
    return "".join(out)


def kink_legend(strat) -> list[str]:
    """One line per branch node: ``#k``, the primitive and its arguments in the program's variable
    names, a lower branch node inside an argument written ``#j``.

    >>> from semialg.frontends.text import parse
    >>> from semialg.stratification import stratify
    >>> kink_legend(stratify(parse("max(x, y) + abs(x - 1)")))
    ['#0 max(x, y)', '#1 abs(x - 1)']
    """
    index = {id(n): k for k, n in enumerate(strat.branch_nodes)}
    memo: dict[int, tuple[str, int]] = {}

    def text_of(root: Node) -> tuple[str, int]:
        # postorder that stops at branch nodes below the root (they are named #j) and at known nodes
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in memo:
                continue
            if node is not root and id(node) in index:
                memo[id(node)] = (f"#{index[id(node)]}", _PRECEDENCE["atom"])
                continue
            if expanded:
                memo[id(node)] = _node_text(node, [memo[id(a)] for a in node.args], text_of)
                continue
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in memo)
        return memo[id(root)]

    lines = []
    for k, node in enumerate(strat.branch_nodes):
        text, _ = _node_text(node, [text_of(a) if id(a) not in index else (f"#{index[id(a)]}", _PRECEDENCE["atom"])
                                    for a in node.args], text_of)
        lines.append(f"#{k} {text}")
    return lines


# --------------------------------------------------------------------------- exact simplification
@dataclass(frozen=True)
class Simplified:
    """The same set as the original conditions: ``x_j = solved[j]`` for the solved variables (in
    terms of the others), and ``conditions`` (pairs ``(Poly, sign)``) on the remaining variables.
    ``empty``: the conditions are inconsistent (the set is empty)."""

    nvars: int
    solved: tuple[tuple[int, Poly], ...]
    conditions: tuple[tuple[Poly, int], ...]
    empty: bool = False

    def contains(self, point: Sequence) -> bool:
        """Exact membership of a rational point."""
        if self.empty:
            return False
        return (all(point[j] == value.eval(point) for j, value in self.solved)
                and all(_sign(p.eval(point)) == s for p, s in self.conditions))

    def text(self, names: Sequence[str]) -> list[str]:
        """The conditions as text: ``x = -1``, ``0 < y < 1``, ``x + 2*y > 1``, ``x**2 + y**2 < 4``."""
        if self.empty:
            return ["false"]
        out = [f"{names[j]} = {value.to_str(names)}" for j, value in self.solved]
        bounds: dict[int, list] = {}
        rest = []
        for p, s in self.conditions:
            used = p.variables_used()
            if p.is_linear and len(used) == 1 and s != 0:
                (j,) = used
                a = p.linear_coeffs()[j]
                value, upper = -p.const_value / a, (s * a < 0)     # a x + c s 0  <=>  x < or > -c/a
                slot = bounds.setdefault(j, [None, None])
                if slot[1 if upper else 0] is not None:        # a second bound of one side: as it is
                    rest.append((p, s))
                    continue
                slot[1 if upper else 0] = value
                if slot[1 - (1 if upper else 0)] is None:
                    rest.append(j)
            else:
                rest.append((p, s))
        for item in rest:
            if isinstance(item, int):
                lo, hi = bounds[item]
                name = names[item]
                out.append(f"{_fmt(lo)} < {name} < {_fmt(hi)}" if lo is not None and hi is not None
                           else f"{name} > {_fmt(lo)}" if lo is not None else f"{name} < {_fmt(hi)}")
            else:
                out.append(_inequality_text(*item, names))
        return out or ["true"]


def _sign(v) -> int:
    return (v > 0) - (v < 0)


def _fmt(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def _inequality_text(p: Poly, s: int, names: Sequence[str]) -> str:
    """``p s 0`` with the constant moved to the right; a linear one with coprime integer
    coefficients and a positive first coefficient."""
    if p.is_linear:
        q, s = normalize(p, s)
        p = q
    c = p.const_value
    lhs = (p - c) if c else p
    return f"{lhs.to_str(names)} {SIGN_TEXT[s]} {_fmt(-c)}"


_VECTORS: dict = {}


def _integer_vector(p: Poly) -> tuple[int, ...]:
    """A linear polynomial as the coprime integers ``(c, a_1..a_n)`` of a positive multiple
    (the same sign everywhere); memoised, strata share their kinks."""
    hit = _VECTORS.get((p.nvars, p))      # zero polynomials in different numbers of variables are equal
    if hit is None:
        coeffs = (p.const_value,) + p.linear_coeffs()
        scale = lcm(*(v.denominator for v in coeffs))
        hit = _primitive_vector([int(v * scale) for v in coeffs])
        if len(_VECTORS) > 100_000:
            _VECTORS.clear()
        _VECTORS[p.nvars, p] = hit
    return hit


def _primitive_vector(vec) -> tuple[int, ...]:
    g = 0
    for v in vec:
        g = gcd(g, v)
    return tuple(v // g for v in vec) if g > 1 else tuple(vec)


SMALL_RANK = 16      # entries up to which the rank is taken by exact elimination here, not by flint


def _rank(rows: list[tuple[int, ...]]) -> int:
    """The rank of an integer matrix: fraction-free elimination for small ones (no flint import
    for the start-up of a small question), python-flint's ``fmpz_mat`` beyond.

    >>> _rank([(1, 2), (2, 4)]), _rank([(0, 1, 0), (1, 0, 0), (1, 1, 0)]), _rank([(0, 0)])
    (1, 2, 0)
    """
    if not rows:
        return 0
    if len(rows) * len(rows[0]) > SMALL_RANK:
        import flint
        return flint.fmpz_mat([list(r) for r in rows]).rank()
    work = [list(r) for r in rows]
    rank, ncols = 0, len(work[0])
    for col in range(ncols):
        pivot = next((i for i in range(rank, len(work)) if work[i][col]), None)
        if pivot is None:
            continue
        work[rank], work[pivot] = work[pivot], work[rank]
        p = work[rank]
        for i in range(rank + 1, len(work)):
            if work[i][col]:
                f = work[i][col]
                work[i] = [p[col] * a - f * b for a, b in zip(work[i], p)]
        rank += 1
    return rank


def _eliminate(h: tuple, e: tuple, j: int) -> tuple:
    """``h`` minus the multiple of the equality ``e`` that clears coordinate ``j``, scaled by a
    positive factor (so an inequality keeps its direction)."""
    a, b = e[j], h[j]
    if not b:
        return h
    if a < 0:
        a, e = -a, tuple(-v for v in e)
    return _primitive_vector([a * hv - b * ev for hv, ev in zip(h, e)])


def _oriented(h: tuple, s: int) -> tuple[tuple, int]:
    """The same condition with the first nonzero coefficient of ``x`` positive (a key for repeats)."""
    lead = next((v for v in h[1:] if v), 0)
    return (h, s) if lead > 0 else (tuple(-v for v in h), -s)


def simplify(conditions: Sequence[tuple[Poly, int]], nvars: int | None = None) -> Simplified:
    """The conditions ``sign(p) = s`` simplified exactly (module docstring): the same set.

    >>> x, y = Poly.variables(2)
    >>> r = simplify([(x + y, 0), (x - 1, 1), (x + 2, 1), (y - 3, -1)])
    >>> r.text(["x", "y"])
    ['x = -y', 'y < -1']
    """
    conditions = list(conditions)
    n = nvars if nvars is not None else (conditions[0][0].nvars if conditions else 0)
    empty = Simplified(n, (), (), True)
    equalities, inequalities, nonlinear = [], [], []
    for p, s in conditions:
        if not isinstance(p, Poly) or s not in (-1, 0, 1) or p.nvars != n:
            raise InputError(f"simplify expects pairs (Poly in {n} variables, sign -1/0/1), got ({p!r}, {s!r})")
        if not p.is_linear:
            nonlinear.append((p, s))
        elif s == 0:
            equalities.append(_integer_vector(p))
        else:
            inequalities.append((_integer_vector(p), s))
    # Gauss-Jordan on the equalities, carried into the inequalities: the same set, since on
    # {e = 0} the condition h s 0 is (a h - b e) s 0 for a > 0.
    pivots: list[tuple[int, tuple]] = []
    for e in equalities:
        for j, row in pivots:
            e = _eliminate(e, row, j)
        col = next((k for k in range(1, n + 1) if e[k]), None)
        if col is None:
            if e[0]:
                return empty
            continue
        pivots = [(j, _eliminate(row, e, col)) for j, row in pivots] + [(col, e)]
    kept: dict = {}
    for h, s in inequalities:
        for j, row in pivots:
            h = _eliminate(h, row, j)
        if not any(h[1:]):
            if _sign(h[0]) != s:
                return empty
            continue
        key, ks = _oriented(h, s)
        if kept.setdefault(key, ks) != ks:
            return empty
    solved = {j - 1: Poly.linear([Fraction(-row[k], row[j]) if k != j else 0 for k in range(1, n + 1)],
                                 Fraction(-row[0], row[j])) for j, row in pivots}
    images = [solved.get(j, Poly.variable(n, j)) for j in range(n)]
    others = []
    for p, s in nonlinear:
        q = p.compose(images) if solved else p
        if q.is_const:
            if _sign(q.const_value) != s:
                return empty
            continue
        if q.is_linear and s != 0:
            key, ks = _oriented(_integer_vector(q), s)
            if kept.setdefault(key, ks) != ks:
                return empty
            continue
        others.append((q, s))
    linear = list(kept.items())
    facets = []
    if linear:
        cone = Cone.whole_space(n)
        for h, s in linear:
            cone = cone.split(h)[s + 1]
            if cone is None:                  # the strict inequalities have no common point
                return empty
        # h defines a facet of the closure iff the generators with h = 0 and the lineality
        # space span n dimensions (the homogenized cone has dimension n + 1)
        lin = [tuple(v) for v in cone.lin]
        for h, s in linear:
            tight = [g for g in cone.gens if not sum(a * b for a, b in zip(h, g))]
            if tight and _rank(tight + lin) == n:
                facets.append((Poly.linear(h[1:], h[0]), s))
    seen = set()
    rest = []
    for q, s in others:                      # nonlinear conditions, repeats removed
        key = normalize(q, s)
        if key not in seen:
            seen.add(key)
            rest.append((q, s))
    return Simplified(n, tuple(sorted(solved.items())), tuple(facets) + tuple(rest))


def simplify_conditions(conditions: Sequence[tuple[Poly, int]], names: Sequence[str]) -> list[str]:
    """A stratum's sign conditions simplified exactly, as text in ``names`` (see :func:`simplify`).

    >>> x, y = Poly.variables(2)
    >>> simplify_conditions([(x, 1), (x - 1, -1), (x + y, 1), (x + 5, 1)], ["x", "y"])
    ['0 < x < 1', 'x + y > 0']
    """
    return simplify(conditions, len(names)).text(names)


# --------------------------------------------------------------------------- one choice per table
class Describer:
    """How a report describes its strata: ``full`` (every sign condition), ``simplified``, or
    ``pattern`` (with :meth:`legend` printed once); ``auto`` picks simplified when every stratum
    in ``strata`` has simplified conditions of at most :data:`SHORT` characters, else the
    pattern (when shorter).

    >>> from semialg.frontends.text import parse
    >>> from semialg.stratification import stratify
    >>> s = stratify(parse("relu(x - 1)"))
    >>> d = Describer(s, "auto", s.strata)
    >>> d.mode, [d.describe(t) for t in s.strata], d.legend()
    ('simplified', ['x < 1', 'x = 1', 'x > 1'], [])
    """

    def __init__(self, strat, mode: str = "auto", strata: Sequence = (), joiner: str = ", "):
        if mode not in MODES:
            raise InputError(f"--conditions {mode}: expected one of {', '.join(MODES)}")
        self.strat = strat
        self.joiner = joiner
        self.names = list(strat.program.inputs) if strat is not None else []
        self._simplified: dict[int, list[str]] = {}
        if mode == "pattern" and (strat is None or not strat.branch_nodes):
            mode = "simplified"
        if mode == "auto":
            mode = "simplified"
            longest = 0
            for s in strata:
                longest = max(longest, len(self.joiner.join(self.simplified(s))))
                if longest > SHORT:
                    break
            if longest > SHORT and strat is not None and strat.branch_nodes:
                widest = max(len(activation_pattern(strat, s)) for s in strata)
                if widest < longest:
                    mode = "pattern"
        self.mode = mode

    @property
    def header(self) -> str:
        return "pattern" if self.mode == "pattern" else "conditions"

    def simplified(self, stratum) -> list[str]:
        hit = self._simplified.get(id(stratum))
        if hit is None:
            names = self.names or list(stratum.names)
            hit = self._simplified[id(stratum)] = simplify(stratum.conditions, len(names)).text(names)
        return hit

    def describe(self, stratum) -> str:
        if self.mode == "full":
            return self.joiner.join(stratum.condition_text())
        if self.mode == "pattern":
            return activation_pattern(self.strat, stratum)
        return self.joiner.join(self.simplified(stratum))

    def legend(self, width: int = 120) -> list[str]:
        """The kink legend (pattern mode only), long entries wrapped at ``width`` characters."""
        if self.mode != "pattern":
            return []
        ops = {node.op for node in self.strat.branch_nodes}
        keys = [text for members, text in _LEGEND_KEYS if ops & members or (members == {"sign"} and ops - _NAMED)]
        lines = [f"pattern: one symbol per kink, in this order ({'; '.join(keys)}):"]
        for entry in kink_legend(self.strat):
            lines += _wrap("  " + entry, width)
        return lines + [""]


_LEGEND_KEYS = (({"sign"}, "+ 0 -: the sign of its argument"),
                ({"max", "min"}, "max/min: the index of the active argument, = a tie"),
                ({"sort"}, "sort: the k-th argument, > those below it"),
                ({"clip", "clamp", "hardtanh", "relu6"}, "clip: L below, l at lo, i inside, h at hi, H above"),
                ({"custom"}, ". custom"))
_NAMED = {"max", "min", "sort", "clip", "clamp", "hardtanh", "relu6", "custom"}


def _wrap(text: str, width: int) -> list[str]:
    """Break a long legend entry at spaces, continuation lines indented."""
    out = []
    while len(text) > width:
        cut = text.rfind(" ", 0, width)
        if cut <= 8:
            cut = width
        out.append(text[:cut])
        text = "      " + text[cut:].lstrip()
    out.append(text)
    return out
