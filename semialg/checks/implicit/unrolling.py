"""Set-valued unrolling through a fixed-point iteration, beside the implicit set (theory §7).

For ``x_{k+1} = T(θ, x_k)`` forward-mode differentiation propagates ``D_{k+1} = B_k D_k + A_k``
with ``[A_k B_k]`` the Jacobian the framework picks at ``(θ, x_k)``. Over *every* choice in a
conservative Jacobian ``J_T`` this is the set recursion

    ``D_{k+1} = {B D + A : [A B] ∈ J_T(θ, x_k), D ∈ D_k}``,   ``D_0 = {0}``,

whose limit contains the implicit set ``{(I - B)^{-1} A : [A B] ∈ J_T(θ, x̄)}`` at the fixed point
``x̄`` when every ``I - B`` of ``conv J_T(θ, x̄)`` is invertible. What :func:`unroll_sets` computes,
exactly (Fractions): the iterates, the sets ``D_k`` (vertices), what each rule's forward mode returns,
the implicit set (or the singular witness), and for each rule whose Jacobian at ``x̄`` is ``[A B]``
with ``I - B`` invertible the distances ``max|D_k - (I - B)^{-1}A|``, their ratios and ``||B||_∞``:
once the iterates sit at ``x̄`` the rule's choice is constant and ``D_k - D = B^k (D_K0 - D)``.

>>> T = ista_map([[1]], [3], gamma=1)        # ST(x - (x - 3), λ) = ST(3, λ): one step to x̄ = 3 - λ
>>> u = unroll_sets(T, [1], [0], steps=2)
>>> [str(x[0]) for x in u.iterates], u.kink_steps, [str(d[0][0]) for d in u.by_rule["pytorch"]]
(['0', '2', '2'], (), ['0', '-1', '-1'])
>>> str(u.implicit[0][0][0]), u.rates
('-1', (Fraction(1, 1), Fraction(0, 1), Fraction(0, 1)))
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

from semialg.checks.clarke import clarke_at, in_hull
from semialg.checks.implicit.fixedpoint import fixed_point_jacobian
from semialg.checks.implicit.jacsets import (F0, Matrix, MatrixSet, Singularity, find_singular,
                                             identity, matadd, matmul)
from semialg.core.dag import Program
from semialg.core.errors import InputError, SemialgError
from semialg.rules import Rule, derivative_at, get_rule

PRUNE_LIMIT = 128      # prune D_k to the vertices of its hull (exact LPs) up to this many candidates
MAX_SET = 4096         # beyond this many distinct matrices D_k is truncated and `capped` is set
MAX_JACOBIAN_VERTICES = 1024
JACOBIANS = ("clarke", "conservative")


# --------------------------------------------------------------------------- the ISTA map
def ista_map(A, b, gamma, weight: str = "lam") -> Program:
    """``T(λ, x) = ST(x - γAᵀ(Ax - b), γλ)`` over ``[weight, x1..xp]``, exactly, with
    ``ST(v, t) = relu(v - t) - relu(-v - t)`` (the forward-backward map of the Lasso
    ``½||Ax - b||² + λ||x||₁``, theory §7).

    >>> ista_map([[1]], [3], "1/2").to_text()
    'relu(1/2 * x1 - 1/2 * lam + 3/2) - relu(-(1/2 * x1 + 3/2) - 1/2 * lam)'
    """
    from semialg.checks.implicit.lasso import _atb, _data, _exact, _gram
    from semialg.frontends.argmin import prox_text
    from semialg.frontends.text import parse
    mat, vec = _data(A, b)
    gamma = _exact(gamma, "gamma")
    if gamma <= 0:
        raise InputError(f"the step γ must be positive, got {gamma} (ISTA converges for 0 < γ < 2/||A||²)")
    if not weight.isidentifier() or weight.startswith("x"):
        raise InputError(f"weight {weight!r} must be a name not starting with 'x' (the state is x1..xp), e.g. 'lam'")
    p = len(mat[0])
    G, c = _gram(mat), _atb(mat, vec)
    names = [f"x{i + 1}" for i in range(p)]
    forward = [" + ".join([f"({(1 if i == j else 0) - gamma * G[i][j]})*{names[j]}" for j in range(p)]
                          + [f"({gamma * c[i]})"]) for i in range(p)]       # x - γAᵀ(Ax - b)
    outs = prox_text(f"l1:{weight}", forward, gamma)                         # the soft threshold at γλ
    return parse(", ".join(outs), [weight] + names)


# --------------------------------------------------------------------------- exact helpers
def _split(jac: Matrix, k: int) -> tuple[Matrix, Matrix]:
    return tuple(r[:k] for r in jac), tuple(r[k:] for r in jac)


def max_entry(m: Sequence[Sequence[Fraction]]) -> Fraction:
    """``max_ij |m_ij|`` (0 for an empty matrix).

    >>> max_entry([[1, "-3/2"], [0, 1]])
    Fraction(3, 2)
    """
    return max((abs(Fraction(v)) for row in m for v in row), default=F0)


def inf_norm(m: Sequence[Sequence[Fraction]]) -> Fraction:
    """``||m||_∞ = max_i Σ_j |m_ij|``, exactly: ``max|BE| <= ||B||_∞ max|E|`` entrywise.

    >>> inf_norm([["1/2", "-1/2"], [0, 1]])
    Fraction(1, 1)
    """
    return max((sum((abs(Fraction(v)) for v in row), F0) for row in m), default=F0)


def prune_to_vertices(matrices: Sequence[Matrix], limit: int = PRUNE_LIMIT) -> tuple[tuple[Matrix, ...], bool]:
    """The distinct matrices, reduced to the extreme points of their convex hull when there are at
    most ``limit`` (exact LPs, :func:`semialg.checks.clarke.in_hull`); the flag says it was done.

    >>> [m[0][0] for m in prune_to_vertices([((Fraction(0),),), ((Fraction(1),),), ((Fraction(1, 2),),)])[0]]
    [Fraction(0, 1), Fraction(1, 1)]
    """
    distinct = list(dict.fromkeys(matrices))
    if len(distinct) <= 2 or len(distinct) > limit:
        return tuple(distinct), len(distinct) <= 2
    flat = [tuple(v for row in m for v in row) for m in distinct]
    keep = list(range(len(distinct)))
    for i in range(len(distinct)):   # dropping a point inside the hull of the others keeps the hull
        others = [flat[j] for j in keep if j != i]
        if in_hull(flat[i], others):
            keep.remove(i)
    return tuple(distinct[i] for i in keep), True


# --------------------------------------------------------------------------- Jacobians at a point
@dataclass(frozen=True)
class StepJacobian:
    """``J_T`` at one point: ``vertices`` (``[A B]``, ``p x (k + p)``), ``row_sets`` (the chain rule's
    choices per output row with ``relu'(0) ∈ {0, 1}``) and each rule's single Jacobian."""

    vertices: tuple[Matrix, ...]
    row_sets: tuple[tuple[tuple[Fraction, ...], ...], ...]
    by_rule: dict

    @property
    def kink(self) -> bool:
        return len(self.vertices) > 1


def jacobian_at(T: Program, point: Sequence[Fraction], rules: Sequence[Rule], jacobian: str = "clarke") -> StepJacobian:
    """Vertices of ``J_T`` at ``point`` and each rule's Jacobian (exact).

    ``"conservative"``: the product of the rows' chain-rule sets (each relu at 0 contributes
    ``{0, 1}``; a product of conservative row fields is conservative). ``"clarke"``: the exact Clarke
    Jacobian (:func:`semialg.checks.clarke.clarke_at`), inside the hull of the former, smaller when
    the tie hyperplanes are linearly dependent (not every sign pattern is a piece). When every row's chain-rule set is a single vector both are that matrix
    (the Clarke Jacobian lies in the hull of any conservative one, Bolte-Pauwels), and every rule
    must return it.

    >>> j = jacobian_at(ista_map([[1]], [2], 1), [2, 0], [get_rule("pytorch")])    # a tie: x - (x - 2) = λ
    >>> j.kink, [m[0] for m in j.vertices], j.by_rule["pytorch"][0]
    (True, [(Fraction(-1, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(0, 1))], (Fraction(0, 1), Fraction(0, 1)))
    """
    if jacobian not in JACOBIANS:
        raise InputError(f"jacobian must be one of {', '.join(JACOBIANS)}, got {jacobian!r}")
    row_sets = tuple(tuple(rows) for rows in derivative_at(T, point, "clarke"))
    by_rule = {}
    for rule in rules:
        rows = derivative_at(T, point, rule)
        if any(len(r) != 1 for r in rows):
            raise InputError(f"rule {rule.name} returns a set at {tuple(str(v) for v in point)}; by_rule needs "
                             "single-valued rules (framework presets, overrides with one value)")
        by_rule[rule.name] = tuple(r[0] for r in rows)
    if all(len(r) == 1 for r in row_sets):
        single = tuple(r[0] for r in row_sets)
        wrong = [name for name, jac in by_rule.items() if jac != single]
        if wrong:
            raise SemialgError(f"rules {wrong} disagree with the unique Jacobian at a point without kinks "
                               f"{tuple(str(v) for v in point)}: the program is not piecewise smooth there as assumed")
        return StepJacobian((single,), row_sets, by_rule)
    count = 1
    for r in row_sets:
        count *= len(r)
    if count > MAX_JACOBIAN_VERTICES:
        raise InputError(f"{count} Jacobian vertices at {tuple(str(v) for v in point)} (more than "
                         f"{MAX_JACOBIAN_VERTICES}); too many simultaneous ties to enumerate")
    if jacobian == "conservative":
        vertices = tuple(dict.fromkeys(tuple(rows) for rows in itertools.product(*row_sets)))
    else:
        vertices = tuple(clarke_at(T, point).vertices)
    return StepJacobian(vertices, row_sets, by_rule)


# --------------------------------------------------------------------------- the result
@dataclass(frozen=True)
class UnrolledSets:
    """Exact set-valued unrolling of ``x_{k+1} = T(θ, x_k)`` (see the module docstring).

    ``iterates``: ``x_0 .. x_K``; ``sets``: ``D_0 .. D_K`` (distinct matrices, the vertices of their hull
    when ``pruned[k]``; truncated to :data:`MAX_SET` when ``capped``); ``by_rule``: each rule's forward
    mode ``D_0 .. D_K``; ``kink_steps``: the ``k < K`` where ``J_T(θ, x_k)`` is not a singleton;
    ``limit_point``: ``x̄`` (certified ``T(θ, x̄) = x̄``) or None; ``singular``: the invertibility of
    ``I - B`` over ``conv J_T(θ, x̄)``; ``implicit``: ``{(I - B)^{-1}A}`` at its vertices when invertible.
    Per rule (``[A_r B_r]`` its Jacobian at ``x̄``): ``targets`` ``(I - B_r)^{-1}A_r`` (None if singular),
    ``distances`` ``max|D_k - target|``, ``contractions`` (ratios of successive nonzero distances),
    ``norms`` ``||B_r||_∞``. ``rates`` are the first rule's distances. ``gaps``: for each implicit
    vertex, the distance to the nearest listed member of ``D_K`` (an upper bound on its distance to
    ``conv D_K``).
    """

    iterates: tuple[tuple[Fraction, ...], ...]
    sets: tuple[tuple[Matrix, ...], ...]
    by_rule: dict
    kink_steps: tuple[int, ...]
    implicit: tuple[Matrix, ...] | None
    rates: tuple[Fraction, ...]
    capped: bool = False
    pruned: tuple[bool, ...] = ()
    jacobians: tuple[tuple[Matrix, ...], ...] = ()
    limit_point: tuple[Fraction, ...] | None = None
    singular: Singularity | None = None
    targets: dict = field(default_factory=dict)
    distances: dict = field(default_factory=dict)
    contractions: dict = field(default_factory=dict)
    norms: dict = field(default_factory=dict)
    gaps: tuple[Fraction, ...] = ()
    jacobian: str = "clarke"

    @property
    def steps(self) -> int:
        return len(self.iterates) - 1

    def to_json(self) -> dict:
        """Exact numbers as strings ("1/2").

        >>> unroll_sets(ista_map([[1]], [3], 1), [1], [0], steps=1).to_json()["implicit"]
        [[['-1']]]
        """
        s = lambda v: str(v)   # noqa: E731
        mat = lambda m: [[s(v) for v in row] for row in m]   # noqa: E731
        return {
            "iterates": [[s(v) for v in x] for x in self.iterates],
            "sets": [[mat(m) for m in d] for d in self.sets],
            "capped": self.capped,
            "by_rule": {r: [mat(m) for m in ds] for r, ds in self.by_rule.items()},
            "kink_steps": list(self.kink_steps),
            "jacobian": self.jacobian,
            "limit_point": None if self.limit_point is None else [s(v) for v in self.limit_point],
            "invertibility": None if self.singular is None else self.singular.status,
            "singular_witness": None if self.singular is None or self.singular.witness_matrix is None
            else mat(self.singular.witness_matrix),
            "implicit": None if self.implicit is None else [mat(m) for m in self.implicit],
            "targets": {r: None if t is None else mat(t) for r, t in self.targets.items()},
            "distances": {r: [s(v) for v in d] for r, d in self.distances.items()},
            "contractions": {r: [s(v) for v in c] for r, c in self.contractions.items()},
            "norms": {r: s(v) for r, v in self.norms.items()},
            "gaps": [s(v) for v in self.gaps],
        }

    def to_text(self) -> str:
        """A readable summary.

        >>> print(unroll_sets(ista_map([[1]], [3], 1), [1], [0], steps=1).to_text().splitlines()[0])
        unrolled 1 steps (clarke Jacobian); kinks at steps []
        """
        fm = lambda m: "[" + "; ".join(", ".join(str(v) for v in row) for row in m) + "]"   # noqa: E731
        lines = [f"unrolled {self.steps} steps ({self.jacobian} Jacobian); kinks at steps {list(self.kink_steps)}",
                 f"  x_K = ({', '.join(str(v) for v in self.iterates[-1])})",
                 f"  |D_K| = {len(self.sets[-1])} matrices" + (" (capped)" if self.capped else "")]
        for r, ds in self.by_rule.items():
            lines.append(f"  {r}: D_K = {fm(ds[-1])}")
        if self.limit_point is None:
            lines.append("  x_K is not a certified fixed point: no implicit set")
        elif self.implicit is None:
            w = self.singular.witness_matrix if self.singular else None
            lines.append(f"  I - B over conv J_T(x̄): {self.singular.status if self.singular else 'unknown'}"
                         + (f", singular at I - B = {fm(w)}" if w is not None else ""))
        else:
            lines.append(f"  implicit set {{(I - B)^-1 A}} = {{{', '.join(fm(m) for m in self.implicit)}}}")
            if self.gaps:
                lines.append(f"  inclusion: every vertex of the implicit set lies within {max(self.gaps)} (max entry) of a "
                             "member of D_K; the limit of the sets D_k contains the implicit set (theory §7)")
        for r, t in self.targets.items():
            if t is None:
                lines.append(f"  {r}: I - B_r singular at x̄ (no implicit limit for its choice)")
            else:
                lines.append(f"  {r}: target {fm(t)}, distance at K {self.distances[r][-1]}, "
                             f"||B_r||_inf = {self.norms[r]}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- unrolling
def _rule(r) -> Rule:
    return r if isinstance(r, Rule) else get_rule(r)


def _propagate(d_set: Sequence[Matrix], vertices: Sequence[Matrix], k: int) -> list[Matrix]:
    # (A, B, D) -> B D + A is affine in [A B] for fixed D and affine in D for fixed [A B], so
    # conv{B D + A : [A B] ∈ conv V, D ∈ conv S} = conv{B v + a : [a b] ∈ V, v ∈ S}: a point of
    # the left is a double convex combination of vertex images (theory §7, the set recursion).
    out = []
    for jac in vertices:
        a, b = _split(jac, k)
        for d in d_set:
            out.append(matadd(matmul(b, d), a))
    return out


def unroll_sets(T, theta, x0, steps: int, rules=("pytorch", "jax"), jacobian: str = "clarke",
                fixed_point=None) -> UnrolledSets:
    """Unroll ``x_{k+1} = T(θ, x_k)`` ``steps`` times with every Jacobian choice, exactly.

    ``T``: a program over ``k`` parameters then ``p`` states with ``p`` outputs (:func:`ista_map`);
    ``theta``: the ``k`` parameters; ``x0``: the start; ``rules``: preset names or
    :class:`~semialg.rules.Rule` objects (single-valued); ``jacobian``: ``"clarke"`` or
    ``"conservative"`` (:func:`jacobian_at`); ``fixed_point``: the exact ``x̄`` (e.g. from
    :func:`semialg.checks.implicit.lasso.lasso_at`) when the iterates only approach it; otherwise
    ``x_K`` is used if ``T(θ, x_K) = x_K`` exactly.

    >>> relu1 = get_rule("pytorch", ["relu'(0)=1"])      # x̄ = 0 with the tie x̄ - (x̄ - 1)/2 = λ/2
    >>> u = unroll_sets(ista_map([[1]], [1], "1/2"), [1], [0], steps=3, rules=["pytorch", relu1])
    >>> u.kink_steps, [tuple(str(d[0][0]) for d in ds) for ds in u.by_rule.values()]
    ((0, 1, 2), [('0', '0', '0', '0'), ('0', '-1/2', '-3/4', '-7/8')])
    >>> [sorted(str(m[0][0]) for m in d) for d in u.sets], [str(m[0][0]) for m in u.implicit]
    ([['0'], ['-1/2', '0'], ['-3/4', '0'], ['-7/8', '0']], ['-1', '0'])
    >>> [str(c) for c in u.contractions[relu1.name]], str(u.norms[relu1.name])
    (['1/2', '1/2', '1/2'], '1/2')
    """
    from semialg.numeric import exact_value
    from semialg.frontends.coerce import as_program
    T = as_program(T)
    theta = (theta,) if not isinstance(theta, (list, tuple)) else tuple(theta)
    try:
        theta = tuple(Fraction(v) for v in theta)
        x = tuple(Fraction(v) for v in x0)
    except (TypeError, ValueError) as exc:
        raise InputError(f"theta and x0 must be exact numbers (ints, Fractions, '1/2'): {exc}") from None
    k, p = len(theta), T.n_outputs
    if T.n_inputs != k + p or len(x) != p:
        raise InputError(f"T has {T.n_inputs} inputs ({', '.join(T.inputs)}) and {p} outputs: expected {k} "
                         f"parameters (len(theta)) then {p} states (len(x0) = {len(x)}); T(θ, x) must map states to states")
    if not isinstance(steps, int) or steps < 0:
        raise InputError(f"steps must be a nonnegative integer, got {steps!r}")
    rule_objs = [_rule(r) for r in rules]
    zero = tuple(tuple(F0 for _ in range(k)) for _ in range(p))
    iterates, sets, jacobians, kinks, pruned = [x], [(zero,)], [], [], [True]
    by_rule = {r.name: [zero] for r in rule_objs}
    capped = False
    for step in range(steps):
        jac = jacobian_at(T, theta + x, rule_objs, jacobian)
        jacobians.append(jac.vertices)
        if jac.kink:
            kinks.append(step)
        for r in rule_objs:
            a, b = _split(jac.by_rule[r.name], k)
            by_rule[r.name].append(matadd(matmul(b, by_rule[r.name][-1]), a))
        new, was_pruned = prune_to_vertices(_propagate(sets[-1], jac.vertices, k))
        if len(new) > MAX_SET:
            new, capped = new[:MAX_SET], True
        sets.append(new)
        pruned.append(was_pruned)
        x = tuple(exact_value(T, theta + x))
        iterates.append(x)
    limit = _certified_limit(T, theta, iterates[-1], fixed_point, exact_value)
    implicit, singular, targets, distances, contractions, norms, gaps = None, None, {}, {}, {}, {}, ()
    if limit is not None:
        jac = jacobian_at(T, theta + limit, rule_objs, jacobian)
        implicit, singular = _implicit_set(jac, k, p)
        for r in rule_objs:
            a, b = _split(jac.by_rule[r.name], k)
            target = fixed_point_jacobian(a, b)
            targets[r.name] = target
            norms[r.name] = inf_norm(b)
            if target is not None:
                dist = tuple(max_entry(matadd(d, target, Fraction(-1))) for d in by_rule[r.name])
                distances[r.name] = dist
                contractions[r.name] = tuple(e1 / e0 for e0, e1 in zip(dist, dist[1:]) if e0 != 0)
        if implicit is not None:
            gaps = tuple(min(max_entry(matadd(d, m, Fraction(-1))) for d in sets[-1]) for m in implicit)
    first = rule_objs[0].name if rule_objs else None
    return UnrolledSets(tuple(iterates), tuple(sets), {r: tuple(ds) for r, ds in by_rule.items()}, tuple(kinks),
                        implicit, distances.get(first, ()), capped, tuple(pruned), tuple(jacobians), limit, singular,
                        targets, distances, contractions, norms, gaps, jacobian)


def _certified_limit(T, theta, last, fixed_point, exact_value) -> tuple[Fraction, ...] | None:
    if fixed_point is not None:
        try:
            xbar = tuple(Fraction(v) for v in fixed_point)
        except (TypeError, ValueError) as exc:
            raise InputError(f"fixed_point must be exact numbers: {exc}") from None
        if len(xbar) != len(last):
            raise InputError(f"fixed_point has {len(xbar)} entries, the state has {len(last)}")
        if tuple(exact_value(T, theta + xbar)) != xbar:
            raise InputError(f"fixed_point {tuple(str(v) for v in xbar)} is not a fixed point: T(θ, x̄) = "
                             f"{tuple(str(v) for v in exact_value(T, theta + xbar))}; pass the exact solution "
                             "(semialg.checks.implicit.lasso.lasso_at(...).x for the Lasso)")
        return xbar
    return last if tuple(exact_value(T, theta + last)) == last else None


def _implicit_set(jac: StepJacobian, k: int, p: int) -> tuple[tuple[Matrix, ...] | None, Singularity]:
    """``{(I - B)^{-1}A}`` at the vertices of ``J_T(θ, x̄)`` if every ``I - B`` of the hull is invertible
    (exact, :func:`~semialg.checks.implicit.jacsets.find_singular`), else None and the witness."""
    eye = identity(p)
    i_minus_b = [matadd(eye, _split(v, k)[1], Fraction(-1)) for v in jac.vertices]
    singular = find_singular(MatrixSet.hull(i_minus_b))
    if singular.status != "invertible":
        return None, singular
    images = []
    for v in jac.vertices:
        a, b = _split(v, k)
        images.append(fixed_point_jacobian(a, b))
    return tuple(dict.fromkeys(images)), singular

