"""Derivative rules: what a program's derivative is on every stratum (theory §3).

A :class:`Rule` gives, for every primitive on every branch, the *local partials*
(the derivative of the primitive with respect to its arguments) as a finite set
of vertex vectors: a single vector for a framework preset, several for
``clarke`` or a set-valued override. :func:`backprop` applies the formal chain
rule over the DAG with those choices, giving on a stratum a finite set of
polynomial gradient vectors per output (vertex sets multiply).

Presets follow docs/frameworks.md entry by entry, including spelling:
``relu(x)``, ``max(x, 0)``, ``max(0, x)`` and ``clamp(x, 0, inf)`` differ.

>>> from semialg.frontends.text import parse
>>> from semialg.stratification import stratify
>>> s = stratify(parse("max(x, 0)"))
>>> kink = [t for t in s.strata if t.dim == 0][0]
>>> [field_on_stratum(s, kink, get_rule(r))[0] for r in ("pytorch", "tensorflow", "clarke")]
[[('1/2',)], [('1',)], [('0',), ('1',)]]
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.core import primitives
from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.errors import InputError
from semialg.core.poly import Poly
from semialg.core.primitives.semialgebraic import LIFTED
from semialg.frontends.coerce import as_point, as_program
from semialg.rules.backprop import (MAX_VERTICES, Gradient, _combine, _key, backprop,  # noqa: F401
                                    field_on_stratum, field_polys, fmt_exact, with_reciprocals)
from semialg.rules.label_field import normal_form_field  # noqa: F401
from semialg.rules.lifted import FRAMEWORKS

F0, F1, HALF = Fraction(0), Fraction(1), Fraction(1, 2)
PRESETS = ("pytorch", "jax", "tensorflow", "clarke")
MODELLED_VERSIONS = {"pytorch": "torch 2.13.0", "jax": "jax 0.10.2", "tensorflow": "tensorflow 2.21.0", "clarke": None}
"""The framework version each preset models (``semialg frameworks`` prints it beside the installed one).

