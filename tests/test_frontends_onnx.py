"""The ONNX front end: exact values against onnx's own reference evaluator and PyTorch, errors."""
from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import semialg  # noqa: E402
from semialg.core.errors import InputError, UnsupportedError  # noqa: E402
from semialg.frontends.onnx import from_onnx  # noqa: E402
from semialg.frontends.onnx_ops import SUPPORTED_OPS  # noqa: E402

D = TensorProto.DOUBLE
RNG = np.random.default_rng(7)


def _model(nodes, inputs, outputs, initializers=(), opset=17):
    """A checked ModelProto from ``(name, shape)`` inputs/outputs and arrays; an output shape None
    is found by running the graph once (the checker wants output shapes)."""
    def build(output_shapes):
        graph = helper.make_graph(
            nodes, "g", [helper.make_tensor_value_info(n, D, s) for n, s in inputs],
            [helper.make_tensor_value_info(n, D, s) for (n, _), s in zip(outputs, output_shapes)],
            [numpy_helper.from_array(np.asarray(a), name) for name, a in initializers])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = 8
        return model

    shapes = [s for _, s in outputs]
    if None in shapes:
        feeds = {n: np.zeros([d if isinstance(d, int) else 1 for d in s]) for n, s in inputs}
        results = ReferenceEvaluator(build([s or [] for s in shapes])).run(None, feeds)
        shapes = [s if s is not None else list(np.shape(r)) for s, r in zip(shapes, results)]
    model = build(shapes)
    onnx.checker.check_model(model)
    return model


def _dyadic(shape, denominator=8, size=2):
    """Random multiples of 1/denominator in [-size, size]: float64 computes with them exactly."""
    return RNG.integers(-size * denominator, size * denominator + 1, size=shape) / denominator


def _agrees_with_reference(model, points=6):
    """The program's exact values equal onnx.reference's float64 outputs (exact: dyadic data)."""
    program = from_onnx(model)
    inputs = [(i.name, tuple(d.dim_value for d in i.type.tensor_type.shape.dim)) for i in model.graph.input
              if i.name not in {t.name for t in model.graph.initializer}]
    evaluator = ReferenceEvaluator(model)
    for _ in range(points):
        feeds = {name: _dyadic(shape) for name, shape in inputs}
        expected = np.concatenate([np.asarray(o, dtype=np.float64).ravel() for o in evaluator.run(None, feeds)])
        point = [Fraction(v) for name, _ in inputs for v in feeds[name].ravel()]
        got = semialg.exact_value(program, point)
        assert [Fraction(float(e)) for e in expected] == list(got), (feeds, expected, got)
    return program


# --------------------------------------------------------------------------- hand-built models
def test_gemm_relu_mlp_exact_values():
    w1, b1, w2, b2 = _dyadic((4, 3), 4), _dyadic((4,), 4), _dyadic((1, 4), 4), _dyadic((1,), 4)
    model = _model(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1, name="layer1"),
         helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], transB=1, alpha=0.5, beta=2.0)],
        [("x", [1, 3])], [("y", [1, 1])], [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)])
    program = _agrees_with_reference(model)
    assert program.inputs == ("x0", "x1", "x2") and program.n_outputs == 1
    # the same graph by hand in numpy
    x = np.array([[0.5, -1.0, 0.25]])
    by_hand = 0.5 * (np.maximum(x @ w1.T + b1, 0) @ w2.T) + 2.0 * b2
    assert semialg.exact_value(program, ["1/2", -1, "1/4"]) == (Fraction(float(by_hand[0, 0])),)


def test_piecewise_operators_model_exact_values():
    """Max/Min/Clip/Where/LeakyRelu/Concat/Reshape/Transpose/Greater/Cast/MatMul in one graph."""
    w = _dyadic((4, 2), 4)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"]),                                  # (1, 2)
        helper.make_node("LeakyRelu", ["h"], ["lr"], alpha=0.25),
        helper.make_node("Max", ["x", "zero"], ["mx"]),                                 # (1, 4) broadcast
        helper.make_node("Min", ["mx", "one", "x"], ["mn"]),
        helper.make_node("Clip", ["x", "lo", ""], ["cl"]),                              # one-sided
        helper.make_node("Clip", ["x", "lo", "hi"], ["c2"]),
        helper.make_node("Greater", ["x", "zero"], ["pos"]),
        helper.make_node("Where", ["pos", "cl", "c2"], ["wh"]),
        helper.make_node("Cast", ["pos"], ["ind"], to=D),
        helper.make_node("Concat", ["lr", "mn", "wh", "ind"], ["cat"], axis=1),         # (1, 14)
        helper.make_node("Reshape", ["cat", "shape"], ["rs"]),                          # (7, 2)
        helper.make_node("Transpose", ["rs"], ["y"], perm=[1, 0]),                      # (2, 7)
    ]
    inits = [("w", w), ("zero", np.array(0.0)), ("one", np.array(1.0)), ("lo", np.array(-0.5)),
             ("hi", np.array(0.75)), ("shape", np.array([-1, 2], dtype=np.int64))]
    program = _agrees_with_reference(_model(nodes, [("x", [1, 4])], [("y", [2, 7])], inits), points=10)
    assert program.n_outputs == 14
    ops = {n.op for n in program.topological_order()}
    assert {"max", "min", "clip", "where", "leaky_relu", "gt"} <= ops


