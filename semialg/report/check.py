"""Text and JSON of a check result (``semialg check``; ``CheckResult.to_text`` / ``to_json``)."""
from __future__ import annotations

from semialg.report import exact_list, header, headline, sample_json
from semialg.rules import fmt_exact
from semialg.stratification.patterns import Describer, activation_pattern, simplify

MAX_ROWS = 40
CELL = 60
WIDE = 200
"""With ``--conditions auto``, a table wider than this shows patterns, then leaves out the piece column."""
"""Table cells longer than this do not widen their column; a longer Clarke set is abbreviated."""


def field_at_sample(stratum, vertices_per_output, lifting=None) -> list:
    """Field vertices at the sample: vectors for a scalar function, Jacobians (rows) otherwise.
    A lifted program's (``lifting``): the user's components, reciprocals as ``1/s``, and ``nan`` /
    ``inf`` where the rule's value is not finite."""
    from semialg.stratification import point_sympy
    point = stratum.sample if stratum.rational else point_sympy(stratum.sample)
    n = None
    if lifting is not None:
        from semialg.rules import with_reciprocals
        point = with_reciprocals(lifting, point)
        n = lifting.n_user
    rows = [sorted({tuple(fmt_exact(p.eval(point)) if hasattr(p, "eval") else p.kind for p in g[:n]) for g in vs})
            for vs in vertices_per_output]
    if len(rows) == 1:
        return [list(v) for v in rows[0]]
    import itertools
    return [[list(r) for r in combo] for combo in itertools.islice(itertools.product(*rows), 256)]


def _lifting(result):
    strat = result.stratification
    return strat.program.lifting if strat is not None else None


def _vertex(vert) -> str:
    """``(1, 0)`` for a gradient, ``[1, 0; 0, 1]`` for a Jacobian (its rows)."""
    if vert and isinstance(vert[0], (list, tuple)):
        return "[" + "; ".join(", ".join(str(v) for v in row) for row in vert) + "]"
    return "(" + ", ".join(str(v) for v in vert) + ")"


def check_json(result, critical: dict | None = None) -> dict:
    """A check result as the JSON object of docs/cli.md (``critical``: the sets of ``for_check``)."""
    out = header("check", result.function, list(result.program.inputs))
    out.update({"rule": result.rule.name, "verdict": result.verdict, "reason": result.reason})
    names = list(result.stratification.program.inputs) if result.stratification is not None else list(result.program.inputs)
    lifting = _lifting(result)
    original = _to_original(result)
    if result.domain is not None:
        out["domain"] = domain_json(result.domain, result.verdict)
    if result.segment_integral is not None:
        out["segment_integral"] = _balance_json(result.segment_integral)
    strata = []
    for rep in result.strata:
        s = rep.stratum
        entry = {"id": s.id, "dim": s.dim, "conditions": s.condition_text()}
        entry.update(sample_json(s))
        if lifting is not None:   # the user's coordinates first; the auxiliary ones (roots) follow in "lifted"
            entry["lifted"] = entry["sample"]
            entry["sample"] = entry["sample"][:lifting.n_user]
        if original is not None:
            entry["original"] = exact_list(original(s.sample))
        entry["piece"] = [p.to_str(names) for p in s.piece]
        entry["field"] = field_at_sample(s, rep.field, lifting)
        entry["status"] = rep.status
        if critical is not None:
            from semialg.report.critical import clarke_json
            entry["clarke"] = clarke_json(critical["clarke"][s.id])
        entry.update(pattern_json(result.stratification, s))
        strata.append(entry)
    out["strata"] = strata
    out["artificial_critical"] = out["spurious"] = None   # null: no Clarke sets (not Lipschitz, or not computed)
    if critical is not None:
        from semialg.report.critical import sets_json
        sets = sets_json(critical)
        out["artificial_critical"], out["spurious"] = sets["artificial_critical"], sets["spurious"]
    w = result.witness
    out["witness"] = None
    if lifting is not None and result.stratification.undefined:
        out["undefined"] = undefined_json(result.stratification)
    if w is not None and not hasattr(w, "direction"):   # the rule's value is NaN or inf
        out["witness"] = {"kind": "non_finite", "stratum": w.stratum, "output": w.output, "point": exact_list(w.point),
                          "value": list(w.value), "source": w.source}
        w = None
    if w is not None:
        out["witness"] = {"stratum": w.stratum, "output": w.output, "point": exact_list(w.point),
                          "direction": exact_list(w.direction),
                          "derivative_along_curve": fmt_exact(w.derivative_along_curve),
                          "field_along_curve": fmt_exact(w.field_along_curve),
                          "field_value": exact_list(w.field_value), "source": w.source, "numeric": w.numeric}
        if any(not isinstance(v, type(w.point[0])) or not hasattr(v, "denominator") for v in w.point):
            out["witness"]["point_float"] = [float(v) for v in w.point]
        if original is not None:
            out["witness"]["original"] = exact_list(original(w.point))
    if result.jump is not None and hasattr(result.jump, "limit") and hasattr(result.jump, "quotients"):
        j = result.jump
        out["witness"] = {"kind": "unbounded_slope", "stratum": j.stratum, "point": exact_list(j.point),
                          "direction": exact_list(j.direction), "limit": j.limit,
                          "numeric": [{"h": h, "quotient": q} for h, q in j.quotients]}
    elif result.jump is not None:
        j = result.jump
        out["witness"] = {"kind": "jump", "stratum": j.stratum, "neighbour": j.neighbour, "point": exact_list(j.point),
                          "value": exact_list(j.value), "limit": exact_list(j.limit)}
    out["timings"] = {k: round(v, 6) for k, v in result.timings.items()}
    if critical is not None:
        out["timings"]["critical"] = round(critical["seconds"], 6)
    return out


