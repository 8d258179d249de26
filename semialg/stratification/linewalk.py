"""The exact walk of a piecewise-linear normal form along a segment (ExactLine, exactly).

On ``x(t) = a + t (b - a)``, ``0 <= t <= 1``, every kink argument of a normal form
(:mod:`semialg.frontends.normal_form`) is piecewise affine in ``t``, and it is affine between
consecutive breakpoints of the kinks *below* it. So the kinks are processed level by level: at
level ``L`` all arguments are affine on each interval between the breakpoints found so far;
their values at those breakpoints (exact integer matrix products, python-flint) locate every
crossing of a branch condition (relu: a zero of its argument; max: a tie; clip: a bound) by
exact linear interpolation inside an interval; the crossings become breakpoints, and the whole
network is evaluated exactly there (the interpolated argument must then be exactly 0: an
independent check of the interpolation). A breakpoint where no kink changes its branch (a tie
between two arguments of a max below its maximum) is dropped at the end.

All numbers at a breakpoint ``t_j = p_j / q_j`` of level ``L`` share the denominator
``E_L q_j`` (``E_L`` a per-level integer), so values are kept as integers and a layer is one
``fmpz_mat`` product, for 784-256-256 the difference between 0.1 s and 30 s.

The rule's derivative along the segment is an independent computation: forward mode through the
kinks with ``rule.partials(kink.node, label, nargs)`` on every open interval and at every
breakpoint (a kink whose argument is identically at the kink on an interval uses its kink label
there). A set-valued rule gives one column per vertex combination of the kinks that have several.
The chain rule holds along the segment iff on every interval every such tangent equals the exact
slope ``(f(t_{k+1}) - f(t_k)) / (t_{k+1} - t_k)``.

>>> from semialg.frontends.text import parse
>>> from semialg.rules import get_rule
>>> w = walk_segment(parse("relu(x - y) + abs(y - 1/2)"), [0, 1], [2, 0], get_rule("pytorch"))
>>> [str(t) for t in w.breakpoints], w.holds
(['0', '1/3', '1/2', '1'], True)
>>> [str(s[0]) for s in w.slopes]
['-1', '2', '4']
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm
from typing import Sequence

from semialg.core import primitives
from semialg.core.errors import InputError
from semialg.core.poly import Poly
from semialg.frontends.normal_form import NormalForm, normal_form

__all__ = ["LineWalk", "walk_segment", "walk_unit", "MAX_COMBINATIONS"]

MAX_COMBINATIONS = 64
"""At most this many vertex combinations of a set-valued rule per interval (beyond: no verdict)."""

_SIGN_LABEL = {-1: "neg", 0: "zero", 1: "pos"}
_UNARY = frozenset({"relu", "abs", "leaky_relu"})
_FIXED = {"hardtanh": (Fraction(-1), Fraction(1)), "relu6": (Fraction(0), Fraction(6))}


@dataclass(frozen=True)
class LineWalk:
    """The exact pieces of ``f`` along a segment and the rule's derivative on each.

    ``breakpoints``: ``0 = t_0 < ... < t_N = 1``; ``point_labels[k][j]`` / ``interval_labels[k][i]``:
    the branch of kink ``k`` at ``t_j`` / on ``(t_i, t_{i+1})``; ``values[j]``: the outputs at ``t_j``;
    ``slopes[i]``: their exact slopes on interval ``i``. With a rule: ``tangents[i]`` /
    ``point_tangents[j]``: the rule's derivative along the segment (one tuple per vertex
    combination, each with one entry per output); ``holds``: the chain rule along the segment
    (None: undecided, ``reason`` says why); ``witness``: the first failing interval
    (``{"interval", "t", "output", "slope", "tangent"}``).
    """

    normal_form: NormalForm
    breakpoints: tuple[Fraction, ...]
    point_labels: tuple[tuple, ...]
    interval_labels: tuple[tuple, ...]
    values: tuple[tuple[Fraction, ...], ...]
    slopes: tuple[tuple[Fraction, ...], ...]
    tangents: tuple | None = None
    point_tangents: tuple | None = None
    holds: bool | None = None
    reason: str = ""
    witness: dict | None = None
    set_valued: tuple[int, ...] = ()
    stats: dict = field(default_factory=dict)

    @property
    def pieces(self) -> int:
        """The number of open intervals (affine pieces with one branch pattern)."""
        return len(self.breakpoints) - 1

    def labels_on(self, interval: int) -> tuple:
        """The branch label of every kink on one open interval."""
        return tuple(labels[interval] for labels in self.interval_labels)

    def balance(self) -> dict:
        """``f(1) - f(0)`` against the sum of (first) rule tangent times length, per output, exactly."""
        m = len(self.values[0])
        delta = [self.values[-1][k] - self.values[0][k] for k in range(m)]
        if self.tangents is None:
            return {"f_b_minus_f_a": delta}
        lengths = [b - a for a, b in zip(self.breakpoints, self.breakpoints[1:])]
        total = [sum((tv[0][k] * h for tv, h in zip(self.tangents, lengths)), Fraction(0)) for k in range(m)]
        return {"f_b_minus_f_a": delta, "integral": total, "equal": delta == total}


def walk_segment(program, a: Sequence, b: Sequence, rule=None) -> LineWalk:
    """Walk ``program`` (a Program or a :class:`NormalForm`) along the segment from ``a`` to ``b``."""
    nf = program if isinstance(program, NormalForm) else normal_form(program)
    a = [Fraction(v) for v in a]
    b = [Fraction(v) for v in b]
    if a == b:
        raise InputError("the segment's start and end are the same point")
    return walk_unit(nf.restrict(a, [[q - p for p, q in zip(a, b)]], ("t",)), rule)


# --------------------------------------------------------------------------- the level structure
class _Rows:
    """The rows of one level (the arguments of its kinks, or the outputs), their coefficients on
    each lower level's kinks as an integer matrix ``c * den`` (built once, rescaled per use)."""

    def __init__(self, kinks: list[int], rows: list, owners: list[tuple[int, int]], level_of: list[int],
                 members: dict[int, list[int]]):
        self.kinks, self.rows, self.owners = kinks, rows, owners
        self.lower = sorted({level_of[k] for r in rows for k in r.kinks})
        self.den = lcm(1, *(r.const.denominator for r in rows), *(c.denominator for r in rows for c in r.inputs.values()))
        import flint  # imported where the integer matrices are built: only a line walk needs it
        self.first = {}
        for i, (k, _) in enumerate(owners):
            self.first.setdefault(k, i)
        self.blocks = {}
        for lv in self.lower:
            position = {k: i for i, k in enumerate(members[lv])}
            d = lcm(1, *(c.denominator for r in rows for k, c in r.kinks.items() if level_of[k] == lv))
            table = [[0] * len(members[lv]) for _ in rows]
            for i, r in enumerate(rows):
                row = table[i]
                for k, c in r.kinks.items():
                    if level_of[k] == lv:
                        row[position[k]] = c.numerator * (d // c.denominator)
            self.blocks[lv] = (d, flint.fmpz_mat(table))


class _Level:
    """A level's rows in integer units: values at ``t = p/q`` are ``N / (scale * q)`` (tangents:
    ``N / scale``), given the lower levels' outputs in units ``1 / (lower_scales[l] * q)``; ``scale``
    is the least common multiple that makes every coefficient an integer in these units."""

    def __init__(self, rows: _Rows, lower_scales: dict[int, int]):
        import flint
        self.source = rows
        self.kinks, self.rows, self.owners, self.lower, self.first = rows.kinks, rows.rows, rows.owners, rows.lower, rows.first
        scale = rows.den
        for lv in rows.lower:
            scale = lcm(scale, lower_scales[lv] * rows.blocks[lv][0])
        self.scale = scale
        self.affine = flint.fmpz_mat([[int(r.const * scale), int(r.inputs.get(0, 0) * scale)] for r in rows.rows]) \
            if rows.rows else None
        self.blocks = {lv: mat * (scale // (lower_scales[lv] * d)) for lv, (d, mat) in rows.blocks.items()}


def _int_rows(mat, nrows: int, ncols: int) -> list[list[int]]:
    flat = [int(v) for v in mat.entries()]
    return [flat[i * ncols:(i + 1) * ncols] for i in range(nrows)]


def _matrix(rows: list[list[int]], ncols: int):
    import flint
    return flint.fmpz_mat(len(rows), ncols, [v for row in rows for v in row])


def _combine_rows(level: _Level, lower_values: dict, base_cols: list[list[int]], ncols: int) -> list[list[int]]:
    """``affine @ base_cols + sum_l block_l @ lower_l`` as integer rows (all in one level's units)."""
    if not level.rows:
        return []
    total = level.affine * _matrix(base_cols, ncols)
    for lv in level.lower:
        total = total + level.blocks[lv] * _matrix(lower_values[lv], ncols)
    return _int_rows(total, len(level.rows), ncols)


# --------------------------------------------------------------------------- kink semantics on integers
def _kink_outputs(nf: NormalForm, level: _Level, out_scale: int, rows: list[list[int]], qs: list[int]) -> list[list[int]]:
    """Each kink's output in units of ``1 / (out_scale * q)`` from its argument rows (units ``1/(scale q)``)."""
    mult = out_scale // level.scale
    out = []
    for k in level.kinks:
        kink = nf.kinks[k]
        i0, op = level.first[k], kink.op
        v = rows[i0]
        if op == "relu":
            z = [x * mult if x > 0 else 0 for x in v]
        elif op == "abs":
            z = [abs(x) * mult for x in v]
        elif op == "leaky_relu":
            s = primitives.LeakyRelu.slope(kink.param) * mult
            sn, sd = s.numerator, s.denominator
            z = [x * mult if x >= 0 else x * sn // sd for x in v]
        elif op in _FIXED:
            lo, hi = _FIXED[op]
            lo_u, hi_u = int(lo * level.scale), int(hi * level.scale)
            z = [min(max(x, lo_u * q), hi_u * q) * mult for x, q in zip(v, qs)]
        elif op in ("clip", "clamp"):
            lo_row = rows[i0 + 1] if kink.param in (None, "lo") else None
            hi_row = rows[i0 + (2 if kink.param is None else 1)] if kink.param in (None, "hi") else None
            z = []
            for j, x in enumerate(v):
                if lo_row is not None:
                    x = max(x, lo_row[j])
                if hi_row is not None:
                    x = min(x, hi_row[j])
                z.append(x * mult)
        else:
            args = rows[i0:i0 + len(kink.args)]
            if op == "max":
                z = [max(col) * mult for col in zip(*args)]
            elif op == "min":
                z = [min(col) * mult for col in zip(*args)]
            else:   # sort: the param-th smallest
                kth = kink.param or 0
                z = [sorted(col)[kth] * mult for col in zip(*args)]
        out.append(z)
    return out


def _conditions(nf: NormalForm, level: _Level, k: int, first: int):
    """The branch conditions of kink ``k``: ``(row, other row or None, constant threshold, essential)``;
    a condition's value is ``row - other`` or ``row - threshold``. Essential: its crossing always
    changes the kink's branch (ties of max/min/sort may not)."""
    kink = nf.kinks[k]
    op, n = kink.op, len(kink.args)
    if op in _UNARY:
        return [(first, None, Fraction(0), True)]
    if op in _FIXED:
        lo, hi = _FIXED[op]
        return [(first, None, lo, True), (first, None, hi, True)]
    if op in ("clip", "clamp"):
        return [(first, first + j, None, True) for j in range(1, n)]
    return [(first + i, first + j, None, False) for i in range(n) for j in range(i + 1, n)]


def _condition_values(cond, rows: list[list[int]], scale: int, qs: list[int]) -> list[int]:
    r, other, threshold, _ = cond
    v = rows[r]
    if other is not None:
        w = rows[other]
        return [x - y for x, y in zip(v, w)]
    if not threshold:
        return v
    c = int(threshold * scale)
    return [x - c * q for x, q in zip(v, qs)]


def _signs(values: list[int]) -> list[int]:
    return [(x > 0) - (x < 0) for x in values]


_LABEL_CACHE: dict = {}


def _label(kink, signs: tuple):
    """The branch label of a kink from the signs of its conditions (cached: labels are shared objects)."""
    key = (kink.op, kink.param, len(kink.args), kink.args[1].const if kink.op in ("clip", "clamp") else None,
           kink.args[2].const if kink.op in ("clip", "clamp") and len(kink.args) > 2 else None, signs)
    hit = _LABEL_CACHE.get(key)
    if hit is not None:
        return hit
    op, n = kink.op, len(kink.args)
    if op in _UNARY:
        label = _SIGN_LABEL[signs[0]]
    elif op in ("max", "min", "sort"):
        pair = {}
        it = iter(signs)
        for i in range(n):
            for j in range(i + 1, n):
                s = next(it)
                pair[i, j], pair[j, i] = s, -s
        if op in ("max", "min"):
            want = 1 if op == "max" else -1
            label = frozenset(i for i in range(n) if all(pair[i, j] * want >= 0 for j in range(n) if j != i))
        else:
            kth = kink.param or 0
            lt = [sum(1 for j in range(n) if j != i and pair[j, i] < 0) for i in range(n)]
            eq = [1 + sum(1 for j in range(n) if j != i and pair[i, j] == 0) for i in range(n)]
            label = (frozenset(i for i in range(n) if lt[i] + eq[i] <= kth),
                     frozenset(i for i in range(n) if lt[i] <= kth < lt[i] + eq[i]))
    else:   # the clip family with constant bounds: a representative argument value with these signs
        bounds = list(_FIXED[op]) if op in _FIXED else [a.const for a in kink.args[1:]]
        candidates = bounds + [c + d for c in bounds for d in (-1, 1)] + [sum(bounds) / len(bounds)]
        x = next(c for c in candidates if tuple((c > b) - (c < b) for b in bounds) == signs)
        args = [x] + ([] if op in _FIXED else bounds)
        prim = primitives.REGISTRY[op]
        consts = [Poly.constant(0, v) for v in args]
        label = next(br.label for br in prim.branches(consts, kink.param)
                     if all((p.const_value > 0) - (p.const_value < 0) == s for p, s in br.conditions))
    _LABEL_CACHE[key] = label
    return label


# --------------------------------------------------------------------------- the walk
def walk_unit(nf: NormalForm, rule=None) -> LineWalk:
    """Walk a normal form of one input ``t`` over ``[0, 1]`` (see the module docstring)."""
    if len(nf.inputs) != 1:
        raise InputError(f"walk_unit needs a normal form of one variable, got {len(nf.inputs)}; restrict it first")
    started = time.process_time()
    level_of = [k.level for k in nf.kinks]
    depth = nf.depth
    members = {lv: [] for lv in range(depth)}
    for k, lv in enumerate(level_of):
        members[lv].append(k)
    levels, out_scales = [], {}
    for lv in range(depth):
        rows, owners = [], []
        for k in members[lv]:
            for pos, arg in enumerate(nf.kinks[k].args):
                rows.append(arg)
                owners.append((k, pos))
        level = _Level(_Rows(members[lv], rows, owners, level_of, members), out_scales)
        slope_dens = [primitives.LeakyRelu.slope(nf.kinks[k].param).denominator for k in members[lv]
                      if nf.kinks[k].op == "leaky_relu"]
        out_scales[lv] = level.scale * lcm(1, *slope_dens)
        levels.append(level)
    out_level = _Level(_Rows([], list(nf.outputs), [], level_of, members), out_scales)

    ts: list[Fraction] = []
    qs: list[int] = []
    vals = [[[] for _ in lev.rows] for lev in levels]
    outs = [[] for _ in nf.outputs]

    def evaluate(points: list[Fraction]) -> None:
        c = len(points)
        p = [t.numerator for t in points]
        q = [t.denominator for t in points]
        lower = {}
        for lv, lev in enumerate(levels):
            rows = _combine_rows(lev, lower, [q, p], c)
            lower[lv] = _kink_outputs(nf, lev, out_scales[lv], rows, q)
            for store, row in zip(vals[lv], rows):
                store.extend(row)
        for store, row in zip(outs, _combine_rows(out_level, lower, [q, p], c)):
            store.extend(row)
        ts.extend(points)
        qs.extend(q)

    evaluate([Fraction(0), Fraction(1)])
    essential = {Fraction(0), Fraction(1)}
    for lv, lev in enumerate(levels):
        order = sorted(range(len(ts)), key=ts.__getitem__)
        st, sq = [ts[j] for j in order], [qs[j] for j in order]
        rows = [[row[j] for j in order] for row in vals[lv]]
        found: dict[Fraction, tuple] = {}
        for k in lev.kinks:
            for cond in _conditions(nf, lev, k, lev.first[k]):
                w = _condition_values(cond, rows, lev.scale, sq)
                s = _signs(w)
                for i in [i for i, (x, y) in enumerate(zip(s, s[1:])) if x * y < 0]:
                    u0, u1 = Fraction(w[i], sq[i]), Fraction(w[i + 1], sq[i + 1])
                    root = st[i] + (st[i + 1] - st[i]) * u0 / (u0 - u1)
                    found.setdefault(root, cond)
                    if cond[3]:
                        essential.add(root)
        if found:
            start = len(ts)
            evaluate(list(found))
            for j, cond in enumerate(found.values(), start):   # exact evaluation confirms the interpolation
                col = [[row[j]] for row in vals[lv]]
                if _condition_values(cond, col, lev.scale, [qs[j]])[0] != 0:
                    raise AssertionError(f"a crossing at t = {ts[j]} is not a zero of its condition")
    order = sorted(range(len(ts)), key=ts.__getitem__)
    st = [ts[j] for j in order]

    # branch labels at the breakpoints and on the intervals
    point_labels, interval_labels = [None] * len(nf.kinks), [None] * len(nf.kinks)
    for lv, lev in enumerate(levels):
        sq = [qs[j] for j in order]
        rows = [[row[j] for j in order] for row in vals[lv]]
        for k in lev.kinks:
            kink = nf.kinks[k]
            signs = [_signs(_condition_values(c, rows, lev.scale, sq)) for c in _conditions(nf, lev, k, lev.first[k])]
            inner = [[a or b for a, b in zip(s, s[1:])] for s in signs]
            if kink.op in _UNARY:
                point_labels[k] = [_SIGN_LABEL[x] for x in signs[0]]
                interval_labels[k] = [_SIGN_LABEL[x] for x in inner[0]]
            else:
                point_labels[k] = [_label(kink, sig) for sig in zip(*signs)]
                interval_labels[k] = [_label(kink, sig) for sig in zip(*inner)]
    # drop breakpoints where no kink changes its branch (only ties of max/min/sort can do that)
    keep = [0]
    for j in range(1, len(st) - 1):
        if st[j] in essential or any(not (pl[j] == il[j - 1] == il[j]) for pl, il in zip(point_labels, interval_labels)):
            keep.append(j)
    keep.append(len(st) - 1)
    dropped = len(st) - len(keep)
    if dropped:
        point_labels = [[pl[j] for j in keep] for pl in point_labels]
        interval_labels = [[il[j] for j in keep[:-1]] for il in interval_labels]
    columns = [order[j] for j in keep]
    breakpoints = tuple(ts[c] for c in columns)
    values = tuple(tuple(Fraction(o[c], out_level.scale * qs[c]) for o in outs) for c in columns)
    slopes = tuple(tuple((b - a) / (t1 - t0) for a, b in zip(va, vb))
                   for va, vb, t0, t1 in zip(values, values[1:], breakpoints, breakpoints[1:]))
    stats = {"method": "linewalk", "kinks": len(nf.kinks), "levels": depth, "breakpoints": len(breakpoints),
             "pieces": len(breakpoints) - 1, "evaluated_points": len(ts), "dropped_breakpoints": dropped,
             "seconds_walk": time.process_time() - started}
    walk = LineWalk(nf, breakpoints, tuple(map(tuple, point_labels)), tuple(map(tuple, interval_labels)), values,
                    slopes, stats=stats)
    if rule is None:
        return walk
    return _with_rule(walk, nf, levels, out_level, level_of, members, rule)


def _with_rule(walk: LineWalk, nf: NormalForm, levels: list, out_level, level_of, members, rule) -> LineWalk:
    """The rule's tangent (forward mode through the kinks) on every cell: breakpoints and intervals."""
    from dataclasses import replace
    started = time.process_time()
    n_points = len(walk.breakpoints)
    n_cells = 2 * n_points - 1            # cell 2j: the breakpoint t_j; cell 2j + 1: the interval after it
    cell_labels = []
    for pl, il in zip(walk.point_labels, walk.interval_labels):
        labels = [None] * n_cells
        labels[0::2], labels[1::2] = pl, il
        cell_labels.append(labels)
    partials: dict = {}

    def vertices(k: int, label) -> tuple:
        kink = nf.kinks[k]
        key = (kink.op, kink.param, len(kink.args), label)
        hit = partials.get(key)
        if hit is None:
            hit = partials[key] = tuple(tuple(Fraction(w) for w in v)
                                        for v in rule.partials(kink.node, label, len(kink.args)))
        return hit

    try:
        kink_vertices = [{lab: vertices(k, lab) for lab in set(labels)} for k, labels in enumerate(cell_labels)]
    except (KeyError, NotImplementedError) as exc:
        return replace(walk, holds=None, reason=f"the rule gives no value at a kink: {exc}")
    # set-valued cells: one extra column per further vertex combination
    multi: dict[int, list[tuple[int, int]]] = {}
    for k, labels in enumerate(cell_labels):
        counts = kink_vertices[k]
        if any(len(v) > 1 for v in counts.values()):
            for c, lab in enumerate(labels):
                if len(counts[lab]) > 1:
                    multi.setdefault(c, []).append((k, len(counts[lab])))
    extra: list[tuple[int, dict]] = []
    undecided = []
    for c, kinks in sorted(multi.items()):
        total = 1
        for _, count in kinks:
            total *= count
        if total > MAX_COMBINATIONS:
            if c % 2:
                undecided.append(c // 2)
            continue
        for combo in itertools.islice(itertools.product(*(range(count) for _, count in kinks)), 1, None):
            extra.append((c, {k: i for (k, _), i in zip(kinks, combo)}))
    ncols = n_cells + len(extra)
    base = [[0] * ncols, [1] * ncols]
    lower, scales = {}, {}
    for lv, lev in enumerate(levels):
        tlev = _Level(lev.source, scales)
        grad = _combine_rows(tlev, lower, base, ncols)
        dens = [w.denominator for k in lev.kinks for vs in kink_vertices[k].values() for v in vs for w in v]
        weight_scale = lcm(1, *dens)
        out = []
        for k in lev.kinks:
            labels, table, i0 = cell_labels[k], kink_vertices[k], tlev.first[k]
            nargs = len(nf.kinks[k].args)
            ints = {lab: [[int(w * weight_scale) for w in v] for v in vs] for lab, vs in table.items()}
            if nargs == 1:
                g = grad[i0]
                first = {lab: vs[0][0] for lab, vs in ints.items()}
                z = [first[lab] * x for lab, x in zip(labels, g)]
            else:
                args = grad[i0:i0 + nargs]
                z = [sum(w * a[c] for w, a in zip(ints[lab][0], args)) for c, lab in enumerate(labels)]
            for col, (c, choice) in enumerate(extra, n_cells):
                w = ints[labels[c]][choice.get(k, 0)]
                z.append(sum(wi * grad[i0 + i][col] for i, wi in enumerate(w)))
            out.append(z)
        lower[lv], scales[lv] = out, tlev.scale * weight_scale
    tout = _Level(out_level.source, scales)
    grad = _combine_rows(tout, lower, base, ncols)
    per_column = [tuple(Fraction(g[col], tout.scale) for g in grad) for col in range(ncols)] if grad else \
        [() for _ in range(ncols)]
    sets: list[list[tuple]] = [[per_column[c]] for c in range(n_cells)]
    for col, (c, _) in enumerate(extra, n_cells):
        if per_column[col] not in sets[c]:
            sets[c].append(per_column[col])
    tangents = tuple(tuple(sets[c]) for c in range(1, n_cells, 2))
    point_tangents = tuple(tuple(sets[c]) for c in range(0, n_cells, 2))
    witness = None
    for i, (slope, vertices_i) in enumerate(zip(walk.slopes, tangents)):
        for vertex in vertices_i:
            bad = [k for k, (a, b) in enumerate(zip(vertex, slope)) if a != b]
            if bad:
                t0, t1 = walk.breakpoints[i], walk.breakpoints[i + 1]
                witness = {"interval": i, "t": (t0 + t1) / 2, "output": bad[0], "slope": slope[bad[0]],
                           "tangent": vertex[bad[0]], "vertex": vertex}
                break
        if witness is not None:
            break
    if witness is not None:
        holds, reason = False, (f"on ({walk.breakpoints[witness['interval']]}, {walk.breakpoints[witness['interval'] + 1]}) "
                                f"output {witness['output']} has slope {witness['slope']} but the rule gives "
                                f"{witness['tangent']}")
    elif undecided:
        holds, reason = None, (f"the rule is set-valued with more than {MAX_COMBINATIONS} vertex combinations on "
                               f"{len(undecided)} interval{'s' if len(undecided) != 1 else ''}")
    else:
        holds, reason = True, f"the rule's derivative equals the exact slope on all {walk.pieces} intervals"
    stats = dict(walk.stats, seconds_tangents=time.process_time() - started, columns=ncols)
    set_valued = tuple(sorted({c // 2 for c in multi if c % 2}))
    return replace(walk, tangents=tangents, point_tangents=point_tangents, holds=holds, reason=reason,
                   witness=witness, set_valued=set_valued, stats=stats)