def _single(op, inputs, output_shape, initializers=(), opset=17, node_inputs=None, **attrs):
    """A one-node model; the node reads the inputs then the initializers (or ``node_inputs``)."""
    names = node_inputs or [n for n, _ in inputs] + [n for n, _ in initializers]
    node = helper.make_node(op, names, ["y"], **attrs)
    return _model([node], inputs, [("y", output_shape)], initializers, opset)


@pytest.mark.parametrize("make", [
    lambda: _single("MaxPool", [("x", [1, 2, 7])], None, kernel_shape=[3], strides=[2], pads=[1, 1]),
    lambda: _single("MaxPool", [("x", [1, 1, 4, 5])], None, kernel_shape=[2, 2], strides=[2, 1]),
    lambda: _single("MaxPool", [("x", [1, 1, 5, 5])], None, kernel_shape=[2, 2], dilations=[2, 1], pads=[0, 1, 1, 0]),
    lambda: _single("MaxPool", [("x", [1, 1, 5])], None, kernel_shape=[2], strides=[2], auto_pad="SAME_UPPER"),
    lambda: _single("MatMul", [("x", [2, 1, 3])], None, [("b", _dyadic((3, 2)))]),
    lambda: _single("MatMul", [("x", [3])], None, [("b", _dyadic((2, 3, 2)))]),
    lambda: _single("Sub", [("x", [2, 3])], None, [("b", _dyadic((3,)))]),
    lambda: _single("Div", [("x", [2, 3])], None, [("b", np.array([2.0, -4.0, 0.5]))]),
    lambda: _single("Mul", [("x", [3]), ("z", [2, 1])], None),
    lambda: _single("Sum", [("x", [3]), ("z", [2, 1])], None),
    lambda: _single("Pow", [("x", [3])], None, [("e", np.array(3.0))]),
    lambda: _single("Abs", [("x", [3])], None),
    lambda: _single("Sign", [("x", [5])], None),
    lambda: _single("Neg", [("x", [2])], None),
    lambda: _single("Min", [("x", [2, 2]), ("z", [2])], None),
    lambda: _single("Clip", [("x", [4])], None, [("hi", np.array(0.5))], node_inputs=["x", "", "hi"]),
    lambda: _single("Clip", [("x", [4])], None, opset=6, min=-0.5, max=0.25),
    lambda: _single("Squeeze", [("x", [1, 3, 1])], None, [("axes", np.array([0], dtype=np.int64))]),
    lambda: _single("Squeeze", [("x", [1, 3, 1])], None),
    lambda: _single("Unsqueeze", [("x", [3])], None, [("axes", np.array([0, -1], dtype=np.int64))]),
    lambda: _single("Unsqueeze", [("x", [3])], None, opset=11, axes=[1]),
    lambda: _single("Flatten", [("x", [2, 2, 2])], None, axis=2),
    lambda: _single("Gather", [("x", [3, 2])], None, [("i", np.array([[2, 0], [-1, 1]], dtype=np.int64))]),
    lambda: _single("Gather", [("x", [3, 2])], None, [("i", np.array(1, dtype=np.int64))], axis=1),
    lambda: _single("Slice", [("x", [4, 3])], None, [("s", np.array([3, 0])), ("e", np.array([-100, 9])),
                                                     ("a", np.array([0, 1])), ("st", np.array([-2, 2]))]),
    lambda: _single("Expand", [("x", [3, 1])], None, [("s", np.array([2, 1, 4], dtype=np.int64))]),
    lambda: _single("Identity", [("x", [2])], None),
    lambda: _single("Dropout", [("x", [2])], None, [("r", np.array(0.5))]),
    lambda: _single("Transpose", [("x", [2, 3, 2])], None),
])
def test_single_operator_against_reference(make):
    _agrees_with_reference(make())


