"""The frontier condition on nonlinear cells: adjacency certified for all of a stratum.

theory §2 (docs/theory.md, "The frontier condition"). For a stratum ``S`` and a cell ``C``
of larger dimension, "``S ⊂ cl C``" and "``S ∩ cl C = ∅``" are claims about every point of
``S``. One sample decides them only when adjacency is constant on ``S``; for nonlinear
cells it need not be (``relu(relu(x)*y)``: the line ``x = 0`` touches ``{x > 0, xy > 0}``
only where ``y ≥ 0``). This module gives, for a pair ``(S, C)``, an exact certificate
valid on all of ``S``, or the polynomial along which ``S`` must be split first:

1. *Disjoint closures.* If no point of ``S`` satisfies ``C``'s relaxed conditions
   (``<`` to ``<=``), ``S`` misses ``cl C`` everywhere (one solver query).
2. *Factor signs.* Every condition polynomial ``p`` of ``C`` is factored over ``Q``:
   ``p = c·Π q_i^{m_i}`` with ``q_i`` irreducible, so ``sign p = sign c · Π sign(q_i)^{m_i}``
   (a kink and its squarefree part have the same zero set: ``relu(x**3)`` is decided by
   ``x``). On ``S`` each factor is identically zero, of constant nonzero sign, or *varies*;
   a varying factor splits ``S`` into its sign pieces (the CAD-style refinement).
3. *Local realisation.* When no factor varies, let ``V`` be the factors vanishing on ``S``.
   Near ``x ∈ S`` the other factors keep their signs. If no sign vector of ``V`` makes
   ``C``'s conditions hold, ``S ∩ cl C = ∅``. If one does and the gradients of ``V`` are
   linearly independent at every point of ``S`` (an exact rank query), then
   ``x ↦ (q(x))_{q ∈ V}`` is a submersion near every ``x ∈ S`` (implicit function theorem):
   every sign vector of ``V`` occurs arbitrarily close to ``x``, so ``S ⊂ cl C``.
   Otherwise the pair is undecided, and the stratification says so.

>>> from semialg.core.poly import Poly
>>> x, y = Poly.variables(2)
>>> f = Frontier(2, 10_000)
>>> line = ((x, 0),)
>>> quadrant = ((x, 1), (x * y, 1))
>>> f.decide(line, (Fraction(0), Fraction(0)), quadrant)[1]     # y varies on x = 0: split there
Poly(x1)
>>> f.decide(((x, 0), (y, 1)), (Fraction(0), Fraction(1)), quadrant)[0]
True
>>> f.decide(((x, 0), (y, -1)), (Fraction(0), Fraction(-1)), quadrant)[0]
False
"""
from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Sequence

from semialg import smt
from semialg.core.poly import Poly, rank
from semialg.stratification import nonlinear
from semialg.stratification.cells import normalize, Condition, exact_sign, factored

ZERO, VARIES = "zero", "varies"


