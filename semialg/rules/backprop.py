"""Backprop: the formal chain rule with a rule's choices, on a stratum (theory §3).

:func:`backprop` walks the DAG with the labels of a stratum; :func:`field_polys` gives a rule's
field vertices on a stratum (from the branch labels alone for piecewise-linear programs; with the
framework's NaN/inf behaviour for lifted programs, :mod:`semialg.rules.lifted`).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from semialg.core import primitives
from semialg.core.dag import Node, walk_postorder
from semialg.core.poly import Poly
from semialg.core.primitives.base import F1
from semialg.core.primitives.semialgebraic import LIFTED, UNDEFINED, NonFinite
from semialg.rules.label_field import normal_form_field
from semialg.rules.lifted import FRAMEWORKS, MASKING, lifted_partials, nonfinite_inputs

MAX_VERTICES = 4096


def fmt_exact(value) -> str:
    """Exact text of a Fraction (``"1/2"``) or of a sympy algebraic number (``"sqrt(2)/2"``)."""
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return str(value)



# --------------------------------------------------------------------------- backprop
Gradient = tuple[Poly, ...]


def _where_label(node: Node, values: dict[int, object], comparison_signs: dict[int, int]) -> tuple[bool, bool]:
    cond = node.args[0]
    boundary = any(comparison_signs.get(id(c)) == 0 for c in walk_postorder([cond]) if c.op in primitives.COMPARISONS)
    return bool(values[id(cond)]), boundary


def backprop(order: Sequence[Node], values: dict[int, object], labels: dict[int, object], rule,
             inputs: Sequence[str], roots: Sequence[Node], shortcut: bool = True,
             gradient_cache: dict | None = None) -> list[list[Gradient]]:
    """The formal chain rule with the rule's choices: per root, the set of gradient vectors.

    ``values``: each node's polynomial (or bool) on the stratum; ``labels``: the
    branch of each branching node. Sets: every combination of argument
    derivatives and local partial vertices (a conservative calculus, theory §4).

    Shortcut: a subexpression all of whose nonsmooth nodes sit on open (non-kink)
    branches is a polynomial near the stratum, and there the chain rule gives
    exactly the gradient of its polynomial value; so gradients are formed by the
    chain rule only at kinks and above them. ``shortcut=False`` (values are
    constants at a point, as in :func:`derivative_at`) runs the chain rule everywhere.
    ``gradient_cache`` (``id(poly) -> (poly, gradient)``) shares gradients of
    memoised values across strata.
    """
    n = len(inputs)
    var_index = {name: i for i, name in enumerate(inputs)}
    zero = Poly.constant(n, 0)
    zero_grad = (zero,) * n
    # pass 1: which nodes are smooth on this stratum (no kink in their subtree)?
    kink_free: dict[int, bool] = {}
    local_partials: dict[int, tuple] = {}
    for node in order:
        op = node.op
        ok = shortcut and all(kink_free[id(a)] for a in node.args) and op != "custom"
        if op == "custom":   # its gradient is hand-written, never the gradient of its value
            kink_free[id(node)] = False
            continue
        if op in LIFTED:   # roots, reciprocals, norms: their partials need the argument values
            kink_free[id(node)] = False
            local_partials[id(node)] = lifted_partials(rule, node, labels.get(id(node)),
                                                       [values.get(id(a)) for a in node.args])
            continue
        if op in primitives.REGISTRY and not primitives.REGISTRY[op].predicate:
            label = _where_label(node, values, labels) if op == "where" else labels.get(id(node))
            prim = primitives.REGISTRY[op]
            if prim.is_kink(label) or not prim.continuous:
                ok = False
                local_partials[id(node)] = rule.partials(node, label, len(node.args))
            elif not ok:
                local_partials[id(node)] = rule.partials(node, label, len(node.args))
        kink_free[id(node)] = ok
    # pass 2: gradients only where needed (roots, and the arguments of non-smooth needed nodes)
    needed = {id(r) for r in roots}
    for node in reversed(order):
        if id(node) in needed and not kink_free[id(node)]:
            needed.update(id(a) for a in node.args)
    grads: dict[int, list[Gradient]] = {}
    for node in order:
        if id(node) not in needed:
            continue
        op = node.op
        value = values.get(id(node))
        if kink_free[id(node)] or op == "const" or isinstance(value, bool) or value is UNDEFINED:
            if not isinstance(value, Poly):
                grads[id(node)] = [zero_grad]
                continue
            hit = gradient_cache.get(id(value)) if gradient_cache is not None else None
            if hit is None or hit[0] is not value:
                hit = (value, value.gradient())
                if gradient_cache is not None:
                    gradient_cache[id(value)] = hit
            grads[id(node)] = [hit[1]]
            continue
        if op == "var":
            grads[id(node)] = [tuple(Poly.constant(n, 1) if i == var_index[node.param] else zero for i in range(n))]
            continue
        if op == "custom":   # the hand-written gradient (custom_jvp): the values of grad=(g1, ..., gn)
            grads[id(node)] = [tuple(_as_poly(values[id(g)], n) for g in node.args[1:])]
            continue
        args = node.args
        if op == "add":
            local, coeffs = [tuple(F1 for _ in args)], None
        elif op == "mul":
            local, coeffs = None, []
            for i in range(len(args)):
                c = Poly.constant(n, 1)
                for j, a in enumerate(args):
                    if j != i:
                        c = c * values[id(a)]
                coeffs.append(c)
        elif op == "pow":
            local, coeffs = None, [values[id(args[0])] ** (node.param - 1) * node.param]
        else:
            local, coeffs = local_partials[id(node)], None
        keep = rule.mode == "forward" and rule.base in FRAMEWORKS and op not in MASKING.get(rule.base, ())
        grads[id(node)] = _combine([grads[id(a)] for a in args], local, coeffs, n, zero, keep)
    return [grads[id(r)] for r in roots]


def _as_poly(value, n: int) -> Poly:
    return value if isinstance(value, Poly) else Poly.constant(n, value)


def _combine(arg_sets, local, coeffs, n: int, zero: Poly, keep_zero: bool = False) -> list[Gradient]:
    """All ``Σ_i w_i d_i`` with ``d_i`` in the argument sets and ``w`` a local partial vertex
    (constant weights ``local``) or the polynomial weights ``coeffs`` (products, powers)."""
    out: dict[tuple, Gradient] = {}
    weight_sets = [tuple(coeffs)] if coeffs is not None else local
    if any(isinstance(w, NonFinite) for ws in weight_sets for w in ws) or any(
            isinstance(c, NonFinite) for gs in arg_sets for g in gs for c in g):
        return _combine_nonfinite(arg_sets, weight_sets, n, zero, keep_zero)
    for weights in weight_sets:
        active = [i for i, w in enumerate(weights) if (not w.is_zero if isinstance(w, Poly) else w != 0)]
        combos = [[]]
        for i in active:
            combos = [c + [g] for c in combos for g in arg_sets[i]]
            if len(combos) > MAX_VERTICES:
                raise OverflowError(f"more than {MAX_VERTICES} derivative vertices on a stratum")
        for combo in combos:
            g = tuple(sum((combo[j][k] * weights[i] for j, i in enumerate(active)), zero) for k in range(n))
            out.setdefault(_key(g), g)
    if len(out) > MAX_VERTICES:
        raise OverflowError(f"more than {MAX_VERTICES} derivative vertices on a stratum")
    return list(out.values())


def _combine_nonfinite(arg_sets, weight_sets, n: int, zero: Poly, keep_zero: bool = False) -> list[Gradient]:
    """:func:`_combine` when a weight or a component is NaN/inf: a term with an unbounded factor is
    unbounded (inf * 0 is not 0), a zero weight drops its argument (the chain rule's selection), except
    with ``keep_zero`` (a framework's forward mode through a primitive that multiplies, not selects:
    ``0 * NaN`` is NaN)."""
    out: dict[tuple, Gradient] = {}
    for weights in weight_sets:
        active = [i for i, w in enumerate(weights) if keep_zero or isinstance(w, NonFinite) or
                  (not w.is_zero if isinstance(w, Poly) else w != 0)]
        combos = [[]]
        for i in active:
            combos = [c + [g] for c in combos for g in arg_sets[i]]
        for combo in combos:
            comps = []
            for k in range(n):
                total, bad = zero, None
                for j, i in enumerate(active):
                    c, w = combo[j][k], weights[i]
                    if isinstance(c, NonFinite) or isinstance(w, NonFinite):
                        bad = NonFinite("nan") if "nan" in (getattr(c, "kind", ""), getattr(w, "kind", "")) else NonFinite("inf")
                    else:
                        total = total + c * w
                comps.append(bad if bad is not None else total)
            g = tuple(comps)
            out.setdefault(_key(g), g)
    return list(out.values())


def _key(g: Gradient) -> tuple:
    return tuple(frozenset(p.terms.items()) if isinstance(p, Poly) else p for p in g)


def field_polys(strat, stratum, rule) -> list[list[Gradient]]:
    """Per output, the rule's gradient vertices on ``stratum`` as polynomial vectors.

    With a hand-written field (``rule.field``), its outputs are the single vertex: ``n``
    components per output, the rows of a Jacobian for a vector output (row-major).
    """
    program = strat.program
    if rule.field is not None:
        lifting = program.lifting
        outputs = [lifting.node_of(o) for o in rule.field.outputs] if lifting is not None else list(rule.field.outputs)
        vals = strat.node_values(stratum, outputs)
        flat = [vals[id(o)] for o in outputs]
        if lifting is None:
            n = program.n_inputs
            return [[tuple(flat[i * n:(i + 1) * n])] for i in range(len(flat) // n)]
        # a lifted program: the field is over the user's variables; zero along the auxiliary ones
        n, pad = lifting.n_user, (Poly.constant(program.n_inputs, 0),) * (program.n_inputs - lifting.n_user)
        return [[tuple(flat[i * n:(i + 1) * n]) + pad] for i in range(len(flat) // n)]
    fast = normal_form_field(strat, stratum, rule) if program.lifting is None else None
    if fast is not None:
        return fast
    values = strat.node_values(stratum)
    order = strat._walks[tuple(id(r) for r in program.outputs)][0]  # cached by node_values
    labels = {id(nd): lab for nd, lab in zip(strat.branch_nodes, stratum.labels)}
    gradients = strat._walks.setdefault("gradients", {})
    out = backprop(order, values, labels, rule, program.inputs, program.outputs, gradient_cache=gradients)
    if program.lifting is not None and rule.base in FRAMEWORKS and rule.mode == "reverse":   # NaN from untaken branches
        n_user = program.lifting.n_user
        for k, root in enumerate(program.outputs):
            flags = nonfinite_inputs(order, values, labels, rule, program.inputs, root, n_user)
            if any(flags):
                out[k] = list({_key(g): g for g in (tuple(NonFinite("nan") if i < n_user and flags[i] and
                                                          not isinstance(c, NonFinite) else c
                                                          for i, c in enumerate(g)) for g in out[k])}.values())
    return out


def field_on_stratum(strat, stratum, rule, at=None) -> list[list[tuple[str, ...]]]:
    """Per output, the gradient vertices as exact strings at ``at`` (default: the sample); a lifted
    program's vectors in its user's variables (the reciprocals evaluated as ``1/s``)."""
    point = at if at is not None else stratum.sample
    lifting = strat.program.lifting
    if lifting is not None:
        point = with_reciprocals(lifting, point)
    n = lifting.n_user if lifting is not None else len(point)
    out = []
    for vertices in field_polys(strat, stratum, rule):
        out.append(sorted(tuple(fmt_exact(p.eval(point)) if isinstance(p, Poly) else p.kind for p in g[:n])
                          for g in vertices))
    return out


def with_reciprocals(lifting, point) -> tuple:
    """A lifted point with each reciprocal set to ``1/s`` where its root ``s`` is not 0."""
    point = list(point)
    for r, s in lifting.reciprocals:
        v = point[s]
        if v != 0:
            point[r] = 1 / v if isinstance(v, Fraction) else _inverse(v)
    return tuple(point)


def _inverse(v):
    from semialg.smt import AlgebraicNumber
    import sympy
    expr = v.to_sympy() if isinstance(v, AlgebraicNumber) else v
    return sympy.nsimplify(1 / expr)


