"""Cells with nonlinear conditions: exact dimension, singular splits, closure tests.

theory §2. A cell ``{p_i = 0 (i in Z), p_j ≷ 0}`` is a manifold of dimension
``n - r`` when the gradients of a subset ``E`` of its equalities have constant
rank ``r = |E|`` on it and the other equalities lie in the ideal of ``E``.
Where the rank drops (or an equality is dependent) the cell is split on the
partial derivatives, one round at a time; what cannot be decided exactly is
reported as unknown (``dim = None`` with the reason), never guessed.

Closure (``S ⊂ closure(C)`` for a sample ``x`` of ``S``) is decided without a
quantifier when a certificate exists: a relaxed condition of ``C`` failing at
``x`` proves "no"; a segment ``x + t d`` that lies in ``C`` for all small
``t > 0`` proves "yes" (the lowest-order coefficient of each condition along the
segment has the right sign, and equalities vanish identically). Otherwise z3
answers ``∀ε>0 ∃y∈C: |y - x|² < ε``.

>>> from semialg.core.poly import Poly
>>> x, y = Poly.variables(2)
>>> dimension([(x * x + y * y - 1, 0)], 2, 10_000, smt.Stats())[:2]
(1, '')
>>> closure_by_segment((Fraction(1), Fraction(0)), [(x * x + y * y - 1, -1)])
True
"""
from __future__ import annotations

import itertools
from fractions import Fraction
from math import isqrt
from typing import Sequence

from semialg import smt
from semialg.core.poly import Poly, rank
from semialg.stratification.cells import Condition, exact_sign, factored, normalize, point_sympy, rationalize


def dimension(conds: Sequence[Condition], n: int, timeout_ms: int, stats: smt.Stats) -> tuple[int | None, str, list[Poly]]:
    """(dim, reason, split_polys) of a cell given by sign conditions."""
    eqs, splits = _squarefree_equalities(conds)
    if splits:
        names = [f"x{i}" for i in range(n)]
        return None, "an equality is a product of kinks: " + " * ".join(q.to_str(names) for q in splits), splits
    lin = [p for p in eqs if p.is_linear]
    nonlin = [p for p in eqs if not p.is_linear]
    chosen: list[Poly] = []
    for p in lin:  # independent linear equalities (redundant ones are implied: consistent cell)
        if rank([list(q.linear_coeffs()) for q in chosen + [p]]) > len(chosen):
            chosen.append(p)
    if not nonlin:
        return n - len(chosen), "", []
    leftover = []
    for p in nonlin:
        if len(chosen) == n:
            leftover.append(p)
            continue
        r = rank_drop(conds, chosen + [p], n, timeout_ms, stats)
        if r.status == smt.UNSAT:
            chosen.append(p)
        elif r.status == smt.UNKNOWN:
            return None, f"rank of the equalities could not be decided ({r.reason})", []
        else:
            leftover.append(p)
    if len(chosen) == n:
        return 0, "", []
    for p in leftover:
        if not in_ideal(p, chosen, n):
            splits = []
            for q in [p] + [c for c in chosen if not c.is_linear]:
                splits.extend(d for d in q.gradient() if not d.is_const)
            names = [f"x{i}" for i in range(n)]
            return None, f"the equality {p.to_str(names)} = 0 is singular or dependent on this cell", splits
    return n - len(chosen), "", []


def _squarefree_equalities(conds: Sequence[Condition]) -> tuple[list[Poly], list[Poly]]:
    """The equalities of a cell with each replaced by its irreducible factor (same zero set:
    ``x**3 = 0`` is ``x = 0``), and the factors to split on when an equality is a product of
    several (``x**2*y = 0`` is ``x = 0`` or ``y = 0``). An equality with a factor that the cell
    already sets to zero is implied and dropped.

    >>> x, y = Poly.variables(2)
    >>> _squarefree_equalities([(x ** 3, 0), (y, 1)])
    ([Poly(x0)], [])
    >>> _squarefree_equalities([(x * x * y, 0)])
    ([], [Poly(x0), Poly(x1)])
    >>> _squarefree_equalities([(x * x * y, 0), (x, 0)])
    ([Poly(x0)], [])
    """
    zero = {normalize(p, 0)[0] for p, s in conds if s == 0 and p.is_linear}
    eqs, splits = [], []
    for p, s in conds:
        if s != 0:
            continue
        if p.is_linear:
            eqs.append(p)
            continue
        factors = [q for q, _ in factored(p).factors]
        if any(q in zero for q in factors):
            continue
        fixed = {q for q, t in conds if t == 0}
        if len(factors) == 1:
            eqs.append(factors[0])
        elif any(q in fixed for q in factors):
            continue
        else:
            signs = {q: t for q, t in conds}
            splits.extend(q for q in factors if q not in signs)
            if not splits:  # every factor's sign is fixed and none is zero: cannot happen on a nonempty cell
                eqs.append(p)
    return list(dict.fromkeys(eqs)), list(dict.fromkeys(splits))


