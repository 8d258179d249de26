"""Deep-equilibrium layers ``z = σ(W z + U x + b)`` as equations ``F(x, z) = 0`` (theory §7).

A layer's output is a fixed point ``z*(x)`` of ``T(x, z) = σ(W z + U x + b)``, i.e. a zero of
``F(x, z) = z - σ(W z + U x + b)``; :func:`deq_layer` builds ``F`` as a program over the inputs
``x1..xn`` followed by the unknowns ``z1..zm``, for the activations in :data:`ACTIVATIONS`
(each 1-Lipschitz piecewise linear, except a leaky relu with a slope above 1).

>>> layer = deq_layer([["-1/2"]], [[2]], [1])
>>> layer.program.to_text(), layer.x, layer.z
('z1 - relu(-1/2 * z1 + 2 * x1 + 1)', ('x1',), ('z1',))
>>> layer.activation.pieces
((Fraction(0, 1), Fraction(0, 1), None, Fraction(0, 1)), (Fraction(1, 1), Fraction(0, 1), Fraction(0, 1), None))
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.core.dag import Program
from semialg.core.errors import InputError

Matrix = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class Activation:
    """A piecewise-linear activation: ``pieces`` are ``(slope, offset, lower, upper)`` with
    ``σ(v) = slope·v + offset`` for ``lower <= v <= upper`` (None: unbounded); ``lipschitz`` is
    the largest ``|slope|``; ``kinks`` the breakpoints, where the Clarke derivative is the
    interval between the two adjacent slopes."""

    name: str
    text: str                                   # a format string with {v}
    pieces: tuple[tuple[Fraction, Fraction, Fraction | None, Fraction | None], ...]

    @property
    def lipschitz(self) -> Fraction:
        return max(abs(p[0]) for p in self.pieces)

    @property
    def kinks(self) -> tuple[Fraction, ...]:
        return tuple(p[3] for p in self.pieces[:-1])

    def __call__(self, v: Fraction) -> Fraction:
        for slope, offset, lower, upper in self.pieces:
            if (lower is None or v >= lower) and (upper is None or v <= upper):
                return slope * v + offset
        raise AssertionError("the pieces cover the line")  # pragma: no cover

    def slopes_at(self, v: Fraction) -> tuple[Fraction, ...]:
        """The slopes of the pieces that contain ``v`` (two at a kink: the ends of Clarke's interval).

        >>> activation("hardtanh").slopes_at(Fraction(1))
        (Fraction(1, 1), Fraction(0, 1))
        """
        return tuple(p[0] for p in self.pieces if (p[2] is None or v >= p[2]) and (p[3] is None or v <= p[3]))


F0, F1 = Fraction(0), Fraction(1)
ACTIVATIONS = ("relu", "leaky_relu", "hardtanh")


def activation(spec: str) -> Activation:
    """``"relu"``, ``"hardtanh"`` (``clip(v, -1, 1)``) or ``"leaky_relu"`` / ``"leaky_relu:1/10"``
    (slope below 0 given after the colon; default 1/100, as the frameworks).

    >>> activation("leaky_relu:1/10").lipschitz
    Fraction(1, 1)
    >>> activation("tanh")
    Traceback (most recent call last):
    semialg.core.errors.InputError: activation 'tanh' is not one of relu, leaky_relu[:slope], hardtanh (a deep-equilibrium layer here is piecewise linear)
    """
    name, _, arg = str(spec).strip().partition(":")
    if name == "relu" and not arg:
        return Activation("relu", "relu({v})", ((F0, F0, None, F0), (F1, F0, F0, None)))
    if name == "hardtanh" and not arg:
        return Activation("hardtanh", "hardtanh({v})", ((F0, -F1, None, -F1), (F1, F0, -F1, F1), (F0, F1, F1, None)))
    if name == "leaky_relu":
        try:
            s = Fraction(arg) if arg else Fraction(1, 100)
        except (ValueError, ZeroDivisionError):
            raise InputError(f"leaky_relu slope {arg!r} is not an exact rational (e.g. leaky_relu:1/10)") from None
        return Activation("leaky_relu", f"leaky_relu({{v}}, {s})", ((s, F0, None, F0), (F1, F0, F0, None)))
    raise InputError(f"activation {spec!r} is not one of relu, leaky_relu[:slope], hardtanh "
                     "(a deep-equilibrium layer here is piecewise linear)")


@dataclass(frozen=True)
class DEQLayer:
    """``F(x, z) = z - σ(W z + U x + b)``: ``program`` over ``x + z``; the data exactly."""

    W: Matrix
    U: Matrix
    b: tuple[Fraction, ...]
    activation: Activation
    program: Program
    x: tuple[str, ...]
    z: tuple[str, ...]

    def preactivation(self, x: Sequence[Fraction], z: Sequence[Fraction]) -> tuple[Fraction, ...]:
        """``W z + U x + b`` exactly."""
        return tuple(sum((w * zj for w, zj in zip(wr, z)), F0) + sum((u * xj for u, xj in zip(ur, x)), F0) + bi
                     for wr, ur, bi in zip(self.W, self.U, self.b))

    def T(self, x: Sequence[Fraction], z: Sequence[Fraction]) -> tuple[Fraction, ...]:
        """One forward step ``σ(W z + U x + b)`` exactly."""
        return tuple(self.activation(v) for v in self.preactivation(x, z))


def _exact(v, where: str) -> Fraction:
    try:
        return Fraction(v) if not isinstance(v, float) else Fraction(repr(v))
    except (ValueError, ZeroDivisionError, TypeError):
        raise InputError(f"{where}: {v!r} is not an exact rational (give ints, Fractions or strings such as '1/3')") from None


def _matrix(rows, name: str, n_rows: int | None = None, n_cols: int | None = None) -> Matrix:
    if isinstance(rows, str):
        rows = [r.split(",") for r in rows.split(";")]
    out = tuple(tuple(_exact(v, f"{name}[{i + 1}][{j + 1}]") for j, v in enumerate(row)) for i, row in enumerate(rows))
    if not out or any(len(r) != len(out[0]) for r in out):
        raise InputError(f"{name} must be a non-empty rectangular matrix (rows of equal length), got {rows!r}")
    if n_rows is not None and len(out) != n_rows:
        raise InputError(f"{name} has {len(out)} rows but W has {n_rows}: the layer has one row per unit")
    if n_cols is not None and len(out[0]) != n_cols:
        raise InputError(f"{name} has {len(out[0])} columns, expected {n_cols}")
    return out


def _linear(coeffs: Sequence[Fraction], names: Sequence[str]) -> str:
    return " + ".join(f"{c} * {v}" for c, v in zip(coeffs, names) if c != 0)


def deq_layer(W, U, b, activation_spec: str = "relu") -> DEQLayer:
    """The layer ``z = σ(W z + U x + b)`` with exact ``W`` (m x m), ``U`` (m x n), ``b`` (m) as ``F = 0``.

    Matrices are lists of rows or text ``"1/2,0;0,1/3"``.

    >>> deq_layer([[0, "1/2"], ["1/3", 0]], [[1], [-1]], [0, 1], "hardtanh").program.to_text()
    'z1 - hardtanh(1/2 * z2 + x1), z2 - hardtanh(1/3 * z1 - x1 + 1)'
    >>> deq_layer([[1, 2]], [[1]], [0])
    Traceback (most recent call last):
    semialg.core.errors.InputError: W must be square (m x m, one row and column per unit), got 1 x 2
    """
    from semialg.frontends.text import parse
    Wm = _matrix(W, "W")
    m = len(Wm)
    if len(Wm[0]) != m:
        raise InputError(f"W must be square (m x m, one row and column per unit), got {m} x {len(Wm[0])}")
    Um = _matrix(U, "U", n_rows=m)
    bv = tuple(_exact(v, f"b[{i + 1}]") for i, v in enumerate(b.split(",") if isinstance(b, str) else b))
    if len(bv) != m:
        raise InputError(f"b has {len(bv)} entries but W has {m} rows")
    act = activation(activation_spec)
    n = len(Um[0])
    xs = tuple(f"x{j + 1}" for j in range(n))
    zs = tuple(f"z{i + 1}" for i in range(m))
    outs = []
    for i in range(m):
        parts = [p for p in (_linear(Wm[i], zs), _linear(Um[i], xs), str(bv[i]) if bv[i] else "") if p]
        outs.append(f"{zs[i]} - " + act.text.format(v=" + ".join(parts) or "0"))
    return DEQLayer(Wm, Um, bv, act, parse(", ".join(outs), list(xs + zs)), xs, zs)
