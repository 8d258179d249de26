"""Derivative rules for roots, reciprocals and norms, and where a rule's value is not finite.

A conservative field has nonempty, locally bounded values (theory §4), so a rule whose value is
NaN or infinite somewhere is not one. Two facts decide where that happens:

* a *local partial* that is unbounded: every root ``a**e`` with ``e < 1`` at ``a = 0`` (``sqrt'(0)``
  is inf in every framework, and in mathematics there is no Clarke set); JAX's and TensorFlow's
  Euclidean norm at 0 (they differentiate ``sqrt(sum a**2)``: ``inf * 0`` is NaN), PyTorch's is 0;
* *reverse mode* (what ``torch.autograd`` and ``jax.grad`` run): every node on a path from the
  output receives an adjoint, possibly 0, and multiplies it by its partial; ``0 * inf`` is NaN. So
  the branch a ``where`` does not take still poisons the gradient when it holds a root at 0 or a
  root of a negative (``where(x > 0, sqrt(x), 0)`` at ``x <= 0``). A node whose backward is a
  *select* (PyTorch's relu, where, max, clamp; JAX's relu, where) gives its unselected arguments
  an exact 0 instead of ``adjoint * 0``, which cleans a NaN: those primitives are listed per
  framework in :data:`MASKING`.

The mathematical rules (``clarke``, user overrides) are the chain rule with the rule's choices,
where a zero weight is a zero (forward selection): only a nonzero use of an unbounded partial
makes their value non-finite.

>>> from semialg.frontends.text import parse
>>> from semialg.rules import get_rule
>>> reverse_at(parse("where(x > 0, sqrt(x), 0)"), (Fraction(0),), get_rule("pytorch"))
(nan,)
>>> reverse_at(parse("norm(x, y)"), (Fraction(0), Fraction(0)), get_rule("pytorch"))
(Fraction(0, 1), Fraction(0, 1))
>>> reverse_at(parse("norm(x, y)"), (Fraction(0), Fraction(0)), get_rule("jax"))
(nan, nan)
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

from semialg.core import primitives
from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.poly import Poly
from semialg.core.primitives.semialgebraic import LIFTED, UNDEFINED, NonFinite

FRAMEWORKS = ("pytorch", "jax", "tensorflow")

MASKING = {
    "pytorch": frozenset({"relu", "where", "max", "min", "clip", "clamp", "hardtanh", "relu6", "sort"}),
    "jax": frozenset({"relu", "where", "hardtanh", "relu6", "sort"}),
    "tensorflow": frozenset({"relu", "where"}),
}
"""Primitives whose reverse-mode backward selects (an unselected argument gets an exact 0).
PyTorch's norm is not one: at 0 it masks ``x / norm`` to 0 and then multiplies by the adjoint, so an
infinite adjoint gives NaN (``norm(x + 2)**(2/3)`` at -2, measured). TensorFlow is not measured
here: the list holds only what its documented gradients are (``select``), so its NaN is never hidden."""


# --------------------------------------------------------------------------- local partials
def root_zero_partial(prim, param):
    """The derivative of ``a**e`` at ``a = 0``: 0 when ``e > 1``, unbounded when ``e < 1``."""
    return Fraction(0) if prim.exponent(param) > 1 else NonFinite("inf")


def lifted_partials(rule, node: Node, label, args: Sequence) -> tuple:
    """Vertex vectors of the rule's partials of a lifted node w.r.t. its arguments (auxiliary
    arguments included, with zeros); ``args``: the arguments' values (Polys) on the stratum."""
    prim = primitives.REGISTRY[node.op]
    nargs = len(args)
    k = nargs - prim.n_aux
    pad = (Fraction(0),) * prim.n_aux
    if label == "undefined" or any(a is UNDEFINED for a in args) or prim.value(label, list(args), node.param) is UNDEFINED:
        return (tuple(NonFinite("nan") for _ in range(k)) + pad,)
    if node.op == "norm":
        if label == "zero":
            if rule.base == "pytorch":
                return ((Fraction(0),) * nargs,)
            if rule.base in FRAMEWORKS:
                return (tuple(NonFinite("nan") for _ in range(k)) + pad,)
        return prim.partials_at(label, list(args), node.param) if label != "zero" else prim.partials(label, nargs)
    if label == "zero" and node.op != "inv":
        return ((root_zero_partial(prim, node.param),) + (Fraction(0),) * (nargs - 1),)
    if label == "neg" and node.op != "inv" and pow_spelled(rule, node):
        return ((NonFinite("nan"),) + (Fraction(0),) * (nargs - 1),)
    return prim.partials_at(label, list(args), node.param)