def test_boolean_logic_and_shape_computations():
    nodes = [
        helper.make_node("Less", ["x", "a"], ["lt"]), helper.make_node("GreaterOrEqual", ["x", "b"], ["ge"]),
        helper.make_node("LessOrEqual", ["x", "a"], ["le"]), helper.make_node("Equal", ["x", "b"], ["eq"]),
        helper.make_node("And", ["lt", "ge"], ["band"]), helper.make_node("Or", ["band", "eq"], ["bor"]),
        helper.make_node("Not", ["bor"], ["bnot"]), helper.make_node("Where", ["bnot", "x", "a"], ["w1"]),
        helper.make_node("Where", ["le", "w1", "b"], ["w2"]),
        helper.make_node("Shape", ["x"], ["shp"]), helper.make_node("Gather", ["shp", "k"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]), helper.make_node("Concat", ["n1", "m1"], ["newshape"], axis=0),
        helper.make_node("Reshape", ["w2", "newshape"], ["r"]),
        helper.make_node("Shape", ["r"], ["rshape"]),
        helper.make_node("ConstantOfShape", ["rshape"], ["ones"], value=numpy_helper.from_array(np.array([1.5]))),
        helper.make_node("Constant", [], ["c32"], value_float=0.25), helper.make_node("Cast", ["c32"], ["c"], to=D),
        helper.make_node("Add", ["r", "ones"], ["s"]), helper.make_node("Mul", ["s", "c"], ["y"]),
    ]
    inits = [("a", np.array(0.5)), ("b", np.array(-0.5)), ("k", np.array(1, dtype=np.int64)),
             ("ax", np.array([0], dtype=np.int64)), ("m1", np.array([-1], dtype=np.int64))]
    program = _agrees_with_reference(_model(nodes, [("x", [2, 3])], [("y", [3, 2])], inits), points=12)
    assert program.n_inputs == 6 and program.n_outputs == 6


def test_input_names_several_inputs_and_override():
    model = _single("Add", [("input.1", [2]), ("t", [])], None)
    assert from_onnx(model).inputs == ("input_1_0", "input_1_1", "t")
    assert from_onnx(model, names="a, b, c").inputs == ("a", "b", "c")
    assert from_onnx(model.SerializeToString(), names=["p", "q", "r"]).inputs == ("p", "q", "r")
    with pytest.raises(InputError, match="names= has 2 names; the model's inputs have 3 entries"):
        from_onnx(model, names=["a", "b"])


# --------------------------------------------------------------------------- PyTorch exports
def _export(module, example, path, **options):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy (TorchScript) exporter is deprecated but present in torch 2.13
        torch.onnx.export(module, (example,), str(path), dynamo=False, **options)
    return from_onnx(str(path))


def _torch_agrees(program, module, n_inputs, points=8, dyadic_weights=True):
    """Exact values equal the float64 module outputs (equal exactly when the weights are short dyadics)."""
    torch = pytest.importorskip("torch")
    for _ in range(points):
        x = _dyadic((1, n_inputs))
        with torch.no_grad():
            expected = module(torch.tensor(x, dtype=torch.float64)).numpy().ravel()
        got = semialg.exact_value(program, [Fraction(v) for v in x.ravel()])
        if dyadic_weights:
            assert [Fraction(float(e)) for e in expected] == list(got)
        else:
            np.testing.assert_allclose([float(g) for g in got], expected, rtol=1e-12, atol=1e-12)


def _short_dyadic_weights(module):
    """Round every parameter to a multiple of 1/16, so float64 computes the network exactly."""
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.round(p * 16) / 16)
    return module


def test_pytorch_mlp_export_values_and_conservative(tmp_path):
    torch = pytest.importorskip("torch")
    from semialg.checks.conservative import check

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1)).double()
    program = _export(net, torch.zeros(1, 2, dtype=torch.float64), tmp_path / "mlp.onnx")
    assert program.inputs == ("x0", "x1") and program.n_outputs == 1
    _torch_agrees(program, net, 2, dyadic_weights=False)  # float64 rounding: compared to 1e-12
    _short_dyadic_weights(net)
    program = _export(net, torch.zeros(1, 2, dtype=torch.float64), tmp_path / "mlp16.onnx")
    _torch_agrees(program, net, 2)  # exact
    listed = _export(net, torch.zeros(1, 2, dtype=torch.float64), tmp_path / "listed.onnx",
                     keep_initializers_as_inputs=True)  # initializers also listed as graph inputs
    assert listed.inputs == ("x0", "x1") and listed.outputs == program.outputs
    assert check(program, rule="pytorch").verdict == "conservative"