_GLOBAL_RANK: dict = {}


def rank_drop(conds: Sequence[Condition], eqs: Sequence[Poly], n: int, timeout_ms: int, stats: smt.Stats) -> smt.Result:
    """Do the gradients of ``eqs`` become dependent somewhere on the cell? First asked on the
    whole zero set of ``eqs`` (a weaker cell, so "never" there is "never" here; cached per
    equality set, since the same curve bounds many cells), then on the cell itself."""
    key = tuple(eqs)
    r = _GLOBAL_RANK.get(key)
    if r is None:
        r = smt.rank_drop([(e, 0) for e in eqs], list(eqs), n, timeout_ms, stats)
        if r.status != smt.UNKNOWN:
            if len(_GLOBAL_RANK) > 10_000:
                _GLOBAL_RANK.clear()
            _GLOBAL_RANK[key] = r
    if r.status == smt.UNSAT or all(s == 0 and p in key for p, s in conds):
        return r
    return smt.rank_drop(conds, list(eqs), n, timeout_ms, stats)


def in_ideal(p: Poly, gens: Sequence[Poly], n: int) -> bool:
    """Exact ideal membership via a Groebner basis (sympy)."""
    if not gens:
        return p.is_zero
    import sympy
    xs = sympy.symbols(f"x0:{n}")
    basis = sympy.groebner([g.to_sympy(xs) for g in gens], *xs, order="grevlex", domain="QQ")
    return basis.contains(p.to_sympy(xs))


def refine(leaves: list, tree, n: int, timeout_ms: int, stats: smt.Stats, reasons: list, deadline=None,
           free: int = 0, known: dict | None = None) -> list:
    """Attach dimensions to leaves that lack one; split singular cells (two rounds at most).
    ``deadline`` (a :class:`~semialg.core.budget.Deadline`): checked on every cell, and each
    query gets at most the time remaining. ``free``: variables no condition mentions (a lifted
    program's reciprocals): every cell is a cylinder along them, so they are not counted.
    ``known``: dimensions asked ahead, by conditions (:mod:`~semialg.stratification.prefetch`)."""
    from semialg.stratification.branch_tree import Leaf
    out = []
    queue = [(leaf, 0) for leaf in leaves]
    while queue:
        leaf, depth = queue.pop(0)
        if leaf.dim is not None:   # from the cell's cone (linear conditions): the free variables counted
            leaf.dim -= free
            out.append(leaf)
            continue
        if deadline is not None:
            deadline.check("refine", len(out), len(out) + len(queue) + 1, unit="cells")
            timeout_ms = deadline.query_ms(timeout_ms)   # the remaining time only shrinks
        found = known.get(leaf.conds) if known else None
        dim, reason, splits = found if found is not None else dimension(leaf.conds, n, timeout_ms, stats)
        if dim is None and splits and depth < 2:
            for sconds, ssample in split_cell(leaf.conds, leaf.sample, splits, n, timeout_ms, stats, reasons):
                child = tree.add(leaf.tree_node, tuple(c for c in sconds if c not in leaf.conds))
                queue.append((Leaf(sconds, ssample, leaf.labels, leaf.piece, child, None), depth + 1))
            continue
        leaf.dim, leaf.reason = (dim - free if dim is not None else None), reason
        if dim and not all(isinstance(v, Fraction) for v in leaf.sample):
            leaf.sample = rational_point(leaf.conds, leaf.sample, n) or leaf.sample
        out.append(leaf)
    return out


