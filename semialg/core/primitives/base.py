"""The base of every primitive: :class:`Branch`, :class:`Primitive`, and the sign-split
family shared by the activations and the discontinuous primitives."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.core.poly import Poly

NEG, ZERO, POS = -1, 0, 1
Vector = tuple[Fraction, ...]
F0, F1, HALF = Fraction(0), Fraction(1), Fraction(1, 2)

@dataclass(frozen=True)
class Branch:
    """One branch of a nonsmooth node.

    ``conditions``: pairs ``(p, s)`` meaning ``sign(p) == s``; ``value``: the
    node's value on the branch (a :class:`Poly`, or a bool for predicates);
    ``label``: hashable name used by derivative rules.
    """

    label: object
    conditions: tuple[tuple[Poly, int], ...]
    value: object


def _unit(n: int, i: int) -> Vector:
    return tuple(F1 if j == i else F0 for j in range(n))


class Primitive:
    """Base class. Subclasses set ``name``, ``arity`` and ``continuous``."""

    name: str = ""
    arity: tuple[int, int | None] = (1, 1)  # (min, max); max None = n-ary
    continuous: bool = True
    predicate: bool = False  # boolean-valued (comparisons, and/or/not)
    summary: str = ""
    example: str = ""
    # labels of the open (smooth) branches and of the kinks, for documentation and rules
    kink_labels: tuple = ()

    def branches(self, args: Sequence, param=None) -> list[Branch]:
        raise NotImplementedError(f"{self.name}: branches")  # every subclass overrides

    def partials(self, label, nargs: int, param=None) -> tuple[Vector, ...]:
        raise NotImplementedError(f"{self.name}: partials")

    def exact(self, args: Sequence[Fraction], param=None):
        raise NotImplementedError(f"{self.name}: exact")

    def to_sympy(self, args: Sequence, param=None):
        raise NotImplementedError(f"{self.name}: to_sympy")

    def value(self, label, args: Sequence, param=None):
        """The value on branch ``label`` (what :meth:`branches` gives there, without the others)."""
        for b in self.branches(args, param):
            if b.label == label:
                return b.value
        raise KeyError(f"{self.name} has no branch {label!r}")

    def branch_labels(self, nargs: int, param=None) -> list:
        """All labels this primitive can produce with ``nargs`` arguments."""
        dummy = Poly.variables(nargs) if nargs else []
        return [b.label for b in self.branches(dummy, param)]

    def is_kink(self, label) -> bool:
        return label in self.kink_labels


# --------------------------------------------------------------------------- sign-based
class _SignSplit(Primitive):
    """Primitives of one argument that branch on its sign: ``neg``, ``zero``, ``pos``."""

    kink_labels = ("zero",)
    values: dict = {}
    slopes: dict = {}

    def branches(self, args, param=None):
        (a,) = args[:1]
        return [
            Branch("neg", ((a, NEG),), self._piece("neg", args)),
            Branch("zero", ((a, ZERO),), self._piece("zero", args)),
            Branch("pos", ((a, POS),), self._piece("pos", args)),
        ]

    def _piece(self, label, args):
        a = args[0]
        slope, const = self.values[label]
        return a * slope + const if isinstance(a, Poly) else slope * a + const

    def value(self, label, args, param=None):
        return self._piece(label, args)

    def partials(self, label, nargs, param=None):
        if label == "zero":
            return tuple((Fraction(s),) + (F0,) * (nargs - 1) for s in self.slopes_at_kink(param))
        return ((Fraction(self.values[label][0]),) + (F0,) * (nargs - 1),)

    def slopes_at_kink(self, param=None):
        return (self.values["neg"][0], self.values["pos"][0])

    def exact(self, args, param=None):
        a = Fraction(args[0])
        label = "neg" if a < 0 else "zero" if a == 0 else "pos"
        slope, const = self.values[label]
        return slope * a + const