class Frontier:
    """Exact adjacency certificates for pairs of cells, with every solver answer cached.

    ``decide(S, sample, C)`` returns ``(answer, split, reason)``: ``answer`` True
    (``S ⊂ cl C``), False (``S ∩ cl C = ∅``) or None; ``split`` is a factor that varies on
    ``S`` (split ``S`` by its sign, then ask again); ``reason`` says why an answer is None.
    """

    def __init__(self, n: int, timeout_ms: int, stats: smt.Stats | None = None, deadline=None, roots=None):
        self.n, self._timeout_ms, self.stats, self.deadline = n, timeout_ms, stats, deadline
        self.roots: dict = dict(roots or {})   # a lifted program's root variables: index -> degree of its relation
        self._meets: dict = {}
        self._class: dict = {}
        self._independent: dict = {}
        self._decided: dict = {}

    @property
    def timeout_ms(self) -> int | None:
        """The limit for the next query: the per-query limit, or less when the deadline is near."""
        return self._timeout_ms if self.deadline is None else self.deadline.query_ms(self._timeout_ms)

    def decide(self, s_conds: tuple, sample: tuple, c_conds: tuple) -> tuple[bool | None, Poly | None, str]:
        c_conds = graph_conditions(c_conds, s_conds, self.roots)
        key = (s_conds, c_conds)
        hit = self._decided.get(key)
        if hit is None:
            hit = self._decided[key] = self._decide(s_conds, sample, c_conds)
        return hit

    def _decide(self, s_conds, sample, c_conds):
        meets = self.meets_relaxed(s_conds, c_conds)
        if meets is None:
            return None, None, "whether it meets the closure could not be decided"
        if not meets:
            return False, None, ""
        signs: dict = {}
        per_condition = [factored(p) for p, _ in c_conds]
        for fac in per_condition:
            for q, _ in fac.factors:
                if q in signs:
                    continue
                c = self.classify(s_conds, sample, q)
                if c is None:
                    return None, None, "the sign of a kink factor on it could not be decided"
                if c == VARIES:
                    return None, q, ""
                signs[q] = c
        vanishing = [q for q, c in signs.items() if c == ZERO]
        if not self._realisable(per_condition, c_conds, signs, vanishing):
            return False, None, ""
        independent = self.independent(s_conds, vanishing)
        if independent:
            return True, None, ""
        why = "undecided" if independent is None else "dependent"
        return None, None, f"the kinks vanishing on it have {why} gradients there (a singular point of the frontier)"

    @staticmethod
    def _realisable(per_condition, c_conds, signs, vanishing) -> bool:
        """Is there a sign vector of the vanishing factors under which C's conditions hold?"""
        for combo in itertools.product((-1, 0, 1), repeat=len(vanishing)):
            trial = dict(signs)
            trial.update(zip(vanishing, combo))
            if all(fac.sign(trial) == s for fac, (_, s) in zip(per_condition, c_conds)):
                return True
        return False

    def meets_relaxed(self, s_conds: tuple, c_conds: tuple) -> bool | None:
        key = (s_conds, c_conds)
        if key not in self._meets:
            r = smt.meets_relaxed(s_conds, c_conds, self.n, self.timeout_ms, self.stats)
            self._meets[key] = None if r.status == smt.UNKNOWN else r.status == smt.SAT
        return self._meets[key]

    def classify(self, conds: tuple, sample: tuple, q: Poly):
        """On the cell ``conds``: ``ZERO`` (q vanishes identically), ``1`` / ``-1`` (constant sign),
        ``VARIES``, or None (undecided)."""
        key = (conds, q)
        if key in self._class:
            return self._class[key]
        out = self._classify(conds, sample, q)
        self._class[key] = out
        return out

    def _classify(self, conds, sample, q):
        if all(isinstance(v, Fraction) for v in sample):
            v = exact_sign(q.eval(sample))
        else:
            signs = smt.exact_signs(sample, [q], self.timeout_ms)
            if signs is None:
                return None
            v = signs[0]
        if v == 0:
            r = smt.exists_nonzero(conds, [q], self.n, None, self.timeout_ms)
            return {smt.UNSAT: ZERO, smt.SAT: VARIES}.get(r.status)
        for other in (0, -v):
            r = smt.check(list(conds) + [(q, other)], self.n, self.timeout_ms, self.stats)
            if r.status == smt.SAT:
                return VARIES
            if r.status != smt.UNSAT:
                return None
        return v

    def independent(self, conds: tuple, polys: Sequence[Poly]) -> bool | None:
        """Are the gradients of ``polys`` linearly independent at every point of the cell?"""
        if not polys:
            return True
        if len(polys) > self.n:
            return False
        if all(p.is_linear for p in polys):
            return rank([list(p.linear_coeffs()) for p in polys]) == len(polys)
        key = (conds, tuple(polys))
        if key not in self._independent:
            stats = self.stats if self.stats is not None else smt.Stats()
            r = nonlinear.rank_drop(list(conds), list(polys), self.n, self.timeout_ms, stats)
            self._independent[key] = None if r.status == smt.UNKNOWN else r.status == smt.UNSAT
        return self._independent[key]