def rational_point(conds: Sequence[Condition], sample: Sequence, n: int, tries: int = 24) -> tuple | None:
    """A rational point of the cell near an algebraic ``sample``, or None.

    Fix all coordinates but one to simple rationals near the sample, solve the first
    equality for the last coordinate (its rational roots, by sympy's factorization) and
    keep a candidate only if every condition holds exactly there.

    >>> x, y = Poly.variables(2)
    >>> rational_point([(x * x + y * y - 2, 0)], (Fraction(0), Fraction(-1414, 1000)), 2)
    (Fraction(1, 1), Fraction(-1, 1))
    """
    eqs = [p for p, s in conds if s == 0]
    if not eqs:
        return None
    approx = [float(v) for v in sample]
    tried = 0
    for free in range(n - 1, -1, -1):
        others = [i for i in range(n) if i != free]
        grids = []
        for i in others:
            a = approx[i]
            vals = [Fraction(round(a))] + [Fraction(a).limit_denominator(d) for d in (2, 4, 10)]
            vals += [Fraction(round(a)) + k for k in (1, -1, 2, -2)]
            grids.append(list(dict.fromkeys(vals)))
        for combo in itertools.islice(itertools.product(*grids), tries):
            tried += 1
            images = [Poly.constant(1, 0)] * n
            for i, v in zip(others, combo):
                images[i] = Poly.constant(1, v)
            images[free] = Poly.variable(1, 0)
            uni = eqs[0].compose(images)
            if uni.is_zero:
                continue
            if uni.is_const:
                continue
            for root in _rational_roots(uni):
                cand = [Fraction(0)] * n
                for i, v in zip(others, combo):
                    cand[i] = v
                cand[free] = root
                if all(exact_sign(p.eval(cand)) == s for p, s in conds):
                    return tuple(cand)
    return None


def _rational_roots(uni: Poly) -> list[Fraction]:
    """Rational roots of a univariate polynomial: the discriminant for degree <= 2, sympy's
    factorization otherwise.

    >>> _rational_roots(Poly(1, {(2,): Fraction(1), (0,): Fraction(-9, 4)}))
    [Fraction(-3, 2), Fraction(3, 2)]
    """
    deg = uni.degree
    c = [uni.terms.get((k,), Fraction(0)) for k in range(deg + 1)]
    if deg == 1:
        return [-c[0] / c[1]]
    if deg == 2:
        a, b, k = c[2], c[1], c[0]
        disc = b * b - 4 * a * k
        if disc < 0:
            return []
        num, den = disc.numerator, disc.denominator
        rn, rd = isqrt(num), isqrt(den)
        if rn * rn != num or rd * rd != den:
            return []
        r = Fraction(rn, rd)
        return sorted({(-b - r) / (2 * a), (-b + r) / (2 * a)})
    import sympy
    t = sympy.Symbol("t")
    return [Fraction(int(r.p), int(r.q)) for r in sympy.Poly(uni.to_sympy([t]), t, domain="QQ").ground_roots()]


def split_cell(conds, sample, polys, n, timeout_ms, stats, reasons) -> list[tuple]:
    """All feasible sign patterns of ``polys`` inside the cell ``conds`` (exact)."""
    cells = [(list(conds), sample)]
    for p in polys:
        nxt = []
        for cc, smp in cells:
            keys = dict(cc)
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
                if exact_sign(q.eval(point_sympy(smp))) == t:
                    nxt.append((new, smp))
                    continue
                r = smt.check(new, n, timeout_ms, stats)
                if r.status == smt.SAT:
                    nxt.append((new, rationalize(r.point, new)))
                elif r.status == smt.UNKNOWN:
                    reasons.append(f"a split of a singular cell could not be decided ({r.reason})")
        seen, cells = set(), []
        for cc, smp in nxt:
            key = tuple(cc)
            if key not in seen:
                seen.add(key)
                cells.append((cc, smp))
    return [(tuple(cc), smp) for cc, smp in cells]


# --------------------------------------------------------------------------- closure
def _along(p: Poly, point: Sequence[Fraction], d: Sequence[Fraction]) -> list[Fraction]:
    """Coefficients (in t, lowest first) of ``p(point + t d)``."""
    n = len(point)
    images = [Poly(1, {(0,): Fraction(c), (1,): Fraction(e)}) for c, e in zip(point, d)]
    q = p.compose(images) if n else p
    deg = q.degree
    return [q.terms.get((k,), Fraction(0)) for k in range(deg + 1)]


def _segment_ok(conds: Sequence[Condition], point, d) -> bool:
    for p, s in conds:
        coeffs = _along(p, point, d)
        if s == 0:
            if any(coeffs):
                return False
            continue
        lead = next((c for c in coeffs if c), Fraction(0))
        if exact_sign(lead) != s:
            return False
    return True


