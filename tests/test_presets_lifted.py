"""The presets ``pytorch`` and ``jax`` on roots, quotients and norms, against the installed frameworks.

Two parts, both comparing ``semialg.rules.derivative_at(text, point, preset)`` with the reverse-mode
gradient the installed framework computes here (``torch.autograd.grad`` / ``jax.grad``, float64,
CPU; never a pasted constant):

1. Fixed cases (:data:`CASES`): the kinks of ``sqrt``, ``cbrt``, ``/``, ``** (p/q)``, ``norm``,
   ``norm1``, ``norminf`` and the NaN traps of ``where`` (the untaken branch undefined or with an
   infinite slope: reverse mode multiplies its zero cotangent by NaN or inf). The measured table
   is ``docs/frameworks_lifted.md`` (printed by ``benchmarks/measure_lifted.py``).
2. A hypothesis test over small random programs at exact kinks, built as in
   ``tests/test_presets_vs_frameworks.py``: a test-local DAG, translated here to semialg text,
   PyTorch and JAX; each root's argument is shifted by a constant so that it equals a chosen
   target at the point (0, the kink, most often; else a dyadic square, so the root is dyadic),
   each quotient's denominator to a nonzero power of two (the quotient is exact in float64),
   norms' entries to 0 or to ties ``|a| = |b|``. With dyadic points every float64 operation is
   then exact, and the gradients are compared as Fractions. Where an operation's partials are
   not dyadic (``cbrt``, ``** (2/3)``, a norm at (3/4, 1), splits over 3 ties) the gradient is
   compared to within 1e-12 relative; NaN must be NaN, inf must be inf with its sign.

Comparison rules, per input component: a finite framework value must be a ``Fraction`` (or int) from
the preset, equal (or within 1e-12 where noted); NaN must be ``math.nan``; ``inf``/``-inf`` the
same float. At a point where the program has no value in semialg's sense (``a / b`` at ``b = 0``,
``sqrt`` below 0), the preset may instead raise an error saying the program is undefined there.

Spelling effects the translations avoid (measured; see the docs page): IEEE signed zero.
``torch.sqrt(-x)`` at ``x = 0`` is ``sqrt(-0.0)``, whose derivative ``1 / (2 * -0.0)`` is ``-inf``,
so reverse mode gives ``+inf``; ``sqrt(0 - x)`` gives ``-inf`` (the one-sided slope). semialg's text
has no signed zero, so every root's / quotient's argument here passes through ``+ c`` (``-0.0 + 0.0
= +0.0``) and the fixed case spells the negation ``0 - x``. PyTorch has no cbrt: ``torch.pow(x, 1/3)``
is NaN below 0 and ``sign(x) * abs(x) ** (1/3)`` is NaN at 0 (``0 * inf``); the ``pytorch`` preset
must match one of the two at every point.
"""
from __future__ import annotations

import importlib.util
import math
import random
from fractions import Fraction

import pytest

if not any(importlib.util.find_spec(name) for name in ("torch", "jax")):
    pytest.skip("neither torch nor jax is installed", allow_module_level=True)

from hypothesis import given, settings
from hypothesis import strategies as st

from semialg import rules

F = Fraction
NAMES = ("x", "y", "z")
TOLERANCE = F(1, 10 ** 12)


@pytest.fixture(scope="module")
def lifting():
    """Skip while the lead's lifting is not there (semialg refuses sqrt, saying it is not supported);
    any other error of the probe fails the tests that use this fixture."""
    try:
        rules.derivative_at("sqrt(x)", "x=1/4", "pytorch")
    except Exception as error:
        text = str(error)
        if "sqrt" in text and "support" in text:
            pytest.skip(f"semialg does not support sqrt yet ({type(error).__name__}: {text})")
        raise


needs_lifting = pytest.mark.usefixtures("lifting")


