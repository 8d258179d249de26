"""``semialg implicit``: nonsmooth implicit differentiation of ``F(x, y) = 0`` at a point.

Prints the verdict (every ``B`` of the convexified conservative Jacobian
invertible, or a singular ``B`` with its weights), the Jacobian ``[A | B]`` row by
row, Clarke's Jacobian and whether its condition differs, the images
``-B^{-1}A`` of the vertices, an optional membership test (``--member``), and for
piecewise-linear ``F`` the implicit function ``G`` itself with Clarke's calculus
put to the test. ``--json`` prints one object (docs/cli.md conventions); exit code 0
invertible, 1 not invertible, 2 bad input, 3 unknown.
"""
from __future__ import annotations

import argparse
from fractions import Fraction

from semialg import report
from semialg.checks.implicit.theorem import ImplicitResult, implicit
from semialg.cli.common import emit
from semialg.core.dag import to_text
from semialg.rules import PRESETS, fmt_exact

MAX_LISTED = 64


def _s(v) -> str:
    return fmt_exact(v)


def _is_rational(v) -> bool:
    return isinstance(v, (Fraction, int))


def _matrix_json(mx) -> list:
    return [[_s(v) for v in row] for row in mx]


def _floats(values) -> list:
    return [report.fmt_float(v) for v in values]


def _matrix_text(mx, split: int | None = None) -> str:
    rows = []
    for row in mx:
        cells = [_s(v) for v in row]
        if split is None:
            rows.append(", ".join(cells))
        else:
            rows.append(f"{', '.join(cells[:split])} | {', '.join(cells[split:])}".strip())
    return "[" + "; ".join(rows) + "]"


def _vertices(k: int) -> str:
    return f"{k} vert{'ices' if k != 1 else 'ex'}"


def _witness_json(bset, sing) -> dict | None:
    if sing is None or sing.weights is None:
        return None
    out = {"weights": [[_s(w) for w in ws] for ws in bset.split_weights(sing.weights)],
           "B": _matrix_json(sing.witness_matrix), "det": "0"}
    if not all(_is_rational(w) for w in sing.weights):
        out["weights_float"] = [_floats(ws) for ws in bset.split_weights(sing.weights)]
        out["B_float"] = [_floats(row) for row in sing.witness_matrix]
    return out


def result_json(r: ImplicitResult) -> dict:
    out = report.header("implicit", r.function, list(r.program.inputs))
    n, m = r.n, r.m
    out.update({"x": list(r.x), "y": list(r.y), "at": {v: _s(c) for v, c in zip(r.program.inputs, r.point)},
                "rule": r.rule.name, "verdict": r.verdict, "reason": r.reason, "residual": ["0"] * m})
    jac = r.jacobian
    out["jacobian"] = {"rows": [[[_s(v) for v in mx[i]] for mx in group] for i, group in enumerate(jac.groups)],
                       "n_vertices": jac.vertex_count(),
                       "vertices": [_matrix_json(mx) for _, mx in jac.vertices(limit=256)]}
    bset = jac.columns(n, n + m)
    sing = r.singularity
    out["invertibility"] = {"status": sing.status, "det_sign": sing.det_sign, "method": sing.method or sing.reason,
                            "witness": _witness_json(bset, sing)}
    out["clarke"] = None
    if r.clarke is not None:
        cs = r.clarke_singularity
        out["clarke"] = {"vertices": [_matrix_json(mx) for mx in r.clarke.groups[0]], "status": cs.status,
                         "witness": _witness_json(r.clarke.columns(n, n + m), cs), "comparison": r.comparison}
    out["implicit_jacobian"] = None
    if r.images:
        out["implicit_jacobian"] = {"n_images": len(r.images),
                                    "images": [{"vertex": list(c), "matrix": _matrix_json(mx)} for c, mx in r.images]}
    out["membership"] = None
    if r.membership is not None:
        mb = r.membership
        out["membership"] = {"matrix": _matrix_json(mb.matrix), "member": mb.member,
                             "weights": None if mb.weights is None else [[_s(w) for w in ws]
                                                                         for ws in jac.split_weights(mb.weights)],
                             "jacobian": None if mb.jacobian is None else _matrix_json(mb.jacobian),
                             "reason": mb.reason}
    out["explicit"] = _explicit_json(r)
    out["notes"] = list(r.notes)
    out["timings"] = {k: round(v, 6) for k, v in r.timings.items()}
    return out