def table(rows: list[tuple[str, ...]], right: int = 2, cap: int = 60) -> list[str]:
    """Rows as aligned columns (the first ``right`` right-aligned), two spaces apart. A cell longer
    than ``cap`` does not widen its column: it pushes the rest of its own row only.

    >>> table([("id", "x", "y"), ("10", "1/2", "0"), ("1", "(1, 2, 3)", "1")], cap=4)
    ['id  x    y', '10  1/2  0', ' 1  (1, 2, 3)  1']
    """
    widths = [max((len(r[k]) for r in rows if len(r[k]) <= cap), default=0) for k in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) if k < right else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]


def pattern_json(strat, stratum) -> dict:
    """``{"pattern": ..., "simplified": [...]}`` of a stratum (the pattern is empty without a stratification)."""
    names = list(stratum.names) or list(strat.program.inputs)
    return {"pattern": activation_pattern(strat, stratum) if strat is not None else "",
            "simplified": simplify(stratum.conditions, len(names)).text(names)}


def _strata_rows(result, critical, shown, describer, names, with_piece: bool) -> tuple[list[str], bool]:
    """The table of strata (id, dim, sample, [piece], field, [Clarke], conditions or pattern, status mark),
    and whether a Clarke set was abbreviated."""
    from semialg.report.critical import hull_text
    rows = [("id", "dim", "sample") + (("piece",) if with_piece else ()) + ("field at sample",)
            + (("[Clarke at sample]",) if critical is not None else ()) + (describer.header, "")]
    abbreviated = False
    lifting = _lifting(result)
    k = lifting.n_user if lifting is not None else None   # a lifted program: the user's coordinates
    for rep in shown:
        s = rep.stratum
        field_text = " | ".join(_vertex(vert) for vert in field_at_sample(s, rep.field, lifting))
        clarke = ()
        if critical is not None:
            sc = critical["clarke"][s.id]
            vertices = sc.vertices if k is None else tuple(tuple(tuple(row[:k]) for row in v) for v in sc.vertices)
            clarke = (f"[{hull_text(vertices)}]",) if vertices or not sc.reason else ("[not a polytope]",)
            if len(clarke[0]) > CELL:
                clarke, abbreviated = (f"[conv of {len(vertices)} vertices]",), True
        piece = (", ".join(p.to_str(names) for p in s.piece),) if with_piece else ()
        rows.append((str(s.id), "?" if s.dim is None else str(s.dim), "(" + ", ".join(exact_list(s.sample[:k])) + ")")
                    + piece + (field_text,) + clarke
                    + (describer.describe(s), {"no": "<- fails", "unknown": "<- unknown"}.get(rep.status, "")))
    return table(rows, right=2, cap=CELL), abbreviated