def graph_conditions(c_conds: tuple, s_conds: tuple, roots: dict) -> tuple:
    """``C``'s conditions without the definition of a root variable that vanishes on ``S``, when no
    other condition of ``C`` mentions it. Semialgebraic lifting makes ``C`` the graph of a continuous
    function ``s = φ(x)`` over the cell the other conditions cut out, so ``S ⊂ cl C`` exactly when
    the projections are: the question is asked in the user's variables, where the root's argument
    is an ordinary kink (in the lifted variables its relation ``s**q = a`` and ``a`` have dependent
    gradients where ``s = 0``, which no transversality certificate can use).

    >>> x, s = Poly.variables(2)
    >>> graph_conditions(((x, 1), (s, 1), (s * s - x, 0)), ((x, 0), (s, 0)), {1: 2})
    ((Poly(x0), 1),)
    """
    if not roots:
        return c_conds
    zero_on_s = set()   # the variables S pins to 0 (a condition "s = 0")
    for p, sg in s_conds:
        if sg == 0 and p.is_linear and len(p.terms) == 1:
            (m, _), = p.terms.items()
            zero_on_s.update(i for i, e in enumerate(m) if e)
    out = list(c_conds)
    for index, q in roots.items():
        norm = q < 0   # a norm's root (degree 2, stored as -2): its argument is a sum of squares
        q = abs(q)
        if index not in zero_on_s:
            continue
        mentions = [(p, sg) for p, sg in out if any(m[index] for m in p.terms)]
        relation = [(p, sg) for p, sg in mentions if sg == 0 and any(m[index] == q and sum(m) == q for m in p.terms)]
        definition = [(p, sg) for p, sg in mentions if (p.is_linear and len(p.terms) == 1)] + relation
        if not mentions or len(definition) != len(mentions):
            continue
        out = [c for c in out if c not in definition]
        if norm and relation and not any(sg == 0 for _, sg in out):
            # C is open and {sum of squares > 0} is dense in it (its complement has empty interior)
            rel = relation[0][0]
            lead = next(c for m, c in rel.terms.items() if m[index] == q)
            rest = Poly(rel.nvars, {m: c for m, c in rel.terms.items() if m[index] == 0})
            total = normalize(rest * (-1 / lead), 1)[0]   # rel = lead * (s**q - total), up to scaling
            out = [c for c in out if not (c[1] == 1 and normalize(c[0], 1)[0] == total)]
    return tuple(out)


def certified_pairs(leaves: Sequence) -> list[list[int]]:
    """For each leaf, the indices of the leaves of larger dimension whose adjacency one sample
    cannot decide: all of them for a nonlinear leaf or one without a cone, else the nonlinear
    ones (a linear cell with its cone has its frontier checked on the cone's generators
    against every linear cell). Linear programs get empty lists in linear time."""
    if all(leaf.cone is not None for leaf in leaves):   # the walker keeps a cone only for a linear cell
        return [[] for _ in leaves]
    linear = [leaf.cone is not None or all(p.is_linear for p, _ in leaf.conds) for leaf in leaves]
    with_cone = [leaf.cone is not None for leaf in leaves]
    nonlinear_ids = [i for i, lin in enumerate(linear) if not lin]
    everyone = list(range(len(leaves)))
    out = []
    for i, leaf in enumerate(leaves):
        if leaf.dim is None:
            out.append([])
            continue
        pool = nonlinear_ids if with_cone[i] else everyone
        out.append([j for j in pool if leaves[j].dim is not None and leaves[j].dim > leaf.dim])
    return out


def split_leaves(leaves: list, tree, n: int, frontier: Frontier, stats: smt.Stats, reasons: list,
                 max_new: int | None = None, free: int = 0) -> list:
    """Split every leaf on which some neighbour's adjacency is not constant (step 2 of the module
    docstring), until each pair is certified, undecided, or the budget of new leaves is spent."""
    from semialg.stratification.branch_tree import Leaf
    pairs = certified_pairs(leaves)
    if not any(pairs):
        return leaves
    leaves = list(leaves)
    budget = max_new if max_new is not None else max(64, 4 * len(leaves))
    changed = True
    while changed:
        changed = False
        for idx, s in enumerate(leaves):
            if frontier.deadline is not None:
                frontier.deadline.check("frontier certification", idx, len(leaves), unit="cells")
            if s.dim is None or s.dim == 0 or s.dim == n - free:
                continue
            split = None
            for j in pairs[idx]:
                c = leaves[j]
                _, split, _ = frontier.decide(s.conds, s.sample, c.conds)
                if split is not None:
                    break
            if split is None:
                continue
            if budget <= 0:
                reasons.append(f"the frontier condition needs more splits than allowed (cell {', '.join(_text(s.conds))})")
                return leaves
            pieces = []
            for conds, sample in nonlinear.split_cell(s.conds, s.sample, [split], n, frontier.timeout_ms, stats,
                                                     reasons):
                extra = tuple(cd for cd in conds if cd not in s.conds)
                child = tree.add(s.tree_node, extra)
                pieces.append(Leaf(tuple(conds), sample, s.labels, s.piece, child, None))
            pieces = nonlinear.refine(pieces, tree, n, frontier.timeout_ms, stats, reasons, frontier.deadline, free)
            budget -= len(pieces)
            leaves[idx:idx + 1] = pieces
            pairs = certified_pairs(leaves)
            changed = True
            break
    return leaves


def _text(conds: Sequence[Condition]) -> list[str]:
    return [f"{p.to_str([f'x{i}' for i in range(p.nvars)])} {'<=>'[s + 1]} 0" for p, s in conds] or ["true"]
