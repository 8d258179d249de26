"""Fast float evaluation (numpy) and exact rational evaluation of a :class:`Program`.

This is the only module that evaluates with numpy / ``sympy.lambdify``. Floats
live here and nowhere else: they confirm witnesses and cross-check by sampling,
they never decide a verdict (house rule 1). :func:`exact_value` is the exact
counterpart, with :class:`~fractions.Fraction` arithmetic.

Invariant: both evaluators are iterative folds over
:meth:`Program.topological_order` (arguments before users), so depth is not
limited by Python's recursion limit; each node is evaluated once however often
it is shared.

>>> from semialg.frontends.text import parse
>>> p = parse("relu(x - y), abs(x) + 1/3")
>>> evaluate(p, np.array([[1.0, 2.0], [3.0, -1.0]]))
array([[0.        , 1.33333333],
       [4.        , 3.33333333]])
>>> exact_value(p, (Fraction(3), Fraction(-1)))
(Fraction(4, 1), Fraction(10, 3))
"""
from __future__ import annotations

import threading
from fractions import Fraction
from typing import Callable, Sequence

from semialg.core.dag import Node, Program
from semialg.core.errors import InputError
from semialg.core.primitives import REGISTRY

__all__ = ["evaluate", "exact_value", "make_function", "primitive_function", "ROUND_HALF_EVEN"]

ROUND_HALF_EVEN = "round_half_even"
"""Name of the sympy function ``primitives.Round.to_sympy`` returns; numpy's
``round`` (ties to even) implements it."""


class _NumpyOnFirstUse:
    """Stands for ``np`` until a float is computed: reading an attribute imports numpy (about
    0.1 s, which :func:`exact_value` and ``import semialg`` do not need) and puts the module
    itself in this module's globals, so later reads are plain global lookups.

    >>> float(np.float64(0.5))
    0.5
    """

    def __getattr__(self, name: str):
        import numpy
        globals()["np"] = numpy
        return getattr(numpy, name)

    def __repr__(self) -> str:
        return "<numpy, imported on first use>"


np = _NumpyOnFirstUse()

_CACHE: dict[tuple, Callable] = {}
_CACHE_LOCK = threading.Lock()


def primitive_function(op: str, nargs: int, param=None) -> Callable:
    """The vectorised numpy function of primitive ``op`` with ``nargs`` arguments.

    Obtained once per ``(op, nargs, param)`` by ``sympy.lambdify`` of
    ``REGISTRY[op].to_sympy`` and cached, so the numeric semantics of a
    primitive is defined in exactly one place (its ``to_sympy``).

    >>> f = primitive_function("max", 3)
    >>> f(np.array([1.0, -2.0]), np.array([0.0, -5.0]), np.array([0.5, -3.0]))
    array([ 1., -2.])
    >>> primitive_function("round", 1)(np.array([0.5, 1.5, 2.5, -0.5]))
    array([ 0.,  2.,  2., -0.])
    """
    key = (op, nargs, param)
    fn = _CACHE.get(key)
    if fn is None:
        import sympy

        if op not in REGISTRY:
            raise InputError(f"no primitive called '{op}'")
        symbols = sympy.symbols(f"a0:{nargs}") if nargs else ()
        expr = REGISTRY[op].to_sympy(list(symbols), param)
        fn = sympy.lambdify(list(symbols), expr, modules=[{ROUND_HALF_EVEN: np.round}, "numpy"])
        with _CACHE_LOCK:
            _CACHE[key] = fn
    return fn


def _as_points(program: Program, points) -> np.ndarray:
    n = program.n_inputs
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 0 and n == 1:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(-1, 1) if n == 1 else arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != n:
        raise InputError(f"points must have shape (N, {n}) for the variables "
                         f"{', '.join(program.inputs) or '(none)'}; got shape {np.shape(points)}")
    return arr


