"""Deep-equilibrium layers (semialg.frontends.equilibrium, semialg.checks.implicit.deq).

The expected values come from outside the code under test: numpy fixed-point iterations and
finite differences of z*(x), numpy norms and eigenvalues, and the generic implicit function
theorem on the hand-written one-neuron program.
"""
from __future__ import annotations

import time
from fractions import Fraction as Fr

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import semialg
from semialg.checks.implicit.deq import closed_form_jacobian, contraction, deq_at, fixed_points
from semialg.core.errors import InputError
from semialg.frontends.equilibrium import activation, deq_layer

ACTS = {"relu": lambda v: np.maximum(v, 0.0), "hardtanh": lambda v: np.clip(v, -1.0, 1.0),
        "leaky_relu:1/10": lambda v: np.where(v >= 0, v, 0.1 * v)}


def numeric_fixed_point(W, U, b, act, x, steps=4000):
    """z = σ(Wz + Ux + b) by plain float iteration (a contraction in the tests that use it)."""
    W, U, b, x = (np.array([[float(Fr(v)) for v in r] for r in W]), np.array([[float(Fr(v)) for v in r] for r in U]),
                  np.array([float(Fr(v)) for v in b]), np.array([float(v) for v in x]))
    z = np.zeros(len(b))
    for _ in range(steps):
        z = ACTS[act](W @ z + U @ x + b)
    return z


def one_sided_differences(W, U, b, act, x, direction, eps=1e-6):
    x = np.array([float(v) for v in x])
    d = np.array(direction, dtype=float)
    z0 = numeric_fixed_point(W, U, b, act, x)
    plus = (numeric_fixed_point(W, U, b, act, x + eps * d) - z0) / eps
    minus = (z0 - numeric_fixed_point(W, U, b, act, x - eps * d)) / eps
    return plus, minus


def test_one_neuron_kink_slopes_match_finite_differences():
    W, U, b = [["-1/2"]], [[2]], [1]
    r = deq_at(deq_layer(W, U, b), [Fr(-1, 2)])
    assert r.verdict == "invertible" and r.z == (Fr(0),)
    got = sorted(float(m[0][0]) for m in r.jacobian)
    plus, minus = one_sided_differences(W, U, b, "relu", [-0.5], [1.0])
    assert got == pytest.approx(sorted([plus[0], minus[0]]), abs=1e-5)
    assert set(r.closed_form) == set(r.jacobian)


def test_the_bilinear_one_neuron_kink_is_decided_quickly_with_every_parameter_free():
    """The issue's example: z - relu(w*z + b + u*x) with (w, b, u, x) all parameters (bilinear w*z)."""
    start = time.process_time()
    for rule in ("clarke", "pytorch", "jax"):
        r = semialg.implicit("z - relu(w*z + b + u*x)", x="w,b,u,x", y="z", at="w=-1/2,b=1,u=2,x=-1/2,z=0", rule=rule)
        assert r.verdict == "invertible"
        assert {img for _, img in r.images} == {((0, 0, 0, 0),), ((0, Fr(2, 3), Fr(-1, 3), Fr(4, 3)),)}
    # a loose bound for a shared machine: the three rules, stratification included (the benchmark times one)
    assert time.process_time() - start < 10


def test_three_units_at_a_kink_against_finite_differences():
    W = [["1/4", "-1/2", "0"], ["1/3", "0", "1/4"], ["0", "1/2", "-1/4"]]
    U, b = [[1, 0], [0, 1], [1, -1]], ["5/18", "1/2", 0]       # unit 1 sits on its kink at x = 0
    r = deq_at(deq_layer(W, U, b), [0, 0], rule="pytorch")
    assert r.z == (0, Fr(5, 9), Fr(2, 9))
    assert np.allclose([float(v) for v in r.z], numeric_fixed_point(W, U, b, "relu", [0, 0]), atol=1e-12)
    assert r.verdict == "invertible" and len(r.jacobian) == 2 and set(r.closed_form) == set(r.jacobian)
    assert r.certificate is not None and r.certificate.norm == "inf"
    vertices = [np.array([[float(v) for v in row] for row in m]) for m in r.jacobian]
    for direction in ([1, 0], [0, 1], [1, 1], [-1, 2]):
        for diff in one_sided_differences(W, U, b, "relu", [0, 0], direction):
            assert min(np.abs(v @ np.array(direction, float) - diff).max() for v in vertices) < 1e-5


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3), st.integers(1, 2), st.sampled_from(sorted(ACTS)), st.data())
def test_random_contracting_layers_agree_with_numeric_derivatives(m, n, act, data):
    entry = st.fractions(min_value=-1, max_value=1, max_denominator=4)
    W = [[data.draw(entry) / (2 * m) for _ in range(m)] for _ in range(m)]     # row sums <= 1/2: a contraction
    U = [[data.draw(entry) for _ in range(n)] for _ in range(m)]
    b = [data.draw(entry) for _ in range(m)]
    x = [data.draw(entry) for _ in range(n)]
    r = deq_at(deq_layer(W, U, b, act), x, clarke=False)
    assert r.certificate is not None and r.verdict == "invertible"
    assert np.allclose([float(v) for v in r.z], numeric_fixed_point(W, U, b, act, x), atol=1e-10)
    assert set(r.closed_form) == set(r.jacobian)
    vertices = [np.array([[float(v) for v in row] for row in mx]) for mx in r.jacobian]
    direction = np.array([data.draw(st.integers(-2, 2)) for _ in range(n)], dtype=float)
    for diff in one_sided_differences(W, U, b, act, x, direction):
        assert min(np.abs(v @ direction - diff).max() for v in vertices) < 1e-4


