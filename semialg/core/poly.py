"""Exact sparse multivariate polynomials over the rationals.

A :class:`Poly` is an immutable map from exponent tuples to nonzero
:class:`~fractions.Fraction` coefficients over a fixed number of variables.
It is the currency of the stratifier: kink arguments, pieces ``f_S`` and field
components are all ``Poly``. Hand-written because the hot loop of the stratifier
evaluates linear kinks at rational samples millions of times (sympy's ring
elements cost 20-40 us per operation there; this costs a few).

>>> x, y = Poly.variables(2)
>>> p = (x + y) ** 2 - 1
>>> p.eval((Fraction(1, 2), Fraction(1, 2)))
Fraction(0, 1)
>>> p.diff(0) == 2 * x + 2 * y
True
>>> p.degree, (x - 2 * y + 3).is_linear
(2, True)
"""
from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Iterable, Mapping, Sequence

Number = Fraction | int


class Poly:
    """An immutable polynomial in ``nvars`` variables with rational coefficients."""

    __slots__ = ("nvars", "terms", "_hash", "_linear", "_gradient")

    def __init__(self, nvars: int, terms: Mapping[tuple[int, ...], Number] | None = None):
        self.nvars = nvars
        self.terms: dict[tuple[int, ...], Fraction] = {
            m: Fraction(c) for m, c in (terms or {}).items() if c != 0
        }
        self._hash: int | None = None
        self._linear: bool | None = None
        self._gradient: tuple | None = None

    # -- construction -------------------------------------------------------
    @classmethod
    def _raw(cls, nvars: int, terms: dict) -> "Poly":
        p = cls.__new__(cls)
        p.nvars = nvars
        p.terms = terms
        p._hash = None
        p._linear = None
        p._gradient = None
        return p

    @classmethod
    def constant(cls, nvars: int, value: Number) -> "Poly":
        value = Fraction(value)
        return cls._raw(nvars, {(0,) * nvars: value} if value else {})

    @classmethod
    def variable(cls, nvars: int, index: int) -> "Poly":
        m = [0] * nvars
        m[index] = 1
        return cls._raw(nvars, {tuple(m): Fraction(1)})

    @classmethod
    def variables(cls, nvars: int) -> list["Poly"]:
        return [cls.variable(nvars, i) for i in range(nvars)]

    @classmethod
    def linear(cls, coeffs: Sequence[Number], const: Number = 0) -> "Poly":
        """``sum(coeffs[i] * x_i) + const``."""
        n = len(coeffs)
        terms = {}
        for i, c in enumerate(coeffs):
            if c:
                m = [0] * n
                m[i] = 1
                terms[tuple(m)] = Fraction(c)
        if const:
            terms[(0,) * n] = Fraction(const)
        return cls._raw(n, terms)

    def _coerce(self, other) -> "Poly":
        if isinstance(other, Poly):
            return other
        if isinstance(other, (int, Fraction)):
            return Poly.constant(self.nvars, other)
        return NotImplemented

    # -- arithmetic ---------------------------------------------------------
    def __add__(self, other):
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        terms = dict(self.terms)
        for m, c in other.terms.items():
            s = terms.get(m, 0) + c
            if s:
                terms[m] = s
            else:
                terms.pop(m, None)
        return Poly._raw(self.nvars, terms)

    __radd__ = __add__

    def __neg__(self):
        return Poly._raw(self.nvars, {m: -c for m, c in self.terms.items()})

    def __sub__(self, other):
        if isinstance(other, Poly) and self.is_const and other.is_const:
            c = self.const_value - other.const_value   # constants: a field minus a piece's gradient
            return Poly._raw(self.nvars, {(0,) * self.nvars: c} if c else {})
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, (int, Fraction)):
            if not other:
                return Poly._raw(self.nvars, {})
            return Poly._raw(self.nvars, {m: c * other for m, c in self.terms.items()})
        other = self._coerce(other)
        if other is NotImplemented:
            return other
        terms: dict = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                m = tuple(a + b for a, b in zip(m1, m2))
                s = terms.get(m, 0) + c1 * c2
                if s:
                    terms[m] = s
                else:
                    terms.pop(m, None)
        return Poly._raw(self.nvars, terms)

    __rmul__ = __mul__

    def __pow__(self, k: int):
        if not isinstance(k, int) or k < 0:
            raise ValueError("polynomial powers take a nonnegative integer exponent")
        result = Poly.constant(self.nvars, 1)
        base = self
        while k:
            if k & 1:
                result = result * base
            base = base * base
            k >>= 1
        return result

    def __eq__(self, other):
        if isinstance(other, (int, Fraction)):
            other = Poly.constant(self.nvars, other)
        return isinstance(other, Poly) and self.terms == other.terms

    def __hash__(self):
        if self._hash is None:
            self._hash = hash(frozenset(self.terms.items()))
        return self._hash

    # -- queries ------------------------------------------------------------
    @property
    def is_zero(self) -> bool:
        return not self.terms

    @property
    def is_const(self) -> bool:
        return not self.terms or (len(self.terms) == 1 and not any(next(iter(self.terms))))

    @property
    def const_value(self) -> Fraction:
        """The constant term (the value, when :attr:`is_const`)."""
        return self.terms.get((0,) * self.nvars, Fraction(0))

    @property
    def degree(self) -> int:
        return max((sum(m) for m in self.terms), default=0)

    @property
    def is_linear(self) -> bool:
        """Degree at most one (constants are linear). Memoised: a kink's argument is asked once
        per stratum it bounds."""
        linear = self._linear
        if linear is None:
            linear = self._linear = all(sum(m) <= 1 for m in self.terms)
        return linear

    def linear_coeffs(self) -> tuple[Fraction, ...]:
        """Coefficients of x_0..x_{n-1} of a linear polynomial."""
        out = [Fraction(0)] * self.nvars
        for m, c in self.terms.items():
            if sum(m) == 1:
                out[m.index(1)] = c
        return tuple(out)

    def variables_used(self) -> set[int]:
        return {i for m in self.terms for i, e in enumerate(m) if e}

    def eval(self, point: Sequence) -> Fraction:
        """Exact value at a rational point (any field that supports + and * works)."""
        total = None
        for m, c in self.terms.items():
            term = c
            for v, e in zip(point, m):
                if e:
                    term = term * (v if e == 1 else v ** e)
            total = term if total is None else total + term
        return Fraction(0) if total is None else total

    def diff(self, index: int) -> "Poly":
        terms = {}
        for m, c in self.terms.items():
            e = m[index]
            if e:
                mm = list(m)
                mm[index] = e - 1
                terms[tuple(mm)] = c * e
        return Poly._raw(self.nvars, terms)

    def gradient(self) -> tuple["Poly", ...]:
        """The partial derivatives. Memoised: a piece's gradient is asked once per neighbour of
        its stratum (the Clarke generators of each lower-dimensional stratum below it)."""
        grad = self._gradient
        if grad is None:
            if self.is_linear:   # constants, read off the coefficients (a piece of a piecewise-linear program)
                zero = (0,) * self.nvars
                grad = tuple(Poly._raw(self.nvars, {zero: c} if c else {}) for c in self.linear_coeffs())
            else:
                grad = tuple(self.diff(i) for i in range(self.nvars))
            self._gradient = grad
        return grad

    def compose(self, images: Sequence["Poly"]) -> "Poly":
        """Substitute ``x_i -> images[i]`` (polynomials in another number of variables)."""
        if not images:
            return Poly.constant(0, self.const_value)
        nv = images[0].nvars
        total = Poly._raw(nv, {})
        powers: dict[tuple[int, int], Poly] = {}
        for m, c in self.terms.items():
            term = Poly.constant(nv, c)
            for i, e in enumerate(m):
                if e:
                    key = (i, e)
                    if key not in powers:
                        powers[key] = images[i] ** e
                    term = term * powers[key]
            total = total + term
        return total

    def primitive(self) -> tuple[Fraction, "Poly"]:
        """``(c, q)`` with ``self == c * q``, ``c > 0`` and ``q`` with coprime integer coefficients."""
        if not self.terms:
            return Fraction(1), self
        num_gcd = 0
        den_lcm = 1
        for c in self.terms.values():
            num_gcd = gcd(num_gcd, c.numerator)
            den_lcm = den_lcm * c.denominator // gcd(den_lcm, c.denominator)
        content = Fraction(num_gcd, den_lcm)
        return content, self * (1 / content)

    # -- conversion ---------------------------------------------------------
    def to_str(self, names: Sequence[str]) -> str:
        """Readable text using ``names`` (``**`` for powers; parses back with semialg)."""
        if not self.terms:
            return "0"
        pieces = []
        for m in sorted(self.terms, key=lambda m: (-sum(m), tuple(-e for e in m))):
            c = self.terms[m]
            mono = "*".join(
                (names[i] if e == 1 else f"{names[i]}**{e}") for i, e in enumerate(m) if e
            )
            mag = abs(c)
            cs = str(mag.numerator) if mag.denominator == 1 else f"{mag.numerator}/{mag.denominator}"
            if mono:
                body = mono if mag == 1 else f"{cs}*{mono}"
            else:
                body = cs
            pieces.append(("-" if c < 0 else "+", body))
        sign, body = pieces[0]
        out = ("-" if sign == "-" else "") + body
        for sign, body in pieces[1:]:
            out += f" {sign} {body}"
        return out

    def to_sympy(self, symbols: Sequence):
        import sympy

        return sympy.Add(*[
            sympy.Rational(c.numerator, c.denominator) * sympy.Mul(*[s**e for s, e in zip(symbols, m)])
            for m, c in self.terms.items()
        ])

    @classmethod
    def from_sympy(cls, expr, symbols: Sequence) -> "Poly":
        import sympy

        poly = sympy.Poly(expr, *symbols, domain="QQ")
        return cls(len(symbols), {m: Fraction(int(c.p), int(c.q)) for m, c in poly.terms()})

    def __repr__(self):
        return f"Poly({self.to_str([f'x{i}' for i in range(self.nvars)])})"


