"""Checking a framework's own derivative: ``check(f, framework=..., example=...)`` and
``semialg check FILE.py:NAME --framework jax|torch --example ...`` (semialg.frontends.native).

The framework tests skip when the framework is absent; the input-error table runs always.
"""
from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from fractions import Fraction
from pathlib import Path

import pytest

from semialg.checks.conservative import check
from semialg.cli.app import main
from semialg.core.errors import InputError
from semialg.frontends import native

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "frameworks"
JAX_FILE = str(EXAMPLES / "jax_relu6.py")      # buggy (a custom_jvp relu6 without its cap) and fixed
TORCH_FILE = str(EXAMPLES / "torch_gate.py")   # model: an autograd.Function wrong on (-1, 0); Net


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def jax_file():
    pytest.importorskip("jax")
    return JAX_FILE


@pytest.fixture
def torch_file():
    pytest.importorskip("torch")
    return TORCH_FILE


def test_jax_buggy_custom_jvp_is_refuted_and_jax_reproduces_the_witness(jax_file):
    code, out, _ = run(["check", f"{jax_file}:buggy", "--framework", "jax", "--example", "0,0", "--json"])
    data = json.loads(out)
    assert code == 1 and data["verdict"] == "not_conservative" and data["rule"] == "native jax"
    w = data["witness"]
    fw = w["numeric"]["framework"]
    assert fw["name"] == "jax" and fw["equals_field_value"]
    # the witness lies where the cap at 6 is active: the true derivative along the curve is 0
    assert w["derivative_along_curve"] == "0" and w["field_along_curve"] != "0"
    import jax
    f = native.load_callable(f"{jax_file}:buggy")
    point = [float(Fraction(v)) for v in w["point"]]
    import numpy as np
    with jax.enable_x64(True):
        grad = jax.grad(f)(np.array(point))
    assert [float(g) for g in grad] == [float(Fraction(v)) for v in w["field_value"]]


def test_jax_fixed_jvp_and_scalar_arguments_are_conservative(jax_file):
    code, out, _ = run(["check", f"{jax_file}:fixed", "--framework", "jax", "--example", "0,0"])
    assert code == 0 and "rule: native jax" in out.splitlines()[0]
    import jax
    import jax.numpy as jnp

    def f(x, y):
        return jnp.maximum(x, y) + jax.nn.relu(x - 1.0)
    r = check(f, framework="jax", example=(0.0, 0.0))
    assert r.verdict == "conservative" and r.program.inputs == ("x", "y")
    assert r.rule.name == "native jax"


def test_torch_autograd_function_is_refuted_and_torch_reproduces_the_witness(torch_file):
    code, out, _ = run(["check", f"{torch_file}:model", "--framework", "torch", "--example", "0,0"])
    assert code == 1
    assert "verdict: NOT CONSERVATIVE" in out
    assert "torch autodiff at the point returns" in out and "the value the check used" in out
    import torch
    m = native.load_callable(f"{torch_file}:model")
    r = check(m, framework="pytorch", example=[0, 0])
    w = r.witness
    x = torch.tensor([float(v) for v in w.point], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(m(x), x)
    assert grad.tolist() == [float(v) for v in w.field_value]


def test_torch_scalar_arguments_are_conservative(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "good.py"
    path.write_text("import torch\n\ndef good(x, y):\n    return torch.relu(x - y) + torch.maximum(x, y)\n")
    code, out, _ = run(["check", f"{path}:good", "--framework", "torch", "--example", "1/2,-1"])
    assert code == 0 and "verdict: CONSERVATIVE" in out and "variables: x, y" in out


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_onnx_file_on_the_command_line(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.round(p * 8) / 8)
    path = tmp_path / "mlp.onnx"
    torch.onnx.export(m, (torch.zeros(1, 2),), str(path), dynamo=False)
    code, out, _ = run(["check", str(path), "--rule", "pytorch", "--json"])
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "conservative" and data["variables"] == ["x0", "x1"]


@pytest.mark.parametrize("argv, message", [
    (["check", "f.py:g"], "is a Python file: give --framework"),
    (["check", "relu(x)", "--example", "0"], "--example goes with --framework"),
    (["check", "relu(x)", "--framework", "tensorflow", "--example", "0"], "unknown framework; give one of: jax, torch"),
    (["check", "nofile.py:f", "--framework", "jax", "--example", "0"], "nofile.py: no such file"),
    (["check", "nocolon.py", "--framework", "jax", "--example", "0"], "expected FILE.py:NAME"),
    (["check", "x.py:f", "--framework", "jax", "--example", "0,a"], "'a' (entry 2) is not a number"),
])
def test_bad_inputs(argv, message):
    if "--framework" in argv and argv[argv.index("--framework") + 1] == "jax":
        pytest.importorskip("jax")
    code, _, err = run(argv)
    assert code == 2 and message in err, err


def test_bad_inputs_with_a_file(jax_file):
    cases = [
        ([f"{jax_file}:fixd", "--framework", "jax", "--example", "0,0"], "defines no fixd; did you mean fixed?"),
        ([f"{jax_file}:buggy", "--framework", "jax", "--example", "0,0,1"], "Check that the example has the shape"),
        ([f"{jax_file}:fixed", "--framework", "jax"], "needs --example"),
        ([f"{jax_file}:fixed", "--framework", "jax", "--example", "0,0", "--rule", "jax"],
         "--rule jax cannot be combined with --framework jax"),
        ([f"{jax_file}:fixed", "--framework", "jax", "--example", "0,0", "--field", "1, 1"],
         "--field cannot be combined with --framework jax"),
    ]
    for argv, message in cases:
        code, _, err = run(["check", *argv])
        assert code == 2 and message in err, (argv, err)


def test_a_class_and_a_wrong_arity(torch_file, tmp_path):
    code, _, err = run(["check", f"{torch_file}:Net", "--framework", "torch", "--example", "0,0"])
    assert code == 2 and "Net is a class; check an instance" in err
    path = tmp_path / "two.py"
    path.write_text("import torch\n\ndef f(x, y):\n    return torch.relu(x - y)\n")
    code, _, err = run(["check", f"{path}:f", "--framework", "torch", "--example", "0,0,1"])
    assert code == 2 and "the function takes 2 positional arguments but the example has 3 values" in err


def test_python_api_errors():
    with pytest.raises(InputError, match="is a Python function: to check a JAX or PyTorch function"):
        check(lambda x: x)
    with pytest.raises(InputError, match="example= is for framework functions"):
        check("relu(x)", example=(0,))
    with pytest.raises(InputError, match="unknown framework"):
        check(lambda x: x, framework="mxnet", example=(0,))
