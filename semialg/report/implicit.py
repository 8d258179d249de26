"""Text and JSON of an implicit-function result (``semialg implicit``; ``ImplicitResult.to_text`` /
``to_json``)."""
from __future__ import annotations

from fractions import Fraction

from semialg.core.dag import to_text
from semialg.report import fmt_float, header
from semialg.rules import fmt_exact

MAX_LISTED = 64


def _s(v) -> str:
    return fmt_exact(v)


def _is_rational(v) -> bool:
    return isinstance(v, (Fraction, int))


def _matrix_json(mx) -> list:
    return [[_s(v) for v in row] for row in mx]


def _floats(values) -> list:
    return [fmt_float(v) for v in values]


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


def implicit_json(r) -> dict:
    """An implicit result as the JSON object of docs/cli.md."""
    out = header("implicit", r.function, list(r.program.inputs))
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


def _explicit_json(r) -> dict | None:
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


def calculus_summary(r) -> str:
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


def implicit_text(r) -> str:
    """An implicit result as the text ``semialg implicit`` prints."""
    n = r.n
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


def deq_json(r) -> dict:
    """A deep-equilibrium result as the JSON object of ``semialg deq --json``: the layer, the fixed
    point(s), the norm tests, ``J_z*`` and the nested ``implicit`` object."""
    layer = r.layer
    out = header("deq", r.function, list(r.program.inputs))
    out.update({"W": _matrix_json(layer.W), "U": _matrix_json(layer.U), "b": [_s(v) for v in layer.b],
                "activation": layer.activation.name, "x": [_s(v) for v in r.x], "z": [_s(v) for v in r.z],
                "how": r.how, "fixed_points": [[_s(v) for v in z] for z in r.fixed_points],
                "contraction": [{"norm": c.norm, "holds": c.holds, "text": c.text} for c in r.norms],
                "certificate": None if r.certificate is None else r.certificate.norm,
                "verdict": r.verdict, "rule": r.rule.name,
                "jacobian": [_matrix_json(mx) for mx in r.jacobian],
                "closed_form": None if r.closed_form is None else [_matrix_json(mx) for mx in r.closed_form],
                "implicit": implicit_json(r.implicit)})
    return out


def deq_text(r) -> str:
    """A deep-equilibrium result as the text ``semialg deq`` prints."""
    layer = r.layer
    lines = [f"layer z = {layer.activation.name}(W z + U x + b),  W = {_matrix_text(layer.W)},  U = {_matrix_text(layer.U)},"
             f"  b = ({', '.join(_s(v) for v in layer.b)})   rule: {r.rule.name}",
             f"at x = ({', '.join(_s(v) for v in r.x)}): z* = ({', '.join(_s(v) for v in r.z)})   [{r.how}]"]
    if len(r.fixed_points) > 1:
        lines.append(f"  {len(r.fixed_points)} fixed points: " + "  ".join(f"({', '.join(_s(v) for v in z)})"
                                                                           for z in r.fixed_points))
    cert = r.certificate
    if cert is not None:
        lines.append(f"contraction: {cert.text} < 1: z*(x) is unique for every x and every I - DW (|d_i| <= L) is "
                     "invertible, everywhere")
    else:
        lines.append("contraction: not proved (" + "; ".join(c.text for c in r.norms) + ")")
    lines += [f"verdict: {r.verdict.upper().replace('_', ' ')}", f"  {r.implicit.reason}"]
    if r.jacobian:
        lines.append(f"J_z*(x) = {{(I - DW)^{{-1}} D U}}: {_vertices(len(r.jacobian))}")
        lines += [f"  {_matrix_text(mx)}" for mx in r.jacobian[:MAX_LISTED]]
    if r.closed_form is not None and r.jacobian:
        same = set(r.closed_form) == set(r.jacobian)
        lines.append("  the closed form (I - DW)^{-1} D U over the slopes at each unit gives "
                     + ("the same vertices" if same else "other vertices: " + "  ".join(_matrix_text(m) for m in r.closed_form)))
    lines += [f"note: {t}" for t in r.implicit.notes]
    return "\n".join(lines)