def closure_by_segment(point: Sequence[Fraction], conds: Sequence[Condition],
                       target: Sequence[Fraction] | None = None) -> bool:
    """True if a segment from ``point`` stays in the cell ``conds`` for all small ``t > 0``
    (a proof that ``point`` lies in the cell's closure); False means no certificate found.

    Directions tried: towards ``target`` (a point of the cell), along the gradients of
    the conditions that vanish at ``point`` (signed to enter the cell), and the axes.
    """
    n = len(point)
    dirs = []
    if target is not None:
        dirs.append(tuple(Fraction(b) - Fraction(a) for a, b in zip(point, target)))
    zero = [(p, s) for p, s in conds if s != 0 and p.eval(point) == 0]
    if zero:
        dirs.append(tuple(sum((s * g.eval(point) for p, s in zero for g in [p.diff(i)]), Fraction(0)) for i in range(n)))
    for i in range(n):
        for sgn in (1, -1):
            dirs.append(tuple(Fraction(sgn if j == i else 0) for j in range(n)))
    for d in dirs:
        if any(d) and _segment_ok(conds, point, d):
            return True
    return False


def _signs(point, rational: bool, polys: Sequence[Poly], timeout_ms: int) -> list[int] | None:
    if rational:
        return [exact_sign(p.eval(point)) for p in polys]
    return smt.exact_signs(point, polys, timeout_ms)


def _det(rows: list[list[Poly]]) -> Poly:
    """Determinant of a small square matrix of polynomials (Laplace expansion)."""
    if len(rows) == 1:
        return rows[0][0]
    total = None
    for j, a in enumerate(rows[0]):
        if a.is_zero:
            continue
        minor = _det([r[:j] + r[j + 1:] for r in rows[1:]])
        term = a * minor if j % 2 == 0 else -(a * minor)
        total = term if total is None else total + term
    return total if total is not None else rows[0][0] * 0


def transversal(point, rational: bool, polys: Sequence[Poly], n: int, timeout_ms: int) -> bool:
    """Are the gradients of ``polys`` linearly independent at ``point``? (exact; False if undecided)

    Then near ``point`` the map ``x -> (p_1(x), ..., p_k(x))`` is a submersion, so every
    sign pattern of the ``p_i`` occurs arbitrarily close to ``point`` (implicit function theorem).
    """
    k = len(polys)
    if k == 0:
        return True
    if k > n:
        return False
    grads = [list(p.gradient()) for p in polys]
    if rational:
        return rank([[g.eval(point) for g in row] for row in grads]) == k
    minors = [_det([[row[j] for j in cols] for row in grads]) for cols in itertools.combinations(range(n), k)]
    minors = [m for m in minors if not m.is_zero]
    signs = _signs(point, False, minors, timeout_ms) if minors else []
    return bool(signs) and any(signs)


def in_closure(sample, sample_rational: bool, cell_conds, cell_sample, n: int, timeout_ms: int,
               n_user: int | None = None) -> bool | None:
    """Is ``sample`` in the closure of the cell? True / False / None (undecided).

    Certificates first: a relaxed condition failing (no); the conditions vanishing at
    the point have independent gradients (yes, :func:`transversal`); a segment into
    the cell (yes, rational points; for a lifted program, ``n_user`` its user's variables, a
    segment in those with the auxiliary ones following it, :func:`closure_along_graph`); the cell
    misses a small box around the point (no). Then z3's quantified query.
    """
    polys = [p for p, _ in cell_conds]
    signs = _signs(sample, sample_rational, polys, timeout_ms)
    if signs is None:
        return None
    for v, (p, s) in zip(signs, cell_conds):
        if (v != 0) if s == 0 else (v * s < 0):
            return False
    active = [p for v, p in zip(signs, polys) if v == 0]
    if transversal(sample, sample_rational, active, n, timeout_ms):
        return True
    if sample_rational:
        target = cell_sample if all(isinstance(v, Fraction) for v in cell_sample) else None
        if closure_by_segment(sample, cell_conds, target):
            return True
    if n_user is not None and n_user < n and closure_along_graph(sample, cell_conds, cell_sample, n_user):
        return True
    if _misses_box(sample, sample_rational, cell_conds, n, timeout_ms):
        return False
    r = smt.in_closure(sample, cell_conds, n, timeout_ms)
    if r.status == smt.UNKNOWN:
        return None
    return r.status == smt.SAT