# --------------------------------------------------------------------------- running the frameworks
def torch_gradient(fn, point):
    """Value and reverse-mode gradient of ``fn`` (list of 0-d float64 tensors -> scalar)."""
    import torch
    xs = [torch.tensor(float(p), dtype=torch.float64, requires_grad=True) for p in point]
    out = fn(xs)
    if not out.requires_grad:
        return out.item(), (0.0,) * len(point)
    grads = torch.autograd.grad(out, xs, allow_unused=True)
    return out.item(), tuple(0.0 if g is None else g.item() for g in grads)


def jax_gradient(fn, point):
    import jax
    import jax.numpy as jnp
    with jax.enable_x64(True):   # float64 here only: other tests keep JAX's default
        xs = tuple(jnp.asarray(float(p), dtype=jnp.float64) for p in point)
        value, grads = jax.value_and_grad(lambda *v: fn(list(v)), argnums=tuple(range(len(point))))(*xs)
        return float(value), tuple(float(g) for g in grads)


RUNNERS = {"pytorch": ("torch", torch_gradient), "jax": ("jax", jax_gradient)}


@pytest.fixture(scope="module", params=list(RUNNERS))
def framework(request):
    module, run = RUNNERS[request.param]
    pytest.importorskip(module)
    return request.param, run


# --------------------------------------------------------------------------- comparing
def preset_gradient(text: str, point: tuple[Fraction, ...], rule: str) -> tuple:
    """``derivative_at`` as the contract gives it (a tuple of per-input values); the older form, one
    list of gradient vertices per output, is accepted when it holds a single vertex."""
    names = ",".join(f"{n}={p}" for n, p in zip(NAMES, point))
    result = rules.derivative_at(text, names, rule)
    if isinstance(result, tuple):
        return result
    (vertices,) = result
    assert len(vertices) == 1, f"{text} at {names}: the preset gives {len(vertices)} vertices {vertices}"
    return vertices[0]


def component_agrees(measured: float, preset, exact: bool) -> bool:
    if math.isnan(measured):
        return isinstance(preset, float) and math.isnan(preset)
    if math.isinf(measured):
        return isinstance(preset, float) and preset == measured
    if not isinstance(preset, (Fraction, int)) or isinstance(preset, bool):
        return False
    m, p = F(measured), F(preset)
    return m == p if exact else abs(m - p) <= TOLERANCE * (1 + abs(p))


def agrees(measured, preset, exact: bool) -> bool:
    return len(measured) == len(preset) and all(component_agrees(m, p, exact) for m, p in zip(measured, preset))


def show(values) -> str:
    return "(" + ", ".join(str(v) if not isinstance(v, float) or not math.isfinite(v) else repr(v)
                           for v in values) + ")"


def says_undefined(error: Exception) -> bool:
    text = str(error).lower()
    return "undefined" in text or "not defined" in text or "no value" in text


# --------------------------------------------------------------------------- 1. fixed cases
def _t():
    import torch
    return torch


def _j():
    import jax.numpy as jnp
    return jnp


def _tw(cond, a):
    torch = _t()
    return torch.where(cond, a, torch.zeros_like(a))


def _tnorm(ord_=None):
    return lambda v: (_t().linalg.vector_norm(_t().stack(v)) if ord_ is None
                      else _t().linalg.vector_norm(_t().stack(v), ord=ord_))


def _jnorm(ord_=None):
    return lambda v: (_j().linalg.norm(_j().stack(v)) if ord_ is None else _j().linalg.norm(_j().stack(v), ord=ord_))


def _relu_j(a):
    import jax
    return jax.nn.relu(a)


def _pow_cases():
    out = []
    for p, q, points in ((1, 2, "0 1/4 -1/4"), (3, 2, "0 1/4 -1/4"), (2, 3, "0 1/8 -1/8 -1/4"), (-1, 2, "0 1/4 -1/4")):
        e = p / q
        for pt in points.split():
            mode = ("undefined" if (F(pt) < 0 and q % 2 == 0) or (F(pt) == 0 and p < 0)
                    else "close" if q == 3 else "exact")
            out.append((f"x ** ({p}/{q})", (F(pt),), lambda v, e=e: _t().pow(v[0], e),
                        lambda v, e=e: _j().power(v[0], e), mode))
            out.append((f"x ** ({p}/{q})", (F(pt),), lambda v, e=e: v[0] ** e, lambda v, e=e: v[0] ** e, mode))
    return out