def rank(rows: Iterable[Sequence[Fraction]]) -> int:
    """Exact rank of a rational matrix (Gaussian elimination).

    >>> rank([[1, 2], [2, 4]]), rank([[1, 0], [0, 1], [1, 1]])
    (1, 2)
    """
    return len(row_echelon(rows)[1])


def row_echelon(rows: Iterable[Sequence]) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form (nonzero rows) and pivot columns, exact."""
    m = [[Fraction(v) for v in r] for r in rows]
    pivots: list[int] = []
    if not m:
        return [], []
    ncols = len(m[0])
    r = 0
    for col in range(ncols):
        piv = next((i for i in range(r, len(m)) if m[i][col] != 0), None)
        if piv is None:
            continue
        m[r], m[piv] = m[piv], m[r]
        pv = m[r][col]
        m[r] = [v / pv for v in m[r]]
        for i in range(len(m)):
            if i != r and m[i][col] != 0:
                f = m[i][col]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(col)
        r += 1
        if r == len(m):
            break
    return m[:r], pivots


def nullspace(rows: Sequence[Sequence], ncols: int) -> list[tuple[Fraction, ...]]:
    """A basis of ``{t : rows @ t = 0}`` (exact); the identity basis when ``rows`` is empty.

    >>> nullspace([[1, 1]], 2)
    [(Fraction(-1, 1), Fraction(1, 1))]
    """
    rref, pivots = row_echelon(rows) if rows else ([], [])
    free = [c for c in range(ncols) if c not in pivots]
    basis = []
    for f in free:
        v = [Fraction(0)] * ncols
        v[f] = Fraction(1)
        for row, p in zip(rref, pivots):
            v[p] = -row[f]
        basis.append(tuple(v))
    return basis


def solve_affine(rows: Sequence[Sequence], rhs: Sequence) -> tuple[Fraction, ...] | None:
    """One rational solution of ``rows @ x = rhs`` (free variables 0), or None."""
    if not rows:
        return None
    aug = [list(r) + [b] for r, b in zip(rows, rhs)]
    rref, pivots = row_echelon(aug)
    ncols = len(rows[0])
    if ncols in pivots:
        return None
    x = [Fraction(0)] * ncols
    for row, p in zip(rref, pivots):
        x[p] = row[-1]
    return tuple(x)
