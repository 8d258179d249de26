"""The oracle's hypothesis generator of lifted programs (split from :mod:`oracle.lifted`)."""
from __future__ import annotations

from fractions import Fraction as F

from hypothesis import assume
from hypothesis import strategies as st

from . import curves as C
from . import expr as E
from .lifted import LiftedProgram, rand_rational  # noqa: F401


# --------------------------------------------------------------------------- 5. generator
def _line(draw, names):
    while True:
        coeffs = [draw(st.sampled_from([F(0), F(1), F(-1), F(2), F(1, 2)])) for _ in names]
        if any(coeffs):
            return C.Line(names, coeffs, draw(st.sampled_from([F(0), F(0), F(1), F(-1), F(1, 2), F(-1, 2)])))


def _atom(draw, names):
    """An atom of degree <= 2 with an exactly parametrised zero set."""
    if len(names) == 1:
        return _line(draw, names)
    kind = draw(st.sampled_from(["line", "line", "line", "hyperbola", "parabola", "circle"]))
    u, w = draw(st.permutations(names))[:2]
    if kind == "line":
        return _line(draw, names)
    if kind == "hyperbola":
        return C.Hyperbola(names, u, w, 0)
    if kind == "parabola":
        return C.Parabola(names, u, w, draw(st.sampled_from([F(0), F(-1, 2), F(1)])))
    return C.Circle(names, u, w, draw(st.sampled_from([F(1), F(1, 2)])))


def _points(atom, draw, k=3):
    out = []
    for s in atom.sets():
        for _ in range(k):
            out.append(s.point([draw(st.sampled_from([F(-1), F(-1, 3), F(0), F(1, 2), F(2), F(3, 4)]))
                                for _ in range(s.n_params)]))
    return out


def _solve(lines, names, draw):
    """Exact points where all the linear atoms vanish (free coordinates drawn), or []."""
    n = len(names)
    for _ in range(4):
        free = {}
        rows = [(list(L.coeffs), -L.c) for L in lines]
        fixed = draw(st.permutations(range(n)))[: n - len(lines)]
        for i in fixed:
            free[i] = draw(st.sampled_from([F(-1), F(0), F(1, 2), F(2)]))
            rows.append(([F(1) if j == i else F(0) for j in range(n)], free[i]))
        m = [r[0] + [r[1]] for r in rows]
        ok = True
        for col in range(n):  # Gauss-Jordan over the rationals
            piv = next((r for r in range(col, n) if m[r][col] != 0), None)
            if piv is None:
                ok = False
                break
            m[col], m[piv] = m[piv], m[col]
            for r in range(n):
                if r != col and m[r][col] != 0:
                    f = m[r][col] / m[col][col]
                    m[r] = [a - f * b for a, b in zip(m[r], m[col])]
        if ok:
            return [tuple(m[i][n] / m[i][i] for i in range(n))]
    return []


