"""The JAX front end: values, JAX's own derivatives (at kinks too), verdicts, errors, speed.

Weights and points are small dyadic rationals, so JAX's float64 arithmetic is exact on them
and the converted programs must agree with JAX *exactly*.
"""
import time
from fractions import Fraction

import numpy as np
import pytest

jax = pytest.importorskip("jax")
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

import semialg  # noqa: E402
from semialg.core.errors import InputError, UnsupportedError  # noqa: E402
from semialg.frontends.jax import count_nodes, from_jax, jax_derivative  # noqa: E402


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


def dyadic(rng, *shape, scale=4):
    return rng.integers(-8, 9, size=shape) / scale


def exact(values):
    return tuple(Fraction(float(v)) for v in np.ravel(np.asarray(values)))


def point_of(x):
    return [Fraction(float(v)) for v in np.ravel(x)]


# --------------------------------------------------------------------------- the networks
def pool(h):
    return lax.reduce_window(h, -jnp.inf, lax.max, (2,), (2,), "VALID")


ACTIVATIONS = {
    "relu": jax.nn.relu,
    "leaky_relu": lambda h: jax.nn.leaky_relu(h, negative_slope=0.25),
    "max": lambda h: jnp.maximum(h, h[::-1] * 0.5),
    "abs": jnp.abs,
    "clip": lambda h: jnp.clip(h, -1.0, 1.5),
    "maxpool": lambda h: jnp.concatenate([pool(h), pool(h)]),
    "sort": jnp.sort,
    "min_relu6": lambda h: jnp.minimum(jax.nn.relu6(h), jnp.max(h)),
}


def make_mlp(activation, seed, n_in=2, hidden=4):
    rng = np.random.default_rng(seed)
    w1, b1, w2, b2 = dyadic(rng, hidden, n_in), dyadic(rng, hidden), dyadic(rng, hidden), dyadic(rng)
    act = ACTIVATIONS[activation]
    return lambda x: w2 @ act(w1 @ x + b1) + b2


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("seed", [0, 1])
def test_values_match_jax_exactly(activation, seed):
    f = make_mlp(activation, seed)
    program = from_jax(f, np.zeros(2))
    assert program.inputs == ("x0", "x1")
    rng = np.random.default_rng(100 + seed)
    for _ in range(6):
        x = dyadic(rng, 2, scale=8)
        assert semialg.exact_value(program, point_of(x)) == exact(f(x))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_derivative_matches_jax_grad_at_smooth_points(activation):
    f = make_mlp(activation, 3)
    field = jax_derivative(f, np.zeros(2))
    rng = np.random.default_rng(7)
    for _ in range(6):
        x = dyadic(rng, 2, scale=8) + 1 / 64  # off the dyadic grid of the kinks, mostly
        assert semialg.exact_value(field, point_of(x)) == exact(jax.grad(f)(x))


KINKS = [
    ("relu at 0", jax.nn.relu, [0.0]),
    ("abs at 0", jnp.abs, [0.0]),
    ("maximum tie", lambda x, y: jnp.maximum(x, y), [1.5, 1.5]),
    ("minimum tie", lambda x, y: jnp.minimum(x, y) * 3, [-0.5, -0.5]),
    ("max of a vector, 2 ties", lambda v: jnp.max(v) * 2, [[1.0, 1.0, 0.5]]),
    ("max of a vector, 4 ties", lambda v: jnp.max(v), [[1.0, 1.0, 1.0, 1.0]]),
    ("clip at the lower bound", lambda x: jnp.clip(x, -1.0, 1.0), [-1.0]),
    ("clip at the upper bound", lambda x: jnp.clip(x, -1.0, 1.0), [1.0]),
    ("lax.clamp at a bound", lambda x: lax.clamp(0.0, x, 2.0), [2.0]),
    ("relu6 at 6", jax.nn.relu6, [6.0]),
    ("leaky relu at 0", lambda x: jax.nn.leaky_relu(x, 0.25), [0.0]),
    ("maxpool tie", lambda v: jnp.sum(pool(v) * jnp.array([1.0, 2.0])), [[1.0, 1.0, -2.0, -2.0]]),
    ("sort tie", lambda v: jnp.sort(v) @ jnp.array([1.0, 2.0, 3.0]), [[0.5, 0.5, -1.0]]),
    ("sort all tied", lambda v: jnp.sort(v) @ jnp.array([1.0, 2.0, 4.0]), [[0.0, 0.0, 0.0]]),
    ("where on a comparison", lambda x, y: jnp.where(x >= y, x * y, y - x), [1.0, 1.0]),
    ("argmax picks the first", lambda v: v[jnp.argmax(v)] * 1.0, [[2.0, 2.0]]),
]