def check_text(result, critical: dict | None = None, conditions: str = "auto") -> str:
    """A check result as the text ``semialg check`` prints; ``conditions`` says how the strata are
    described (``auto``, ``full``, ``simplified``, ``pattern``:
    :class:`~semialg.stratification.patterns.Describer`)."""
    lines = [f"{headline(result.function, 120)}   rule: {result.rule.name}   variables: {', '.join(result.program.inputs)}",
             f"verdict: {result.verdict.upper().replace('_', ' ')}", f"  {result.reason}"]
    if result.domain is not None:
        lines.append(f"  {domain_statement(result.domain, result.verdict)}")
    if result.segment_integral is not None:
        lines.append(f"  {_balance_text(result.segment_integral)}")
    names = list(result.stratification.program.inputs) if result.stratification is not None else list(result.program.inputs)
    lifting = _lifting(result)
    original = _to_original(result)
    describer = None
    if result.strata:
        lines.append("")
        shown = result.strata[:MAX_ROWS]
        from semialg.report.critical import set_strata
        described = [rep.stratum for rep in shown] + (set_strata(critical) if critical is not None else [])
        describer = Describer(result.stratification, conditions, described)
        body, abbreviated = _strata_rows(result, critical, shown, describer, names, with_piece=True)
        if conditions == "auto" and max(map(len, body)) > WIDE:
            # decided by the width of the whole row: the pattern, then no piece column (the field is its gradient)
            narrower = Describer(result.stratification, "pattern", described)
            if narrower.mode == "pattern":
                describer = narrower
                body, abbreviated = _strata_rows(result, critical, shown, describer, names, with_piece=True)
            if max(map(len, body)) > WIDE:
                body, abbreviated = _strata_rows(result, critical, shown, describer, names, with_piece=False)
                body.append("  (the piece column is left out for width; --json has each stratum's piece)")
        lines += describer.legend() + body
        if abbreviated:
            lines.append("  [conv of k vertices]: a Clarke set too wide for the table (--json lists its vertices)")
        if len(result.strata) > MAX_ROWS:
            lines.append(f"  ... {len(result.strata) - MAX_ROWS} more strata (--json lists all)")
    w = result.witness
    if lifting is not None and result.strata:
        lines += ["", auxiliary_text(result.stratification)]
    if lifting is not None and result.stratification.undefined:
        lines += [""] + undefined_text(result.stratification)
    if w is not None and not hasattr(w, "direction"):
        lines += ["", "witness (exact):",
                  f"  at ({', '.join(exact_list(w.point))}) (stratum {w.stratum}) the rule returns ({', '.join(w.value)})",
                  f"  ({w.source}); a conservative field has finite, locally bounded values"]
        w = None
    if w is not None:
        lines += ["", "witness (exact):",
                  f"  stratum {w.stratum}, point ({', '.join(exact_list(w.point))})"
                  + (f" = x ({', '.join(exact_list(original(w.point)))})" if original is not None else "")
                  + f", direction ({', '.join(exact_list(w.direction))})",
                  f"  d/dt f(gamma(t)) at t=0: {fmt_exact(w.derivative_along_curve)}",
                  f"  <v, gamma'(0)>         : {fmt_exact(w.field_along_curve)}   (v = ({', '.join(exact_list(w.field_value))}), {w.source})"]
        if w.numeric and w.numeric.get("confirmed") is not None and "h" in w.numeric:
            nm = w.numeric
            lines.append(f"  numeric check on t in [0, {nm['h']:g}]: f increases by {nm['f_increment']:.6g}, "
                         f"the field integrates to {nm['field_integral']:.6g} (mismatch {nm['mismatch']:.3g})"
                         + ("" if nm["confirmed"] else "; inconclusive in float64, the exact refutation stands"))
        elif w.numeric and "difference_quotients" in w.numeric:
            nm = w.numeric
            lines.append("  numeric check: (f(x + h d) - f(x)) / h = " + ", ".join(f"{q:.8g} (h = {h:g})" for h, q in
                         nm["difference_quotients"]) + f" against <v, d> = {nm['field_along_curve']:.8g}"
                         + ("" if nm["confirmed"] else "; inconclusive, the exact refutation stands"))
        elif w.numeric and not w.numeric.get("confirmed"):
            lines.append(f"  numeric check: {w.numeric.get('reason', 'inconclusive')}; the exact refutation stands")
        fw = (w.numeric or {}).get("framework")
        if fw:
            said = ("the value the check used" if fw["equals_field_value"] else
                    "NOT the value the check used (the traced derivative and the framework disagree here)")
            lines.append(f"  {fw['name']} autodiff at the point returns ({', '.join(f'{g:.6g}' for g in fw['gradient'])}): "
                         f"{said}")
    if result.jump is not None and hasattr(result.jump, "quotients"):
        j = result.jump
        lines += ["", f"unbounded slope (exact): at ({', '.join(exact_list(j.point))}) along d = ({', '.join(exact_list(j.direction))}),",
                  f"  (f(x + h d) - f(x)) / h -> {j.limit} as h -> 0+ (numerically: "
                  + ", ".join(f"h = {h:g}: {q:.4g}" for h, q in j.quotients) + ")"]
    elif result.jump is not None:
        j = result.jump
        lines += ["", f"jump (exact): at ({', '.join(exact_list(j.point))}) in stratum {j.stratum} the value is "
                      f"{', '.join(exact_list(j.value))}; the limit from stratum {j.neighbour} is {', '.join(exact_list(j.limit))}"]
    if critical is not None:
        from semialg.report.critical import set_strata, sets_text
        if describer is None:
            describer = Describer(result.stratification, conditions, set_strata(critical))
            lines += [""] + describer.legend()[:-1] if describer.legend() else []
        lines += [""] + sets_text(critical, include_critical=False, outputs=result.program.n_outputs,
                                  describer=describer)
    t = dict(result.timings, **({"critical": critical["seconds"]} if critical is not None else {}))
    lines.append("")
    lines.append("time: " + ", ".join(f"{k} {v:.3f} s" for k, v in t.items()))
    return "\n".join(lines)