@st.composite
def _root_term(draw, names):
    """(text, hints, undefined points): one term built around a root, a norm or a quotient."""
    n = len(names)
    kinds = ["sqrt_act", "cbrt", "rpow", "where_root", "norm", "quotient", "quotient", "smooth"]
    if n >= 2:
        kinds += ["sqrt_relu_sq", "norm", "sqrt_sumsq"]
    kind = draw(st.sampled_from(kinds))
    A = _atom(draw, names)
    a = A.text
    pts = _points(A, draw)
    if kind == "sqrt_act":
        act = draw(st.sampled_from(["relu", "abs"]))
        return f"sqrt({act}({a}))", pts, []
    if kind == "cbrt":
        return f"cbrt({a})", pts, []
    if kind == "rpow":
        form = draw(st.sampled_from(["relu({})**(3/2)", "abs({})**(1/2)", "relu({})**(1/2)", "({})**(1/3)",
                                     "({})**(2/3)", "abs({})**(3/2)", "relu({})**(5/2)"]))
        return form.format(a), pts, []
    if kind == "where_root":
        op = draw(st.sampled_from([">", ">="]))
        body = draw(st.sampled_from(["sqrt({})", "({})**(3/2)", "sqrt({})*{}"]))
        v = draw(st.sampled_from(names))
        return f"where({a} {op} 0, {body.format(a, v)}, 0)", pts, []
    if kind == "smooth":
        v = draw(st.sampled_from(names))
        return draw(st.sampled_from([f"sqrt(1 + {v}**2)", f"(1 + {v}**2)**(-1/2)", f"sqrt(({a})**2 + 1)"])), [], []
    if kind == "quotient":
        v = draw(st.sampled_from(names))
        L = _line(draw, names)
        form = draw(st.sampled_from(["({})/(1 + {}**2)", "({})/(2 + abs({}))", "({})/(1 + relu({}))", "undef", "undef"]))
        if form == "undef":
            return f"({L.text})/({a})", [], pts
        inner = v if "**2" in form else L.text
        return form.format(a, inner), [], []
    L1, L2 = _line(draw, names), _line(draw, names)
    if kind == "sqrt_relu_sq":
        M = _line(draw, names)
        text = f"sqrt(relu({L1.text}) + ({M.text})**2)"
        cand = [p for p in _points(M, draw) if E.sgn(E.evaluate(L1.node(), dict(zip(names, p)))) <= 0]
        return text, cand + _solve([L1, M], names, draw), []
    if kind == "sqrt_sumsq":
        return f"sqrt(({L1.text})**2 + ({L2.text})**2)", _solve([L1, L2], names, draw), []
    # norms
    form = draw(st.sampled_from(["norm2", "norm2", "norm_relu", "norm1", "norm_all", "norminf"]))
    if n == 1 or form == "norm1":
        return f"norm({L1.text})", _points(L1, draw), []
    if form == "norm2":
        return f"norm({L1.text}, {L2.text})", _solve([L1, L2], names, draw), []
    if form == "norm_relu":
        cand = [p for p in _points(L1, draw) if E.sgn(E.evaluate(L2.node(), dict(zip(names, p)))) <= 0]
        return f"norm({L1.text}, relu({L2.text}))", cand + _solve([L1, L2], names, draw), []
    if form == "norm_all":
        return f"norm({', '.join(names)})", [tuple(F(0) for _ in names)], []
    op = draw(st.sampled_from(["norm1", "norminf"]))
    return f"{op}({L1.text}, {L2.text})", [], []


@st.composite
def lifted_programs(draw, n_vars=None, max_terms=2, max_kinks=4):
    """A random lifted program over 1-3 variables: a sum of 1..max_terms terms, each a root,
    a norm or a quotient (of atoms of degree <= 2), optionally wrapped by relu/abs/max/min or
    multiplied by a variable, plus an optional polynomial; at most ``max_kinks`` nonsmooth
    nodes (roots, quotients, rational powers, relu/abs/max/min, where)."""
    n = n_vars or draw(st.sampled_from([1, 2, 2, 2, 3]))
    names = ("x", "y", "z")[:n]
    terms, hints, undefined = [], [], []
    for _ in range(draw(st.integers(1, max_terms))):
        text, hs, us = draw(_root_term(names))
        wrap = draw(st.sampled_from(["none", "none", "relu", "abs", "max", "min", "times", "neg"]))
        v = draw(st.sampled_from(names))
        c = draw(st.sampled_from([F(1, 2), F(1), F(-1, 2)]))
        if wrap == "relu":
            text = f"relu({text} - {C.fmt(c)})" if c > 0 else f"relu({text})"
        elif wrap == "abs":
            text = f"abs({text} - {v})"
        elif wrap == "max":
            text = f"max({text}, {v})"
        elif wrap == "min":
            text = f"min({text}, {C.fmt(c)})"
        elif wrap == "times":
            text = f"{text}*{v}"
        elif wrap == "neg":
            text = f"-{text}"
        coef = draw(st.sampled_from([F(1), F(1), F(-1), F(2), F(1, 2)]))
        terms.append((coef, text if wrap != "neg" else f"({text})"))
        hints += hs
        undefined += us
    if draw(st.booleans()):
        terms.append((draw(st.sampled_from([F(1), F(-1)])), draw(st.sampled_from(
            [f"{names[0]}*{names[-1]}", f"{names[-1]}**2", f"{names[0]}"]))))
    prog = LiftedProgram(C.poly_text(terms), names, _dedup(hints), _dedup(undefined))
    assume(len(E.kink_nodes(prog.node)) <= max_kinks)
    return prog


def _dedup(points):
    seen, out = set(), []
    for p in points:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def random_points(rng, n, k=24):
    return [tuple(rand_rational(rng) for _ in range(n)) for _ in range(k)]