def _misses_box(sample, rational: bool, cell_conds, n: int, timeout_ms: int) -> bool:
    """True if the cell does not meet a small open box around the point (exact)."""
    center = [Fraction(v) if rational else Fraction(v.approx) if hasattr(v, "approx") else Fraction(v) for v in sample]
    xs = Poly.variables(n)
    for radius in (Fraction(1, 64), Fraction(1, 2 ** 20)):
        box = [(xs[i] - (center[i] - radius), 1) for i in range(n)] + [((center[i] + radius) - xs[i], 1) for i in range(n)]
        if not rational:
            inside = _signs(sample, False, [p for p, _ in box], timeout_ms)
            if inside is None or any(v != 1 for v in inside):
                continue
        if smt.check(list(cell_conds) + box, n, timeout_ms).status == smt.UNSAT:
            return True
    return False


def closure_along_graph(sample, cell_conds, cell_sample, n_user: int) -> bool:
    """A certificate that ``sample`` lies in the closure of a lifted cell: a segment
    ``x0 + h d`` in the user's variables, each auxiliary variable following it as the function its
    relation defines on the cell (``s = real_root(a, q)`` with the cell's sign, ``t = -B/A`` for a
    relation linear in ``t``), along which every condition has the right sign for all small
    ``h > 0`` (its exact limit as ``h -> 0+`` after dividing by the lowest power that does not vanish,
    radical expressions in sympy), and every relation holds identically. True: a proof; False: no
    certificate (the caller asks on)."""
    import sympy
    x0 = [v for v in sample[:n_user]]
    if not all(isinstance(v, Fraction) for v in x0):   # algebraic user coordinates: not tried
        return False
    h = sympy.Symbol("h", positive=True)
    dirs = []
    if all(isinstance(v, Fraction) for v in cell_sample[:n_user]):
        dirs.append(tuple(b - a for a, b in zip(x0, cell_sample[:n_user])))
    for i in range(n_user):
        for sgn in (1, -1):
            dirs.append(tuple(Fraction(sgn if j == i else 0) for j in range(n_user)))
    n = len(sample)
    names = sympy.symbols(f"v0:{n}")
    for d in dirs:
        if not any(d):
            continue
        env = {names[i]: sympy.Rational(x0[i].numerator, x0[i].denominator) + h * sympy.Rational(d[i].numerator, d[i].denominator)
               for i in range(n_user)}
        ok = _follow(cell_conds, env, names, n_user, n, h, sympy)
        if ok:
            return True
    return False


def _follow(conds, env, names, n_user, n, h, sympy) -> bool:
    """Solve the cell's relations for the auxiliary variables along the curve, then check signs."""
    used = set()
    for index in range(n_user, n):
        if not any(any(m[index] for m in p.terms) for p, _ in conds):
            continue
        sign = next((sg for p, sg in conds if p.is_linear and len(p.terms) == 1 and next(iter(p.terms))[index]), None)
        value = None
        for k, (p, sg) in enumerate(conds):
            if sg != 0 or k in used:
                continue
            degrees = {m[index] for m in p.terms}
            if not degrees - {0}:
                continue
            expr = p.to_sympy(names)
            top = max(degrees)
            coeff = sympy.Poly(expr, names[index]).all_coeffs()
            rest = [c.subs(env) for c in coeff]
            if any(c.free_symbols - {h} for c in rest):
                continue
            if top == 1:   # A t + B = 0
                a, b = rest
                value = -b / a
            elif len(degrees) == 2 and 0 in degrees and sympy.simplify(rest[0]) != 0:   # A s**q + B = 0
                base = sympy.simplify(-rest[-1] / rest[0])
                value = sympy.real_root(base, top) if top % 2 else sympy.sqrt(base)
                if sign == -1 and top % 2 == 0:
                    value = -value
            else:
                continue
            used.add(k)
            break
        if value is None:
            return False
        env[names[index]] = value
    for k, (p, sg) in enumerate(conds):
        g = p.to_sympy(names).subs(env)
        if k in used:
            continue
        if sg == 0:
            if sympy.simplify(g) != 0:
                return False
            continue
        lead = _limit_sign(g, h, sympy)
        if lead != sg:
            return False
    return True


def _limit_sign(g, h, sympy) -> int | None:
    """The sign of ``g(h)`` for all small ``h > 0`` (g algebraic in h), or None."""
    try:
        for k in range(6):
            lim = sympy.limit(g / h ** k, h, 0, "+")
            if lim in (sympy.oo, -sympy.oo):
                return 1 if lim == sympy.oo else -1
            if lim != 0:
                return 1 if lim > 0 else -1
        return None
    except (NotImplementedError, ValueError, TypeError):
        return None