def _shared_where_t(v):
    s = _t().sqrt(v[0])          # one sqrt node used twice, as semialg's hash-consed DAG has it
    return _t().where(v[0] > 0, s, -s)


def _shared_where_j(v):
    s = _j().sqrt(v[0])
    return _j().where(v[0] > 0, s, -s)


P = lambda *xs: tuple(F(x) for x in xs)
TIES = (P(1, -1), P(-1, 1), P(1, 1), P(0, 0), P(0, 1), P(1, 0))
# (semialg text, point, PyTorch spelling, JAX spelling, "exact" | "close" | "undefined")
CASES = [
    ("sqrt(x)", P(0), lambda v: _t().sqrt(v[0]), lambda v: _j().sqrt(v[0]), "exact"),
    ("sqrt(x)", P("1/4"), lambda v: _t().sqrt(v[0]), lambda v: _j().sqrt(v[0]), "exact"),
    ("sqrt(x)", P("-1/4"), lambda v: _t().sqrt(v[0]), lambda v: _j().sqrt(v[0]), "undefined"),
    ("sqrt(-x)", P(0), lambda v: _t().sqrt(0 - v[0]), lambda v: _j().sqrt(0 - v[0]), "exact"),
    *[("cbrt(x)", P(a), None, lambda v: _j().cbrt(v[0]), "close") for a in ("0", "-1/8", "1/8")],
    *[("x / y", P(*ab), lambda v: v[0] / v[1], lambda v: v[0] / v[1], "undefined") for ab in ((1, 0), (-1, 0), (0, 0))],
    *[("x / y", P(*ab), lambda v: v[0] / v[1], lambda v: v[0] / v[1], "exact") for ab in ((1, 2), (3, -4))],
    ("1 / x", P("-1/2"), lambda v: 1.0 / v[0], lambda v: 1.0 / v[0], "exact"),
    *_pow_cases(),
    *[("norm(x, y)", pt, _tnorm(), _jnorm(), "exact") for pt in (P(0, 0), P(0, 1), P(1, 0))],
    ("norm(x, y)", P("3/4", 1), _tnorm(), _jnorm(), "close"),
    ("norm(x)", P(0), _tnorm(), _jnorm(), "exact"),
    ("sqrt(x**2 + y**2)", P(0, 0), lambda v: _t().sqrt(v[0] ** 2 + v[1] ** 2),
     lambda v: _j().sqrt(v[0] ** 2 + v[1] ** 2), "exact"),
    *[("norm1(x, y)", pt, _tnorm(1), _jnorm(1), "exact") for pt in TIES],
    *[("norminf(x, y)", pt, _tnorm(math.inf), _jnorm(math.inf), "exact") for pt in TIES],
    *[("norminf(x, y, z)", pt, _tnorm(math.inf), _jnorm(math.inf), "close") for pt in (P(0, 0, 0), P(1, -1, 1))],
    *[("where(x > 0, sqrt(x), 0)", P(a), lambda v: _tw(v[0] > 0, _t().sqrt(v[0])),
       lambda v: _j().where(v[0] > 0, _j().sqrt(v[0]), 0.0), "exact") for a in (0, -1, 1)],
    *[("where(x > 0, x / y, 0)", P(*xy), lambda v: _tw(v[0] > 0, v[0] / v[1]),
       lambda v: _j().where(v[0] > 0, v[0] / v[1], 0.0), mode)
      for xy, mode in (((-1, 0), "exact"), ((0, 0), "exact"), ((1, 0), "undefined"), ((1, 2), "exact"))],
    *[("where(x > 0, sqrt(x), -sqrt(x))", P(a), _shared_where_t, _shared_where_j, "exact") for a in (0, 1)],
    *[("relu(x) ** (3/2)", P(a), lambda v: _t().relu(v[0]) ** 1.5, lambda v: _relu_j(v[0]) ** 1.5, "exact")
      for a in ("0", "1/4", "-1/4")],
    *[("sqrt(relu(x))", P(a), lambda v: _t().sqrt(_t().relu(v[0])), lambda v: _j().sqrt(_relu_j(v[0])), "exact")
      for a in ("0", "1/4", "-1/4")],
]
CBRT_TORCH_SPELLINGS = {
    "torch.pow(x, 1/3)": lambda v: _t().pow(v[0], 1 / 3),
    "sign(x) * abs(x) ** (1/3)": lambda v: _t().sign(v[0]) * _t().abs(v[0]) ** (1 / 3),
}


