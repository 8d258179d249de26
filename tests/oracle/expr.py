"""The oracle's own expression language: parser, exact evaluator, PyTorch backprop.

The subset parsed is the one the generator emits (and the condition strings that
``semialg strata --json`` prints): numbers (exact, ``0.1`` is 1/10, ``1/2`` is a
rational), variables, ``+ - * /`` (division by a constant), ``**`` with a constant
non-negative integer exponent, comparisons ``< <= > >= == !=`` (and a lone ``=``, as
in ``x*y = 0``) combined with ``and/or/not``, and the calls ``relu, abs, max, min,
clip(a, lo, hi)`` (constant bounds), ``leaky_relu(a, s)`` (constant slope),
``hardtanh, relu6, where(cond, a, b), step, heaviside, sign, floor``.

The AST is nested tuples::

    ("num", Fraction) | ("var", name) | ("add", a, b) | ("sub", a, b) | ("mul", a, b)
    | ("neg", a) | ("pow", a, k) | ("call", name, (args...)) | ("where", cond, a, b)
    | ("cmp", op, a, b) | ("and", (c...)) | ("or", (c...)) | ("not", c)

Conventions (PyTorch, from FRAMEWORKS.md), used by :func:`backprop`:
relu'(0) = 0, abs'(0) = sign(0) = 0, max/min ties split evenly (1/2, 1/2; 2 arguments),
clip'(a) = 1 at both (constant) bounds, leaky_relu'(0) = slope, hardtanh'(+-1) = 0,
relu6'(0) = relu6'(6) = 0, where: the derivative of the selected branch,
step/heaviside/sign/floor: 0. Values: step(0) = 0, heaviside(0) = 1/2, sign(0) = 0.

Lifted (semialgebraic) programs, parsed with ``parse(text, lifted=True)`` only (the default
parser still refuses them): ``sqrt(a)``, ``cbrt(a)`` (the real cube root), ``a / b`` with b
not a constant, ``a ** (p/q)`` with a rational (or negative integer) exponent, and
``norm(a, ...)`` = sqrt(a**2 + ...), ``norm1`` = sum |a_i|, ``norminf`` = max |a_i|. New nodes::

    ("div", a, b) | ("rpow", a, Fraction) | ("call", "sqrt" | "cbrt" | "norm" | "norm1" | "norminf", (args...))

Their values are exact algebraic numbers (sympy radicals; a Fraction whenever the value is
rational), signs are decided exactly (:func:`sgn`), and a point where the program has no value
raises :class:`Undefined`: sqrt or an even root of a negative number, division by 0, 0 to a
negative power. ``where`` evaluates only the branch it takes (the untaken one may be undefined).
"""
from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

F = Fraction
CALLS = {"relu": 1, "abs": 1, "max": None, "min": None, "clip": 3, "leaky_relu": 2, "hardtanh": 1,
         "relu6": 1, "step": 1, "heaviside": 1, "sign": 1, "floor": 1}
LIFTED_CALLS = {"sqrt": 1, "cbrt": 1, "norm": None, "norm1": None, "norminf": None}
ROOT_CALLS = {"sqrt", "cbrt"}
NORMS = {"norm", "norm1", "norminf"}
DISCONTINUOUS = {"step", "heaviside", "sign", "floor"}
CMP_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class OracleParseError(ValueError):
    pass


class Undefined(ArithmeticError):
    """The program has no value at this point (the message says why)."""


def _normalise(text: str) -> str:
    # semialg prints equalities as "p = 0": make them Python comparisons
    return re.sub(r"(?<![<>=!])=(?!=)", "==", text)


def parse(text: str, lifted: bool = False):
    """Parse an expression (or a condition) into the oracle AST.

    ``lifted=True`` also accepts the semialgebraic primitives (roots, quotients, norms)."""
    try:
        tree = ast.parse(_normalise(text.strip()), mode="eval")
    except SyntaxError as exc:
        raise OracleParseError(f"syntax error in {text!r}: {exc.msg}") from None
    return _conv(tree.body, lifted)


def parse_conditions(conditions, lifted: bool = False) -> tuple:
    """A list of condition strings (their conjunction) -> one ``("and", ...)`` node."""
    return ("and", tuple(parse(c, lifted) for c in conditions))


def _const(node) -> Fraction:
    if node[0] == "num":
        return node[1]
    if node[0] == "neg" and node[1][0] == "num":
        return -node[1][1]
    if node[0] in ("mul", "add", "sub") and all(n[0] == "num" for n in node[1:]):
        a, b = node[1][1], node[2][1]
        return {"mul": a * b, "add": a + b, "sub": a - b}[node[0]]
    raise OracleParseError("expected a constant")


