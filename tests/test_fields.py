"""The field from the branch labels (forward mode through the normal form's kinks) equals the
chain rule over the whole DAG (``backprop``), stratum by stratum, on random piecewise-linear
programs and for every preset and some overrides; set-valued rules fall back to ``backprop``."""
from __future__ import annotations

import random

import pytest
from test_normal_form import random_pl_program

from semialg.rules import normal_form_field, backprop, field_polys, get_rule
from semialg.stratification import stratify

RULES = [("pytorch", ()), ("jax", ()), ("tensorflow", ()), ("pytorch", ("relu'(0)=1/2", "abs'(0)=1")),
         ("jax", ("max.tie=first",))]


def _by_backprop(strat, stratum, rule):
    program = strat.program
    values = strat.node_values(stratum)
    order = strat._walks[tuple(id(r) for r in program.outputs)][0]
    labels = {id(nd): lab for nd, lab in zip(strat.branch_nodes, stratum.labels)}
    return backprop(order, values, labels, rule, program.inputs, program.outputs)


def _as_set(per_output):
    return [sorted(tuple(tuple(sorted(p.terms.items())) for p in g) for g in vertices) for vertices in per_output]


@pytest.mark.parametrize("seed", range(25))
def test_label_field_equals_backprop_on_every_stratum(seed):
    rng = random.Random(seed)
    program = random_pl_program(rng, ("x", "y"), size=rng.randint(2, 6))
    strat = stratify(program)
    for base, overrides in RULES:
        rule = get_rule(base, list(overrides))
        for s in strat.strata:
            fast = normal_form_field(strat, s, rule)
            if fast is None:
                continue
            assert _as_set(fast) == _as_set(_by_backprop(strat, s, rule)), (program.to_text(), base, overrides, s)


def test_the_memo_is_per_rule():
    from fractions import Fraction
    from semialg.rules import Rule

    class HalfAtZero(Rule):     # the same base and overrides as pytorch, another relu'(0)
        def _kink_relu(self, node, label, nargs):
            return ((Fraction(1, 2),),)

    strat = stratify("relu(x) + y")
    zero = next(s for s in strat.strata if s.dim == 1 and s.sample[0] == 0)
    assert field_polys(strat, zero, get_rule("pytorch"))[0][0][0].const_value == 0
    assert field_polys(strat, zero, HalfAtZero())[0][0][0].const_value == Fraction(1, 2)
    assert field_polys(strat, zero, get_rule("pytorch", ["relu'(0)=1"]))[0][0][0].const_value == 1


def test_set_valued_rules_and_other_programs_use_backprop():
    strat = stratify("relu(x) + abs(y)")
    zero = next(s for s in strat.strata if s.dim == 0)
    assert normal_form_field(strat, zero, get_rule("clarke")) is None           # a set at the kink
    assert len(field_polys(strat, zero, get_rule("clarke"))[0]) == 4
    poly = stratify("relu(x) * y")
    assert normal_form_field(poly, poly.strata[0], get_rule("pytorch")) is None  # not piecewise linear
