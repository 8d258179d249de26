"""The oracle for semialgebraic (lifted) programs: roots, quotients, norms.

Independent of semialg (never imported). Four parts:

1. exact values (:func:`exact_value`): sympy radicals through :func:`.expr.evaluate` (signs
   decided exactly), or an :class:`UndefinedAt` marker;
2. numeric probes at 50 digits (mpmath; polynomial parts stay exact Fractions, and a sign
   that looks like 0 numerically is decided by the exact evaluator): difference quotients
   (:func:`unbounded_slope`), a search for unbounded slopes near the zero sets of root
   arguments (:func:`lipschitz_probe`), gradient limits (:func:`gradient_limits`);
3. an IEEE-float reverse-mode model of PyTorch and JAX (:mod:`oracle.framework_model`), written
   from their documented and measured conventions, to predict where a rule is non-finite;
4. a hypothesis generator of lifted programs (:mod:`oracle.lifted_generate`) carrying exact points
   of the zero sets of their root arguments (``hints``) and of their denominators.

The mathematics of the slope probe: for a semialgebraic f continuous at p and a direction d,
the quotient q(s) = (f(p + s d) - f(p))/s has a Puiseux expansion c s^(-alpha) (1 + o(1)) as
s -> 0+, alpha rational; f is Lipschitz along the ray iff alpha <= 0, and continuity forces
alpha < 1. So log10 |q| against log10(1/s) has a constant slope alpha for small s, measured
here over s = 1e-10 .. 1e-16 (s = 1e-4 .. 1e-16 are all computed and reported).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction as F

import mpmath

from . import expr as E

DIGITS = 50
STEPS = tuple(F(1, 10 ** k) for k in range(4, 17))  # s = 1e-4 .. 1e-16
LATE = 7  # the last LATE quotients (s = 1e-10 .. 1e-16) decide the exponent
SMALL = mpmath.mpf(10) ** -30  # below this a numeric sign is decided exactly


def parse(text: str):
    return E.parse(text, lifted=True)


@dataclass
class LiftedProgram:
    """A generated lifted program: text, variables, exact points on the zero sets of its
    root arguments (``hints``) and exact points where it is undefined (``undefined_hints``)."""
    text: str
    names: tuple
    hints: list = field(default_factory=list)
    undefined_hints: list = field(default_factory=list)
    kind: str = "lifted"

    def __post_init__(self):
        self.node = parse(self.text)

    @property
    def vars_arg(self) -> str:
        return ",".join(self.names)


def _as_program(program, names=None):
    """(node, names) from a LiftedProgram, a text or an AST."""
    if isinstance(program, LiftedProgram):
        return program.node, tuple(names or program.names)
    node = parse(program) if isinstance(program, str) else program
    return node, tuple(names or sorted(E.variables(node)))


def exact_number(s):
    """An exact string ("1/2", "-3", "sqrt(2)/2") -> Fraction, or a sympy number; None if unreadable."""
    try:
        return F(s)
    except (ValueError, TypeError, ZeroDivisionError):
        pass
    try:
        import sympy
        v = sympy.sympify(str(s).replace("^", "**"))
        if v.free_symbols or not v.is_real:
            return None
        return E.exact(v)
    except Exception:  # noqa: BLE001 - any unreadable string is "not a point"
        return None


def exact_point(strings):
    if strings is None:
        return None
    vals = [exact_number(s) for s in strings]
    return None if any(v is None for v in vals) else tuple(vals)


# --------------------------------------------------------------------------- 1. exact values
@dataclass(frozen=True)
class UndefinedAt:
    """The program has no value at a point: ``reason`` says why."""
    reason: str


def exact_value(program, point, names=None):
    """The exact value (Fraction or sympy algebraic number) at ``point``, or :class:`UndefinedAt`."""
    node, names = _as_program(program, names)
    try:
        return E.evaluate(node, dict(zip(names, point)))
    except E.Undefined as exc:
        return UndefinedAt(str(exc))


def is_undefined(v) -> bool:
    return isinstance(v, UndefinedAt)


# --------------------------------------------------------------------------- 2. numeric evaluation
def _mpf(v):
    if isinstance(v, F):
        return mpmath.mpf(v.numerator) / v.denominator
    if isinstance(v, (int, float)):
        return mpmath.mpf(v)
    if isinstance(v, mpmath.mpf):
        return v
    import sympy
    return mpmath.mpf(str(sympy.N(v, DIGITS + 10)))


def _exact_env(env):
    return all(isinstance(v, F) for v in env.values())


def _num(v):
    """Keep Fractions exact; anything else becomes an mpf."""
    return v if isinstance(v, F) else _mpf(v)


def _binop(op, a, b):
    if isinstance(a, F) and isinstance(b, F):
        return op(a, b)
    return op(_mpf(a), _mpf(b))


def mp_sign(value, node, env) -> int:
    """The sign of ``value`` (the value of ``node`` at ``env``): exact for a Fraction, numeric
    when clearly away from 0, else decided by the exact evaluator."""
    if isinstance(value, F):
        return E.sgn(value)
    if abs(value) > SMALL:
        return 1 if value > 0 else -1
    return E.sgn(E.evaluate(node, env))


def _perfect_root(a: F, q: int):
    """The q-th root of |a| as a Fraction when it is one, else None."""
    from sympy import integer_nthroot
    num, ok1 = integer_nthroot(abs(a.numerator), q)
    if not ok1:
        return None
    den, ok2 = integer_nthroot(a.denominator, q)
    return F(int(num), int(den)) if ok2 else None


def _root(a, q, node, env):
    """The real q-th root (sign of a for odd q), exact when a is a rational q-th power."""
    s = mp_sign(a, node, env)
    if s == 0:
        return F(0)
    if isinstance(a, F):
        r = _perfect_root(a, q)
        if r is not None:
            return r if s > 0 else -r
        a = _mpf(a)
    r = mpmath.root(abs(a), q)
    return r if s > 0 else -r


def mp_eval(node, env):
    """The value of ``node`` at ``env`` (name -> Fraction or sympy number), 50 digits.

    Polynomial parts at rational points are exact Fractions; roots and quotients of non-squares
    are mpf; every branch decision and every definedness test uses :func:`mp_sign` (exact near 0).
    Raises :class:`.expr.Undefined`."""
    with mpmath.workdps(DIGITS):
        env = {k: (v if isinstance(v, F) else E.exact(v)) for k, v in env.items()}
        return _mp(node, env)


def _mp(node, env):
    t = node[0]
    if t == "num":
        return node[1]
    if t == "var":
        return _num(env[node[1]])
    if t in ("add", "sub", "mul"):
        a, b = _mp(node[1], env), _mp(node[2], env)
        return _binop({"add": lambda u, v: u + v, "sub": lambda u, v: u - v, "mul": lambda u, v: u * v}[t], a, b)
    if t == "neg":
        return -_mp(node[1], env)
    if t == "pow":
        return _mp(node[1], env) ** node[2]
    if t == "div":
        a, b = _mp(node[1], env), _mp(node[2], env)
        if mp_sign(b, node[2], env) == 0:
            raise E.Undefined("division by 0")
        return _binop(lambda u, v: u / v, a, b)
    if t == "rpow":
        a, r = _mp(node[1], env), node[2]
        s = mp_sign(a, node[1], env)
        if r.denominator % 2 == 0 and s < 0:
            raise E.Undefined("an even root of a negative number")
        if r < 0 and s == 0:
            raise E.Undefined("0 to a negative power")
        base = _root(a, r.denominator, node[1], env)
        return base ** r.numerator
    if t == "cmp":
        diff = ("sub", node[2], node[3])
        s = mp_sign(_mp(diff, env), diff, env)
        return {"<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0, "==": s == 0, "!=": s != 0}[node[1]]
    if t == "and":
        return all(_mp(c, env) for c in node[1])
    if t == "or":
        return any(_mp(c, env) for c in node[1])
    if t == "not":
        return not _mp(node[1], env)
    if t == "where":
        return _mp(node[2] if _mp(node[1], env) else node[3], env)
    name, arg_nodes = node[1], node[2]
    args = [_mp(a, env) for a in arg_nodes]
    a, an = args[0], arg_nodes[0]
    sa = lambda: mp_sign(a, an, env)  # noqa: E731

    def pick(i, j, minimum):  # the larger (smaller) of args i, j, decided exactly near ties
        d = ("sub", arg_nodes[i], arg_nodes[j])
        s = mp_sign(_binop(lambda u, v: u - v, args[i], args[j]), d, env)
        return i if (s < 0 if minimum else s >= 0) else j
    if name == "relu":
        return a if sa() > 0 else F(0)
    if name == "abs":
        return a if sa() >= 0 else -a
    if name == "leaky_relu":
        return a if sa() > 0 else _binop(lambda u, v: u * v, args[1], a)
    if name in ("max", "min"):
        best = 0
        for j in range(1, len(args)):
            best = pick(best, j, name == "min")
        return args[best]
    if name in ("clip", "hardtanh", "relu6"):
        lo, hi = {"clip": (None, None), "hardtanh": (F(-1), F(1)), "relu6": (F(0), F(6))}[name]
        lo = args[1] if lo is None else lo
        hi = args[2] if hi is None else hi
        if mp_sign(_binop(lambda u, v: u - v, a, lo), ("sub", an, ("num", lo)), env) < 0:
            return lo
        if mp_sign(_binop(lambda u, v: u - v, a, hi), ("sub", an, ("num", hi)), env) > 0:
            return hi
        return a
    if name == "step":
        return F(1) if sa() > 0 else F(0)
    if name == "heaviside":
        s = sa()
        return F(1) if s > 0 else (F(1, 2) if s == 0 else F(0))
    if name == "sign":
        return F(sa())
    if name == "floor":
        return F(math.floor(a)) if isinstance(a, F) else F(int(mpmath.floor(a)))
    if name == "sqrt":
        if sa() < 0:
            raise E.Undefined("sqrt of a negative number")
        return _root(a, 2, an, env)
    if name == "cbrt":
        return _root(a, 3, an, env)
    if name in E.NORMS:
        mags = [v if mp_sign(v, n, env) >= 0 else -v for v, n in zip(args, arg_nodes)]
        if name == "norm1":
            out = F(0)
            for m in mags:
                out = _binop(lambda u, v: u + v, out, m)
            return out
        if name == "norminf":
            best, best_node = mags[0], ("call", "abs", (arg_nodes[0],))
            for m, n in zip(mags[1:], arg_nodes[1:]):
                mn = ("call", "abs", (n,))
                if mp_sign(_binop(lambda u, v: u - v, m, best), ("sub", mn, best_node), env) > 0:
                    best, best_node = m, mn
            return best
        sq = F(0)
        for v in args:
            sq = _binop(lambda u, w: u + w, sq, _binop(lambda u, w: u * w, v, v))
        sq_node = ("call", "norm", arg_nodes)  # vanishes exactly where the sum of squares does
        return _root(sq, 2, sq_node, env) if mp_sign(sq, sq_node, env) > 0 else F(0)
    raise ValueError(name)


def mp_value(program, point, names=None):
    """f(point) at 50 digits (Fraction when exact), or :class:`UndefinedAt`."""
    node, names = _as_program(program, names)
    try:
        return mp_eval(node, dict(zip(names, point)))
    except E.Undefined as exc:
        return UndefinedAt(str(exc))


def _shift(p, d, s):
    return tuple(E.exact(a + s * b) for a, b in zip(p, d))


# --------------------------------------------------------------------------- 3. slopes
@dataclass(frozen=True)
class Slope:
    """The difference quotients of f at p along d.

    ``status``: "unbounded" (|q| grows like s^-alpha, 0 < alpha < 1, at every late step),
    "bounded" (|q| does not grow at the late steps), "blowup" (alpha >= 1: f is not continuous
    at p along d, or blows up near an undefined set), "undefined" (f has no value at p or at a
    probe point), "unclear"."""
    status: str
    alpha: float = float("nan")
    quotients: tuple = ()
    reason: str = ""

    @property
    def unbounded(self) -> bool:
        return self.status == "unbounded"


def unbounded_slope(program, point, direction, names=None) -> Slope:
    """(f(p + s d) - f(p)) / s for s = 1e-4 .. 1e-16 (exact points, 50-digit values).

    Unbounded when log10|q| increases by more than 0.02 per decade at each of the last six
    decades and by less than 0.97 on average (alpha in (0, 1): a continuous, non-Lipschitz
    ray); bounded when it increases by at most 0.02 at each of them."""
    node, names = _as_program(program, names)
    env = lambda q: dict(zip(names, q))  # noqa: E731
    try:
        with mpmath.workdps(DIGITS):
            f0 = mp_eval(node, env(point))
            qs = []
            for s in STEPS:
                fs = mp_eval(node, env(_shift(point, direction, s)))
                q = _binop(lambda u, v: u - v, fs, f0)
                qs.append(_mpf(q) / _mpf(s))
    except E.Undefined as exc:
        return Slope("undefined", reason=str(exc))
    with mpmath.workdps(DIGITS):
        logs = [float(mpmath.log10(abs(q))) if q != 0 else -60.0 for q in qs]
    late = logs[-LATE:]
    incs = [b - a for a, b in zip(late, late[1:])]
    alpha = sum(incs) / len(incs)
    floats = tuple(float(q) for q in qs)
    if all(v <= -59 for v in late) or max(incs) <= 0.02:
        return Slope("bounded", alpha, floats)
    if min(incs) > 0.02:
        return Slope("unbounded" if alpha < 0.97 else "blowup", alpha, floats)
    return Slope("unclear", alpha, floats)


def root_arguments(node) -> list:
    """The sub-expressions whose zero sets are where roots can break Lipschitz continuity:
    arguments of sqrt and cbrt, bases of non-integer powers, and the norm itself (0 exactly
    where all its arguments are)."""
    out = []

    def walk(nd):
        if nd[0] == "call" and nd[1] in E.ROOT_CALLS:
            out.append(nd[2][0])
        if nd[0] == "call" and nd[1] == "norm":
            out.append(nd)
        if nd[0] == "rpow" and nd[2].denominator != 1:
            out.append(nd[1])
        for part in nd[1:]:
            if isinstance(part, tuple) and part and isinstance(part[0], str):
                walk(part)
            elif isinstance(part, tuple):
                for p in part:
                    if isinstance(p, tuple):
                        walk(p)
    walk(node)
    return out


def singular_arguments(node) -> list:
    """Denominators and bases of negative powers (the program is undefined where they vanish)."""
    out = []

    def walk(nd):
        if nd[0] == "div":
            out.append(nd[2])
        if nd[0] == "rpow" and nd[2] < 0:
            out.append(nd[1])
        for part in nd[1:]:
            if isinstance(part, tuple) and part and isinstance(part[0], str):
                walk(part)
            elif isinstance(part, tuple):
                for p in part:
                    if isinstance(p, tuple):
                        walk(p)
    walk(node)
    return out


LATTICE = (F(-1), F(-1, 2), F(0), F(1, 2), F(1))


def _lattice(n):
    if n == 0:
        return [()]
    return [(c,) + rest for c in LATTICE for rest in _lattice(n - 1)]


def rand_rational(rng, lo=-2, hi=2, den=97):
    return F(rng.randint(lo * den, hi * den), den)


def rand_direction(rng, n):
    while True:
        d = [F(rng.randint(-1000, 1000), 1000) for _ in range(n)]
        m = max(abs(c) for c in d)
        if m:
            return tuple(c / m for c in d)


def _g_at(g, names, p):
    try:
        return _mpf(mp_eval(g, dict(zip(names, p))))
    except E.Undefined:
        return None


def _dyadic(t: F) -> F:
    """t rounded to a multiple of 2^-160 (keeps the search's rationals small)."""
    return F(round(t * 2 ** 160), 2 ** 160)


def zero_set_seeds(program, rng, names=None, hints=(), lines=4, grid=40):
    """Exact points on, or within about 1e-35 of, the zero sets of the root arguments.

    Returns [(point, exact)]: the hints, the lattice points {-1, -1/2, 0, 1/2, 1}^n where an
    argument is exactly 0, and along random lines the sign changes of an argument (bisection
    on a rational parameter) and the near-zero minima of |argument| (ternary search)."""
    node, names = _as_program(program, names)
    n = len(names)
    out = [(tuple(F(c) for c in h), True) for h in hints]
    roots = root_arguments(node)
    def on_boundary(g, p):  # g = 0 at p but not on a whole neighbourhood (relu(x) at x < 0 is not)
        for i in range(n):
            for sgn_ in (1, -1):
                q = tuple(c + (sgn_ * F(1, 10 ** 6) if j == i else 0) for j, c in enumerate(p))
                v = _g_at(g, names, q)
                if v is not None and v != 0:
                    return True
        return False
    for p in _lattice(n):
        for g in roots:
            v = _g_at(g, names, p)
            if v is not None and v == 0 and on_boundary(g, p):
                out.append((p, True))
                break
        else:  # a point of the domain where a denominator vanishes (an untaken where branch)
            if any((v := _g_at(g, names, p)) is not None and v == 0 for g in singular_arguments(node)) \
                    and not is_undefined(mp_value(node, p, names)):
                out.append((p, True))
    for g in roots:
        for _ in range(lines):
            base, d = tuple(rand_rational(rng) for _ in range(n)), rand_direction(rng, n)
            at = lambda t: _shift(base, d, t)  # noqa: E731
            ts = [F(-3) + F(6 * i, grid) for i in range(grid + 1)]
            vals = [_g_at(g, names, at(t)) for t in ts]
            found = 0
            for i in range(grid):
                a, b = vals[i], vals[i + 1]
                if a is None or b is None or found >= 2:
                    continue
                if (a == 0) != (b == 0):  # the edge of a zero region: bisect on "g is exactly 0"
                    lo, hi = (ts[i], ts[i + 1]) if a == 0 else (ts[i + 1], ts[i])
                    for _ in range(118):
                        mid = (lo + hi) / 2
                        vm = _g_at(g, names, at(mid))
                        if vm is None:
                            break
                        lo, hi = (mid, hi) if vm == 0 else (lo, mid)
                    out.append((at(lo), False))
                    found += 1
                elif a == 0:
                    continue
                elif a * b < 0:
                    lo, hi = ts[i], ts[i + 1]
                    for _ in range(118):
                        mid = (lo + hi) / 2
                        vm = _g_at(g, names, at(mid))
                        if vm is None:
                            break
                        if (vm < 0) == (a < 0):
                            lo = mid
                        else:
                            hi = mid
                    out.append((at(lo), False))
                    found += 1
                elif 0 < i < grid and vals[i - 1] is not None and abs(a) <= abs(vals[i - 1]) \
                        and abs(a) <= abs(b) and abs(a) < 0.5:
                    lo, hi = ts[i - 1], ts[i + 1]
                    for _ in range(200):
                        m1, m2 = _dyadic(lo + (hi - lo) / 3), _dyadic(hi - (hi - lo) / 3)
                        v1, v2 = _g_at(g, names, at(m1)), _g_at(g, names, at(m2))
                        if v1 is None or v2 is None:
                            break
                        if abs(v1) < abs(v2):
                            hi = m2
                        else:
                            lo = m1
                    t = (lo + hi) / 2
                    v = _g_at(g, names, at(t))
                    if v is not None and abs(v) < mpmath.mpf(10) ** -25:
                        out.append((at(t), False))
                        found += 1
    seen, uniq = set(), []
    for p, ex in out:
        if p not in seen:
            seen.add(p)
            uniq.append((p, ex))
    return uniq


@dataclass
class LipschitzProbe:
    found: list
    seeds: int
    rays: int


def lipschitz_probe(program, rng, names=None, hints=(), random_directions=4, max_seeds=16) -> LipschitzProbe:
    """Look for unbounded difference quotients at points on (or within ~1e-35 of) the zero
    sets of root arguments, and at exact points of the domain where a denominator vanishes,
    along the signed axes and random directions (at an exact point a quotient growing like
    1/s, a discontinuity, counts too).

    A seed where the program is undefined, or an approximate seed where a denominator (or the
    base of a negative power) is below 1e-12, is skipped: near an undefined set large quotients need not mean a
    non-Lipschitz point of the domain. Returns the rays found unbounded (point, direction,
    alpha, quotients)."""
    node, names = _as_program(program, names)
    n = len(names)
    sing = singular_arguments(node)
    seeds = zero_set_seeds(node, rng, names, hints)
    exact_seeds = [s for s in seeds if s[1]]
    approx = [s for s in seeds if not s[1]]
    rng.shuffle(approx)
    seeds = (exact_seeds[: max_seeds // 2] + approx)[:max_seeds]
    found, rays = [], 0
    axes = [tuple(F(s) if j == i else F(0) for j in range(n)) for i in range(n) for s in (1, -1)]
    for p, _exact in seeds:
        if is_undefined(mp_value(node, p, names)):
            continue
        if not _exact and any((v := _g_at(g, names, p)) is None or abs(v) < 1e-12 for g in sing):
            continue
        for d in axes + [rand_direction(rng, n) for _ in range(random_directions)]:
            rays += 1
            r = unbounded_slope(node, p, d, names)
            # at an exact point of the domain, alpha >= 1 means f(p + s d) - f(p) does not tend to 0:
            # f is not continuous at p, so not Lipschitz either
            if r.unbounded or (_exact and r.status == "blowup"):
                found.append({"point": p, "direction": d, "alpha": r.alpha, "quotients": r.quotients,
                              "exact": _exact, "status": r.status})
                return LipschitzProbe(found, len(seeds), rays)
    return LipschitzProbe(found, len(seeds), rays)


def gradient_limits(program, point, rng, names=None, k=64, radius=F(1, 10 ** 12)):
    """Gradients at p + radius*u for k random unit vectors u (central differences with step
    radius*1e-10, 50 digits; a sample whose one-sided quotients disagree, i.e. a kink inside
    the stencil, or where f is undefined, is dropped). Limits of gradients form an inner
    approximation of the extreme points of the Clarke set at p."""
    node, names = _as_program(program, names)
    n = len(names)
    h = radius / 10 ** 10
    out = []
    for _ in range(k):
        u = [rng.gauss(0, 1) for _ in range(n)]
        norm = math.sqrt(sum(c * c for c in u)) or 1.0
        d = tuple(F(c / norm).limit_denominator(10 ** 12) for c in u)
        q = _shift(point, d, radius)
        try:
            with mpmath.workdps(DIGITS):
                f0 = _mpf(mp_eval(node, dict(zip(names, q))))
                g = []
                for j in range(n):
                    e = tuple(F(1) if i == j else F(0) for i in range(n))
                    fp = _mpf(mp_eval(node, dict(zip(names, _shift(q, e, h)))))
                    fm = _mpf(mp_eval(node, dict(zip(names, _shift(q, e, -h)))))
                    right, left = (fp - f0) / _mpf(h), (f0 - fm) / _mpf(h)
                    if abs(right - left) > 1e-6 * (1 + abs(right)):
                        raise E.Undefined("kink inside the stencil")
                    g.append(float((fp - fm) / (2 * _mpf(h))))
        except E.Undefined:
            continue
        out.append(tuple(g))
    return out