def pow_spelled(rule, node: Node) -> bool:
    """Does the framework compute this root as a float power (NaN for a negative base, whatever
    the exponent)? ``torch.pow`` / ``jnp.power`` for ``a**(p/q)``; PyTorch has no cbrt either."""
    return rule.base in FRAMEWORKS and (node.op == "rpow" or (node.op == "cbrt" and rule.base == "pytorch"))


def is_finite_vertex(g) -> bool:
    return not any(isinstance(c, NonFinite) for c in g)


# --------------------------------------------------------------------------- arithmetic with NaN/inf
def times(a, b):
    """IEEE product when a factor is NaN or infinite (``0 * inf`` is NaN), exact otherwise."""
    if isinstance(a, float) or isinstance(b, float):
        return float(a) * float(b)
    return a * b


def plus(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return float(a) + float(b)
    return a + b


def _exact_number(v):
    """A Fraction when ``v`` is rational, else a sympy number."""
    if isinstance(v, (Fraction, float)):
        return v
    import sympy
    v = sympy.nsimplify(v)
    return Fraction(int(v.p), int(v.q)) if v.is_Rational else v


def _value(node: Node, args: list, env: dict):
    """The framework's forward value at a point: exact, NaN where the program has no value."""
    op = node.op
    if op == "const":
        return node.param
    if op == "var":
        return env[node.param]
    if op == "where":
        return args[1] if args[0] is True else args[2] if args[0] is False else math.nan
    if any(isinstance(a, float) and math.isnan(a) for a in args):
        return math.nan
    if op == "add":
        out = args[0]
        for a in args[1:]:
            out = plus(out, a)
        return out
    if op == "mul":
        out = args[0]
        for a in args[1:]:
            out = times(out, a)
        return out
    if op == "pow":
        return args[0] ** node.param
    prim = primitives.REGISTRY[op]
    if op in LIFTED:
        if op == "inv":
            return math.inf if args[0] == 0 else _exact_number(1 / args[0])
        import sympy
        value = prim.to_sympy([sympy.nsimplify(a) for a in args], node.param)
        if op != "norm" and _sign(args[0]) < 0 and prim.exponent(node.param).denominator % 2 == 0:
            return math.nan
        return _exact_number(value)
    if prim.predicate:
        return bool(prim.exact([_exact_number(a) for a in args], node.param)) if all(not isinstance(a, float) for a in args) else math.nan
    if all(isinstance(a, Fraction) for a in args):
        return prim.exact(args, node.param)
    import sympy
    return _exact_number(prim.to_sympy([sympy.nsimplify(a) for a in args], node.param))


def _sign(v) -> int:
    if isinstance(v, Fraction):
        return (v > 0) - (v < 0)
    import sympy   # an algebraic number: sympy decides its sign exactly (interval refinement)
    return int(sympy.sign(sympy.nsimplify(v)))


def _label(prim, op, args, param):
    """The branch at constant arguments (exact signs, algebraic arguments allowed)."""
    if op in ("max", "min"):
        best = args[0]
        for a in args[1:]:
            d = _sign(a - best) * (1 if op == "max" else -1)
            best = a if d > 0 else best
        return frozenset(i for i, a in enumerate(args) if _sign(a - best) == 0)
    if op in LIFTED:
        if op == "norm":
            return "zero" if all(_sign(a) == 0 for a in args) else "pos"
        return {-1: "neg", 0: "zero", 1: "pos"}[_sign(args[0])]
    if all(isinstance(a, Fraction) for a in args):
        consts = [Poly.constant(0, a) for a in args]
        for b in prim.branches(consts, param):
            if all((p.const_value > 0) - (p.const_value < 0) == s for p, s in b.conditions):
                return b.label
    raise ValueError(f"{op}: its branch at algebraic arguments is not computed here")


def _evaluate_at(program: Program, point: Sequence[Fraction]) -> tuple:
    """``(order, values, labels)``: every node's framework value at the point (:func:`_value`) and
    the branch label of each primitive whose arguments are numbers there."""
    order = walk_postorder(program.outputs)
    env = dict(zip(program.inputs, point))
    values: dict[int, object] = {}
    labels: dict[int, object] = {}
    for node in order:
        args = [values[id(a)] for a in node.args]
        values[id(node)] = _value(node, args, env)
        prim = primitives.REGISTRY.get(node.op)
        if prim is not None and node.op not in ("where", "and", "or", "not") and not prim.predicate:
            if all(not isinstance(a, float) for a in args):
                labels[id(node)] = _label(prim, node.op, args, node.param)
    return order, values, labels


def reverse_at(program: Program, point: Sequence[Fraction], rule) -> tuple:
    """What a framework's reverse mode returns at a point, exactly, for a scalar program: per input
    a Fraction (or a sympy number), or the float NaN / inf / -inf. ``rule``: a :class:`~semialg.rules.Rule`."""
    if len(program.outputs) != 1:
        raise ValueError("reverse_at: one output")
    order, values, labels = _evaluate_at(program, point)
    masking = MASKING.get(rule.base, frozenset())
    adjoint: dict[int, object] = {id(program.outputs[0]): Fraction(1)}
    for node in reversed(order):
        adj = adjoint.get(id(node))
        if adj is None or node.op in ("const", "var") or not node.args:
            continue
        op = node.op
        args = [values[id(a)] for a in node.args]
        prim = primitives.REGISTRY.get(op)
        if prim is not None and prim.predicate:
            continue
        masked = False
        if op == "add":
            partial = [Fraction(1)] * len(args)
        elif op == "mul":
            partial = []
            for i in range(len(args)):
                p = Fraction(1)
                for j, a in enumerate(args):
                    if j != i:
                        p = times(p, a)
                partial.append(p)
        elif op == "pow":
            partial = [times(node.param, args[0] ** (node.param - 1)) if not isinstance(args[0], float)
                       else math.nan]
        elif op == "where":
            cond = args[0]
            partial = [Fraction(0), Fraction(1) if cond is True else Fraction(0), Fraction(0) if cond is True else Fraction(1)]
            masked = True
        elif op in LIFTED:
            partial = _lifted_point_partial(rule, node, args, labels.get(id(node)))
            masked = op in masking and labels.get(id(node)) == "zero"
        else:
            label = labels.get(id(node))
            if label is None:
                partial = [math.nan] * len(args)
            else:
                partial = list(rule.partials(node, label, len(args))[0])
            masked = op in masking
        for i, (a, p) in enumerate(zip(node.args, partial)):
            if op == "where" and i == 0:
                continue
            contribution = Fraction(0) if masked and not isinstance(p, float) and p == 0 else times(adj, p)
            adjoint[id(a)] = plus(adjoint[id(a)], contribution) if id(a) in adjoint else contribution
    out = []
    for name in program.inputs:
        node = Node.var(name)
        out.append(adjoint.get(id(node), Fraction(0)))
    return tuple(out)


def _lifted_point_partial(rule, node: Node, args: list, label) -> list:
    """The partials of a root, reciprocal or norm at a point, as the frameworks compute them."""
    prim = primitives.REGISTRY[node.op]
    if any(isinstance(a, float) for a in args) or label is None:
        return [math.nan] * len(args)
    if node.op == "inv":
        return [math.inf * -1 if args[0] == 0 else _exact_number(-1 / (args[0] * args[0]))]
    if node.op == "norm":
        if label == "zero":
            return [Fraction(0)] * len(args) if rule.base == "pytorch" else [math.nan] * len(args)
        import sympy
        total = sympy.sqrt(sum(sympy.nsimplify(a) ** 2 for a in args))
        return [_exact_number(sympy.nsimplify(a) / total) for a in args]
    e = prim.exponent(node.param)
    if label == "zero":
        return [Fraction(0) if e > 1 else math.inf]
    if label == "neg" and (e.denominator % 2 == 0 or pow_spelled(rule, node)):
        return [math.nan]
    import sympy
    a = sympy.nsimplify(args[0])
    return [_exact_number(sympy.Rational(e.numerator, e.denominator) * sympy.real_root(a, e.denominator) ** (e.numerator - e.denominator))]


def forward_at(program: Program, point: Sequence[Fraction], rule) -> tuple:
    """What a framework's forward mode (``jax.jvp``, ``torch.func.jvp`` along each basis vector)
    returns at a point, exactly, for a scalar program: tangents propagate from the inputs; a
    selecting primitive (:data:`MASKING`) passes only its selected arguments' tangents, every other
    node multiplies (``0 * inf`` is NaN). The branch a ``where`` does not take is never used, so
    ``where(x > 1, sqrt(x), 1)`` is finite everywhere, while ``sqrt(relu(x))`` is NaN at ``x <= 0``.

    >>> from semialg.frontends.text import parse
    >>> from semialg.rules import get_rule
    >>> forward_at(parse("where(x > 0, sqrt(x), 0)"), (Fraction(0),), get_rule("pytorch-forward"))
    (Fraction(0, 1),)
    >>> forward_at(parse("sqrt(relu(x))"), (Fraction(0),), get_rule("jax-forward"))
    (nan,)
    """
    if len(program.outputs) != 1:
        raise ValueError("forward_at: one output")
    order, values, labels = _evaluate_at(program, point)
    masking = MASKING.get(rule.base, frozenset())
    out = []
    for name in program.inputs:
        tangent: dict[int, object] = {}
        for node in order:
            op = node.op
            if op == "var":
                tangent[id(node)] = Fraction(1) if node.param == name else Fraction(0)
                continue
            if op == "const" or not node.args:
                tangent[id(node)] = Fraction(0)
                continue
            prim = primitives.REGISTRY.get(op)
            if prim is not None and prim.predicate:
                tangent[id(node)] = Fraction(0)
                continue
            args = [values[id(a)] for a in node.args]
            ts = [tangent[id(a)] for a in node.args]
            if op == "where":
                tangent[id(node)] = ts[1] if args[0] is True else ts[2]
                continue
            if op == "add":
                partial = [Fraction(1)] * len(args)
            elif op == "mul":
                partial = []
                for i in range(len(args)):
                    p = Fraction(1)
                    for j, a in enumerate(args):
                        if j != i:
                            p = times(p, a)
                    partial.append(p)
            elif op == "pow":
                partial = [times(node.param, args[0] ** (node.param - 1)) if not isinstance(args[0], float) else math.nan]
            elif op in LIFTED:
                partial = _lifted_point_partial(rule, node, args, labels.get(id(node)))
            else:
                label = labels.get(id(node))
                partial = [math.nan] * len(args) if label is None else list(rule.partials(node, label, len(args))[0])
            selects = op in masking and (op not in LIFTED or labels.get(id(node)) == "zero")
            total: object = Fraction(0)
            for p, t in zip(partial, ts):
                if selects and not isinstance(p, float) and p == 0:
                    continue   # a select: an unselected argument's tangent is not used at all
                total = plus(total, times(p, t))
            tangent[id(node)] = total
        out.append(tangent[id(program.outputs[0])])
    return tuple(out)


# --------------------------------------------------------------------------- on a stratum
def nonfinite_inputs(order: Sequence[Node], values: dict, labels: dict, rule, inputs: Sequence[str],
                     root: Node, n_user: int) -> tuple[bool, ...]:
    """Which components of the framework's reverse-mode gradient are NaN or infinite on a stratum
    (its labels fixed). Label-determined, hence the same at every point of the stratum: a local
    partial is unbounded exactly on the zero (or undefined) branch of a root, the masks are
    branches, and a product or sum with a NaN or an infinity is never finite."""
    masking = MASKING.get(rule.base, frozenset())
    bad: dict[int, bool] = {id(root): False}
    for node in reversed(order):
        if id(node) not in bad or not node.args or node.op in ("const", "var"):
            continue
        prim = primitives.REGISTRY.get(node.op)
        if prim is not None and prim.predicate:
            continue
        poisoned = bad[id(node)]
        args = [values.get(id(a)) for a in node.args]
        op = node.op
        if op in ("add", "mul", "pow"):
            flags = [poisoned] * len(args)
        elif op == "where":
            cond = values.get(id(node.args[0]))
            flags = [False, poisoned and cond is True, poisoned and cond is False]
        elif op in LIFTED:
            label = labels.get(id(node))
            vertices = lifted_partials(rule, node, label, args)
            unbounded = any(isinstance(c, NonFinite) for c in vertices[0])
            clean = op in masking and label == "zero"
            flags = [(unbounded or (poisoned and not clean))] * len(args)
        elif op == "custom":
            flags = [poisoned] * len(args)
        else:
            label = labels.get(id(node))
            partial = rule.partials(node, label, len(args))[0] if label is not None else (Fraction(1),) * len(args)
            flags = [poisoned and not (op in masking and not isinstance(p, Poly) and p == 0) for p in partial]
        for a, f in zip(node.args, flags):
            if a.op == "const":
                continue
            bad[id(a)] = bad.get(id(a), False) or f
    index = {name: i for i, name in enumerate(inputs)}
    out = [False] * n_user
    for node in order:
        if node.op == "var" and index[node.param] < n_user and bad.get(id(node)):
            out[index[node.param]] = True
    return tuple(out)
