"""Hypothesis strategies: random nested nonlinear programs, with their kink sets.

Every program is returned as :class:`Program`: its text (for semialg's command line),
the oracle's own AST (parsed back from the text by :mod:`.expr`), the variables, and the
parametrised pieces (:class:`.curves.KinkSet`) of the zero sets of every kink polynomial
it can branch on. The constructions are chosen so that every effective kink polynomial
(the argument of a nonsmooth node once the branches below are fixed) vanishes only on
those sets: ``act(atom)``, ``act(atom) + c`` (the shifted atom), ``act(X) * factor``
(the union of X's kink sets and the factor's zero set), ``step(atom) * (y**2 - 1)``,
``where(atom > 0, ...)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction as F

from hypothesis import assume
from hypothesis import strategies as st

from . import curves as C
from . import expr as E


@dataclass
class Program:
    text: str
    names: tuple
    sets: list
    hints: list = field(default_factory=list)
    kind: str = "program"

    def __post_init__(self):
        self.node = E.parse(self.text)

    @property
    def vars_arg(self) -> str:
        return ",".join(self.names)


@dataclass
class Piece:
    """A sub-expression: its text and the kink sets it brings."""
    text: str
    sets: list
    atom: object = None  # set when the text is a bare atom (shiftable)


SMALL = [F(-2), F(-1), F(-1, 2), F(1, 2), F(1), F(2), F(3, 2)]
CONSTS = [F(0), F(1), F(-1), F(1, 2), F(-1, 2), F(2)]


def par(t: str) -> str:
    return f"({t})"


@st.composite
def atoms(draw, names):
    n = len(names)
    kind = draw(st.sampled_from(["line", "line", "parabola", "hyperbola", "circle"]))
    pair = tuple(draw(st.permutations(names[:2] if n == 2 else names))[:2])
    if kind == "line":
        while True:
            coeffs = [draw(st.sampled_from([F(0), F(1), F(-1), F(2), F(1, 2), F(-3)])) for _ in names]
            if any(coeffs):
                break
        return C.Line(names, coeffs, draw(st.sampled_from(CONSTS)))
    if kind == "parabola":
        return C.Parabola(names, pair[0], pair[1], draw(st.sampled_from(CONSTS)))
    if kind == "hyperbola":
        return C.Hyperbola(names, pair[0], pair[1], draw(st.sampled_from([F(0), F(0), F(1), F(-1, 2)])))
    return C.Circle(names, pair[0], pair[1], draw(st.sampled_from([F(1), F(1, 2), F(2)])))


@st.composite
def activation(draw, inner: Piece, lipschitz_only=True):
    """act(inner) with the kink sets of the shifts it adds (shifts only on bare atoms)."""
    ops = ["relu", "relu", "abs", "leaky", "clip", "max", "min", "hardtanh"]
    op = draw(st.sampled_from(ops))
    a = inner.text
    sets = list(inner.sets)

    def shift(c):
        if c == 0:
            return True
        if inner.atom is None:
            return False
        s = inner.atom.shifted(c)
        if s is None:
            return False
        sets.extend(s.sets())
        return True
    if op == "relu":
        return Piece(f"relu({a})", sets)
    if op == "abs":
        return Piece(f"abs({a})", sets)
    if op == "leaky":
        s = draw(st.sampled_from([F(1, 4), F(1, 10), F(-1, 2)]))
        return Piece(f"leaky_relu({a}, {C.fmt(s)})", sets)
    if op in ("max", "min"):
        c = draw(st.sampled_from(CONSTS))
        if not shift(c):
            c = F(0)
        first = draw(st.booleans())
        return Piece(f"{op}({a}, {C.fmt(c)})" if first else f"{op}({C.fmt(c)}, {a})", sets)
    if op == "hardtanh":
        if shift(1) and shift(-1):
            return Piece(f"hardtanh({a})", sets)
        return Piece(f"relu({a})", list(inner.sets))
    lo = draw(st.sampled_from([F(-1), F(-1, 2), F(0)]))
    hi = draw(st.sampled_from([F(1, 2), F(1), F(2)]))
    if shift(lo) and shift(hi):
        return Piece(f"clip({a}, {C.fmt(lo)}, {C.fmt(hi)})", sets)
    return Piece(f"abs({a})", list(inner.sets))


@st.composite
def factor(draw, names):
    """A factor whose zero set is known: a variable, (v**2 - k**2), or an atom."""
    kind = draw(st.sampled_from(["var", "var", "sq", "atom"]))
    v = draw(st.sampled_from(names))
    if kind == "var":
        return Piece(v, C.axis_sets(names, v))
    if kind == "sq":
        k = draw(st.sampled_from([F(1), F(1, 2)]))
        return Piece(f"({v}**2 - {C.fmt(k * k)})", C.axis_sets(names, v, (k, -k)))
    at = draw(atoms(names))
    return Piece(par(at.text), at.sets())


@st.composite
def nested(draw, names, depth):
    """A Lipschitz nested piece of the given depth (1 to 3)."""
    at = draw(atoms(names))
    piece = draw(activation(Piece(at.text, at.sets(), at)))
    for _ in range(depth - 1):
        how = draw(st.sampled_from(["times", "times", "plus"]))
        if how == "times":
            fac = draw(factor(names))
            inner = Piece(f"{piece.text}*{fac.text}", piece.sets + fac.sets)
        else:
            inner = Piece(piece.text, piece.sets)  # act(act(X)): the pieces of X, negated or scaled
        piece = draw(activation(inner))
    return piece


@st.composite
def jumpy(draw, names):
    """A possibly discontinuous term: step/sign/heaviside(atom)*poly, or a where."""
    at = draw(atoms(names))
    kind = draw(st.sampled_from(["step", "sign", "where", "where_cont", "heaviside"]))
    fac = draw(factor(names))
    if kind in ("step", "sign", "heaviside"):
        c = draw(st.sampled_from([F(0), F(1), F(-1)]))
        tail = fac.text if c == 0 else f"({fac.text} + {C.fmt(c)})"
        return Piece(f"{kind}({at.text})*{tail}", at.sets() + fac.sets)
    op = draw(st.sampled_from([">", ">=", "<", "<="]))
    other = draw(nested(names, 1))
    if kind == "where_cont":  # continuous: both branches vanish on the boundary
        return Piece(f"where({at.text} {op} 0, ({at.text})*{other.text}, 0)", at.sets() + other.sets)
    c = draw(st.sampled_from([F(0), F(1), F(-1, 2)]))
    return Piece(f"where({at.text} {op} 0, {other.text}, {fac.text} + {C.fmt(c)})",
                 at.sets() + other.sets + fac.sets)


@st.composite
def programs(draw, n_vars=None, allow_jumps=True, max_terms=2, max_depth=3, max_kinks=3, max_degree=3,
             max_total_degree=5, max_nonlinear=1):
    """A random program: a sum of 1..max_terms terms (nested activations, products, jumps),
    with at most ``max_kinks`` nonsmooth nodes, at most ``max_nonlinear`` of them with a
    nonlinear argument, kink polynomials of degree at most ``max_degree`` and of total
    degree at most ``max_total_degree`` (so that semialg answers quickly)."""
    n = n_vars or draw(st.sampled_from([2, 2, 2, 2, 3]))
    names = ("x", "y", "z")[:n]
    terms, sets = [], []
    for _ in range(draw(st.integers(1, max_terms))):
        kind = draw(st.sampled_from(["nested", "nested", "product", "jump", "jump_nested"] if allow_jumps else
                                    ["nested", "nested", "product"]))
        if kind == "nested":
            p = draw(nested(names, draw(st.sampled_from([1, 2, 2, 3][:max_depth + 1]))))
        elif kind == "product":
            a = draw(nested(names, 1))
            b = draw(st.one_of(nested(names, 1), factor(names)))
            p = Piece(f"{a.text}*{b.text}", a.sets + b.sets)
        elif kind == "jump":
            p = draw(jumpy(names))
        else:  # an activation of a jumping term, e.g. relu(step(x)*(y**2 - 1))
            j = draw(jumpy(names))
            p = draw(activation(Piece(j.text, j.sets)))
        coef = draw(st.sampled_from([F(1), F(1), F(-1), F(2), F(1, 2)]))
        terms.append((coef, p.text))
        sets.extend(p.sets)
    if draw(st.booleans()):
        terms.append((draw(st.sampled_from([F(1), F(-1)])), f"{names[0]}*({names[1]} + 1)"))
    prog = Program(C.poly_text(terms), names, _dedup(sets))
    degrees = E.kink_degrees(prog.node)
    assume(len(degrees) <= max_kinks and max(degrees, default=0) <= max_degree
           and sum(degrees) <= max_total_degree and sum(d > 1 for d in degrees) <= max_nonlinear)
    return prog


def _dedup(sets):
    seen, out = set(), []
    for s in sets:
        if s.label not in seen:
            seen.add(s.label)
            out.append(s)
    return out


# ------------------------------------------------------------------ hand-written fields
ZERO, ONE = ("num", F(0)), ("num", F(1))


def _add(a, b):
    if a == ZERO:
        return b
    if b == ZERO:
        return a
    if a[0] == "num" and b[0] == "num":
        return ("num", a[1] + b[1])
    return ("add", a, b)


def _neg(a):
    if a[0] == "num":
        return ("num", -a[1])
    return a[1] if a[0] == "neg" else ("neg", a)


def _sub(a, b):
    return _add(a, _neg(b))


def _mul(a, b):
    if a == ZERO or b == ZERO:
        return ZERO
    if a == ONE:
        return b
    if b == ONE:
        return a
    if a[0] == "num" and b[0] == "num":
        return ("num", a[1] * b[1])
    return ("mul", a, b)


def _where(c, a, b):
    return a if a == b else ("where", c, a, b)


def _cmp(op, a, b):
    return ("cmp", op, a, b)


def grad_node(node, var):
    """The PyTorch-convention derivative of ``node`` w.r.t. ``var``, as an oracle AST
    (the oracle's :func:`.expr.backprop` written symbolically with ``where``)."""
    t = node[0]
    g = lambda n: grad_node(n, var)  # noqa: E731
    if t == "num":
        return ZERO
    if t == "var":
        return ONE if node[1] == var else ZERO
    if t == "add":
        return _add(g(node[1]), g(node[2]))
    if t == "sub":
        return _sub(g(node[1]), g(node[2]))
    if t == "mul":
        return _add(_mul(g(node[1]), node[2]), _mul(node[1], g(node[2])))
    if t == "neg":
        return _neg(g(node[1]))
    if t == "pow":
        k = node[2]
        base = node[1] if k == 2 else ("pow", node[1], k - 1)
        return ZERO if k == 0 else _mul(_mul(("num", F(k)), base if k > 1 else ONE), g(node[1]))
    if t == "where":
        return _where(node[1], g(node[2]), g(node[3]))
    name, args = node[1], node[2]
    a, da = args[0], g(args[0])
    if da == ZERO or name in E.DISCONTINUOUS:
        if name not in ("max", "min") or g(args[1]) == ZERO:
            return ZERO
    if name == "relu":
        return _where(_cmp(">", a, ZERO), da, ZERO)
    if name == "abs":
        return _where(_cmp(">", a, ZERO), da, _where(_cmp("<", a, ZERO), _neg(da), ZERO))
    if name == "leaky_relu":
        return _where(_cmp(">", a, ZERO), da, _mul(args[1], da))
    if name in ("max", "min"):
        b, db = args[1], g(args[1])
        gt, lt = (">", "<") if name == "max" else ("<", ">")
        return _where(_cmp(gt, a, b), da, _where(_cmp(lt, a, b), db, _mul(_add(da, db), ("num", F(1, 2)))))
    if name == "clip":
        return _where(("and", (_cmp(">=", a, args[1]), _cmp("<=", a, args[2]))), da, ZERO)
    if name == "hardtanh":
        return _where(("and", (_cmp(">", a, ("num", F(-1))), _cmp("<", a, ONE))), da, ZERO)
    raise ValueError(name)


def grad_text(node, var) -> str:
    return to_text(grad_node(node, var))


_PREC = {"add": 1, "sub": 1, "neg": 2, "mul": 3, "pow": 4}


def to_text(node, prec=0) -> str:
    """Oracle AST -> text, parenthesised only where needed."""
    t = node[0]
    if t == "num":
        s = C.fmt(node[1])
        return f"({s})" if (node[1] < 0 or node[1].denominator != 1) and prec > 0 else s
    if t == "var":
        return node[1]
    if t in ("add", "sub", "mul"):
        p = _PREC[t]
        s = f"{to_text(node[1], p)} {dict(add='+', sub='-', mul='*')[t]} {to_text(node[2], p + 1)}"
        return f"({s})" if prec > p else s
    if t == "neg":
        s = f"-{to_text(node[1], 3)}"
        return f"({s})" if prec > 1 else s
    if t == "pow":
        return f"{to_text(node[1], 5)}**{node[2]}"
    if t == "cmp":
        return f"{to_text(node[2])} {node[1]} {to_text(node[3])}"
    if t in ("and", "or"):
        return "(" + f" {t} ".join(to_text(c) for c in node[1]) + ")"
    if t == "not":
        return f"(not {to_text(node[1])})"
    if t == "where":
        return f"where({to_text(node[1])}, {to_text(node[2])}, {to_text(node[3])})"
    return f"{node[1]}(" + ", ".join(to_text(a) for a in node[2]) + ")"


@st.composite
def fielded_programs(draw):
    """(program, field text): a 2-variable Lipschitz program and a hand-written field.

    The field is the PyTorch backprop written as text, plus, on the zero set of one of the
    program's atoms, ``c * grad(atom)`` (a normal component: still conservative) or
    ``c * rot(grad(atom))`` (a tangent component: not conservative); the oracle is not told
    which one was drawn.
    """
    names = ("x", "y")
    at = draw(atoms(names))
    piece = draw(activation(Piece(at.text, at.sets(), at)))
    if draw(st.booleans()):
        fac = draw(factor(names))
        piece = draw(activation(Piece(f"{piece.text}*{fac.text}", piece.sets + fac.sets)))
    extra = ""
    if draw(st.booleans()):
        extra = " + " + C.poly_text([(draw(st.sampled_from([F(1), F(-1), F(1, 2)])), "x*y")])
    prog = Program(piece.text + extra, names, _dedup(piece.sets))
    gx, gy = grad_text(prog.node, "x"), grad_text(prog.node, "y")
    atom_node = at.node()
    ax, ay = grad_text(atom_node, "x"), grad_text(atom_node, "y")
    if gx == "0" and gy == "0":
        gx = gy = "0"
    mode = draw(st.sampled_from(["normal", "tangent", "none"]))
    cval = draw(st.sampled_from([F(1), F(-1), F(1, 2)]))
    c, minus_c = C.fmt(cval), C.fmt(-cval)
    if mode == "normal":
        gx, gy = f"{gx} + where({at.text} == 0, {c}*({ax}), 0)", f"{gy} + where({at.text} == 0, {c}*({ay}), 0)"
    elif mode == "tangent":
        gx, gy = f"{gx} + where({at.text} == 0, {minus_c}*({ay}), 0)", f"{gy} + where({at.text} == 0, {c}*({ax}), 0)"
    return prog, f"{gx}, {gy}"


@st.composite
def critical_programs(draw):
    """Programs built to have backprop 0 at a chosen point p0 of a kink set, e.g.
    ``relu(relu(x)*y) + relu(x) - relu(-x) + x*(y + 2)`` at (0, -2).

    ``g + k*(relu(A) - relu(-A)) + B``: A a line through p0, g a nested term whose backprop
    is 0 at p0, B a quadratic with gradient 0 at p0 (or one cancelling k*grad(A) there).
    p0 is returned in ``hints``.
    """
    names = ("x", "y")
    x0 = draw(st.sampled_from([F(0), F(1), F(-1, 2)]))
    y0 = draw(st.sampled_from([F(0), F(-2), F(1), F(1, 2)]))
    # A = x - x0 (or y - y0)
    along = draw(st.sampled_from(["x", "y"]))
    A = C.Line(names, (1, 0) if along == "x" else (0, 1), -(x0 if along == "x" else y0))
    other = "y" if along == "x" else "x"
    o0 = y0 if along == "x" else x0
    terms = []
    sets = list(A.sets())
    kind_g = draw(st.sampled_from(["relu_prod", "relu_prod", "none", "abs_prod"]))
    if kind_g != "none":
        act = "relu" if kind_g == "relu_prod" else "abs"
        L = C.Line(names, (0, 1) if along == "x" else (1, 0), draw(st.sampled_from(CONSTS)))
        terms.append((F(1), f"relu({act}({A.text})*({L.text}))"))
        sets += L.sets()
    k = draw(st.sampled_from([F(1), F(-1), F(2)]))
    terms.append((k, f"relu({A.text})"))
    terms.append((-k, f"relu(-({A.text}))"))
    q = draw(st.sampled_from(["product", "square", "mixed"]))
    if q == "product":
        terms.append((draw(st.sampled_from([F(1), F(-1)])), f"({A.text})*({C.poly_text([(1, other), (-o0, '')])})"))
    elif q == "square":
        terms.append((F(1), f"({C.poly_text([(1, other), (-o0, '')])})**2"))
    else:
        terms.append((F(1), f"({A.text})**2"))
        terms.append((F(-1, 2), f"({C.poly_text([(1, other), (-o0, '')])})**2"))
    if draw(st.booleans()):
        terms.append((F(1), f"{draw(st.sampled_from(['relu', 'abs']))}({C.poly_text([(1, other), (-o0 - 3, '')])})"))
        sets += C.axis_sets(names, other, (o0 + 3,))
    text = C.poly_text(terms)
    p0 = (x0, y0)
    return Program(text, names, _dedup(sets), hints=[p0], kind="critical")
