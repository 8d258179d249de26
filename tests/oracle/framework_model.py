"""The oracle's IEEE model of PyTorch's and JAX's reverse mode on lifted programs (split from
:mod:`oracle.lifted`, whose exact evaluation it uses)."""
from __future__ import annotations

import math
from fractions import Fraction as F


from . import expr as E
from .lifted import _as_program  # noqa: F401


# --------------------------------------------------------------------------- 4. framework backprop
INF, NAN = math.inf, math.nan


def _isnf(v) -> bool:
    return isinstance(v, float) and not math.isfinite(v)


def _fl(v) -> float:
    if isinstance(v, float):
        return v
    if isinstance(v, F):
        return v.numerator / v.denominator if abs(v.numerator) < 2 ** 1000 else float(v)
    return float(v.evalf(20))


def _fdiv(a: float, b: float) -> float:
    """IEEE division (Python raises on /0; a zero divisor is +0 here)."""
    if b == 0:
        return NAN if (a == 0 or math.isnan(a)) else math.copysign(INF, a)
    return a / b


def _fs(v) -> float:
    """sign as a float (nan for nan)."""
    if isinstance(v, float):
        return NAN if math.isnan(v) else float((v > 0) - (v < 0))
    return float(E.sgn(v))


def _lift(v):
    """A finite float result becomes exact again."""
    if isinstance(v, float) and math.isfinite(v):
        return F(v)
    return v