def check_case(text, point, fn, mode, rule, run) -> str | None:
    """A description of the mismatch, or None."""
    _, measured = run(fn, point)
    where = f"{text} at {[str(p) for p in point]} ({rule})"
    try:
        preset = preset_gradient(text, point, rule)
    except Exception as error:   # noqa: BLE001 - an undefined point may be refused, with that reason
        if mode == "undefined" and says_undefined(error):
            return None
        return f"{where}: the preset raises {type(error).__name__}: {error}; the framework gives {show(measured)}"
    if not agrees(measured, preset, exact=mode == "exact"):
        return f"{where}: the framework gives {show(measured)}, the preset {show(preset)}"
    return None


@needs_lifting
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}@{','.join(map(str, c[1]))}" for c in CASES])
def test_fixed_case(case, framework):
    text, point, torch_fn, jax_fn, mode = case
    rule, run = framework
    fn = torch_fn if rule == "pytorch" else jax_fn
    if fn is None:
        pytest.skip(f"{rule} has no single spelling of {text} (see test_cbrt_pytorch_matches_one_spelling)")
    problem = check_case(text, point, fn, mode, rule, run)
    assert problem is None, problem


@needs_lifting
def test_cbrt_pytorch_matches_one_spelling():
    pytest.importorskip("torch")
    points = [P(a) for a in ("0", "-1/8", "1/8")]
    problems = {name: [p for p in (check_case("cbrt(x)", pt, fn, "close", "pytorch", torch_gradient) for pt in points) if p]
                for name, fn in CBRT_TORCH_SPELLINGS.items()}
    assert any(not found for found in problems.values()), problems


def test_the_fixed_cases_hold_the_traps():
    """The measured facts the cases rest on (a test that can fail if a framework changes them)."""
    if importlib.util.find_spec("torch"):
        assert math.isnan(torch_gradient(lambda v: _tw(v[0] > 0, _t().sqrt(v[0])), P(-1))[1][0])
        assert torch_gradient(lambda v: _t().sqrt(-v[0]), P(0))[1] == (math.inf,)        # -0.0 flips the sign
        assert torch_gradient(lambda v: _t().sqrt(0 - v[0]), P(0))[1] == (-math.inf,)
        assert torch_gradient(_tnorm(), P(0, 0))[1] == (0.0, 0.0)
        assert math.isnan(torch_gradient(CBRT_TORCH_SPELLINGS["torch.pow(x, 1/3)"], P("-1/8"))[1][0])
        assert math.isnan(torch_gradient(CBRT_TORCH_SPELLINGS["sign(x) * abs(x) ** (1/3)"], P(0))[1][0])
    if importlib.util.find_spec("jax"):
        assert all(math.isnan(g) for g in jax_gradient(_jnorm(), P(0, 0))[1])
        assert jax_gradient(_jnorm(math.inf), P(0, 0))[1] == (0.25, 0.25)   # amax(abs(x), initial=0): a tie with 0
        assert jax_gradient(lambda v: _j().sqrt(_relu_j(v[0])), P(0))[1] == (0.0,)


