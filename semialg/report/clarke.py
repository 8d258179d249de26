"""Text and JSON of a Clarke Jacobian at a point (``semialg clarke``; ``ClarkeResult.to_text`` / ``to_json``)."""
from __future__ import annotations

from semialg.report import fmt_vector, header, headline, vertices_json
from semialg.rules import fmt_exact
from semialg.stratification.patterns import Describer, activation_pattern, simplify_conditions


def vertex_text(vx) -> str:
    """``(1, 0)`` for a gradient, ``[1, 0; 0, 1]`` for a Jacobian (rows separated by ``;``)."""
    if len(vx) == 1:
        return "(" + ", ".join(fmt_exact(v) for v in vx[0]) + ")"
    return "[" + "; ".join(", ".join(fmt_exact(v) for v in row) for row in vx) + "]"


def clarke_json(r, seconds: float | None = None) -> dict:
    """A Clarke result as the JSON object of docs/cli.md."""
    program, s = r.program, r.stratum
    doc = header("clarke", program.to_text(), program.inputs)
    doc["point"] = fmt_vector(r.point)
    doc.update({"verdict": "computed",
                "reason": f"the convex hull of the Jacobians of {len(r.cells)} full-dimensional cell(s) meeting at the point",
                "stratum": {"id": s.id, "dim": s.dim, "conditions": s.condition_text(),
                            "pattern": activation_pattern(r.stratification, s),
                            "simplified": simplify_conditions(s.conditions, list(r.stratification.program.inputs))},
                "cells": list(r.cells), "vertices": vertices_json(r.vertices)})
    if getattr(r, "ellipsoid", None) is not None:
        center, form = r.ellipsoid
        doc["reason"] = "the convex hull of the limits of the gradient near the point: an ellipsoid, not a polytope"
        doc["set"] = {"kind": "ellipsoid", "center": [fmt_exact(v) for v in center],
                      "form": [[fmt_exact(v) for v in row] for row in form], "description": ellipsoid_text(r.ellipsoid)}
    red = getattr(r, "reduction", None)
    if red is not None:   # the stratum and cells are those of H, over s = B (x - c)
        doc["reduced"] = {"coordinates": list(red.program.inputs), "program": red.program.to_text(),
                          "basis": [[fmt_exact(v) for v in row] for row in red.basis],
                          "linear": [[fmt_exact(v) for v in row] for row in red.linear],
                          "pruning": red.pruned.summary()}
    if r.m == 1:
        doc["contains_zero"] = r.contains_zero
    if seconds is not None:
        doc["timings"] = {"clarke": round(seconds, 6)}
    return doc


def clarke_text(r, conditions: str = "auto") -> str:
    """A Clarke result as the text ``semialg clarke`` prints: the point, the stratum and the cells
    meeting there, the Clarke set; the stratum's conditions as ``conditions`` says (``auto``: its
    simplified conditions when short, else its activation pattern after the Clarke set, with the legend)."""
    program, s = r.program, r.stratum
    where = ", ".join(f"{v} = {fmt_exact(c)}" for v, c in zip(program.inputs, r.point))
    kind = "gradients" if r.m == 1 else "Jacobians"
    describer = Describer(r.stratification, conditions, [s])
    said = describer.describe(s)
    inline = describer.mode != "pattern"
    if getattr(r, "ellipsoid", None) is not None:
        lines = [f"{headline(program.to_text(), 120)} at {where}",
                 f"stratum {s.id}, dimension {s.dim}; full-dimensional cells meeting here: {', '.join(map(str, r.cells))}",
                 f"Clarke Jacobian = {ellipsoid_text(r.ellipsoid)}",
                 "  (the convex hull of the gradient's limits at the point, which fill the boundary: not a polytope)"]
        if r.m == 1:
            lines.append("0 is in the Clarke set: the point is Clarke critical" if r.contains_zero
                         else "0 is not in the Clarke set: the point is not Clarke critical")
        return "\n".join(lines)
    lines = [f"{headline(program.to_text(), 120)} at {where}",
             f"stratum {s.id}" + (f" ({said})" if inline else "") + f", dimension {s.dim}; "
             f"full-dimensional cells meeting here: {', '.join(map(str, r.cells))}",
             f"Clarke Jacobian = conv of {len(r.vertices)} vertex {kind}:" if len(r.vertices) > 1
             else f"Clarke Jacobian = {{{vertex_text(r.vertices[0])}}} (f is differentiable here)" if len(r.cells) == 1
             else "Clarke Jacobian = a single point (the pieces' Jacobians agree here):"]
    if len(r.vertices) > 1 or len(r.cells) > 1:
        lines += [f"  {vertex_text(vx)}" for vx in r.vertices]
    if r.m == 1:
        lines.append("0 is in the Clarke set: the point is Clarke critical" if r.contains_zero
                     else "0 is not in the Clarke set: the point is not Clarke critical")
    if not inline:
        lines += [f"stratum {s.id} pattern: {said}"] + describer.legend()
    red = getattr(r, "reduction", None)
    if red is not None:
        lines.append(f"(in reduced coordinates: f = g0.(x - c) + H(s), s = B (x - c) in {red.dim} variable"
                     f"{'s' if red.dim != 1 else ''}; the stratum and cells are H's; {red.pruned.summary()})")
    return "\n".join(lines)


def ellipsoid_text(ellipsoid) -> str:
    """``the unit disc {g : g1**2 + g2**2 <= 1}``, or the quadratic form written out."""
    center, form = ellipsoid
    n = len(center)
    g = [f"(g{i + 1} - {fmt_exact(c)})" if c else f"g{i + 1}" for i, c in enumerate(center)]
    text = ""
    for i in range(n):
        for j in range(i, n):
            coef = form[i][j] * (1 if i == j else 2)
            if coef:
                mono = f"{g[i]}**2" if i == j else f"{g[i]}*{g[j]}"
                term = mono if abs(coef) == 1 else f"{fmt_exact(abs(coef))}*{mono}"
                text += (" - " if coef < 0 else " + ") + term if text else ("-" if coef < 0 else "") + term
    body = "{g : " + text + " <= 1}"
    unit = all(form[i][j] == (1 if i == j else 0) for i in range(n) for j in range(n))
    if unit:
        name = {1: "the interval", 2: "the unit disc", 3: "the unit ball"}.get(n, "the unit ball")
        return f"{name} {body}" + (f" centred at ({', '.join(fmt_exact(c) for c in center)})" if any(center) else "")
    return f"the ellipsoid {body}"