def test_contraction_norms_against_numpy():
    rng = np.random.default_rng(3)
    for _ in range(30):
        m = int(rng.integers(1, 4))
        W = tuple(tuple(Fr(int(v), 8) for v in row) for row in rng.integers(-6, 7, size=(m, m)))
        Wf = np.array([[float(v) for v in r] for r in W])
        for L in (Fr(1), Fr(1, 2)):
            tests = {c.norm: c.holds for c in contraction(W, L)}
            assert tests["inf"] == (float(L) * np.abs(Wf).sum(axis=1).max() < 1)
            assert tests["1"] == (float(L) * np.abs(Wf).sum(axis=0).max() < 1)
            s = float(L) * np.linalg.norm(Wf, 2)
            if abs(s - 1) > 1e-9:
                assert tests["2"] == (s < 1)


def test_not_a_contraction_singular_witness():
    # z = relu(z + x) at x = 0: B = 1 - q vanishes at q = 1
    r = deq_at(deq_layer([[1]], [[1]], [0]), [0], z=[0])
    assert r.verdict == "not_invertible" and r.certificate is None
    assert r.implicit.singularity.witness_matrix == ((0,),)
    assert r.closed_form is None
    assert r.exit_code == 1


def test_all_fixed_points_are_enumerated_when_asked():
    layer = deq_layer([[2]], [[1]], [-1])                 # z = relu(2z - 1): z = 0 and z = 1
    points, how = fixed_points(layer, [0], all_points=True)
    assert points == ((0,), (1,)) and "all the fixed points" in how
    r = deq_at(layer, [0], z=[1])
    assert r.verdict == "invertible" and [m[0][0] for m in r.jacobian] == [-1]    # z = 2z - 1 + x: z' = -1


def test_hardtanh_saturated_and_leaky_slopes():
    r = deq_at(deq_layer([["1/2"]], [[1]], [0], "hardtanh"), ["1/2"])     # z = clip(z/2 + 1/2): z = 1, at the kink
    assert r.z == (1,) and {m[0][0] for m in r.jacobian} == {0, 2}
    assert activation("leaky_relu:1/10").slopes_at(Fr(0)) == (Fr(1, 10), 1)


def test_text_and_json():
    r = deq_at(deq_layer([["-1/2"]], [[2]], [1]), [Fr(-1, 2)])
    text = r.to_text()
    assert "z* = (0)" in text and "contraction: L·||W||_∞ = 1/2" in text and "[4/3]" in text
    js = r.to_json()
    assert js["command"] == "deq" and js["verdict"] == "invertible" and js["certificate"] == "inf"
    assert sorted(js["jacobian"]) == [[["0"]], [["4/3"]]] and js["implicit"]["verdict"] == "invertible"


@pytest.mark.parametrize("call, message", [
    (lambda: deq_layer([[1, 2]], [[1]], [0]), "W must be square"),
    (lambda: deq_layer([[1]], [[1], [2]], [0]), "U has 2 rows but W has 1"),
    (lambda: deq_layer([[1]], [[1]], [0, 1]), "b has 2 entries but W has 1 rows"),
    (lambda: deq_layer([["a"]], [[1]], [0]), "W[1][1]: 'a' is not an exact rational"),
    (lambda: deq_layer([[0]], [[1]], [0], "tanh"), "activation 'tanh' is not one of"),
    (lambda: deq_layer([[0]], [[1]], [0], "leaky_relu:x"), "leaky_relu slope 'x'"),
    (lambda: deq_at(deq_layer([[0]], [[1]], [0]), [0, 1]), "x has 2 entries but the layer has 1 inputs"),
    (lambda: deq_at(deq_layer([[0]], [[1]], [0]), [1], z=[0]), "is not a fixed point at x"),
    (lambda: fixed_points(deq_layer([[1]], [[0]], [1]), [0]), "no isolated fixed point"),
])
def test_bad_inputs(call, message):
    with pytest.raises(InputError, match=None) as info:
        call()
    assert message in str(info.value)


def test_closed_form_none_when_singular():
    assert closed_form_jacobian(deq_layer([[1]], [[1]], [0]), [0], [0]) is None


def test_cli_deq(capsys):
    from semialg.cli.app import main
    assert main(["deq", "--W=-1/2", "--U", "2", "--b", "1", "--x=-1/2"]) == 0
    out = capsys.readouterr().out
    assert "verdict: INVERTIBLE" in out and "[4/3]" in out and "rule: clarke" in out
    assert main(["deq", "--W", "1", "--U", "1", "--b", "0", "--x", "0", "--z", "0", "--json"]) == 1
    import json
    assert json.loads(capsys.readouterr().out)["verdict"] == "not_invertible"
    assert main(["deq", "--W", "1,2", "--U", "1", "--b", "0", "--x", "0"]) == 2
    assert "W must be square" in capsys.readouterr().err
