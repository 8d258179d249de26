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
"""
from __future__ import annotations

import ast
import math
import re
from fractions import Fraction

F = Fraction
CALLS = {"relu": 1, "abs": 1, "max": None, "min": None, "clip": 3, "leaky_relu": 2, "hardtanh": 1,
         "relu6": 1, "step": 1, "heaviside": 1, "sign": 1, "floor": 1}
DISCONTINUOUS = {"step", "heaviside", "sign", "floor"}
CMP_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class OracleParseError(ValueError):
    pass


def _normalise(text: str) -> str:
    # semialg prints equalities as "p = 0": make them Python comparisons
    return re.sub(r"(?<![<>=!])=(?!=)", "==", text)


def parse(text: str):
    """Parse an expression (or a condition) into the oracle AST."""
    try:
        tree = ast.parse(_normalise(text.strip()), mode="eval")
    except SyntaxError as exc:
        raise OracleParseError(f"syntax error in {text!r}: {exc.msg}") from None
    return _conv(tree.body)


def parse_conditions(conditions) -> tuple:
    """A list of condition strings (their conjunction) -> one ``("and", ...)`` node."""
    return ("and", tuple(parse(c) for c in conditions))


def _const(node) -> Fraction:
    if node[0] == "num":
        return node[1]
    if node[0] == "neg" and node[1][0] == "num":
        return -node[1][1]
    if node[0] in ("mul", "add", "sub") and all(n[0] == "num" for n in node[1:]):
        a, b = node[1][1], node[2][1]
        return {"mul": a * b, "add": a + b, "sub": a - b}[node[0]]
    raise OracleParseError("expected a constant")


def _conv(n):
    if isinstance(n, ast.Constant):
        if isinstance(n.value, bool) or not isinstance(n.value, (int, float)):
            raise OracleParseError(f"bad constant {n.value!r}")
        return ("num", F(repr(n.value)) if isinstance(n.value, float) else F(n.value))
    if isinstance(n, ast.Name):
        return ("var", n.id)
    if isinstance(n, ast.UnaryOp):
        if isinstance(n.op, ast.USub):
            a = _conv(n.operand)
            return ("num", -a[1]) if a[0] == "num" else ("neg", a)
        if isinstance(n.op, ast.UAdd):
            return _conv(n.operand)
        if isinstance(n.op, ast.Not):
            return ("not", _conv(n.operand))
    if isinstance(n, ast.BinOp):
        a, b = _conv(n.left), _conv(n.right)
        if isinstance(n.op, ast.Add):
            return ("add", a, b)
        if isinstance(n.op, ast.Sub):
            return ("sub", a, b)
        if isinstance(n.op, ast.Mult):
            return ("mul", a, b)
        if isinstance(n.op, ast.Div):
            c = _const(b)
            if a[0] == "num":
                return ("num", a[1] / c)
            return ("mul", a, ("num", 1 / c))
        if isinstance(n.op, ast.Pow):
            k = _const(b)
            if k.denominator != 1 or k < 0:
                raise OracleParseError("only non-negative integer powers")
            return ("pow", a, int(k))
    if isinstance(n, ast.BoolOp):
        return ("and" if isinstance(n.op, ast.And) else "or", tuple(_conv(v) for v in n.values))
    if isinstance(n, ast.Compare):
        parts, left = [], _conv(n.left)
        for op, comp in zip(n.ops, n.comparators):
            right = _conv(comp)
            parts.append(("cmp", CMP_OPS[type(op)], left, right))
            left = right
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))
    if isinstance(n, ast.IfExp):
        return ("where", _conv(n.test), _conv(n.body), _conv(n.orelse))
    if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
        name = {"maximum": "max", "minimum": "min", "clamp": "clip"}.get(n.func.id, n.func.id)
        args = tuple(_conv(a) for a in n.args)
        if name == "where":
            if len(args) != 3:
                raise OracleParseError("where takes 3 arguments")
            return ("where",) + args
        if name not in CALLS:
            raise OracleParseError(f"unknown function {name!r}")
        if CALLS[name] is not None and len(args) != CALLS[name]:
            raise OracleParseError(f"{name} takes {CALLS[name]} arguments")
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
    return (v > 0) - (v < 0)


# ---------------------------------------------------------------- exact evaluation
def _cmp(op, a, b) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]


def evaluate(node, env, kinks=None):
    """Exact value (Fraction; bool for conditions) of ``node`` at ``env`` (name -> Fraction).

    If ``kinks`` is a list, the sign of every kink quantity met is appended to it (the
    argument of relu/abs/step/..., differences of max/min arguments, ``a - lo`` and
    ``a - hi`` of clip, ``lhs - rhs`` of every comparison, both branches of every where):
    the *kink pattern* of the point, constant where the program is one polynomial.
    """
    t = node[0]
    if t == "num":
        return node[1]
    if t == "var":
        return env[node[1]]
    if t == "add":
        return evaluate(node[1], env, kinks) + evaluate(node[2], env, kinks)
    if t == "sub":
        return evaluate(node[1], env, kinks) - evaluate(node[2], env, kinks)
    if t == "mul":
        return evaluate(node[1], env, kinks) * evaluate(node[2], env, kinks)
    if t == "neg":
        return -evaluate(node[1], env, kinks)
    if t == "pow":
        return evaluate(node[1], env, kinks) ** node[2]
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
        a, b = evaluate(node[2], env, kinks), evaluate(node[3], env, kinks)
        return a if c else b
    name, args = node[1], [evaluate(a, env, kinks) for a in node[2]]
    a = args[0]
    rec = kinks.append if kinks is not None else (lambda s: None)
    if name in ("relu", "abs", "step", "heaviside", "sign", "leaky_relu"):
        rec(sgn(a))
    if name == "relu":
        return a if a > 0 else F(0)
    if name == "abs":
        return abs(a)
    if name == "leaky_relu":
        return a if a > 0 else args[1] * a
    if name in ("max", "min"):
        for i in range(len(args)):
            for j in range(i + 1, len(args)):
                rec(sgn(args[i] - args[j]))
        return max(args) if name == "max" else min(args)
    if name == "clip":
        lo, hi = args[1], args[2]
        rec(sgn(a - lo))
        rec(sgn(a - hi))
        return min(max(a, lo), hi)
    if name == "hardtanh":
        rec(sgn(a + 1))
        rec(sgn(a - 1))
        return min(max(a, F(-1)), F(1))
    if name == "relu6":
        rec(sgn(a))
        rec(sgn(a - 6))
        return min(max(a, F(0)), F(6))
    if name == "step":
        return F(1) if a > 0 else F(0)
    if name == "heaviside":
        return F(1) if a > 0 else (F(1, 2) if a == 0 else F(0))
    if name == "sign":
        return F(sgn(a))
    if name == "floor":
        rec(0 if a.denominator == 1 else 1)
        return F(math.floor(a))
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
    """The nonsmooth sub-nodes (calls and wheres) of a program, outermost first."""
    out = []

    def walk(nd):
        if nd[0] in ("call", "where"):
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
        else:
            out.append(max(degree(a) for a in k[2]))
    return out


def _comparisons(cond):
    if cond[0] == "cmp":
        return [("sub", cond[2], cond[3])]
    if cond[0] == "not":
        return _comparisons(cond[1])
    return [c for part in cond[1] for c in _comparisons(part)]
