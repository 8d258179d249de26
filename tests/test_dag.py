"""semialg.core.dag: hash-consing, canonical builders, iterative walks on very deep programs."""
import pickle
from fractions import Fraction

import networkx as nx
import pytest

from semialg.core.dag import Node, Program, add, fold, mul, neg, power, sub, walk_postorder
from semialg.frontends.text import parse

DEPTH = 10_000


@pytest.fixture(scope="module")
def x():
    return Node.var("x")


@pytest.fixture(scope="module")
def deep_relu(x):
    node = x
    for _ in range(DEPTH):
        node = Node.make("relu", (node,))
    return Program(("x",), (node,))


@pytest.fixture(scope="module")
def deep_sum(x):
    """abs(abs(...abs(x) + 1...) + 1) + 1: 2 * DEPTH nonconstant nodes, no constant folding possible."""
    node = x
    for _ in range(DEPTH):
        node = add(Node.make("abs", (node,)), Node.const(1))
    return Program(("x",), (node,))


# --------------------------------------------------------------------------- hash-consing
def test_equal_nodes_are_identical(x):
    y = Node.var("y")
    assert Node.make("add", (x, y)) is Node.make("add", (x, y))
    assert Node.make("add", (x, y)) is not Node.make("add", (y, x))
    assert Node.const(Fraction(1, 2)) is Node.const("1/2") is Node.const("0.5")
    assert Node.make("sort", (x, y), 0) is not Node.make("sort", (x, y), 1)
    assert Node.make("leaky_relu", (x,), Fraction(1, 10)) is Node.make("leaky_relu", (x,), Fraction("0.1"))


def test_nodes_are_frozen(x):
    with pytest.raises(Exception):
        x.op = "const"


def test_pickle_keeps_hash_consing(x):
    node = Node.make("relu", (add(x, Node.const(1)),))
    assert pickle.loads(pickle.dumps(node)) is node


def test_canonical_add_and_mul(x):
    y = Node.var("y")
    one, two = Node.const(1), Node.const(2)
    assert add(one, x, two) is add(x, Node.const(3))
    assert add(x, add(y, one)) is add(add(x, y), one)
    assert add(x, Node.const(-0)) is x
    assert add() is Node.const(0)
    assert mul(two, x, two) is mul(Node.const(4), x)
    assert mul(x, Node.const(0)) is Node.const(0)
    assert mul(x, one) is x
    assert mul(mul(x, y), two).args[0] is two  # the constant comes first
    assert neg(neg(x)) is x
    assert sub(x, x).op == "add"  # no algebraic simplification beyond constants
    assert power(x, 0) is Node.const(1)
    assert power(x, 1) is x
    assert power(Node.const(2), 3) is Node.const(8)
    assert power(x, 2).param == 2


# --------------------------------------------------------------------------- walks
def test_walk_postorder_visits_shared_nodes_once(x):
    shared = Node.make("relu", (x,))
    root = add(mul(shared, shared), shared)
    order = walk_postorder([root, shared])
    assert len(order) == len({id(n) for n in order})
    assert order[-1] is root
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(a)] < position[id(node)] for a in node.args)


def test_fold_counts_paths(x):
    # diamond of depth 50: the number of root-to-leaf paths is 2**50, computed in linear time
    node = x
    for _ in range(50):
        node = Node.make("max", (node, Node.make("relu", (node,))))
    paths = fold([node], lambda n, vals: 1 if not vals else sum(vals))
    assert paths[id(node)] == 2 ** 50


def test_program_queries():
    p = parse("relu(x) + max(y, relu(x)), abs(z)", "x,y,z,w")
    assert p.n_inputs == 4 and p.n_outputs == 2
    assert p.free_variables() == {"x", "y", "z"}
    assert [n.op for n in p.nodes_with_op(["relu"])] == ["relu"]
    assert str(p) == p.to_text()
    assert list(p.iter_nodes()) == p.topological_order()


def test_to_networkx_attributes():
    p = parse("relu(x - y), x - y")
    g = p.to_networkx()
    assert nx.is_directed_acyclic_graph(g)
    assert list(g.nodes) == list(range(len(p.topological_order())))
    ops = nx.get_node_attributes(g, "op")
    outputs = {i: d["output"] for i, d in g.nodes(data=True) if d["output"]}
    assert sorted(ops[i] for i in outputs) == ["add", "relu"]
    assert sorted(k for ks in outputs.values() for k in ks) == [0, 1]
    relu = next(i for i, op in ops.items() if op == "relu")
    (arg,) = list(g.predecessors(relu))
    assert ops[arg] == "add" and g.edges[arg, relu]["position"] == 0


# --------------------------------------------------------------------------- deep programs
def test_deep_topological_order(deep_relu, deep_sum):
    order = deep_relu.topological_order()
    assert len(order) == DEPTH + 1
    assert order[0].op == "var" and order[-1] is deep_relu.outputs[0]
    order = deep_sum.topological_order()
    assert len(order) == 2 * DEPTH + 2  # x, the constant 1, and an abs and an add per level
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(a)] < position[id(n)] for n in order for a in n.args)


def test_deep_to_networkx(deep_relu):
    g = deep_relu.to_networkx()
    assert g.number_of_nodes() == DEPTH + 1 and g.number_of_edges() == DEPTH
    assert nx.dag_longest_path_length(g) == DEPTH


def test_deep_to_text(deep_relu):
    text = deep_relu.to_text()
    assert text == "relu(" * DEPTH + "x" + ")" * DEPTH


def test_deep_rebuild_is_hash_consed(x, deep_relu):
    node = x
    for _ in range(DEPTH):
        node = Node.make("relu", (node,))
    assert node is deep_relu.outputs[0]


@pytest.mark.parametrize("depth", [1, 10, 90])
def test_text_round_trip_nested(x, depth):
    # Python's parser allows about 200 nested parentheses, so text round trips stay shallow
    node = x
    for i in range(depth):
        node = add(Node.make("abs" if i % 2 else "relu", (node,)), Node.const(Fraction(1, i + 2)))
    p = Program(("x",), (node,))
    assert parse(p.to_text(), "x").outputs == p.outputs


@pytest.mark.parametrize("op", ["add", "relu"])
def test_deeply_nested_text_is_a_clean_error_not_a_crash(x, op):
    from semialg.core.errors import ParseError

    node = x
    for _ in range(2000):
        node = add(node, Node.make("abs", (x,))) if op == "add" else Node.make("relu", (node,))
    text = Program(("x",), (node,)).to_text()
    with pytest.raises(ParseError, match="nested too deeply|too many nested"):
        parse(text)
