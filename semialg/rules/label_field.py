"""A rule's field on a stratum of a piecewise-linear program, read off its branch labels.

On a stratum every kink of the normal form (:mod:`semialg.frontends.normal_form`) sits on one
branch, so the rule's gradient is the chain rule through the kinks: a kink's gradient is the
rule's partial on its label times its arguments' gradients, and an output's gradient is its
affine combination of the kinks' gradients. This is the same chain rule as
:func:`~semialg.rules.backprop.backprop` (products of the same local Jacobians, grouped
differently) at the cost of the kinks instead of the whole DAG.

Most strata of a wide layer share most labels, so the work is memoised in blocks of kinks: the
gradients of a block of kinks of the inputs are looked up by the block's labels, and an output's
sum over a block of its kinks by the identities of the block's (memoised, shared) gradients. A
stratum then costs a few dictionary lookups per block, and the sums are done in integers over
one denominator.

>>> from semialg.frontends.text import parse
>>> from semialg.stratification import stratify
>>> from semialg.rules import get_rule
>>> s = stratify(parse("relu(x) + relu(x - y)"))
>>> f = normal_form_field(s, s.locate((1, 0)), get_rule("pytorch"))
>>> [str(c.const_value) for c in f[0][0]]
['2', '-1']
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from operator import itemgetter
from typing import Callable

from semialg.core.poly import Poly
from semialg.core.primitives.base import F0
from semialg.frontends.normal_form import NotPiecewiseLinear, normal_form

BLOCK = 8   # kinks per memoised block: a block of a 2-D arrangement shows at most 2·8² + 1 label patterns


@dataclass(frozen=True)
class _Block:
    kinks: tuple[int, ...]        # indices into the normal form's kinks
    pick: Callable                # a sequence -> the tuple of its entries at this block's positions
    coefficients: tuple = ()      # an output's coefficient of each kink (output blocks only)


@dataclass(frozen=True)
class _Plan:
    """What does not depend on the stratum: the normal form, where each kink's label sits, and
    the blocks (kinks of the inputs for the kink pass; each output's kinks for the sums)."""
    normal_form: object
    n: int
    input_blocks: tuple[_Block, ...]
    deep: tuple[tuple[int, int, tuple[int, ...]], ...]    # (kink, label position, kinks it uses), in order
    outputs: tuple[tuple[tuple[Fraction, ...], tuple[_Block, ...]], ...]   # (affine part, blocks)


def normal_form_field(strat, stratum, rule) -> list[list[tuple[Poly, ...]]] | None:
    """Per output, the rule's single gradient on ``stratum`` (constant polynomials), from the
    labels alone. None when it does not apply: no normal form, a kink that is not a branch node,
    or a set-valued partial (then backprop forms the combinations)."""
    plan = _plan(strat)
    if plan is None:
        return None
    # memoised gradients are shared objects named by identity; the memo keeps them alive and
    # lives with the stratification, which other rules may share
    memo = strat._walks.setdefault(("label_field", type(rule), rule.base, rule.overrides), {})
    nf, n, labels = plan.normal_form, plan.n, stratum.labels
    grads: list = [None] * len(nf.kinks)
    for b, block in enumerate(plan.input_blocks):
        table = memo.setdefault(("inputs", b), {})
        key = block.pick(labels)
        found = table.get(key)
        if found is None:
            found = []
            for k, label in zip(block.kinks, key):
                g = memo.get((k, label))
                if g is None:
                    g = memo[(k, label)] = _kink_gradient(nf.kinks[k], label, rule, grads, n)
                    if g is None:
                        return None
                found.append(g)
            table[key] = found = tuple(found)
        for k, g in zip(block.kinks, found):
            grads[k] = g
    deep = memo.setdefault("deep", {})
    for k, position, used in plan.deep:
        label = labels[position]
        key = (k, label, tuple([id(grads[j]) for j in used]))
        g = deep.get(key)
        if g is None:
            g = _kink_gradient(nf.kinks[k], label, rule, grads, n)
            if g is None:
                return None
            deep[key] = g
        grads[k] = g
    out, zero = [], (0,) * n
    for o, (affine, blocks) in enumerate(plan.outputs):
        total = _output_gradient(affine, blocks, grads, memo.setdefault(("output", o), {}))
        out.append([tuple(Poly._raw(n, {zero: v} if v else {}) for v in total)])
    return out


def _kink_gradient(kink, label, rule, grads, n) -> tuple[Fraction, ...] | None:
    vertices = rule.partials(kink.node, label, len(kink.args))
    if len(vertices) != 1:
        return None
    g = [F0] * n
    for w, arg in zip(vertices[0], kink.args):
        if w:
            for i, v in enumerate(_gradient_of(arg, grads, n)):
                if v:
                    g[i] += w * v
    return tuple(g)


def _gradient_of(form, grads, n) -> list[Fraction]:
    g = [F0] * n
    for i, c in form.inputs.items():
        g[i] += c
    for k, c in form.kinks.items():
        for i, v in enumerate(grads[k]):
            if v:
                g[i] += c * v
    return g


def _output_gradient(affine, blocks, grads, memo: dict) -> list[Fraction]:
    """``Σ c_i e_i + Σ c_k grads[k]``: each block's sum memoised by its gradients' identities as
    integer numerators over one denominator, then the blocks summed in integers."""
    terms = []
    for b, block in enumerate(blocks):
        gs = block.pick(grads)
        key = (b, tuple(map(id, gs)))
        term = memo.get(key)
        if term is None:
            vector = [F0] * len(affine)
            for c, g in zip(block.coefficients, gs):
                for i, v in enumerate(g):
                    if v:
                        vector[i] += c * v
            den = math.lcm(*(v.denominator for v in vector))
            nums = tuple(v.numerator * (den // v.denominator) for v in vector)
            term = memo[key] = (den, nums if any(nums) else None, gs)   # gs: their ids stay theirs
        if term[1] is not None:
            terms.append(term)
    if not terms:
        return list(affine)
    den = math.lcm(*(t[0] for t in terms))
    acc = [0] * len(affine)
    for d, nums, _ in terms:
        scale = den // d
        for i, v in enumerate(nums):
            if v:
                acc[i] += v * scale
    return [a + Fraction(s, den) for a, s in zip(affine, acc)]


def _plan(strat) -> _Plan | None:
    cache = strat._walks
    if "label_plan" in cache:
        return cache["label_plan"]
    cache["label_plan"] = plan = _make_plan(strat)
    return plan


def _make_plan(strat) -> _Plan | None:
    try:
        nf = normal_form(strat.program)
    except NotPiecewiseLinear:
        return None
    index = {id(nd): i for i, nd in enumerate(strat.branch_nodes)}
    positions = [index.get(id(kink.node)) for kink in nf.kinks]
    if any(p is None for p in positions):
        return None
    n = len(nf.inputs)
    uses = [tuple(sorted({j for a in kink.args for j in a.kinks})) for kink in nf.kinks]
    first = [k for k in range(len(nf.kinks)) if not uses[k]]
    input_blocks = tuple(_Block(tuple(ks), _picker([positions[k] for k in ks]))
                         for ks in _chunks(first))
    deep = tuple((k, positions[k], uses[k]) for k in range(len(nf.kinks)) if uses[k])
    outputs = []
    for form in nf.outputs:
        affine = [F0] * n
        for i, c in form.inputs.items():
            affine[i] += c
        items = sorted(form.kinks.items())
        blocks = tuple(_Block(tuple(k for k, _ in chunk), _picker([k for k, _ in chunk]), tuple(c for _, c in chunk))
                       for chunk in _chunks(items))
        outputs.append((tuple(affine), blocks))
    return _Plan(nf, n, input_blocks, deep, tuple(outputs))


def _chunks(items: list) -> list[list]:
    return [items[i:i + BLOCK] for i in range(0, len(items), BLOCK)]


def _picker(indices: list[int]) -> Callable:
    """``seq -> tuple(seq[i] for i in indices)`` at C speed (itemgetter returns a bare item for one)."""
    if len(indices) == 1:
        i = indices[0]
        return lambda seq: (seq[i],)
    return itemgetter(*indices)
