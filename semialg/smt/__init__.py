"""Every z3 query semialg makes (the only module that imports z3).

Queries are over conjunctions of *sign conditions* ``(p, s)`` meaning
``sign(p(x)) == s`` for an exact :class:`~semialg.core.poly.Poly` ``p``. Linear systems
go to z3's linear real arithmetic (incremental, push/pop); nonlinear ones to a
fresh ``qfnra-nlsat`` solver per query (measured 10-25x faster than push/pop on
nonlinear kinks). Every answer is three-valued: :data:`SAT` with an exact model,
:data:`UNSAT`, or :data:`UNKNOWN` with z3's reason (timeouts included).

>>> from semialg.core.poly import Poly
>>> x, y = Poly.variables(2)
>>> r = check([(x + y - 1, 0), (x - y, 1)], 2)
>>> r.status, sum(r.point) == 1, r.point[0] > r.point[1]
('sat', True, True)
>>> check([(x * x + 1, -1)], 2).status
'unsat'
"""
from semialg.smt.encoding import (
    SAT,
    UNKNOWN,
    UNSAT,
    AlgebraicNumber,
    Condition,
    IncrementalLinear,
    Result,
    Stats,
    check,
    to_z3,
)
from semialg.smt.queries import (
    convex_query,
    enumerate_points,
    exact_signs,
    exists_nonzero,
    in_closure,
    meets_relaxed,
    naive_sign_cells,
    rank_drop,
    simplex_combination_zero,
    simplex_query,
)

__all__ = ['clear_caches', 'AlgebraicNumber', 'Condition', 'IncrementalLinear', 'Result', 'SAT', 'Stats', 'UNKNOWN', 'UNSAT', 'check', 'convex_query', 'enumerate_points', 'exact_signs', 'exists_nonzero', 'in_closure', 'meets_relaxed', 'naive_sign_cells', 'rank_drop', 'simplex_combination_zero', 'simplex_query', 'to_z3']


def clear_caches() -> None:
    """Forget the memoised z3 terms and pinned algebraic points (benchmarks start cold with this)."""
    from semialg.smt import encoding, queries
    encoding._TERMS.clear()
    queries._PINNED.clear()