class FrameworkModel:
    """Reverse mode in IEEE floats with the conventions of ``rule`` ("pytorch" or "jax").

    Forward values are exact where the framework's value is finite (so kinks are decided
    exactly, as float64 does at dyadic points), NaN/inf where the framework produces them
    (sqrt of a negative is NaN; torch.pow / jnp.power of a negative base with a non-integer
    exponent is NaN, even for 1/3; x/0 is +-inf or NaN). Both branches of every where are
    computed. Local partials are exact numbers rounded to float, or inf/NaN; the adjoint is
    pushed down the expression tree (each occurrence is its own node) by IEEE multiplication,
    except where the framework *selects*: relu, clamp/clip (PyTorch), torch.maximum/minimum,
    hardtanh, relu6, where, sign/step/floor (0), torch vector_norm at 0 (masked to 0), JAX's
    abs and leaky_relu (selects). Multiplying: abs (PyTorch, by sign), jnp.maximum/minimum and
    jnp.clip (by 1, 1/2 or 0), products, powers, roots, quotients, norm1 (PyTorch), norminf.
    So an inf adjoint times a 0 partial is NaN, and where's untaken branch gets 0 * partial.
    ``cbrt``: "jnp" (JAX; inf at 0), "sign_abs" (torch.sign(a)*torch.abs(a)**(1/3): NaN at 0),
    or "pow" (torch.pow(a, 1/3): NaN for a < 0, inf at 0)."""

    def __init__(self, rule="pytorch", cbrt=None):
        if rule not in ("pytorch", "jax"):
            raise ValueError(f"the float model knows pytorch and jax, not {rule!r}")
        self.rule = rule
        self.cbrt = cbrt or ("jnp" if rule == "jax" else "sign_abs")
        self.values = {}

    # ---- forward
    def forward(self, node, env):
        v = self._fwd(node, env)
        self.values[id(node)] = v
        return v

    def _cmp(self, op, a, b):
        if isinstance(a, float) or isinstance(b, float):
            a, b = _fl(a), _fl(b)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
        return E._cmp(op, a, b)

    def _fwd(self, nd, env):
        t = nd[0]
        fw = lambda c: self.forward(c, env)  # noqa: E731
        if t == "num":
            return nd[1]
        if t == "var":
            return env[nd[1]]
        if t in ("add", "sub", "mul"):
            a, b = fw(nd[1]), fw(nd[2])
            op = {"add": lambda u, v: u + v, "sub": lambda u, v: u - v, "mul": lambda u, v: u * v}[t]
            if _isnf(a) or _isnf(b):
                return _lift(op(_fl(a), _fl(b)))
            return E.exact(op(a, b))
        if t == "neg":
            return -fw(nd[1])
        if t == "pow":
            a = fw(nd[1])
            return _lift(_fl(a) ** nd[2]) if _isnf(a) else E.exact(a ** nd[2])
        if t == "div":
            a, b = fw(nd[1]), fw(nd[2])
            if _isnf(a) or _isnf(b) or E.sgn(b) == 0:
                return _lift(_fdiv(_fl(a), _fl(b)))
            return E.exact(E._sym(a) / E._sym(b)) if not (isinstance(a, F) and isinstance(b, F)) else a / b
        if t == "rpow":
            return self._pow_value(fw(nd[1]), nd[2])
        if t == "cmp":
            return self._cmp(nd[1], fw(nd[2]), fw(nd[3]))
        if t == "and":
            return all([fw(c) for c in nd[1]])
        if t == "or":
            return any([fw(c) for c in nd[1]])
        if t == "not":
            return not fw(nd[1])
        if t == "where":
            c, a, b = fw(nd[1]), fw(nd[2]), fw(nd[3])
            return a if c else b
        name = nd[1]
        args = [fw(a) for a in nd[2]]
        a = args[0]
        if name == "sqrt":
            if _isnf(a):
                return INF if a == INF else NAN
            return NAN if E.sgn(a) < 0 else E.real_root(a, 2)
        if name == "cbrt":
            if _isnf(a):
                return a if (self.cbrt != "pow" or a == INF) else NAN
            if self.cbrt == "pow" and E.sgn(a) < 0:
                return NAN
            return E.real_root(a, 3)
        if any(isinstance(v, float) and math.isnan(v) for v in args):
            return NAN
        if any(_isnf(v) for v in args):
            fa = [_fl(v) for v in args]
            return _lift(self._pl_float(name, fa))
        if name in E.NORMS or name in E.CALLS:
            return E.evaluate(("call", name, tuple(("var", f"_{i}") for i in range(len(args)))),
                              {f"_{i}": v for i, v in enumerate(args)})
        raise ValueError(name)

    @staticmethod
    def _pl_float(name, fa):
        a = fa[0]
        if name in ("relu",):
            return max(a, 0.0)
        if name == "abs":
            return abs(a)
        if name == "leaky_relu":
            return a if a > 0 else fa[1] * a
        if name == "max":
            return max(fa)
        if name == "min":
            return min(fa)
        if name == "clip":
            return min(max(a, fa[1]), fa[2])
        if name == "hardtanh":
            return min(max(a, -1.0), 1.0)
        if name == "relu6":
            return min(max(a, 0.0), 6.0)
        if name in ("step", "heaviside"):
            return 1.0 if a > 0 else 0.0
        if name == "sign":
            return float((a > 0) - (a < 0))
        if name == "floor":
            return a
        if name == "norm":
            return math.sqrt(sum(v * v for v in fa))
        if name == "norm1":
            return sum(abs(v) for v in fa)
        if name == "norminf":
            return max(abs(v) for v in fa)
        raise ValueError(name)

    @staticmethod
    def _pow_value(a, r):
        if _isnf(a):
            if math.isnan(a) or (a < 0 and r.denominator != 1):
                return NAN
            return _lift(a ** float(r))
        s = E.sgn(a)
        if s < 0 and r.denominator != 1:
            return NAN
        if s == 0 and r < 0:
            return INF
        return E.rational_power(a, r)

    # ---- backward
    def _pow_partial(self, a, r):
        """r * a**(r - 1) as the framework computes it."""
        if _isnf(a):
            if math.isnan(a):
                return NAN
            try:
                return float(r) * (a ** float(r - 1))
            except (OverflowError, ZeroDivisionError):
                return NAN
        s = E.sgn(a)
        if s < 0 and r.denominator != 1:
            return NAN
        if s == 0:
            if r - 1 > 0:
                return 0.0
            if r - 1 == 0:
                return float(r)
            return math.copysign(INF, float(r))
        return _fl(E.exact(E._sym(r) * E._sym(E.rational_power(a, r - 1))))

    def backward(self, node, g, grads):
        t = node[0]
        val = lambda c: self.values[id(c)]  # noqa: E731
        if t == "num" or t in ("cmp", "and", "or", "not"):
            return
        if t == "var":
            grads[node[1]] = grads.get(node[1], 0.0) + g
            return
        if t == "add":
            self.backward(node[1], g, grads)
            self.backward(node[2], g, grads)
            return
        if t == "sub":
            self.backward(node[1], g, grads)
            self.backward(node[2], -g, grads)
            return
        if t == "neg":
            self.backward(node[1], -g, grads)
            return
        if t == "mul":
            self.backward(node[1], g * _fl(val(node[2])), grads)
            self.backward(node[2], g * _fl(val(node[1])), grads)
            return
        if t == "pow":
            k = node[2]
            if k == 0:
                return
            a = val(node[1])
            part = _fl(a) ** (k - 1) * k if _isnf(a) else _fl(E.exact(k * a ** (k - 1)))
            self.backward(node[1], g * part, grads)
            return
        if t == "div":
            a, b = val(node[1]), val(node[2])
            if not (_isnf(a) or _isnf(b)) and E.sgn(b) != 0:
                inv = E.exact(1 / E._sym(b)) if not isinstance(b, F) else 1 / b
                self.backward(node[1], g * _fl(inv), grads)
                self.backward(node[2], g * _fl(E.exact(-a * inv * inv)), grads)
            else:
                fa, fb = _fl(a), _fl(b)
                self.backward(node[1], _fdiv(g, fb), grads)
                self.backward(node[2], _fdiv(-g * fa, fb * fb), grads)
            return
        if t == "rpow":
            self.backward(node[1], g * self._pow_partial(val(node[1]), node[2]), grads)
            return
        if t == "where":
            c = val(node[1])
            self.backward(node[2], g if c else 0.0, grads)
            self.backward(node[3], 0.0 if c else g, grads)
            return
        name, kids = node[1], node[2]
        args = [val(c) for c in kids]
        a = args[0]
        torch = self.rule == "pytorch"
        gt = lambda u, v: self._cmp(">", u, v)  # noqa: E731
        ge = lambda u, v: self._cmp(">=", u, v)  # noqa: E731
        eq = lambda u, v: self._cmp("==", u, v)  # noqa: E731
        if name == "sqrt":
            if _isnf(a):
                part = 0.0 if a == INF else NAN
            else:
                s = E.sgn(a)
                part = NAN if s < 0 else INF if s == 0 else _fl(E.exact(1 / (2 * E._sym(E.real_root(a, 2)))))
            self.backward(kids[0], g * part, grads)
            return
        if name == "cbrt":
            if self.cbrt == "pow":
                self.backward(kids[0], g * self._pow_partial(a, F(1, 3)), grads)
                return
            if _isnf(a):
                q = NAN if math.isnan(a) else 0.0
            else:
                q = INF if E.sgn(a) == 0 else _fl(E.exact(1 / (3 * E._sym(E.real_root(a, 3)) ** 2)))
            if self.cbrt == "jnp":
                self.backward(kids[0], g * q, grads)
            else:  # sign(a) * abs(a)**(1/3): the sign's own derivative is 0
                s = _fs(a)
                self.backward(kids[0], ((g * s) * q) * s, grads)
            return
        if name == "relu":
            keep = (not self._cmp("<=", a, F(0))) if torch else gt(a, F(0))
            self.backward(kids[0], g if keep else 0.0, grads)
            return
        if name == "abs":
            self.backward(kids[0], g * _fs(a) if torch else (g if ge(a, F(0)) else -g), grads)
            return
        if name == "leaky_relu":
            s = _fl(args[1])
            pos = gt(a, F(0)) if torch else ge(a, F(0))
            self.backward(kids[0], g if pos else g * s, grads)
            return
        if name in ("max", "min"):
            if len(kids) != 2:
                raise ValueError("the float model knows 2-argument max/min only")
            b = args[1]
            first = gt(a, b) if name == "max" else gt(b, a)
            tie = eq(a, b)
            wa = 0.5 if tie else (1.0 if first else 0.0)
            if torch:  # masked: at::where(a == b, g/2, g).masked_fill_(loser, 0)
                ga = g / 2 if tie else (g if first else 0.0)
                gb = g / 2 if tie else (0.0 if first else g)
            else:  # jnp.maximum: g * (1, 1/2 or 0)
                ga, gb = g * wa, g * (0.5 if tie else 1.0 - wa)
            self.backward(kids[0], ga, grads)
            self.backward(kids[1], gb, grads)
            return
        if name == "clip":
            lo, hi = args[1], args[2]
            if torch:
                inside = self._cmp(">=", a, lo) and self._cmp("<=", a, hi)
                self.backward(kids[0], g if inside else 0.0, grads)
            else:  # jnp.clip = minimum(maximum(a, lo), hi)
                w1 = 0.5 if eq(a, lo) else (1.0 if gt(a, lo) else 0.0)
                m = a if gt(a, lo) or eq(a, lo) else lo
                w2 = 0.5 if eq(m, hi) else (1.0 if gt(hi, m) else 0.0)
                self.backward(kids[0], (g * w2) * w1, grads)
            return
        if name == "hardtanh":
            inside = (gt(a, F(-1)) and gt(F(1), a)) if torch else (ge(a, F(-1)) and ge(F(1), a))
            self.backward(kids[0], g if inside else 0.0, grads)
            return
        if name == "relu6":
            self.backward(kids[0], g if (gt(a, F(0)) and gt(F(6), a)) else 0.0, grads)
            return
        if name in E.DISCONTINUOUS:
            self.backward(kids[0], 0.0, grads)
            return
        if name in E.NORMS:
            self._norm_backward(name, kids, args, val(node), g, grads)
            return
        raise ValueError(name)

    def _norm_backward(self, name, kids, args, n, g, grads):
        torch = self.rule == "pytorch"
        if name == "norm":
            zero = (not _isnf(n)) and E.sgn(n) == 0
            for k, a in zip(kids, args):
                if torch and zero:  # self * (grad / norm).masked_fill_(norm == 0, 0)
                    self.backward(k, 0.0, grads)
                elif torch or not zero:
                    if _isnf(n) or _isnf(a):
                        self.backward(k, _fl(a) * _fdiv(g, _fl(n)), grads)
                    else:
                        self.backward(k, g * _fl(E.exact(E._sym(a) / E._sym(n))), grads)
                else:  # JAX: sqrt(sum(x * x)): (g * 0.5/0) * x + (g * 0.5/0) * x
                    adj = g * INF
                    self.backward(k, adj * _fl(a) + adj * _fl(a), grads)
            return
        if name == "norm1":
            for k, a in zip(kids, args):
                self.backward(k, g * _fs(a) if torch else (g if self._cmp(">=", a, F(0)) else -g), grads)
            return
        mags = [abs(_fl(a)) if _isnf(a) else (a if E.sgn(a) >= 0 else -a) for a in args]
        m = mags[0]
        for v in mags[1:]:
            m = v if self._cmp(">", v, m) else m
        mask = [1.0 if self._cmp("==", v, m) else 0.0 for v in mags]
        count = sum(mask)
        for k, a, w in zip(kids, args, mask):
            if torch:  # self.sgn() * ((grad / mask.sum()) * mask)
                self.backward(k, _fs(a) * ((g / count) * w), grads)
            else:  # amax(abs(x), initial=0): the tie with the initial 0 halves
                v = 0.5 if self._cmp("==", m, F(0)) else 1.0
                adj = ((g * v) / count) * w
                self.backward(k, adj if self._cmp(">=", a, F(0)) else -adj, grads)


def float_backprop(program, point, rule="pytorch", names=None, cbrt=None):
    """(value, gradient) that ``rule``'s reverse mode returns at ``point`` (exact coordinates):
    the value exact (Fraction/sympy) or a float NaN/inf, the gradient a tuple of Python floats
    (math.nan, math.inf allowed). See :class:`FrameworkModel`."""
    node, names = _as_program(program, names)
    model = FrameworkModel(rule, cbrt)
    env = {v: (c if not isinstance(c, (int, float)) else F(c)) for v, c in zip(names, point)}
    value = model.forward(node, env)
    grads = {}
    model.backward(node, 1.0, grads)
    return value, tuple(grads.get(v, 0.0) for v in names)


def non_finite(values) -> tuple:
    """Indices of the non-finite entries."""
    return tuple(i for i, v in enumerate(values) if not math.isfinite(v))


def float_kind(v: float) -> str:
    return "nan" if math.isnan(v) else ("inf" if v == INF else ("-inf" if v == -INF else "finite"))