def _conv(n, lifted=False):
    if isinstance(n, ast.Constant):
        if isinstance(n.value, bool) or not isinstance(n.value, (int, float)):
            raise OracleParseError(f"bad constant {n.value!r}")
        return ("num", F(repr(n.value)) if isinstance(n.value, float) else F(n.value))
    if isinstance(n, ast.Name):
        return ("var", n.id)
    if isinstance(n, ast.UnaryOp):
        if isinstance(n.op, ast.USub):
            a = _conv(n.operand, lifted)
            return ("num", -a[1]) if a[0] == "num" else ("neg", a)
        if isinstance(n.op, ast.UAdd):
            return _conv(n.operand, lifted)
        if isinstance(n.op, ast.Not):
            return ("not", _conv(n.operand, lifted))
    if isinstance(n, ast.BinOp):
        a, b = _conv(n.left, lifted), _conv(n.right, lifted)
        if isinstance(n.op, ast.Add):
            return ("add", a, b)
        if isinstance(n.op, ast.Sub):
            return ("sub", a, b)
        if isinstance(n.op, ast.Mult):
            return ("mul", a, b)
        if isinstance(n.op, ast.Div):
            try:
                c = _const(b)
            except OracleParseError:
                if not lifted:
                    raise
                return ("div", a, b)
            if c == 0 and lifted:
                return ("div", a, b)
            if a[0] == "num":
                return ("num", a[1] / c)
            return ("mul", a, ("num", 1 / c))
        if isinstance(n.op, ast.Pow):
            k = _const(b)
            if k.denominator != 1 or k < 0:
                if not lifted:
                    raise OracleParseError("only non-negative integer powers")
                return ("rpow", a, k)
            return ("pow", a, int(k))
    if isinstance(n, ast.BoolOp):
        return ("and" if isinstance(n.op, ast.And) else "or", tuple(_conv(v, lifted) for v in n.values))
    if isinstance(n, ast.Compare):
        parts, left = [], _conv(n.left, lifted)
        for op, comp in zip(n.ops, n.comparators):
            right = _conv(comp, lifted)
            parts.append(("cmp", CMP_OPS[type(op)], left, right))
            left = right
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))
    if isinstance(n, ast.IfExp):
        return ("where", _conv(n.test, lifted), _conv(n.body, lifted), _conv(n.orelse, lifted))
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
        name = {"maximum": "max", "minimum": "min", "clamp": "clip"}.get(n.func.id, n.func.id)
        args = tuple(_conv(a, lifted) for a in n.args)
        if name == "where":
            if len(args) != 3:
                raise OracleParseError("where takes 3 arguments")
            return ("where",) + args
        arity = CALLS.get(name, LIFTED_CALLS.get(name, 0) if lifted else 0)
        if name not in CALLS and not (lifted and name in LIFTED_CALLS):
            raise OracleParseError(f"unknown function {name!r}")
        if arity is not None and len(args) != arity:
            raise OracleParseError(f"{name} takes {arity} arguments")
        if arity is None and not args:
            raise OracleParseError(f"{name} takes at least one argument")
        if name == "clip":
            args = (args[0], ("num", _const(args[1])), ("num", _const(args[2])))
        if name == "leaky_relu":
            args = (args[0], ("num", _const(args[1])))
        return ("call", name, args)
    raise OracleParseError(f"unsupported syntax: {ast.dump(n)[:60]}")


def variables(node) -> set:
    """The variable names in a node."""
    if node[0] == "var":
        return {node[1]}
    if node[0] == "num":
        return set()
    out = set()
    for part in node[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], str):
            out |= variables(part)
        elif isinstance(part, tuple):
            for p in part:
                out |= variables(p)
    return out


def sgn(v) -> int:
    """The sign of an exact number: a Fraction, or an algebraic number (sympy), decided
    exactly (see :func:`algebraic_sign`)."""
    if isinstance(v, (int, F)):
        return (v > 0) - (v < 0)
    return algebraic_sign(v)


_ZERO_TEST_DIGITS = (30, 120, 400)