@pytest.mark.parametrize("name, f, args", KINKS, ids=[k[0] for k in KINKS])
def test_derivative_matches_jax_grad_at_kinks(name, f, args):
    arrays = [np.asarray(a, dtype=np.float64) for a in args]
    field = jax_derivative(f, *arrays)
    grads = jax.grad(f, argnums=tuple(range(len(arrays))))(*arrays)
    expected = tuple(v for g in grads for v in exact(g))
    assert semialg.exact_value(field, [v for a in arrays for v in point_of(a)]) == expected


def test_three_way_tie_is_the_exact_third_jax_rounds():
    field = jax_derivative(lambda v: jnp.max(v), np.zeros(3))
    assert semialg.exact_value(field, [1, 1, 1]) == (Fraction(1, 3),) * 3
    assert np.allclose(jax.grad(lambda v: jnp.max(v))(np.ones(3)), 1 / 3, rtol=1e-15, atol=0)


def test_argmax_and_input_dependent_indexing():
    f = lambda v: jnp.argmax(v) * 1.0 + jnp.argmin(v) * 10.0 + v[jnp.argmax(v)]  # noqa: E731
    program = from_jax(f, np.zeros(3))
    for x in ([0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [-1.0, 3.0, -1.0], [0.5, -2.0, 1.5]):
        assert semialg.exact_value(program, point_of(x)) == exact(f(np.array(x)))


def test_values_at_kinks_and_extra_operations():
    def f(v):
        w = v.reshape(2, 2).T
        return jnp.concatenate([jnp.cumsum(v), jnp.pad(v[1:3], (1, 2)), w.ravel(), jnp.sign(v), v ** 2,
                                jnp.min(v)[None], lax.dynamic_slice(v, (1,), (2,)), jnp.floor(v / 2)])
    program = from_jax(f, np.zeros(4))
    for x in (np.array([0.0, -1.5, 2.0, 0.0]), np.array([1.0, 1.0, -3.0, 0.25])):
        assert semialg.exact_value(program, point_of(x)) == exact(f(x))


def test_jacobian_rows_of_a_vector_output():
    rng = np.random.default_rng(5)
    w, b = dyadic(rng, 3, 2), dyadic(rng, 3)
    f = lambda x: jax.nn.relu(w @ x + b)  # noqa: E731
    field = jax_derivative(f, np.zeros(2))
    assert field.n_outputs == 6
    for x in (np.zeros(2), np.array([0.5, -0.25]), -b[:2]):
        assert semialg.exact_value(field, point_of(x)) == exact(jax.jacrev(f)(x))


# --------------------------------------------------------------------------- verdicts
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relu_mlp_gradient_is_conservative(seed):
    f = make_mlp("relu", seed)
    result = semialg.check(from_jax(f, np.zeros(2)), field=jax_derivative(f, np.zeros(2)))
    assert result.verdict == "conservative", result.reason


def _assert_witness_is_jax_gradient(f, result):
    assert result.verdict == "not_conservative"
    w = result.witness
    point = np.array([float(v) for v in w.point])
    grad = exact(jax.grad(f)(*point))
    along = sum(g * Fraction(d) for g, d in zip(grad, w.direction))
    assert along == w.field_along_curve != w.derivative_along_curve


def test_custom_jvp_relu6_that_forgets_the_cap_is_not_conservative():
    @jax.custom_jvp
    def relu6(x):
        return jnp.minimum(jnp.maximum(x, 0.0), 6.0)

    @relu6.defjvp
    def relu6_jvp(primals, tangents):
        (x,), (dx,) = primals, tangents
        return relu6(x), jnp.where(x > 0, 1.0, 0.0) * dx  # forgot: 0 above 6

    program, field = from_jax(relu6, 1.0), jax_derivative(relu6, 1.0)
    assert program.to_text() == "min(relu(x), 6)"
    result = semialg.check(program, field=field)
    _assert_witness_is_jax_gradient(relu6, result)
    assert result.witness.point[0] > 6


def test_straight_through_clip_custom_vjp_is_not_conservative():
    @jax.custom_vjp
    def clip(x):
        return jnp.clip(x, -1.0, 1.0)

    clip.defvjp(lambda x: (clip(x), None), lambda _, g: (g,))
    field = jax_derivative(clip, 0.0)
    assert field.to_text() == "1"
    result = semialg.check(from_jax(clip, 0.0), field=field)
    _assert_witness_is_jax_gradient(clip, result)
    assert abs(result.witness.point[0]) > 1


def test_correct_custom_jvp_is_conservative():
    @jax.custom_jvp
    def relu(x):
        return jnp.maximum(x, 0.0)

    relu.defjvp(lambda p, t: (relu(p[0]), jnp.where(p[0] > 0, 1.0, 0.0) * t[0]))
    f = lambda x, y: relu(x - y) + 2 * relu(y)  # noqa: E731
    assert semialg.check(from_jax(f, 0.0, 0.0), field=jax_derivative(f, 0.0, 0.0)).verdict == "conservative"


# --------------------------------------------------------------------------- names and errors
def test_variable_names():
    assert from_jax(lambda x, y: x * y, 1.0, 2.0).inputs == ("x", "y")
    assert from_jax(lambda w, b: jnp.sum(w) + b, np.zeros((2, 2)), 0.0).inputs == ("w_0_0", "w_0_1", "w_1_0", "w_1_1", "b")
    assert from_jax(lambda v: jnp.sum(v), np.zeros(3), names="a b c").inputs == ("a", "b", "c")
    assert jax_derivative(lambda v: jnp.sum(v), np.zeros(3), names=["a", "b", "c"]).inputs == ("a", "b", "c")
    with pytest.raises(InputError, match="names"):
        from_jax(lambda v: jnp.sum(v), np.zeros(3), names="a b")


def test_sin_is_refused_by_name():
    with pytest.raises(UnsupportedError, match=r"'sin'.*not semialgebraic / not piecewise polynomial"):
        from_jax(lambda x: jnp.sin(x) + x, 1.0)
    with pytest.raises(UnsupportedError, match="'exp'"):
        jax_derivative(lambda x: jax.nn.relu(jnp.exp(x)), 1.0)


def test_division_by_a_variable_is_refused_with_its_place():
    with pytest.raises(UnsupportedError, match=r"'div'.*equation 0") as info:
        from_jax(lambda x, y: x / y, 1.0, 2.0)
    assert "Supported JAX primitives" in str(info.value)


def test_bad_arguments():
    with pytest.raises(InputError, match="2 example arguments"):
        from_jax(lambda x: x, 1.0, 2.0)
    with pytest.raises(InputError, match="example arguments"):
        from_jax(lambda x: x)
    with pytest.raises(InputError, match="float outputs"):
        jax_derivative(lambda v: jnp.argmax(v), np.zeros(2))


def test_x64_setting_is_restored():
    f = lambda x: jnp.ones((4, 3)) @ jax.nn.relu(x)  # noqa: E731
    with jax.enable_x64(False):
        from_jax(f, np.zeros(3))
        assert not jax.config.read("jax_enable_x64")
        assert f(np.ones(3)).dtype == jnp.float32  # and JAX still runs it in float32


# --------------------------------------------------------------------------- speed and sharing
def test_3_16_16_1_mlp_converts_fast_and_stays_shared():
    rng = np.random.default_rng(11)
    w1, b1, w2, b2, w3 = dyadic(rng, 16, 3), dyadic(rng, 16), dyadic(rng, 16, 16), dyadic(rng, 16), dyadic(rng, 16)
    f = lambda x: w3 @ jax.nn.relu(w2 @ jax.nn.relu(w1 @ x + b1) + b2)  # noqa: E731
    from_jax(f, np.zeros(3))  # JAX's own first-trace cost out of the timing
    start = time.perf_counter()
    program, field = from_jax(f, np.zeros(3)), jax_derivative(f, np.zeros(3))
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    nodes, text = count_nodes(field.outputs), len(field.to_text())
    assert nodes < 1000 and text > 50 * nodes, (nodes, text)  # the text repeats what the DAG shares
    x = dyadic(rng, 3, scale=8)
    assert semialg.exact_value(field, point_of(x)) == exact(jax.grad(f)(x))
    assert semialg.exact_value(program, point_of(x)) == exact(f(x))