# --------------------------------------------------------------------------- 2. random programs
SQUARES = [F(0)] * 4 + [F(1, 4), F(1), F(4), F(1, 16)]
INV_SQUARES = [F(1, 4), F(1), F(4), F(1, 16)]     # targets of ** (-1/2): the value 1/sqrt(t) is dyadic
DENOMINATORS = [F(1, 2), F(-1, 2), F(1), F(-1), F(2), F(-2)]
CUBES = [F(0), F(0), F(1, 8), F(-1, 8), F(1), F(-1), F(8)]
POINTS = [F(k, 4) for k in range(-8, 9)]
SCALES = [F(1, 2), F(-1), F(2), F(-1, 4), F(3, 4), F(1)]
LIFTED = ("sqrt", "pow12", "pow32", "pow-12", "div", "norm", "norm1", "norminf", "trap")
PLAIN = ("relu", "abs", "max", "where", "scale", "add", "mul")
FINAL = ("cbrt", "pow23")   # non-dyadic values: only at the top, so no kink sits below a rounded value
EXPONENTS = {"pow12": F(1, 2), "pow32": F(3, 2), "pow-12": F(-1, 2), "pow23": F(2, 3)}


class Chooser:
    """Random choices from a ``random.Random`` or from hypothesis (``data.draw``), which then shrinks."""

    def __init__(self, rng: random.Random | None = None, data=None):
        self.rng, self.data = rng, data

    def choice(self, seq):
        seq = list(seq)
        return self.rng.choice(seq) if self.data is None else self.data.draw(st.sampled_from(seq))

    def randint(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi) if self.data is None else self.data.draw(st.integers(lo, hi))

    def chance(self, percent: int) -> bool:
        return self.randint(0, 99) < percent


def root(t: Fraction, exponent: Fraction) -> Fraction | None:
    """``t ** exponent`` exactly when it is rational (``None`` where semialg leaves it undefined)."""
    p, q = exponent.numerator, exponent.denominator
    if (t < 0 and q % 2 == 0) or (t == 0 and p < 0):
        return None
    base = abs(t)
    r_num, r_den = round(base.numerator ** (1 / q)), round(base.denominator ** (1 / q))
    assert F(r_num, r_den) ** q == base, f"{t} is not a {q}-th power"
    r = F(r_num, r_den) * (-1 if t < 0 else 1)
    return r ** p


class Program:
    """A test-local DAG: nodes ``(op, args, param)``, exact values (``None``: undefined), and whether
    an operation with non-dyadic partials occurs (then gradients are compared within 1e-12)."""

    def __init__(self, choose: Chooser, n_vars: int):
        self.choose = choose
        self.point = [choose.choice(POINTS) for _ in range(n_vars)]
        self.nodes = [("var", (), i) for i in range(n_vars)]
        self.values: list[Fraction | None] = list(self.point)
        self.inexact = False
        self.index: dict[tuple, int] = {}
        self.kinds: set[str] = set()    # which kinks were reached (the generator's coverage)

    def add(self, op, args=(), param=None) -> int:
        """The node, shared if it exists (semialg hash-conses: a node used twice gets ONE cotangent,
        the sum, before its partial multiplies it, so ``(1 + 0) * inf = inf``, not ``inf + 0 * inf``)."""
        key = (op, tuple(args), param)
        if key in self.index:
            return self.index[key]
        vals = [self.values[a] for a in args]
        self.index[key] = len(self.nodes)
        self.nodes.append(key)
        self.values.append(evaluate(op, vals, param))
        return len(self.nodes) - 1

    def pick(self) -> int:
        return self.choose.choice([i for i, v in enumerate(self.values) if v is not None])

    def shifted_to(self, node: int, target: Fraction) -> int:
        """``node + c`` equal to ``target`` at the point (and +0.0, not -0.0, when the target is 0).
        Offsets are merged (``(a + c) + d`` is ``a + (c + d)``) and ``+ 0`` is left out where the value
        cannot be -0.0, as semialg's normal form does, so both sides share the same nodes."""
        c = target - self.values[node]
        op, args, param = self.nodes[node]
        if op == "offset":
            node, c = args[0], c + param
            op = self.nodes[node][0]
        if c == 0 and op in ("var", "abs", "sqrt", "pow", "norm", "norm1", "norminf"):
            return node
        return self.add("offset", (node,), c)