pytorch and jax were re-measured in float64 reverse mode by ``semialg.checks.frameworks.measure``
and tests/test_presets_vs_frameworks.py; tensorflow is the measurement of docs/frameworks.md."""


@dataclass(frozen=True)
class Rule:
    """A derivative rule: a preset ``base`` and per-kink ``overrides``.

    ``overrides`` maps keys such as ``"relu'(0)"``, ``"max.tie"`` to a tuple of
    values (several values = a set-valued choice, whose convex hull is used).
    ``field``: a hand-written field (a Program with one output per variable),
    which replaces backprop entirely.
    """

    base: str = "pytorch"
    overrides: tuple[tuple[str, object], ...] = ()
    field: Program | None = None
    label: str | None = None  # how a field's origin is reported (e.g. "native jax"); default "field"
    mode: str = "reverse"     # a framework's "forward" mode (jvp) differs where a NaN or inf is involved

    @property
    def name(self) -> str:
        if self.field is not None:
            return self.label or "field"
        base = self.base + ("-forward" if self.mode == "forward" else "")
        if not self.overrides:
            return base
        return base + "+" + ",".join(f"{k}={_fmt_override(v)}" for k, v in self.overrides)

    def override(self, key: str):
        for k, v in self.overrides:
            if k == key:
                return v
        return None

    # -- local partials -------------------------------------------------------
    def partials(self, node: Node, label, nargs: int) -> tuple[tuple[Fraction, ...], ...]:
        """Vertex vectors of the derivative of ``node`` w.r.t. its arguments on branch ``label``."""
        prim = primitives.REGISTRY[node.op]
        if not prim.is_kink(label) or prim.predicate:
            return prim.partials(label, nargs, node.param)
        handler = getattr(self, "_kink_" + node.op, None)
        if handler is None:
            if self.base == "clarke" or not prim.continuous:
                return prim.partials(label, nargs, node.param) if prim.continuous else ((F0,) * nargs,)
            raise KeyError(f"rule {self.base} has no entry for {node.op}")
        return handler(node, label, nargs)

    def _scalar(self, key: str, preset: dict, clarke: tuple) -> tuple[tuple[Fraction, ...], ...]:
        value = self.override(key)
        if value is not None:
            return tuple((Fraction(v),) for v in value)
        if self.base == "clarke":
            return tuple((Fraction(v),) for v in clarke)
        return ((Fraction(preset[self.base]),),)

    def _kink_relu(self, node, label, nargs):
        return self._scalar("relu'(0)", {"pytorch": 0, "jax": 0, "tensorflow": 0}, (0, 1))

    def _kink_abs(self, node, label, nargs):
        return self._scalar("abs'(0)", {"pytorch": 0, "jax": 1, "tensorflow": 0}, (-1, 1))

    def _kink_leaky_relu(self, node, label, nargs):
        s = primitives.LeakyRelu.slope(node.param)
        return self._scalar("leaky_relu'(0)", {"pytorch": s, "jax": 1, "tensorflow": s}, (s, 1))

    def _kink_hardtanh(self, node, label, nargs):
        key = "hardtanh'(-1)" if label == "at_lo" else "hardtanh'(1)"
        return self._scalar(key, {"pytorch": 0, "jax": 1, "tensorflow": 1}, (0, 1))

    def _kink_relu6(self, node, label, nargs):
        key = "relu6'(0)" if label == "at_lo" else "relu6'(6)"
        return self._scalar(key, {"pytorch": 0, "jax": 0, "tensorflow": 0}, (0, 1))

    def _ties(self, node, label, nargs, kind: str):
        """max/min: binary = elementwise maximum (PyTorch/JAX split, TF first wins); n-ary = reduction (even split)."""
        tied = sorted(label)
        mode = self.override(f"{node.op}.tie")
        if mode is not None:
            mode = mode[0]
        elif self.base == "clarke":
            mode = "clarke"
        elif nargs == 2 and self.base == "tensorflow":
            mode = "first"
        else:
            mode = "split"
        unit = lambda i, w=F1: tuple(w if j == i else F0 for j in range(nargs))
        if mode == "clarke":
            return tuple(unit(i) for i in tied)
        if mode == "first":
            return (unit(tied[0]),)
        if mode == "last":
            return (unit(tied[-1]),)
        w = Fraction(1, len(tied))
        return (tuple(w if j in label else F0 for j in range(nargs)),)

    def _kink_max(self, node, label, nargs):
        return self._ties(node, label, nargs, "max")

    _kink_min = _kink_max

    def _kink_sort(self, node, label, nargs):
        below, tied = label
        mode = self.override("sort.tie")
        mode = mode[0] if mode is not None else ("clarke" if self.base == "clarke" else "stable")
        unit = lambda i: tuple(F1 if j == i else F0 for j in range(nargs))
        if mode == "clarke":
            return tuple(unit(i) for i in sorted(tied))
        k = node.param or 0
        return (unit(sorted(tied)[k - len(below)]),)  # stable ascending sort (all three frameworks)

    def _clip_like(self, node, label, nargs, jax_weight: Fraction):
        """clip/clamp at a bound: PyTorch and TF give 1 (w.r.t. a); jnp.clip 1/2 (split with
        the bound); lax.clamp 0."""
        prim = primitives.REGISTRY[node.op]
        vertices = prim.partials(label, nargs, node.param)  # e_a and e_bound(s)
        key = f"{node.op}'(lo)" if label == "at_lo" else f"{node.op}'(hi)" if label == "at_hi" else None
        value = self.override(key) if key else None
        if value is not None:
            return tuple(tuple(Fraction(v) if j == 0 else F0 for j in range(nargs)) for v in value)
        if self.base == "clarke":
            return vertices
        e_a = vertices[0]
        if self.base == "pytorch" and label == "tie_lo_hi":
            # measured (torch 2.13.0, float64): torch.clamp(a, lo, hi) with a < lo == hi gives 0 to a, lo
            # and hi (its lo-gradient needs lo < hi, its hi-gradient max(a, lo) > hi)
            return ((F0,) * nargs,)
        if self.base in ("pytorch", "tensorflow"):
            return (e_a,) if e_a[0] == 1 else (vertices[0],)
        # jax: a weighted split between the argument and the bound(s)
        if jax_weight == 0:
            return ((F0,) * nargs,)
        if label == "at_both":
            # measured (jax 0.10.2, float64): jnp.clip is minimum(maximum(a, lo), hi); at a == lo == hi the
            # first tie splits 1/2 between a and lo, the second 1/2 between that and hi: (1/4, 1/4, 1/2)
            lo_split = tuple(jax_weight * e_a[j] + (1 - jax_weight) * vertices[1][j] for j in range(nargs))
            return (tuple(jax_weight * lo_split[j] + (1 - jax_weight) * vertices[2][j] for j in range(nargs)),)
        others = vertices[1:]
        return (tuple(jax_weight * e_a[j] + (1 - jax_weight) * sum(o[j] for o in others) / len(others)
                      for j in range(nargs)),)

    def _kink_clip(self, node, label, nargs):
        return self._clip_like(node, label, nargs, HALF)

    def _kink_clamp(self, node, label, nargs):
        return self._clip_like(node, label, nargs, F0)

    def _kink_where(self, node, label, nargs):
        mode = self.override("where.boundary")
        mode = mode[0] if mode is not None else ("clarke" if self.base == "clarke" else "selected")
        vertices = primitives.REGISTRY["where"].partials(label, nargs)
        return vertices if mode == "clarke" else vertices[:1]


# --------------------------------------------------------------------------- construction
_OVERRIDE_KEYS = {
    "relu'(0)", "abs'(0)", "leaky_relu'(0)", "hardtanh'(-1)", "hardtanh'(1)", "relu6'(0)", "relu6'(6)",
    "clip'(lo)", "clip'(hi)", "clamp'(lo)", "clamp'(hi)",
}
_MODE_KEYS = {"max.tie": ("split", "first", "last", "clarke"), "min.tie": ("split", "first", "last", "clarke"),
              "sort.tie": ("stable", "clarke"), "where.boundary": ("selected", "clarke")}


def _fmt_override(v) -> str:
    if isinstance(v, tuple) and len(v) == 1:
        v = v[0]
    if isinstance(v, tuple):
        return "[" + ",".join(str(x) for x in v) + "]"
    return str(v)


def parse_override(text: str) -> tuple[str, tuple]:
    """``"relu'(0)=1"`` -> ``("relu'(0)", (1,))``; ``"relu'(0)=[0,1]"`` is set-valued.

    >>> parse_override("relu'(0)=1/2")
    ("relu'(0)", (Fraction(1, 2),))
    >>> parse_override("max.tie=first")
    ('max.tie', ('first',))
    """
    if "=" not in text:
        raise InputError(f"override '{text}' is not of the form KEY=VALUE, e.g. relu'(0)=1 or max.tie=first")
    key, value = (s.strip() for s in text.split("=", 1))
    key = key.replace(" ", "")
    if key in _MODE_KEYS:
        if value not in _MODE_KEYS[key]:
            raise InputError(f"{key} takes one of {', '.join(_MODE_KEYS[key])}, got '{value}'")
        return key, (value,)
    if key not in _OVERRIDE_KEYS:
        close = difflib.get_close_matches(key, sorted(_OVERRIDE_KEYS | set(_MODE_KEYS)), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; known keys: " + ", ".join(sorted(_OVERRIDE_KEYS | set(_MODE_KEYS)))
        raise InputError(f"unknown override key '{key}'{hint}")
    m = re.fullmatch(r"\[([^\]]*)\]", value)
    items = m.group(1).split(",") if m else [value]
    try:
        values = tuple(Fraction(v.strip()) for v in items if v.strip())
    except (ValueError, ZeroDivisionError):
        raise InputError(f"value '{value}' for {key} is not an exact number or [a,b] interval (e.g. 1/2 or [0,1])") from None
    if not values:
        raise InputError(f"empty value for {key}")
    if m and len(values) == 2 and values[0] > values[1]:
        raise InputError(f"the interval [{values[0]}, {values[1]}] for {key} is reversed; write [{values[1]}, {values[0]}]")
    return key, values


def get_rule(base: str = "pytorch", overrides: Sequence[str] = (), field: Program | None = None) -> Rule:
    """A rule from a preset name, override strings and an optional hand-written field.

    >>> get_rule("jax", ["relu'(0)=1"]).name
    "jax+relu'(0)=1"
    >>> get_rule("torch")
    Traceback (most recent call last):
    ...
    semialg.core.errors.InputError: unknown rule 'torch'; did you mean 'pytorch'? (rules: pytorch, jax, tensorflow, clarke)
    """
    mode = "reverse"
    if base.endswith("-forward") and base[:-len("-forward")] in FRAMEWORKS:   # e.g. jax-forward: jax.jvp
        base, mode = base[:-len("-forward")], "forward"
    if base not in PRESETS:
        close = difflib.get_close_matches(base, PRESETS, n=1, cutoff=0.4)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise InputError(f"unknown rule '{base}'{hint} (rules: {', '.join(PRESETS)})")
    return Rule(base, tuple(parse_override(o) for o in overrides), field, mode=mode)


def resolve_rule(rule, overrides: Sequence[str], field: Program | None, program: Program) -> Rule:
    """The rule a check uses, refusing options that would do nothing (a demanding user's CLI).

    ``rule``: a preset name, a :class:`Rule`, or None (PyTorch, or the hand-written ``field``).
    A preset named together with a field, ``overrides`` together with a field, or an override
    for a primitive the program does not use is an :class:`InputError` saying so.

    >>> from semialg.frontends.text import parse
    >>> resolve_rule(None, ["relu'(0)=1"], None, parse("relu(x)")).name
    "pytorch+relu'(0)=1"
    >>> resolve_rule(None, ["abs'(0)=5"], None, parse("relu(x)"))
    Traceback (most recent call last):
    ...
    semialg.core.errors.InputError: --set abs'(0)=5 does nothing: the program has no abs (its primitives: relu)
    """
    if field is not None:
        if isinstance(rule, str):
            raise InputError(f"--rule {rule} and --field exclude each other: a hand-written field replaces backprop "
                             "with any rule; give one of them")
        if overrides:
            raise InputError("--set changes a rule's kink values and does nothing with --field: write those values "
                             "into the field (e.g. where(x == 0, 1, 0))")
    if isinstance(rule, Rule):
        obj = Rule(rule.base, rule.overrides, field) if field is not None else rule
    else:
        obj = get_rule(rule or "pytorch", overrides, field)
    used = {node.op for node in program.topological_order()}
    for key, value in obj.overrides:
        primitive = re.split(r"['.]", key, maxsplit=1)[0]
        if primitive not in used:
            present = sorted(u for u in used if u in primitives.REGISTRY and u not in primitives.COMPARISONS
                             and u not in ("and", "or", "not"))
            raise InputError(f"--set {key}={_fmt_override(value)} does nothing: the program has no {primitive} "
                             f"(its primitives: {', '.join(present) or 'none'})")
    return obj


def derivative_at(program, point, rule: Rule | str = "pytorch", variables=None,
                  overrides: Sequence[str] = ()) -> list[list[tuple[Fraction, ...]]]:
    """What backprop with ``rule`` returns at a rational point: per output, the gradient vertices.

    ``program``: text, a Program, a builder expression or sympy; ``point``: a dict, a sequence
    or ``"x=0"``; ``overrides`` as for :func:`get_rule` (``"relu'(0)=1"``).

    Exact: every node is evaluated at the point, each branching node takes the
    branch whose conditions hold there, and the chain rule runs on those labels.

    >>> from semialg.frontends.text import parse
    >>> p = parse("max(0, x)")
    >>> [derivative_at(p, [0], r)[0] for r in ("pytorch", "jax", "tensorflow")]
    [[(Fraction(1, 2),)], [(Fraction(1, 2),)], [(Fraction(0, 1),)]]
    >>> derivative_at(parse("relu(x)"), [0], "clarke")[0]
    [(Fraction(0, 1),), (Fraction(1, 1),)]
    """
    rule = get_rule(rule, overrides) if isinstance(rule, str) else rule
    program = as_program(program, variables)
    point = as_point(point, program.inputs)
    n = program.n_inputs
    if any(node.op in LIFTED for node in program.topological_order()):
        if rule.base not in FRAMEWORKS or rule.field is not None or len(program.outputs) != 1:
            raise InputError("derivative_at with roots, quotients or norms models a framework's reverse mode "
                             "(rule pytorch, jax or tensorflow) on one output; for the Clarke Jacobian use clarke_at")
        from semialg.rules.lifted import forward_at, reverse_at
        return [[(forward_at if rule.mode == "forward" else reverse_at)(program, point, rule)]]
    if rule.field is not None:
        from semialg.numeric import exact_value
        flat = tuple(exact_value(rule.field, point))
        return [[flat[i * n:(i + 1) * n]] for i in range(len(flat) // n)]
    order = walk_postorder(program.outputs)
    exact, labels, _ = labels_at(order, program.inputs, point)
    values = {k: (Poly.constant(n, v) if not isinstance(v, bool) else v) for k, v in exact.items()}
    grads = backprop(order, values, labels, rule, program.inputs, program.outputs, shortcut=False)
    return [sorted({tuple(p.const_value for p in g) for g in gs}) for gs in grads]


def labels_at(order, inputs: Sequence[str], point: Sequence[Fraction]) -> tuple[dict, dict, set]:
    """Every node's exact value and branch label at a rational point (``order``: a postorder walk of
    the program's nodes, :func:`~semialg.core.dag.walk_postorder`), and the ids of the nodes that sit
    on a kink there: a relu argument 0, a tie of a max, min or sort, a comparison with equal sides
    (the matching branch has an equality condition).

    >>> from semialg.frontends.text import parse
    >>> p = parse("max(x, y) + relu(x - 1)")
    >>> order = walk_postorder(p.outputs)
    >>> [len(labels_at(order, p.inputs, [Fraction(a), Fraction(b)])[2]) for a, b in [(2, 0), (1, 0), (3, 3)]]
    [0, 1, 1]
    """
    env = dict(zip(inputs, point))
    exact: dict[int, object] = {}
    labels: dict[int, object] = {}
    ties: set[int] = set()
    for node in order:
        args = [exact[id(a)] for a in node.args]
        op = node.op
        if op == "const":
            exact[id(node)] = node.param
        elif op == "var":
            exact[id(node)] = env[node.param]
        elif op == "add":
            exact[id(node)] = sum(args[1:], args[0])
        elif op == "mul":
            v = args[0]
            for a in args[1:]:
                v = v * a
            exact[id(node)] = v
        elif op == "pow":
            exact[id(node)] = args[0] ** node.param
        else:
            prim = primitives.REGISTRY[op]
            exact[id(node)] = prim.exact(args, node.param)
            if op not in ("where", "and", "or", "not"):
                label, tie = _label_at(prim, op, args, node.param)
                labels[id(node)] = label
                if tie:
                    ties.add(id(node))
    return exact, labels, ties


def _label_at(prim, op: str, args: Sequence, param):
    """The branch label of a node at constant arguments and whether it is a tie: directly for
    max/min/sort (their branch lists grow exponentially with the number of arguments: a 17-entry
    sort has millions), by the branch conditions otherwise."""
    if op in ("max", "min"):
        best = prim.exact(args, param)
        label = frozenset(i for i, a in enumerate(args) if a == best)
        return label, len(label) > 1
    if op == "sort":
        kth = prim.exact(args, param)
        equal = frozenset(i for i, a in enumerate(args) if a == kth)
        return (frozenset(i for i, a in enumerate(args) if a < kth), equal), len(equal) > 1
    consts = [Poly.constant(0, a) for a in args]
    for b in prim.branches(consts, param):
        if all((p.const_value > 0) - (p.const_value < 0) == s for p, s in b.conditions):
            return b.label, any(s == 0 for _, s in b.conditions)
    return None, False