# --------------------------------------------------------------------------- local domains
def _to_original(result):
    """The map from the checked program's coordinates to the original ones (a Restriction), or None."""
    to_original = getattr(result.domain, "to_original", None)
    return to_original


def domain_statement(domain, verdict: str) -> str:
    """One line: what the verdict proves on a Box, Segment or Plane."""
    from semialg.frontends.restrict import describe_domain
    return describe_domain(domain, (), _HOLDS.get(verdict))


def domain_json(domain, verdict: str) -> dict:
    """``{"kind": "segment", "a": [...], "b": [...], "statement": ...}`` (and the box/plane analogues)."""
    from semialg.frontends.restrict import domain_to_json
    return domain_to_json(domain, _HOLDS.get(verdict))


_HOLDS = {"conservative": True, "not_conservative": False}


def _balance_json(balance: dict) -> dict:
    if "reason" in balance:
        return {"reason": balance["reason"]}
    out = {"f_b_minus_f_a": exact_list(balance["f_b_minus_f_a"]), "integral": exact_list(balance["integral"]),
           "equal": balance["equal"],
           "pieces": [{"from": fmt_exact(p["from"]), "to": fmt_exact(p["to"]), "stratum": p["stratum"],
                       "integral": exact_list(p["integral"])} for p in balance["pieces"]]}
    if "note" in balance:
        out["note"] = balance["note"]
    return out


def _balance_text(balance: dict) -> str:
    if "reason" in balance:
        return f"segment integral: not computed ({balance['reason']})"
    one = (lambda v: fmt_exact(v[0])) if len(balance["integral"]) == 1 else (lambda v: "(" + ", ".join(exact_list(v)) + ")")
    n = len(balance["pieces"])
    head = (f"segment integral: f(b) - f(a) = {one(balance['f_b_minus_f_a'])}; the rule integrates to "
            f"{one(balance['integral'])} over the {n} piece{'s' if n != 1 else ''}")
    if balance["equal"]:
        return head + ": equal (exact)"
    diff = [a - b for a, b in zip(balance["integral"], balance["f_b_minus_f_a"])]
    return head + f": they differ by {one(diff)}"


def undefined_json(strat) -> list[dict]:
    """Where a lifted program has no value: each cell's conditions and an exact sample (user variables)."""
    from semialg.stratification.cells import SIGN_TEXT
    lifting = strat.program.lifting
    names = list(strat.program.inputs)
    out = []
    for conds, sample, labels in strat.undefined:
        own = [f"{p.to_str(names)} {SIGN_TEXT[s]} 0" for p, s in conds
               if not any(p.terms and any(m[i] for m in p.terms) for i in range(lifting.n_user, len(names)))]
        out.append({"conditions": own or ["true"], "sample": exact_list(lifting.user_point(sample)),
                    "reason": _undefined_reason(strat, labels)})
    return out


def auxiliary_text(strat) -> str:
    """``auxiliary variables: _s1 = sqrt(x), _r1 = 1/_s1``: what the lifted names in the conditions mean."""
    from semialg.core.dag import to_text
    program = strat.program
    lifting = program.lifting
    parts = []
    for node in lifting.nodes:
        aux = [a.param for a in node.args[len(node.args) - (1 if node.op == "inv" else 2):]]
        parts.append(f"{aux[0]} = {to_text([node])[0]}")
        if len(aux) == 2:
            parts.append(f"{aux[1]} = 1/{aux[0]}")
    return "auxiliary variables: " + ", ".join(parts)


def undefined_text(strat) -> list[str]:
    cells = undefined_json(strat)
    lines = [f"undefined: the program has no value on {len(cells)} cell{'s' if len(cells) != 1 else ''}"
             + (" (the first 64)" if len(cells) >= 64 else "") + " (checks ask their questions where it is defined):"]
    for c in cells[:8]:
        lines.append(f"  {' and '.join(c['conditions'])}: e.g. at ({', '.join(c['sample'])}), {c['reason']}")
    if len(cells) > 8:
        lines.append(f"  ... {len(cells) - 8} more (--json lists them)")
    return lines


def _undefined_reason(strat, labels) -> str:
    for node, label in zip(strat.branch_nodes, labels):
        if node.op == "inv" and label == "zero":
            return "a division by 0"
        if node.op in ("sqrt", "rpow") and label == "neg":
            return "an even root of a negative number"
    return "no value"