def evaluate(op, vals, param):
    if op == "where":
        return vals[2] if vals[0] > vals[1] else vals[3]
    if any(v is None for v in vals):
        return None
    if op == "const":
        return param
    if op == "offset":
        return vals[0] + param
    if op == "scale":
        return param * vals[0]
    if op == "add":
        return vals[0] + vals[1]
    if op == "mul":
        return vals[0] * vals[1]
    if op == "relu":
        return max(vals[0], F(0))
    if op == "abs":
        return abs(vals[0])
    if op == "max":
        return max(vals)
    if op == "sqrt":
        return root(vals[0], F(1, 2))
    if op == "cbrt":
        return root(vals[0], F(1, 3))
    if op == "pow":
        return root(vals[0], param)
    if op == "div":
        return None if vals[1] == 0 else vals[0] / vals[1]
    if op == "norm":
        return root(sum(v * v for v in vals), F(1, 2))
    if op == "norm1":
        return sum(abs(v) for v in vals)
    if op == "norminf":
        return max(abs(v) for v in vals)
    raise AssertionError(op)


def add_lifted(prog: Program, op: str) -> None:
    choose = prog.choose
    if op in ("sqrt", "pow12", "pow32", "pow-12", "pow23", "cbrt"):
        targets = (INV_SQUARES if op == "pow-12" else CUBES if op == "cbrt" else
                   [c for c in CUBES if c >= 0] if op == "pow23" else SQUARES)   # pow(-1/8, 2/3) is NaN
        arg = prog.shifted_to(prog.pick(), choose.choice(targets))
        prog.kinds.add(f"{op}@0" if prog.values[arg] == 0 else op)
        prog.inexact |= op in ("cbrt", "pow23")
        prog.add("sqrt" if op == "sqrt" else "cbrt" if op == "cbrt" else "pow", (arg,), EXPONENTS.get(op))
    elif op == "div":
        den = prog.shifted_to(prog.pick(), choose.choice(DENOMINATORS))
        prog.add("div", (prog.pick(), den))
    elif op == "norm":
        n = choose.randint(1, 3)
        mode = choose.choice(["zero", "zero", "one", "pythagoras"])
        if mode == "zero":
            targets = [F(0)] * n
        elif mode == "one":
            targets = [F(0)] * (n - 1) + [choose.choice([F(1, 2), F(-1), F(2)])]
        else:                                       # |(3/4, -1)| = 5/4: exact value, partials 3/5, -4/5
            targets = [F(3, 4), F(-1)] + [F(0)] * (n - 2)
        prog.inexact |= mode == "pythagoras"
        prog.kinds.add("norm@0" if mode == "zero" else "norm")
        prog.add("norm", [prog.shifted_to(prog.pick(), t) for t in targets])
    elif op in ("norm1", "norminf"):
        n = choose.randint(2, 3)
        size = choose.choice([F(0), F(1, 2), F(1)])
        args = [prog.shifted_to(prog.pick(), choose.choice([size, -size])) if choose.chance(75) else prog.pick()
                for _ in range(n)]
        vals = [abs(prog.values[a]) for a in args]
        if op == "norminf" and vals.count(max(vals)) >= 2 or op == "norm1" and 0 in vals:
            prog.kinds.add(op + "@kink")
        prog.inexact |= op == "norminf" and n >= 3
        prog.add(op, args)
    elif op == "trap":
        add_trap(prog)


def add_trap(prog: Program) -> None:
    """``where(l > r, bad, good)`` (or swapped) with the condition choosing ``good``: ``bad`` is a root
    of a negative number, a quotient by 0, or a root at 0 (defined, but with an infinite slope)."""
    choose = prog.choose
    kind = choose.choice(["sqrt<0", "sqrt@0", "div0", "pow-12@0"])
    arg = prog.shifted_to(prog.pick(), F(-1, 4) if kind == "sqrt<0" else F(0))
    bad = (prog.add("sqrt", (arg,)) if kind.startswith("sqrt") else prog.add("div", (prog.pick(), arg))
           if kind == "div0" else prog.add("pow", (arg,), F(-1, 2)))
    left, right = prog.pick(), prog.pick()
    if choose.chance(50):
        right = prog.shifted_to(right, prog.values[left])      # on the where's boundary: l == r
    good = prog.pick()
    holds = prog.values[left] > prog.values[right]
    prog.kinds.add("trap:" + kind)
    prog.add("where", (left, right, good, bad) if holds else (left, right, bad, good))


