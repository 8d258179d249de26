"""``custom(a, grad=(g1, ..., gn))``: the value ``a`` with a hand-written derivative, the way
``jax.custom_jvp`` or ``torch.autograd.Function`` is used inside a larger program.

The function is ``a``; the stratifier branches on the kinks of ``a`` and of every ``g_i``. A
derivative rule's backprop takes ``(g1, ..., gn)`` (one per input variable of the program) as
this node's gradient instead of differentiating ``a``: the rest of the program is still
differentiated by the chain rule with the rule's choices. Whether the result is conservative
is what ``semialg check`` decides. :meth:`Custom.partials` states the true partials of the
value (``1`` for ``a``, ``0`` for the ``g_i``): the hand-written part lives in the rules.
"""
from __future__ import annotations

from semialg.core.errors import InputError
from semialg.core.primitives.base import Branch, Primitive, _unit


class Custom(Primitive):
    name, summary = "custom", "a with a hand-written gradient grad=(g1, ..., gn), one per input (custom_jvp)"
    example = "custom(relu(x), grad=(step(x),))"
    arity = (2, None)

    def branches(self, args, param=None):
        return [Branch("value", (), args[0])]

    def partials(self, label, nargs: int, param=None):
        return (_unit(nargs, 0),)

    def exact(self, args, param=None):
        return args[0]

    def to_sympy(self, args, param=None):
        return args[0]


def check_custom_gradients(program) -> None:
    """Every ``custom`` node gives one gradient component per input of ``program``.

    Raises :class:`InputError` naming the node's text and the count expected.
    """
    n = program.n_inputs
    for node in program.topological_order():
        if node.op == "custom" and len(node.args) - 1 != n:
            got = len(node.args) - 1
            raise InputError(f"custom(...) gives {got} gradient component{'s' if got != 1 else ''} but the program has "
                             f"{n} variable{'s' if n != 1 else ''} ({', '.join(program.inputs)}): grad=(...) needs one "
                             "per variable, in that order")