def evaluate(program: Program, points) -> np.ndarray:
    """Float64 values of ``program`` at ``points`` (shape ``(N, n)``): shape ``(N, m)``.

    Vectorised over the N points. ``+ * **`` use numpy directly; each primitive
    uses :func:`primitive_function`. Predicates evaluate to boolean arrays inside
    the fold; every output is returned as float64.

    >>> from semialg.frontends.text import parse
    >>> p = parse("where(x > 0 and y > 0, x * y, 0), sort(x, y)[0]")
    >>> evaluate(p, np.array([[2.0, 3.0], [-1.0, 4.0]]))
    array([[ 6.,  2.],
           [ 0., -1.]])
    """
    pts = _as_points(program, points)
    n_points = pts.shape[0]
    column = {name: pts[:, i] for i, name in enumerate(program.inputs)}
    values: dict[int, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for node in program.topological_order():
            values[id(node)] = _eval_node(node, [values[id(a)] for a in node.args], column, n_points)
    if not program.outputs:
        return np.zeros((n_points, 0))
    return np.stack([np.broadcast_to(np.asarray(values[id(o)], dtype=np.float64), (n_points,))
                     for o in program.outputs], axis=1)


def _eval_node(node: Node, args: list, column: dict, n_points: int):
    op = node.op
    if op == "const":
        return np.full(n_points, float(node.param))
    if op == "var":
        if node.param not in column:
            raise InputError(f"variable '{node.param}' is not an input of the program")
        return column[node.param]
    if op == "add":
        total = args[0]
        for a in args[1:]:
            total = total + a
        return total
    if op == "mul":
        prod = args[0]
        for a in args[1:]:
            prod = prod * a
        return prod
    if op == "pow":
        return args[0] ** int(node.param)
    result = primitive_function(op, len(args), node.param)(*args)
    result = np.asarray(result)
    if result.shape != (n_points,):
        result = np.broadcast_to(result, (n_points,))
    return result


def exact_value(program: Program, point: Sequence) -> tuple:
    """Exact value of ``program`` at a rational ``point`` (one coordinate per input).

    Uses each primitive's ``exact``; coordinates may be ints, Fractions or
    decimal strings. Numeric outputs are Fractions (predicates, if ever an
    output, are bools).

    >>> from semialg.frontends.text import parse
    >>> exact_value(parse("x - (relu(-x) - relu(x) + x)"), ["1/3"])
    (Fraction(1, 3),)
    >>> exact_value(parse("round(x), floor(x)"), [Fraction(5, 2)])
    (Fraction(2, 1), Fraction(2, 1))
    """
    if len(point) != program.n_inputs:
        raise InputError(f"the point has {len(point)} coordinates; the program has {program.n_inputs} "
                         f"inputs ({', '.join(program.inputs) or 'none'})")
    try:
        env = {name: Fraction(v) for name, v in zip(program.inputs, point)}
    except (TypeError, ValueError) as exc:
        raise InputError(f"point coordinates must be exact rationals: {exc}") from None
    values: dict[int, object] = {}
    for node in program.topological_order():
        args = [values[id(a)] for a in node.args]
        op = node.op
        if op == "const":
            value = node.param
        elif op == "var":
            if node.param not in env:
                raise InputError(f"variable '{node.param}' is not an input of the program")
            value = env[node.param]
        elif op == "add":
            value = sum(args[1:], args[0])
        elif op == "mul":
            value = args[0]
            for a in args[1:]:
                value = value * a
        elif op == "pow":
            value = args[0] ** int(node.param)
        else:
            value = REGISTRY[op].exact(args, node.param)
        values[id(node)] = value
    return tuple(values[id(o)] for o in program.outputs)


def make_function(program: Program) -> Callable:
    """A numpy function ``f(*coordinates)`` computing ``program`` in float64.

    Takes one argument per input (numbers or equally shaped arrays). With one
    output it returns an array of the broadcast shape (a float for scalars);
    with ``m > 1`` outputs, an array with a trailing axis of length ``m``.

    >>> from semialg.frontends.text import parse
    >>> f = make_function(parse("max(x, y)"))
    >>> f(1, 2)
    2.0
    >>> f(np.array([0.0, 3.0]), np.array([1.0, -1.0]))
    array([1., 3.])
    >>> make_function(parse("sort(x, y)"))(3.0, 1.0)
    array([1., 3.])
    """
    n, m = program.n_inputs, program.n_outputs

    def f(*coordinates):
        if len(coordinates) != n:
            raise InputError(f"expected {n} arguments ({', '.join(program.inputs)}), got {len(coordinates)}")
        arrays = np.broadcast_arrays(*[np.asarray(c, dtype=np.float64) for c in coordinates]) if n else []
        shape = arrays[0].shape if n else ()
        pts = np.stack([a.reshape(-1) for a in arrays], axis=1) if n else np.zeros((1, 0))
        out = evaluate(program, pts)
        if m == 1:
            out = out[:, 0].reshape(shape)
            return float(out) if out.ndim == 0 else out
        return out.reshape(shape + (m,))

    f.__name__ = "semialg_function"
    f.__doc__ = f"The program as a numpy function of ({', '.join(program.inputs)})."
    return f


# --------------------------------------------------------------------------- witness confirmation
def poly_values(poly, points: np.ndarray) -> np.ndarray:
    """Float values of an exact :class:`~semialg.core.poly.Poly` at each row of ``points``.

    >>> from semialg.core.poly import Poly
    >>> x, y = Poly.variables(2)
    >>> poly_values(x * y + 1, np.array([[2.0, 3.0], [0.5, 0.5]]))
    array([7.  , 1.25])
    """
    points = np.atleast_2d(np.asarray(points, dtype=float))
    out = np.zeros(points.shape[0])
    for mono, c in poly.terms.items():
        term = np.full(points.shape[0], float(c))
        for i, e in enumerate(mono):
            if e:
                term = term * points[:, i] ** e
        out = out + term
    return out


def _retract(points: np.ndarray, equalities) -> np.ndarray:
    """Gauss-Newton projection of each point onto ``{e = 0 for e in equalities}``."""
    if not equalities:
        return points
    y = points.copy()
    grads = [[e.diff(j) for j in range(points.shape[1])] for e in equalities]
    for _ in range(30):
        r = np.stack([poly_values(e, y) for e in equalities], axis=1)                  # (N, m)
        jac = np.stack([np.stack([poly_values(g, y) for g in row], axis=1) for row in grads], axis=1)  # (N, m, n)
        jjt = jac @ np.transpose(jac, (0, 2, 1))
        step = np.linalg.solve(jjt + 1e-300 * np.eye(len(equalities)), r[..., None])
        y = y - (np.transpose(jac, (0, 2, 1)) @ step)[..., 0]
        if np.max(np.abs(r)) < 1e-13:
            break
    return y


def confirm_along_curve(program: Program, output: int, vertex, stratum, point, direction, steps: int = 401,
                        segment: Fraction | None = None) -> dict:
    """Numerically confirm a refutation: along a curve in ``stratum`` through ``point`` with
    velocity ``direction``, compare the increment of ``f`` with the integral of ``<v, γ'>``.

    Never raises: a float failure (a number too large for float64, a singular projection)
    gives ``{"confirmed": False, "reason": ...}``, and the exact refutation stands alone.
    """
    try:
        with np.errstate(all="raise"):
            return _confirm_along_curve(program, output, vertex, stratum, point, direction, steps, segment)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return {"confirmed": False, "reason": f"inconclusive in float64 ({type(exc).__name__}: {exc})"}


def _confirm_along_curve(program: Program, output: int, vertex, stratum, point, direction, steps: int,
                         segment: Fraction | None) -> dict:
    """The body of :func:`confirm_along_curve`. ``segment``: an ``h`` for which the segment
    ``[point, point + h·direction]`` is known (exactly) to lie in the stratum.

    On a linear stratum (on any stratum when ``segment`` is given) the curve is the segment ``point + τ·direction``, ``τ`` in
    ``[0, h]`` with the largest ``h = 2^-k`` whose endpoint lies in the stratum
    (exactly; the stratum is convex), and the increment of ``f`` is computed
    *exactly* from the program itself (:func:`exact_value` at the two rational
    endpoints), independently of the stratification. On a curved stratum the
    segment is projected back onto the equalities (Gauss-Newton) and ``f`` is
    evaluated in float64. The field integral is a trapezoid rule in float64.
    Floats only illustrate: the verdict was decided exactly.
    """
    exact_ends = all(isinstance(v, Fraction) for v in tuple(point) + tuple(direction)) and \
        (stratum.linear or segment is not None)
    x = np.array([float(v) for v in point])
    d = np.array([float(v) for v in direction])
    equalities = list(stratum.equalities)
    strict = [(p, s) for p, s in stratum.conditions if s != 0]
    taus = np.linspace(0.0, 1.0, steps)
    for k in range(0, 60):
        h = Fraction(1, 2 ** k)
        if exact_ends:
            if segment is not None and h > segment:
                continue
            end = tuple(Fraction(p) + h * Fraction(q) for p, q in zip(point, direction))
            if segment is None and not stratum.contains(end):
                continue
            curve = x[None, :] + (float(h) * taus)[:, None] * d[None, :]
            break
        curve = _retract(x[None, :] + (float(h) * taus)[:, None] * d[None, :], equalities)
        inside = all(np.all(np.sign(poly_values(p, curve[1:])) == s) for p, s in strict)
        if inside and np.all(np.isfinite(curve)):
            break
    else:
        return {"confirmed": False, "reason": "no curve segment inside the stratum was found"}
    if exact_ends:
        increment = float(exact_value(program, end)[output] - exact_value(program, tuple(point))[output])
        how = "exact values of the program at the endpoints"
    else:
        f_vals = evaluate(program, curve)[:, output]
        increment = float(f_vals[-1] - f_vals[0])
        how = "float64 evaluation of the program along the projected curve"
    ts = float(h) * taus
    velocity = np.gradient(curve, ts, axis=0)
    field_vals = np.stack([poly_values(p, curve) for p in vertex], axis=1)
    integrand = np.sum(field_vals * velocity, axis=1)
    field_integral = float(np.sum((integrand[1:] + integrand[:-1]) * np.diff(ts)) / 2.0)
    mismatch = increment - field_integral
    return {"h": float(h), "f_increment": increment, "field_integral": field_integral, "mismatch": mismatch,
            "f_increment_from": how,
            "confirmed": bool(abs(mismatch) > 1e-9 * (1.0 + abs(increment) + abs(field_integral)))}


# --------------------------------------------------------------------------- Lasso (numeric path of `semialg implicit`)
def soft_threshold(z, t) -> np.ndarray:
    """``prox_{t||.||_1}(z) = sign(z) max(|z| - t, 0)``, elementwise (float64).

    >>> soft_threshold(np.array([3.0, -0.5, -2.0]), 1.0)
    array([ 2., -0.,  -1.])
    """
    z = np.asarray(z, dtype=np.float64)
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def lasso_solve(A, b, lam: float, tol: float = 1e-14, max_iter: int = 200_000) -> np.ndarray:
    """A minimiser of ``1/2 ||Ax - b||^2 + lam ||x||_1`` by cyclic coordinate descent (float64).

    The numeric solver of the Lasso path: semialg certifies its output exactly
    (:func:`semialg.checks.implicit.lasso.lasso_at`), it never decides anything itself.

    >>> lasso_solve(np.eye(2), np.array([3.0, 0.5]), 1.0)
    array([2., 0.])
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    p = A.shape[1]
    x = np.zeros(p)
    r = b.copy()
    norms = np.einsum("ij,ij->j", A, A)
    for _ in range(max_iter):
        delta = 0.0
        for j in range(p):
            if norms[j] == 0.0:
                continue
            old = x[j]
            rho = A[:, j] @ r + norms[j] * old
            new = np.sign(rho) * max(abs(rho) - lam, 0.0) / norms[j]
            if new != old:
                r -= A[:, j] * (new - old)
                x[j] = new
                delta = max(delta, abs(new - old))
        if delta <= tol * max(1.0, float(np.max(np.abs(x)))):
            break
    return x


def ista_unroll(A, b, lam: float, steps: int, gamma: float | None = None, x0=None, kink_q: float = 0.0):
    """Unrolled proximal gradient for the Lasso with forward-mode derivatives in ``θ = log(lam)``.

    ``x_{k+1} = ST(x_k - γ A^T(A x_k - b), γ e^θ)`` and ``D_{k+1} = B_k D_k + A_k`` with
    ``[A_k B_k] = [-γ e^θ diag(q_k) sign(z_k), diag(q_k)(I - γ A^T A)]``, ``q_k = 1[|z_k| > γ e^θ]``
    (``kink_q`` at an exact tie): what forward-mode autodiff through the solver computes.
    Returns ``(xs, Ds)``, arrays of shape ``(steps + 1, p)``. Default ``γ = 1 / ||A||_2^2``.

    >>> xs, Ds = ista_unroll(np.eye(1), np.array([3.0]), 1.0, 3)
    >>> xs[-1], Ds[-1]
    (array([2.]), array([-1.]))
    """
    A = np.asarray(A, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    p = A.shape[1]
    G = A.T @ A
    gamma = 1.0 / float(np.linalg.norm(A, 2) ** 2) if gamma is None else float(gamma)
    x = np.zeros(p) if x0 is None else np.asarray(x0, dtype=np.float64).copy()
    D = np.zeros(p)
    xs, Ds = [x.copy()], [D.copy()]
    t = gamma * lam
    for _ in range(steps):
        z = x - gamma * (G @ x - A.T @ b)
        q = np.where(np.abs(z) > t, 1.0, np.where(np.abs(z) == t, kink_q, 0.0))
        a_k = -t * q * np.sign(z)
        D = q * (D - gamma * (G @ D)) + a_k
        x = soft_threshold(z, t)
        xs.append(x.copy())
        Ds.append(D.copy())
    return np.array(xs), np.array(Ds)


# --------------------------------------------------------------------------- argmin (numeric proposal of semialg.checks.implicit.argmin)
def argmin_solve(objective: Program, gradient: Program, theta, penalty=None, inequalities=(), equalities=(),
                 x0=None) -> np.ndarray:
    """A float minimiser of ``h(θ, x) + g(x)`` (subject to ``g_i <= 0``, ``e_j = 0``) by scipy.

    ``objective`` (one output) and ``gradient`` (``∇_x h``) are programs over ``θ + x``; ``theta``:
    floats; ``penalty``: None, ``("l1", t)`` (``t ||x||_1``), ``("nonneg",)``, ``("box", lo, hi)`` or
    ``("simplex",)``; ``inequalities`` / ``equalities``: programs over ``θ + x``. The ORIGINAL problem
    is minimised (L-BFGS-B with bounds; ``l1`` split as ``x = u - w``, ``u, w >= 0``; SLSQP for
    the simplex and for constraints), not its optimality equation: the answer only proposes a
    solution, which :func:`semialg.checks.implicit.argmin.solve` certifies exactly.

    >>> from semialg.frontends.text import parse
    >>> h, dh = parse("(x - t)**2/2", ["t", "x"]), parse("x - t", ["t", "x"])
    >>> [round(float(v), 6) for v in argmin_solve(h, dh, [3.0], ("l1", 1.0))]
    [2.0]
    >>> [round(float(v), 6) for v in argmin_solve(h, dh, [-3.0], ("box", -1.0, 1.0))]
    [-1.0]
    """
    from scipy.optimize import minimize

    th = np.asarray(theta, dtype=np.float64).ravel()
    n = gradient.n_outputs
    x0 = np.zeros(n) if x0 is None else np.asarray(x0, dtype=np.float64).ravel()

    def point(x):
        return np.concatenate([th, x])[None, :]

    def f(x):
        return float(evaluate(objective, point(x))[0, 0])

    def df(x):
        return evaluate(gradient, point(x))[0]

    kind = penalty[0] if penalty else None
    lbfgs = dict(method="L-BFGS-B", options=dict(ftol=1e-16, gtol=1e-13, maxiter=50_000, maxcor=30))
    if kind == "l1":
        t = float(penalty[1])
        res = minimize(lambda z: f(z[:n] - z[n:]) + t * float(np.sum(z)),
                       np.concatenate([np.maximum(x0, 0), np.maximum(-x0, 0)]),
                       jac=lambda z: np.concatenate([df(z[:n] - z[n:]) + t, -df(z[:n] - z[n:]) + t]),
                       bounds=[(0.0, None)] * (2 * n), **lbfgs)
        return res.x[:n] - res.x[n:]
    if kind in ("nonneg", "box"):
        bounds = [(0.0, None)] * n if kind == "nonneg" else [(float(penalty[1]), float(penalty[2]))] * n
        return minimize(f, np.clip(x0, *bounds[0]), jac=df, bounds=bounds, **lbfgs).x
    cons = [{"type": "ineq", "fun": (lambda x, g=g: -evaluate(g, point(x))[0])} for g in inequalities]
    cons += [{"type": "eq", "fun": (lambda x, e=e: evaluate(e, point(x))[0])} for e in equalities]
    bounds = None
    if kind == "simplex":
        cons.append({"type": "eq", "fun": lambda x: np.array([np.sum(x) - 1.0]), "jac": lambda x: np.ones((1, n))})
        bounds = [(0.0, 1.0)] * n
        x0 = np.full(n, 1.0 / n)
    if cons:
        return minimize(f, x0, jac=df, method="SLSQP", bounds=bounds, constraints=cons,
                        options=dict(ftol=1e-16, maxiter=2000)).x
    return minimize(f, x0, jac=df, **lbfgs).x
