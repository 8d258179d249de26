"""A JAX MLP whose relu6 has a hand-written JVP that forgot the cap at 6.

``semialg check examples/frameworks/jax_relu6.py:buggy --framework jax --example 0,0``
refutes JAX's own derivative of ``buggy`` with a witness; ``fixed`` passes.
"""
import jax
import jax.numpy as jnp


@jax.custom_jvp
def relu6(x):
    return jnp.clip(x, 0.0, 6.0)


@relu6.defjvp
def relu6_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return relu6(x), jnp.where(x > 0, dx, 0.0)  # the bug: should be 0 for x > 6 too


@jax.custom_jvp
def relu6_fixed(x):
    return jnp.clip(x, 0.0, 6.0)


@relu6_fixed.defjvp
def relu6_fixed_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return relu6_fixed(x), jnp.where((x > 0) & (x < 6), dx, 0.0)


W1 = jnp.array([[1.0, -0.5], [0.25, 2.0], [-1.0, 1.0]])
b1 = jnp.array([0.0, -1.0, 0.5])
w2 = jnp.array([1.0, -0.5, 0.25])


def buggy(x):
    return w2 @ relu6(W1 @ x + b1)


def fixed(x):
    return w2 @ relu6_fixed(W1 @ x + b1)