def add_plain(prog: Program, op: str) -> None:
    choose = prog.choose
    a = prog.pick()
    if op in ("relu", "abs"):
        prog.add(op, (prog.shifted_to(a, F(0)) if choose.chance(60) else a,))
    elif op == "max":
        b = prog.pick()
        prog.add("max", (a, prog.shifted_to(b, prog.values[a]) if choose.chance(60) else b))
    elif op == "where":
        left, right = a, prog.pick()
        if choose.chance(60):
            right = prog.shifted_to(right, prog.values[left])
        prog.add("where", (left, right, prog.pick(), prog.pick()))
    elif op == "scale":
        prog.add("scale", (a,), choose.choice(SCALES))
    else:
        prog.add(op, (a, prog.pick()))


def random_program(choose: Chooser) -> Program:
    prog = Program(choose, choose.randint(1, 3))
    for _ in range(choose.randint(1, 4)):
        op = choose.choice(LIFTED + LIFTED + PLAIN)
        (add_lifted if op in LIFTED else add_plain)(prog, op)
    if choose.chance(20):
        add_lifted(prog, choose.choice(FINAL))
    used = reachable(prog)
    for i in range(len(prog.point)):      # every variable in the text, so the gradient has every component
        if i not in used:
            prog.add("add", (len(prog.nodes) - 1, prog.add("scale", (i,), F(1, 2))))
    if prog.values[-1] is None:           # an undefined output (a root of a negative, a quotient by 0)
        prog.add("where", (0, 0, len(prog.nodes) - 1, 0))   # x > x is false: the output is x, the root trapped
        prog.kinds.add("trap:output")
    return prog


def reachable(prog: Program) -> set[int]:
    seen, stack = set(), [len(prog.nodes) - 1]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(prog.nodes[i][1])
    return {prog.nodes[i][2] for i in seen if prog.nodes[i][0] == "var"}


# --------------------------------------------------------------------------- translators
def fraction_text(c: Fraction) -> str:
    return f"({c.numerator}/{c.denominator})" if c.denominator != 1 else f"({c.numerator})"


def to_text(prog: Program) -> str:
    out: list[str] = []
    for op, args, param in prog.nodes:
        v = [out[a] for a in args]
        out.append(
            NAMES[param] if op == "var" else
            f"({v[0]} + {fraction_text(param)})" if op == "offset" else
            f"({fraction_text(param)} * {v[0]})" if op == "scale" else
            f"({v[0]} + {v[1]})" if op == "add" else
            f"({v[0]} * {v[1]})" if op == "mul" else
            f"({v[0]} / {v[1]})" if op == "div" else
            f"({v[0]}) ** {fraction_text(param)}" if op == "pow" else
            f"where({v[0]} > {v[1]}, {v[2]}, {v[3]})" if op == "where" else
            f"{op}({', '.join(v)})")
    return out[-1]