def _explicit_json(r: ImplicitResult) -> dict | None:
    g = r.explicit
    if g is None:
        return None
    names = list(r.x)
    out = {"pieces": [{"stratum": pc.stratum, "cell": list(pc.cell), "region": pc.region_text(names), "G": pc.text(names),
                       "jacobian": _matrix_json(pc.jacobian)} for pc in g.pieces],
           "clarke_G": [_matrix_json(v) for v in g.clarke_vertices], "notes": list(g.notes), "complete": g.complete,
           "clarke_calculus": None}
    c = r.calculus
    if c is not None:
        out["clarke_calculus"] = {
            "image_outside": c.image_outside,
            "image_witness": None if c.image_witness is None else {
                "weights": [_s(w) for w in c.image_witness[0]], "jacobian": _matrix_json(c.image_witness[1]),
                "image": _matrix_json(c.image_witness[2])},
            "clarke_outside": c.clarke_outside,
            "clarke_witness": None if c.clarke_witness is None else {
                "matrix": _matrix_json(c.clarke_witness[0]), "weights": [_s(w) for w in c.clarke_witness[1]]},
            "conservative_contains_clarke": c.conservative_ok,
            "summary": calculus_summary(r)}
    return out


def calculus_summary(r: ImplicitResult) -> str:
    """One sentence on Clarke's calculus versus the conservative one for this point."""
    c = r.calculus
    if c is None:
        return ""
    parts = []
    if c.image_outside == "yes":
        parts.append("some M ∈ Jac^c F gives -B^{-1}A ∉ Jac^c G")
    elif c.image_outside == "no":
        parts.append("every -B^{-1}A with [A B] ∈ Jac^c F lies in Jac^c G")
    if c.clarke_outside == "yes":
        parts.append("but Jac^c G has points that are no -B^{-1}A" if c.image_outside == "no"
                     else "and Jac^c G has points that are no -B^{-1}A")
    verdict = ("Clarke's calculus fails (Jac^c G ≠ {-B^{-1}A : [A B] ∈ Jac^c F})" if c.clarke_calculus_holds is False
               else "no failure of Clarke's calculus was found")
    cons = ""
    if c.conservative_ok:
        cons = "; the conservative calculus holds: every vertex of Jac^c G is in J_G, so Jac^c G ⊂ conv J_G"
    elif c.conservative_ok is False:
        cons = "; a vertex of Jac^c G is not in J_G: the rule's J_F is not conservative here"
    return ", ".join(parts) + ": " + verdict + cons if parts else verdict + cons