class _PoolNet:
    """Linear -> LeakyReLU(1/4) -> Hardtanh -> MaxPool1d or MaxPool2d -> flatten -> Linear (built lazily)."""

    @staticmethod
    def make(two_d: bool, n_in: int = 3, width: int = 8):
        torch = pytest.importorskip("torch")

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.first = torch.nn.Linear(n_in, width if not two_d else 16)
                self.act = torch.nn.LeakyReLU(0.25)
                self.clip = torch.nn.Hardtanh()
                self.pool = torch.nn.MaxPool2d(2) if two_d else torch.nn.MaxPool1d(2)
                self.last = torch.nn.Linear(width // 2 if not two_d else 4, 1)

            def forward(self, x):
                h = self.clip(self.act(self.first(x)))
                h = h.view(x.size(0), 1, 4, 4) if two_d else h.unsqueeze(1)
                return self.last(torch.flatten(self.pool(h), 1))

        torch.manual_seed(1)
        return _short_dyadic_weights(Net().double())


@pytest.mark.parametrize("two_d", [False, True], ids=["maxpool1d", "maxpool2d"])
def test_pytorch_leaky_hardtanh_maxpool_export(tmp_path, two_d):
    torch = pytest.importorskip("torch")
    net = _PoolNet.make(two_d)
    program = _export(net, torch.zeros(1, 3, dtype=torch.float64), tmp_path / "pool.onnx")
    _torch_agrees(program, net, 3, points=12)
    ops = {n.op for n in program.topological_order()}
    assert {"leaky_relu", "clip", "max"} <= ops


def test_pytorch_pool_export_conservative(tmp_path):
    torch = pytest.importorskip("torch")
    from semialg.checks.conservative import check

    net = _PoolNet.make(False, n_in=2, width=4)
    program = _export(net, torch.zeros(1, 2, dtype=torch.float64), tmp_path / "pool.onnx")
    _torch_agrees(program, net, 2)
    assert check(program, rule="pytorch").verdict == "conservative"


# --------------------------------------------------------------------------- errors
def test_sin_is_refused_with_the_node():
    model = _model([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sin", ["r"], ["y"], name="the_sine")],
                   [("x", [2])], [("y", [2])])
    with pytest.raises(UnsupportedError) as info:
        from_onnx(model)
    message = str(info.value)
    assert "Sin" in message and "'the_sine'" in message and "#1" in message
    assert "not piecewise polynomial" in message and "Gemm" in message


def test_unknown_operator_lists_the_supported_ones():
    model = _single("Round", [("x", [2])], None)
    with pytest.raises(UnsupportedError, match="Round is not supported; supported ONNX operators: "
                                               + ", ".join(SUPPORTED_OPS[:3])):
        from_onnx(model)


def test_non_constant_division_is_refused():
    with pytest.raises(UnsupportedError, match=r"node #0 \(Div\): division by"):
        from_onnx(_single("Div", [("x", [2]), ("z", [2])], [2]))


def test_a_file_that_is_not_onnx(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("this is a text file, not a model\n")
    with pytest.raises(InputError, match="is not an ONNX model"):
        from_onnx(str(path))
    with pytest.raises(InputError, match="is not a file"):
        from_onnx(str(tmp_path / "missing.onnx"))
    with pytest.raises(InputError, match="takes a path, bytes or an onnx.ModelProto"):
        from_onnx(3)


def test_dynamic_shape_and_unsorted_graph(monkeypatch):
    dynamic = _model([helper.make_node("Relu", ["x"], ["y"])], [("x", ["batch", 2])], [("y", ["batch", 2])])
    with pytest.raises(InputError, match="dynamic dimension 'batch'"):
        from_onnx(dynamic)
    graph = helper.make_graph([helper.make_node("Relu", ["h"], ["y"]), helper.make_node("Neg", ["x"], ["h"])], "g",
                              [helper.make_tensor_value_info("x", D, [2])], [helper.make_tensor_value_info("y", D, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(InputError, match="topologically sorted"):
        from_onnx(model)
    # onnx.checker finds it first; without the checker, the walk's own check says it too
    monkeypatch.setattr(onnx.checker, "check_model", lambda model: None)
    with pytest.raises(InputError, match="not topologically sorted: node #0 '' \\(Relu\\) reads 'h', which node #1"):
        from_onnx(model)