def _run(prog: Program, xs, lib: str):
    """The program on framework scalars; ``lib`` is "torch" or "jax"."""
    if lib == "torch":
        import torch as m
        sqrt, where, relu, absolute, maximum, power = (m.sqrt, lambda c, a, b: m.where(c, a, b), m.relu, m.abs,
                                                       m.maximum, m.pow)
        stack, cbrt = m.stack, None
        norm = lambda v, o=None: m.linalg.vector_norm(stack(v)) if o is None else m.linalg.vector_norm(stack(v), ord=o)
    else:
        import jax
        import jax.numpy as m
        sqrt, where, relu, absolute, maximum, power = m.sqrt, m.where, jax.nn.relu, m.abs, m.maximum, m.power
        stack, cbrt = m.stack, m.cbrt
        norm = lambda v, o=None: m.linalg.norm(stack(v)) if o is None else m.linalg.norm(stack(v), ord=o)
    out = []
    for op, args, param in prog.nodes:
        v = [out[a] for a in args]
        if op == "var":
            out.append(xs[param])
        elif op == "offset":
            out.append(v[0] + float(param))
        elif op == "scale":
            out.append(float(param) * v[0])
        elif op in ("add", "mul", "div"):
            out.append(v[0] + v[1] if op == "add" else v[0] * v[1] if op == "mul" else v[0] / v[1])
        elif op in ("relu", "abs", "sqrt"):
            out.append({"relu": relu, "abs": absolute, "sqrt": sqrt}[op](v[0]))
        elif op == "max":
            out.append(maximum(v[0], v[1]))
        elif op == "cbrt":     # PyTorch has no cbrt: the real root, spelled with sign and abs
            out.append(cbrt(v[0]) if cbrt is not None else m.sign(v[0]) * m.abs(v[0]) ** (1 / 3))
        elif op == "pow":
            out.append(power(v[0], float(param)))
        elif op in ("norm", "norm1", "norminf"):
            out.append(norm(v, {"norm": None, "norm1": 1, "norminf": math.inf}[op]))
        elif op == "where":
            out.append(where(v[0] > v[1], v[2], v[3]))
    return out[-1]


def compare_random(prog: Program, rule: str, run) -> str | None:
    text = to_text(prog)
    point = tuple(prog.point)
    lib = RUNNERS[rule][0]
    value, measured = run(lambda xs: _run(prog, xs, lib), point)
    where = f"{text} at {[str(p) for p in point]} ({rule})"
    exact_value = prog.values[-1]
    if not (math.isfinite(value) and abs(F(value) - exact_value) <= TOLERANCE * (1 + abs(exact_value))):
        return f"{where}: the framework's value {value}, exactly {exact_value} (the test's generator is wrong)"
    if rule == "pytorch" and any(node[0] == "cbrt" for node in prog.nodes):
        return None   # PyTorch has no cbrt (two spellings): test_cbrt_pytorch_matches_one_spelling checks it
    try:
        preset = preset_gradient(text, point, rule)
    except Exception as error:   # noqa: BLE001 - every generated program is defined at its point
        return f"{where}: the preset raises {type(error).__name__}: {error}; the framework gives {show(measured)}"
    if not agrees(measured, preset, exact=not prog.inexact):
        return f"{where}: the framework gives {show(measured)}, the preset {show(preset)}"
    return None


@needs_lifting
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_random_programs_at_kinks(framework, data):
    rule, run = framework
    problem = compare_random(random_program(Chooser(data=data)), rule, run)
    assert problem is None, problem


@needs_lifting
@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(data=st.data())
def test_random_programs_at_kinks_slow(framework, data):
    rule, run = framework
    problem = compare_random(random_program(Chooser(data=data)), rule, run)
    assert problem is None, problem


def test_the_generator_reaches_every_kink_and_every_trap(framework):
    """The random programs do sit on the kinks (a test that never reaches one would agree for nothing),
    and the frameworks' values equal the test-local exact values (the kinks hold in float64)."""
    rule, run = framework
    rng = random.Random(5)
    seen: set[str] = set()
    lib = RUNNERS[rule][0]
    for _ in range(150):
        prog = random_program(Chooser(rng=rng))
        seen |= prog.kinds
        value, _ = run(lambda xs, prog=prog: _run(prog, xs, lib), tuple(prog.point))
        exact = prog.values[-1]
        assert abs(F(value) - exact) <= TOLERANCE * (1 + abs(exact)), (to_text(prog), value, exact)
        if not prog.inexact:
            assert F(value) == exact, (to_text(prog), value, exact)
    wanted = {"sqrt@0", "pow12@0", "pow32@0", "norm@0", "norm1@kink", "norminf@kink", "trap:sqrt<0",
              "trap:sqrt@0", "trap:div0", "trap:pow-12@0", "cbrt@0", "pow23@0"}
    assert wanted <= seen, sorted(wanted - seen)
