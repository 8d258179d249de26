"""semialg.stratification.subtrees: the branch tree walked in subtrees (each task pickled, as on
another process) gives the serial walk's strata, samples, tree and adjacency; a program whose
cells are not polyhedra falls back to the serial walk."""
from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semialg.frontends.text import parse
from semialg.stratification import stratify
from semialg.stratification.branch_tree import Options, Walker
from semialg.stratification.subtrees import splittable, walk, walk_subtree
from test_stratify import net


def pickled_map(calls: list):
    """``parallel_map`` run here, every task and answer through pickle (no shared objects)."""
    def run(function, items, deadline=None):
        calls.append(len(items))
        return [pickle.loads(pickle.dumps(function(pickle.loads(pickle.dumps(item))))) for item in items]
    return run


def shape(tree, node: int = 0) -> list:
    """The tree in depth-first order as (depth, conditions, implied, stratum): numbering aside."""
    out, stack = [], [(node, 0)]
    while stack:
        node, depth = stack.pop()
        out.append((depth, tree.conds[node], tree.implied[node], tree.stratum[node]))
        stack.extend((c, depth + 1) for c in reversed(tree.children[node]))
    return out


def same(a, b) -> None:
    assert [(s.conditions, s.dim, s.sample, s.labels, s.piece, s.reason) for s in a.strata] == \
        [(s.conditions, s.dim, s.sample, s.labels, s.piece, s.reason) for s in b.strata]
    assert a.above == b.above and a.complete == b.complete and a.reasons == b.reasons
    assert shape(a.tree) == shape(b.tree)


@pytest.mark.parametrize("dims, seed", [([2, 4, 4], 1), ([3, 4, 3], 2), ([2, 3, 3, 2], 3), ([3, 5, 5], 4)])
def test_subtrees_give_the_serial_stratification(dims, seed):
    program = parse(net(dims, seed))
    calls: list = []
    split = stratify(program, Options(parallel_map=pickled_map(calls)))
    serial = stratify(program)
    assert split.stats["method"] == serial.stats["method"] == "tree"
    assert calls and calls[0] >= 2          # the tree was cut into subtrees
    same(split, serial)


def test_a_cut_leaf_and_the_walker_state_match_the_serial_walker():
    program = parse("relu(relu(x) - relu(y) + 1) + relu(x + y) + abs(x - relu(y - 1))", "x,y")
    serial = Walker(program, Options())
    serial.run()
    split = walk(program, Options(), pickled_map([]), subtrees=4)
    assert [(l.conds, l.sample, l.labels, l.piece, l.dim) for l in split.leaves] == \
        [(l.conds, l.sample, l.labels, l.piece, l.dim) for l in serial.leaves]
    for leaf, other in zip(split.leaves, serial.leaves):   # each leaf sits at the same place in the tree
        assert shape(split.tree, leaf.tree_node) == shape(serial.tree, other.tree_node)


@pytest.mark.parametrize("text, kwargs", [("relu(x*y - 1) + relu(x)", {}),                    # nonlinear kink
                                          ("relu(x) + relu(y - x)", {"domain": "x**2 + y**2 <= 4"}),
                                          ("relu(relu(x)*y - 1)", {})])                       # bent into a curve
def test_cells_that_are_not_polyhedra_are_walked_serially(text, kwargs):
    calls: list = []
    split = stratify(text, parallel_map=pickled_map(calls), **kwargs)
    serial = stratify(text, **kwargs)
    assert [(s.conditions, s.dim, s.labels, s.piece) for s in split.strata] == \
        [(s.conditions, s.dim, s.labels, s.piece) for s in serial.strata]
    assert split.above == serial.above


def test_a_subtree_with_a_nonlinear_cell_answers_none():
    program = parse("relu(relu(x) - 1) + relu(relu(x)*y - 1)", "x,y")
    assert splittable(program, Options())
    first = Walker(program, Options()).start()
    paths = [(k,) for k in range(len(first.pending))]
    answers = [walk_subtree((program, Options(), p)) for p in paths]
    assert any(a is None for a in answers)   # the cell where relu(x) = x meets the curve x*y = 1
    assert walk(program, Options(), pickled_map([])).leaves is not None


_ops = st.sampled_from(["relu({})", "abs({})", "max({}, 0)", "where({} > 0, {}, 0)", "relu(-({}))"])


@st.composite
def bent_programs(draw):
    """Nested piecewise-linear programs in x, y: kinks of kinks (the branch tree's programs)."""
    layer = ["x", "y"]
    for _ in range(draw(st.integers(2, 3))):
        width = draw(st.integers(1, 3))
        new = []
        for _ in range(width):
            terms = [f"{draw(st.integers(-3, 3)) or 1}*({u})" for u in layer]
            arg = " + ".join(terms) + f" + {draw(st.integers(-2, 2))}"
            op = draw(_ops)
            new.append(op.format(arg, arg) if op.count("{}") == 2 else op.format(arg))
        layer = new
    return " + ".join(layer)


@settings(max_examples=25, deadline=None)
@given(bent_programs())
def test_property_subtrees_equal_the_serial_walk(text):
    program = parse(text, "x,y")
    split = stratify(program, Options(parallel_map=pickled_map([])))
    same(split, stratify(program))


def test_the_strata_limit_holds_for_the_subtrees_together():
    from semialg.stratification import StratifyError
    program = parse(net([2, 4, 4], 1))
    total = len(stratify(program).strata)
    with pytest.raises(StratifyError, match=f"more than {total - 1} strata"):
        stratify(program, Options(parallel_map=pickled_map([]), max_strata=total - 1))