def algebraic_sign(v) -> int:
    """The exact sign of a real algebraic number given as a sympy expression.

    A nonzero value is separated from 0 by a high-precision evaluation (sympy's evalf
    tracks its error and returns the requested significant digits); a value that looks like 0
    at 30 digits is tested exactly: it is 0 iff its minimal polynomial is X.
    """
    import sympy
    v = sympy.sympify(v)
    if v.is_Rational:
        return (v > 0) - (v < 0)
    for digits in _ZERO_TEST_DIGITS:
        a = v.evalf(digits)
        if a.is_Number and abs(a) > sympy.Float(10) ** (-(digits * 2) // 3):
            return 1 if a > 0 else -1
        if digits == _ZERO_TEST_DIGITS[0]:
            x = sympy.Symbol("_oracle_x")
            if sympy.minimal_polynomial(v, x) == x:
                return 0
    raise ArithmeticError(f"the oracle cannot decide the sign of {v}")


def exact(v):
    """A sympy value that is rational becomes a Fraction (old programs never see sympy)."""
    if isinstance(v, (int, F)):
        return F(v)
    if v.is_Rational:
        return F(int(v.p), int(v.q))
    return v


def _sym(v):
    import sympy
    return sympy.Rational(v.numerator, v.denominator) if isinstance(v, F) else v


def real_root(a, q: int):
    """The real q-th root of an exact number (q odd for a < 0): a Fraction when exact."""
    import sympy
    s = sgn(a)
    if s == 0:
        return F(0)
    if isinstance(a, F):
        num, ok1 = sympy.integer_nthroot(abs(a.numerator), q)
        den, ok2 = sympy.integer_nthroot(a.denominator, q)
        if ok1 and ok2:
            return F(s * int(num), int(den))
    r = sympy.root(_sym(abs(a)), q)
    return exact(r if s > 0 else -r)


def rational_power(a, r: F, what="a"):
    """a ** r for a rational exponent r = p/q (reduced): q even needs a >= 0, r < 0 needs a != 0."""
    s = sgn(a)
    if r.denominator % 2 == 0 and s < 0:
        raise Undefined(f"{what} ** {r}: an even root of the negative number {a}")
    if r < 0 and s == 0:
        raise Undefined(f"{what} ** {r}: 0 to a negative power")
    base = real_root(a, r.denominator)
    return exact(_sym(base) ** r.numerator) if not isinstance(base, F) else base ** r.numerator


def _abs(a):
    return a if sgn(a) >= 0 else -a


def _max(vals, minimum=False):
    best = vals[0]
    for v in vals[1:]:
        if (sgn(v - best) < 0) if minimum else (sgn(v - best) > 0):
            best = v
    return best


# ---------------------------------------------------------------- exact evaluation
def _cmp(op, a, b) -> bool:
    s = sgn(a - b)
    return {"<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0, "==": s == 0, "!=": s != 0}[op]


def evaluate(node, env, kinks=None):
    """Exact value (Fraction, or a sympy algebraic number for a lifted program; bool for
    conditions) of ``node`` at ``env`` (name -> Fraction, or sympy number).

    If ``kinks`` is a list, the sign of every kink quantity met is appended to it (the
    argument of relu/abs/step/..., differences of max/min arguments, ``a - lo`` and
    ``a - hi`` of clip, ``lhs - rhs`` of every comparison, both branches of every where;
    for lifted programs the arguments of roots and norms and the denominators, and ``"u"``
    for an untaken where branch that is undefined): the *kink pattern* of the point,
    constant where the program is one polynomial (one analytic piece). Raises
    :class:`Undefined` where the program has no value.
    """
    t = node[0]
    if t == "num":
        return node[1]
    if t == "var":
        return env[node[1]]
    if t == "add":
        return exact(evaluate(node[1], env, kinks) + evaluate(node[2], env, kinks))
    if t == "sub":
        return exact(evaluate(node[1], env, kinks) - evaluate(node[2], env, kinks))
    if t == "mul":
        return exact(evaluate(node[1], env, kinks) * evaluate(node[2], env, kinks))
    if t == "neg":
        return -evaluate(node[1], env, kinks)
    if t == "pow":
        return exact(evaluate(node[1], env, kinks) ** node[2])
    if t == "div":
        a, b = evaluate(node[1], env, kinks), evaluate(node[2], env, kinks)
        if kinks is not None:
            kinks.append(sgn(b))
        if sgn(b) == 0:
            raise Undefined(f"division by 0 (the denominator vanishes)")
        return exact(_sym(a) / _sym(b)) if not (isinstance(a, F) and isinstance(b, F)) else a / b
    if t == "rpow":
        a = evaluate(node[1], env, kinks)
        if kinks is not None:
            kinks.append(sgn(a))
        return rational_power(a, node[2], "the base")
    if t == "cmp":
        a, b = evaluate(node[2], env, kinks), evaluate(node[3], env, kinks)
        if kinks is not None:
            kinks.append(sgn(a - b))
        return _cmp(node[1], a, b)
    if t == "and":
        vals = [evaluate(c, env, kinks) for c in node[1]]
        return all(vals)
    if t == "or":
        vals = [evaluate(c, env, kinks) for c in node[1]]
        return any(vals)
    if t == "not":
        return not evaluate(node[1], env, kinks)
    if t == "where":
        c = evaluate(node[1], env, kinks)
        taken, other = (node[2], node[3]) if c else (node[3], node[2])
        if kinks is None:
            return evaluate(taken, env)
        # the pattern records both branches (in order); the untaken one may be undefined
        values = {}
        for branch in (node[2], node[3]):
            try:
                values[id(branch)] = evaluate(branch, env, kinks)
            except Undefined:
                if branch is taken:
                    raise
                kinks.append("u")
        return values[id(taken)]
    name, args = node[1], [evaluate(a, env, kinks) for a in node[2]]
    a = args[0]
    rec = kinks.append if kinks is not None else (lambda s: None)
    if name in ("relu", "abs", "step", "heaviside", "sign", "leaky_relu", "sqrt", "cbrt"):
        rec(sgn(a))
    if name == "relu":
        return a if sgn(a) > 0 else F(0)
    if name == "abs":
        return _abs(a)
    if name == "leaky_relu":
        return a if sgn(a) > 0 else exact(args[1] * a)
    if name in ("max", "min"):
        for i in range(len(args)):
            for j in range(i + 1, len(args)):
                rec(sgn(args[i] - args[j]))
        return _max(args, minimum=name == "min")
    if name == "clip":
        lo, hi = args[1], args[2]
        rec(sgn(a - lo))
        rec(sgn(a - hi))
        return _max([_max([a, lo]), hi], minimum=True)
    if name == "hardtanh":
        rec(sgn(a + 1))
        rec(sgn(a - 1))
        return _max([_max([a, F(-1)]), F(1)], minimum=True)
    if name == "relu6":
        rec(sgn(a))
        rec(sgn(a - 6))
        return _max([_max([a, F(0)]), F(6)], minimum=True)
    if name == "step":
        return F(1) if sgn(a) > 0 else F(0)
    if name == "heaviside":
        s = sgn(a)
        return F(1) if s > 0 else (F(1, 2) if s == 0 else F(0))
    if name == "sign":
        return F(sgn(a))
    if name == "floor":
        if isinstance(a, F):
            rec(0 if a.denominator == 1 else 1)
            return F(math.floor(a))
        import sympy
        rec(1)  # an irrational number is not an integer
        return F(int(sympy.floor(a)))
    if name == "sqrt":
        if sgn(a) < 0:
            raise Undefined(f"sqrt of the negative number {a}")
        return real_root(a, 2)
    if name == "cbrt":
        return real_root(a, 3)
    if name in NORMS:
        for v in args:
            rec(sgn(v))
        mags = [_abs(v) for v in args]
        if name == "norm1":
            return exact(sum(mags, F(0)))
        if name == "norminf":
            for i in range(len(mags)):
                for j in range(i + 1, len(mags)):
                    rec(sgn(mags[i] - mags[j]))
            return _max(mags)
        return real_root(exact(sum((v * v for v in args), F(0))), 2)
    raise ValueError(name)


def pattern(nodes, env) -> tuple:
    """The kink pattern (see :func:`evaluate`) of several nodes at ``env``."""
    out = []
    for n in nodes:
        evaluate(n, env, out)
    return tuple(out)


# ---------------------------------------------------------------- PyTorch backprop
def backprop(node, env, names):
    """(value, gradient) of ``node`` at ``env`` with PyTorch's kink conventions (exact).

    Forward-mode accumulation of the same local derivatives reverse mode multiplies, so
    the result is what ``loss.backward()`` would return (in exact arithmetic).
    """
    n = len(names)
    zero = (F(0),) * n

    def rec(nd):
        t = nd[0]
        if t in ("div", "rpow") or (t == "call" and nd[1] in LIFTED_CALLS):
            raise ValueError("the exact backprop models piecewise-polynomial programs only; "
                             "use tests.oracle.lifted.float_backprop for roots, quotients and norms")
        if t == "num":
            return nd[1], zero
        if t == "var":
            i = names.index(nd[1])
            return env[nd[1]], tuple(F(1) if j == i else F(0) for j in range(n))
        if t in ("add", "sub"):
            (a, ga), (b, gb) = rec(nd[1]), rec(nd[2])
            s = 1 if t == "add" else -1
            return a + s * b, tuple(x + s * y for x, y in zip(ga, gb))
        if t == "mul":
            (a, ga), (b, gb) = rec(nd[1]), rec(nd[2])
            return a * b, tuple(b * x + a * y for x, y in zip(ga, gb))
        if t == "neg":
            a, ga = rec(nd[1])
            return -a, tuple(-x for x in ga)
        if t == "pow":
            a, ga = rec(nd[1])
            k = nd[2]
            d = k * a ** (k - 1) if k > 0 else F(0)
            return a ** k, tuple(d * x for x in ga)
        if t == "where":
            c = evaluate(nd[1], env)
            (a, ga), (b, gb) = rec(nd[2]), rec(nd[3])
            return (a, ga) if c else (b, gb)
        name = nd[1]
        vals = [rec(a) for a in nd[2]]
        a, ga = vals[0]
        scale = lambda s, g: tuple(s * x for x in g)  # noqa: E731
        if name == "relu":
            return (a, ga) if a > 0 else (F(0), zero)
        if name == "abs":
            return abs(a), scale(sgn(a), ga)
        if name == "leaky_relu":
            s = vals[1][0]
            return (a, ga) if a > 0 else (s * a, scale(s, ga))
        if name in ("max", "min"):
            if len(vals) != 2:
                raise ValueError("the oracle models 2-argument max/min only")
            (b, gb) = vals[1]
            if a == b:
                return a, tuple((x + y) / 2 for x, y in zip(ga, gb))
            pick_a = (a > b) if name == "max" else (a < b)
            return (a, ga) if pick_a else (b, gb)
        if name == "clip":
            lo, hi = vals[1][0], vals[2][0]
            if lo <= a <= hi:
                return a, ga
            return (lo, zero) if a < lo else (hi, zero)
        if name == "hardtanh":
            return (a, ga) if -1 < a < 1 else (min(max(a, F(-1)), F(1)), zero)
        if name == "relu6":
            return (a, ga) if 0 < a < 6 else (min(max(a, F(0)), F(6)), zero)
        if name in DISCONTINUOUS:
            return evaluate(nd, env), zero
        raise ValueError(name)

    return rec(node)


def env_of(names, point) -> dict:
    return {v: F(p) for v, p in zip(names, point)}


def value(node, names, point):
    return evaluate(node, env_of(names, point))


def grad(node, names, point):
    return backprop(node, env_of(names, point), names)[1]


def kink_nodes(node) -> list:
    """The nonsmooth sub-nodes (calls and wheres; for lifted programs also quotients and
    rational powers) of a program, outermost first."""
    out = []

    def walk(nd):
        if nd[0] in ("call", "where", "div", "rpow"):
            out.append(nd)
        for part in nd[1:]:
            if isinstance(part, tuple) and part and isinstance(part[0], str):
                walk(part)
            elif isinstance(part, tuple):
                for p in part:
                    if isinstance(p, tuple):
                        walk(p)
    walk(node)
    return out


def uses_discontinuous(node) -> bool:
    return any(k[0] == "call" and k[1] in DISCONTINUOUS for k in kink_nodes(node)) or \
        any(k[0] == "where" for k in kink_nodes(node))


def degree(node) -> int:
    """The polynomial degree of a node, nonsmooth calls counting as their arguments'
    (step/sign/heaviside/floor count 0): an upper bound of the degree of every piece."""
    t = node[0]
    if t == "num":
        return 0
    if t == "var":
        return 1
    if t in ("add", "sub"):
        return max(degree(node[1]), degree(node[2]))
    if t == "mul":
        return degree(node[1]) + degree(node[2])
    if t == "neg":
        return degree(node[1])
    if t == "pow":
        return node[2] * degree(node[1])
    if t == "rpow":
        return degree(node[1])
    if t == "div":
        return max(degree(node[1]), degree(node[2]))
    if t == "where":
        return max(degree(node[2]), degree(node[3]))
    if node[1] in DISCONTINUOUS:
        return 0
    return max(degree(a) for a in node[2])


def kink_degrees(node) -> list:
    """The degree of the argument (or of the argument differences) of every nonsmooth node."""
    out = []
    for k in kink_nodes(node):
        if k[0] == "where":
            out.append(max(degree(c) for c in _comparisons(k[1])))
        elif k[0] in ("div", "rpow"):
            out.append(degree(k[2] if k[0] == "div" else k[1]))
        else:
            out.append(max(degree(a) for a in k[2]))
    return out


def _comparisons(cond):
    if cond[0] == "cmp":
        return [("sub", cond[2], cond[3])]
    if cond[0] == "not":
        return _comparisons(cond[1])
    return [c for part in cond[1] for c in _comparisons(part)]
