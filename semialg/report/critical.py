"""Text and JSON of critical-point results (``semialg critical``; ``CriticalResult.to_text`` /
``to_json``), and of the families of critical sets that ``semialg check`` shows too."""
from __future__ import annotations

from semialg.report import fmt_vector, header, headline, vertices_json
from semialg.rules import fmt_exact

MAX_ROWS = 40
KINDS = (("artificial", "artificial_critical", "artificial critical points (0 in conv D, 0 not in Clarke)"),
         ("spurious", "spurious", "spurious values (D(x) not inside the Clarke set)"),
         ("d_critical", "d_critical", "D-critical sets (0 in conv D)"),
         ("clarke_critical", "clarke_critical", "Clarke critical sets (0 in the Clarke set)"))


def sample_of_point(point) -> dict:
    out = {"sample": [fmt_exact(v) for v in point]}
    if not all(hasattr(v, "denominator") for v in point):
        out["sample_float"] = [float(v) for v in point]
    return out


def point_set_json(ps) -> dict:
    """One :class:`~semialg.checks.critical.PointSet` as JSON (docs/cli.md)."""
    names = list(ps.stratum.names)
    out = {"stratum": ps.stratum.id, "dim": ps.stratum.dim, "conditions": ps.stratum.condition_text()}
    out.update(sample_of_point(ps.sample))
    out["equations"] = [f"{e.to_str(names)} = 0" for e in ps.equations]
    out["whole_stratum"] = ps.whole_stratum
    if ps.condition:
        out["condition"] = ps.condition
    out["field"] = vertices_json(ps.field)
    out["clarke"] = vertices_json(ps.clarke)
    if ps.reason:
        out["reason"] = ps.reason
    return out


def sets_json(sets) -> dict:
    """The four families of sets (a :class:`CriticalResult` or the dict of ``analyze``) as JSON lists."""
    get = (lambda k: getattr(sets, k)) if not isinstance(sets, dict) else sets.get
    return {key: [point_set_json(ps) for ps in get(attr)] for attr, key, _ in KINDS}


def clarke_json(sc) -> list | None:
    """A stratum's Clarke vertices at its sample, as exact strings (None when there are none)."""
    return vertices_json(sc.vertices) if sc.vertices else None


def _vec(vx) -> str:
    if len(vx) == 1:
        return "(" + ", ".join(fmt_exact(v) for v in vx[0]) + ")"
    return "[" + "; ".join(", ".join(fmt_exact(v) for v in row) for row in vx) + "]"


def hull_text(vertices) -> str:
    """``conv{(0), (1)}``, or ``{(1)}`` for a single vertex."""
    inner = ", ".join(_vec(v) for v in vertices)
    return "{" + inner + "}" if len(vertices) == 1 else "conv{" + inner + "}"


def point_set_text(ps) -> str:
    where = ", ".join(ps.stratum.condition_text())
    extra = f" where {ps.condition}" if ps.condition else ""
    whole = {True: "the whole stratum", False: "part of the stratum", None: "whole stratum undecided"}[ps.whole_stratum]
    sample = "(" + ", ".join(fmt_exact(v) for v in ps.sample) + ")"
    return (f"  stratum {ps.stratum.id} [{where}]{extra}: {whole}; at {sample}: "
            f"D = {hull_text(ps.field)}, Clarke = {hull_text(ps.clarke)}")


def sets_text(sets, include_critical: bool = True, outputs: int = 1) -> list[str]:
    """Text lines for the families of sets (artificial and spurious first). Critical points are
    defined for scalar functions only: with ``outputs > 1`` those families say so."""
    get = (lambda k: getattr(sets, k)) if not isinstance(sets, dict) else sets.get
    lines = []
    for attr, _, title in KINDS if include_critical else KINDS[:2]:
        if outputs > 1 and attr != "spurious":
            lines.append(f"{title}: not defined for a vector output ({outputs} outputs)")
            continue
        found = get(attr)
        lines.append(f"{title}: {len(found) if found else 'none'}")
        lines += [point_set_text(ps) for ps in found[:MAX_ROWS]]
        if len(found) > MAX_ROWS:
            lines.append(f"  ... {len(found) - MAX_ROWS} more (--json lists all)")
    return lines


def critical_json(result) -> dict:
    """A critical result as the JSON object of docs/cli.md."""
    out = header("critical", result.function, list(result.program.inputs))
    out.update({"rule": result.rule.name, "verdict": result.verdict, "reason": result.reason})
    original = getattr(result.domain, "to_original", None)
    if result.domain is not None:
        from semialg.frontends.restrict import domain_to_json
        out["domain"] = domain_to_json(result.domain)
    strata = []
    names = list(result.program.inputs)
    for sc in result.clarke:
        s = sc.stratum
        entry = {"id": s.id, "dim": s.dim, "conditions": s.condition_text()}
        entry.update(sample_of_point(s.sample))
        if original is not None:
            entry["original"] = [fmt_exact(v) for v in original(s.sample)]
        entry["piece"] = [p.to_str(names) for p in s.piece]
        entry["clarke"] = clarke_json(sc)
        strata.append(entry)
    out["strata"] = strata
    out.update(sets_json(result))
    if original is not None:
        for attr, key, _ in KINDS:
            for ps, entry in zip(getattr(result, attr), out[key]):
                entry["original"] = [fmt_exact(v) for v in original(ps.sample)]
    out["unknown"] = list(result.unknowns)
    out["witness"] = None
    if result.jump is not None:
        j = result.jump
        out["witness"] = {"kind": "jump", "stratum": j.stratum, "neighbour": j.neighbour,
                          "point": fmt_vector(j.point), "value": fmt_vector(j.value),
                          "limit": fmt_vector(j.limit)}
    out["timings"] = {k: round(v, 6) for k, v in result.timings.items()}
    return out


def critical_text(result) -> str:
    """A critical result as the text ``semialg critical`` prints."""
    lines = [f"{headline(result.function)}   rule: {result.rule.name}   variables: {', '.join(result.program.inputs)}",
             f"verdict: {result.verdict.upper().replace('_', ' ')}", f"  {result.reason}"]
    if result.domain is not None:
        from semialg.frontends.restrict import describe_domain
        lines.append(f"  {describe_domain(result.domain)}")
    if result.verdict != "not_lipschitz":
        lines.append("")
        lines += sets_text(result, outputs=result.program.n_outputs)
    if result.unknowns:
        lines += ["", "undecided:"] + [f"  {u}" for u in result.unknowns[:MAX_ROWS]]
    lines += ["", "time: " + ", ".join(f"{k} {v:.3f} s" for k, v in result.timings.items())]
    return "\n".join(lines)