def result_text(r: ImplicitResult) -> str:
    n, m = r.n, r.m
    lines = [f"F = {r.function}   x: {', '.join(r.x) or '(none)'}   y: {', '.join(r.y)}   rule: {r.rule.name}",
             f"at ({', '.join(r.program.inputs)}) = ({', '.join(_s(c) for c in r.point)}): F = 0 exactly",
             f"verdict: {r.verdict.upper().replace('_', ' ')}", f"  {r.reason}", ""]
    jac = r.jacobian
    lines.append(f"J_F(x̂, ŷ) = [A | B], the convex hull of the product of its row sets ({_vertices(jac.vertex_count())}):")
    outputs = to_text(r.program.outputs)
    for i, group in enumerate(jac.groups):
        lines.append(f"  row {i + 1} ({outputs[i]}): " + "  ".join(_matrix_text((mx[i],), n) for mx in group))
    if r.clarke is not None:
        cs = r.clarke_singularity
        status = {"invertible": "every B invertible", "singular": "contains a singular B"}.get(cs.status, "undecided")
        lines.append(f"Clarke's Jacobian Jac^c F(x̂, ŷ): {_vertices(len(r.clarke.groups[0]))}, {status}")
        for mx in r.clarke.groups[0][:MAX_LISTED]:
            lines.append(f"  {_matrix_text(mx, n)}")
        if cs.status == "singular":
            lines.append(f"  singular B: {_matrix_text(cs.witness_matrix)}")
        if r.comparison:
            lines.append(f"  {r.comparison}")
    if r.images:
        lines += ["", f"J_G(x̂) = {{-B^{{-1}}A : [A B] ∈ conv J_F}}: images of the {_vertices(len(r.images))}"]
        lines += [f"  {_matrix_text(mx)}" for _, mx in r.images[:MAX_LISTED]]
        if len(r.images) > MAX_LISTED:
            lines.append(f"  ... {len(r.images) - MAX_LISTED} more (--json lists them)")
    if r.membership is not None:
        mb = r.membership
        if mb.member:
            lines.append(f"member {_matrix_text(mb.matrix)}: yes, it is -B^{{-1}}A for [A | B] = {_matrix_text(mb.jacobian, n)}")
        else:
            lines.append(f"member {_matrix_text(mb.matrix)}: {'no' if mb.status == 'no' else 'undecided ' + mb.reason}")
    g = r.explicit
    if g is not None:
        names = list(r.x)
        lines += ["", f"G itself (F is piecewise linear): {len(g.pieces)} piece{'s' if len(g.pieces) != 1 else ''} near x̂"]
        for pc in g.pieces[:MAX_LISTED]:
            lines.append(f"  on {', '.join(pc.region_text(names))}: G = ({', '.join(pc.text(names))})"
                         f"   [F's cell {', '.join(pc.cell)}]")
        lines.append(f"Jac^c G(x̂) = conv of {len(g.clarke_vertices)} matri{'ces' if len(g.clarke_vertices) != 1 else 'x'}: "
                     + "  ".join(_matrix_text(v) for v in g.clarke_vertices[:MAX_LISTED]))
        lines += [f"  note: {t}" for t in g.notes]
        c = r.calculus
        if c is not None:
            lines.append("Clarke's calculus: {-B^{-1}A : [A B] ∈ Jac^c F} against Jac^c G")
            if c.image_witness is not None:
                lam, mx, img = c.image_witness
                lines.append(f"  M = {_matrix_text(mx, n)} ∈ Jac^c F gives -B^{{-1}}A = {_matrix_text(img)} ∉ Jac^c G")
            if c.clarke_witness is not None:
                N, w = c.clarke_witness
                lines.append(f"  N = {_matrix_text(N)} ∈ Jac^c G (weights {', '.join(_s(v) for v in w)}) is not "
                             "-B^{-1}A for any [A B] ∈ Jac^c F")
            lines.append(f"  {calculus_summary(r)}")
    lines += [f"note: {t}" for t in r.notes]
    lines += ["", "time: " + ", ".join(f"{k} {v:.3f} s" for k, v in r.timings.items())]
    return "\n".join(lines)


def setup_implicit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expr", metavar="F",
                        help="the equations F(x, y) = 0, comma-separated, one per unknown, e.g. 'abs(x) + y - u, 2*x + abs(y) - v'")
    parser.add_argument("--x", required=True, metavar="u,v", help="the parameters x (comma-separated; may be empty: --x '')")
    parser.add_argument("--y", required=True, metavar="x,y", help="the unknowns y (as many as equations)")
    parser.add_argument("--at", required=True, metavar="u=0,v=0,x=0,y=0", help="the point (x̂, ŷ), exact rationals")
    parser.add_argument("--rule", default="clarke", metavar="|".join(PRESETS),
                        help="derivative rule for J_F (default clarke)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a kink value, e.g. --set \"relu'(0)=1\" (repeatable)")
    parser.add_argument("--member", default=None, metavar="a,b;c,d",
                        help="test whether this m x n matrix (rows separated by ';') is in J_G = {-B^{-1}A}")
    parser.add_argument("--no-clarke", action="store_true",
                        help="skip Clarke's Jacobian and G itself (no stratification of F; faster)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="time limit per solver query")
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of text")


def run_implicit(args: argparse.Namespace) -> int:
    """Implicit differentiation of F(x, y) = 0: invertibility, J_G, Clarke vs conservative."""
    result = implicit(args.expr, args.x, args.y, args.at, rule=args.rule, overrides=args.overrides,
                      member=args.member, clarke=not args.no_clarke, explicit=not args.no_clarke,
                      timeout=args.timeout)
    emit(report.dump_json(result_json(result)) if args.json else result_text(result))
    return result.exit_code

