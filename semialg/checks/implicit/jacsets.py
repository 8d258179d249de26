"""Exact convex sets of Jacobians: invertibility, images ``-B^{-1}A``, membership (theory §7).

A :class:`MatrixSet` is ``{ Σ_g Σ_j λ_gj V_gj : each λ_g in a simplex }``: the
convex hull of a list of matrices (one group) or of a *product of row sets* (one
group per output row, each vertex nonzero in its row only), which is what backprop
returns for a vector-valued program. Everything here is exact (Fractions, and
z3 through :func:`semialg.smt.simplex_query`); an algebraic witness is a sympy
number, printed with a float beside it.

Invariant: ``det(B(λ))`` is a polynomial in ``λ`` (:func:`det_poly`), so
"every matrix of the hull is invertible" is the unsatisfiability of
``det(B(λ)) = 0`` on the product of simplices, and ``N ∈ {-B^{-1}A}`` is the
*linear* feasibility of ``A(λ) + B(λ) N = 0``.

>>> J = MatrixSet.from_rows([[(0, -1, 1)], [(0, 2, -1), (0, 2, 1)]])   # [A B] = [[0, -1, 1], [0, 2, t]]
>>> J.shape, len(J.vertices())
((2, 3), 2)
>>> B = J.columns(1, 3)
>>> find_singular(B).status, find_singular(B).witness_matrix      # det = -t - 2 < 0 on t in [-1, 1]
('invertible', None)
>>> find_singular(MatrixSet.hull([((-1,),), ((1,),)])).witness_matrix
((Fraction(0, 1),),)
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg import smt
from semialg.core.poly import Poly, nullspace, row_echelon

Matrix = tuple[tuple[Fraction, ...], ...]
F0, F1 = Fraction(0), Fraction(1)
MAX_LISTED = 4096


# --------------------------------------------------------------------------- exact matrices
def as_matrix(rows) -> Matrix:
    """Rows of exact numbers (ints, Fractions, strings ``"1/2"``) as a tuple of Fraction tuples.

    >>> as_matrix([[1, "1/2"]])
    ((Fraction(1, 1), Fraction(1, 2)),)
    """
    return tuple(tuple(Fraction(v) for v in row) for row in rows)


def identity(n: int) -> Matrix:
    return tuple(tuple(F1 if i == j else F0 for j in range(n)) for i in range(n))


def matmul(a: Sequence[Sequence], b: Sequence[Sequence]) -> Matrix:
    """Exact product.

    >>> matmul([[1, 2]], [[3], [4]])
    ((Fraction(11, 1),),)
    """
    cols = list(zip(*b)) if b else []
    return tuple(tuple(sum((Fraction(x) * y for x, y in zip(row, col)), F0) for col in cols) for row in a)


def matadd(a, b, scale_b=F1) -> Matrix:
    return tuple(tuple(Fraction(x) + scale_b * y for x, y in zip(ra, rb)) for ra, rb in zip(a, b))


def scale(a, c) -> Matrix:
    return tuple(tuple(c * x for x in row) for row in a)


def det(m: Sequence[Sequence]) -> Fraction:
    """Exact determinant (Gaussian elimination).

    >>> det([[0, 1], [2, 0]]), det([[1, 2], [2, 4]])
    (Fraction(-2, 1), Fraction(0, 1))
    """
    a = [[Fraction(v) for v in row] for row in m]
    n, sign, out = len(a), 1, F1
    for c in range(n):
        p = next((r for r in range(c, n) if a[r][c] != 0), None)
        if p is None:
            return F0
        if p != c:
            a[c], a[p] = a[p], a[c]
            sign = -sign
        out *= a[c][c]
        for r in range(c + 1, n):
            if a[r][c]:
                f = a[r][c] / a[c][c]
                a[r] = [x - f * y for x, y in zip(a[r], a[c])]
    return sign * out


def inverse(m: Sequence[Sequence]) -> Matrix | None:
    """Exact inverse, or None when singular.

    >>> inverse([[0, 1], [2, 0]])
    ((Fraction(0, 1), Fraction(1, 2)), (Fraction(1, 1), Fraction(0, 1)))
    >>> inverse([[1, 1], [1, 1]]) is None
    True
    """
    n = len(m)
    aug = [list(map(Fraction, row)) + [F1 if i == j else F0 for j in range(n)] for i, row in enumerate(m)]
    rref, pivots = row_echelon(aug)
    if pivots[:n] != list(range(n)) or len(rref) < n:
        return None
    return tuple(tuple(row[n:]) for row in rref)


def implicit_image(a: Sequence[Sequence], b: Sequence[Sequence]) -> Matrix | None:
    """``-B^{-1} A`` exactly, or None when ``B`` is singular.

    >>> implicit_image([[-1]], [[2]])
    ((Fraction(1, 2),),)
    """
    binv = inverse(b)
    return None if binv is None else scale(matmul(binv, a), -F1)


def det_poly(m: Sequence[Sequence[Poly]]) -> Poly:
    """Determinant of a square matrix of polynomials (exact; dynamic programming over column subsets).

    >>> s, t = Poly.variables(2)
    >>> one = Poly.constant(2, 1)
    >>> det_poly([[s, one], [2 * one, t]]) == s * t - 2
    True
    """
    n = len(m)
    if n == 0:
        raise ValueError("empty matrix")
    nv = m[0][0].nvars
    minors: dict[int, Poly] = {0: Poly.constant(nv, 1)}
    for r in range(n):  # minors of the first r+1 rows on every (r+1)-subset of columns
        nxt: dict[int, Poly] = {}
        for cols, value in minors.items():
            if value.is_zero:
                continue
            for j in range(n):
                if cols >> j & 1 or m[r][j].is_zero:
                    continue
                sign = -1 if bin(cols >> (j + 1)).count("1") % 2 else 1  # columns of `cols` after j
                key = cols | (1 << j)
                term = value * m[r][j] * sign
                nxt[key] = nxt[key] + term if key in nxt else term
        minors = nxt
    return minors.get((1 << n) - 1, Poly.constant(nv, 0))


def adjugate_poly(m: Sequence[Sequence[Poly]]) -> list[list[Poly]]:
    """The adjugate (``adj(M) M = det(M) I``) of a square polynomial matrix.

    >>> s, t = Poly.variables(2)
    >>> one = Poly.constant(2, 1)
    >>> [[str(p) for p in row] for row in adjugate_poly([[s, one], [2 * one, t]])]
    [['Poly(x1)', 'Poly(-1)'], ['Poly(-2)', 'Poly(x0)']]
    """
    n = len(m)
    nv = m[0][0].nvars
    if n == 1:
        return [[Poly.constant(nv, 1)]]
    adj = [[Poly.constant(nv, 0)] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            minor = [[m[r][c] for c in range(n) if c != j] for r in range(n) if r != i]
            cof = det_poly(minor) * (1 if (i + j) % 2 == 0 else -1)
            adj[j][i] = cof
    return adj


# --------------------------------------------------------------------------- sets of matrices
@dataclass(frozen=True)
class MatrixSet:
    """``{Σ_g Σ_j λ_gj V_gj : λ_g in the simplex of group g}`` (exact ``m x k`` matrices).

    ``from_rows``: one group per row (the convex hull of a product of row sets);
    ``hull``: one group (the convex hull of the listed matrices). The flat weight
    vector lists the groups in order.
    """

    groups: tuple[tuple[Matrix, ...], ...]
    shape: tuple[int, int]

    @staticmethod
    def from_rows(row_sets: Sequence[Sequence[Sequence]]) -> "MatrixSet":
        """One group per row: ``row_sets[i]`` lists the vertices of row ``i``."""
        m = len(row_sets)
        k = len(row_sets[0][0])
        groups = []
        for i, rows in enumerate(row_sets):
            zero = (F0,) * k
            groups.append(tuple(tuple(tuple(Fraction(v) for v in r) if a == i else zero for a in range(m))
                                for r in dict.fromkeys(tuple(Fraction(v) for v in r) for r in rows)))
        return MatrixSet(tuple(groups), (m, k))

    @staticmethod
    def hull(matrices: Sequence[Sequence[Sequence]]) -> "MatrixSet":
        mats = tuple(dict.fromkeys(as_matrix(mx) for mx in matrices))
        return MatrixSet((mats,), (len(mats[0]), len(mats[0][0])))

    @property
    def nvars(self) -> int:
        return sum(len(g) for g in self.groups)

    @property
    def simplices(self) -> list[list[int]]:
        out, k = [], 0
        for g in self.groups:
            out.append(list(range(k, k + len(g))))
            k += len(g)
        return out

    def columns(self, start: int, stop: int) -> "MatrixSet":
        """The same weights, keeping columns ``start:stop`` (e.g. the A and B parts of ``[A B]``)."""
        groups = tuple(tuple(tuple(row[start:stop] for row in mx) for mx in g) for g in self.groups)
        return MatrixSet(groups, (self.shape[0], stop - start))

    def at(self, weights: Sequence) -> tuple:
        """``Σ λ_i V_i`` for flat weights (Fractions or sympy numbers)."""
        m, k = self.shape
        out = [[0] * k for _ in range(m)]
        flat = [mx for g in self.groups for mx in g]
        for lam, mx in zip(weights, flat):
            if lam == 0:
                continue
            for i in range(m):
                for j in range(k):
                    if mx[i][j]:
                        out[i][j] = out[i][j] + lam * mx[i][j]
        return tuple(tuple(Fraction(v) if isinstance(v, int) else v for v in row) for row in out)

    def split_weights(self, weights: Sequence) -> list[list]:
        return [[weights[i] for i in grp] for grp in self.simplices]

    def vertex_count(self) -> int:
        count = 1
        for g in self.groups:
            count *= len(g)
        return count

    def vertices(self, limit: int | None = MAX_LISTED) -> list[tuple[tuple[int, ...], Matrix]]:
        """The generating vertices ``(choice per group, matrix)``: the product over groups (at most ``limit``)."""
        out = []
        for choice in itertools.product(*[range(len(g)) for g in self.groups]):
            if limit is not None and len(out) >= limit:
                break
            mx = self.groups[0][choice[0]]
            for g, c in zip(self.groups[1:], choice[1:]):
                mx = matadd(mx, g[c])
            out.append((choice, mx))
        return out

    def weights_of(self, choice: Sequence[int]) -> tuple[Fraction, ...]:
        """The flat weight vector of a vertex given by its choice per group."""
        out = []
        for g, c in zip(self.groups, choice):
            out += [F1 if j == c else F0 for j in range(len(g))]
        return tuple(out)

    def poly_matrix(self) -> list[list[Poly]]:
        """The matrix ``M(λ)`` with polynomial (linear) entries in the flat weights."""
        m, k = self.shape
        flat = [mx for g in self.groups for mx in g]
        n = len(flat)
        return [[Poly.linear([mx[i][j] for mx in flat]) if n else Poly.constant(0, 0) for j in range(k)]
                for i in range(m)]


# --------------------------------------------------------------------------- invertibility
@dataclass(frozen=True)
class Singularity:
    """Is every matrix of a :class:`MatrixSet` of square matrices invertible?

    ``status``: ``"invertible"`` (``det`` has the constant sign ``det_sign`` on the
    whole set), ``"singular"`` (``weights`` give ``witness_matrix`` with determinant
    0, exactly; Fractions, or sympy algebraic numbers) or ``"unknown"`` (``reason``).
    """

    status: str
    det_sign: int | None = None
    weights: tuple | None = None
    witness_matrix: tuple | None = None
    reason: str = ""
    method: str = ""


def find_singular(bset: MatrixSet, timeout_ms: int = 60_000) -> Singularity:
    """Decide exactly whether some matrix of the set is singular, with a witness.

    Vertices first (rational witnesses), then ``s·det(B(λ)) < 0`` on the product of
    simplices (``s`` = the sign at a vertex; a model is moved to a root of ``det``
    on the segment from that vertex, exactly), then ``det(B(λ)) = 0``.

    >>> B = MatrixSet.from_rows([[(-1,), (1,)]])                # B = [-1, 1]: contains 0
    >>> r = find_singular(B); r.status, r.weights, r.witness_matrix
    ('singular', (Fraction(1, 2), Fraction(1, 2)), ((Fraction(0, 1),),))
    >>> find_singular(MatrixSet.from_rows([[(-1, 1), (1, 1)], [(2, -1), (2, 1)]])).det_sign
    -1
    """
    m, k = bset.shape
    if m != k:
        raise ValueError(f"B must be square, got {m}x{k}")
    ref_weights, ref_det = None, None
    for choice, mx in bset.vertices(limit=MAX_LISTED):
        d = det(mx)
        if d == 0:
            return Singularity("singular", 0, bset.weights_of(choice), mx, method="a vertex of the set is singular")
        if ref_weights is None:
            ref_weights, ref_det = bset.weights_of(choice), d
    s = 1 if ref_det > 0 else -1
    if bset.vertex_count() == 1:
        return Singularity("invertible", s, method="a single matrix")
    p = det_poly(bset.poly_matrix())
    r = smt.simplex_query(bset.nvars, bset.simplices, [(p * s, -1)], timeout_ms)
    if r.status == smt.SAT:
        lam = rationalize_weights(r.point, bset, lambda w: s * p.eval(w) < 0)
        weights, matrix = _root_on_segment(bset, p, ref_weights, lam)
        return Singularity("singular", 0, weights, matrix,
                           method="det changes sign on the set; a root on a segment from a vertex")
    if r.status == smt.UNKNOWN:
        return Singularity("unknown", reason=f"z3 could not decide whether det(B) changes sign ({r.reason})")
    r = smt.simplex_query(bset.nvars, bset.simplices, [(p, 0)], timeout_ms)
    if r.status == smt.SAT:
        weights = tuple(v.to_sympy() if isinstance(v, smt.AlgebraicNumber) else v for v in r.point)
        return Singularity("singular", 0, weights, bset.at(weights), method="det touches 0 on the set (z3 model)")
    if r.status == smt.UNKNOWN:
        return Singularity("unknown", reason=f"z3 could not decide whether det(B) vanishes ({r.reason})")
    return Singularity("invertible", s, method=f"det(B(λ)) {'>' if s > 0 else '<'} 0 on the whole set (z3: unsat)")


def rationalize_weights(point, bset: MatrixSet, ok) -> tuple:
    """A rational weight vector near an (algebraic) model that keeps the strict condition ``ok``."""
    if all(isinstance(v, Fraction) for v in point):
        return tuple(point)
    approx = [float(v) for v in point]
    for digits in (3, 6, 12, 24):
        lam = [max(F0, Fraction(a).limit_denominator(10 ** digits)) for a in approx]
        for grp in bset.simplices:
            rest = sum((lam[i] for i in grp[:-1]), F0)
            lam[grp[-1]] = F1 - rest
        if all(v >= 0 for v in lam) and ok(lam):
            return tuple(lam)
    raise ArithmeticError("could not find a rational point with det of the other sign near the solver's model")


def _root_on_segment(bset: MatrixSet, p: Poly, start: Sequence[Fraction], end: Sequence[Fraction]):
    """A root of ``det`` on ``[start, end]`` (opposite signs at the ends): exact weights and matrix."""
    import sympy
    images = [Poly.linear([e - s], s) for s, e in zip(start, end)]
    q = p.compose(images)
    if q.degree == 1:  # the common case (one row varies): no sympy needed
        tr = -q.const_value / q.linear_coeffs()[0]
        weights = tuple(s + tr * (e - s) for s, e in zip(start, end))
        return weights, bset.at(weights)
    t = sympy.Symbol("t")
    roots = [r for r in sympy.Poly(q.to_sympy([t]), t).real_roots() if 0 < r < 1]
    root = min(roots)
    if root.is_Rational:
        tr = Fraction(int(root.p), int(root.q))
        weights = tuple(s + tr * (e - s) for s, e in zip(start, end))
        return weights, bset.at(weights)
    weights = tuple(sympy.nsimplify(s) + root * sympy.nsimplify(e - s) if e != s else s for s, e in zip(start, end))
    return weights, tuple(tuple(sympy.simplify(v) if not isinstance(v, Fraction) else v for v in row)
                          for row in bset.at(weights))


# --------------------------------------------------------------------------- images -B^{-1} A
def images(jset: MatrixSet, n: int, limit: int | None = MAX_LISTED) -> list[tuple[tuple[int, ...], Matrix]]:
    """``-B^{-1} A`` for each generating vertex ``[A B]`` (``A`` = the first ``n`` columns).

    >>> J = MatrixSet.hull([[[-1, 2]], [[-1, 4]]])
    >>> [img for _, img in images(J, 1)]
    [((Fraction(1, 2),),), ((Fraction(1, 4),),)]
    """
    out = []
    for choice, mx in jset.vertices(limit):
        a = tuple(row[:n] for row in mx)
        b = tuple(row[n:] for row in mx)
        img = implicit_image(a, b)
        if img is None:
            raise ValueError("a vertex has a singular B; check invertibility first")
        out.append((choice, img))
    return out


@dataclass(frozen=True)
class Membership:
    """Is ``matrix`` equal to ``-B^{-1}A`` for some ``[A B]`` of the set? ``weights`` and
    ``jacobian`` (the ``[A B]``) witness a yes; ``status`` is yes / no / unknown."""

    matrix: Matrix
    status: str
    weights: tuple | None = None
    jacobian: Matrix | None = None
    reason: str = ""

    @property
    def member(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.status)


def image_membership(jset: MatrixSet, n: int, matrix: Sequence[Sequence], timeout_ms: int = 60_000) -> Membership:
    """Exact membership of ``N`` in ``{-B^{-1}A : [A B] ∈ conv}``: ``A(λ) + B(λ) N = 0`` is linear in ``λ``.

    Assumes every ``B`` of the set is invertible (:func:`find_singular`).

    >>> J = MatrixSet.hull([[[-1, 2]], [[-1, 4]]])          # -B^{-1}A = 1/b, b in [2, 4]
    >>> image_membership(J, 1, [["1/3"]]).weights, image_membership(J, 1, [[1]]).status
    ((Fraction(1, 2), Fraction(1, 2)), 'no')
    """
    mat = as_matrix(matrix)
    m, k = jset.shape
    if len(mat) != m or any(len(r) != n for r in mat):
        raise ValueError(f"expected a {m}x{n} matrix, got {len(mat)}x{len(mat[0]) if mat else 0}")
    flat = [mx for g in jset.groups for mx in g]
    conds = []
    for i in range(m):
        for j in range(n):
            coeffs = [mx[i][j] + sum((mx[i][n + l] * mat[l][j] for l in range(m)), F0) for mx in flat]
            if any(coeffs):
                conds.append((Poly.linear(coeffs), 0))
    r = smt.simplex_query(jset.nvars, jset.simplices, conds, timeout_ms)
    if r.status == smt.SAT:
        return Membership(mat, "yes", tuple(r.point), jset.at(r.point))
    if r.status == smt.UNSAT:
        return Membership(mat, "no")
    return Membership(mat, "unknown", reason=r.reason)


# --------------------------------------------------------------------------- polytopes (H-representation)
@dataclass(frozen=True)
class Polytope:
    """``conv(vertices)`` in ``Q^D`` as ``{z : e·z = f (equalities), a·z <= b (facets)}``, exact."""

    vertices: tuple[tuple[Fraction, ...], ...]
    equalities: tuple[tuple[tuple[Fraction, ...], Fraction], ...]
    facets: tuple[tuple[tuple[Fraction, ...], Fraction], ...]


def polytope(points: Sequence[Sequence], max_subsets: int = 200_000) -> Polytope:
    """Exact facets and affine equalities of the convex hull of rational points.

    Facets are found by brute force over affinely independent subsets (fine for the
    few vertices of a Clarke Jacobian).

    >>> P = polytope([(0, 0), (1, 0), (0, 1)])
    >>> len(P.equalities), sorted(P.facets)
    (0, [((Fraction(-1, 1), Fraction(0, 1)), Fraction(0, 1)), ((Fraction(0, 1), Fraction(-1, 1)), Fraction(0, 1)), ((Fraction(1, 1), Fraction(1, 1)), Fraction(1, 1))])
    """
    pts = [tuple(Fraction(v) for v in p) for p in dict.fromkeys(tuple(p) for p in points)]
    dim_space = len(pts[0])
    base = pts[0]
    diffs = [[a - b for a, b in zip(p, base)] for p in pts[1:]]
    normals = nullspace(diffs, dim_space) if diffs else [tuple(F1 if i == j else F0 for j in range(dim_space))
                                                         for i in range(dim_space)]
    equalities = tuple((tuple(e), sum((x * y for x, y in zip(e, base)), F0)) for e in normals)
    d = dim_space - len(normals)
    facets: dict[tuple, tuple] = {}
    if d >= 1:
        count = 0
        for subset in itertools.combinations(range(len(pts)), d):
            count += 1
            if count > max_subsets:
                raise OverflowError("too many vertices to enumerate the facets exactly")
            sb = [pts[i] for i in subset]
            rows = [[a - b for a, b in zip(p, sb[0])] for p in sb[1:]] + [list(e) for e in normals]
            cand = nullspace(rows, dim_space) if rows else [tuple(F1 if i == j else F0 for j in range(dim_space))
                                                            for i in range(dim_space)]
            if len(cand) != 1:
                continue
            a = cand[0]
            values = [sum((x * y for x, y in zip(a, p)), F0) for p in pts]
            b0 = values[subset[0]]
            if all(v <= b0 for v in values):
                key = _normalize(a, b0)
            elif all(v >= b0 for v in values):
                key = _normalize(tuple(-x for x in a), -b0)
            else:
                continue
            if any(v != (key[1]) for v in [sum((x * y for x, y in zip(key[0], p)), F0) for p in pts]):
                facets.setdefault(key, key)
    return Polytope(tuple(pts), equalities, tuple(facets.values()))


def _normalize(a: Sequence[Fraction], b: Fraction):
    lead = next(abs(x) for x in a if x != 0)
    return tuple(x / lead for x in a), b / lead
